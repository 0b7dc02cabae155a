// A borrower's credit record, derived from the mirrored loans and their
// installments (LOANS.md "Borrower credit history"). The borrower is who
// opened the loans: the collateral chain and its borrower account, the one
// identity a chain authenticates (the vault's `Open` caller). The lending-
// chain recipients are listed as the borrower named them, never as
// identities of their own: anyone can name any recipient.
import type { Hex } from "@loanbridge/shared";
import type {
  BorrowerHistory,
  InstallmentRecord,
  LoanOutcome,
  LoanRecord,
} from "../store/types.ts";
import { type Lateness, latenessOf, type LoanStanding, outcomeOf, standingOf } from "./outcome.ts";

/** An account on a chain: its endpoint id and its SPEC.md bytes32. */
export interface ChainAccount {
  eid: number;
  account: Hex;
}

/** Per lending chain, in its stablecoin's base units. */
export interface ChainAmount {
  lendingEid: number;
  principal: bigint;
}

export interface CreditRecord {
  borrower: ChainAccount;
  /** Where its loans paid out (lending chain, account), sorted. */
  recipients: ChainAccount[];
  /** Loans by where they stand; `opened` counts them all. */
  loans: Record<LoanStanding | "opened", number>;
  late: {
    /** Installments paid after their due time. */
    installments: number;
    /** Loans with at least one such installment, and of those the repaid ones. */
    loans: number;
    repaidLoans: number;
    /** Active loans with an installment (a bullet loan: the loan) unpaid past its due time now. */
    overdueLoans: number;
  };
  /** Principal of the loans disbursed (what they were opened for). */
  volume: ChainAmount[];
  /** Principal still owed on active loans. */
  outstanding: ChainAmount[];
  /** When the mirror first and last heard of the borrower's loans (payments: the chain's time). */
  firstActivityAt: Date;
  lastActivityAt: Date;
}

/** One loan of a record, with where it stands. */
export interface CreditLoan {
  loan: LoanRecord;
  standing: LoanStanding;
  lateness: Lateness;
  /** As `loanbridge_loans_by_outcome` counts it; undefined when never disbursed. */
  outcome: LoanOutcome | undefined;
}

export interface BorrowerCredit {
  /** How the looked-up account names this borrower: it is the borrower, or was paid by it. */
  match: "borrower" | "recipient";
  record: CreditRecord;
  /** Newest first. */
  loans: CreditLoan[];
}

const DISBURSED: ReadonlySet<LoanStanding> = new Set([
  "active",
  "repaid",
  "defaulted",
  "liquidated",
]);

const identityKey = (eid: number, account: string) => `${eid}:${account}`;

/**
 * The records of every borrower in `history`, the borrower `account` is
 * first, then the borrowers that paid out to it, most recently active first.
 */
export function creditRecords(history: BorrowerHistory, account: Hex, now: Date): BorrowerCredit[] {
  const installments = new Map<string, InstallmentRecord[]>();
  for (const installment of history.installments) {
    const list = installments.get(installment.loanId) ?? [];
    list.push(installment);
    installments.set(installment.loanId, list);
  }
  const byBorrower = new Map<string, { borrower: ChainAccount; loans: CreditLoan[] }>();
  for (const loan of history.loans) {
    if (loan.borrower === null) continue;
    const key = identityKey(loan.collateralEid, loan.borrower);
    const entry = byBorrower.get(key) ?? {
      borrower: { eid: loan.collateralEid, account: loan.borrower as Hex },
      loans: [],
    };
    const standing = standingOf(loan);
    const lateness = latenessOf(loan, installments.get(loan.loanId) ?? [], now);
    entry.loans.push({ loan, standing, lateness, outcome: outcomeOf(standing, lateness) });
    byBorrower.set(key, entry);
  }
  const credits = [...byBorrower.values()].map(({ borrower, loans }) => ({
    match: borrower.account === account ? ("borrower" as const) : ("recipient" as const),
    record: recordOf(borrower, loans, installments),
    loans: loans.sort((a, b) => b.loan.createdAt.getTime() - a.loan.createdAt.getTime()),
  }));
  return credits.sort(
    (a, b) =>
      Number(b.match === "borrower") - Number(a.match === "borrower") ||
      b.record.lastActivityAt.getTime() - a.record.lastActivityAt.getTime(),
  );
}

/** One borrower's record from its loans (at least one). */
function recordOf(
  borrower: ChainAccount,
  loans: readonly CreditLoan[],
  installments: ReadonlyMap<string, readonly InstallmentRecord[]>,
): CreditRecord {
  const counts: CreditRecord["loans"] = {
    opened: loans.length,
    pending: 0,
    rejected: 0,
    active: 0,
    repaid: 0,
    defaulted: 0,
    liquidated: 0,
  };
  const late = { installments: 0, loans: 0, repaidLoans: 0, overdueLoans: 0 };
  const volume = new Map<number, bigint>();
  const outstanding = new Map<number, bigint>();
  const recipients = new Map<string, ChainAccount>();
  let first = Infinity;
  let last = -Infinity;
  for (const { loan, standing, lateness } of loans) {
    counts[standing] += 1;
    late.installments += lateness.paidLate;
    if (lateness.paidLate > 0) {
      late.loans += 1;
      if (standing === "repaid") late.repaidLoans += 1;
    }
    if (lateness.overdue) late.overdueLoans += 1;
    const { lendingEid } = loan;
    if (DISBURSED.has(standing) && loan.openedPrincipal !== null) {
      volume.set(lendingEid, (volume.get(lendingEid) ?? 0n) + loan.openedPrincipal);
    }
    const own = installments.get(loan.loanId) ?? [];
    if (standing === "active") {
      outstanding.set(lendingEid, (outstanding.get(lendingEid) ?? 0n) + owed(loan, own));
    }
    if (loan.recipient !== null) {
      recipients.set(identityKey(lendingEid, loan.recipient), {
        eid: lendingEid,
        account: loan.recipient as Hex,
      });
    }
    const times = [loan.createdAt, loan.vaultUpdatedAt, loan.poolUpdatedAt, loan.startAt];
    for (const installment of own) times.push(installment.paidAt);
    for (const time of times) {
      if (time === null) continue;
      first = Math.min(first, time.getTime());
      last = Math.max(last, time.getTime());
    }
  }
  return {
    borrower,
    recipients: [...recipients.values()].sort(
      (a, b) => a.eid - b.eid || a.account.localeCompare(b.account),
    ),
    loans: counts,
    late,
    volume: amounts(volume),
    outstanding: amounts(outstanding),
    firstActivityAt: new Date(first),
    lastActivityAt: new Date(last),
  };
}

/**
 * What an active loan still owes in principal: after its latest paid
 * installment, that payment's remaining principal (it never grows), else
 * the mirrored principal.
 */
function owed(loan: LoanRecord, installments: readonly InstallmentRecord[]): bigint {
  const remaining = installments
    .filter((installment) => installment.paidAt !== null)
    .map((installment) => installment.remainingPrincipal)
    .filter((value) => value !== null);
  if (remaining.length === 0) return loan.principal ?? 0n;
  return remaining.reduce((low, value) => (value < low ? value : low));
}

const amounts = (sums: ReadonlyMap<number, bigint>): ChainAmount[] =>
  [...sums.entries()]
    .map(([lendingEid, principal]) => ({ lendingEid, principal }))
    .sort((a, b) => a.lendingEid - b.lendingEid);
