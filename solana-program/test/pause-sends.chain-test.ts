// Issue 12 finding 4: a pause must not run out a borrower's clock. An
// endpoint pause stops deliveries only; every instruction that sends still
// succeeds and stores its packet (shared/LOANS.md "Endpoint pause"), so the
// completing repayment made during a pause makes the loan Repaid before
// anyone can default it.
import {
  decodeLoanMessage,
  decodePacket,
  type LoanMessage,
  type LoanMessageOf,
  toBytes,
} from "@loanbridge/shared";
import { type Address } from "@solana/kit";
import { beforeEach, describe, expect, it } from "vitest";
import {
  createTokenAccount,
  declareDefaultInstruction,
  LoanbridgeProgramError as E,
  liquidateInstruction,
  outboundPacketBytes,
  pauseInstruction,
  pda,
  PoolLoanStatus,
  repayInstruction,
  setPriceInstruction,
  unpauseInstruction,
} from "../client/index.ts";
import {
  deliverOpenLoan,
  ETH_PRICE_ID,
  expectCustomError,
  expectOk,
  NATIVE_ASSET,
  NOW,
  openLoanMessage,
  type PoolFixture,
  dueTimeOf,
  POOL_TERMS,
  REMOTE_EID,
  startPool,
  USDC,
} from "./fixture.ts";

const PRINCIPAL = 1_000n * USDC;
const TERM = 30n * 86_400n;

describe("sending while the endpoint is paused", () => {
  let fixture: PoolFixture;
  let message: LoanMessageOf<"OPEN_LOAN">;
  let borrowerTokens: Address;

  beforeEach(async () => {
    fixture = await startPool();
    const recipient = await fixture.recipient();
    message = openLoanMessage(recipient.wallet.address, {
      principal: PRINCIPAL,
      termSeconds: TERM,
    });
    expectOk(await deliverOpenLoan(fixture, message, { recipientTokens: recipient.tokens }));
    borrowerTokens = await createTokenAccount(
      fixture.program.svm,
      fixture.stablecoin,
      fixture.program.payer.address,
      10_000n * USDC,
    );
    expectOk(await fixture.program.send(await pauseInstruction(fixture.id, fixture.guardian)));
  });

  const ref = () => ({
    payer: fixture.program.payer,
    loanId: toBytes(message.loanId),
    srcEid: REMOTE_EID,
    packetNonce: fixture.packetNonce(),
  });
  const repay = async (amount: bigint) =>
    fixture.program.send(
      await repayInstruction(fixture.id, { ...ref(), payerTokens: borrowerTokens, amount }),
    );
  const declareDefault = async () =>
    fixture.program.send(await declareDefaultInstruction(fixture.id, ref()));
  const status = async () =>
    fixture.program.decode("PoolLoan", await pda.poolLoan(fixture.id, toBytes(message.loanId)))
      .status;
  /** The message stored in the pool's packet account of `nonce`. */
  const stored = async (nonce: bigint): Promise<LoanMessage> => {
    const data = fixture.program.data(
      await pda.packet(fixture.id, fixture.pool, REMOTE_EID, nonce),
    );
    if (!data) throw new Error(`no packet ${nonce}`);
    return decodeLoanMessage(decodePacket(outboundPacketBytes(data)).message);
  };
  const defaultableAfter = dueTimeOf(NOW, TERM) + POOL_TERMS.gracePeriodSeconds;

  it("completingRepayWhilePaused_storesRepaidAndDefaultAfterUnpauseFails", async () => {
    // Given the endpoint paused through the due date, the borrower repays on time
    fixture.program.setTime(NOW + TERM - 1n);
    const nonce = fixture.packetNonce();
    expectOk(await repay(10_000n * USDC));
    expect(await status()).toBe(PoolLoanStatus.Repaid);
    expect(await stored(nonce)).toMatchObject({ type: "REPAID", loanId: message.loanId });

    // when the owner unpauses long after due + grace
    fixture.program.setTime(defaultableAfter + 86_400n);
    expectOk(await fixture.program.send(await unpauseInstruction(fixture.id, fixture.admin)));

    // then nobody can default the repaid loan.
    expectCustomError(await declareDefault(), E.PoolLoanNotActive);
    expect(await status()).toBe(PoolLoanStatus.Repaid);
  });

  it("partialRepayWhilePaused_succeeds", async () => {
    expectOk(await repay(100n * USDC));

    expect(await status()).toBe(PoolLoanStatus.Active);
  });

  it("declareDefaultWhilePaused_storesDefaultedPacket", async () => {
    fixture.program.setTime(defaultableAfter + 1n);
    const nonce = fixture.packetNonce();

    expectOk(await declareDefault());

    expect(await stored(nonce)).toMatchObject({ type: "DEFAULTED", loanId: message.loanId });
  });

  it("liquidateWhilePaused_storesLiquidatedPacket", async () => {
    expectOk(
      await fixture.program.send(
        await setPriceInstruction(fixture.id, {
          payer: fixture.program.payer,
          admin: fixture.admin,
          priceId: ETH_PRICE_ID,
          price: 1_000n * USDC,
        }),
      ),
    );
    const nonce = fixture.packetNonce();

    expectOk(
      await fixture.program.send(
        await liquidateInstruction(fixture.id, {
          ...ref(),
          asset: NATIVE_ASSET,
          priceId: ETH_PRICE_ID,
        }),
      ),
    );

    expect(await stored(nonce)).toMatchObject({ type: "LIQUIDATED", loanId: message.loanId });
  });
});
