// Builds the explorer page into dist/: one minified ES module and one
// stylesheet under assets/ with content hashes in their names (served as
// immutable), and index.html pointing at them. Run by scripts/setup.sh and
// by the explorer's tests; `npm run build:explorer -w relayer` by hand.
//
// The page may use no package at all (only `import type` from the API's
// views): the build fails when anything from node_modules reaches the bundle.
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { BaseError } from "@loanbridge/shared";
import { build } from "esbuild";

const SOURCE_DIR = dirname(fileURLToPath(import.meta.url));
export const DEFAULT_DIST_DIR = join(SOURCE_DIR, "dist");

/** The build could not produce a page. */
export class ExplorerBuildError extends BaseError {
  override name = "ExplorerBuildError";
}

export interface BuiltAsset {
  /** Path under the dist folder, e.g. `assets/main-3F2A9C1B.js`. */
  path: string;
  bytes: number;
}

/** Builds into `outDir` (replaced whole); returns the files written. */
export async function buildExplorer(outDir: string = DEFAULT_DIST_DIR): Promise<BuiltAsset[]> {
  // Built beside the target, then swapped in: a relayer serving the old page
  // never reads a half-written one.
  const staging = `${outDir}.building-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  try {
    const result = await build({
      entryPoints: [join(SOURCE_DIR, "main.ts"), join(SOURCE_DIR, "style.css")],
      outdir: join(staging, "assets"),
      entryNames: "[name]-[hash]",
      bundle: true,
      format: "esm",
      platform: "browser",
      target: ["chrome120", "firefox120", "safari17"],
      minify: true,
      legalComments: "none",
      metafile: true,
      logLevel: "silent",
    });
    const packages = Object.keys(result.metafile.inputs).filter((input) =>
      input.includes("node_modules"),
    );
    if (packages.length > 0) {
      throw new ExplorerBuildError(
        `the page bundle must use no packages (import type only), but it includes ${packages.join(", ")}`,
      );
    }
    const outputs = Object.keys(result.metafile.outputs).map((output) =>
      relative(staging, join(process.cwd(), output)),
    );
    const script = outputs.find((output) => output.endsWith(".js"));
    const style = outputs.find((output) => output.endsWith(".css"));
    if (script === undefined || style === undefined) {
      throw new ExplorerBuildError(`esbuild wrote ${outputs.join(", ")}: no script or stylesheet`);
    }
    const html = linkAssets(await readFile(join(SOURCE_DIR, "index.html"), "utf8"), {
      "./main.ts": `/${script}`,
      "./style.css": `/${style}`,
    });
    await writeFile(join(staging, "index.html"), html);
    await rm(outDir, { recursive: true, force: true });
    await rename(staging, outDir).catch(async (error: unknown) => {
      // Another build (a test beside this one) swapped its page in first.
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ENOTEMPTY" && code !== "EEXIST") throw error;
      await rm(staging, { recursive: true, force: true });
    });
    return await Promise.all(
      ["index.html", ...outputs].map(async (path) => ({
        path,
        bytes: (await stat(join(outDir, path))).size,
      })),
    );
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}

/** index.html with each source reference (`src="./main.ts"`) pointing at its built asset. */
export function linkAssets(html: string, assets: Record<string, string>): string {
  let linked = html;
  for (const [source, built] of Object.entries(assets)) {
    const reference = new RegExp(`(src|href)="${source.replaceAll(".", "\\.")}"`);
    if (!reference.test(linked)) {
      throw new ExplorerBuildError(`index.html does not reference ${source}`);
    }
    linked = linked.replace(reference, `$1="${built}"`);
  }
  return linked;
}

if (import.meta.main) {
  const outDir = process.argv[2] ?? DEFAULT_DIST_DIR;
  const assets = await buildExplorer(outDir);
  for (const asset of assets) {
    console.log(`${basename(outDir)}/${asset.path}  ${(asset.bytes / 1024).toFixed(1)} KiB`);
  }
}
