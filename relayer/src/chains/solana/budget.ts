// A Solana delivery's compute budget, from what the cluster says: the
// compute-unit limit is the simulated units plus a margin (a transaction
// asking too few units fails, one asking many pays its priority fee on all
// of them), and the priority fee a percentile of the fees recently paid for
// the delivery's writable accounts (what competes for their write locks),
// between a floor and a cap the operator sets.

/** The most compute units a transaction may ask for. */
export const MAX_COMPUTE_UNIT_LIMIT = 1_400_000;

/** Added to the simulated units: `bps` of them plus `units`. */
export interface ComputeUnitMargin {
  bps: number;
  units: number;
}

/** Percentile of the recent fees, clamped to [floor, cap] (micro-lamports per unit). */
export interface PriorityFeePolicy {
  percentile: number;
  floor: bigint;
  cap: bigint;
}

/** The limit for a transaction that simulated at `simulated` units. */
export function computeUnitLimit(simulated: bigint, margin: ComputeUnitMargin): number {
  const withMargin =
    simulated + (simulated * BigInt(margin.bps) + 9_999n) / 10_000n + BigInt(margin.units);
  return Number(
    withMargin > BigInt(MAX_COMPUTE_UNIT_LIMIT) ? BigInt(MAX_COMPUTE_UNIT_LIMIT) : withMargin,
  );
}

/**
 * The priority fee for `recent` (getRecentPrioritizationFees, one per recent
 * slot): its `percentile` by nearest rank, never under the floor (a quiet or
 * local cluster reports zeros, and a delivery still wants to be preferred)
 * nor over the cap (a fee spike must not drain the payer).
 */
export function priorityFee(recent: readonly bigint[], policy: PriorityFeePolicy): bigint {
  const sorted = [...recent].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const rank = Math.ceil((policy.percentile / 100) * sorted.length);
  const market = sorted[Math.max(0, rank - 1)] ?? 0n;
  const floored = market < policy.floor ? policy.floor : market;
  return floored > policy.cap ? policy.cap : floored;
}
