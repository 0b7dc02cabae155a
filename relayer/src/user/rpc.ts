// How the borrower and lender commands reach a chain's RPC: every request has
// a deadline, and a node that refuses, hangs or cannot be found fails the
// command with the chain and the URL, never a bare "fetch failed" or a
// retry loop. URLs are shown without credentials, query or key-like path
// segments: providers put API keys there.
import { BaseError } from "@loanbridge/shared";
import { createDefaultRpcTransport, createSolanaRpcFromTransport, devnet } from "@solana/kit";
import { FetchRequest, JsonRpcProvider, type Network } from "ethers";
import type { ChainName } from "../api/views.ts";
import { UsageError } from "../usage.ts";
import { withDeadline } from "../deadline.ts";

export const DEFAULT_RPC_TIMEOUT_MS = 10_000;
/** Seconds; `--rpc-timeout` wins over it, and `status <loanId>` reads only this. */
export const RPC_TIMEOUT_ENV = "LOANBRIDGE_RPC_TIMEOUT_SECONDS";

/** One chain's RPC as the commands use it. */
export interface RpcEndpoint {
  chain: ChainName;
  url: string;
  timeoutMs: number;
}

/** The request deadline: `--rpc-timeout`, else the environment, else 10 s. */
export function rpcTimeoutMs(flag: string | undefined, env: NodeJS.ProcessEnv): number {
  const [value, source] =
    flag !== undefined ? [flag, "--rpc-timeout"] : [env[RPC_TIMEOUT_ENV], RPC_TIMEOUT_ENV];
  if (value === undefined) return DEFAULT_RPC_TIMEOUT_MS;
  const seconds = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || seconds <= 0) {
    throw new UsageError(`${source}: expected a number of seconds above 0, got "${value}"`);
  }
  return Math.round(seconds * 1000);
}

/** A path segment this long and opaque is most likely a key (`/v2/<key>`). */
const KEY_LIKE = /^[A-Za-z0-9_-]{20,}$/;

/** The URL without what may be secret: user info, query, fragment, key-like path segments. */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "<invalid URL>";
  }
  const path = parsed.pathname
    .split("/")
    .map((segment) => (KEY_LIKE.test(segment) ? "***" : segment))
    .join("/");
  const hidden = parsed.username !== "" || parsed.password !== "" || parsed.search !== "";
  return `${parsed.protocol}//${hidden ? "***@" : ""}${parsed.host}${path === "/" ? "" : path}`;
}

export type Unreachable = { kind: "timeout" } | { kind: "unreachable"; reason: string };

/** The chain's RPC did not answer in time, refused the connection, or answered with an HTTP error. */
export class RpcUnreachableError extends BaseError {
  override name = "RpcUnreachableError";
  readonly endpoint: RpcEndpoint;
  readonly why: Unreachable;
  constructor(endpoint: RpcEndpoint, why: Unreachable, cause?: unknown) {
    super(unreachableMessage(endpoint, why), { cause, details: "" });
    this.endpoint = endpoint;
    this.why = why;
  }
}

export function unreachableMessage(endpoint: RpcEndpoint, why: Unreachable): string {
  const where = `the ${endpoint.chain} RPC ${redactUrl(endpoint.url)}`;
  if (why.kind === "timeout") {
    return (
      `${where} did not answer within ${endpoint.timeoutMs / 1000} s ` +
      `(--rpc-timeout or ${RPC_TIMEOUT_ENV} waits longer)`
    );
  }
  return `cannot reach ${where}: ${why.reason} (is the node up, and ${endpoint.chain}.rpcUrl in the network file right?)`;
}

const CONNECTION_CODES: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host not found",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  UND_ERR_SOCKET: "connection closed",
};

/** Each error in a cause chain, outermost first (ethers nests under `error`, kit and fetch under `cause`). */
export function causes(error: unknown): unknown[] {
  const seen: unknown[] = [];
  let current = error;
  while (current !== undefined && current !== null && !seen.includes(current)) {
    seen.push(current);
    const next = current as { cause?: unknown; error?: unknown };
    current = next.cause ?? (next.error instanceof Error ? next.error : undefined);
  }
  return seen;
}

/**
 * Whether an error means the node was not reached (or did not answer):
 * a timeout (ethers `TIMEOUT`, an aborted fetch), a refused or failed
 * connection, or an HTTP error status. Anything else is the node's answer.
 */
export function unreachableOf(error: unknown): Unreachable | undefined {
  for (const link of causes(error)) {
    if (typeof link !== "object" || link === null) continue;
    const { name, code, message, context } = link as {
      name?: unknown;
      code?: unknown;
      message?: unknown;
      context?: { statusCode?: unknown; __code?: unknown };
    };
    if (name === "TimeoutError" || name === "AbortError" || code === "TIMEOUT") {
      return { kind: "timeout" };
    }
    if (typeof code === "string" && code in CONNECTION_CODES) {
      return { kind: "unreachable", reason: CONNECTION_CODES[code] ?? code };
    }
    if (typeof context?.statusCode === "number") {
      return { kind: "unreachable", reason: `HTTP ${context.statusCode}` };
    }
    const status = (link as { info?: { responseStatus?: unknown } }).info?.responseStatus;
    if (code === "SERVER_ERROR" && typeof status === "string") {
      return { kind: "unreachable", reason: `HTTP ${status}` };
    }
    if (message === "bad port") return { kind: "unreachable", reason: "a port fetch refuses" };
  }
  // fetch's own failure with no cause the loop recognised (e.g. a TLS error).
  if (error instanceof TypeError && error.message === "fetch failed") {
    return { kind: "unreachable", reason: "fetch failed" };
  }
  return undefined;
}

/**
 * An ethers provider whose every request has the deadline, on the chain
 * the node names once: `eth_chainId` is asked first (failing like any
 * request), then the network is fixed, so ethers never starts its
 * detection loop, which retries forever against a dead node.
 */
export async function evmProvider(endpoint: RpcEndpoint): Promise<JsonRpcProvider> {
  const request = new FetchRequest(endpoint.url);
  request.timeout = endpoint.timeoutMs;
  const probe = new JsonRpcProvider(request, undefined, { staticNetwork: true });
  let network: Network;
  try {
    network = await probe._detectNetwork();
  } catch (cause) {
    const why = unreachableOf(cause);
    if (why !== undefined) throw new RpcUnreachableError(endpoint, why, cause);
    throw cause;
  } finally {
    probe.destroy();
  }
  const provider = new JsonRpcProvider(request, network, { staticNetwork: network });
  provider.pollingInterval = 250;
  return provider;
}

/** A Solana RPC client whose every request is aborted after the deadline. */
export function solanaRpcFor(endpoint: RpcEndpoint) {
  const transport = createDefaultRpcTransport({ url: devnet(endpoint.url) });
  const timed = ((config: Parameters<typeof transport>[0]) =>
    withDeadline(endpoint.timeoutMs, config.signal, (signal) =>
      transport({ ...config, signal }),
    )) as typeof transport;
  return createSolanaRpcFromTransport(timed);
}
