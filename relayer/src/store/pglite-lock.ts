// PGlite serves one process. Two relayer processes on one data dir would
// corrupt it, so the store takes a lock file (holding its pid) in the data
// dir; several processes of one operator share a PostgreSQL store instead.
import { mkdir, open, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { DataDirInUseError, StoreError } from "./errors.ts";

export const LOCK_FILE = "loanbridge.lock";

/** Data dirs this process holds (a pid alone cannot tell a stale lock of ours). */
const held = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Creates `dir` if needed and locks it; resolves with the unlock function. */
export async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (cause) {
    throw new StoreError("Unavailable", `cannot create the PGlite data dir ${dir}`, { cause });
  }
  const path = join(dir, LOCK_FILE);
  const inUse = (pid: number) => new DataDirInUseError(dir, pid, path);
  if (held.has(dir)) throw inUse(process.pid);
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const handle = await open(path, "wx");
      await handle.writeFile(String(process.pid));
      await handle.close();
      held.add(dir);
      return async () => {
        held.delete(dir);
        await rm(path, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const pid = Number((await readFile(path, "utf8").catch(() => "")).trim());
    // Our own pid in a lock we do not hold is a previous run's (containers reuse pids).
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) throw inUse(pid);
    await rm(path, { force: true });
  }
  throw new StoreError("Unavailable", `cannot lock the PGlite data dir ${dir}`);
}
