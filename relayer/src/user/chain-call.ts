// The edge where a command's chain call fails: whatever ethers, kit or the
// solana-program client threw becomes one typed error that names the chain
// (and its RPC, redacted) and, for a refusal, the decoded error and what to
// do. `cli.ts` prints any of them and exits 1 (they are BaseErrors).
import { BaseError } from "@loanbridge/shared";
import type { JsonRpcProvider } from "ethers";
import { UsageError } from "../usage.ts";
import {
  ChainCallError,
  decodeRevert,
  decodeSolanaFailure,
  deployedErrorInterface,
  isEmptyResult,
  revertDataOf,
} from "./chain-errors.ts";
import { causes, redactUrl, type RpcEndpoint, RpcUnreachableError, unreachableOf } from "./rpc.ts";

export interface ChainCallContext {
  endpoint: RpcEndpoint;
  /** For the hints that name `loanbridge status <loanId>`. */
  loanId?: string;
  /** Solana: the loanbridge program, whose errors the IDL names. */
  programId?: string;
  /** EVM: the network file's contracts by field (`evm.pool` …), to find the one with no code. */
  contracts?: Readonly<Record<string, string>>;
  provider?: JsonRpcProvider;
}

/** An EVM call answered nothing: no contract at one of the network file's addresses. */
export class NoContractError extends BaseError {
  override name = "NoContractError";
}

/** A chain call failed in a way nothing here decodes: its own message, with the chain and RPC. */
export class ChainFailedError extends BaseError {
  override name = "ChainFailedError";
}

/** Errors that already say what they have to: passed on as they are. */
const EXPLAINED = [
  UsageError,
  RpcUnreachableError,
  ChainCallError,
  NoContractError,
  ChainFailedError,
];

/** Runs one chain call; a failure comes out explained (see `explainFailure`). */
export async function onChain<T>(
  context: ChainCallContext,
  action: string,
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw await explainFailure(context, action, error);
  }
}

/** The typed error for a failed chain call: unreachable, refused (decoded), no contract, or other. */
export async function explainFailure(
  context: ChainCallContext,
  action: string,
  error: unknown,
): Promise<Error> {
  if (EXPLAINED.some((type) => error instanceof type)) return error as Error;
  const { endpoint, loanId } = context;
  const unreachable = unreachableOf(error);
  if (unreachable !== undefined) return new RpcUnreachableError(endpoint, unreachable, error);
  if (endpoint.chain === "solana") {
    const decoded = decodeSolanaFailure(error, context.programId ?? "", loanId);
    if (decoded !== undefined) return new ChainCallError("solana", action, decoded);
  } else {
    const data = revertDataOf(error);
    // Without the ABIs (contracts not compiled) the revert is still named by its selector below.
    const errors = await deployedErrorInterface().catch(() => undefined);
    const decoded =
      data === undefined || errors === undefined ? undefined : decodeRevert(errors, data, loanId);
    if (decoded !== undefined) return new ChainCallError("evm", action, decoded);
    if (data !== undefined) {
      return new ChainCallError("evm", action, {
        name: `a revert no deployed contract declares (${data.slice(0, 10)})`,
        detail: "is the network file's deployment the one this relayer was built with?",
        hint: null,
      });
    }
    if (isEmptyResult(error)) {
      const missing = await contractsWithoutCode(context);
      if (missing.length > 0) {
        const list = missing.map(([field, at]) => `${at} (${field})`).join(", ");
        return new NoContractError(
          `${action} on evm failed: no contract at ${list} on evm ${redactUrl(endpoint.url)} (is the network file right?)`,
        );
      }
    }
  }
  return new ChainFailedError(
    `${action} on ${endpoint.chain} (${redactUrl(endpoint.url)}) failed: ${shortest(error)}`,
  );
}

/** The network file's contracts that hold no code; empty when that cannot be read either. */
async function contractsWithoutCode(context: ChainCallContext): Promise<[string, string][]> {
  const { contracts = {}, provider } = context;
  if (provider === undefined) return [];
  try {
    const codes = await Promise.all(
      Object.entries(contracts).map(
        async ([field, at]) => [field, at, await provider.getCode(at)] as const,
      ),
    );
    return codes.filter(([, , code]) => code === "0x").map(([field, at]) => [field, at]);
  } catch {
    return [];
  }
}

/** The first short message (ethers' `shortMessage`) in an error chain, else the error's message. */
function shortest(error: unknown): string {
  for (const link of causes(error)) {
    const short = (link as { shortMessage?: unknown } | null)?.shortMessage;
    if (typeof short === "string" && short !== "") return short;
  }
  return error instanceof Error ? error.message : String(error);
}
