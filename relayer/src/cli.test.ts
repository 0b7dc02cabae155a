// The CLI as an operator runs it: a separate `node src/cli.ts` process.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type AddressInfo, createServer as createNetServer } from "node:net";
import { computeGuid, encodePacket, type Hex } from "@loanbridge/shared";
import { getAddress } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChainDirectory } from "./api/chains.ts";
import { createApiServer } from "./api/server.ts";
import { Secret } from "./config/secret.ts";
import { createMetrics } from "./observability/metrics.ts";
import { Store } from "./store/store.ts";
import { seedTestDataDir } from "./store/testing.ts";

const word = (byte: string): Hex => `0x${byte.repeat(32)}`;

const CLI = fileURLToPath(new URL("./cli.ts", import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function withoutConfig(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.LOANBRIDGE_CONFIG;
  return env;
}

function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { ...withoutConfig(), ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

let dir: string;
let configPath: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "loanbridge-cli-"));
  configPath = join(dir, "relayer.json");
  await writeFile(
    configPath,
    JSON.stringify({
      relayerId: "cli-test",
      store: { kind: "pglite", dataDir: "data" },
      chains: {
        evm: {
          eid: 40161,
          rpcUrls: ["http://127.0.0.1:8545"],
          insecureSingleRpc: true,
          endpoint: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
          signerKey: { env: "LOANBRIDGE_TEST_UNUSED_KEY" },
        },
      },
    }),
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// Each case starts Node processes; a few seconds each on a loaded machine.
const SLOW = { timeout: 120_000 };

describe("loanbridge --help", () => {
  it("help_documentsEveryCommand", SLOW, async () => {
    const top = await cli(["--help"]);
    expect(top.code).toBe(0);
    for (const command of ["run", "status", "loans", "packets", "retry", "config", "keys"]) {
      expect(top.stdout).toContain(command);
    }
    const cases: [string[], RegExp][] = [
      [["run", "--help"], /--config|--executor/],
      [["status", "--help"], /cursor/],
      [["loans", "list", "--help"], /--state/],
      [["loans", "show", "--help"], /loanId/],
      [["packets", "list", "--help"], /--status/],
      [["packets", "show", "--help"], /guid/],
      [["retry", "--help"], /Requeue/],
      [["config", "check", "--help"], /never\s+a\s+secret/],
      [["keys", "generate", "--help"], /--out <dir>[\s\S]*--force/],
    ];
    const runs = await Promise.all(cases.map(([args]) => cli(args)));
    runs.forEach((run, i) => {
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(cases[i]?.[1] ?? /./);
    });
  });
});

describe("loanbridge --version", () => {
  it("version_printsTheRelayerPackageVersion", SLOW, async () => {
    const packageJson = fileURLToPath(new URL("../package.json", import.meta.url));
    const { version } = JSON.parse(await readFile(packageJson, "utf8")) as { version: string };
    const runs = await Promise.all([cli(["--version"]), cli(["-V"])]);
    for (const run of runs) {
      expect(run.code).toBe(0);
      expect(run.stdout).toBe(`${version}\n`);
    }
  });
});

describe("subcommand help", () => {
  it("subcommandHelp_showsConfigOnEveryCommandThatReadsIt", SLOW, async () => {
    const commands = [
      ["run"],
      ["status"],
      ["loans", "list"],
      ["loans", "show"],
      ["packets", "list"],
      ["packets", "show"],
      ["packets", "deny"],
      ["retry"],
      ["config", "check"],
    ];
    const runs = await Promise.all(commands.map((command) => cli([...command, "--help"])));
    runs.forEach((run, i) => {
      expect(run.code, commands[i]?.join(" ")).toBe(0);
      expect(run.stdout, commands[i]?.join(" ")).toContain("-c, --config <file>");
    });
  });
});

describe("bad input", () => {
  it("usageError_printsTheErrorAndAHintNamingTheCommandsHelp_notTheWholeHelp", SLOW, async () => {
    const cases: [string[], string, string][] = [
      [["packets", "list", "--bogus"], "unknown option '--bogus'", "loanbridge packets list"],
      [["packets", "deny"], "missing required argument 'guid'", "loanbridge packets deny"],
      [["loans", "list", "--limit", "0"], "expected a whole number", "loanbridge loans list"],
      [["status"], "missing --config", "loanbridge status"],
    ];
    const runs = await Promise.all(cases.map(([args]) => cli(args)));
    runs.forEach((run, i) => {
      const [, error = "", command = ""] = cases[i] ?? [];
      expect(run.code).toBe(2);
      const lines = run.stderr.trimEnd().split("\n");
      expect(lines).toHaveLength(2);
      expect(lines[0]).toContain(error);
      expect(lines[1]).toBe(`run '${command} --help' for usage`);
    });
  });

  it("missingRequiredOptions_areAllReportedInOneMessage", SLOW, async () => {
    const run = await cli(["borrow", "--from", "evm"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      "required options '--collateral <amount>', '--principal <amount>', '--recipient <address>' not specified",
    );
  });

  it("packetsDeny_notAGuidOrNoReason_exits2WithAClearMessage", SLOW, async () => {
    const guid = word("ab");
    const [notAGuid, noReason, blankReason] = await Promise.all([
      cli(["packets", "deny", "not-a-guid", "--reason", "spam", "-c", configPath]),
      cli(["packets", "deny", guid, "-c", configPath]),
      cli(["packets", "deny", guid, "--reason", " ", "-c", configPath]),
    ]);
    expect(notAGuid.code).toBe(2);
    expect(notAGuid.stderr).toContain("expected a guid: 0x followed by 64 hex digits");
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toContain("required option '--reason <text>' not specified");
    expect(blankReason.code).toBe(2);
    expect(blankReason.stderr).toContain("expected a reason");
  });

  it("packetsShow_notAGuid_exits2WithAClearMessage", SLOW, async () => {
    const run = await cli(["packets", "show", "not-a-guid"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("expected a guid: 0x followed by 64 hex digits");
  });

  it("missingConfig_exits2", SLOW, async () => {
    const none = await cli(["status"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("missing --config");
    const absent = await cli(["status", "--config", join(dir, "nope.json")]);
    expect(absent.code).toBe(2);
    expect(absent.stderr).toContain("no such file");
  });

  it("listFlags_badStateBorrowerLimitCursorTx_exit2", SLOW, async () => {
    const cases: [string[], string][] = [
      [["loans", "list", "--state", "Active"], "Allowed choices are requested, active"],
      [["loans", "list", "--borrower", "0x12"], "expected an EVM address"],
      [["loans", "list", "--limit", "501"], "expected a whole number from 1 to 500"],
      [["loans", "list", "--cursor", "nope"], "expected the nextCursor of a previous page"],
      [["packets", "list", "--tx", "a b"], "expected a transaction hash"],
    ];
    const runs = await Promise.all(cases.map(([args]) => cli([...args, "-c", configPath])));
    runs.forEach((run, i) => {
      expect(run.code, cases[i]?.[0].join(" ")).toBe(2);
      expect(run.stderr).toContain(cases[i]?.[1]);
    });
  });

  it("unknownStatus_exits2", SLOW, async () => {
    const run = await cli(["packets", "list", "--status", "lost", "--config", configPath]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("Allowed choices are observed");
  });
});

describe("setup: keys generate, config check", () => {
  it("keysGenerate_thenConfigCheck_printPublicKeysAndASummary_neverASecret", SLOW, async () => {
    const out = join(dir, "setup-keys");
    const generated = await cli(["keys", "generate", "--out", out]);
    expect(generated.code, generated.stderr).toBe(0);
    const keys = JSON.parse(generated.stdout) as {
      evmAddress: string;
      solanaPublicKey: string;
      config: { chains: { evm: { signerKey: unknown }; solana: { keypair: unknown } } };
    };
    const evmKeyFile = join(out, "evm.key");
    const solanaKeypairFile = join(out, "solana-keypair.json");
    expect(keys.evmAddress).toMatch(/^0x[0-9a-fA-F]{40}$/);
    expect(keys.config.chains).toEqual({
      evm: { signerKey: { file: evmKeyFile } },
      solana: { keypair: { file: solanaKeypairFile } },
    });
    expect((await stat(evmKeyFile)).mode & 0o777).toBe(0o600);
    const evmKey = (await readFile(evmKeyFile, "utf8")).trim();
    const solanaKeypair = await readFile(solanaKeypairFile, "utf8");

    const path = join(dir, "setup.json");
    await writeFile(
      path,
      JSON.stringify({
        relayerId: "setup-test",
        store: { kind: "pglite", dataDir: "memory://" },
        chains: {
          evm: {
            eid: 40161,
            rpcUrls: ["http://127.0.0.1:8545"],
            insecureSingleRpc: true,
            endpoint: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
            ...keys.config.chains.evm,
          },
          solana: {
            eid: 40168,
            rpcUrls: ["http://127.0.0.1:8899", "http://127.0.0.1:8999"],
            programId: "HWduTQQPx63ZCg1whS7eNbGXCqCu1ws5aRnF1ydMRfFz",
            ...keys.config.chains.solana,
          },
        },
      }),
    );
    const check = await cli(["config", "check", "-c", path], { LOANBRIDGE_API_PORT: "9191" });

    expect(check.code, check.stderr).toBe(0);
    expect(JSON.parse(check.stdout)).toMatchObject({
      relayerId: "setup-test",
      chains: [
        { name: "evm", eid: 40161, rpcUrls: 1, rpcQuorum: 1, insecureSingleRpc: true },
        { name: "solana", eid: 40168, rpcUrls: 2, rpcQuorum: 2, insecureSingleRpc: false },
      ],
      store: "pglite",
      executor: { enabled: true },
      peers: 0,
      envOverrides: [{ env: "LOANBRIDGE_API_PORT", field: "api.port" }],
      secrets: [
        { field: "chains.evm.signerKey", publicKey: keys.evmAddress },
        { field: "chains.solana.keypair", publicKey: keys.solanaPublicKey },
      ],
    });
    for (const output of [generated.stdout, generated.stderr, check.stdout, check.stderr]) {
      expect(output).not.toContain(evmKey.slice(2));
      expect(output).not.toContain(solanaKeypair.slice(1, 40));
    }
  });

  it("keysGenerate_existingFiles_areKeptAndItExits1NamingForce", SLOW, async () => {
    const out = join(dir, "kept-keys");
    await cli(["keys", "generate", "--out", out]);
    const before = await readFile(join(out, "evm.key"), "utf8");

    const again = await cli(["keys", "generate", "--out", out]);

    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`${join(out, "evm.key")}, ${join(out, "solana-keypair.json")}`);
    expect(again.stderr).toContain("--force");
    expect(await readFile(join(out, "evm.key"), "utf8")).toBe(before);
  });

  it("configCheck_builtinProgramIdOrMissingKey_exits2NamingTheField", SLOW, async () => {
    const path = join(dir, "bad-setup.json");
    await writeFile(
      path,
      JSON.stringify({
        relayerId: "setup-test",
        chains: {
          solana: {
            eid: 40168,
            rpcUrls: ["http://127.0.0.1:8899"],
            insecureSingleRpc: true,
            programId: "BPFLoaderUpgradeab1e11111111111111111111111",
            keypair: { file: "keys/absent.json" },
          },
        },
      }),
    );
    const badProgram = await cli(["config", "check", "-c", path]);
    expect(badProgram.code).toBe(2);
    expect(badProgram.stderr).toContain(
      "chains.solana.programId: BPFLoaderUpgradeab1e11111111111111111111111 is the upgradeable BPF loader, not the loanbridge program",
    );

    const text = (await readFile(path, "utf8")).replace(
      "BPFLoaderUpgradeab1e11111111111111111111111",
      "HWduTQQPx63ZCg1whS7eNbGXCqCu1ws5aRnF1ydMRfFz",
    );
    await writeFile(path, text);
    const missingKey = await cli(["config", "check", "-c", path]);
    expect(missingKey.code).toBe(2);
    expect(missingKey.stderr).toBe(
      `error: chains.solana.keypair: cannot read ${join(dir, "keys/absent.json")}: no such file\n\nDetails: in ${path}\n`,
    );
  });
});

/** Records an observed packet at `nonce` on one path (its own source transaction); returns its guid. */
async function recordObserved(store: Store, nonce: bigint): Promise<Hex> {
  const header = { nonce, srcEid: 40161, sender: word("0a"), dstEid: 40168, receiver: word("0b") };
  const guid = computeGuid(header);
  await store.recordObserved({
    packet: encodePacket(header, `0x0${nonce}` as Hex),
    guid,
    srcEid: 40161,
    dstEid: 40168,
    nonce,
    sourceTx: `0x${nonce.toString(16).padStart(64, "c")}`,
    sourceHeight: 4n + nonce,
    sourceIndex: 0,
  });
  return guid;
}

/** The audit trail of a packet in the CLI's store (closed again). */
async function auditOf(guid: Hex) {
  const store = await Store.open({ kind: "pglite", dataDir: join(dir, "data") });
  try {
    return await store.listAudit({ subject: guid, limit: 10 });
  } finally {
    await store.close();
  }
}

describe("against a store", () => {
  // The CLI's data dir holds a migrated store's files (seeded from an image:
  // initdb on a data dir takes seconds), as a relayer's does once it ran.
  beforeAll(async () => {
    await seedTestDataDir(join(dir, "data"));
  });

  it("status_packets_retry_readAndRequeueWithAnAuditEntry", SLOW, async () => {
    const store = await Store.open({ kind: "pglite", dataDir: join(dir, "data") });
    const guid = await recordObserved(store, 1n);
    await store.markFailed(guid, "wrong_emitter: test");
    await store.setCursor(40161, 9n);
    await store.close();

    const status = await cli(["status", "--config", configPath]);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      relayerId: "cli-test",
      chains: [{ chain: { name: "evm", eid: 40161 }, cursor: "9", head: null }],
      packets: { failed: 1, observed: 0 },
    });
    const failed = await cli(["packets", "list", "--status", "failed", "-c", configPath]);
    expect(JSON.parse(failed.stdout)).toMatchObject({
      packets: [{ guid, status: "failed", srcChain: { name: "evm", eid: 40161 } }],
      nextCursor: null,
    });

    const retry = await cli([
      "retry",
      guid,
      "--actor",
      "alice",
      "--reason",
      "fixed rpc",
      "-c",
      configPath,
    ]);
    expect(retry.code).toBe(0);
    expect(JSON.parse(retry.stdout)).toMatchObject({ guid, status: "observed" });
    const shown = await cli(["packets", "show", guid, "--config", configPath]);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ guid, status: "observed", attempts: 0 });
    expect(await auditOf(guid)).toMatchObject([
      {
        actor: "alice",
        action: "retry",
        subject: guid,
        detail: { via: "cli", reason: "fixed rpc" },
      },
    ]);
    const again = await cli(["retry", guid, "--config", configPath]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("cannot become observed");

    const loans = await cli(["loans", "list", "--config", configPath]);
    expect(loans.code).toBe(0);
    expect(JSON.parse(loans.stdout)).toEqual({ loans: [], nextCursor: null });
    const noLoan = await cli(["loans", "show", `0x${"11".repeat(32)}`, "--config", configPath]);
    expect(noLoan.code).toBe(1);
    expect(noLoan.stderr).toContain("no loan");
  });

  it("packetsDeny_deniesThePacketWithAnAuditEntry", SLOW, async () => {
    const store = await Store.open({ kind: "pglite", dataDir: join(dir, "data") });
    const guid = await recordObserved(store, 2n);
    await store.close();

    const deny = await cli([
      "packets",
      "deny",
      guid,
      "--reason",
      "sender is compromised",
      "--actor",
      "bob",
      "-c",
      configPath,
    ]);
    expect(deny.code, deny.stderr).toBe(0);
    expect(JSON.parse(deny.stdout)).toMatchObject({
      guid,
      status: "denied",
      lastError: "denied: sender is compromised",
    });
    const shown = await cli(["packets", "show", guid, "--config", configPath]);
    expect(JSON.parse(shown.stdout)).toMatchObject({ guid, status: "denied" });
    expect(await auditOf(guid)).toMatchObject([
      {
        actor: "bob",
        action: "deny",
        subject: guid,
        detail: { via: "cli", reason: "sender is compromised" },
      },
    ]);
    const again = await cli(["packets", "deny", guid, "--reason", "twice", "-c", configPath]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("cannot become denied");
  });
});

/** A port nothing listens on (taken, then given back). */
async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// Defect 3: the embedded store is locked while the relayer runs. Here this
// test process is "the relayer": it holds the store (its lock names this
// live process) and serves the API on it, as the daemon does.
describe("while the relayer holds the embedded store", () => {
  const relayerId = "locked-test";
  const chains = { evm: { eid: 40161 }, solana: { eid: 40168 } };
  let lockedDir: string;

  async function configFor(port: number, adminToken: boolean): Promise<string> {
    const path = join(lockedDir, `relayer-${port}-${adminToken}.json`);
    await writeFile(
      path,
      JSON.stringify({
        relayerId,
        store: { kind: "pglite", dataDir: "store" },
        api: {
          host: "127.0.0.1",
          port,
          ...(adminToken && { adminToken: { env: "LOANBRIDGE_TEST_ADMIN_TOKEN" } }),
        },
        chains: {
          evm: {
            eid: 40161,
            rpcUrls: ["http://127.0.0.1:8545"],
            insecureSingleRpc: true,
            endpoint: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
            signerKey: { env: "LOANBRIDGE_TEST_UNUSED_KEY" },
          },
          solana: {
            eid: 40168,
            rpcUrls: ["http://127.0.0.1:8899"],
            insecureSingleRpc: true,
            programId: "HWduTQQPx63ZCg1whS7eNbGXCqCu1ws5aRnF1ydMRfFz",
            keypair: { env: "LOANBRIDGE_TEST_UNUSED_KEYPAIR" },
          },
        },
      }),
    );
    return path;
  }

  /** The store and its API, running; `stop` gives the store back. */
  async function runningRelayer(token: string | undefined) {
    const store = await Store.open({ kind: "pglite", dataDir: join(lockedDir, "store") });
    const api = createApiServer({
      config: { host: "127.0.0.1", port: 0, maxBodyBytes: 4_096 },
      store,
      registry: createMetrics({ defaultMetrics: false }).registry,
      relayerId,
      chains: ChainDirectory.fromConfig(chains),
      ...(token !== undefined && { adminToken: new Secret(token, "test") }),
    });
    const { port } = await api.listen();
    return {
      store,
      port,
      stop: async () => {
        await api.close();
        await store.close();
      },
    };
  }

  beforeAll(async () => {
    lockedDir = await mkdtemp(join(tmpdir(), "loanbridge-cli-locked-"));
    // A migrated store's files (seeded from an image, not initdb's seconds).
    await seedTestDataDir(join(lockedDir, "store"));
  });

  afterAll(async () => {
    await rm(lockedDir, { recursive: true, force: true });
  });

  it("reads_goThroughTheRunningRelayersApi_andPrintWhatTheStoreWouldGive", SLOW, async () => {
    const relayer = await runningRelayer(undefined);
    let config = "";
    const reads: string[][] = [];
    const throughApi: Run[] = [];
    try {
      const guid = await recordObserved(relayer.store, 3n);
      const loanId: Hex = `0x${"42".repeat(32)}`;
      await relayer.store.upsertLoan({
        loanId,
        collateralEid: 40161,
        lendingEid: 40168,
        side: "vault",
        state: "Requested",
        borrower: `0x${"00".repeat(12)}${"cd".repeat(20)}`,
        collateralAsset: `0x${"00".repeat(32)}`,
        collateralAmount: 25n * 10n ** 17n,
      });
      await relayer.store.setCursor(40161, 12n);
      config = await configFor(relayer.port, false);
      reads.push(
        ["status"],
        ["loans", "list", "--state", "requested", "--borrower", `0x${"CD".repeat(20)}`],
        ["loans", "show", loanId],
        ["packets", "list", "--limit", "1"],
        ["packets", "show", guid],
      );
      throughApi.push(...(await Promise.all(reads.map((args) => cli([...args, "-c", config])))));
    } finally {
      await relayer.stop();
    }
    // One at a time: each locks the store while it reads.
    const fromStore: Run[] = [];
    for (const args of reads) fromStore.push(await cli([...args, "-c", config]));

    const url = `http://127.0.0.1:${relayer.port}`;
    throughApi.forEach((run, i) => {
      const command = reads[i]?.join(" ");
      expect(run.code, `${command}: ${run.stderr}`).toBe(0);
      expect(run.stderr).toBe(
        `the PGlite data dir ${join(lockedDir, "store")} is in use by process ${process.pid}: going through the running relayer's API at ${url}\n`,
      );
      expect(fromStore[i]?.stderr, command).toBe("");
      // The same views, whichever way they came.
      expect(JSON.parse(run.stdout), command).toEqual(JSON.parse(fromStore[i]?.stdout ?? ""));
    });
    expect(JSON.parse(throughApi[1]?.stdout ?? "")).toMatchObject({
      loans: [
        {
          loanId: `0x${"42".repeat(32)}`,
          borrower: getAddress(`0x${"cd".repeat(20)}`),
          vaultState: "requested",
          collateral: { formatted: "2.5", symbol: "ETH" },
        },
      ],
      nextCursor: null,
    });
    expect(JSON.parse(throughApi[0]?.stdout ?? "")).toMatchObject({
      relayerId,
      chains: [{ cursor: "12" }, { cursor: null }],
    });
  });

  it("retryAndDeny_goThroughTheApiWithTheAdminToken_orSayWhatIsMissing", SLOW, async () => {
    const token = "cli-admin-token-0123456789";
    const relayer = await runningRelayer(token);
    try {
      const guid = await recordObserved(relayer.store, 4n);
      const withToken = await configFor(relayer.port, true);
      const withoutToken = await configFor(relayer.port, false);
      const env = { LOANBRIDGE_TEST_ADMIN_TOKEN: token };

      const noToken = await cli(["packets", "deny", guid, "--reason", "x", "-c", withoutToken]);
      const denied = await cli(
        ["packets", "deny", guid, "--reason", "spam", "--actor", "carol", "-c", withToken],
        env,
      );
      const retried = await cli(["retry", guid, "--actor", "carol", "-c", withToken], env);
      const again = await cli(["retry", guid, "-c", withToken], env);

      expect(noToken.code).toBe(1);
      expect(noToken.stderr).toContain("need its admin token: set api.adminToken");
      expect(denied.code, denied.stderr).toBe(0);
      expect(JSON.parse(denied.stdout)).toMatchObject({ guid, status: "denied" });
      expect(retried.code, retried.stderr).toBe(0);
      expect(JSON.parse(retried.stdout)).toMatchObject({ guid, status: "observed" });
      expect(again.code).toBe(1);
      expect(again.stderr).toContain("cannot become observed");
      expect(await relayer.store.listAudit({ subject: guid, limit: 5 })).toMatchObject([
        { actor: "carol", action: "packet.retry" },
        { actor: "carol", action: "packet.deny", detail: { reason: "spam", from: "observed" } },
      ]);
    } finally {
      await relayer.stop();
    }
  });

  it("apiUnreachableToo_theErrorNamesBoth", SLOW, async () => {
    const store = await Store.open({ kind: "pglite", dataDir: join(lockedDir, "store") });
    try {
      const port = await freePort();
      const config = await configFor(port, false);

      const run = await cli(["loans", "list", "-c", config]);

      expect(run.code).toBe(1);
      expect(run.stderr).toContain(
        `error: the PGlite data dir ${join(lockedDir, "store")} is in use by process ${process.pid}, and the relayer's API at http://127.0.0.1:${port} cannot be reached`,
      );
    } finally {
      await store.close();
    }
  });
});
