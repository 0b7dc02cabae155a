// The installment schedule of LOANS.md "Installments (equal payments: an
// annuity)": the reference the Solidity `Annuity` library, the Rust
// `schedule` module and the relayer's loan mirror agree with
// (shared/vectors/loan-schedules.json). Every step rounds exactly as
// LOANS.md says; reordering a rounding changes the numbers on chain.
import { BaseError } from "../errors.ts";
import { accruedInterest, BPS, SECONDS_PER_YEAR } from "./math.ts";

/** Most installments a pool may allow (`maxInstallments ≤ MAX_INSTALLMENTS`). */
export const MAX_INSTALLMENTS = 360;
/** Fixed-point scale of `periodRate` and the discount factors. */
export const SCHEDULE_SCALE = 10n ** 18n;

const YEAR_BPS = BPS * SECONDS_PER_YEAR;
const U32_MAX = 2n ** 32n - 1n;
const U64_MAX = 2n ** 64n - 1n;
const U128_MAX = 2n ** 128n - 1n;

/** Why a schedule input was refused. */
export type ScheduleErrorName = "InstallmentsOutOfRange" | "ValueOutOfRange";

/** An input outside what the chains store; `field` names the argument. */
export class ScheduleError extends BaseError {
  override name = "ScheduleError";
  readonly code: ScheduleErrorName;
  readonly field: string;

  constructor(code: ScheduleErrorName, field: string, shortMessage: string, details: string) {
    super(shortMessage, { details });
    this.code = code;
    this.field = field;
  }
}

function assertRange(field: string, value: bigint, min: bigint, max: bigint): void {
  if (value < min || value > max) {
    throw new ScheduleError(
      "ValueOutOfRange",
      field,
      `${field} is outside ${min}..${max}`,
      `got ${value}`,
    );
  }
}

function assertNonNegative(field: string, value: bigint): void {
  if (value < 0n) {
    throw new ScheduleError("ValueOutOfRange", field, `${field} is negative`, `got ${value}`);
  }
}

function assertInstallments(installments: number): void {
  if (!Number.isInteger(installments) || installments < 1 || installments > MAX_INSTALLMENTS) {
    throw new ScheduleError(
      "InstallmentsOutOfRange",
      "installments",
      `installments is outside 1..${MAX_INSTALLMENTS}`,
      `got ${installments}`,
    );
  }
}

const ceilDiv = (numerator: bigint, denominator: bigint): bigint =>
  (numerator + denominator - 1n) / denominator;
const minBigInt = (a: bigint, b: bigint): bigint => (a < b ? a : b);
const maxBigInt = (a: bigint, b: bigint): bigint => (a > b ? a : b);

/**
 * The interest rate of one period, scaled by SCHEDULE_SCALE and rounded up,
 * so a payment always covers the first period's interest.
 */
export function periodRate(rateBps: bigint, periodSeconds: bigint): bigint {
  assertRange("rateBps", rateBps, 0n, U32_MAX);
  assertRange("periodSeconds", periodSeconds, 0n, U64_MAX);
  return ceilDiv(SCHEDULE_SCALE * rateBps * periodSeconds, YEAR_BPS);
}

/**
 * `base^exponent` in SCHEDULE_SCALE fixed point, every product rounded down,
 * in LOANS.md's order: the other implementations square and multiply in the
 * same sequence, so they round at the same steps.
 */
function powerDown(base: bigint, exponent: number): bigint {
  let result = SCHEDULE_SCALE;
  let factor = base;
  let e = exponent;
  for (;;) {
    if (e % 2 === 1) result = (result * factor) / SCHEDULE_SCALE;
    e = Math.floor(e / 2);
    if (e === 0) return result;
    factor = (factor * factor) / SCHEDULE_SCALE;
  }
}

export type AnnuityTerms = {
  principal: bigint;
  rateBps: bigint;
  periodSeconds: bigint;
  installments: number;
};

function assertTerms({ principal, rateBps, periodSeconds, installments }: AnnuityTerms): void {
  assertRange("principal", principal, 0n, U128_MAX);
  assertRange("rateBps", rateBps, 0n, U32_MAX);
  assertRange("periodSeconds", periodSeconds, 0n, U64_MAX);
  assertInstallments(installments);
}

/** The equal payment per installment (the pool's `installmentAmount`). */
export function annuityPayment(terms: AnnuityTerms): bigint {
  assertTerms(terms);
  return paymentAt(terms, periodRate(terms.rateBps, terms.periodSeconds));
}

function paymentAt({ principal, installments }: AnnuityTerms, rate: bigint): bigint {
  if (rate === 0n) return ceilDiv(principal, BigInt(installments));
  // (1+r)^-1 is below SCALE, so every factor of the powering stays at most SCALE.
  const discount = (SCHEDULE_SCALE * SCHEDULE_SCALE) / (SCHEDULE_SCALE + rate);
  const discountN = powerDown(discount, installments);
  return ceilDiv(principal * rate, SCHEDULE_SCALE - discountN);
}

/** One installment; `remaining` is the principal left after it. */
export type ScheduleRow = {
  /** 1-based. */
  index: number;
  interest: bigint;
  principal: bigint;
  amount: bigint;
  remaining: bigint;
};

export type AnnuitySchedule = {
  periodRate: bigint;
  payment: bigint;
  rows: ScheduleRow[];
};

/** The whole schedule: the payment and each installment's split. */
export function annuitySchedule(terms: AnnuityTerms): AnnuitySchedule {
  assertTerms(terms);
  const rate = periodRate(terms.rateBps, terms.periodSeconds);
  const payment = paymentAt(terms, rate);
  const rows: ScheduleRow[] = [];
  let remaining = terms.principal;
  for (let index = 1; index <= terms.installments; index++) {
    const interest = accruedInterest(remaining, terms.rateBps, terms.periodSeconds);
    // payment ≥ interest of every row (periodRate is rounded up and remaining
    // only shrinks), so the principal part is never negative; the last row
    // takes whatever rounding left so the principal ends at exactly zero.
    const principal =
      index === terms.installments ? remaining : minBigInt(payment - interest, remaining);
    remaining -= principal;
    rows.push({ index, interest, principal, amount: interest + principal, remaining });
  }
  return { periodRate: rate, payment, rows };
}

/** `due_k = ⌈(startTime + k × periodSeconds) / W⌉ × W` for k = 1..installments. */
export function installmentDueTimes(
  startTime: bigint,
  periodSeconds: bigint,
  installments: number,
  dueBucketSeconds: bigint,
): bigint[] {
  assertRange("startTime", startTime, 0n, U64_MAX);
  assertRange("periodSeconds", periodSeconds, 0n, U64_MAX);
  assertInstallments(installments);
  assertRange("dueBucketSeconds", dueBucketSeconds, 1n, U64_MAX);
  return Array.from(
    { length: installments },
    (_, i) =>
      ceilDiv(startTime + BigInt(i + 1) * periodSeconds, dueBucketSeconds) * dueBucketSeconds,
  );
}

/**
 * What each installment k = 1..installments is attributed out of the loan's
 * cumulative `repaid`: `installmentAmount` each in order, the last one the
 * rest, so the amounts sum to `repaid`. Unpaid ones are zero, a partial one
 * counts toward the current installment.
 */
export function installmentAmounts(
  repaid: bigint,
  installmentAmount: bigint,
  installments: number,
): bigint[] {
  assertNonNegative("repaid", repaid);
  assertNonNegative("installmentAmount", installmentAmount);
  assertInstallments(installments);
  return Array.from({ length: installments }, (_, i) => {
    const before = maxBigInt(repaid - BigInt(i) * installmentAmount, 0n);
    return i + 1 === installments ? before : minBigInt(installmentAmount, before);
  });
}

/**
 * How many installments are paid: k < installments once
 * `repaid ≥ k × installmentAmount`, the last only once the debt is zero
 * (which pays every earlier one too).
 */
export function completedInstallments(
  repaid: bigint,
  installmentAmount: bigint,
  installments: number,
  debtIsZero: boolean,
): number {
  assertNonNegative("repaid", repaid);
  assertNonNegative("installmentAmount", installmentAmount);
  assertInstallments(installments);
  if (debtIsZero) return installments;
  // A zero installment amount (a zero principal) is covered by any repayment.
  if (installmentAmount === 0n) return installments - 1;
  const covered = repaid / installmentAmount;
  return covered >= BigInt(installments - 1) ? installments - 1 : Number(covered);
}
