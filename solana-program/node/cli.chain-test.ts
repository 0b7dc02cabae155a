// Given the CLI, when started with --port 0, then it prints its URL, serves
// RPC and exits 0 on SIGTERM; a bad flag exits non-zero with a clear message.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { rawCall } from "./fixture.ts";

const CLI = fileURLToPath(new URL("./cli.ts", import.meta.url));

function run(args: string[]) {
  return spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
}

describe("svm-node CLI", () => {
  it("portZero_printsUrlServesAndStopsOnSigterm", async () => {
    const child = run(["--port", "0", "--slot-ms", "50", "--finality-depth", "2"]);
    const exited = once(child, "exit");
    const lines = createInterface({ input: child.stdout });
    const [line] = (await once(lines, "line")) as [string];
    const match = /^svm-node listening on (http:\/\/127\.0\.0\.1:(\d+))$/.exec(line);
    expect(match?.[2]).not.toBe("0");

    const url = match?.[1] ?? "";
    expect(await rawCall(url, "getVersion")).toMatchObject({
      result: { "solana-core": expect.any(String) as string },
    });
    const program = await rawCall(url, "getAccountInfo", [
      "HWduTQQPx63ZCg1whS7eNbGXCqCu1ws5aRnF1ydMRfFz",
      { encoding: "base64" },
    ]);
    expect(program.result).toMatchObject({ value: { executable: true } });

    child.kill("SIGTERM");
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
  });

  it("badFlag_exitsWithUsageError", async () => {
    const child = run(["--slot-ms", "fast"]);
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, "exit")) as [number | null];
    expect(code).toBe(2);
    expect(stderr).toContain("option '--slot-ms <ms>' argument 'fast' is invalid");
    expect(stderr).toContain("expected a whole number from 1 to 60000");
  });

  it("unknownFlag_exitsWithUsageError", async () => {
    const child = run(["--colour", "blue"]);
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, "exit")) as [number | null];
    expect(code).toBe(2);
    expect(stderr).toContain("unknown option '--colour'");
  });
});
