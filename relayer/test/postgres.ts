// Starts and stops a throwaway PostgreSQL cluster (scripts/postgres.sh) for
// chain-tests, with a bounded wait and the script's own words on failure;
// `halt()`/`resume()` take the server down and up again (an outage) on the
// same data and port.
import { execFile } from "node:child_process";
import { readdirSync } from "node:fs";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const SCRIPT = resolve(import.meta.dirname, "../../scripts/postgres.sh");

export interface TestPostgres {
  url: string;
  stop(): Promise<void>;
  /** Kills the server at once (`pg_ctl stop -m immediate`: no checkpoint, clients cut off); data kept. */
  halt(): Promise<void>;
  /** Starts the halted server again on the same data dir and port (crash recovery runs). */
  resume(): Promise<void>;
}

function exec(file: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((done, fail) => {
    execFile(file, args, { timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error === null) {
        done(stdout.trim());
        return;
      }
      const why = error.killed ? `timed out after ${timeoutMs} ms` : `exit ${String(error.code)}`;
      fail(new Error(`${[file, ...args].join(" ")}: ${why}\n${stderr.trim()}`));
    });
  });
}

const run = (args: string[], timeoutMs: number) => exec("bash", [SCRIPT, ...args], timeoutMs);

/** The binaries scripts/postgres.sh uses: $PG_BIN, else the newest /usr/lib/postgresql/N/bin. */
function pgBin(): string {
  const fromEnv = process.env.PG_BIN;
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  const versions = readdirSync("/usr/lib/postgresql")
    .filter((name) => /^\d+$/.test(name))
    .sort((a, b) => Number(a) - Number(b));
  const newest = versions.at(-1);
  if (newest === undefined) throw new Error("no PostgreSQL in /usr/lib/postgresql");
  return `/usr/lib/postgresql/${newest}/bin`;
}

/** pg_ctl on the cluster, as its owner (`postgres` when we are root, as the script does). */
function pgCtl(dir: string, args: string[], timeoutMs: number): Promise<string> {
  const pgctl = [`${pgBin()}/pg_ctl`, "-D", join(dir, "data"), ...args];
  return process.getuid?.() === 0
    ? exec("runuser", ["-u", "postgres", "--", ...pgctl], timeoutMs)
    : exec(pgctl[0] ?? "pg_ctl", pgctl.slice(1), timeoutMs);
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
    async halt() {
      await pgCtl(dir, ["-m", "immediate", "-w", "-t", "30", "stop"], timeoutMs);
    },
    async resume() {
      // `restart` on a stopped server starts it with the options of its last
      // start (postmaster.opts): the script's port, socket dir and settings.
      await pgCtl(dir, ["-l", join(dir, "server.log"), "-w", "-t", "30", "restart"], timeoutMs);
    },
    async stop() {
      try {
        await run(["stop", dir], timeoutMs);
      } finally {
        await rm(parent, { recursive: true, force: true });
      }
    },
  };
}
