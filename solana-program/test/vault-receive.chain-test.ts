// The vault's receive hook, through the real Deliver path with real
// signatures: LOAN_ACTIVE, LOAN_REJECTED, REPAID, DEFAULTED, LIQUIDATED
// (shared/LOANS.md "Vault" 2–5, 7). Collateral moves at most once.
import { decodePacket, type LoanMessage, MESSAGE_VERSION, toHex } from "@loanbridge/shared";
import { type AccountMeta, type Address, type KeyPairSigner } from "@solana/kit";
import { beforeEach, describe, expect, it } from "vitest";
import {
  addressBytes,
  createMint,
  createTokenAccount,
  decodeAccount,
  isNonceDelivered,
  LoanbridgeProgramError as E,
  nativePayout,
  openInstruction,
  pda,
  setAssetAllowedInstruction,
  setPeerInstruction,
  tokenBalance,
  tokenPayout,
  vaultReceiveAccounts,
  VaultLoanState,
  WireProgramError,
} from "../client/index.ts";
import { loggedComputeUnits } from "../client/litesvm.ts";
import {
  deliver,
  expectCustomError,
  expectOk,
  inboundPacket,
  LOCAL_EID,
  OPEN_DEFAULTS,
  REMOTE_EID,
  startVault,
  type VaultFixture,
} from "./fixture.ts";

const SOL = 1_000_000_000n;

/** Set bits in a byte. */
const popCount = (byte: number): number => byte.toString(2).replaceAll("0", "").length;
const COLLATERAL = 3n * SOL;

describe("vault receive", () => {
  let fixture: VaultFixture;
  let borrower: KeyPairSigner;
  let nonce: bigint;

  beforeEach(async () => {
    fixture = await startVault();
    borrower = await fixture.program.fundedSigner(100n);
    nonce = 0n;
  });

  async function openNative(): Promise<Uint8Array> {
    const { instruction, loanId } = await openInstruction(fixture.id, {
      borrower,
      collateralAmount: COLLATERAL,
      ...OPEN_DEFAULTS,
      localEid: LOCAL_EID,
      lendingEid: REMOTE_EID,
      ...fixture.nextNonces(),
    });
    expectOk(await fixture.program.send(instruction));
    return loanId;
  }

  async function openToken(
    amount: bigint,
  ): Promise<{ loanId: Uint8Array; mint: Address; borrowerTokens: Address }> {
    const mint = await createMint(fixture.program.svm, fixture.admin.address, 9);
    const borrowerTokens = await createTokenAccount(
      fixture.program.svm,
      mint,
      borrower.address,
      amount,
    );
    expectOk(
      await fixture.program.send(
        await setAssetAllowedInstruction(fixture.id, {
          payer: fixture.program.payer,
          admin: fixture.admin,
          mint,
          allowed: true,
        }),
      ),
    );
    const { instruction, loanId } = await openInstruction(fixture.id, {
      borrower,
      collateralAmount: amount,
      ...OPEN_DEFAULTS,
      localEid: LOCAL_EID,
      lendingEid: REMOTE_EID,
      ...fixture.nextNonces(),
      token: { mint, borrowerTokens },
    });
    expectOk(await fixture.program.send(instruction));
    return { loanId, mint, borrowerTokens };
  }

  /** Delivers `message` from the remote pool with the next nonce. */
  async function receive(message: LoanMessage, loanId: Uint8Array, payout: AccountMeta[] = []) {
    nonce += 1n;
    return deliver(fixture, inboundPacket(fixture.vault, message, { nonce }), {
      appAccounts: await vaultReceiveAccounts(fixture.id, loanId, payout),
    });
  }

  const active = (loanId: Uint8Array): LoanMessage => ({
    type: "LOAN_ACTIVE",
    loanId: toHex(loanId),
    principal: 900_000_000n,
    rateBps: 500,
    startTime: 1_700_000_100n,
    dueTime: 1_702_592_100n,
  });
  const rejected = (loanId: Uint8Array): LoanMessage => ({
    type: "LOAN_REJECTED",
    loanId: toHex(loanId),
    reason: "LtvTooHigh",
  });
  const repaid = (loanId: Uint8Array): LoanMessage => ({
    type: "REPAID",
    loanId: toHex(loanId),
    amountRepaid: 905_000_000n,
  });
  const seized = (
    type: "DEFAULTED" | "LIQUIDATED",
    loanId: Uint8Array,
    beneficiary: Address,
  ): LoanMessage => ({
    type,
    loanId: toHex(loanId),
    outstanding: 950_000_000n,
    beneficiary: toHex(addressBytes(beneficiary)),
  });
  const loanState = async (loanId: Uint8Array) =>
    fixture.program.decode("VaultLoan", await pda.vaultLoan(fixture.id, loanId)).state;

  it("loanActive_activatesAndRecordsTheGrantedTerms", async () => {
    const loanId = await openNative();

    const outcome = await receive(active(loanId), loanId);

    expectOk(outcome);
    console.log(
      `Deliver LOAN_ACTIVE (2 signatures): ${loggedComputeUnits(outcome.logs, fixture.id)} CU, tx ${outcome.size} bytes`,
    );
    expect(
      fixture.program.decode("VaultLoan", await pda.vaultLoan(fixture.id, loanId)),
    ).toMatchObject({
      state: VaultLoanState.Active,
      principal: 900_000_000n,
      rate_bps: 500,
      start_time: 1_700_000_100n,
      due_time: 1_702_592_100n,
    });
  });

  it("deliveredPacket_setsItsNonceBit_andReplayFailsWithAlreadyDelivered", async () => {
    const loanId = await openNative();
    const packet = inboundPacket(fixture.vault, active(loanId), { nonce: 1n });
    const appAccounts = await vaultReceiveAccounts(fixture.id, loanId);
    expectOk(await deliver(fixture, packet, { appAccounts }));

    const record = fixture.program.data(
      await pda.deliveredNonces(fixture.id, decodePacket(packet)),
    );
    if (record === null) throw new Error("no delivered-nonces account");
    expect(isNonceDelivered(record, 1n)).toBe(true);
    const bits = decodeAccount("DeliveredNonces", record).bits as number[];
    expect(bits.reduce((count, byte) => count + popCount(byte), 0)).toBe(1);

    // A second delivery of the same packet, with fresh signatures, fails;
    expectCustomError(await deliver(fixture, packet, { appAccounts }), E.AlreadyDelivered);
    // so does another message under the same nonce: the (path, nonce) is
    // delivered once, whatever it carries.
    const sameNonce = inboundPacket(fixture.vault, repaid(loanId), { nonce: 1n });
    expectCustomError(await deliver(fixture, sameNonce, { appAccounts }), E.AlreadyDelivered);
    // The path's next nonce goes through the same account.
    const next = inboundPacket(fixture.vault, repaid(loanId), { nonce: 2n });
    expectOk(
      await deliver(fixture, next, {
        appAccounts: await vaultReceiveAccounts(fixture.id, loanId, nativePayout(borrower.address)),
      }),
    );
    const after = fixture.program.data(await pda.deliveredNonces(fixture.id, decodePacket(next)));
    expect(after !== null && isNonceDelivered(after, 2n) && isNonceDelivered(after, 1n)).toBe(true);
  });

  it("loanRejected_refundsNativeCollateralToTheBorrower", async () => {
    const loanId = await openNative();
    const before = fixture.program.lamports(borrower.address);

    const outcome = await receive(rejected(loanId), loanId, nativePayout(borrower.address));

    expectOk(outcome);
    console.log(
      `Deliver LOAN_REJECTED native refund: ${loggedComputeUnits(outcome.logs, fixture.id)} CU`,
    );
    expect(fixture.program.lamports(borrower.address) - before).toBe(COLLATERAL);
    expect(await loanState(loanId)).toBe(VaultLoanState.Refunded);
    expect(fixture.program.decode("Vault", fixture.vault).native_locked).toBe(0n);
  });

  it("loanRejected_refundsTokenCollateral", async () => {
    const { loanId, mint, borrowerTokens } = await openToken(700n);

    const outcome = await receive(
      rejected(loanId),
      loanId,
      await tokenPayout(fixture.id, mint, borrowerTokens),
    );

    expectOk(outcome);
    console.log(
      `Deliver LOAN_REJECTED token refund: ${loggedComputeUnits(outcome.logs, fixture.id)} CU`,
    );
    expect(tokenBalance(fixture.program.svm, borrowerTokens)).toBe(700n);
    expect(tokenBalance(fixture.program.svm, await pda.custody(fixture.id, mint))).toBe(0n);
  });

  it("repaid_releasesCollateralOnce", async () => {
    // Given an active loan
    const loanId = await openNative();
    expectOk(await receive(active(loanId), loanId));
    const before = fixture.program.lamports(borrower.address);

    // when REPAID arrives, the borrower gets the collateral back
    expectOk(await receive(repaid(loanId), loanId, nativePayout(borrower.address)));
    expect(fixture.program.lamports(borrower.address) - before).toBe(COLLATERAL);
    expect(await loanState(loanId)).toBe(VaultLoanState.Released);

    // and no other message (another guid) can move it again.
    for (const message of [
      repaid(loanId),
      rejected(loanId),
      seized("DEFAULTED", loanId, borrower.address),
    ]) {
      expectCustomError(
        await receive(message, loanId, nativePayout(borrower.address)),
        E.VaultUnexpectedLoanState,
      );
    }
    expect(fixture.program.lamports(borrower.address) - before).toBe(COLLATERAL);
  });

  it.each(["DEFAULTED", "LIQUIDATED"] as const)(
    "%s_seizesTokenCollateralForTheBeneficiary",
    async (type) => {
      const { loanId, mint } = await openToken(1_000n);
      expectOk(await receive(active(loanId), loanId));
      const beneficiary = await fixture.program.fundedSigner(1n);
      const beneficiaryTokens = await createTokenAccount(
        fixture.program.svm,
        mint,
        beneficiary.address,
      );

      const outcome = await receive(
        seized(type, loanId, beneficiary.address),
        loanId,
        await tokenPayout(fixture.id, mint, beneficiaryTokens),
      );

      expectOk(outcome);
      expect(tokenBalance(fixture.program.svm, beneficiaryTokens)).toBe(1_000n);
      expect(await loanState(loanId)).toBe(VaultLoanState.Seized);
    },
  );

  it("defaulted_seizesNativeCollateral", async () => {
    const loanId = await openNative();
    expectOk(await receive(active(loanId), loanId));
    const beneficiary = await fixture.program.fundedSigner(0n);

    expectOk(
      await receive(
        seized("DEFAULTED", loanId, beneficiary.address),
        loanId,
        nativePayout(beneficiary.address),
      ),
    );

    expect(fixture.program.lamports(beneficiary.address)).toBe(COLLATERAL);
  });

  it("rejectedAfterActive_failsWithVaultUnexpectedLoanState", async () => {
    // A second answer could refund an active loan's collateral: never.
    const loanId = await openNative();
    expectOk(await receive(active(loanId), loanId));

    expectCustomError(
      await receive(rejected(loanId), loanId, nativePayout(borrower.address)),
      E.VaultUnexpectedLoanState,
    );
    expectCustomError(await receive(active(loanId), loanId), E.VaultUnexpectedLoanState);
  });

  it("repaidBeforeActive_failsWithVaultUnexpectedLoanState", async () => {
    const loanId = await openNative();

    expectCustomError(
      await receive(repaid(loanId), loanId, nativePayout(borrower.address)),
      E.VaultUnexpectedLoanState,
    );
  });

  it("unknownLoan_failsWithVaultUnexpectedLoanState", async () => {
    const loanId = new Uint8Array(32).fill(9);

    expectCustomError(await receive(active(loanId), loanId), E.VaultUnexpectedLoanState);
  });

  it("loanAccountOfAnotherLoan_failsWithVaultLoanMismatch", async () => {
    const first = await openNative();
    const second = await openNative();
    nonce += 1n;

    const outcome = await deliver(fixture, inboundPacket(fixture.vault, active(first), { nonce }), {
      appAccounts: await vaultReceiveAccounts(fixture.id, second),
    });

    expectCustomError(outcome, E.VaultLoanMismatch);
  });

  it("payoutToSomeoneElse_failsWithVaultWrongPayoutAccount", async () => {
    const loanId = await openNative();
    const thief = await fixture.program.fundedSigner(1n);

    expectCustomError(
      await receive(rejected(loanId), loanId, nativePayout(thief.address)),
      E.VaultWrongPayoutAccount,
    );
  });

  it("tokenPayoutToAccountOfAnotherOwnerOrMint_failsWithVaultWrongPayoutAccount", async () => {
    const { loanId, mint } = await openToken(10n);
    const thief = await fixture.program.fundedSigner(1n);
    const thiefTokens = await createTokenAccount(fixture.program.svm, mint, thief.address);
    const otherMint = await createMint(fixture.program.svm, fixture.admin.address, 9);
    const borrowerOtherTokens = await createTokenAccount(
      fixture.program.svm,
      otherMint,
      borrower.address,
    );

    for (const account of [thiefTokens, borrowerOtherTokens]) {
      expectCustomError(
        await receive(rejected(loanId), loanId, await tokenPayout(fixture.id, mint, account)),
        E.VaultWrongPayoutAccount,
      );
    }
  });

  it("zeroBeneficiary_failsWithVaultInvalidBeneficiary", async () => {
    const loanId = await openNative();
    expectOk(await receive(active(loanId), loanId));
    const message = {
      ...seized("LIQUIDATED", loanId, borrower.address),
      beneficiary: `0x${"00".repeat(32)}`,
    } as const;

    expectCustomError(
      await receive(message, loanId, nativePayout(borrower.address)),
      E.VaultInvalidBeneficiary,
    );
  });

  it("openLoanToTheVault_failsWithVaultUnexpectedMessageType", async () => {
    const loanId = await openNative();
    const message: LoanMessage = {
      type: "OPEN_LOAN",
      loanId: toHex(loanId),
      borrower: toHex(addressBytes(borrower.address)),
      recipient: toHex(OPEN_DEFAULTS.recipient),
      collateralAsset: `0x${"00".repeat(32)}`,
      collateralAmount: 1n,
      principal: 1n,
      maxRateBps: 1,
      termSeconds: 1n,
      expiresAt: 1n,
      installments: 1,
    };

    expectCustomError(await receive(message, loanId), E.VaultUnexpectedMessageType);
  });

  it("malformedMessage_failsWithWireError", async () => {
    const loanId = await openNative();
    nonce += 1n;
    const packet = inboundPacket(fixture.vault, Uint8Array.of(MESSAGE_VERSION, 9), { nonce });

    const outcome = await deliver(fixture, packet, {
      appAccounts: await vaultReceiveAccounts(fixture.id, loanId),
    });

    expectCustomError(outcome, WireProgramError.UnknownMessageType);
  });

  it("messageFromAnotherPeeredChain_failsWithVaultUnexpectedSource", async () => {
    // Given the vault also has a peer on a second chain
    expectOk(
      await fixture.program.send(
        await setPeerInstruction(fixture.id, {
          payer: fixture.program.payer,
          admin: fixture.admin,
          app: fixture.vault,
          remoteEid: 30101,
          remoteApp: addressBytes(fixture.admin.address),
        }),
      ),
    );
    const loanId = await openNative();
    const packet = inboundPacket(fixture.vault, active(loanId), {
      srcEid: 30101,
      sender: toHex(addressBytes(fixture.admin.address)),
    });

    // then only the lending chain's answers count.
    const outcome = await deliver(fixture, packet, {
      appAccounts: await vaultReceiveAccounts(fixture.id, loanId),
    });

    expectCustomError(outcome, E.VaultUnexpectedSource);
  });

  it("handlerFailure_leavesTheGuidDeliverableLater", async () => {
    // Atomic delivery: a failing handler records no delivered nonce (here
    // not even the range's account), so the same packet is delivered once
    // what made it fail is fixed.
    const loanId = await openNative();
    const packet = inboundPacket(fixture.vault, rejected(loanId), { nonce: 5n });
    const thief = await fixture.program.fundedSigner(1n);
    const wrong = await vaultReceiveAccounts(fixture.id, loanId, nativePayout(thief.address));
    expectCustomError(
      await deliver(fixture, packet, { appAccounts: wrong }),
      E.VaultWrongPayoutAccount,
    );
    expect(
      fixture.program.data(await pda.deliveredNonces(fixture.id, decodePacket(packet))),
    ).toBeNull();

    const right = await vaultReceiveAccounts(fixture.id, loanId, nativePayout(borrower.address));
    expectOk(await deliver(fixture, packet, { appAccounts: right }));
  });
});
