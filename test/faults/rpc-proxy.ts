// A JSON-RPC fault proxy for the fault-injection tests: it sits in front of
// a real node (anvil, or the local Solana node), forwards every POST body as
// it came (single calls and batches), and applies one switchable fault mode
// at a time to the calls the mode is aimed at. Tests point a relayer, or the
// relayer's own watcher and verifier, at `proxy.url` and assert with
// `proxy.applied(mode)` that the fault really happened.
//
//   const proxy = await startRpcProxy({ chain: "evm", upstream: anvil.url });
//   await proxy.setMode({ mode: "hide" });            // every PacketSent log gone
//   await proxy.setMode({ mode: "http-error", status: 503, methods: ["eth_getLogs"] });
//   await proxy.setMode({ mode: "pass" });
//   await proxy.close();
//
// Modes: faults.ts (both chains), evm-faults.ts, solana-faults.ts.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type EvmMode, evmMode } from "./evm-faults.ts";
import { asIs, type Exchange, type HttpAnswer, type Mode, type UpstreamReply } from "./faults.ts";
import { isRpcCall, parseJson, type RpcCall, Upstream } from "./json-rpc.ts";
import { type SolanaMode, solanaMode } from "./solana-faults.ts";

export type { CommonMode } from "./faults.ts";
export type { EvmMode } from "./evm-faults.ts";
export type { SolanaMode } from "./solana-faults.ts";

export interface RpcProxy<Spec extends { mode: string }> {
  /** Where clients send their calls. */
  readonly url: string;
  /** The node behind the proxy. */
  readonly upstream: string;
  /** The mode in force ("pass" until the first `setMode`). */
  readonly mode: Spec | { mode: "pass" };
  /**
   * Switches the mode for requests arriving from now on (requests in flight
   * finish under the mode they met). Async: some modes read the node first
   * (a forged block is built from the real one).
   */
  setMode(spec: Spec | { mode: "pass" }): Promise<void>;
  /** How often a mode changed an answer (per call) or a request's fate (per request). */
  applied(mode: Spec["mode"]): number;
  /** HTTP requests received so far. */
  readonly requests: number;
  /** Closes the server, cutting held answers and open connections. */
  close(): Promise<void>;
}

export function startRpcProxy(options: {
  chain: "evm";
  upstream: string;
}): Promise<RpcProxy<EvmMode>>;
export function startRpcProxy(options: {
  chain: "solana";
  upstream: string;
}): Promise<RpcProxy<SolanaMode>>;
export async function startRpcProxy(options: {
  chain: "evm" | "solana";
  upstream: string;
}): Promise<RpcProxy<EvmMode> | RpcProxy<SolanaMode>> {
  return options.chain === "evm"
    ? serve<EvmMode>(options.upstream, evmMode)
    : serve<SolanaMode>(options.upstream, solanaMode);
}

async function serve<Spec extends { mode: string }>(
  upstreamUrl: string,
  build: (spec: Spec | { mode: "pass" }, upstream: Upstream) => Promise<Mode>,
): Promise<RpcProxy<Spec>> {
  const upstream = new Upstream(upstreamUrl);
  const closing = new AbortController();
  const counts = new Map<string, number>();
  let spec: Spec | { mode: "pass" } = { mode: "pass" };
  let current = await build(spec, upstream);
  let requests = 0;

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    requests++;
    const body = await readBody(request);
    // The mode in force when the request came: a switch meanwhile does not split an exchange.
    const mode = current;
    const name = spec.mode;
    const calls = callsOf(body);
    const targets = (call: RpcCall) => mode.methods === undefined || mode.methods.has(call.method);
    let forwarded: Promise<UpstreamReply> | undefined;
    const exchange: Exchange = {
      calls,
      forward: () => (forwarded ??= forward(upstreamUrl, body, closing.signal)),
      targets,
      applied: () => counts.set(name, (counts.get(name) ?? 0) + 1),
      upstream,
      signal: closing.signal,
    };
    // A request the mode is not aimed at (or that is not JSON-RPC at all) passes untouched.
    const answer = calls.some(targets)
      ? await mode.fault(exchange)
      : asIs(await exchange.forward());
    send(response, answer);
  };

  const server = createServer((request, response) => {
    if (request.method !== "POST") {
      response.writeHead(405).end();
      return;
    }
    handle(request, response).catch((error: unknown) => {
      if (response.headersSent || response.destroyed) return;
      response.writeHead(502, { "content-type": "text/plain" });
      response.end(`fault proxy: ${error instanceof Error ? error.message : String(error)}`);
    });
  });
  await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    upstream: upstreamUrl,
    get mode() {
      return spec;
    },
    async setMode(next) {
      current = await build(next, upstream);
      spec = next;
    },
    applied: (mode) => counts.get(mode) ?? 0,
    get requests() {
      return requests;
    },
    close: () =>
      new Promise<void>((closed) => {
        closing.abort();
        server.closeAllConnections();
        server.close(() => {
          closed();
        });
      }),
  };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((done, failed) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      done(Buffer.concat(chunks).toString("utf8"));
    });
    request.on("error", failed);
  });
}

/** The JSON-RPC calls in a body; none when it is not JSON-RPC (upstream answers that). */
function callsOf(body: string): RpcCall[] {
  let parsed: unknown;
  try {
    parsed = parseJson(body);
  } catch {
    return [];
  }
  const items: unknown[] = Array.isArray(parsed) ? (parsed as unknown[]) : [parsed];
  return items.every(isRpcCall) ? items : [];
}

async function forward(url: string, body: string, signal: AbortSignal): Promise<UpstreamReply> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
    signal,
  });
  return {
    status: response.status,
    contentType: response.headers.get("content-type") ?? "application/json",
    text: await response.text(),
  };
}

function send(response: ServerResponse, answer: HttpAnswer): void {
  switch (answer.kind) {
    case "reply":
      response.writeHead(answer.status, answer.headers).end(answer.body);
      return;
    case "reset":
      response.socket?.resetAndDestroy();
      return;
    case "silence":
      // Never answered: the client times out, or `close()` cuts the connection.
      return;
  }
}
