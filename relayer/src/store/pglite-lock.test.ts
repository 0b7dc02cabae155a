import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DataDirInUseError, StoreError } from "./errors.ts";
import { LOCK_FILE, lockDataDir } from "./pglite-lock.ts";

describe("lockDataDir", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "loanbridge-lock-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("createsTheDirAndWritesOurPid_unlockRemovesIt", async () => {
    const nested = join(dir, "a", "b");

    const unlock = await lockDataDir(nested);
    const content = await readFile(join(nested, LOCK_FILE), "utf8");
    await unlock();

    expect(content).toBe(String(process.pid));
    await expect(readFile(join(nested, LOCK_FILE))).rejects.toThrow("ENOENT");
  });

  it("secondLockInThisProcess_isRefused", async () => {
    const unlock = await lockDataDir(dir);
    try {
      const error = await lockDataDir(dir).catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(StoreError);
      expect(error).toBeInstanceOf(DataDirInUseError);
      expect((error as DataDirInUseError).pid).toBe(process.pid);
      expect((error as StoreError).code).toBe("Unavailable");
      expect((error as StoreError).shortMessage).toBe(
        `the PGlite data dir ${dir} is in use by process ${process.pid}`,
      );
    } finally {
      await unlock();
    }
  });

  it("lockOfALiveOtherProcess_isRefused", async () => {
    await writeFile(join(dir, LOCK_FILE), String(process.ppid));

    await expect(lockDataDir(dir)).rejects.toThrow(`in use by process ${process.ppid}`);
  });

  it("staleLocks_areTakenOver", async () => {
    // A pid that is not running, and our own pid left by a previous run (containers reuse pids).
    for (const stale of ["2147483646", String(process.pid), "garbage"]) {
      await writeFile(join(dir, LOCK_FILE), stale);

      const unlock = await lockDataDir(dir);

      expect(await readFile(join(dir, LOCK_FILE), "utf8")).toBe(String(process.pid));
      await unlock();
    }
  });
});
