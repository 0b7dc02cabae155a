// The V8 flags and malloc setting `loanbridge run` runs with, for its
// resident memory (target: under 250 MiB per relayer, flat; DESIGN.md), and
// the re-execution that applies them: the heap's limits are fixed when its
// isolate is created and glibc reads its settings when the process starts,
// so the daemon cannot set them from inside once it runs.

/**
 * Each measured on the local system (README "Performance", relayer RSS):
 * - `--max-semi-space-size=2` (MiB): the young generation of both isolates,
 *   the daemon's and the store's worker thread, grows to 2 × 16 MiB by
 *   default and keeps those pages. At 2 MiB scavenges are more frequent;
 *   with the limit below, a relayer's GC took about 1 s in its first 2.5
 *   minutes, ten loans included (nodejs_gc_duration_seconds).
 * - `--max-old-space-size=256` (MiB): V8 lets the old generation grow
 *   between major collections by a factor it takes from this limit, up to
 *   4 × with the default of a quarter of the machine's memory: a relayer's
 *   heap went from 60 to over 110 MiB after ten loans, and stayed under 85
 *   MiB at 512. At 256 a relayer ended `make bench LOANS=100` at 240–246
 *   MiB resident against 245–254 at 512, at the same throughput. The
 *   daemon's live heap is about 60 MiB, a quarter of the limit.
 * - `--liftoff-only`: PGlite's 9.9 MB wasm module is compiled by the
 *   baseline compiler only. Optimizing its hot functions at start kept
 *   about 40 MiB of compiler memory resident; the store's queries, a few
 *   rows each, ran no slower without it.
 */
export const DAEMON_NODE_FLAGS: readonly string[] = [
  "--max-semi-space-size=2",
  "--max-old-space-size=256",
  "--liftoff-only",
];

/**
 * glibc gives each thread that allocates a malloc arena of its own (up to 8
 * per core), whose freed memory mostly stays resident: 30–37 MiB in a
 * relayer's dozen threads (V8's, libuv's, the store's worker), 10–14 MiB
 * in two arenas.
 */
export const DAEMON_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: "2" };

/**
 * A flag's name as V8 reads it: `--max_semi_space_size=8` is
 * `--max-semi-space-size`, and `--no-liftoff-only` sets `--liftoff-only`
 * (to false).
 */
const flagName = (flag: string) =>
  (flag.split("=")[0] ?? flag).replaceAll("_", "-").replace(/^--no-/, "--");

/**
 * The flags of `wanted` that neither `execArgv` nor `nodeOptions` (the
 * NODE_OPTIONS variable) sets. A flag set there with another value counts
 * as set: an operator's own choice wins.
 */
export function missingNodeFlags(
  execArgv: readonly string[],
  nodeOptions: string | undefined,
  wanted: readonly string[] = DAEMON_NODE_FLAGS,
): string[] {
  const given = [...execArgv, ...(nodeOptions ?? "").split(/\s+/)];
  const set = new Set(given.filter((arg) => arg.startsWith("--")).map(flagName));
  return wanted.filter((flag) => !set.has(flagName(flag)));
}

/** The variables of `wanted` that `env` does not set (an operator's own value wins). */
export function missingEnv(
  env: NodeJS.ProcessEnv,
  wanted: Readonly<Record<string, string>> = DAEMON_ENV,
): Record<string, string> {
  return Object.fromEntries(Object.entries(wanted).filter(([name]) => env[name] === undefined));
}

/**
 * Replaces this process, same pid and stdio (`process.execve`), by itself
 * with the missing DAEMON_NODE_FLAGS and DAEMON_ENV added. Returns when
 * nothing is missing, or where there is no execve (Windows): the daemon
 * then runs without them, as before.
 */
export function execWithDaemonFlags(): void {
  const flags = missingNodeFlags(process.execArgv, process.env.NODE_OPTIONS);
  const env = missingEnv(process.env);
  if ((flags.length === 0 && Object.keys(env).length === 0) || process.execve === undefined) return;
  process.execve(
    process.execPath,
    [process.execPath, ...flags, ...process.execArgv, ...process.argv.slice(1)],
    { ...process.env, ...env },
  );
}
