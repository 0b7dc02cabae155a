// Test helpers shared by the chains' tests.
import { setTimeout as sleep } from "node:timers/promises";
import { JsonRpc } from "./rpc.ts";

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

/** One JSON-RPC call as a client sends it. */
export interface RpcCall {
  method: string;
  params: unknown[];
}

/**
 * A client to the node at `url` whose calls pass through `hooks`: `before`
 * each goes out (a rejection fails the call, which never reaches the node),
 * and `after` the node answered, before the answer comes back.
 */
export function hookedRpc(
  chain: string,
  url: string,
  hooks: {
    before?: (call: RpcCall) => Promise<void> | void;
    after?: (call: RpcCall) => Promise<void> | void;
  },
): JsonRpc {
  return new JsonRpc({
    chain,
    urls: [url],
    fetch: async (input, init) => {
      const body = typeof init?.body === "string" ? init.body : "{}";
      const { method = "", params = [] } = JSON.parse(body) as Partial<RpcCall>;
      await hooks.before?.({ method, params });
      const answer = await fetch(input, init);
      await hooks.after?.({ method, params });
      return answer;
    },
  });
}
