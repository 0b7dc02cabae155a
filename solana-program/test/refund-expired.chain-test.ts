// RefundExpired: a requested loan nobody answered goes back to the borrower
// once now > expiresAt + answerGrace (shared/LOANS.md "Vault" 6).
import { toHex } from "@loanbridge/shared";
import { type KeyPairSigner } from "@solana/kit";
import { beforeEach, describe, expect, it } from "vitest";
import {
  createMint,
  createTokenAccount,
  LoanbridgeProgramError as E,
  nativePayout,
  openInstruction,
  pda,
  refundExpiredInstruction,
  setAssetAllowedInstruction,
  tokenBalance,
  tokenPayout,
  vaultReceiveAccounts,
  VaultLoanState,
} from "../client/index.ts";
import {
  ANSWER_GRACE,
  deliver,
  expectCustomError,
  expectOk,
  inboundPacket,
  LOCAL_EID,
  NOW,
  OPEN_DEFAULTS,
  REMOTE_EID,
  REQUEST_TTL,
  startVault,
  type VaultFixture,
} from "./fixture.ts";

const COLLATERAL = 2_000_000_000n;
const REFUNDABLE_AFTER = NOW + REQUEST_TTL + ANSWER_GRACE;

describe("RefundExpired", () => {
  let fixture: VaultFixture;
  let borrower: KeyPairSigner;
  let loanId: Uint8Array;

  beforeEach(async () => {
    fixture = await startVault();
    borrower = await fixture.program.fundedSigner(100n);
    const opened = await openInstruction(fixture.id, {
      borrower,
      collateralAmount: COLLATERAL,
      ...OPEN_DEFAULTS,
      localEid: LOCAL_EID,
      lendingEid: REMOTE_EID,
      ...fixture.nextNonces(),
    });
    expectOk(await fixture.program.send(opened.instruction));
    loanId = opened.loanId;
  });

  const refund = async (id = loanId, payout = nativePayout(borrower.address)) =>
    fixture.program.send(await refundExpiredInstruction(fixture.id, id, payout));

  it("atTheGraceBoundary_failsWithVaultRefundTooEarly", async () => {
    fixture.program.setTime(REFUNDABLE_AFTER);

    expectCustomError(await refund(), E.VaultRefundTooEarly);
  });

  it("afterTheGrace_refundsTheBorrower", async () => {
    fixture.program.setTime(REFUNDABLE_AFTER + 1n);
    const before = fixture.program.lamports(borrower.address);

    // Anyone may call it (the harness's payer signs); the borrower is paid.
    expectOk(await refund());

    expect(fixture.program.lamports(borrower.address) - before).toBe(COLLATERAL);
    expect(fixture.program.decode("VaultLoan", await pda.vaultLoan(fixture.id, loanId)).state).toBe(
      VaultLoanState.Refunded,
    );
    // and only once.
    expectCustomError(await refund(), E.VaultUnexpectedLoanState);
  });

  it("activeLoan_failsWithVaultUnexpectedLoanState", async () => {
    const packet = inboundPacket(fixture.vault, {
      type: "LOAN_ACTIVE",
      loanId: toHex(loanId),
      principal: 1n,
      rateBps: 1,
      startTime: NOW,
      dueTime: NOW + 1n,
    });
    expectOk(
      await deliver(fixture, packet, {
        appAccounts: await vaultReceiveAccounts(fixture.id, loanId),
      }),
    );
    fixture.program.setTime(REFUNDABLE_AFTER + 1n);

    expectCustomError(await refund(), E.VaultUnexpectedLoanState);
  });

  it("refundToSomeoneElse_failsWithVaultWrongPayoutAccount", async () => {
    fixture.program.setTime(REFUNDABLE_AFTER + 1n);

    expectCustomError(
      await refund(loanId, nativePayout(fixture.admin.address)),
      E.VaultWrongPayoutAccount,
    );
  });

  it("tokenCollateral_isRefundedFromCustody", async () => {
    const mint = await createMint(fixture.program.svm, fixture.admin.address, 6);
    const borrowerTokens = await createTokenAccount(
      fixture.program.svm,
      mint,
      borrower.address,
      50n,
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
    const opened = await openInstruction(fixture.id, {
      borrower,
      collateralAmount: 50n,
      ...OPEN_DEFAULTS,
      localEid: LOCAL_EID,
      lendingEid: REMOTE_EID,
      ...fixture.nextNonces(),
      token: { mint, borrowerTokens },
    });
    expectOk(await fixture.program.send(opened.instruction));
    fixture.program.setTime(REFUNDABLE_AFTER + 1n);

    expectOk(await refund(opened.loanId, await tokenPayout(fixture.id, mint, borrowerTokens)));

    expect(tokenBalance(fixture.program.svm, borrowerTokens)).toBe(50n);
  });
});
