// The pool's OPEN_LOAN handler through the real Deliver path: checks in
// shared/LOANS.md's order, the first failure answers LOAN_REJECTED and moves
// nothing; otherwise the principal is disbursed and LOAN_ACTIVE answers.
import {
  decodeLoanMessage,
  decodePacket,
  type LoanMessageOf,
  toBytes,
  toHex,
} from "@loanbridge/shared";
import { AccountRole, type Address } from "@solana/kit";
import { beforeEach, describe, expect, it } from "vitest";
import {
  addressBytes,
  LoanbridgeProgramError as E,
  pausePoolInstruction,
  pda,
  PoolLoanStatus,
  poolReceiveAccounts,
  setCollateralInstruction,
  setPriceInstruction,
  tokenBalance,
} from "../client/index.ts";
import {
  BuiltinInstructionError,
  loggedComputeUnits,
  loggedData,
  type Outcome,
} from "../client/litesvm.ts";
import {
  deliver,
  deliverOpenLoan,
  ETH,
  ETH_PRICE,
  ETH_PRICE_ID,
  expectCustomError,
  expectOk,
  inboundPacket,
  LIQUIDITY,
  LOCAL_EID,
  MAX_PRICE_AGE,
  nextInboundNonce,
  NOW,
  openLoanDelivery,
  openLoanMessage,
  type PoolFixture,
  dueTimeOf,
  POOL_TERMS,
  REMOTE_EID,
  REMOTE_VAULT,
  startPool,
  USDC,
} from "./fixture.ts";

type OpenLoan = LoanMessageOf<"OPEN_LOAN">;

describe("pool receive: OPEN_LOAN", () => {
  let fixture: PoolFixture;
  let recipient: { wallet: { address: Address }; tokens: Address };

  beforeEach(async () => {
    fixture = await startPool();
    recipient = await fixture.recipient();
  });

  const open = (overrides: Partial<OpenLoan> = {}) =>
    openLoanMessage(recipient.wallet.address, overrides);
  const send = (message: OpenLoan) =>
    deliverOpenLoan(fixture, message, { recipientTokens: recipient.tokens });
  const answer = (outcome: Outcome) => {
    if (!outcome.ok)
      throw new Error(
        `delivery failed: ${JSON.stringify(outcome.error)}\n${outcome.logs.join("\n")}`,
      );
    const [packet] = loggedData(outcome.logs);
    if (!packet) throw new Error("no answer logged");
    return {
      packet: decodePacket(packet),
      message: decodeLoanMessage(decodePacket(packet).message),
    };
  };
  const loan = async (message: OpenLoan) =>
    fixture.program.decode("PoolLoan", await pda.poolLoan(fixture.id, toBytes(message.loanId)));

  it("acceptableLoan_disbursesAndAnswersLoanActive", async () => {
    const message = open();
    const outcome = await send(message);

    const { packet, message: reply } = answer(outcome);
    console.log(
      `Deliver OPEN_LOAN accepted (2 signatures): ${loggedComputeUnits(outcome.logs, fixture.id)} CU, tx ${outcome.size} bytes`,
    );
    expect(packet).toMatchObject({
      nonce: 1n,
      srcEid: LOCAL_EID,
      sender: toHex(addressBytes(fixture.pool)),
      dstEid: REMOTE_EID,
      receiver: REMOTE_VAULT,
    });
    expect(reply).toEqual({
      type: "LOAN_ACTIVE",
      loanId: message.loanId,
      principal: message.principal,
      rateBps: POOL_TERMS.rateBps,
      startTime: NOW,
      dueTime: dueTimeOf(NOW, message.termSeconds),
    });
    expect(tokenBalance(fixture.program.svm, recipient.tokens)).toBe(message.principal);
    expect(tokenBalance(fixture.program.svm, await pda.liquidity(fixture.id))).toBe(
      LIQUIDITY - message.principal,
    );
    expect(await loan(message)).toMatchObject({
      status: PoolLoanStatus.Active,
      src_eid: REMOTE_EID,
      rate_bps: POOL_TERMS.rateBps,
      start_time: NOW,
      due_time: dueTimeOf(NOW, message.termSeconds),
      last_accrual: NOW,
      principal: message.principal,
      interest: 0n,
      repaid: 0n,
      collateral_amount: ETH,
      loan_id: toBytes(message.loanId),
      recipient: recipient.wallet.address,
    });
    expect(fixture.program.decode("Pool", fixture.pool).performing_principal).toBe(
      message.principal,
    );
  });

  /** Delivers `message`, expects LOAN_REJECTED with `reason`, nothing disbursed, the loan Rejected. */
  async function expectRejected(
    message: OpenLoan,
    reason: LoanMessageOf<"LOAN_REJECTED">["reason"],
  ) {
    const before = tokenBalance(fixture.program.svm, recipient.tokens);
    const outcome = await send(message);
    const { message: reply } = answer(outcome);
    expect(reply).toEqual({ type: "LOAN_REJECTED", loanId: message.loanId, reason });
    expect(tokenBalance(fixture.program.svm, recipient.tokens)).toBe(before);
    expect(await loan(message)).toMatchObject({ status: PoolLoanStatus.Rejected });
    return outcome;
  }

  it("paused_answersPaused", async () => {
    expectOk(await fixture.program.send(await pausePoolInstruction(fixture.id, fixture.guardian)));
    const outcome = await expectRejected(open(), "Paused");
    console.log(`Deliver OPEN_LOAN rejected: ${loggedComputeUnits(outcome.logs, fixture.id)} CU`);
  });

  it("afterExpiry_answersExpired", async () => {
    await expectRejected(open({ expiresAt: NOW - 1n }), "Expired");
  });

  it("atExpiry_isAccepted", async () => {
    answer(await send(open({ expiresAt: NOW })));
  });

  it.each([
    ["termBelowMinimum", { termSeconds: POOL_TERMS.minTermSeconds - 1n }],
    ["termAboveMaximum", { termSeconds: POOL_TERMS.maxTermSeconds + 1n }],
    ["zeroPrincipal", { principal: 0n }],
  ] as const)("%s_answersInvalidTerms", async (_name, overrides) => {
    await expectRejected(open(overrides), "InvalidTerms");
  });

  it("recipientZeroOrThePool_answersInvalidTerms", async () => {
    await expectRejected(open({ recipient: toHex(new Uint8Array(32)) }), "InvalidTerms");
    await expectRejected(open({ recipient: toHex(addressBytes(fixture.pool)) }), "InvalidTerms");
    await expectRejected(
      open({ recipient: toHex(addressBytes(await pda.liquidity(fixture.id))) }),
      "InvalidTerms",
    );
  });

  it("unconfiguredAsset_answersUnsupportedCollateral", async () => {
    const message = open({ collateralAsset: toHex(new Uint8Array(32).fill(7)) });
    await expectRejected(message, "UnsupportedCollateral");
  });

  it("removedAsset_answersUnsupportedCollateral", async () => {
    expectOk(
      await fixture.program.send(
        await setCollateralInstruction(fixture.id, {
          payer: fixture.program.payer,
          admin: fixture.admin,
          remoteEid: REMOTE_EID,
          asset: new Uint8Array(32),
          maxLtvBps: 0,
          liquidationLtvBps: 0,
          priceId: ETH_PRICE_ID,
        }),
      ),
    );
    await expectRejected(open(), "UnsupportedCollateral");
  });

  it("stalePrice_answersUnsupportedCollateral", async () => {
    fixture.program.setTime(NOW + MAX_PRICE_AGE + 1n);
    await expectRejected(open({ expiresAt: NOW + MAX_PRICE_AGE + 1n }), "UnsupportedCollateral");
  });

  it("zeroPrice_answersUnsupportedCollateral", async () => {
    expectOk(
      await fixture.program.send(
        await setPriceInstruction(fixture.id, {
          payer: fixture.program.payer,
          admin: fixture.admin,
          priceId: ETH_PRICE_ID,
          price: 0n,
        }),
      ),
    );
    await expectRejected(open(), "UnsupportedCollateral");
  });

  it("rateAboveMax_answersRateAboveMax", async () => {
    await expectRejected(open({ maxRateBps: POOL_TERMS.rateBps - 1 }), "RateAboveMax");
  });

  it("ltvBoundary_acceptsAtMaxAndRejectsAbove", async () => {
    // 1 ETH = 3,000 USDC; 70% = 2,100 USDC.
    const maxPrincipal = (ETH_PRICE * 7_000n) / 10_000n;
    answer(await send(open({ principal: maxPrincipal })));
    await expectRejected(open({ principal: maxPrincipal + 1n }), "LtvTooHigh");
  });

  it("principalAboveLiquidity_answersInsufficientLiquidity", async () => {
    // Enough collateral that only liquidity fails.
    await expectRejected(
      open({ collateralAmount: 1_000n * ETH, principal: LIQUIDITY + 1n }),
      "InsufficientLiquidity",
    );
  });

  it("principalWiderThanU64_answersInsufficientLiquidity", async () => {
    // A u128 principal that no SPL amount can hold is never disbursed.
    await expectRejected(
      open({ collateralAmount: 2n ** 127n, principal: 2n ** 64n + 1n }),
      "InsufficientLiquidity",
    );
  });

  it("hugeCollateralAndPrice_doNotOverflowTheLtvCheck", async () => {
    // collateral × price needs 256 bits: computed exactly, accepted.
    expectOk(
      await fixture.program.send(
        await setPriceInstruction(fixture.id, {
          payer: fixture.program.payer,
          admin: fixture.admin,
          priceId: ETH_PRICE_ID,
          price: 2n ** 127n,
        }),
      ),
    );
    answer(await send(open({ collateralAmount: 2n ** 128n - 1n })));
  });

  it("checksRunInOrder_pausedBeforeExpiredBeforeTerms", async () => {
    expectOk(await fixture.program.send(await pausePoolInstruction(fixture.id, fixture.guardian)));
    await expectRejected(open({ expiresAt: NOW - 1n, principal: 0n, maxRateBps: 0 }), "Paused");
  });

  it("knownLoanId_failsWithPoolLoanExists", async () => {
    const message = open({ principal: 0n });
    await expectRejected(message, "InvalidTerms");

    // Even a valid request under a rejected id gets no second answer.
    expectCustomError(await send({ ...message, principal: 1n * USDC }), E.PoolLoanExists);
  });

  it("recipientTokenAccountOfAnotherOwner_failsWithPoolWrongRecipientAccount", async () => {
    const other = await fixture.recipient();
    const outcome = await deliverOpenLoan(fixture, open(), { recipientTokens: other.tokens });

    expectCustomError(outcome, E.PoolWrongRecipientAccount);
  });

  it("priceAccountOfAnotherId_failsWithInvalidPda", async () => {
    const outcome = await deliverOpenLoan(fixture, open(), {
      recipientTokens: recipient.tokens,
      priceId: new Uint8Array(32).fill(1),
    });

    expectCustomError(outcome, E.InvalidPda);
  });

  describe("the answer's packet account among candidates", () => {
    const packetAccount = async (nonce: bigint) =>
      pda.packet(fixture.id, fixture.pool, REMOTE_EID, nonce);
    const build = (message: OpenLoan, packetCandidates: number, packetNonce?: bigint) =>
      openLoanDelivery(fixture, message, {
        recipientTokens: recipient.tokens,
        packetCandidates,
        ...(packetNonce !== undefined && { packetNonce }),
      });

    it("sendsThatTookTheNoncesReadFirst_answerAtTheNextCandidate", async () => {
      // Given a delivery naming the next nonce and the two after it
      const first = fixture.packetNonce();
      const message = open();
      const late = await build(message, 3);

      // when two other deliveries on the path land first
      answer(await send(open()));
      answer(await send(open()));
      const outcome = await fixture.program.send(...late);

      // then its answer takes the third nonce, in the third candidate's account.
      const { packet, message: reply } = answer(outcome);
      expect(packet.nonce).toBe(first + 2n);
      expect(reply).toMatchObject({ type: "LOAN_ACTIVE", loanId: message.loanId });
      const stored = fixture.program.decode("OutboundPacket", await packetAccount(first + 2n));
      expect(stored.guid).toEqual(toBytes(packet.guid));
      expect(fixture.packetNonce()).toBe(first + 3n);
      expect(await loan(message)).toMatchObject({ status: PoolLoanStatus.Active });
    });

    it("candidatesAfterTheTakenOne_areNotTouched", async () => {
      const first = fixture.packetNonce();

      answer(await fixture.program.send(...(await build(open(), 3))));

      expect(fixture.program.data(await packetAccount(first))).not.toBeNull();
      expect(fixture.program.data(await packetAccount(first + 1n))).toBeNull();
      expect(fixture.program.data(await packetAccount(first + 2n))).toBeNull();
      expect(fixture.packetNonce()).toBe(first + 1n);
    });

    it("everyCandidateTaken_failsWithInvalidPda_andMovesNothing", async () => {
      const message = open();
      const late = await build(message, 2);
      answer(await send(open()));
      answer(await send(open()));
      const paid = tokenBalance(fixture.program.svm, recipient.tokens);
      const next = fixture.packetNonce();

      expectCustomError(await fixture.program.send(...late), E.InvalidPda);

      expect(tokenBalance(fixture.program.svm, recipient.tokens)).toBe(paid);
      expect(fixture.program.data(await pda.poolLoan(fixture.id, toBytes(message.loanId)))).toBe(
        null,
      );
      expect(fixture.packetNonce()).toBe(next);
    });

    it("candidatesBeforeTheNextNonce_failWithInvalidPda", async () => {
      answer(await send(open()));
      const stale = fixture.packetNonce() - 1n;

      expectCustomError(
        await fixture.program.send(...(await build(open(), 1, stale))),
        E.InvalidPda,
      );
    });

    it("strangersAmongTheCandidates_areSkipped", async () => {
      // Any account may stand among the candidates: only the next nonce's
      // canonical address is created, the rest are left as they are.
      const first = fixture.packetNonce();
      const instructions = await build(open(), 1);
      const deliver = instructions.at(-1);
      if (deliver?.accounts === undefined) throw new Error("no Deliver instruction");
      const [nextPacket] = deliver.accounts.slice(-1);
      const stranger = (await fixture.program.fundedSigner()).address;
      const lamports = fixture.program.lamports(stranger);
      const withStrangers = {
        ...deliver,
        accounts: [
          ...deliver.accounts.slice(0, -1),
          { address: stranger, role: AccountRole.WRITABLE },
          { address: fixture.pool, role: AccountRole.WRITABLE },
          ...(nextPacket === undefined ? [] : [nextPacket]),
        ],
      };

      answer(await fixture.program.send(...instructions.slice(0, -1), withStrangers));

      expect(fixture.program.lamports(stranger)).toBe(lamports);
      expect(fixture.program.data(await packetAccount(first))).not.toBeNull();
    });

    it("noCandidate_failsWithNotEnoughAccountKeys", async () => {
      const instructions = await build(open(), 1);
      const deliver = instructions.at(-1);
      if (deliver?.accounts === undefined) throw new Error("no Deliver instruction");
      const outcome = await fixture.program.send(...instructions.slice(0, -1), {
        ...deliver,
        accounts: deliver.accounts.slice(0, -1),
      });

      expect(outcome).toMatchObject({
        ok: false,
        error: { kind: "builtin", code: BuiltinInstructionError.NotEnoughAccountKeys },
      });
    });

    it("aCandidateCountBelowOne_isRefusedByTheClient", async () => {
      await expect(build(open(), 0)).rejects.toThrow(RangeError);
      await expect(build(open(), 1.5)).rejects.toThrow(RangeError);
    });
  });

  it("otherMessageTypes_failWithPoolUnexpectedMessageType", async () => {
    const loanId = new Uint8Array(32).fill(3);
    const appAccounts = await poolReceiveAccounts(fixture.id, {
      loanId,
      srcEid: REMOTE_EID,
      packetNonce: fixture.packetNonce(),
      asset: new Uint8Array(32),
      priceId: ETH_PRICE_ID,
      recipientTokens: recipient.tokens,
    });
    const packet = inboundPacket(
      fixture.pool,
      { type: "REPAID", loanId: toHex(loanId), amountRepaid: 1n },
      { sender: REMOTE_VAULT, nonce: nextInboundNonce() },
    );
    const outcome = await deliver(fixture, packet, { appAccounts });

    expectCustomError(outcome, E.PoolUnexpectedMessageType);
  });
});
