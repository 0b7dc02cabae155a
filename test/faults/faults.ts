// What a fault is, and the faults both chains share. A mode is one small
// function from an HTTP exchange (the calls a client sent, and a way to get
// upstream's answer to them) to the HTTP answer the client gets. Faults on
// the transport (stall, malformed, http-error, drop) decide the whole HTTP
// answer; faults on content rewrite upstream's answer one call at a time
// (`rewriteCalls`). A request whose answers a mode leaves alone reaches the
// client as upstream's exact bytes (in a batch with one answer changed, the
// others keep their values).
import { setTimeout as sleep } from "node:timers/promises";
import {
  type RpcAnswer,
  type RpcCall,
  stringifyJson,
  type Upstream,
  parseJson,
} from "./json-rpc.ts";

/** Upstream's HTTP answer to the request as the client sent it. */
export interface UpstreamReply {
  status: number;
  contentType: string;
  text: string;
}

/** One HTTP request through the proxy, as a mode sees it. */
export interface Exchange {
  /** Its calls: one, or a batch's (empty when the body is not JSON-RPC). */
  readonly calls: readonly RpcCall[];
  /** Sends the body upstream unchanged (once, however often it is called). */
  forward(): Promise<UpstreamReply>;
  /** Whether the mode is aimed at this call (its `methods`). */
  targets(call: RpcCall): boolean;
  /** Counts one application of the mode, so a test can assert the fault happened. */
  applied(): void;
  /** For a mode's own reads of the node. */
  readonly upstream: Upstream;
  /** Aborted when the proxy closes: whatever a mode holds must let go. */
  readonly signal: AbortSignal;
}

/** What the client gets: an HTTP answer, a reset connection, or nothing at all. */
export type HttpAnswer =
  | { kind: "reply"; status: number; headers: Record<string, string>; body: string }
  | { kind: "reset" }
  | { kind: "silence" };

export type Fault = (exchange: Exchange) => Promise<HttpAnswer>;

/** A mode ready to run: the methods it is aimed at (every method when absent) and its fault. */
export interface Mode {
  methods?: ReadonlySet<string>;
  fault: Fault;
}

/** Every mode's spec may narrow it to some methods; calls to others pass untouched. */
export interface Targeted {
  methods?: readonly string[];
}

export type CommonMode =
  | { mode: "pass" }
  | ({ mode: "stall"; ms: number } & Targeted)
  | ({ mode: "malformed"; shape: "invalid-json" | "wrong-id" | "wrong-shape" } & Targeted)
  | ({ mode: "http-error"; status: 429 | 500 | 503; retryAfterSeconds?: number } & Targeted)
  | ({
      mode: "drop";
      /** Share of the targeted requests dropped, spread evenly (0.25: every 4th). */
      fraction: number;
      /**
       * Reset the connection, leave it open with no answer (until the client
       * gives up), or swallow it: answer success (a made-up transaction id)
       * without passing it on, as a black-holing provider does.
       */
      how: "reset" | "silence" | "swallow";
      /** The request reaches the node first (a sent transaction lands; only its answer is lost). */
      afterUpstream?: boolean;
    } & Targeted);

export const asIs = (reply: UpstreamReply): HttpAnswer => ({
  kind: "reply",
  status: reply.status,
  headers: { "content-type": reply.contentType },
  body: reply.text,
});

const json = (status: number, body: unknown): HttpAnswer => ({
  kind: "reply",
  status,
  headers: { "content-type": "application/json" },
  body: stringifyJson(body),
});

/**
 * Upstream's answers with each targeted call's answer passed through
 * `rewrite` (which returns the changed answer, or undefined to keep it).
 * Each changed answer counts as one application; with none changed the
 * client gets upstream's bytes.
 */
export async function rewriteCalls(
  exchange: Exchange,
  rewrite: (
    call: RpcCall,
    answer: RpcAnswer,
  ) => RpcAnswer | undefined | Promise<RpcAnswer | undefined>,
): Promise<HttpAnswer> {
  const reply = await exchange.forward();
  let parsed: unknown;
  try {
    parsed = parseJson(reply.text);
  } catch {
    return asIs(reply);
  }
  const answers = (Array.isArray(parsed) ? parsed : [parsed]) as RpcAnswer[];
  // Batch answers may come in any order: match them to calls by id.
  const calls = new Map(exchange.calls.map((call) => [String(call.id), call]));
  const rewritten = await Promise.all(
    answers.map(async (answer) => {
      const call = calls.get(String(answer.id));
      if (call === undefined || !exchange.targets(call)) return answer;
      const next = await rewrite(call, answer);
      if (next === undefined) return answer;
      exchange.applied();
      return next;
    }),
  );
  if (rewritten.every((answer, i) => answer === answers[i])) return asIs(reply);
  return json(reply.status, Array.isArray(parsed) ? rewritten : rewritten[0]);
}

/** The result of a successful answer, for rewriters that only touch results. */
export const resultOf = (answer: RpcAnswer): unknown =>
  answer.error === undefined ? answer.result : undefined;

export function commonMode(spec: CommonMode): Mode {
  const methods =
    spec.mode === "pass" || spec.methods === undefined ? undefined : new Set(spec.methods);
  const mode = (fault: Fault): Mode => (methods === undefined ? { fault } : { methods, fault });
  switch (spec.mode) {
    case "pass":
      return mode(async (exchange) => asIs(await exchange.forward()));
    case "stall":
      // The node has the request at once (a transaction lands); only the answer is late.
      return mode(async (exchange) => {
        const reply = await exchange.forward();
        exchange.applied();
        try {
          await sleep(spec.ms, undefined, { signal: exchange.signal });
        } catch {
          return { kind: "reset" };
        }
        return asIs(reply);
      });
    case "malformed":
      return mode(malformed(spec.shape));
    case "http-error":
      return mode((exchange) => {
        exchange.applied();
        return Promise.resolve({
          kind: "reply",
          status: spec.status,
          headers: {
            "content-type": "text/plain",
            "retry-after": String(spec.retryAfterSeconds ?? 1),
          },
          body: spec.status === 429 ? "Too Many Requests" : "upstream unavailable",
        });
      });
    case "drop":
      return mode(drop(spec));
  }
}

function malformed(shape: "invalid-json" | "wrong-id" | "wrong-shape"): Fault {
  if (shape === "invalid-json") {
    return async (exchange) => {
      const reply = await exchange.forward();
      exchange.applied();
      // Cut in half: what a proxy that drops the connection mid-body leaves.
      return { ...asIs(reply), body: reply.text.slice(0, Math.floor(reply.text.length / 2)) };
    };
  }
  return (exchange) =>
    rewriteCalls(exchange, (_call, answer) =>
      shape === "wrong-id"
        ? { ...answer, id: `not-${String(answer.id)}` }
        : // A result no schema of ours accepts: not a quantity, list or account.
          { jsonrpc: "2.0", id: answer.id, result: { unexpected: true } },
    );
}

function drop(spec: Extract<CommonMode, { mode: "drop" }>): Fault {
  if (!(spec.fraction >= 0 && spec.fraction <= 1)) {
    throw new RangeError(`drop fraction must be within [0, 1], got ${spec.fraction}`);
  }
  // Evenly spread rather than random, so a test can assert exactly which requests were lost.
  let credit = 0;
  return async (exchange) => {
    credit += spec.fraction;
    // With slack for float sums (ten times 0.1 is 0.999…), so 0.1 drops exactly every 10th.
    const dropped = credit >= 1 - 1e-9;
    if (dropped) credit -= 1;
    if (spec.afterUpstream === true || !dropped) {
      const reply = await exchange.forward();
      if (!dropped) return asIs(reply);
    }
    exchange.applied();
    if (spec.how !== "swallow") return { kind: spec.how };
    const answers = exchange.calls.map((call) => ({
      jsonrpc: "2.0",
      id: call.id,
      result: call.method === "eth_sendRawTransaction" ? SWALLOWED_HASH : SWALLOWED_SIGNATURE,
    }));
    return json(200, answers.length === 1 ? answers[0] : answers);
  };
}

/** What a swallowing provider answers for a transaction it never passes on. */
const SWALLOWED_HASH = `0x${"ee".repeat(32)}`;
const SWALLOWED_SIGNATURE = "1".repeat(64);
