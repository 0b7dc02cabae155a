// The pipeline: one iteration runs every stage once over bounded batches
// (watch → verify → attest → gather/deliver, with the loan mirror inside
// watch and deliver; then the installment mirror reads lending pools). All
// progress lives in the store (cursors, packet statuses, attestations), so a
// restart simply runs the next iteration.
import { attestBatch } from "./attest.ts";
import { leaseOwner, type PipelineContext } from "./context.ts";
import { deliverBatch } from "./deliver.ts";
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
  const schedulesRead = await syncSchedules(context);
  try {
    await snapshot(context);
  } catch (error) {
    context.onError(error, "snapshot");
  }
  await walletBalances(context);
  return { watched, verified, attested, delivered, schedulesRead };
}

export interface PipelineLoop {
  /** Resolves when the loop has stopped (after `stop()`). */
  readonly done: Promise<void>;
  /** Asks the loop to stop after the current iteration; resolves when it has. */
  stop(): Promise<void>;
}

/**
 * Runs iterations every `pollIntervalMs` until stopped. An iteration that
 * throws (the store unreachable) is reported and the loop goes on.
 *
 * After an iteration that reported any error, the loop first gives back
 * every lease this relayer still holds: a packet whose store call failed
 * (the database went away mid-iteration) could not be released either, and
 * would otherwise sit leased, untouched, until its lease ran out (`leaseMs`,
 * a minute by default) after the store is back. Between iterations nothing
 * of this loop is in flight, so every lease of its owner is a leftover (the
 * daemon gives back a crashed run's leases the same way when it starts).
 * Until that succeeds, and the store answers its readiness ping (for the
 * embedded store: its data dir writable), no iteration runs, so no chain
 * is read for work the store could not record.
 */
export function startLoop(
  context: PipelineContext,
  options: { onIteration?: (result: IterationResult) => void } = {},
): PipelineLoop {
  const state = { stopping: false };
  // A function, so the checker does not narrow the flag across awaits.
  const stopping = (): boolean => state.stopping;
  let wake: (() => void) | undefined;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
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
  const run = async () => {
    while (!stopping()) {
      try {
        if (leftovers) {
          await context.store.ping();
          await context.store.releaseAllLeases(leaseOwner(context));
          leftovers = false;
        }
        const result = await runIteration(context);
        options.onIteration?.(result);
      } catch (error) {
        leftovers = true;
        context.onError(error, "iteration");
      }
      if (!stopping()) await sleep(context.settings.pollIntervalMs);
    }
  };
  const done = run();
  return {
    done,
    stop: async () => {
      state.stopping = true;
      wake?.();
      await done;
    },
  };
}
