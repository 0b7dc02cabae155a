// Serving the built explorer page: content types, caching, the page's
// Content-Security-Policy, and nothing served from outside the build.
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildExplorer } from "../../explorer/build.ts";
import { createMetrics } from "../observability/metrics.ts";
import { Store } from "../store/store.ts";
import { EXPLORER_CSP, EXPLORER_DIST_DIR, EXPLORER_PATH, serveExplorer } from "./explorer.ts";
import { type ApiServer, createApiServer } from "./server.ts";

const SECRET = "a file outside the build";

describe("serveExplorer", () => {
  let dir: string;
  let dist: string;
  let script: string;
  let style: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "explorer-serve-"));
    dist = join(dir, "dist");
    await buildExplorer(dist);
    const names = await readdir(join(dist, "assets"));
    script = names.find((name) => name.endsWith(".js")) ?? "";
    style = names.find((name) => name.endsWith(".css")) ?? "";
    // A file beside the build that no request may reach.
    await writeFile(join(dir, "secret.js"), SECRET);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("serveExplorer_root_isTheBuiltPageWithItsPolicy", async () => {
    const answer = await serveExplorer("", dist);

    expect(answer.status).toBe(200);
    expect(answer.contentType).toBe("text/html; charset=utf-8");
    expect(answer.body).toContain(`src="/assets/${script}"`);
    expect(answer.headers).toMatchObject({
      "content-security-policy": EXPLORER_CSP,
      "cache-control": "no-cache",
    });
    expect(EXPLORER_CSP).toContain("script-src 'self'");
    expect(EXPLORER_CSP).not.toContain("unsafe-inline");
  });

  it("serveExplorer_hashedAssets_haveTheirTypesAndAreImmutable", async () => {
    const js = await serveExplorer(`assets/${script}`, dist);
    const css = await serveExplorer(`assets/${style}`, dist);

    expect(js.status).toBe(200);
    expect(js.contentType).toBe("text/javascript; charset=utf-8");
    expect(js.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(css.status).toBe(200);
    expect(css.contentType).toBe("text/css; charset=utf-8");
    expect(css.body.length).toBeGreaterThan(100);
  });

  it("serveExplorer_anythingOutsideTheBuiltAssets_is404", async () => {
    const attempts = [
      "assets/../../secret.js",
      "assets/..%2F..%2Fsecret.js",
      "assets/../index.html",
      "../secret.js",
      "assets/",
      "assets/missing-AAAAAAAA.js",
      "assets/.",
      "assets/..",
      "index.html",
      "assets/main.ts",
      `assets/${script}/x`,
    ];
    for (const path of attempts) {
      const answer = await serveExplorer(path, dist);
      expect({ path, status: answer.status }).toEqual({ path, status: 404 });
      expect(answer.body).not.toContain(SECRET);
      expect(answer.headers["cache-control"]).toBe("no-store");
    }
  });

  it("serveExplorer_symlinkPutInAssets_is404", async () => {
    await symlink(join(dir, "secret.js"), join(dist, "assets", "linked.js"));

    const answer = await serveExplorer("assets/linked.js", dist);

    expect(answer.status).toBe(404);
    expect(answer.body).not.toContain(SECRET);
  });

  it("serveExplorer_notBuilt_is503SayingHowToBuild", async () => {
    const empty = join(dir, "empty");
    await mkdir(empty);

    const page = await serveExplorer("", empty);
    const asset = await serveExplorer(`assets/${script}`, empty);

    expect(page.status).toBe(503);
    expect(page.contentType).toBe("text/plain; charset=utf-8");
    expect(page.body).toMatchInlineSnapshot(`
      "The explorer page is not built. Build it with \`npm run build:explorer -w relayer\` (or \`bash scripts/setup.sh\`), then reload.
      "
    `);
    expect(asset.status).toBe(404);
  });

  it("EXPLORER_PATH_capturesThePageAndAssetsOnly", () => {
    const capture = (path: string) => EXPLORER_PATH.exec(path)?.[1];
    expect(capture("/")).toBe("");
    expect(capture("/assets/main-X.js")).toBe("assets/main-X.js");
    expect(capture("/assets/a/b.js")).toBeUndefined();
    expect(capture("/assets/")).toBeUndefined();
    expect(capture("/index.html")).toBeUndefined();
    expect(capture("/v1/loans")).toBeUndefined();
  });
});

/** One request with the path sent exactly as written (no client-side normalising). */
function rawRequest(
  base: string,
  method: string,
  path: string,
): Promise<{ status: number; headers: IncomingHttpHeaders; text: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ hostname, port, method, path }, (res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => (text += chunk.toString()));
      res.on("end", () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text });
      });
    });
    req.on("error", reject);
    req.end();
  });
}

describe("the explorer on the relayer's HTTP server", () => {
  let store: Store;
  let api: ApiServer;
  let base: string;
  let script: string;

  beforeAll(async () => {
    // The server serves relayer/explorer/dist, which setup.sh builds; built
    // here only when missing, so a page another test is showing stays put.
    const index = join(EXPLORER_DIST_DIR, "index.html");
    if (!existsSync(index)) await buildExplorer();
    script = /src="\/(assets\/[^"]+\.js)"/.exec(readFileSync(index, "utf8"))?.[1] ?? "";
    store = await Store.open({ kind: "pglite", dataDir: "memory://" });
    api = createApiServer({
      config: { host: "127.0.0.1", port: 0, maxBodyBytes: 1_024 },
      store,
      registry: createMetrics({ defaultMetrics: false }).registry,
    });
    ({ url: base } = await api.listen());
  });

  afterAll(async () => {
    await api.close();
    await store.close();
  });

  it("get_root_isThePageWithItsHeaders", async () => {
    const reply = await rawRequest(base, "GET", "/");

    expect(reply.status).toBe(200);
    expect(reply.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(reply.headers["content-security-policy"]).toBe(EXPLORER_CSP);
    expect(reply.headers["cache-control"]).toBe("no-cache");
    expect(reply.headers["x-content-type-options"]).toBe("nosniff");
    expect(reply.text).toContain(`<script type="module" src="/${script}"></script>`);
  });

  it("get_builtScript_isJavaScriptCachedForAYear", async () => {
    const reply = await rawRequest(base, "GET", `/${script}`);

    expect(reply.status).toBe(200);
    expect(reply.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(reply.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(reply.text.length).toBe(Number(reply.headers["content-length"]));
  });

  it("head_root_hasHeadersOnly", async () => {
    const reply = await rawRequest(base, "HEAD", "/");

    expect(reply.status).toBe(200);
    expect(reply.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(reply.text).toBe("");
  });

  it("post_root_is405", async () => {
    const reply = await rawRequest(base, "POST", "/");

    expect(reply.status).toBe(405);
    expect(reply.headers.allow).toBe("GET, HEAD");
  });

  it("traversal_andOtherFiles_are404", async () => {
    for (const path of [
      "/assets/..%2F..%2Fpackage.json",
      "/assets/%2e%2e%2findex.html",
      "/assets/..%2f..%2f..%2fexplorer.ts",
      "/assets/../../package.json",
      "/%2e%2e/package.json",
      "/index.html",
      "/assets/",
      "/assets/main.ts",
      "/build.ts",
    ]) {
      const reply = await rawRequest(base, "GET", path);
      expect({ path, status: reply.status }).toEqual({ path, status: 404 });
      expect(reply.text).not.toContain("loanbridge");
    }
  });

  it("apiRoutes_stillAnswerJson", async () => {
    const reply = await rawRequest(base, "GET", "/v1/loans");

    expect(reply.status).toBe(200);
    expect(reply.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(reply.headers["content-security-policy"]).toBeUndefined();
    expect(reply.headers["cache-control"]).toBe("no-store");
  });
});
