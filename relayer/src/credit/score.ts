// A borrower's score: a points table over the counts of its credit record,
// published with its version so that a lender can recompute any score by
// hand (LOANS.md "Borrower credit history" says why each number is what it
// is). Information for lenders and pool operators, never an on-chain rule.
// Changing a number is a new version, never an edit of this one.
import type { CreditRecord } from "./record.ts";

export const SCORE_VERSION = "points-1";
/** What a borrower with no repaid, late, defaulted or liquidated loan scores: unknown, not good. */
export const SCORE_BASE = 500;
export const SCORE_MIN = 0;
export const SCORE_MAX = 1_000;

export type ScoreRule =
  "repaidOnTime" | "repaidLate" | "lateInstallments" | "overdueLoans" | "liquidated" | "defaulted";

/** Points per counted event; `cap`: at most this many count. */
export const SCORE_POINTS: readonly { rule: ScoreRule; points: number; cap?: number }[] = [
  { rule: "repaidOnTime", points: 30, cap: 10 },
  { rule: "repaidLate", points: 10, cap: 10 },
  { rule: "lateInstallments", points: -20 },
  { rule: "overdueLoans", points: -60 },
  { rule: "liquidated", points: -75 },
  { rule: "defaulted", points: -150 },
];

export interface ScoreLine {
  rule: ScoreRule;
  /** How many the record has. */
  count: number;
  /** How many count (the cap applied). */
  counted: number;
  points: number;
  /** `counted × points`. */
  total: number;
}

export interface Score {
  version: typeof SCORE_VERSION;
  /** `base + Σ total`, clamped to [min, max]. */
  value: number;
  base: number;
  min: number;
  max: number;
  lines: ScoreLine[];
}

/** The record's count for each rule. */
export function ruleCounts(record: CreditRecord): Record<ScoreRule, number> {
  return {
    repaidOnTime: record.loans.repaid - record.late.repaidLoans,
    repaidLate: record.late.repaidLoans,
    lateInstallments: record.late.installments,
    overdueLoans: record.late.overdueLoans,
    liquidated: record.loans.liquidated,
    defaulted: record.loans.defaulted,
  };
}

export function scoreOf(record: CreditRecord): Score {
  const counts = ruleCounts(record);
  const lines = SCORE_POINTS.map(({ rule, points, cap }) => {
    const count = counts[rule];
    const counted = cap === undefined ? count : Math.min(count, cap);
    return { rule, count, counted, points, total: counted * points };
  });
  const sum = lines.reduce((total, line) => total + line.total, SCORE_BASE);
  return {
    version: SCORE_VERSION,
    value: Math.min(SCORE_MAX, Math.max(SCORE_MIN, sum)),
    base: SCORE_BASE,
    min: SCORE_MIN,
    max: SCORE_MAX,
    lines,
  };
}
