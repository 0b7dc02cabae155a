// Serves the explorer page (relayer/explorer, built into its dist/ folder):
// `/` is index.html, `/assets/<name>` a built file. Only names the build
// wrote are served (looked up in the assets folder's listing, never joined
// into a path unchecked), so no request reaches a file outside it.
import { lstat, readdir, readFile } from "node:fs/promises";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const EXPLORER_DIST_DIR = fileURLToPath(new URL("../../explorer/dist", import.meta.url));

/**
 * `/` and `/assets/<name>`: the route the API server gives the page. It
 * captures what follows the first slash ("" for the page itself), which is
 * what `serveExplorer` takes.
 */
export const EXPLORER_PATH = /^\/(|assets\/[^/]+)$/;

/**
 * Scripts and styles only from this server (no inline script or style),
 * data only from its API, no plugins, no framing.
 */
export const EXPLORER_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const CONTENT_TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
};

export interface ExplorerAnswer {
  status: number;
  body: string;
  contentType: string;
  headers: Record<string, string>;
}

const PAGE_HEADERS = {
  "content-security-policy": EXPLORER_CSP,
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
};

const NOT_BUILT =
  "The explorer page is not built. Build it with `npm run build:explorer -w relayer` " +
  "(or `bash scripts/setup.sh`), then reload.\n";

/**
 * The answer for a path without its leading slash: "" is the page,
 * `assets/<name>` a built file. index.html is never cached as is (it names
 * the current assets); assets carry a content hash in their names and are
 * cached for a year.
 */
export async function serveExplorer(
  path: string,
  distDir: string = EXPLORER_DIST_DIR,
): Promise<ExplorerAnswer> {
  if (path === "") {
    const html = await readOrUndefined(join(distDir, "index.html"));
    if (html === undefined) return text(503, NOT_BUILT);
    return {
      status: 200,
      body: html,
      contentType: "text/html; charset=utf-8",
      headers: { ...PAGE_HEADERS, "cache-control": "no-cache" },
    };
  }
  const notFound = text(404, `no explorer file ${JSON.stringify(path)}\n`);
  const asset = /^assets\/([^/]+)$/.exec(path)?.[1];
  const contentType = asset === undefined ? undefined : CONTENT_TYPES[extname(asset)];
  if (asset === undefined || contentType === undefined) return notFound;
  const assetsDir = join(distDir, "assets");
  if (!(await listing(assetsDir)).includes(asset)) return notFound;
  const file = join(assetsDir, asset);
  // The build writes plain files; anything else (a link put there) is not served.
  const stats = await lstat(file).catch(() => undefined);
  if (stats?.isFile() !== true) return notFound;
  const body = await readOrUndefined(file);
  if (body === undefined) return notFound;
  return {
    status: 200,
    body,
    contentType,
    headers: { ...PAGE_HEADERS, "cache-control": "public, max-age=31536000, immutable" },
  };
}

async function listing(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if (isMissing(error)) return [];
    throw error;
  }
}

/** A file's text; undefined when it is not there (a rebuild may have just replaced it). */
async function readOrUndefined(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

function text(status: number, body: string): ExplorerAnswer {
  return {
    status,
    body,
    contentType: "text/plain; charset=utf-8",
    headers: { ...PAGE_HEADERS, "cache-control": "no-store" },
  };
}

const isMissing = (error: unknown) =>
  (error as NodeJS.ErrnoException | undefined)?.code === "ENOENT";
