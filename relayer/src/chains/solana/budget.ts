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

/**
 * The compute units each kind of delivery needs, as simulations said: the
 * most since the kind's figure was started. A figure older than `maxAgeMs`
 * is still given out, marked for a refresh: the delivery that takes it
 * simulates beside its send, and that simulation starts the figure afresh.
 * One older than twice `maxAgeMs` (its refreshes failed) is not given out;
 * the next delivery of the kind simulates first. So one simulation's answer
 * (a one-off heavy delivery, or an RPC endpoint's lie) counts for
 * `maxAgeMs`, and twice that at most.
 */
export class UnitsByKind {
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  readonly #figures = new Map<string, { units: bigint; since: number }>();

  constructor(maxAgeMs: number, now: () => number = Date.now) {
    this.#maxAgeMs = maxAgeMs;
    this.#now = now;
  }

  /** The kind's units and whether they are due a refresh; none if unknown or too old. */
  get(kind: string): { units: bigint; refresh: boolean } | undefined {
    const figure = this.#figures.get(kind);
    if (figure === undefined) return undefined;
    const age = this.#now() - figure.since;
    if (age >= 2 * this.#maxAgeMs) return undefined;
    return { units: figure.units, refresh: age >= this.#maxAgeMs };
  }

  /** A delivery of `kind` simulated at `units`: the kind's figure raised, or started afresh. */
  simulated(kind: string, units: bigint): void {
    const figure = this.#figures.get(kind);
    if (figure === undefined || this.#now() - figure.since >= this.#maxAgeMs) {
      this.#figures.set(kind, { units, since: this.#now() });
    } else if (units > figure.units) {
      this.#figures.set(kind, { units, since: figure.since });
    }
  }
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
