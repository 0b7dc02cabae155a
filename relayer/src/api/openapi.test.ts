// /openapi.json against the server it describes: a valid OpenAPI 3.1
// document; the same routes as the server serves; and every route,
// its errors included, answered by a real server on a real (in-memory
// PGlite) store with a body its document schema accepts.
import { randomBytes } from "node:crypto";
import { request as httpRequest } from "node:http";
import { Validator } from "@seriousme/openapi-schema-validator";
import type { Hex } from "@loanbridge/shared";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Secret } from "../config/secret.ts";
import { createMetrics } from "../observability/metrics.ts";
import { Store } from "../store/store.ts";
import { ChainDirectory } from "./chains.ts";
import { openApiDocument } from "./openapi.ts";
import { type ApiServer, createApiServer } from "./server.ts";

const TOKEN = "openapi-test-token-0123456789";
const hex32 = (): Hex => `0x${randomBytes(32).toString("hex")}`;

interface Reply {
  status: number;
  contentType: string;
  text: string;
}

function send(
  base: string,
  method: string,
  path: string,
  options: { body?: string; token?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) headers["content-type"] = "application/json";
    const req = httpRequest(new URL(path, base), { method, headers }, (res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => (text += chunk.toString()));
      res.on("end", () => {
        resolve({
          status: res.statusCode ?? 0,
          contentType: String(res.headers["content-type"]),
          text,
        });
      });
    });
    req.on("error", (error: NodeJS.ErrnoException) => {
      // The server may close after refusing a body mid-upload (413).
      if (error.code === "EPIPE" || error.code === "ECONNRESET") return;
      reject(error);
    });
    req.end(options.body);
  });
}

type Document = {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, Response> }>>;
};
type Response = { content?: Record<string, unknown> };

describe("openapi.json", () => {
  const document = openApiDocument() as Document;

  it("isAValidOpenApi31Document", async () => {
    const result = await new Validator().validate(document);

    expect(result).toEqual({ valid: true });
    expect(document.openapi).toBe("3.1.0");
  });

  describe("against the server", () => {
    let store: Store;
    let api: ApiServer;
    let readOnly: ApiServer;
    let base: string;
    let readOnlyBase: string;
    let ready = true;
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    ajv.addSchema(document, "openapi");
    /** Operation → statuses answered, to check that every documented answer was seen. */
    const seen = new Map<string, Set<string>>();

    beforeAll(async () => {
      store = await Store.open({ kind: "pglite", dataDir: "memory://" });
      const common = {
        config: { host: "127.0.0.1", port: 0, maxBodyBytes: 512 },
        store,
        registry: createMetrics({ defaultMetrics: false }).registry,
        relayerId: "openapi-test",
        chains: ChainDirectory.fromConfig({ evm: { eid: 40161 }, solana: { eid: 40168 } }),
        readiness: () => ({ chains: { ok: ready, ...(!ready && { detail: "not polled yet" }) } }),
      };
      api = createApiServer({
        ...common,
        adminToken: new Secret(TOKEN, "test"),
        // What the pipeline keeps of them is gather's to judge (stages.test.ts).
        acceptAttestations: (attestations) => Promise.resolve(attestations.length),
      });
      readOnly = createApiServer(common);
      ({ url: base } = await api.listen());
      ({ url: readOnlyBase } = await readOnly.listen());
    });

    afterAll(async () => {
      await api.close();
      await readOnly.close();
      await store.close();
    });

    /** The document's route (template and method) a request path falls under. */
    function routeOf(method: string, path: string): [string, string] | undefined {
      const pathname = path.split("?")[0] ?? "";
      for (const [template, item] of Object.entries(document.paths)) {
        const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`);
        if (pattern.test(pathname) && method.toLowerCase() in item) {
          return [template, method.toLowerCase()];
        }
      }
      return undefined;
    }

    /** Sends the request and checks the answer against the document's schema for its status. */
    async function check(
      method: string,
      path: string,
      expected: number,
      options: { body?: string; token?: string; server?: string } = {},
    ): Promise<unknown> {
      const reply = await send(options.server ?? base, method, path, options);
      expect(reply.status, `${method} ${path}: ${reply.text}`).toBe(expected);
      const route = routeOf(method, path);
      const responses = route === undefined ? undefined : document.paths[route[0]]?.[route[1]];
      const documented = responses?.responses[String(reply.status)];
      // A route the document lacks answers with the Error every operation has as `default`.
      const key = documented === undefined ? "default" : String(reply.status);
      if (route !== undefined) {
        const operation = route.join(" ");
        seen.set(operation, (seen.get(operation) ?? new Set()).add(String(reply.status)));
      }
      if (reply.contentType.startsWith("text/plain")) {
        expect(documented?.content).toHaveProperty(["text/plain"]);
        return reply.text;
      }
      const body: unknown = JSON.parse(reply.text);
      const pointer =
        route === undefined
          ? "openapi#/components/schemas/Error"
          : `openapi#/paths/${route[0].replaceAll("/", "~1")}/${route[1]}/responses/${key}/content/application~1json/schema`;
      const validate = ajv.getSchema(pointer);
      expect(validate, pointer).toBeDefined();
      const valid = validate?.(body);
      expect(valid, `${method} ${path} ${reply.status}: ${JSON.stringify(validate?.errors)}`).toBe(
        true,
      );
      return body;
    }

    it("serverRoutes_areTheDocumentsPaths_andNoOther", () => {
      const served = api.routes
        .filter((route) => route.openapi)
        .flatMap((route) => route.methods.map((method) => `${method.toLowerCase()} ${route.path}`))
        .sort();
      const documented = Object.entries(document.paths)
        .flatMap(([path, item]) => Object.keys(item).map((method) => `${method} ${path}`))
        .sort();

      expect(served).toEqual(documented);
    });

    it("everyRouteAndItsErrors_answerAsDocumented", async () => {
      const loanId = hex32();
      const ids = { loanId, collateralEid: 40161, lendingEid: 40168 };
      await store.upsertLoan({
        ...ids,
        side: "vault",
        state: "Requested",
        borrower: `0x${"00".repeat(12)}${"ab".repeat(20)}`,
        recipient: hex32(),
        collateralAsset: `0x${"00".repeat(32)}`,
        collateralAmount: 10n ** 18n,
        principal: 5_000_000n,
      });
      await store.upsertLoan({ ...ids, side: "pool", state: "Active", rateBps: 500 });
      const guids: Hex[] = [];
      for (const nonce of [1n, 2n, 3n, 4n]) {
        const guid = hex32();
        guids.push(guid);
        await store.recordObserved({
          packet: Uint8Array.from([1, 2, 3]),
          guid,
          srcEid: 40161,
          dstEid: 40168,
          nonce,
          sourceTx: hex32(),
          sourceHeight: nonce,
          sourceIndex: 0,
        });
        await store.markVerified(guid, { loanId });
      }
      const [failed, delivered, verified, other] = guids as [Hex, Hex, Hex, Hex];
      await store.markFailed(failed, "test");
      await store.markDelivered(delivered, { destTx: hex32() });
      await store.putAttestation({
        guid: verified,
        signer: "0xSigner",
        epoch: 1n,
        digest: hex32(),
        signature: `0x${"ab".repeat(65)}`,
      });
      const reason = JSON.stringify({ reason: "test", actor: "openapi" });
      const big = JSON.stringify({ reason: "x".repeat(600) });

      await check("GET", "/healthz", 200);
      await check("GET", "/readyz", 200);
      ready = false;
      await check("GET", "/readyz", 503);
      ready = true;
      await check("GET", "/metrics", 200);
      await check("GET", "/openapi.json", 200);
      await check("GET", "/openapi.json?x=1", 400);
      await check("GET", "/v1/status", 200);
      await check("GET", "/v1/status?x=1", 400);
      await check("GET", `/v1/attestations/${verified}`, 200);
      await check("GET", "/v1/attestations/0x12", 400);
      await check("GET", `/v1/attestations?guids=${verified},${failed}`, 200);
      await check("GET", "/v1/attestations?guids=0x12", 400);
      const page = (await check("GET", "/v1/packets?limit=2", 200)) as { nextCursor: string };
      await check("GET", `/v1/packets?limit=2&cursor=${page.nextCursor}`, 200);
      await check("GET", `/v1/packets?status=failed&loanId=${loanId}&tx=${hex32()}`, 200);
      await check("GET", "/v1/packets?status=Failed", 400);
      await check("GET", `/v1/packets/${verified}`, 200);
      await check("GET", "/v1/packets/nope", 400);
      await check("GET", `/v1/packets/${hex32()}`, 404);
      await check("GET", "/v1/loans?state=active&limit=1", 200);
      await check("GET", `/v1/loans?borrower=0x${"AB".repeat(20)}`, 200);
      await check("GET", "/v1/loans?state=Active", 400);
      await check("GET", `/v1/loans/${loanId}`, 200);
      await check("GET", "/v1/loans/nope", 400);
      await check("GET", `/v1/loans/${hex32()}`, 404);
      await check("GET", `/v1/loans/${loanId}/schedule`, 404);
      await store.recordLoanSchedule(loanId, {
        installments: 2,
        periodSeconds: 86_400n,
        installmentAmount: 2_500_100n,
        startAt: new Date("2027-01-01T00:00:00Z"),
        dues: [
          { dueAt: new Date("2027-01-02T00:00:00Z"), amountDue: 2_500_100n },
          { dueAt: new Date("2027-01-03T00:00:00Z"), amountDue: 2_500_000n },
        ],
      });
      await check("GET", `/v1/loans/${loanId}/schedule`, 200);
      await check("GET", "/v1/loans/nope/schedule", 400);
      await check("GET", `/v1/borrowers/0x${"AB".repeat(20)}`, 200);
      await check("GET", "/v1/borrowers/nope", 400);
      await check("GET", `/v1/borrowers/0x${"CD".repeat(20)}`, 404);
      for (const action of ["retry", "deny"] as const) {
        const path = (guid: string) => `/v1/packets/${guid}/${action}`;
        await check("POST", path(failed), 401, { body: reason });
        await check("POST", path(failed), 403, {
          body: reason,
          token: TOKEN,
          server: readOnlyBase,
        });
        await check("POST", path(failed), 400, { body: "{", token: TOKEN });
        await check("POST", path(failed), 413, { body: big, token: TOKEN });
        await check("POST", path(hex32()), 404, { body: reason, token: TOKEN });
        await check("POST", path(delivered), 409, { body: reason, token: TOKEN });
      }
      await check("POST", `/v1/packets/${failed}/retry`, 200, { body: reason, token: TOKEN });
      await check("POST", `/v1/packets/${other}/deny`, 200, { body: reason, token: TOKEN });
      const pushed = JSON.stringify({
        attestations: [
          {
            guid: hex32(),
            signer: `0x${"ab".repeat(20)}`,
            epoch: "1",
            digest: hex32(),
            signature: `0x${"cd".repeat(65)}`,
          },
        ],
      });
      await check("POST", "/v1/attestations", 200, { body: pushed });
      await check("POST", "/v1/attestations", 400, { body: "{" });
      await check("POST", "/v1/attestations", 404, { body: pushed, server: readOnlyBase });
      await check("POST", "/v1/attestations", 413, { body: big });
      await check("GET", "/v2/nothing", 404);
      await check("DELETE", "/v1/loans", 405);

      // Every documented answer was seen, but the store's 503 (it cannot be made
      // unavailable here without a fake) and /healthz, /metrics' only answer.
      const missing = Object.entries(document.paths).flatMap(([path, item]) =>
        Object.entries(item).flatMap(([method, operation]) =>
          Object.keys(operation.responses)
            .filter((status) => status !== "default" && status !== "503")
            .filter((status) => seen.get(`${path} ${method}`)?.has(status) !== true)
            .map((status) => `${method} ${path} ${status}`),
        ),
      );
      expect(missing).toEqual([]);
    });
  });
});
