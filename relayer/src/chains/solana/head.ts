// The chain's newest slot (`processed`), for display beside the finalized
// one the watcher reads: how far finality lags.
import type { JsonRpc } from "../rpc.ts";
import { slotSchema } from "./schemas.ts";

export function latestSlot(rpc: JsonRpc): Promise<bigint> {
  return rpc.quorumHeight("getSlot", (endpoint) =>
    endpoint.call("getSlot", [{ commitment: "processed" }], slotSchema),
  );
}
