import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { DAEMON_ENV, DAEMON_NODE_FLAGS, missingEnv, missingNodeFlags } from "./node-flags.ts";

const execFileAsync = promisify(execFile);

describe("missingNodeFlags", () => {
  it("noFlagsGiven_returnsEveryDaemonFlag", () => {
    expect(missingNodeFlags([], undefined)).toEqual(DAEMON_NODE_FLAGS);
  });

  it("allGiven_returnsNone", () => {
    expect(missingNodeFlags([...DAEMON_NODE_FLAGS].reverse(), "")).toEqual([]);
  });

  it("operatorsOwnValue_wins", () => {
    expect(missingNodeFlags(["--max-semi-space-size=8"], undefined)).toEqual([
      "--max-old-space-size=256",
      "--liftoff-only",
    ]);
    expect(missingNodeFlags([], "--max-old-space-size=1024  --max_semi_space_size=8")).toEqual([
      "--liftoff-only",
    ]);
    // Turned off is set too.
    expect(missingNodeFlags(["--no-liftoff-only"], "--max-semi-space-size=16")).toEqual([
      "--max-old-space-size=256",
    ]);
  });

  it("valuesAndOtherArguments_areNotFlagNames", () => {
    expect(missingNodeFlags(["--input-type=module", "-e", "--liftoff-only", "512"], "  ")).toEqual([
      "--max-semi-space-size=2",
      "--max-old-space-size=256",
    ]);
  });
});

describe("missingEnv", () => {
  it("unset_returnsTheDaemonsValue", () => {
    expect(missingEnv({})).toEqual(DAEMON_ENV);
  });

  it("operatorsOwnValue_wins", () => {
    expect(missingEnv({ MALLOC_ARENA_MAX: "4" })).toEqual({});
  });
});

/** Runs `code` as a module in a Node process of its own (`flags` before it); its stdout lines. */
async function runNode(
  code: string,
  flags: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<string[]> {
  const { stdout } = await execFileAsync(
    process.execPath,
    [...flags, "--input-type=module", "-e", code],
    { env: { ...process.env, NODE_OPTIONS: "", MALLOC_ARENA_MAX: undefined, ...env } },
  );
  return stdout.trim().split("\n");
}

interface Start {
  pid: number;
  flags: string[];
  arenas?: string;
}

describe("execWithDaemonFlags", () => {
  const module = fileURLToPath(new URL("./node-flags.ts", import.meta.url));
  // Prints its pid, flags and arena setting at every start, then "ran" once it goes on.
  const script = `
    import { execWithDaemonFlags } from ${JSON.stringify(module)};
    console.log(JSON.stringify({
      pid: process.pid,
      flags: process.execArgv.filter((a) => a.startsWith("--")),
      arenas: process.env.MALLOC_ARENA_MAX,
    }));
    execWithDaemonFlags();
    console.log("ran");`;
  const starts = (lines: string[]) => lines.slice(0, -1).map((line) => JSON.parse(line) as Start);

  it("nothingGiven_reexecutesTheSameProcessWithAll", async () => {
    const lines = await runNode(script);

    const [before, after, ...more] = starts(lines);
    expect(before).toEqual({ pid: before?.pid, flags: ["--input-type=module"] });
    expect(after).toEqual({
      pid: before?.pid,
      flags: [...DAEMON_NODE_FLAGS, "--input-type=module"],
      arenas: DAEMON_ENV.MALLOC_ARENA_MAX,
    });
    expect(more).toEqual([]);
    expect(lines.at(-1)).toBe("ran");
  });

  it("someGivenByTheOperator_addsOnlyTheOthers", async () => {
    const lines = await runNode(script, [], {
      NODE_OPTIONS: "--max-semi-space-size=4",
      MALLOC_ARENA_MAX: "1",
    });

    const [, after, ...more] = starts(lines);
    expect(after?.flags).toEqual([
      "--max-old-space-size=256",
      "--liftoff-only",
      "--input-type=module",
    ]);
    expect(after?.arenas).toBe("1");
    expect(more).toEqual([]);
  });

  it("allGiven_runsOnWithoutReexecuting", async () => {
    const lines = await runNode(script, [...DAEMON_NODE_FLAGS], DAEMON_ENV);

    expect(starts(lines)).toHaveLength(1);
    expect(lines.at(-1)).toBe("ran");
  });
});
