// Writes the alert rules with their runbook links under another base URL.
//
// Every alert's `runbook_url` in alerts/loanbridge.rules.yml is
// `<DEFAULT_RUNBOOK_BASE_URL>/<alert>.md`. Prometheus cannot read environment
// variables in rule files, so an operator who serves the runbooks elsewhere
// (a fork, an internal wiki holding monitoring/runbooks/*.md) renders a copy
// and points Prometheus at it:
//   RUNBOOK_BASE_URL=https://wiki.example.com/loanbridge/runbooks \
//     node monitoring/render-rules.ts /etc/prometheus/alerts/loanbridge.rules.yml
// Without a file argument the rules go to stdout. Nothing but the base of
// the runbook links changes, so the committed file's promtool tests hold for
// the copy.
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { BaseError } from "@loanbridge/shared";

/** Where this repository's runbooks are published (monitoring/runbooks on its main branch). */
export const DEFAULT_RUNBOOK_BASE_URL =
  "https://github.com/loanbridge/loanbridge/blob/main/monitoring/runbooks";

const RULES_FILE = fileURLToPath(new URL("alerts/loanbridge.rules.yml", import.meta.url));

const USAGE = "usage: RUNBOOK_BASE_URL=<https://…> node monitoring/render-rules.ts [out-file]";

/** The base URL or the rules file cannot be rendered; nothing was written. */
export class RenderRulesError extends BaseError {
  override name = "RenderRulesError";
}

/**
 * `value` as a runbook base: an absolute http(s) URL without query or
 * fragment (the alert's page is appended as a path), trailing slashes
 * dropped.
 */
export function toRunbookBaseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch (error) {
    throw new RenderRulesError("RUNBOOK_BASE_URL is not an absolute URL", {
      details: JSON.stringify(value),
      cause: error,
    });
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new RenderRulesError("RUNBOOK_BASE_URL must be an http(s) URL", { details: value });
  }
  if (url.search !== "" || url.hash !== "") {
    throw new RenderRulesError("RUNBOOK_BASE_URL must have no query or fragment", {
      details: `${value} (the alert's page is appended to its path)`,
    });
  }
  return value.replace(/\/+$/, "");
}

/**
 * `rules` with every `runbook_url` moved from the default base to `base`
 * (checked by toRunbookBaseUrl). Throws when the file has no runbook link,
 * or one that is not under the default base: the file is not what this
 * script knows how to render.
 */
export function renderRules(rules: string, base: string): string {
  let links = 0;
  const rendered = rules.replace(
    /^([ \t]*runbook_url:[ \t]*)(\S*)[ \t]*$/gm,
    (_line, key: string, url: string) => {
      links++;
      if (!url.startsWith(`${DEFAULT_RUNBOOK_BASE_URL}/`)) {
        throw new RenderRulesError("a runbook_url is not under the default base", {
          details: `${url} (expected ${DEFAULT_RUNBOOK_BASE_URL}/<alert>.md)`,
        });
      }
      return `${key}${base}${url.slice(DEFAULT_RUNBOOK_BASE_URL.length)}`;
    },
  );
  if (links === 0) throw new RenderRulesError("the rules file has no runbook_url annotation");
  return rendered;
}

/** The command: returns the exit code (0, or 2 for bad input). */
export async function main(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  io: { stdout: (text: string) => void; stderr: (text: string) => void },
): Promise<number> {
  try {
    if (args.length > 1 || args.some((arg) => arg.startsWith("-"))) {
      throw new RenderRulesError("expected at most one argument, the file to write", {
        details: USAGE,
      });
    }
    const base = toRunbookBaseUrl(env.RUNBOOK_BASE_URL ?? DEFAULT_RUNBOOK_BASE_URL);
    const rendered = renderRules(await readFile(RULES_FILE, "utf8"), base);
    const [out] = args;
    if (out === undefined) io.stdout(rendered);
    else {
      await writeFile(out, rendered).catch((error: unknown) => {
        throw new RenderRulesError(`cannot write ${out}`, { cause: error });
      });
    }
    return 0;
  } catch (error) {
    if (!(error instanceof RenderRulesError)) throw error;
    io.stderr(`render-rules: ${error.message}\n`);
    return 2;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2), process.env, {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  });
}
