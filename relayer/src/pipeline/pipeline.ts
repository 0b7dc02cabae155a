// The pipeline: one iteration runs every stage once over bounded batches
// (watch → verify → attest → gather/deliver, with the loan mirror inside
// watch and deliver). All progress lives in the store (cursors, packet
// statuses, attestations), so a restart simply runs the next iteration.
import { attestBatch } from "./attest.ts";
import type { PipelineContext } from "./context.ts";
import { deliverBatch } from "./deliver.ts";
import { snapshot, walletBalances } from "./snapshot.ts";
import { verifyBatch } from "./verify.ts";
import { watchAll, type WatchResult } from "./watch.ts";

export interface IterationResult {
  watched: WatchResult[];
  verified: number;
  attested: number;
  delivered: number;
}

export async function runIteration(context: PipelineContext): Promise<IterationResult> {
  const watched = await watchAll(context);
  const verified = await verifyBatch(context);
  const attested = await attestBatch(context);
  const delivered = await deliverBatch(context);
  try {
    await snapshot(context);
  } catch (error) {
    context.onError(error, "snapshot");
  }
  await walletBalances(context);
  return { watched, verified, attested, delivered };
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
  const run = async () => {
    while (!stopping()) {
      try {
        const result = await runIteration(context);
        options.onIteration?.(result);
      } catch (error) {
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
