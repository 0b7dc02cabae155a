// CancelExpired (issue 12 finding 3, shared/LOANS.md "Cancel"): a refund is
// proven by the lending chain. After a request's expiresAt anyone may cancel
// its loan id here: the pool records it Rejected (Expired) and answers
// LOAN_REJECTED(Expired); a late OPEN_LOAN for it then fails as a known loan
// id, so the pool either disbursed or cancelled a loan, never both.
import {
  decodeLoanMessage,
  decodePacket,
  type LoanMessageOf,
  toBytes,
  toHex,
} from "@loanbridge/shared";
import { AccountRole, type Address, generateKeyPairSigner } from "@solana/kit";
import { beforeEach, describe, expect, it } from "vitest";
import {
  type CancelExpiredInput,
  cancelExpiredInstruction,
  LoanbridgeProgramError as E,
  loanIdOf,
  outboundPacketBytes,
  pauseInstruction,
  pda,
  PoolLoanStatus,
  setPeerInstruction,
  tokenBalance,
} from "../client/index.ts";
import {
  deliverOpenLoan,
  expectCustomError,
  expectOk,
  LIQUIDITY,
  NOW,
  openLoanMessage,
  type PoolFixture,
  REMOTE_EID,
  REMOTE_POOL,
  REMOTE_VAULT,
  REQUEST_TTL,
  startPool,
  withAccount,
} from "./fixture.ts";

const BORROWER = toBytes(REMOTE_POOL); // any bytes32 on the collateral chain
const VAULT_NONCE = 3n;
const EXPIRES_AT = NOW + REQUEST_TTL;
/** SPEC reject reason code of `Expired`. */
const EXPIRED = 5;

describe("CancelExpired", () => {
  let fixture: PoolFixture;
  let recipient: { wallet: { address: Address }; tokens: Address };

  beforeEach(async () => {
    fixture = await startPool();
    recipient = await fixture.recipient();
  });

  /** The real loan id of the request the tests cancel. */
  const loanId = (overrides: { expiresAt?: bigint; vaultNonce?: bigint } = {}) =>
    loanIdOf({
      eid: REMOTE_EID,
      vault: toBytes(REMOTE_VAULT),
      borrower: BORROWER,
      vaultNonce: overrides.vaultNonce ?? VAULT_NONCE,
      expiresAt: overrides.expiresAt ?? EXPIRES_AT,
    });
  /** The OPEN_LOAN the remote vault sent for that request. */
  const request = (): LoanMessageOf<"OPEN_LOAN"> =>
    openLoanMessage(recipient.wallet.address, {
      loanId: toHex(loanId()),
      borrower: toHex(BORROWER),
      expiresAt: EXPIRES_AT,
    });
  const cancel = async (overrides: Partial<CancelExpiredInput> = {}) =>
    cancelExpiredInstruction(fixture.id, {
      payer: fixture.program.payer,
      srcEid: REMOTE_EID,
      remoteVault: toBytes(REMOTE_VAULT),
      borrower: BORROWER,
      vaultNonce: VAULT_NONCE,
      expiresAt: EXPIRES_AT,
      packetNonce: fixture.packetNonce(),
      ...overrides,
    });
  const send = async (
    built: Promise<{ instruction: Parameters<PoolFixture["program"]["send"]>[0] }>,
  ) => fixture.program.send((await built).instruction);
  const poolLoan = async (id: Uint8Array) =>
    fixture.program.decode("PoolLoan", await pda.poolLoan(fixture.id, id));
  const storedAnswer = async (nonce: bigint) => {
    const data = fixture.program.data(
      await pda.packet(fixture.id, fixture.pool, REMOTE_EID, nonce),
    );
    if (!data) throw new Error(`no packet ${nonce}`);
    return decodeLoanMessage(decodePacket(outboundPacketBytes(data)).message);
  };
  const afterExpiry = () => {
    fixture.program.setTime(EXPIRES_AT + 1n);
  };

  it("afterExpiry_recordsRejectedExpiredAndAnswersLoanRejected", async () => {
    afterExpiry();
    const nonce = fixture.packetNonce();

    expectOk(await send(cancel()));

    expect(await poolLoan(loanId())).toMatchObject({
      status: PoolLoanStatus.Rejected,
      reject_reason: EXPIRED,
      src_eid: REMOTE_EID,
      borrower: BORROWER,
      principal: 0n,
    });
    expect(await storedAnswer(nonce)).toEqual({
      type: "LOAN_REJECTED",
      loanId: toHex(loanId()),
      reason: "Expired",
    });
  });

  it("atExpiry_failsWithPoolCancelTooEarly", async () => {
    fixture.program.setTime(EXPIRES_AT);

    expectCustomError(await send(cancel()), E.PoolCancelTooEarly);
  });

  it("cancelThenLateOpenLoan_failsWithPoolLoanExistsAndDisbursesNothing", async () => {
    // Given relayers down past the deadline and the request cancelled
    afterExpiry();
    expectOk(await send(cancel()));
    const held = tokenBalance(fixture.program.svm, await pda.liquidity(fixture.id));

    // when the OPEN_LOAN finally arrives
    const late = await deliverOpenLoan(fixture, request(), { recipientTokens: recipient.tokens });

    // then it fails as a known loan id: no second answer, no principal.
    expectCustomError(late, E.PoolLoanExists);
    expect(tokenBalance(fixture.program.svm, await pda.liquidity(fixture.id))).toBe(held);
    expect(tokenBalance(fixture.program.svm, recipient.tokens)).toBe(0n);
    expect((await poolLoan(loanId())).status).toBe(PoolLoanStatus.Rejected);
  });

  it("lateOpenLoanWithoutCancel_answersExpired", async () => {
    afterExpiry();
    const nonce = fixture.packetNonce();

    expectOk(await deliverOpenLoan(fixture, request(), { recipientTokens: recipient.tokens }));

    expect(await storedAnswer(nonce)).toMatchObject({ type: "LOAN_REJECTED", reason: "Expired" });
    expect(tokenBalance(fixture.program.svm, await pda.liquidity(fixture.id))).toBe(LIQUIDITY);
    // and once answered, the id cannot be cancelled again.
    expectCustomError(await send(cancel()), E.PoolLoanExists);
  });

  it("disbursedLoan_failsWithPoolLoanExists", async () => {
    // Given the OPEN_LOAN delivered in time and the principal paid
    expectOk(await deliverOpenLoan(fixture, request(), { recipientTokens: recipient.tokens }));
    expect((await poolLoan(loanId())).status).toBe(PoolLoanStatus.Active);

    // when someone tries to cancel it after the deadline
    afterExpiry();

    // then the known loan id refuses: the vault never sees LOAN_REJECTED for it.
    expectCustomError(await send(cancel()), E.PoolLoanExists);
    expect((await poolLoan(loanId())).status).toBe(PoolLoanStatus.Active);
  });

  it("cancelledTwice_failsWithPoolLoanExists", async () => {
    afterExpiry();
    expectOk(await send(cancel()));

    expectCustomError(await send(cancel()), E.PoolLoanExists);
  });

  it("wrongClaimedDeadline_cancelsAnotherIdAndTheRealRequestStillOpens", async () => {
    // Given a cancellation claiming an earlier deadline than the request's
    fixture.program.setTime(NOW + 10n);
    expectOk(await send(cancel({ expiresAt: NOW })));

    // then it cancelled an id no vault sent: the real request is still accepted.
    expect((await poolLoan(loanId({ expiresAt: NOW }))).status).toBe(PoolLoanStatus.Rejected);
    expectOk(await deliverOpenLoan(fixture, request(), { recipientTokens: recipient.tokens }));
    expect((await poolLoan(loanId())).status).toBe(PoolLoanStatus.Active);
  });

  it("loanAccountOfAnotherId_failsWithInvalidPda", async () => {
    afterExpiry();
    const built = await cancel();
    const other = await pda.poolLoan(fixture.id, loanId({ vaultNonce: VAULT_NONCE + 1n }));

    const outcome = await fixture.program.send(
      withAccount(built.instruction, 3, { address: other, role: AccountRole.WRITABLE }),
    );

    expectCustomError(outcome, E.InvalidPda);
  });

  it("loanIdFromAnotherVault_isNotTheRequestsId", async () => {
    // The client must use the pool's registered peer: a loan account derived
    // from another vault is not the PDA of the id the program computes.
    afterExpiry();

    const outcome = await send(cancel({ remoteVault: toBytes(REMOTE_POOL) }));

    expectCustomError(outcome, E.InvalidPda);
  });

  it("peerOfTheVaultApp_failsWithNoPeer", async () => {
    afterExpiry();
    const built = await cancel();
    const vaultPeer = await pda.peer(fixture.id, fixture.vault, REMOTE_EID);

    const outcome = await fixture.program.send(
      withAccount(built.instruction, 4, { address: vaultPeer, role: AccountRole.READONLY }),
    );

    expectCustomError(outcome, E.NoPeer);
  });

  it("sourceWithoutPeer_failsWithNoPeer", async () => {
    afterExpiry();

    expectCustomError(await send(cancel({ srcEid: REMOTE_EID + 1 })), E.NoPeer);
  });

  it("unsetPeer_failsWithNoPeer", async () => {
    expectOk(
      await fixture.program.send(
        await setPeerInstruction(fixture.id, {
          payer: fixture.program.payer,
          admin: fixture.admin,
          app: fixture.pool,
          remoteEid: REMOTE_EID,
          remoteApp: new Uint8Array(32),
        }),
      ),
    );
    afterExpiry();

    expectCustomError(await send(cancel()), E.NoPeer);
  });

  it("poolAccountNotThePool_failsWithInvalidAccountData", async () => {
    afterExpiry();
    const built = await cancel();

    const outcome = await fixture.program.send(
      withAccount(built.instruction, 2, { address: fixture.endpoint, role: AccountRole.READONLY }),
    );

    expectCustomError(outcome, E.InvalidAccountData);
  });

  it("endpointAccountNotOwnedByTheProgram_failsWithInvalidAccountOwner", async () => {
    afterExpiry();
    const built = await cancel();
    const stranger = (await generateKeyPairSigner()).address;

    const outcome = await fixture.program.send(
      withAccount(built.instruction, 1, { address: stranger, role: AccountRole.READONLY }),
    );

    expectCustomError(outcome, E.InvalidAccountOwner);
  });

  it("payerNotSigning_failsWithMissingSignature", async () => {
    afterExpiry();
    const built = await cancel();
    const stranger = await fixture.program.fundedSigner();

    const outcome = await fixture.program.send(
      withAccount(built.instruction, 0, { address: stranger.address, role: AccountRole.WRITABLE }),
    );

    expectCustomError(outcome, E.MissingSignature);
  });

  it("whileEndpointPaused_stillAnswers", async () => {
    expectOk(await fixture.program.send(await pauseInstruction(fixture.id, fixture.guardian)));
    afterExpiry();
    const nonce = fixture.packetNonce();

    expectOk(await send(cancel()));

    expect(await storedAnswer(nonce)).toMatchObject({ type: "LOAN_REJECTED", reason: "Expired" });
  });
});
