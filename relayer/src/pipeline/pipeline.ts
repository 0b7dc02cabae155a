// The pipeline: watch → verify → attest → gather/deliver, with the loan
// mirror inside verify and deliver; then the installment mirror reads
// lending pools. All progress lives in the store (cursors, packet statuses,
// attestations), so a restart simply goes on.
//
// `runIteration` runs every stage once over bounded batches and waits for
// its deliveries (tests, one-shot runs). A running relayer (`startLoop`)
// hands packets on instead: a packet verified now is attested in the same
// pass, its attestation pushed to the peers at once, and deliveries run in
// flight beside the loop (at most `deliverConcurrency`), so no stage waits
// for another packet's confirmation. The loop goes round again at once
// while there is work (a delivery settling or a peer's pushed attestations
// wake it), and otherwise every `pollIntervalMs`, which is also how often
// sources are polled and the installment mirror runs; the gauges' store
// queries and wallet balances run every `gaugeIntervalMs` at most.
import type { Attestation } from "../chains/types.ts";
import { attestBatch } from "./attest.ts";
import { leaseOwner, type PipelineContext } from "./context.ts";
import { deliverBatch, DeliveriesInFlight, startDeliveries } from "./deliver.ts";
import { pushAttestations } from "./gather.ts";
import { syncSchedules } from "./schedules.ts";
import { snapshot, walletBalances } from "./snapshot.ts";
import { verifyBatch } from "./verify.ts";
import { watchAll, type WatchResult } from "./watch.ts";

export interface IterationResult {
  watched: WatchResult[];
  verified: number;
  attested: number;
  delivered: number;
  /** Loans whose installments were read from their lending pools. */
  schedulesRead: number;
}

export async function runIteration(context: PipelineContext): Promise<IterationResult> {
  const watched = await watchAll(context);
  const verified = await verifyBatch(context);
  const attested = await attestBatch(context);
  const delivered = await deliverBatch(context);
  const schedulesRead = await periodicWork(context, true);
  return { watched, verified, attested, delivered, schedulesRead };
}

/** The installment mirror, then (when `gauges`) the gauges' snapshot and wallet balances. */
async function periodicWork(context: PipelineContext, gauges: boolean): Promise<number> {
  const schedulesRead = await syncSchedules(context);
  if (!gauges) return schedulesRead;
  try {
    await snapshot(context);
  } catch (error) {
    context.onError(error, "snapshot");
  }
  await walletBalances(context);
  return schedulesRead;
}

export interface PipelineLoop {
  /** Resolves when the loop has stopped (after `stop()`). */
  readonly done: Promise<void>;
  /** Asks the loop to stop after the current pass; resolves when it and its deliveries have. */
  stop(): Promise<void>;
  /** Work may be waiting (a peer pushed attestations): go round now instead of sleeping. */
  wake(): void;
}

/**
 * Runs the pipeline until stopped; a pass that throws (the store
 * unreachable) is reported and the loop goes on.
 *
 * After a pass that reported any error, the loop first gives back every
 * lease this relayer holds except those of its deliveries in flight: a
 * packet whose store call failed (the database went away mid-pass) could
 * not be released either, and would otherwise sit leased, untouched, until
 * its lease ran out (`leaseMs`, a minute by default) after the store is
 * back. Between passes only the deliveries in flight hold leases (the
 * daemon gives back a crashed run's leases the same way when it starts).
 * Until that succeeds, and the store answers its readiness ping (for the
 * embedded store: its data dir writable), no pass runs, so no chain is read
 * for work the store could not record.
 */
export function startLoop(
  context: PipelineContext,
  options: { onIteration?: (result: IterationResult) => void } = {},
): PipelineLoop {
  const state = { stopping: false, woken: false };
  // Functions, so the checker does not narrow the flags across awaits.
  const stopping = (): boolean => state.stopping;
  const woken = (): boolean => state.woken;
  let wakeSleeper: (() => void) | undefined;
  const wake = () => {
    state.woken = true;
    wakeSleeper?.();
  };
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wakeSleeper = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  const deliveries = new DeliveriesInFlight(context.settings.deliverConcurrency ?? 1, wake);
  // This relayer's attestations made in a pass, pushed to the peers after it.
  const made: Attestation[] = [];
  const unsubscribe = context.events.on("packetAttested", (event) => {
    made.push({
      guid: event.guid,
      signer: event.signer,
      epoch: event.epoch,
      digest: event.digest,
      signature: event.signature,
    });
  });
  // Whether errors were reported since the leases were last known clean.
  // The context's reporter is wrapped in place, not copied with it: callers
  // keep changing the context the loop runs on (peers, executor).
  let leftovers = false;
  const report = context.onError;
  context.onError = (error, where, guid) => {
    leftovers = true;
    report(error, where, guid);
  };
  let polledAt = Number.NEGATIVE_INFINITY;
  let gaugedAt = Number.NEGATIVE_INFINITY;
  const pass = async (): Promise<{ result: IterationResult; busy: boolean }> => {
    const due = Date.now() - polledAt >= context.settings.pollIntervalMs;
    if (due) polledAt = Date.now();
    // Without an interval of their own, the gauges go with every poll.
    const gauges = due && Date.now() - gaugedAt >= (context.settings.gaugeIntervalMs ?? 0);
    if (gauges) gaugedAt = Date.now();
    const watched = due ? await watchAll(context) : [];
    const verified = await verifyBatch(context);
    const attested = await attestBatch(context);
    // Not awaited: a peer that hangs costs its requests' timeouts, never the pass.
    void pushAttestations(context, made.splice(0));
    const delivered = await startDeliveries(context, deliveries);
    const schedulesRead = due ? await periodicWork(context, gauges) : 0;
    const busy =
      watched.some((source) => source.observed > 0) ||
      verified > 0 ||
      attested > 0 ||
      delivered > 0;
    return { result: { watched, verified, attested, delivered, schedulesRead }, busy };
  };
  const run = async () => {
    while (!stopping()) {
      state.woken = false;
      let busy = false;
      try {
        if (leftovers) {
          await context.store.ping();
          await context.store.releaseAllLeases(leaseOwner(context), { except: deliveries.guids });
          leftovers = false;
        }
        const done = await pass();
        busy = done.busy;
        options.onIteration?.(done.result);
      } catch (error) {
        leftovers = true;
        context.onError(error, "iteration");
      }
      if (stopping() || woken() || (busy && !leftovers)) continue;
      const untilPoll = polledAt + context.settings.pollIntervalMs - Date.now();
      await sleep(Math.max(0, Math.min(context.settings.pollIntervalMs, untilPoll)));
    }
  };
  const done = run().finally(async () => {
    await deliveries.drained();
    unsubscribe();
  });
  return {
    done,
    stop: async () => {
      state.stopping = true;
      wakeSleeper?.();
      await done;
    },
    wake,
  };
}
