// Test support: mirrored loans and installments as the store returns them,
// built from the few fields a case is about.
import type { Hex } from "@loanbridge/shared";
import type { InstallmentRecord, LoanRecord } from "../store/types.ts";

export const EVM = 40161;
export const SOLANA = 40168;
export const BORROWER: Hex = `0x${"00".repeat(12)}${"b0".repeat(20)}`;
export const RECIPIENT: Hex = `0x${"5e".repeat(32)}`;
/** A fixed "now" for every case: lateness depends on it. */
export const NOW = new Date("2027-06-01T00:00:00Z");

export const day = (n: number): Date => new Date(Date.UTC(2027, 0, 1) + n * 86_400_000);

let loans = 0;

/** A loan from EVM collateral to a Solana pool, opened for 1,000 USDC, active. */
export function loan(fields: Partial<LoanRecord> = {}): LoanRecord {
  loans += 1;
  return {
    loanId: `0x${loans.toString(16).padStart(64, "0")}`,
    collateralEid: EVM,
    lendingEid: SOLANA,
    vaultState: "Active",
    poolState: "Active",
    borrower: BORROWER,
    collateralAsset: `0x${"00".repeat(32)}`,
    principal: 1_000_000_000n,
    collateralAmount: 10n ** 18n,
    recipient: RECIPIENT,
    rateBps: 800,
    dueAt: day(90),
    installments: 1,
    periodSeconds: null,
    installmentAmount: null,
    startAt: null,
    openedPrincipal: 1_000_000_000n,
    createdAt: day(0),
    updatedAt: day(0),
    vaultUpdatedAt: day(0),
    poolUpdatedAt: day(0),
    ...fields,
  };
}

/** A repaid loan: both halves final, nothing owed. */
export const repaid = (fields: Partial<LoanRecord> = {}): LoanRecord =>
  loan({ vaultState: "Released", poolState: "Repaid", principal: 0n, ...fields });

/** Installments 1..n of `of`, due every 30 days from day 0, paid on the days given (null: unpaid). */
export function installments(
  of: LoanRecord,
  paidOn: readonly (number | null)[],
): InstallmentRecord[] {
  return paidOn.map((paidDay, offset) => ({
    loanId: of.loanId,
    index: offset + 1,
    dueAt: day(30 * (offset + 1)),
    amountDue: 340_000_000n,
    paidAmount: paidDay === null ? 0n : 340_000_000n,
    paidAt: paidDay === null ? null : day(paidDay),
    remainingPrincipal:
      paidDay === null ? null : 1_000_000_000n - 330_000_000n * BigInt(offset + 1),
  }));
}
