// Loan arithmetic of LOANS.md, the reference the Solidity pool, the Solana
// program and the relayer's loan mirror agree with (shared/vectors/loan-math.json).
// Every result is exact and rounded down; inputs are checked against the
// widths the chains store them in.

export const BPS = 10_000n;
export const SECONDS_PER_YEAR = 31_536_000n;
/** Prices are stablecoin base units per 10^18 collateral base units. */
export const PRICE_SCALE = 10n ** 18n;

const U32_MAX = 2n ** 32n - 1n;
const U64_MAX = 2n ** 64n - 1n;
const U128_MAX = 2n ** 128n - 1n;

function assertWidth(name: string, value: bigint, max: bigint): void {
  if (value < 0n || value > max) throw new RangeError(`${name} ${value} is outside 0..${max}`);
}

/** Interest on `principal` at `rateBps` a year over `elapsedSeconds`. */
export function accruedInterest(
  principal: bigint,
  rateBps: bigint,
  elapsedSeconds: bigint,
): bigint {
  assertWidth("principal", principal, U128_MAX);
  assertWidth("rateBps", rateBps, U32_MAX);
  assertWidth("elapsedSeconds", elapsedSeconds, U64_MAX);
  return (principal * rateBps * elapsedSeconds) / (BPS * SECONDS_PER_YEAR);
}

/** Value of `amount` collateral base units at `price`, in stablecoin base units. */
export function collateralValue(amount: bigint, price: bigint): bigint {
  assertWidth("amount", amount, U128_MAX);
  assertWidth("price", price, U128_MAX);
  return (amount * price) / PRICE_SCALE;
}

/** Whether `debt` is above `ltvBps` of `value`: `debt × 10,000 > value × ltvBps`. */
export function exceedsLtv(debt: bigint, value: bigint, ltvBps: bigint): boolean {
  assertWidth("debt", debt, U128_MAX);
  assertWidth("ltvBps", ltvBps, U32_MAX);
  if (value < 0n) throw new RangeError(`value ${value} is negative`);
  return debt * BPS > value * ltvBps;
}
