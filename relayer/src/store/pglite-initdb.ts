// `node pglite-initdb.ts <dataDir>`: gives a fresh data dir its cluster
// (PGlite's initdb) and exits. Run as a process of its own by store.ts
// (PGliteThread.start): the instance that ran initdb keeps hundreds of MiB
// of wasm memory, and only a process's exit hands all of it back.
import { PGlite } from "@electric-sql/pglite";
import { PGLITE_SETTINGS } from "./pglite-settings.ts";

const [dataDir] = process.argv.slice(2);
if (dataDir === undefined) {
  console.error("usage: node pglite-initdb.ts <dataDir>");
  process.exit(2);
}
const pglite = new PGlite({ dataDir, postgresqlconf: PGLITE_SETTINGS });
await pglite.waitReady;
await pglite.close();
