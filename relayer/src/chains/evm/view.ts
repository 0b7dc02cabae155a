// One contract view call by quorum at a block: what the deliverer, the pool
// reader and the loan-app registry share.
import type { Interface, Result } from "ethers";
import { type JsonRpc, toQuantity } from "../rpc.ts";
import { hexSchema } from "./schemas.ts";

/** `fn(args)` of the contract at `to` (ABI `abi`) at `block`, as a quorum of endpoints answers it. */
export async function evmView(
  rpc: JsonRpc,
  abi: Interface,
  to: string,
  fn: string,
  args: readonly unknown[],
  block: bigint | "latest",
): Promise<Result> {
  const data = abi.encodeFunctionData(fn, args);
  const tag = block === "latest" ? block : toQuantity(block);
  const result = await rpc.quorum("eth_call", [{ to, data }, tag], hexSchema);
  return abi.decodeFunctionResult(fn, result);
}
