// The embedded Postgres's settings, for every PGlite the store starts.

/**
 * A relayer's working set is a few thousand small rows, and PGlite's
 * default 128 MB of shared buffers is most of a relayer's memory
 * (measured: about 130 MiB less resident memory with these).
 */
export const PGLITE_SETTINGS = ["shared_buffers=16MB", "wal_buffers=1MB"];
