// The explorer build: one small script and one stylesheet with hashed
// names, index.html pointing at them, no package in the bundle.
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BuiltAsset, buildExplorer, ExplorerBuildError, linkAssets } from "./build.ts";

/** The page's one script, minified: what a browser downloads first. */
const SCRIPT_BUDGET_BYTES = 32 * 1024;

describe("buildExplorer", () => {
  let dir: string;
  let outDir: string;
  let assets: BuiltAsset[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "explorer-build-"));
    outDir = join(dir, "dist");
    assets = await buildExplorer(outDir);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("buildExplorer_writesIndexAndTwoHashedAssets", async () => {
    const paths = assets.map((asset) => asset.path).sort();
    expect(paths).toEqual([
      expect.stringMatching(/^assets\/main-[A-Z0-9]{8}\.js$/),
      expect.stringMatching(/^assets\/style-[A-Z0-9]{8}\.css$/),
      "index.html",
    ]);
    expect((await readdir(join(outDir, "assets"))).sort()).toEqual(
      paths.filter((path) => path.startsWith("assets/")).map((path) => path.slice(7)),
    );
    // Nothing left of the staging folder beside it.
    expect(await readdir(dir)).toEqual(["dist"]);
  });

  it("buildExplorer_indexLinksTheBuiltAssetsAndHasNoInlineScript", async () => {
    const html = await readFile(join(outDir, "index.html"), "utf8");
    const script = assets.find((asset) => asset.path.endsWith(".js"))?.path;
    const style = assets.find((asset) => asset.path.endsWith(".css"))?.path;
    expect(html).toContain(`<script type="module" src="/${String(script)}"></script>`);
    expect(html).toContain(`<link rel="stylesheet" href="/${String(style)}" />`);
    expect(html).not.toContain("main.ts");
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).not.toMatch(/\son[a-z]+=/i);
  });

  it("buildExplorer_scriptIsSmallAndCarriesNoZod", async () => {
    const script = assets.find((asset) => asset.path.endsWith(".js"));
    expect(script?.bytes).toBeLessThan(SCRIPT_BUDGET_BYTES);
    const code = await readFile(join(outDir, String(script?.path)), "utf8");
    expect(code).not.toMatch(/zod|safeParse/);
  });

  it("buildExplorer_sameSources_sameNames", async () => {
    const again = await buildExplorer(outDir);
    expect(again.map((asset) => asset.path).sort()).toEqual(
      assets.map((asset) => asset.path).sort(),
    );
  });
});

describe("the page's sources", () => {
  it("explorerSources_neverParseHtml", async () => {
    // Chain data reaches the page: it goes in through text nodes only (dom.ts).
    const dir = dirname(fileURLToPath(import.meta.url));
    const sources = (await readdir(dir)).filter(
      (name) => name.endsWith(".ts") && !name.endsWith(".test.ts") && name !== "build.ts",
    );
    expect(sources).toContain("dom.ts");
    for (const name of sources) {
      const code = await readFile(join(dir, name), "utf8");
      expect({
        name,
        html: /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/.exec(code)?.[0],
      }).toEqual({
        name,
        html: undefined,
      });
    }
  });
});

describe("linkAssets", () => {
  it("linkAssets_replacesEachSourceReference", () => {
    const html = '<link href="./style.css"><script src="./main.ts"></script>';
    expect(
      linkAssets(html, { "./main.ts": "/assets/main-A.js", "./style.css": "/assets/s-B.css" }),
    ).toBe('<link href="/assets/s-B.css"><script src="/assets/main-A.js"></script>');
  });

  it("linkAssets_missingReference_throws", () => {
    expect(() => linkAssets("<html></html>", { "./main.ts": "/a.js" })).toThrow(ExplorerBuildError);
    expect(() =>
      linkAssets("<html></html>", { "./main.ts": "/a.js" }),
    ).toThrowErrorMatchingInlineSnapshot(
      `[ExplorerBuildError: index.html does not reference ./main.ts]`,
    );
  });
});
