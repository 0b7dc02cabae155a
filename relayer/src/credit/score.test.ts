// The points-1 score on fixed histories: each expected value is worked out
// by hand from the published table (score.ts, LOANS.md).
import { describe, expect, it } from "vitest";
import type { InstallmentRecord, LoanRecord } from "../store/types.ts";
import { creditRecords } from "./record.ts";
import { type Score, SCORE_POINTS, scoreOf } from "./score.ts";
import { BORROWER, installments, loan, NOW, repaid } from "./testing.ts";

/** The score of the borrower whose loans these are. */
function scoreOfHistory(loans: LoanRecord[], paid: InstallmentRecord[] = []): Score {
  const [credit] = creditRecords({ loans, installments: paid }, BORROWER, NOW);
  if (credit === undefined) throw new Error("no record");
  return scoreOf(credit.record);
}

describe("scoreOf (points-1)", () => {
  it("publishedTable_isPinned", () => {
    expect(SCORE_POINTS).toMatchInlineSnapshot(`
      [
        {
          "cap": 10,
          "points": 30,
          "rule": "repaidOnTime",
        },
        {
          "cap": 10,
          "points": 10,
          "rule": "repaidLate",
        },
        {
          "points": -20,
          "rule": "lateInstallments",
        },
        {
          "points": -60,
          "rule": "overdueLoans",
        },
        {
          "points": -75,
          "rule": "liquidated",
        },
        {
          "points": -150,
          "rule": "defaulted",
        },
      ]
    `);
  });

  it("noHistory_onlyARejectedAndAPendingRequest_isTheBase500", () => {
    const score = scoreOfHistory([
      loan({ vaultState: "Refunded", poolState: "Rejected" }),
      loan({ vaultState: "Requested", poolState: null }),
    ]);

    expect(score.value).toBe(500);
    expect(score.lines.every((line) => line.total === 0)).toBe(true);
    expect(score).toMatchObject({ version: "points-1", base: 500, min: 0, max: 1_000 });
  });

  it("oneRepaidOnTime_is530", () => {
    expect(scoreOfHistory([repaid()]).value).toBe(530);
  });

  it("oneRepaidWithALateInstallment_is490", () => {
    const late = repaid({ installments: 3 });

    const score = scoreOfHistory([late], installments(late, [30, 65, 88]));

    expect(score.value).toBe(500 + 10 - 20);
    expect(score.lines.filter((line) => line.count > 0)).toEqual([
      { rule: "repaidLate", count: 1, counted: 1, points: 10, total: 10 },
      { rule: "lateInstallments", count: 1, counted: 1, points: -20, total: -20 },
    ]);
  });

  it("oneDefaulted_is350", () => {
    const score = scoreOfHistory([loan({ vaultState: "Seized", poolState: "Defaulted" })]);

    expect(score.value).toBe(350);
  });

  it("mixed_sumsEveryRule", () => {
    const lateRepaid = repaid({ installments: 3 });
    const overdue = loan({ installments: 3 });
    const loans = [
      repaid(),
      repaid(),
      repaid(),
      lateRepaid,
      overdue,
      loan({ vaultState: "Seized", poolState: "Liquidated" }),
      loan({ vaultState: "Refunded", poolState: "Rejected" }),
      loan({ dueAt: new Date(NOW.getTime() + 1_000) }),
    ];
    const paid = [
      ...installments(lateRepaid, [31, 61, 90]),
      // Paid on time, then unpaid past its due (day 60 < NOW).
      ...installments(overdue, [30, null, null]),
    ];

    const score = scoreOfHistory(loans, paid);

    // 3 on time +90, 1 late +10, 2 late installments −40, 1 overdue −60, 1 liquidated −75.
    expect(score.value).toBe(500 + 90 + 10 - 40 - 60 - 75);
  });

  it("manyRepaidLoans_countTenAtMost_andCannotOutweighDefaults", () => {
    const many = Array.from({ length: 25 }, () => repaid());

    const capped = scoreOfHistory(many);
    const withDefaults = scoreOfHistory([
      ...many,
      loan({ vaultState: "Seized", poolState: "Defaulted" }),
      loan({ vaultState: "Seized", poolState: "Defaulted" }),
    ]);

    expect(capped.value).toBe(800);
    expect(capped.lines[0]).toEqual({
      rule: "repaidOnTime",
      count: 25,
      counted: 10,
      points: 30,
      total: 300,
    });
    expect(withDefaults.value).toBe(500);
  });

  it("manyDefaults_stopAtTheFloor0", () => {
    const defaults = Array.from({ length: 5 }, () =>
      loan({ vaultState: "Seized", poolState: "Defaulted" }),
    );

    expect(scoreOfHistory(defaults).value).toBe(0);
  });
});
