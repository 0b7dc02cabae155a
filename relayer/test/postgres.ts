// Starts and stops a throwaway PostgreSQL cluster (scripts/postgres.sh) for
// chain-tests, with a bounded wait and the script's own words on failure.
import { execFile } from "node:child_process";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const SCRIPT = resolve(import.meta.dirname, "../../scripts/postgres.sh");

export interface TestPostgres {
  url: string;
  stop(): Promise<void>;
}

function run(args: string[], timeoutMs: number): Promise<string> {
  return new Promise((done, fail) => {
    execFile("bash", [SCRIPT, ...args], { timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error === null) {
        done(stdout.trim());
        return;
      }
      const why = error.killed ? `timed out after ${timeoutMs} ms` : `exit ${String(error.code)}`;
      fail(new Error(`scripts/postgres.sh ${args.join(" ")}: ${why}\n${stderr.trim()}`));
    });
  });
}

/** A fresh PostgreSQL on 127.0.0.1; `stop()` removes it and its files. */
export async function startPostgres(timeoutMs = 60_000): Promise<TestPostgres> {
  // A parent the `postgres` user can enter when tests run as root.
  const parent = await mkdtemp(join(tmpdir(), "loanbridge-pg-"));
  await chmod(parent, 0o755);
  const dir = join(parent, "cluster");
  let url: string;
  try {
    url = await run(["start", dir], timeoutMs);
  } catch (error) {
    await rm(parent, { recursive: true, force: true });
    throw error;
  }
  if (!url.startsWith("postgresql://")) {
    throw new Error(`scripts/postgres.sh start printed no URL: ${url}`);
  }
  return {
    url,
    async stop() {
      try {
        await run(["stop", dir], timeoutMs);
      } finally {
        await rm(parent, { recursive: true, force: true });
      }
    },
  };
}
