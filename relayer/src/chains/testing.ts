// Test helpers shared by the chains' tests.
import { setTimeout as sleep } from "node:timers/promises";

/**
 * A meeting point for `count` callers: each `arrive()` waits until all
 * `count` have arrived ("with the others") or `timeoutMs` has passed
 * ("alone"). `released` lists how each arrival ended; arrivals after the
 * `count`th pass straight through and are not listed.
 */
export function meetingPoint(count: number, timeoutMs = 2_000) {
  let arrived = 0;
  let allArrived: () => void = () => undefined;
  const all = new Promise<void>((resolve) => (allArrived = resolve));
  const released: ("with the others" | "alone")[] = [];
  return {
    released,
    async arrive(): Promise<void> {
      if (arrived >= count) return;
      arrived += 1;
      if (arrived === count) allArrived();
      released.push(
        await Promise.race([
          all.then(() => "with the others" as const),
          sleep(timeoutMs).then(() => "alone" as const),
        ]),
      );
    },
  };
}
