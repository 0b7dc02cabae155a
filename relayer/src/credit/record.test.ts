// Borrower records from mirrored loans: who the borrower is, what each loan
// counts as, the sums and the times.
import type { Hex } from "@loanbridge/shared";
import { describe, expect, it } from "vitest";
import type { InstallmentRecord, LoanRecord } from "../store/types.ts";
import { latenessOf, outcomeOf, standingOf } from "./outcome.ts";
import { creditRecords } from "./record.ts";
import {
  BORROWER,
  day,
  EVM,
  installments,
  loan,
  NOW,
  RECIPIENT,
  repaid,
  SOLANA,
} from "./testing.ts";

const OTHER: Hex = `0x${"0c".repeat(32)}`;

describe("creditRecords", () => {
  it("countsEachLoanByWhereItStands_andSumsVolumeAndWhatIsOwed", () => {
    const paying = loan({ installments: 3, principal: 1_000_000_000n });
    const loans = [
      repaid({ openedPrincipal: 500_000_000n }),
      paying,
      loan({ vaultState: "Seized", poolState: "Defaulted", openedPrincipal: 7n }),
      loan({ vaultState: "Seized", poolState: "Liquidated", openedPrincipal: 3n }),
      loan({ vaultState: "Refunded", poolState: "Rejected", openedPrincipal: 999n }),
      loan({ vaultState: "Requested", poolState: null, openedPrincipal: 999n }),
      // Mirrored before principals were kept: counts, adds no volume.
      repaid({ openedPrincipal: null }),
    ];

    const [credit] = creditRecords(
      { loans, installments: installments(paying, [30, null, null]) },
      BORROWER,
      NOW,
    );

    expect(credit?.match).toBe("borrower");
    expect(credit?.record.loans).toEqual({
      opened: 7,
      pending: 1,
      rejected: 1,
      active: 1,
      repaid: 2,
      defaulted: 1,
      liquidated: 1,
    });
    expect(credit?.record.volume).toEqual([
      { lendingEid: SOLANA, principal: 500_000_000n + 1_000_000_000n + 7n + 3n },
    ]);
    // After installment 1: its remaining principal, not the mirrored one.
    expect(credit?.record.outstanding).toEqual([{ lendingEid: SOLANA, principal: 670_000_000n }]);
    expect(credit?.record.late).toEqual({
      installments: 0,
      loans: 0,
      repaidLoans: 0,
      overdueLoans: 1,
    });
  });

  it("late_countsInstallmentsPaidAfterTheirDue_andLoansWithOne", () => {
    const early = repaid({ installments: 3 });
    const lateTwice = repaid({ installments: 3 });
    const lateThenDefaulted = loan({
      vaultState: "Seized",
      poolState: "Defaulted",
      installments: 3,
    });

    const [credit] = creditRecords(
      {
        loans: [early, lateTwice, lateThenDefaulted],
        installments: [
          ...installments(early, [1, 2, 90]),
          ...installments(lateTwice, [31, 60, 91]),
          ...installments(lateThenDefaulted, [45, null, null]),
        ],
      },
      BORROWER,
      NOW,
    );

    expect(credit?.record.late).toEqual({
      installments: 3,
      loans: 2,
      repaidLoans: 1,
      overdueLoans: 0,
    });
  });

  it("aBulletLoanWithoutInstallments_isOverdueOnlyAfterItsDueTime", () => {
    const atDue = loan({ dueAt: NOW });
    const past = loan({ dueAt: new Date(NOW.getTime() - 1_000) });

    const overdue = (of: typeof atDue) =>
      creditRecords({ loans: [of], installments: [] }, BORROWER, NOW)[0]?.loans[0]?.lateness;

    expect(overdue(atDue)).toEqual({ paidLate: 0, overdue: false });
    expect(overdue(past)).toEqual({ paidLate: 0, overdue: true });
  });

  it("recipients_areListedOnce_andLookingOneUpFindsItsBorrowers", () => {
    const evmRecipient: Hex = `0x${"00".repeat(12)}${"e1".repeat(20)}`;
    const loans = [
      loan({ createdAt: day(1) }),
      repaid({ createdAt: day(2) }),
      loan({ lendingEid: EVM, collateralEid: SOLANA, recipient: evmRecipient }),
      // Another borrower paying out to the same recipient.
      repaid({ borrower: OTHER, poolUpdatedAt: day(9) }),
    ];

    const fromRecipient = creditRecords({ loans, installments: [] }, RECIPIENT, NOW);
    const fromBorrower = creditRecords({ loans, installments: [] }, BORROWER, NOW);

    // One record per (collateral chain, borrower): BORROWER on EVM and on Solana, and OTHER.
    expect(fromRecipient.map(({ match, record }) => [match, record.borrower])).toEqual([
      ["recipient", { eid: EVM, account: OTHER }],
      ["recipient", { eid: EVM, account: BORROWER }],
      ["recipient", { eid: SOLANA, account: BORROWER }],
    ]);
    expect(fromBorrower.map(({ match }) => match)).toEqual(["borrower", "borrower", "recipient"]);
    expect(fromBorrower[0]?.record.recipients).toEqual([{ eid: SOLANA, account: RECIPIENT }]);
    expect(fromBorrower.find((c) => c.record.borrower.eid === SOLANA)?.record.recipients).toEqual([
      { eid: EVM, account: evmRecipient },
    ]);
  });

  it("activity_runsFromTheFirstRecordToTheLastChangeOrPayment", () => {
    const paying = loan({ createdAt: day(3), vaultUpdatedAt: day(4), poolUpdatedAt: day(4) });
    const older = repaid({ createdAt: day(1), vaultUpdatedAt: day(2), poolUpdatedAt: day(2) });

    const [credit] = creditRecords(
      { loans: [paying, older], installments: installments(paying, [20, null]) },
      BORROWER,
      NOW,
    );

    expect(credit?.record.firstActivityAt).toEqual(day(1));
    expect(credit?.record.lastActivityAt).toEqual(day(20));
    expect(credit?.loans.map(({ loan: each }) => each.loanId)).toEqual([
      paying.loanId,
      older.loanId,
    ]);
  });

  it("loansWithoutABorrower_yet_areLeftOut", () => {
    expect(
      creditRecords({ loans: [loan({ borrower: null })], installments: [] }, BORROWER, NOW),
    ).toEqual([]);
  });
});

describe("standingOf and outcomeOf", () => {
  it("thePoolDecides_theVaultStandsInWithoutIt", () => {
    const cases = [
      [{ vaultState: "Requested", poolState: null }, "pending"],
      [{ vaultState: null, poolState: null }, "pending"],
      [{ vaultState: "Requested", poolState: "Active" }, "active"],
      [{ vaultState: "Active", poolState: null }, "active"],
      [{ vaultState: "Released", poolState: null }, "repaid"],
      [{ vaultState: "Active", poolState: "Repaid" }, "repaid"],
      [{ vaultState: "Refunded", poolState: null }, "rejected"],
      [{ vaultState: "Requested", poolState: "Rejected" }, "rejected"],
      [{ vaultState: "Seized", poolState: null }, "defaulted"],
      [{ vaultState: "Active", poolState: "Defaulted" }, "defaulted"],
      [{ vaultState: "Seized", poolState: "Liquidated" }, "liquidated"],
    ] as const;

    expect(cases.map(([states]) => standingOf(states))).toEqual(cases.map(([, want]) => want));
  });

  it("outcome_isLateForAnActiveOrRepaidLoanWithALateOrOverdueInstallment", () => {
    const outcome = (of: LoanRecord, paid: InstallmentRecord[] = []) =>
      outcomeOf(standingOf(of), latenessOf(of, paid, NOW));
    const onTime = loan({ installments: 2, dueAt: day(60) });
    const behind = loan({ installments: 2, dueAt: day(60) });
    const paidLate = repaid({ installments: 2 });

    expect(outcome(onTime, installments(onTime, [30, 60]))).toBe("active");
    expect(outcome(behind, installments(behind, [30, null]))).toBe("late");
    expect(outcome(paidLate, installments(paidLate, [30, 61]))).toBe("late");
    expect(outcome(repaid())).toBe("repaid");
    expect(outcome(loan({ poolState: "Defaulted" }))).toBe("defaulted");
    expect(outcome(loan({ poolState: "Rejected" }))).toBeUndefined();
  });
});
