// The API's OpenAPI 3.1 document (served at /openapi.json), built from the
// same zod schemas the server parses requests with (params.ts) and answers
// with (views.ts): one description, so the document cannot drift from the
// code without server.test.ts failing.
import { z } from "zod";
import relayerPackage from "../../package.json" with { type: "json" };
import {
  borrowerParam,
  denyBody,
  attestationsQuery,
  guidParam,
  loanIdParam,
  loansQuery,
  noQuery,
  packetsQuery,
  pushedAttestationsBody,
  retryBody,
} from "./params.ts";
import {
  attestationBatchSchema,
  attestationListSchema,
  attestationsTakenSchema,
  borrowerListSchema,
  errorViewSchema,
  healthViewSchema,
  loanListSchema,
  loanViewSchema,
  packetListSchema,
  packetViewSchema,
  readinessViewSchema,
  scheduleViewSchema,
  statusViewSchema,
} from "./views.ts";

type JsonSchema = Record<string, unknown>;

/** One operation: its parameters, body and answers, as zod schemas. */
interface Operation {
  path: string;
  method: "get" | "post";
  summary: string;
  pathParams?: Record<string, z.ZodType>;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** The 200 answer: a view schema, or plain text. */
  ok: z.ZodType | "text";
  /** Error answers besides the `default` every operation has. */
  errors: readonly number[];
  /** Needs the admin bearer token. */
  admin?: true;
}

const ERROR_MEANING: Record<number, string> = {
  400: "a parameter or the body is invalid; `error.parameter` names it",
  401: "no valid `Authorization: Bearer <admin token>` header",
  403: "admin endpoints are disabled: no api.adminToken is configured",
  404: "not recorded",
  409: "the packet's status does not allow the change",
  413: "the body is larger than api.maxBodyBytes",
  503: "the store is unavailable",
};

const byGuid = { guid: guidParam };
const READ = [400, 503] as const;
const ONE = [400, 404, 503] as const;
const ACTION = [400, 401, 403, 404, 409, 413, 503] as const;

const OPERATIONS: readonly Operation[] = [
  {
    path: "/healthz",
    method: "get",
    summary: "Liveness: the process answers",
    ok: healthViewSchema,
    errors: [],
  },
  {
    path: "/readyz",
    method: "get",
    summary: "Readiness: the store answers and every chain polled recently (503 when not)",
    ok: readinessViewSchema,
    errors: [503],
  },
  {
    path: "/metrics",
    method: "get",
    summary: "Prometheus metrics (text format)",
    ok: "text",
    errors: [],
  },
  {
    path: "/openapi.json",
    method: "get",
    summary: "This document",
    query: noQuery,
    ok: z.record(z.string(), z.unknown()),
    errors: [400],
  },
  {
    path: "/v1/status",
    method: "get",
    summary:
      "The relayer's chains (head, finalized, cursor, last poll) and packet counts by status",
    query: noQuery,
    ok: statusViewSchema,
    errors: READ,
  },
  {
    path: "/v1/attestations",
    method: "get",
    summary:
      "This relayer's attestations of several packets at once (what peer relayers gather for a batch)",
    query: attestationsQuery,
    ok: attestationBatchSchema,
    errors: READ,
  },
  {
    path: "/v1/attestations",
    method: "post",
    summary:
      "Takes a peer relayer's attestations as soon as it makes them; each is checked as a gathered one is, and a packet that got one is delivered without waiting for its next turn to ask (404: this relayer takes none)",
    query: noQuery,
    body: pushedAttestationsBody,
    ok: attestationsTakenSchema,
    errors: [400, 404, 413, 503],
  },
  {
    path: "/v1/attestations/{guid}",
    method: "get",
    summary: "This relayer's attestations of a packet (what peer relayers gather)",
    pathParams: byGuid,
    query: noQuery,
    ok: attestationListSchema,
    errors: READ,
  },
  {
    path: "/v1/packets",
    method: "get",
    summary: "Packets, most recently changed first, one page at a time",
    query: packetsQuery,
    ok: packetListSchema,
    errors: READ,
  },
  {
    path: "/v1/packets/{guid}",
    method: "get",
    summary: "One packet",
    pathParams: byGuid,
    query: noQuery,
    ok: packetViewSchema,
    errors: ONE,
  },
  {
    path: "/v1/packets/{guid}/retry",
    method: "post",
    summary: "Requeue a failed or denied packet: verified again from the start (audited)",
    pathParams: byGuid,
    query: noQuery,
    body: retryBody,
    ok: packetViewSchema,
    errors: ACTION,
    admin: true,
  },
  {
    path: "/v1/packets/{guid}/deny",
    method: "post",
    summary: "Deny a packet: no relayer delivers it unless it is retried (audited)",
    pathParams: byGuid,
    query: noQuery,
    body: denyBody,
    ok: packetViewSchema,
    errors: ACTION,
    admin: true,
  },
  {
    path: "/v1/loans",
    method: "get",
    summary: "Mirrored loans, most recently changed first, one page at a time",
    query: loansQuery,
    ok: loanListSchema,
    errors: READ,
  },
  {
    path: "/v1/loans/{loanId}",
    method: "get",
    summary: "One loan's two sides",
    pathParams: { loanId: loanIdParam },
    query: noQuery,
    ok: loanViewSchema,
    errors: ONE,
  },
  {
    path: "/v1/loans/{loanId}/schedule",
    method: "get",
    summary:
      "A loan's installments (LOANS.md \"Installments\"): each one's due time, planned amount, payment and state, as read from its lending pool (404: no such loan, or its schedule not read yet)",
    pathParams: { loanId: loanIdParam },
    query: noQuery,
    ok: scheduleViewSchema,
    errors: ONE,
  },
  {
    path: "/v1/borrowers/{address}",
    method: "get",
    summary:
      "A borrower's credit record and points-1 score (LOANS.md), with its loans; looked up by the borrower's address or a recipient's (404: no loan of or to it)",
    pathParams: { address: borrowerParam },
    query: noQuery,
    ok: borrowerListSchema,
    errors: ONE,
  },
];

const COMPONENTS = "#/components/schemas/";

/** A zod schema as JSON Schema 2020-12 (OpenAPI 3.1's dialect), named ones by reference. */
function jsonSchema(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  const id = z.globalRegistry.get(schema)?.id;
  if (id !== undefined && io === "output") return { $ref: `${COMPONENTS}${id}` };
  return component(z.toJSONSchema(schema, { target: "draft-2020-12", io, unrepresentable: "any" }));
}

/** A schema without `$schema` and `$id`: the document's dialect and place name it. */
function component(schema: JsonSchema): JsonSchema {
  const copy = { ...schema };
  delete copy.$schema;
  delete copy.$id;
  return copy;
}

/** Every schema named with `.meta({ id })`, without the keywords a component does not take. */
function componentSchemas(): Record<string, JsonSchema> {
  const { schemas } = z.toJSONSchema(z.globalRegistry, {
    target: "draft-2020-12",
    uri: (id) => `${COMPONENTS}${id}`,
  }) as { schemas: Record<string, JsonSchema> };
  return Object.fromEntries(Object.entries(schemas).map(([id, schema]) => [id, component(schema)]));
}

function parameters(operation: Operation): JsonSchema[] {
  const inPath = Object.entries(operation.pathParams ?? {}).map(([name, schema]) => ({
    name,
    in: "path",
    required: true,
    schema: jsonSchema(schema, "input"),
  }));
  const inQuery = Object.entries(operation.query?.shape ?? {}).map(([name, schema]) => {
    const field = schema as z.ZodType;
    const described = jsonSchema(field, "input");
    return {
      name,
      in: "query",
      required: !field.safeParse(undefined).success,
      ...(typeof described.description === "string" && { description: described.description }),
      schema: described,
    };
  });
  return [...inPath, ...inQuery];
}

const errorResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: jsonSchema(errorViewSchema, "output") } },
});

function responses(operation: Operation): Record<string, unknown> {
  const ok =
    operation.ok === "text"
      ? { description: "ok", content: { "text/plain": { schema: { type: "string" } } } }
      : {
          description: "ok",
          content: { "application/json": { schema: jsonSchema(operation.ok, "output") } },
        };
  const answers: Record<string, unknown> = { "200": ok };
  for (const status of operation.errors) {
    // /readyz answers 503 with its checks, not an error.
    answers[String(status)] =
      operation.ok === readinessViewSchema
        ? { description: "not ready", content: ok.content }
        : errorResponse(ERROR_MEANING[status] ?? "error");
  }
  answers.default = errorResponse(
    "any other error (404 no such route, 405 method not allowed, 500 internal)",
  );
  return answers;
}

function operationObject(operation: Operation): JsonSchema {
  const params = parameters(operation);
  return {
    operationId: `${operation.method}${operation.path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? "").toUpperCase())}`,
    summary: operation.summary,
    ...(params.length > 0 && { parameters: params }),
    ...(operation.body !== undefined && {
      requestBody: {
        required: false,
        content: { "application/json": { schema: jsonSchema(operation.body, "input") } },
      },
    }),
    responses: responses(operation),
    ...(operation.admin === true && { security: [{ adminToken: [] }] }),
  };
}

/** The whole document; the server builds it once, on the first request. */
export function openApiDocument(): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const operation of OPERATIONS) {
    paths[operation.path] ??= {};
    (paths[operation.path] as Record<string, JsonSchema>)[operation.method] =
      operationObject(operation);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "loanbridge relayer API",
      version: relayerPackage.version,
      description:
        "A relayer's view of its packets, loans and chains, and the admin actions retry and deny. " +
        "States and statuses are lower case; lists are newest change first, paged with `limit` " +
        "(1-500, default 100) and the opaque `cursor` each page's `nextCursor` gives.",
    },
    paths,
    components: {
      schemas: componentSchemas(),
      securitySchemes: {
        adminToken: {
          type: "http",
          scheme: "bearer",
          description: "api.adminToken from the relayer config",
        },
      },
    },
  };
}
