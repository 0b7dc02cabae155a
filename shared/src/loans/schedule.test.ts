import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { accruedInterest } from "./math.ts";
import {
  annuityPayment,
  annuitySchedule,
  type AnnuityTerms,
  completedInstallments,
  installmentAmounts,
  installmentDueTimes,
  MAX_INSTALLMENTS,
  periodRate,
  ScheduleError,
} from "./schedule.ts";

const DAY = 86_400n;
const U64_MAX = 2n ** 64n - 1n;

// Principals up to u128 (the width the pool stores), rates up to 1000% a
// year, periods up to a year: every schedule the pools can be asked for.
const terms: fc.Arbitrary<AnnuityTerms> = fc.record({
  principal: fc.oneof(
    fc.bigInt({ min: 0n, max: U64_MAX }),
    fc.bigInt({ min: 0n, max: 2n ** 128n - 1n }),
  ),
  rateBps: fc.bigInt({ min: 0n, max: 100_000n }),
  periodSeconds: fc.bigInt({ min: 0n, max: 365n * DAY }),
  installments: fc.integer({ min: 1, max: MAX_INSTALLMENTS }),
});

const runs = { numRuns: 300 };

describe("annuity schedule properties", () => {
  it("principalParts_sumToPrincipal_andRowsAddUp", () => {
    fc.assert(
      fc.property(terms, (t) => {
        const { rows } = annuitySchedule(t);
        expect(rows.map(({ index }) => index)).toEqual(
          Array.from({ length: t.installments }, (_, i) => i + 1),
        );
        expect(rows.reduce((sum, row) => sum + row.principal, 0n)).toBe(t.principal);
        let remaining = t.principal;
        for (const row of rows) {
          expect(row.amount).toBe(row.interest + row.principal);
          remaining -= row.principal;
          expect(row.remaining).toBe(remaining);
        }
        expect(remaining).toBe(0n);
      }),
      runs,
    );
  });

  it("payment_coversEveryRowsInterest", () => {
    fc.assert(
      fc.property(terms, (t) => {
        const { payment, rows } = annuitySchedule(t);
        for (const row of rows) expect(payment >= row.interest).toBe(true);
      }),
      runs,
    );
  });

  it("remaining_andInterest_neverIncrease", () => {
    fc.assert(
      fc.property(terms, (t) => {
        const { rows } = annuitySchedule(t);
        let remaining = t.principal;
        let interest = rows[0]?.interest ?? 0n;
        for (const row of rows) {
          expect(row.principal >= 0n && row.remaining <= remaining).toBe(true);
          expect(row.interest <= interest).toBe(true);
          remaining = row.remaining;
          interest = row.interest;
        }
      }),
      runs,
    );
  });

  it("principalParts_neverDecrease_beforeTheLastRow_whileRemainingIsPositive", () => {
    // A row that pays the principal off early is clamped to what was left,
    // and the last row absorbs the rounding: both may be smaller.
    fc.assert(
      fc.property(terms, (t) => {
        const rows = annuitySchedule(t).rows.slice(0, -1);
        for (let k = 1; k < rows.length; k++) {
          const [previous, row] = [rows[k - 1], rows[k]];
          if (previous && row && row.remaining > 0n) {
            expect(row.principal >= previous.principal).toBe(true);
          }
        }
      }),
      runs,
    );
  });

  it("oneInstallment_isTheBulletLoan", () => {
    fc.assert(
      fc.property(terms, (t) => {
        const bullet = { ...t, installments: 1 };
        const interest = accruedInterest(t.principal, t.rateBps, t.periodSeconds);
        expect(annuitySchedule(bullet).rows).toEqual([
          {
            index: 1,
            interest,
            principal: t.principal,
            amount: t.principal + interest,
            remaining: 0n,
          },
        ]);
      }),
      runs,
    );
  });

  it("zeroRateOrZeroPeriod_paysCeilOfPrincipalOverInstallments", () => {
    const zeroRate = terms.chain((t) =>
      fc.constantFrom({ ...t, rateBps: 0n }, { ...t, periodSeconds: 0n }),
    );
    fc.assert(
      fc.property(zeroRate, (t) => {
        const n = BigInt(t.installments);
        const schedule = annuitySchedule(t);
        expect(schedule.periodRate).toBe(0n);
        expect(schedule.payment).toBe((t.principal + n - 1n) / n);
        expect(schedule.rows.every(({ interest }) => interest === 0n)).toBe(true);
      }),
      runs,
    );
  });

  it("payment_matchesTheAnnuityFormula", () => {
    // P·r / (1 − (1+r)^−n) in floating point, for rates and periods where
    // the fixed-point rounding is far below the tolerance.
    const realistic = fc.record({
      principal: fc.bigInt({ min: 1n, max: U64_MAX }),
      rateBps: fc.bigInt({ min: 1n, max: 100_000n }),
      periodSeconds: fc.bigInt({ min: 3_600n, max: 365n * DAY }),
      installments: fc.integer({ min: 1, max: MAX_INSTALLMENTS }),
    });
    fc.assert(
      fc.property(realistic, (t) => {
        const r = (Number(t.rateBps) * Number(t.periodSeconds)) / (10_000 * 31_536_000);
        const exact = (Number(t.principal) * r) / -Math.expm1(-t.installments * Math.log1p(r));
        const payment = Number(annuityPayment(t));
        expect(Math.abs(payment - exact)).toBeLessThanOrEqual(1 + exact * 1e-6);
      }),
      runs,
    );
  });

  it("mortgage_30YearsMonthlyAt8Percent", () => {
    const schedule = annuitySchedule({
      principal: 1_500_000_000n,
      rateBps: 800n,
      periodSeconds: 30n * DAY,
      installments: 360,
    });
    expect(schedule.periodRate).toBe(6_575_342_465_753_425n);
    expect(schedule.payment).toBe(10_892_091n);
    expect(schedule.rows[0]).toEqual({
      index: 1,
      interest: 9_863_013n,
      principal: 1_029_078n,
      amount: 10_892_091n,
      remaining: 1_498_970_922n,
    });
  });

  it("periodRate_roundsUp", () => {
    // 1 bps over one second is 3.17e-12 a period: 3,170,979.19… at 10^18.
    expect(periodRate(1n, 1n)).toBe(3_170_980n);
    expect(periodRate(10_000n, 31_536_000n)).toBe(10n ** 18n);
  });
});

describe("installment due times", () => {
  it("dueTimes_roundUpToTheBucket", () => {
    expect(installmentDueTimes(1_000n, 500n, 3, 400n)).toEqual([1_600n, 2_000n, 2_800n]);
    expect(installmentDueTimes(0n, DAY, 2, 1n)).toEqual([DAY, 2n * DAY]);
  });

  it("lastDueTime_isTheBulletDueTime", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 2n ** 40n }),
        fc.bigInt({ min: 0n, max: 365n * DAY }),
        fc.integer({ min: 1, max: MAX_INSTALLMENTS }),
        fc.bigInt({ min: 1n, max: 7n * DAY }),
        (start, period, n, bucket) => {
          const dueTimes = installmentDueTimes(start, period, n, bucket);
          const [bullet] = installmentDueTimes(start, period * BigInt(n), 1, bucket);
          expect(dueTimes.at(-1)).toBe(bullet);
          for (const [k, due] of dueTimes.entries()) {
            expect(due % bucket).toBe(0n);
            const exact = start + BigInt(k + 1) * period;
            expect(due >= exact && due - exact < bucket).toBe(true);
          }
        },
      ),
      runs,
    );
  });
});

describe("installments paid from cumulative repaid", () => {
  const paid = fc.record({
    repaid: fc.bigInt({ min: 0n, max: 2n ** 70n }),
    amount: fc.bigInt({ min: 0n, max: 2n ** 64n }),
    installments: fc.integer({ min: 1, max: MAX_INSTALLMENTS }),
  });

  it("amounts_sumToRepaid_andFillInstallmentsInOrder", () => {
    fc.assert(
      fc.property(paid, ({ repaid, amount, installments }) => {
        const amounts = installmentAmounts(repaid, amount, installments);
        const completed = completedInstallments(repaid, amount, installments, false);
        expect(amounts).toHaveLength(installments);
        expect(amounts.reduce((sum, a) => sum + a, 0n)).toBe(repaid);
        // The completed ones are paid in full; the next holds any partial payment.
        expect(amounts.slice(0, completed).every((a) => a === amount)).toBe(true);
        if (completed < installments - 1) expect((amounts[completed] ?? 0n) < amount).toBe(true);
        expect(amounts.slice(completed + 1, -1).every((a) => a === 0n)).toBe(true);
      }),
      runs,
    );
  });

  it("lastInstallment_completesOnlyWithTheDebt", () => {
    fc.assert(
      fc.property(paid, ({ repaid, amount, installments }) => {
        expect(completedInstallments(repaid, amount, installments, true)).toBe(installments);
        expect(completedInstallments(repaid, amount, installments, false)).toBeLessThan(
          installments,
        );
      }),
      runs,
    );
  });

  it("payingEachRowInTurn_completesThatRow_andAttributesItsAmount", () => {
    // Paying each row's amount at its due time is what the chain's per-second
    // interest charges, so the debt is zero exactly when `remaining` is.
    fc.assert(
      fc.property(terms, (t) => {
        const { payment, rows } = annuitySchedule(t);
        let repaid = 0n;
        for (const [k, row] of rows.entries()) {
          repaid += row.amount;
          const debtIsZero = row.remaining === 0n;
          expect(completedInstallments(repaid, payment, t.installments, debtIsZero)).toBe(
            debtIsZero ? t.installments : k + 1,
          );
          expect(installmentAmounts(repaid, payment, t.installments)).toEqual(
            rows.map((r, i) => (i <= k ? r.amount : 0n)),
          );
        }
      }),
      { numRuns: 100 },
    );
  });

  it("zeroInstallmentAmount_isCoveredByAnyRepayment", () => {
    expect(completedInstallments(0n, 0n, 12, false)).toBe(11);
    expect(installmentAmounts(5n, 0n, 3)).toEqual([0n, 0n, 5n]);
  });
});

describe("bad input", () => {
  const valid = { principal: 1_000n, rateBps: 800n, periodSeconds: DAY, installments: 12 };

  it.each([
    [
      "installments",
      "InstallmentsOutOfRange",
      () => annuitySchedule({ ...valid, installments: 0 }),
    ],
    [
      "installments",
      "InstallmentsOutOfRange",
      () => annuitySchedule({ ...valid, installments: 361 }),
    ],
    [
      "installments",
      "InstallmentsOutOfRange",
      () => annuityPayment({ ...valid, installments: 1.5 }),
    ],
    ["installments", "InstallmentsOutOfRange", () => installmentAmounts(1n, 1n, 0)],
    ["installments", "InstallmentsOutOfRange", () => completedInstallments(1n, 1n, -1, false)],
    ["installments", "InstallmentsOutOfRange", () => installmentDueTimes(0n, DAY, 361, 1n)],
    ["principal", "ValueOutOfRange", () => annuitySchedule({ ...valid, principal: -1n })],
    ["principal", "ValueOutOfRange", () => annuityPayment({ ...valid, principal: 2n ** 128n })],
    ["rateBps", "ValueOutOfRange", () => annuitySchedule({ ...valid, rateBps: -1n })],
    ["rateBps", "ValueOutOfRange", () => periodRate(2n ** 32n, DAY)],
    ["periodSeconds", "ValueOutOfRange", () => annuitySchedule({ ...valid, periodSeconds: -1n })],
    ["periodSeconds", "ValueOutOfRange", () => periodRate(1n, 2n ** 64n)],
    ["startTime", "ValueOutOfRange", () => installmentDueTimes(-1n, DAY, 1, 1n)],
    ["dueBucketSeconds", "ValueOutOfRange", () => installmentDueTimes(0n, DAY, 1, 0n)],
    ["repaid", "ValueOutOfRange", () => installmentAmounts(-1n, 1n, 1)],
    ["installmentAmount", "ValueOutOfRange", () => completedInstallments(1n, -1n, 1, false)],
  ] as const)("%s_%s_isRejected", (field, code, run) => {
    expect(run).toThrow(ScheduleError);
    expect(run).toThrow(expect.objectContaining({ code, field }));
  });

  it("errors_nameTheFieldAndValue", () => {
    expect(() => annuitySchedule({ ...valid, installments: 0 }))
      .toThrowErrorMatchingInlineSnapshot(`
      [ScheduleError: installments is outside 1..360

      Details: got 0]
    `);
    expect(() => annuityPayment({ ...valid, principal: 2n ** 128n }))
      .toThrowErrorMatchingInlineSnapshot(`
      [ScheduleError: principal is outside 0..340282366920938463463374607431768211455

      Details: got 340282366920938463463374607431768211456]
    `);
  });
});
