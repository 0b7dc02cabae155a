// JSON-RPC over one or more endpoints of a chain (EVM and Solana speak
// JSON-RPC 2.0 alike). Every call has its own timeout
// and reports (chain, method, endpoint, outcome, seconds) to `onCall` for
// metrics. Two ways to read:
//
// - `request`: failover. Tries endpoints from the healthiest down, moving on
//   after a timeout or transport failure (a JSON-RPC error is an answer and is
//   thrown at once). For data the verifier re-checks anyway (logs, fees) and
//   for sending.
// - `quorum` / `quorumRead`: asks every endpoint and accepts the answer at
//   least `quorum` of them gave identically; an endpoint that answered
//   otherwise is reported to `onDisagreement` and outvoted, never a veto. For
//   data a signature depends on or that decides what exists (headers,
//   receipts, logs, packet accounts): one poisoned RPC must not be able to
//   feed us a forged block, hide a packet or stall us (DESIGN.md "Lessons":
//   quorum, not failover).
// - `quorumHeight`: a height every endpoint reports its own view of (heads
//   differ by a block or two between honest nodes): the highest that at
//   least `quorum` endpoints reach, so one endpoint can neither run us ahead
//   of finality nor hold us back.
//
// Endpoint URLs often carry API keys, so errors and metrics name an endpoint
// by a label (host, with the path elided), never by its full URL.
//
// Calls go out through undici's `request`, not `fetch`: no WHATWG Request,
// Response or body streams per call, a fraction of the CPU (measured: 237 µs
// against 648 µs a call to a local server, both sides in one process), and a
// relayer makes thousands a minute.
import { BaseError } from "@loanbridge/shared";
import { request as httpRequest } from "undici";
import type { z } from "zod";
import { withDeadline } from "../deadline.ts";

/** How one call to one endpoint ended; the metric label. */
export type RpcOutcome =
  | "ok"
  | "rpc_error"
  | "timeout"
  | "transport_error"
  | "http_error"
  | "invalid_response"
  /** Abandoned because the caller is stopping (its `signal` was aborted). */
  | "aborted";

export interface RpcCallEvent {
  chain: string;
  method: string;
  /** The endpoint's label (no path or credentials). */
  url: string;
  outcome: RpcOutcome;
  seconds: number;
}

export type RpcCallHook = (event: RpcCallEvent) => void;

/** An endpoint answered a quorum read otherwise than the accepted answer. */
export interface RpcDisagreementEvent {
  chain: string;
  method: string;
  /** The dissenting endpoint's label. */
  url: string;
}

export type RpcDisagreementHook = (event: RpcDisagreementEvent) => void;

export type RpcErrorKind = Exclude<RpcOutcome, "ok">;

/** One call to one endpoint failed. */
export class RpcError extends BaseError {
  override name = "RpcError";
  readonly method: string;
  readonly url: string;
  readonly kind: RpcErrorKind;
  /** JSON-RPC error code, for `rpc_error`; HTTP status for `http_error`. */
  readonly code: number | undefined;
  /** JSON-RPC error data (e.g. revert bytes), for `rpc_error`. */
  readonly data: unknown;

  constructor(
    message: string,
    fields: {
      method: string;
      url: string;
      kind: RpcErrorKind;
      code?: number;
      data?: unknown;
      cause?: unknown;
      details?: string;
    },
  ) {
    super(`${fields.method} at ${fields.url}: ${message}`, {
      ...(fields.cause === undefined ? {} : { cause: fields.cause }),
      ...(fields.details === undefined ? {} : { details: fields.details }),
    });
    this.method = fields.method;
    this.url = fields.url;
    this.kind = fields.kind;
    this.code = fields.code;
    this.data = fields.data;
  }
}

/** No answer to a quorum read had `quorum` endpoints behind it. Never sign on such data. */
export class RpcDisagreementError extends BaseError {
  override name = "RpcDisagreementError";
  readonly method: string;
  /** Each answering endpoint's label with a short fingerprint of its answer. */
  readonly answers: readonly { url: string; fingerprint: string }[];

  constructor(method: string, answers: readonly { url: string; fingerprint: string }[]) {
    super(`${method}: RPC endpoints disagree`, {
      details: answers.map((a) => `${a.url}=${a.fingerprint}`).join(", "),
    });
    this.method = method;
    this.answers = answers;
  }
}

/** Too few endpoints answered a quorum read. */
export class RpcQuorumError extends BaseError {
  override name = "RpcQuorumError";
  readonly method: string;
  readonly needed: number;
  readonly errors: readonly RpcError[];

  constructor(method: string, needed: number, answered: number, errors: readonly RpcError[]) {
    super(`${method}: ${answered} of the ${needed} endpoints needed answered`, {
      details: errors.map((e) => e.shortMessage).join("; "),
    });
    this.method = method;
    this.needed = needed;
    this.errors = errors;
  }
}

export class RpcConfigError extends BaseError {
  override name = "RpcConfigError";
}

export interface JsonRpcOptions {
  /** Chain name for metrics and errors, e.g. "ethereum". */
  chain: string;
  urls: readonly string[];
  /** Per call, per endpoint. Default 10 s. */
  timeoutMs?: number;
  /** Identical answers a quorum read needs. Default min(2, urls). */
  quorum?: number;
  onCall?: RpcCallHook;
  /** Each endpoint outvoted in a quorum read (for the disagreement metric and alert). */
  onDisagreement?: RpcDisagreementHook;
  /** For tests: sends the calls through this fetch instead (to see or change them). */
  fetch?: typeof fetch;
  /**
   * Aborted when the caller stops: every call in flight is abandoned at
   * once (kind `aborted`, no failover) and no new call is made.
   */
  signal?: AbortSignal;
}

const DEFAULT_TIMEOUT_MS = 10_000;
/**
 * How long a read of every endpoint waits for the rest once a quorum has
 * answered: enough for healthy endpoints to be counted (and outvote a liar),
 * short enough that a stalled one does not slow every read to its timeout.
 */
const QUORUM_GRACE_MS = 300;
/** Weight of the newest latency sample in an endpoint's running average. */
const LATENCY_WEIGHT = 0.2;

/** `host[:port]`, with `/…` when the URL has a path or query (they may hold an API key). */
export function endpointLabel(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new RpcConfigError("RPC endpoint is not a URL", { cause, details: "(not shown)" });
  }
  const hidden = (parsed.pathname !== "/" && parsed.pathname !== "") || parsed.search !== "";
  return `${parsed.host}${hidden ? "/…" : ""}`;
}

/** One endpoint: single calls with a timeout, and a health record for ordering. */
export class RpcEndpoint {
  readonly label: string;
  readonly #url: string;
  readonly #chain: string;
  readonly #timeoutMs: number;
  readonly #onCall: RpcCallHook | undefined;
  readonly #post: HttpPost;
  readonly #signal: AbortSignal | undefined;
  #nextId = 1;
  #consecutiveFailures = 0;
  #latencyMs: number | undefined;
  /** Methods this endpoint said it does not support (e.g. eth_getBlockReceipts). */
  readonly unsupported = new Set<string>();

  constructor(
    url: string,
    label: string,
    options: {
      chain: string;
      timeoutMs: number;
      onCall: RpcCallHook | undefined;
      post: HttpPost;
      signal?: AbortSignal | undefined;
    },
  ) {
    this.#url = url;
    this.label = label;
    this.#chain = options.chain;
    this.#timeoutMs = options.timeoutMs;
    this.#onCall = options.onCall;
    this.#post = options.post;
    this.#signal = options.signal;
  }

  /** A method, so the checker does not narrow the flag across awaits. */
  #stopping(): boolean {
    return this.#signal?.aborted === true;
  }

  /** Lower is healthier: failures in a row first, then average latency. */
  get health(): { consecutiveFailures: number; latencyMs: number | undefined } {
    return { consecutiveFailures: this.#consecutiveFailures, latencyMs: this.#latencyMs };
  }

  /**
   * One call. With `schema`, an answer that does not parse is an
   * `invalid_response` failure of this endpoint (so `request` fails over).
   */
  call(method: string, params: readonly unknown[]): Promise<unknown>;
  call<T>(method: string, params: readonly unknown[], schema: z.ZodType<T>): Promise<T>;
  async call(method: string, params: readonly unknown[], schema?: z.ZodType): Promise<unknown> {
    const started = performance.now();
    const finish = (outcome: RpcOutcome) => {
      const ms = performance.now() - started;
      // An answer, even an error answer, means the endpoint is up.
      if (outcome === "ok" || outcome === "rpc_error") {
        this.#consecutiveFailures = 0;
        this.#latencyMs =
          this.#latencyMs === undefined
            ? ms
            : this.#latencyMs + LATENCY_WEIGHT * (ms - this.#latencyMs);
      } else if (outcome !== "aborted") {
        this.#consecutiveFailures++;
      }
      this.#onCall?.({
        chain: this.#chain,
        method,
        url: this.label,
        outcome,
        seconds: ms / 1_000,
      });
    };
    const fail = (
      kind: RpcErrorKind,
      message: string,
      extra: { code?: number; data?: unknown; cause?: unknown; details?: string } = {},
    ) => {
      finish(kind);
      return new RpcError(message, { method, url: this.label, kind, ...extra });
    };

    if (this.#stopping()) throw fail("aborted", "stopping: call not made");
    const id = this.#nextId++;
    let status: number;
    let text: string;
    try {
      ({ status, text } = await withDeadline(this.#timeoutMs, this.#signal, (signal) =>
        this.#post(this.#url, JSON.stringify({ jsonrpc: "2.0", id, method, params }), signal),
      ));
    } catch (cause) {
      if (this.#stopping()) throw fail("aborted", "stopping: call abandoned", { cause });
      if (
        cause instanceof Error &&
        (cause.name === "TimeoutError" || cause.name === "AbortError")
      ) {
        throw fail("timeout", `no answer within ${this.#timeoutMs} ms`, { cause });
      }
      // The message names only the cause's code (undici's causes carry host:port, never the path).
      throw fail("transport_error", "request failed", { details: transportReason(cause), cause });
    }
    if (status < 200 || status > 299) {
      // Some servers answer JSON-RPC errors with 4xx/5xx: use the body when it is one.
      const body = parseJson(text);
      if (!isRpcErrorBody(body)) {
        throw fail("http_error", `HTTP ${status}`, { code: status });
      }
    }
    const body = parseJson(text);
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      throw fail("invalid_response", "answer is not a JSON-RPC response", {
        details: text.slice(0, 200),
      });
    }
    const reply = body as { id?: unknown; result?: unknown; error?: unknown };
    if (reply.error !== undefined && reply.error !== null) {
      const error = reply.error as { code?: unknown; message?: unknown; data?: unknown };
      const code = typeof error.code === "number" ? error.code : undefined;
      const message = typeof error.message === "string" ? error.message : "JSON-RPC error";
      throw fail("rpc_error", message, {
        ...(code === undefined ? {} : { code }),
        data: error.data,
      });
    }
    if (!("result" in reply) || reply.id !== id) {
      throw fail("invalid_response", "answer has no result or another id", {
        details: text.slice(0, 200),
      });
    }
    if (schema === undefined) {
      finish("ok");
      return reply.result;
    }
    const parsed = schema.safeParse(reply.result);
    if (!parsed.success) {
      throw fail("invalid_response", "answer does not have the expected shape", {
        details: parsed.error.issues
          .slice(0, 3)
          .map((issue) => `${issue.path.join(".")}: ${issue.message}`)
          .join("; "),
      });
    }
    finish("ok");
    return parsed.data;
  }
}

/** A chain's endpoints, read by failover or by quorum. */
export class JsonRpc {
  readonly chain: string;
  readonly quorumSize: number;
  readonly endpoints: readonly RpcEndpoint[];
  readonly #onDisagreement: RpcDisagreementHook | undefined;

  constructor(options: JsonRpcOptions) {
    if (options.urls.length === 0) throw new RpcConfigError("no RPC endpoint configured");
    const quorum = options.quorum ?? Math.min(2, options.urls.length);
    if (!Number.isInteger(quorum) || quorum < 1 || quorum > options.urls.length) {
      throw new RpcConfigError(
        `quorum must be between 1 and the ${options.urls.length} endpoints, got ${quorum}`,
      );
    }
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!(timeoutMs > 0)) throw new RpcConfigError(`timeoutMs must be positive`);
    this.chain = options.chain;
    this.quorumSize = quorum;
    this.#onDisagreement = options.onDisagreement;
    const seen = new Map<string, number>();
    this.endpoints = options.urls.map((url) => {
      const base = endpointLabel(url);
      const count = (seen.get(base) ?? 0) + 1;
      seen.set(base, count);
      return new RpcEndpoint(url, count === 1 ? base : `${base}#${count}`, {
        chain: options.chain,
        timeoutMs,
        onCall: options.onCall,
        post: options.fetch === undefined ? undiciPost : fetchPost(options.fetch),
        signal: options.signal,
      });
    });
  }

  /**
   * One answer, by failover: endpoints from the healthiest, the next one after
   * a timeout or transport failure. A JSON-RPC error answer is thrown as is.
   */
  request(method: string, params?: readonly unknown[]): Promise<unknown>;
  request<T>(method: string, params: readonly unknown[], schema: z.ZodType<T>): Promise<T>;
  async request(
    method: string,
    params: readonly unknown[] = [],
    schema?: z.ZodType,
  ): Promise<unknown> {
    let last: RpcError | undefined;
    for (const endpoint of this.#byHealth()) {
      try {
        return schema === undefined
          ? await endpoint.call(method, params)
          : await endpoint.call(method, params, schema);
      } catch (error) {
        if (
          !(error instanceof RpcError) ||
          error.kind === "rpc_error" ||
          error.kind === "aborted"
        ) {
          throw error;
        }
        last = error;
      }
    }
    throw last ?? new RpcConfigError("no RPC endpoint configured");
  }

  /**
   * `method` sent to every endpoint at once, for a transaction: one endpoint
   * that swallows or refuses it must not keep it from the chain (failover
   * would keep choosing an endpoint that answers but drops it). Resolves
   * with the first answer; when none accepted it, throws the first JSON-RPC
   * error answer (the chain's verdict, e.g. a nonce too low), else the first
   * failure.
   */
  async broadcast<T>(method: string, params: readonly unknown[], schema: z.ZodType<T>): Promise<T> {
    const { answers, errors } = await this.readAll(
      (endpoint) => endpoint.call(method, params, schema),
      (sofar) => sofar.length > 0,
    );
    const [first] = answers;
    if (first !== undefined) return first.value;
    const verdict = errors.find((error) => error.kind === "rpc_error") ?? errors[0];
    throw verdict ?? new RpcConfigError("no RPC endpoint configured");
  }

  /**
   * `method` through every endpoint, each answer parsed by `schema` (which
   * drops fields it does not name) and compared as canonical JSON; see
   * `quorumRead`.
   */
  quorum<T>(method: string, params: readonly unknown[], schema: z.ZodType<T>): Promise<T> {
    return this.quorumRead(method, (endpoint) => endpoint.call(method, params, schema));
  }

  /**
   * Runs `read` against every endpoint at once and returns the answer that at
   * least `quorum` endpoints gave, identical under `canonical`. Endpoints that
   * answered otherwise are reported to `onDisagreement` and outvoted. Throws
   * `RpcDisagreementError` when no answer (or more than one) has a quorum
   * behind it although a quorum answered, `RpcQuorumError` when too few
   * endpoints answered. `read` may throw `RpcError` (counted as no answer) or
   * anything else (rethrown).
   */
  async quorumRead<T>(
    what: string,
    read: (endpoint: RpcEndpoint) => Promise<T>,
    canonical: (answer: T) => string = canonicalJson,
  ): Promise<T> {
    // With a strict-majority quorum, no other answer can gather one once one
    // has: return then, and judge the endpoints still answering as they do.
    const decisive = 2 * this.quorumSize > this.endpoints.length;
    const verdict: { form?: string } = {};
    const undecided: { endpoint: RpcEndpoint; value: T }[] = [];
    const judgeLate = (answer: { endpoint: RpcEndpoint; value: T }) => {
      if (verdict.form === undefined) undecided.push(answer);
      else if (canonical(answer.value) !== verdict.form) {
        this.#onDisagreement?.({ chain: this.chain, method: what, url: answer.endpoint.label });
      }
    };
    const { answers, errors } = await this.readAll(
      read,
      (sofar) => {
        if (!decisive) return false;
        const counts = new Map<string, number>();
        return sofar.some(({ value }) => {
          const form = canonical(value);
          const count = (counts.get(form) ?? 0) + 1;
          counts.set(form, count);
          return count >= this.quorumSize;
        });
      },
      judgeLate,
    );
    if (answers.length < this.quorumSize) {
      throw new RpcQuorumError(what, this.quorumSize, answers.length, errors);
    }
    const forms = answers.map(({ value }) => canonical(value));
    const votes = new Map<string, number>();
    for (const form of forms) votes.set(form, (votes.get(form) ?? 0) + 1);
    const carried = [...votes].filter(([, count]) => count >= this.quorumSize);
    const [winner] = carried;
    if (winner === undefined || carried.length > 1) {
      throw new RpcDisagreementError(
        what,
        answers.map(({ endpoint }, i) => ({
          url: endpoint.label,
          fingerprint: fingerprint(forms[i] ?? ""),
        })),
      );
    }
    answers.forEach(({ endpoint }, i) => {
      if (forms[i] !== winner[0]) {
        this.#onDisagreement?.({ chain: this.chain, method: what, url: endpoint.label });
      }
    });
    verdict.form = winner[0];
    for (const answer of undecided.splice(0)) judgeLate(answer);
    const accepted = answers[forms.indexOf(winner[0])];
    if (accepted === undefined) throw new RpcQuorumError(what, this.quorumSize, 0, errors);
    return accepted.value;
  }

  /**
   * A height read from every endpoint: the highest that at least `quorum`
   * endpoints report (the quorum-th highest answer). An endpoint reporting a
   * height far ahead cannot make us act before the others get there, and
   * one stuck behind cannot hold us back while a quorum is ahead of it.
   */
  async quorumHeight(
    what: string,
    read: (endpoint: RpcEndpoint) => Promise<bigint>,
  ): Promise<bigint> {
    const { answers, errors } = await this.readAll(read);
    const height = this.reachedByQuorum(answers.map(({ value }) => value));
    if (height === undefined) {
      throw new RpcQuorumError(what, this.quorumSize, answers.length, errors);
    }
    return height;
  }

  /** The highest of `values` (one per answering endpoint) that a quorum reaches; undefined with too few. */
  reachedByQuorum(values: readonly bigint[]): bigint | undefined {
    return [...values].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0))[this.quorumSize - 1];
  }

  /**
   * Runs `read` against every endpoint at once; answers and RPC errors apart.
   * Returns when every endpoint has settled, or earlier: as soon as `enough`
   * says the answers so far decide, or `QUORUM_GRACE_MS` after a quorum has
   * answered, so that one stalled endpoint does not hold every read to its
   * timeout (it counts as not having answered).
   */
  async readAll<T>(
    read: (endpoint: RpcEndpoint) => Promise<T>,
    enough: (answers: readonly { endpoint: RpcEndpoint; value: T }[]) => boolean = () => false,
    /** Answers that arrive after this returned (the caller may still judge them). */
    late?: (answer: { endpoint: RpcEndpoint; value: T }) => void,
  ): Promise<{
    answers: { endpoint: RpcEndpoint; value: T }[];
    errors: RpcError[];
  }> {
    const answers: { endpoint: RpcEndpoint; value: T }[] = [];
    const errors: RpcError[] = [];
    let grace: ReturnType<typeof setTimeout> | undefined;
    let returned = false;
    try {
      await new Promise<void>((resolve, reject) => {
        let settled = 0;
        const check = () => {
          if (settled === this.endpoints.length || enough(answers)) resolve();
          else if (answers.length >= this.quorumSize && grace === undefined) {
            grace = setTimeout(resolve, QUORUM_GRACE_MS);
          }
        };
        for (const endpoint of this.endpoints) {
          read(endpoint).then(
            (value) => {
              settled++;
              if (returned) {
                late?.({ endpoint, value });
                return;
              }
              answers.push({ endpoint, value });
              check();
            },
            (error: unknown) => {
              settled++;
              // Not an RPC failure (a bug, a parse of a decided answer): the caller's.
              if (!(error instanceof RpcError)) {
                reject(error instanceof Error ? error : new Error(String(error)));
              } else {
                errors.push(error);
                check();
              }
            },
          );
        }
        check();
      });
    } finally {
      clearTimeout(grace);
      returned = true;
    }
    // Configured order, not arrival order: ties and reports stay deterministic.
    const order = (endpoint: RpcEndpoint) => this.endpoints.indexOf(endpoint);
    answers.sort((a, b) => order(a.endpoint) - order(b.endpoint));
    return { answers: [...answers], errors: [...errors] };
  }

  #byHealth(): RpcEndpoint[] {
    // Stable sort: ties keep the configured order (the first URL is preferred).
    return [...this.endpoints].sort((a, b) => {
      const ha = a.health;
      const hb = b.health;
      if (ha.consecutiveFailures !== hb.consecutiveFailures) {
        return ha.consecutiveFailures - hb.consecutiveFailures;
      }
      return 0;
    });
  }
}

/** JSON with object keys sorted, so key order never makes answers differ. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => {
    if (typeof inner === "bigint") return `0x${inner.toString(16)}`;
    if (inner === null || typeof inner !== "object" || Array.isArray(inner)) return inner;
    const record = inner as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(record)
        .sort()
        .map((key) => [key, record[key]]),
    );
  });
}

/** Whether a method is missing on an endpoint (as opposed to failing). */
export function isMethodUnsupported(error: unknown): boolean {
  if (!(error instanceof RpcError) || error.kind !== "rpc_error") return false;
  // -32601 method not found (spec); -32004 "not supported" (Hardhat, some providers).
  if (error.code === -32601 || error.code === -32004) return true;
  return /not supported|not found|does not exist|unsupported|not available/i.test(
    error.shortMessage,
  );
}

/** `0x`-hex quantity of a non-negative integer. */
export const toQuantity = (value: bigint | number): string => `0x${value.toString(16)}`;

function fingerprint(form: string): string {
  // FNV-1a: only to tell answers apart in an error message, not for security.
  let hash = 0x811c9dc5;
  for (let i = 0; i < form.length; i++) {
    hash ^= form.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, "0");
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isRpcErrorBody(body: unknown): boolean {
  return typeof body === "object" && body !== null && "error" in body;
}

function transportReason(cause: unknown): string {
  if (cause instanceof Error) {
    // undici's request puts the code on the error, fetch on its cause.
    for (const error of [cause, cause.cause]) {
      if (typeof error === "object" && error !== null && "code" in error) {
        return String(error.code);
      }
    }
    return cause.name;
  }
  return "unknown";
}

/** One JSON-RPC POST: the HTTP status and the body's text. */
type HttpPost = (
  url: string,
  body: string,
  signal: AbortSignal,
) => Promise<{ status: number; text: string }>;

const JSON_HEADERS = { "content-type": "application/json" };

const undiciPost: HttpPost = async (url, body, signal) => {
  const answer = await httpRequest(url, { method: "POST", headers: JSON_HEADERS, body, signal });
  return { status: answer.statusCode, text: await answer.body.text() };
};

const fetchPost =
  (doFetch: typeof fetch): HttpPost =>
  async (url, body, signal) => {
    const answer = await doFetch(url, { method: "POST", headers: JSON_HEADERS, body, signal });
    return { status: answer.status, text: await answer.text() };
  };
