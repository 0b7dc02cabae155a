// After each iteration: the store's packet counts and loan totals, for the
// metrics gauges (packetsCounted, loansCounted).
import type { PipelineContext } from "./context.ts";

/** Loans whose sides still disagree after this long are reported. */
export const DISAGREEMENT_GRACE_MS = 10 * 60_000;

export async function snapshot(context: PipelineContext): Promise<void> {
  const { store, events } = context;
  events.emit("packetsCounted", { counts: await store.countPacketsByStatus() });
  const [totals, disagreeing] = await Promise.all([
    store.loanTotals(),
    store.disagreeingLoans(DISAGREEMENT_GRACE_MS),
  ]);
  events.emit("loansCounted", { totals, disagreeing: disagreeing.length });
}
