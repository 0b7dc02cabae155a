// Where finality ends on an EVM chain: the `finalized` (or `safe`) block tag
// on chains that have one (Ethereum, anvil with --slots-in-an-epoch), or the
// latest block minus a number of confirmations on dev chains whose
// `finalized` is just `latest` (hardhat node).
import { z } from "zod";
import { type JsonRpc, RpcQuorumError } from "../rpc.ts";
import { quantitySchema } from "./schemas.ts";

export type EvmFinality =
  { kind: "tag"; tag: "finalized" | "safe" } | { kind: "confirmations"; confirmations: number };

const headSchema = z.object({ number: quantitySchema }).nullable();

/**
 * The finalized head: asked of every endpoint, at least a quorum must answer,
 * and the lowest answer wins (a lagging or lying endpoint can delay us, never
 * make us treat an unfinalized block as final). Genesis is final by definition,
 * so a chain too young for the tag reports 0.
 */
export async function finalizedHead(rpc: JsonRpc, finality: EvmFinality): Promise<bigint> {
  const method = finality.kind === "tag" ? "eth_getBlockByNumber" : "eth_blockNumber";
  const { answers, errors } = await rpc.readAll(async (endpoint) => {
    if (finality.kind === "tag") {
      const block = await endpoint.call(method, [finality.tag, false], headSchema);
      return block === null ? 0n : BigInt(block.number);
    }
    const latest = BigInt(await endpoint.call(method, [], quantitySchema));
    const head = latest - BigInt(finality.confirmations);
    return head < 0n ? 0n : head;
  });
  if (answers.length < rpc.quorumSize) {
    throw new RpcQuorumError(method, rpc.quorumSize, answers.length, errors);
  }
  return answers.reduce((min, { value }) => (value < min ? value : min), answers[0]?.value ?? 0n);
}

export function assertFinality(finality: EvmFinality): void {
  if (
    finality.kind === "confirmations" &&
    (!Number.isInteger(finality.confirmations) || finality.confirmations < 0)
  ) {
    throw new RangeError(`confirmations must be a non-negative integer`);
  }
}
