// The relayer's HTTP API on node:http: health, readiness, metrics, and a
// read/act view of packets, attestations and loans for operators and peer
// relayers. Loopback by default; retry/deny need the admin bearer token and
// are audit-logged.
import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { BaseError } from "@loanbridge/shared";
import type { Registry } from "prom-client";
import type { z } from "zod";
import type { Attestation } from "../chains/types.ts";
import type { ApiConfig } from "../config/schema.ts";
import type { Secret } from "../config/secret.ts";
import type { RelayerEvents } from "../observability/events.ts";
import type { Logger } from "../observability/logger.ts";
import { StoreError } from "../store/errors.ts";
import type { Store } from "../store/store.ts";
import { ChainDirectory } from "./chains.ts";
import { lookUpBorrowers } from "./credit.ts";
import { EXPLORER_PATH, serveExplorer } from "./explorer.ts";
import { openApiDocument } from "./openapi.ts";
import {
  borrowerParam,
  denyBody,
  attestationsQuery,
  pushedAttestationsBody,
  guidParam,
  loanIdParam,
  loansQuery,
  noQuery,
  packetsQuery,
  retryBody,
} from "./params.ts";
import {
  type ChainProgress,
  toAttestationJson,
  toLoanView,
  toScheduleView,
  toPacketView,
  toStatusView,
} from "./present.ts";

/** One readiness check's result; `detail` says why when not ok. */
export interface CheckResult {
  ok: boolean;
  detail?: string;
}

/** The daemon's own readiness (chains polled recently, …), merged with the store's. */
export type ReadinessCallback = () =>
  Promise<Record<string, CheckResult>> | Record<string, CheckResult>;

/** What only the running daemon knows of each chain (by eid), for `/v1/status`. */
export type StatusCallback = () =>
  Promise<ReadonlyMap<number, ChainProgress>> | ReadonlyMap<number, ChainProgress>;

export interface ApiServerOptions {
  config: Pick<ApiConfig, "host" | "port" | "maxBodyBytes">;
  store: Store;
  registry: Registry;
  /** The loaded admin token; without it, retry/deny answer 403. */
  adminToken?: Secret | undefined;
  readiness?: ReadinessCallback;
  /** This relayer's signer addresses/keys: `/v1/attestations` serves only theirs. */
  attestationSigners?: readonly string[];
  events?: RelayerEvents;
  logger?: Logger;
  /** Names this relayer in `/v1/status`. */
  relayerId?: string;
  /** Chain names, assets and explorer links for the views; none known when absent. */
  chains?: ChainDirectory;
  status?: StatusCallback;
  /**
   * Takes attestations a peer pushed and returns how many were new and
   * valid (pipeline/gather.ts); without it this relayer takes none.
   */
  acceptAttestations?: (attestations: Attestation[]) => Promise<number>;
}

/** An HTTP error answer: status, a stable code, and the parameter at fault. */
export class ApiError extends BaseError {
  override name = "ApiError";
  readonly status: number;
  readonly code: string;
  readonly parameter: string | undefined;

  constructor(status: number, code: string, message: string, parameter?: string) {
    super(message);
    this.status = status;
    this.code = code;
    this.parameter = parameter;
  }
}

/**
 * The API's address is taken (another relayer, a second run, anything on
 * that port): names the setting to change, as the OS error does not.
 */
export class ApiPortInUseError extends BaseError {
  override name = "ApiPortInUseError";
  readonly host: string;
  readonly port: number;

  constructor(host: string, port: number, cause: unknown) {
    super(`api.port ${port} on ${host} is in use (set api.port or LOANBRIDGE_API_PORT)`, {
      cause,
    });
    this.host = host;
    this.port = port;
  }
}

type Method = "GET" | "POST";

interface Request {
  method: Method;
  params: string[];
  query: URLSearchParams;
  incoming: IncomingMessage;
}

interface Answer {
  status: number;
  body: unknown;
  contentType?: string;
  /** Added to (and over) the defaults: the explorer page's caching and CSP. */
  headers?: Record<string, string>;
}

interface Route {
  /** The path as /openapi.json writes it (`/v1/packets/{guid}`); its pattern unless given one. */
  path: string;
  pattern?: RegExp;
  /** False for what is served to browsers rather than the JSON API (not in /openapi.json). */
  openapi?: false;
  methods: Partial<Record<Method, (request: Request) => Promise<Answer>>>;
}

/** A route as the server serves it: path template and methods (HEAD with every GET). */
export interface ServedRoute {
  path: string;
  methods: Method[];
  openapi: boolean;
}

const patternOf = (route: Route): RegExp =>
  route.pattern ?? new RegExp(`^${route.path.replace(/\{[^}]+\}/g, "([^/]+)")}$`);

const JSON_TYPE = "application/json; charset=utf-8";
const READINESS_TIMEOUT_MS = 5_000;

export interface ApiServer {
  readonly server: Server;
  /** Every route, for the test that holds them equal to /openapi.json. */
  readonly routes: readonly ServedRoute[];
  /** Starts listening; resolves with the bound address (port 0 picks a free one). */
  listen(): Promise<{ host: string; port: number; url: string }>;
  close(): Promise<void>;
}

export function createApiServer(options: ApiServerOptions): ApiServer {
  const { store, registry, config, logger } = options;
  const tokenDigest =
    options.adminToken === undefined ? undefined : sha256(options.adminToken.reveal());

  const chains = options.chains ?? new ChainDirectory([]);
  let document: unknown;

  const routes: Route[] = [
    {
      path: "/healthz",
      methods: { GET: () => Promise.resolve({ status: 200, body: { status: "ok" } }) },
    },
    { path: "/readyz", methods: { GET: readiness } },
    {
      path: "/metrics",
      methods: {
        GET: async () => ({
          status: 200,
          body: await registry.metrics(),
          contentType: registry.contentType,
        }),
      },
    },
    {
      path: "/openapi.json",
      methods: {
        GET: ({ query }) => {
          parse(noQuery, queryObject(query), "query");
          document ??= openApiDocument();
          return Promise.resolve({ status: 200, body: document });
        },
      },
    },
    {
      path: "/v1/status",
      methods: {
        GET: async ({ query }) => {
          parse(noQuery, queryObject(query), "query");
          const [cursors, packets] = await Promise.all([
            store.listCursors(),
            store.countPacketsByStatus(),
          ]);
          const progress = (await options.status?.()) ?? new Map<number, ChainProgress>();
          const relayerId = options.relayerId ?? "";
          return {
            status: 200,
            body: toStatusView(relayerId, chains, { cursors, packets }, progress),
          };
        },
      },
    },
    {
      path: "/v1/attestations/{guid}",
      methods: {
        GET: async ({ params, query }) => {
          parse(noQuery, queryObject(query), "query");
          const guid = parse(guidParam, params[0], "guid");
          const attestations = await store.listAttestations(guid, {
            ...(options.attestationSigners !== undefined && {
              signers: options.attestationSigners,
            }),
          });
          return { status: 200, body: { guid, attestations: attestations.map(toAttestationJson) } };
        },
      },
    },
    {
      path: "/v1/attestations",
      methods: {
        GET: async ({ query }) => {
          const { guids } = parse(attestationsQuery, queryObject(query), "query");
          const attestations = await store.listAttestationsOf(guids, {
            ...(options.attestationSigners !== undefined && {
              signers: options.attestationSigners,
            }),
          });
          return { status: 200, body: { attestations: attestations.map(toAttestationJson) } };
        },
        POST: async (request) => {
          const raw = await readJson(request.incoming, config.maxBodyBytes);
          parse(noQuery, queryObject(request.query), "query");
          const { attestations } = parse(pushedAttestationsBody, raw, "body");
          if (options.acceptAttestations === undefined) {
            throw new ApiError(404, "not_found", "this relayer takes no pushed attestations");
          }
          const accepted = await options.acceptAttestations(attestations);
          return { status: 200, body: { received: attestations.length, accepted } };
        },
      },
    },
    {
      path: "/v1/packets",
      methods: {
        GET: async ({ query }) => {
          const page = await store.packetPage(parse(packetsQuery, queryObject(query), "query"));
          const packets = page.items.map((packet) => toPacketView(packet, chains));
          return { status: 200, body: { packets, nextCursor: page.nextCursor } };
        },
      },
    },
    {
      path: "/v1/packets/{guid}",
      methods: {
        GET: async ({ params, query }) => {
          parse(noQuery, queryObject(query), "query");
          const guid = parse(guidParam, params[0], "guid");
          const packet = await store.getPacket(guid);
          if (packet === undefined) throw notFound("packet", guid);
          return { status: 200, body: toPacketView(packet, chains) };
        },
      },
    },
    {
      path: "/v1/packets/{guid}/retry",
      methods: { POST: (request) => operatorAction("retry", request) },
    },
    {
      path: "/v1/packets/{guid}/deny",
      methods: { POST: (request) => operatorAction("deny", request) },
    },
    {
      path: "/v1/loans",
      methods: {
        GET: async ({ query }) => {
          const page = await store.loanPage(parse(loansQuery, queryObject(query), "query"));
          const loans = page.items.map((loan) => toLoanView(loan, chains));
          return { status: 200, body: { loans, nextCursor: page.nextCursor } };
        },
      },
    },
    {
      path: "/v1/loans/{loanId}",
      methods: {
        GET: async ({ params, query }) => {
          parse(noQuery, queryObject(query), "query");
          const loanId = parse(loanIdParam, params[0], "loanId");
          const loan = await store.getLoan(loanId);
          if (loan === undefined) throw notFound("loan", loanId);
          return { status: 200, body: toLoanView(loan, chains) };
        },
      },
    },
    {
      path: "/v1/loans/{loanId}/schedule",
      methods: {
        GET: async ({ params, query }) => {
          parse(noQuery, queryObject(query), "query");
          const loanId = parse(loanIdParam, params[0], "loanId");
          const loan = await store.getLoan(loanId);
          if (loan === undefined) throw notFound("loan", loanId);
          const view = toScheduleView(
            loan,
            await store.listInstallments(loanId),
            chains,
            new Date(),
          );
          if (view === undefined) {
            throw new ApiError(
              404,
              "not_found",
              `loan ${loanId}'s schedule is not recorded yet (read from its lending pool once the loan is active there)`,
            );
          }
          return { status: 200, body: view };
        },
      },
    },
    {
      path: "/v1/borrowers/{address}",
      methods: {
        GET: async ({ params, query }) => {
          parse(noQuery, queryObject(query), "query");
          const address = params[0] ?? "";
          const account = parse(borrowerParam, address, "address");
          const list = await lookUpBorrowers(store, chains, address, account, new Date());
          if (list.borrowers.length === 0) {
            throw new ApiError(404, "not_found", `no loan of or to ${address} is recorded`);
          }
          return { status: 200, body: list };
        },
      },
    },
    {
      path: "/",
      pattern: EXPLORER_PATH,
      openapi: false,
      methods: { GET: ({ params }) => serveExplorer(params[0] ?? "") },
    },
  ];
  const patterns = new Map(routes.map((route) => [route, patternOf(route)]));

  async function readiness(): Promise<Answer> {
    const checks: Record<string, CheckResult> = {};
    try {
      await withTimeout(store.ping(), READINESS_TIMEOUT_MS);
      checks.store = { ok: true };
    } catch (error) {
      checks.store = { ok: false, detail: `store unreachable: ${messageOf(error)}` };
    }
    if (options.readiness !== undefined) {
      try {
        Object.assign(
          checks,
          await withTimeout(Promise.resolve(options.readiness()), READINESS_TIMEOUT_MS),
        );
      } catch (error) {
        checks.readiness = { ok: false, detail: messageOf(error) };
      }
    }
    const ready = Object.values(checks).every((check) => check.ok);
    return { status: ready ? 200 : 503, body: { ready, checks } };
  }

  async function operatorAction(action: "retry" | "deny", request: Request): Promise<Answer> {
    authorize(request.incoming);
    const raw = await readJson(request.incoming, config.maxBodyBytes);
    parse(noQuery, queryObject(request.query), "query");
    const guid = parse(guidParam, request.params[0], "guid");
    const body = parse(action === "deny" ? denyBody : retryBody, raw, "body");
    const actor = body.actor ?? "admin";
    const before = await store.getPacket(guid);
    if (before === undefined) throw notFound("packet", guid);
    const audit = {
      actor,
      action: `packet.${action}`,
      subject: guid,
      detail: {
        from: before.status,
        remoteAddress: request.incoming.socket.remoteAddress ?? null,
        ...(body.reason !== undefined && { reason: body.reason }),
      },
    };
    const packet =
      action === "deny"
        ? await store.deny(guid, body.reason ?? "", { audit })
        : await store.requeue(guid, { audit });
    options.events?.emit("operatorAction", {
      guid,
      loanId: packet.loanId ?? undefined,
      action,
      actor,
      reason: body.reason,
    });
    return { status: 200, body: toPacketView(packet, chains) };
  }

  function authorize(incoming: IncomingMessage): void {
    if (tokenDigest === undefined) {
      throw new ApiError(
        403,
        "admin_disabled",
        "admin endpoints are disabled: no api.adminToken is configured",
      );
    }
    const header = incoming.headers.authorization ?? "";
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    // Compare digests: constant time whatever the lengths.
    if (match?.[1] === undefined || !timingSafeEqual(sha256(match[1]), tokenDigest)) {
      throw new ApiError(
        401,
        "unauthorized",
        "a valid `Authorization: Bearer <admin token>` header is required",
      );
    }
  }

  async function handle(incoming: IncomingMessage, response: ServerResponse): Promise<void> {
    const started = performance.now();
    let answer: Answer;
    let allow: string | undefined;
    try {
      const url = new URL(incoming.url ?? "/", "http://relayer");
      const route = routes.find((each) => patterns.get(each)?.test(url.pathname) === true);
      if (route === undefined) throw new ApiError(404, "not_found", `no route for ${url.pathname}`);
      const method = incoming.method === "HEAD" ? "GET" : incoming.method;
      const handler = method === "GET" || method === "POST" ? route.methods[method] : undefined;
      if (handler === undefined) {
        allow = Object.keys(route.methods)
          .flatMap((name) => (name === "GET" ? ["GET", "HEAD"] : [name]))
          .join(", ");
        throw new ApiError(
          405,
          "method_not_allowed",
          `${String(incoming.method)} is not allowed here; use ${allow}`,
        );
      }
      const params = (patterns.get(route)?.exec(url.pathname) ?? []).slice(1).map(decodeSegment);
      answer = await handler({
        method: method as Method,
        params,
        query: url.searchParams,
        incoming,
      });
    } catch (error) {
      answer = errorAnswer(error);
      if (answer.status >= 500) {
        logger?.error("api request failed", {
          method: incoming.method,
          path: pathOf(incoming),
          error,
        });
      }
    }
    const text =
      typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body, jsonReplacer);
    response.writeHead(answer.status, {
      "content-type": answer.contentType ?? JSON_TYPE,
      "content-length": Buffer.byteLength(text),
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      ...(allow !== undefined && { allow }),
      ...(answer.status === 401 && { "www-authenticate": 'Bearer realm="loanbridge"' }),
      // After refusing a body, don't read the rest of it.
      ...(answer.status === 413 && { connection: "close" }),
      ...answer.headers,
    });
    response.end(text);
    logger?.debug("api request", {
      method: incoming.method,
      path: pathOf(incoming),
      status: answer.status,
      ms: Math.round(performance.now() - started),
    });
  }

  const server = createServer((incoming, response) => {
    handle(incoming, response).catch((error: unknown) => {
      logger?.error("api response failed", { error });
      response.destroy();
    });
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;

  return {
    server,
    routes: routes.map((route) => ({
      path: route.path,
      methods: Object.keys(route.methods) as Method[],
      openapi: route.openapi !== false,
    })),
    listen() {
      return new Promise((resolve, reject) => {
        const fail = (error: Error) => {
          const inUse = (error as NodeJS.ErrnoException).code === "EADDRINUSE";
          reject(inUse ? new ApiPortInUseError(config.host, config.port, error) : error);
        };
        server.once("error", fail);
        server.listen(config.port, config.host, () => {
          server.off("error", fail);
          const { address, port } = server.address() as AddressInfo;
          const host = address.includes(":") ? `[${address}]` : address;
          resolve({ host: address, port, url: `http://${host}:${port}` });
        });
      });
    },
    close() {
      return new Promise((resolve, reject) => {
        server.close((error) => {
          if (error === undefined) resolve();
          else reject(error);
        });
        server.closeAllConnections();
      });
    },
  };
}

// --- requests ------------------------------------------------------------------

/** Query parameters as an object; a parameter given twice is refused. */
function queryObject(query: URLSearchParams): Record<string, string> {
  const object: Record<string, string> = {};
  for (const [key, value] of query) {
    if (key in object)
      throw new ApiError(400, "invalid_parameter", `${key} is given more than once`, key);
    object[key] = value;
  }
  return object;
}

function parse<T extends z.ZodType>(schema: T, value: unknown, where: string): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const [issue] = result.error.issues;
  if (issue === undefined) throw new ApiError(400, "invalid_parameter", `invalid ${where}`);
  if (issue.code === "unrecognized_keys") {
    const [key = ""] = issue.keys;
    const kind = where === "query" ? "query parameter" : "field";
    throw new ApiError(400, "invalid_parameter", `unknown ${kind} ${key}`, key);
  }
  const parameter = issue.path.length > 0 ? issue.path.map(String).join(".") : where;
  throw new ApiError(400, "invalid_parameter", issue.message, parameter);
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ApiError(400, "invalid_parameter", "path segment is not valid percent-encoding");
  }
}

/** Reads a JSON body of at most `limit` bytes; empty is `{}`. */
async function readJson(incoming: IncomingMessage, limit: number): Promise<unknown> {
  const declared = Number(incoming.headers["content-length"] ?? "0");
  const tooLarge = () =>
    new ApiError(413, "body_too_large", `the body is larger than ${limit} bytes`);
  if (declared > limit) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of incoming as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge();
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString("utf8").trim();
  if (text === "") return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ApiError(400, "invalid_parameter", "the body is not valid JSON", "body");
  }
}

// --- answers -------------------------------------------------------------------

function errorAnswer(error: unknown): Answer {
  if (error instanceof ApiError) {
    return {
      status: error.status,
      body: {
        error: {
          code: error.code,
          message: error.shortMessage,
          ...(error.parameter !== undefined && { parameter: error.parameter }),
        },
      },
    };
  }
  if (error instanceof StoreError) {
    const status = {
      InvalidInput: 400,
      NotFound: 404,
      InvalidTransition: 409,
      LeaseLost: 409,
      Conflict: 409,
      Unavailable: 503,
    }[error.code];
    const message = status === 503 ? "the store is unavailable" : error.shortMessage;
    return { status, body: { error: { code: snake(error.code), message } } };
  }
  return { status: 500, body: { error: { code: "internal", message: "internal error" } } };
}

const notFound = (what: string, key: string) =>
  new ApiError(404, "not_found", `${what} ${key} is not recorded`);

const snake = (code: string) => code.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();

function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  return value;
}

const sha256 = (text: string): Buffer => createHash("sha256").update(text).digest();
const pathOf = (incoming: IncomingMessage) => (incoming.url ?? "/").split("?")[0];
const messageOf = (error: unknown) =>
  error instanceof BaseError
    ? error.shortMessage
    : error instanceof Error
      ? error.message
      : String(error);

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`no answer within ${ms} ms`));
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => {
    clearTimeout(timer);
  });
}

/** A chain's last failed poll: why, and when. */
export interface PollFailure {
  message: string;
  at: number;
}

/**
 * A readiness callback from the chains' last successful polls: each chain is
 * ready when it polled within `maxAgeMs`. A chain that is not says why, with
 * its last failed poll when there was one since (an operator sees "connect
 * ECONNREFUSED", not only that nothing was polled).
 */
export function recentPolls(
  lastPollAt: () => Record<string, number | undefined>,
  maxAgeMs: number,
  now: () => number = Date.now,
  lastFailure: () => Record<string, PollFailure | undefined> = () => ({}),
): ReadinessCallback {
  return () => {
    const failures = lastFailure();
    const at = now();
    return Object.fromEntries(
      Object.entries(lastPollAt()).map(([chain, polledAt]) => {
        const failure = failures[chain];
        const failed =
          failure !== undefined && (polledAt === undefined || failure.at > polledAt)
            ? `; last error ${at - failure.at} ms ago: ${failure.message}`
            : "";
        if (polledAt === undefined)
          return [chain, { ok: false, detail: `not polled yet${failed}` }];
        const age = at - polledAt;
        return [
          chain,
          age <= maxAgeMs
            ? { ok: true }
            : { ok: false, detail: `last poll ${age} ms ago (limit ${maxAgeMs} ms)${failed}` },
        ];
      }),
    );
  };
}
