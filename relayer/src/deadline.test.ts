import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { withDeadline } from "./deadline.ts";

/** A request that waits for its signal and rejects with its reason. */
const waitForAbort = (signal: AbortSignal) =>
  new Promise<never>((_, reject) => {
    signal.addEventListener("abort", () => {
      reject(signal.reason as Error);
    });
  });

describe("withDeadline", () => {
  it("requestInTime_isItsAnswer", async () => {
    expect(await withDeadline(1_000, undefined, () => Promise.resolve(7))).toBe(7);
  });

  it("requestPastItsTime_isAbortedWithATimeoutError", async () => {
    const started = Date.now();

    const error = await withDeadline(50, undefined, waitForAbort).catch((e: unknown) => e);

    expect(error).toMatchObject({ name: "TimeoutError" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
  });

  it("longLivedSignalAborting_abortsTheRequestWithItsReason", async () => {
    const stop = new AbortController();
    const pending = withDeadline(60_000, stop.signal, waitForAbort).catch((e: unknown) => e);

    stop.abort(new Error("stopping"));

    expect(await pending).toMatchObject({ message: "stopping" });
  });

  it("alreadyAborted_requestSeesAnAbortedSignal", async () => {
    const stop = new AbortController();
    stop.abort(new Error("stopped"));

    const aborted = await withDeadline(60_000, stop.signal, (signal) =>
      Promise.resolve(signal.aborted),
    );

    expect(aborted).toBe(true);
  });

  it("settledRequest_leavesNoListenerOnTheLongLivedSignal_andItsTimerCleared", async () => {
    const stop = new AbortController();
    let listeners = 0;
    const add = stop.signal.addEventListener.bind(stop.signal);
    const remove = stop.signal.removeEventListener.bind(stop.signal);
    stop.signal.addEventListener = (...args: Parameters<typeof add>) => {
      listeners += 1;
      add(...args);
    };
    stop.signal.removeEventListener = (...args: Parameters<typeof remove>) => {
      listeners -= 1;
      remove(...args);
    };
    let seen: AbortSignal | undefined;

    for (let i = 0; i < 100; i++) {
      await withDeadline(20, stop.signal, (signal) => {
        seen = signal;
        return Promise.resolve(i);
      });
    }
    await sleep(40);

    expect(listeners).toBe(0);
    // Its time would have run out by now had the timer been left running.
    expect(seen?.aborted).toBe(false);
  });
});
