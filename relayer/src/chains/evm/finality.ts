// Where finality ends on an EVM chain: the `finalized` (or `safe`) block tag
// on chains that have one (Ethereum, anvil with --slots-in-an-epoch), or the
// latest block minus a number of confirmations on dev chains whose
// `finalized` is just `latest` (hardhat node).
import { z } from "zod";
import type { JsonRpc } from "../rpc.ts";
import { quantitySchema } from "./schemas.ts";

export type EvmFinality =
  { kind: "tag"; tag: "finalized" | "safe" } | { kind: "confirmations"; confirmations: number };

const headSchema = z.object({ number: quantitySchema }).nullable();

/**
 * The finalized head, asked of every endpoint: the highest that at least a
 * quorum of them report (`quorumHeight`), so one endpoint reporting a head
 * far ahead cannot make us treat an unfinalized block as final and one stuck
 * behind cannot stall us. Genesis is final by definition, so a chain too
 * young for the tag reports 0.
 */
export function finalizedHead(rpc: JsonRpc, finality: EvmFinality): Promise<bigint> {
  const method = finality.kind === "tag" ? "eth_getBlockByNumber" : "eth_blockNumber";
  return rpc.quorumHeight(method, async (endpoint) => {
    if (finality.kind === "tag") {
      const block = await endpoint.call(method, [finality.tag, false], headSchema);
      return block === null ? 0n : BigInt(block.number);
    }
    const latest = BigInt(await endpoint.call(method, [], quantitySchema));
    const head = latest - BigInt(finality.confirmations);
    return head < 0n ? 0n : head;
  });
}

/** The latest block, as a quorum of endpoints reports it (for display: how far finality lags). */
export function latestHead(rpc: JsonRpc): Promise<bigint> {
  return rpc.quorumHeight("eth_blockNumber", async (endpoint) =>
    BigInt(await endpoint.call("eth_blockNumber", [], quantitySchema)),
  );
}

export function assertFinality(finality: EvmFinality): void {
  if (
    finality.kind === "confirmations" &&
    (!Number.isInteger(finality.confirmations) || finality.confirmations < 0)
  ) {
    throw new RangeError(`confirmations must be a non-negative integer`);
  }
}
