// What became of one mirrored loan, read from its two halves and its
// installments (LOANS.md "Borrower credit history"). The pool's state
// decides; the vault's stands in while the pool's is not mirrored (a
// relayer that saw only the delivered answer). store/installments.ts
// counts the same outcomes in SQL for the metrics.
import type { InstallmentRecord, LoanOutcome, LoanRecord } from "../store/types.ts";

/** Where a loan stands: not answered yet, refused, or disbursed and since then… */
export const LOAN_STANDINGS = [
  "pending",
  "rejected",
  "active",
  "repaid",
  "defaulted",
  "liquidated",
] as const;
export type LoanStanding = (typeof LOAN_STANDINGS)[number];

export function standingOf(loan: Pick<LoanRecord, "vaultState" | "poolState">): LoanStanding {
  switch (loan.poolState) {
    case "Active":
      return "active";
    case "Repaid":
      return "repaid";
    case "Rejected":
      return "rejected";
    case "Defaulted":
      return "defaulted";
    case "Liquidated":
      return "liquidated";
    case null:
      break;
  }
  switch (loan.vaultState) {
    case "Active":
      return "active";
    case "Released":
      return "repaid";
    case "Refunded":
      return "rejected";
    // The collateral was seized without the mirror knowing why: the worse.
    case "Seized":
      return "defaulted";
    case "Requested":
    case null:
      return "pending";
  }
}

export interface Lateness {
  /** Installments paid after their due time. */
  paidLate: number;
  /** Still active with an installment unpaid past its due time (a bullet loan: past its due time). */
  overdue: boolean;
}

/** A loan's installments paid late and whether it is overdue at `now`. */
export function latenessOf(
  loan: Pick<LoanRecord, "vaultState" | "poolState" | "dueAt">,
  installments: readonly InstallmentRecord[],
  now: Date,
): Lateness {
  const paidLate = installments.filter(
    (installment) => installment.paidAt !== null && installment.paidAt > installment.dueAt,
  ).length;
  // Overdue once `now > due` (LOANS.md: at the due time itself it is on time).
  const overdue =
    standingOf(loan) === "active" &&
    (installments.length > 0
      ? installments.some((installment) => installment.paidAt === null && installment.dueAt < now)
      : loan.dueAt !== null && loan.dueAt < now);
  return { paidLate, overdue };
}

/** The metrics' outcome of a loan that stands so; undefined for one never disbursed. */
export function outcomeOf(standing: LoanStanding, lateness: Lateness): LoanOutcome | undefined {
  if (standing === "pending" || standing === "rejected") return undefined;
  if (standing === "defaulted" || standing === "liquidated") return standing;
  return lateness.paidLate > 0 || lateness.overdue ? "late" : standing;
}
