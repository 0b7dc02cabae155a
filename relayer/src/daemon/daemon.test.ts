// The daemon built from a config (in-memory store, API on an ephemeral port,
// an RPC nobody answers), and `loanbridge run` stopped by SIGTERM.
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VERIFIER_ADDRESSES, VERIFIER_KEYS } from "../chains/evm/testing.ts";
import { parseConfig } from "../config/load.ts";
import { createLogger } from "../observability/logger.ts";
import { startRelayer } from "./index.ts";

const SLOW = { timeout: 120_000 };
const KEY_ENV = "LOANBRIDGE_TEST_SIGNER_KEY";
const raw = {
  relayerId: "daemon-test",
  store: { kind: "pglite", dataDir: "memory://" },
  api: { port: 0 },
  chains: {
    evm: {
      eid: 40161,
      rpcUrls: ["http://127.0.0.1:9"],
      rpcTimeoutMs: 200,
      endpoint: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
      signerKey: { env: KEY_ENV },
    },
  },
  pipeline: { pollIntervalMs: 50 },
};

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "loanbridge-daemon-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("startRelayer", () => {
  it("buildsFromConfig_servesItsSignersAttestations_andStopsCleanly", SLOW, async () => {
    const env = { [KEY_ENV]: VERIFIER_KEYS[1] };
    const config = parseConfig(raw, env);
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger({ level: "debug", relayerId: "daemon-test", stream });
    const relayer = await startRelayer(config, { env, logger });
    expect(relayer.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(relayer.context.executor).toBe(false);
    expect([...relayer.context.chains.signers.values()].map((s) => s.signer)).toEqual([
      VERIFIER_ADDRESSES[1],
    ]);
    const health = await fetch(`${relayer.apiUrl}/healthz`);
    expect(health.status).toBe(200);
    // The unreachable RPC is reported and the loop goes on.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await relayer.stop();
    await relayer.stopped;
    await expect(fetch(`${relayer.apiUrl}/healthz`)).rejects.toThrow();
    const log = lines.join("");
    expect(log).toContain("relayer started");
    expect(log).toContain("watch.40161 failed");
    expect(log).toContain("relayer stopped");
    expect(log).not.toContain(VERIFIER_KEYS[1]?.slice(2) ?? "never");
  });

  it("missingSignerKey_failsBeforeStarting", SLOW, async () => {
    const config = parseConfig(raw, {});
    const logger = createLogger({
      level: "error",
      relayerId: "daemon-test",
      stream: new Writable({
        write: (_c, _e, done) => {
          done();
        },
      }),
    });
    await expect(startRelayer(config, { env: {}, logger })).rejects.toThrow(
      /LOANBRIDGE_TEST_SIGNER_KEY/,
    );
  });
});

describe("loanbridge run", () => {
  it("sigterm_stopsCleanly_exit0", SLOW, async () => {
    const configPath = join(dir, "relayer.json");
    await writeFile(configPath, JSON.stringify(raw));
    const cli = fileURLToPath(new URL("../cli.ts", import.meta.url));
    const child = spawn(process.execPath, [cli, "run", "--config", configPath], {
      env: { ...process.env, [KEY_ENV]: VERIFIER_KEYS[0] },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    for (let i = 0; i < 600 && !out.includes("relayer started"); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(out).toContain("relayer started");
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(out).toContain("relayer stopped");
  });
});
