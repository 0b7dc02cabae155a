// After each iteration: the store's packet counts and oldest packet ages,
// its loan totals, and the executor's wallet balances, for the metrics
// gauges (packetsCounted, loansCounted, walletBalance).
import { kindOf, type PipelineContext } from "./context.ts";

/** Loans whose sides still disagree after this long are reported. */
export const DISAGREEMENT_GRACE_MS = 10 * 60_000;

export async function snapshot(context: PipelineContext): Promise<void> {
  const { store, events } = context;
  const [counts, oldestAgeSeconds] = await Promise.all([
    store.countPacketsByStatus(),
    store.oldestPacketAges(),
  ]);
  events.emit("packetsCounted", { counts, oldestAgeSeconds });
  const [totals, disagreeing] = await Promise.all([
    store.loanTotals(),
    store.disagreeingLoans(DISAGREEMENT_GRACE_MS),
  ]);
  events.emit("loansCounted", { totals, disagreeing: disagreeing.length });
}

/** The executor's paying account on each destination (others pay nothing). */
export async function walletBalances(context: PipelineContext): Promise<void> {
  if (!context.executor) return;
  for (const [eid, deliverer] of context.chains.deliverers) {
    const key = `walletBalance.${eid}`;
    if (context.backoff?.due(key) === false) continue;
    try {
      const { account, balance } = await deliverer.walletBalance();
      context.events.emit("walletBalance", { chain: kindOf(context, eid), eid, account, balance });
      context.backoff?.succeeded(key);
    } catch (error) {
      context.backoff?.failed(key);
      context.onError(error, key);
    }
  }
}
