// The embedded Postgres's settings, for every PGlite the store starts.

/**
 * A relayer's working set is a few thousand small rows, and PGlite's
 * default 128 MB of shared buffers is most of a relayer's memory: Postgres
 * touches all of its buffers at start, and wasm memory is never given back.
 * Measured, resident: about 130 MiB less at 16 MB than at 128 MB, and 8 MiB
 * less again at 8 MB (the wasm memory of a relayer after a bench: 23 MiB);
 * a page not in them is read from the data dir, through the OS's cache.
 */
export const PGLITE_SETTINGS = ["shared_buffers=8MB", "wal_buffers=1MB"];
