// The daemon built from a config (in-memory store, API on an ephemeral port,
// an RPC nobody answers), and `loanbridge run` stopped by SIGTERM, quickly
// even when its chains take connections and never answer.
import { spawn } from "node:child_process";
import { createServer, type Server, type Socket } from "node:net";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { getPriority, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VERIFIER_ADDRESSES, VERIFIER_KEYS } from "../chains/evm/testing.ts";
import { parseConfig } from "../config/load.ts";
import { createLogger } from "../observability/logger.ts";
import { seedTestDataDir, testStoreImage } from "../store/testing.ts";
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
      insecureSingleRpc: true,
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
    // Its in-memory store from a migrated image instead of initdb.
    const memoryImage = await testStoreImage();
    const relayer = await startRelayer(config, { env, logger, memoryImage });
    expect(relayer.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    // Every relayer takes its turn delivering unless configured not to.
    expect(relayer.context.executor).toBe(true);
    expect(relayer.context.takeoverWindowMs).toBe(20_000);
    expect([...relayer.context.chains.signers.values()].map((s) => s.signer)).toEqual([
      VERIFIER_ADDRESSES[1],
    ]);
    const health = await fetch(`${relayer.apiUrl}/healthz`);
    expect(health.status).toBe(200);
    // Trusting one RPC endpoint is said at start, in /readyz and as a metric.
    const ready = (await (await fetch(`${relayer.apiUrl}/readyz`)).json()) as {
      checks: Record<string, { ok: boolean; detail?: string }>;
    };
    expect(ready.checks["insecureSingleRpc:evm:40161"]).toEqual({
      ok: true,
      detail:
        "chains.evm trusts a single RPC endpoint alone (insecureSingleRpc): local dev chains only",
    });
    expect(await (await fetch(`${relayer.apiUrl}/metrics`)).text()).toContain(
      'loanbridge_insecure_single_rpc{chain="evm",eid="40161",relayer="daemon-test"} 1',
    );
    // The unreachable RPC is reported and the loop goes on.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await relayer.stop();
    await relayer.stopped;
    await expect(fetch(`${relayer.apiUrl}/healthz`)).rejects.toThrow();
    const log = lines.join("");
    expect(log).toContain("relayer started");
    expect(log).toContain("chains.evm.insecureSingleRpc: a single RPC endpoint is trusted alone");
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

/** A TCP server that takes connections and never answers: a hung RPC endpoint. */
async function blackhole(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => undefined);
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((done) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => {
          done();
        });
      }),
  };
}

describe("stopping with hung chains", () => {
  it("stop_whileEveryRpcCallHangs_returnsWithinTwoSeconds", SLOW, async () => {
    const hung = await blackhole();
    try {
      const env = { [KEY_ENV]: VERIFIER_KEYS[1] };
      const config = parseConfig(
        {
          ...raw,
          chains: {
            evm: { ...raw.chains.evm, rpcUrls: [hung.url], rpcTimeoutMs: 60_000 },
          },
        },
        env,
      );
      const lines: string[] = [];
      const logger = createLogger({
        level: "debug",
        relayerId: "daemon-test",
        stream: new Writable({
          write(chunk: Buffer, _encoding, done) {
            lines.push(chunk.toString());
            done();
          },
        }),
      });
      const memoryImage = await testStoreImage();
      const relayer = await startRelayer(config, { env, logger, memoryImage });
      // The first iteration is now waiting on calls that would take 60 s.
      await new Promise((resolve) => setTimeout(resolve, 500));

      const started = performance.now();
      await relayer.stop();
      const took = performance.now() - started;

      expect(took).toBeLessThan(2_000);
      expect(lines.join("")).toContain("relayer stopped");
    } finally {
      await hung.close();
    }
  });
});

describe("loanbridge run", () => {
  it("sigterm_stopsCleanly_exit0_itsStoreThreadNicenessInTheStartLine", SLOW, async () => {
    const configPath = join(dir, "relayer.json");
    const dataDir = join(dir, "store");
    await seedTestDataDir(dataDir);
    await writeFile(
      configPath,
      JSON.stringify({ ...raw, store: { kind: "pglite", dataDir, threadNiceness: 4 } }),
    );
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
    const started = out.split("\n").find((line) => line.includes("relayer started")) ?? "";
    // The relayer runs at this process's niceness; its store's thread 4 below.
    expect(JSON.parse(started)).toMatchObject({
      storeThreadNiceness: Math.min(19, getPriority(process.pid) + 4),
    });
    expect(out).not.toContain("the store's thread runs at the relayer's CPU priority");
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(out).toContain("relayer stopped");
  });
});
