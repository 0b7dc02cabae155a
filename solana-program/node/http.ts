// JSON-RPC 2.0 over HTTP: POST / with one request or a batch; GET /health
// as Solana's RPC has it. Every other method gets 405, bodies over the limit 413.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { type JsonValue, toJson } from "./json.ts";
import type { Method } from "./methods.ts";
import { RpcError, RpcErrorCode } from "./rpc-error.ts";

/** Agave's limit on a request body (`MAX_REQUEST_BODY_SIZE`). */
export const MAX_REQUEST_BODY_BYTES = 50 * 1024;

type Id = string | number | null;

export function createRpcServer(
  methods: Readonly<Record<string, Method>>,
  maxBodyBytes = MAX_REQUEST_BODY_BYTES,
): Server {
  return createServer((request, response) => {
    serve(methods, maxBodyBytes, request, response).catch((error: unknown) => {
      if (!response.headersSent) reply(response, 500, "text/plain", String(error));
    });
  });
}

async function serve(
  methods: Readonly<Record<string, Method>>,
  maxBodyBytes: number,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  if (request.method === "GET" && request.url === "/health") {
    reply(response, 200, "text/plain", "ok");
    return;
  }
  if (request.method !== "POST") {
    response.setHeader("Allow", "POST");
    reply(response, 405, "text/plain", "Used HTTP Method is not allowed. POST is required");
    return;
  }
  const body = await readBody(request, maxBodyBytes);
  if (body === null) {
    reply(response, 413, "text/plain", `request body exceeds ${maxBodyBytes} bytes`);
    return;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    replyJson(response, errorResponse(null, new RpcError(RpcErrorCode.ParseError, "Parse error")));
    return;
  }
  if (Array.isArray(parsed)) {
    if (parsed.length === 0) {
      replyJson(response, errorResponse(null, invalidRequest()));
      return;
    }
    const answers = await Promise.all(parsed.map((entry: unknown) => call(methods, entry)));
    const present = answers.filter((answer) => answer !== undefined);
    if (present.length === 0) reply(response, 200, "application/json", "");
    else replyJson(response, present);
    return;
  }
  const answer = await call(methods, parsed);
  if (answer === undefined) reply(response, 200, "application/json", "");
  else replyJson(response, answer);
}

/** One request's response, or undefined for a notification (no id). */
async function call(
  methods: Readonly<Record<string, Method>>,
  request: unknown,
): Promise<JsonValue | undefined> {
  if (typeof request !== "object" || request === null || Array.isArray(request)) {
    return errorResponse(null, invalidRequest());
  }
  const { jsonrpc, method, params, id } = request as Record<string, unknown>;
  const validId =
    id === undefined || id === null || typeof id === "string" || typeof id === "number";
  if (jsonrpc !== "2.0" || typeof method !== "string" || !validId) {
    return errorResponse(validId ? (id ?? null) : null, invalidRequest());
  }
  const notification = id === undefined;
  const answerId: Id = id ?? null;
  const handler = Object.hasOwn(methods, method) ? methods[method] : undefined;
  if (!handler) {
    return notification
      ? undefined
      : errorResponse(answerId, new RpcError(RpcErrorCode.MethodNotFound, "Method not found"));
  }
  if (params !== undefined && params !== null && !Array.isArray(params)) {
    return errorResponse(
      answerId,
      new RpcError(RpcErrorCode.InvalidParams, "Invalid params: params must be an array"),
    );
  }
  try {
    const result = await handler((params ?? []) as unknown[]);
    return notification ? undefined : { jsonrpc: "2.0", result, id: answerId };
  } catch (error) {
    if (notification) return undefined;
    if (error instanceof RpcError) return errorResponse(answerId, error);
    const message = error instanceof Error ? error.message : String(error);
    return errorResponse(
      answerId,
      new RpcError(RpcErrorCode.InternalError, `Internal error: ${message}`),
    );
  }
}

function invalidRequest(): RpcError {
  return new RpcError(RpcErrorCode.InvalidRequest, "Invalid request");
}

function errorResponse(id: Id, error: RpcError): JsonValue {
  return {
    jsonrpc: "2.0",
    error: { code: error.code, message: error.shortMessage, data: error.data },
    id,
  };
}

/** The body as text, or null when it grows past the limit (the rest is drained, not kept). */
function readBody(request: IncomingMessage, maxBytes: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = Number(request.headers["content-length"] ?? 0) > maxBytes;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      tooBig ||= size > maxBytes;
      if (!tooBig) chunks.push(chunk);
    });
    request.on("end", () => {
      resolve(tooBig ? null : Buffer.concat(chunks).toString("utf8"));
    });
    request.on("error", reject);
  });
}

function replyJson(response: ServerResponse, body: JsonValue): void {
  reply(response, 200, "application/json", toJson(body));
}

function reply(response: ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, { "Content-Type": type, "Content-Length": Buffer.byteLength(body) });
  response.end(body);
}
