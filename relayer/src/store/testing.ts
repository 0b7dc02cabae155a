// Fresh stores for tests that open one per case. Each is a real in-memory
// PGlite store of its own, migrated and empty, opened by `Store.open` with
// the relayer's PGlite settings; but it starts from an image of such a
// store, made once per test file (once for all of the `unit` project, whose
// files share modules), instead of running initdb again, which was most of
// those tests' time.
//
// The image is made here rather than by Store.memoryImage, to be small:
// loading it (untarring into PGlite's in-memory file system) is most of an
// open. Measured: 40 MB and about 0.3 s an open from Store.memoryImage's,
// 13 MB and 0.13 s from this one. Two things differ, neither one the
// relayer sees: WAL segments of 1 MB instead of 16 MB (the image holds one
// mostly empty segment), and no template0/template1 databases (only
// CREATE DATABASE reads them, which a store never runs; its tables are in
// `postgres`, as in every store). The schema is the relayer's own
// migrations, run as `Store.open` runs them, and `Store.open` checks them
// again on every store opened from the image.
import { execFile } from "node:child_process";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { promisify } from "node:util";
import { PGlite } from "@electric-sql/pglite";
import { Kysely } from "kysely";
import { Migrator } from "kysely/migration";
import { PGliteDialect } from "kysely-pglite-dialect";
import { IN_MEMORY } from "../config/schema.ts";
import { migrationProvider } from "./migrations.ts";
import { PGLITE_SETTINGS } from "./pglite-settings.ts";
import { Store } from "./store.ts";

const run = promisify(execFile);

let image: Promise<Blob> | undefined;

/** A migrated in-memory store without the template databases, as a tarball. */
async function makeImage(): Promise<Blob> {
  const pglite = new PGlite({
    postgresqlconf: PGLITE_SETTINGS,
    initDbStartParams: ["--wal-segsize=1"],
  });
  const db = new Kysely<unknown>({ dialect: new PGliteDialect(pglite) });
  try {
    const { error } = await new Migrator({ db, provider: migrationProvider }).migrateToLatest();
    if (error !== undefined) {
      throw new Error("migrating the test store image failed", { cause: error });
    }
    for (const name of ["template0", "template1"]) {
      await pglite.query(`UPDATE pg_database SET datistemplate = false WHERE datname = '${name}'`);
      await pglite.query(`DROP DATABASE ${name}`);
    }
    // So that a store opened from the image replays no WAL.
    await pglite.query("CHECKPOINT");
    return await pglite.dumpDataDir("none");
  } finally {
    await db.destroy();
  }
}

/**
 * The image freshTestStore opens stores from, for stores opened elsewhere:
 * `startRelayer`'s `memoryImage`.
 */
export function testStoreImage(): Promise<Blob> {
  image ??= makeImage().catch((error: unknown) => {
    // The next caller tries again rather than failing on this one's error.
    image = undefined;
    throw error;
  });
  return image;
}

/** A new, empty, migrated in-memory store; the caller closes it. */
export async function freshTestStore(): Promise<Store> {
  return Store.open(
    { kind: "pglite", dataDir: IN_MEMORY },
    { memoryImage: await testStoreImage() },
  );
}

/**
 * Fills `dataDir` (created if missing, and empty) with a migrated, empty
 * store from the image, for a test that opens a store on a data dir and
 * is not about creating one: `Store.open` on it then starts PGlite on the
 * files as on any existing store (measured: 0.5 s, against 6 to 7 s for
 * initdb on a data dir). The store.chain-test restart test still creates
 * one from an empty dir.
 */
export async function seedTestDataDir(dataDir: string): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const tarball = join(dataDir, "..", `.${basename(dataDir)}.image.tar`);
  await writeFile(tarball, new Uint8Array(await (await testStoreImage()).arrayBuffer()));
  try {
    await run("tar", ["-xf", tarball, "-C", dataDir]);
  } finally {
    await rm(tarball, { force: true });
  }
}

/**
 * A thread's niceness as the kernel keeps it (`/proc/<pid>/task/<tid>/stat`,
 * its 19th field), read from outside the thread: what a store's
 * `threadPriority` reports is checked against this.
 */
export async function kernelNiceness(thread: number): Promise<number> {
  const stat = await readFile(`/proc/${process.pid}/task/${thread}/stat`, "utf8");
  // The command name (field 2) may hold spaces: count from after its ")".
  return Number(stat.slice(stat.lastIndexOf(") ") + 2).split(" ")[16]);
}
