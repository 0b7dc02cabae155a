// The CLI as an operator runs it: a separate `node src/cli.ts` process.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { computeGuid, encodePacket, type Hex } from "@loanbridge/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Store } from "./store/store.ts";

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

describe("against a store", () => {
  it("status_packets_retry_readAndRequeueWithAnAuditEntry", SLOW, async () => {
    const store = await Store.open({ kind: "pglite", dataDir: join(dir, "data") });
    const guid = await recordObserved(store, 1n);
    await store.markFailed(guid, "wrong_emitter: test");
    await store.setCursor(40161, 9n);
    await store.close();

    const status = await cli(["status", "--config", configPath]);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      cursors: [{ eid: 40161, height: "9" }],
      packets: { failed: 1, observed: 0 },
    });
    const failed = await cli(["packets", "list", "--status", "failed", "-c", configPath]);
    expect((JSON.parse(failed.stdout) as { guid: string }[]).map((p) => p.guid)).toEqual([guid]);

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
    const shown = await cli(["packets", "show", guid, "--config", configPath]);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({
      packet: { guid, status: "observed" },
      audit: [{ actor: "alice", action: "retry", subject: guid }],
    });
    const again = await cli(["retry", guid, "--config", configPath]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("cannot become observed");

    const loans = await cli(["loans", "list", "--config", configPath]);
    expect(loans.code).toBe(0);
    expect(JSON.parse(loans.stdout)).toEqual([]);
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
    expect(JSON.parse(shown.stdout)).toMatchObject({
      packet: { guid, status: "denied" },
      audit: [
        {
          actor: "bob",
          action: "deny",
          subject: guid,
          detail: { via: "cli", reason: "sender is compromised" },
        },
      ],
    });
    const again = await cli(["packets", "deny", guid, "--reason", "twice", "-c", configPath]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("cannot become denied");
  });
});
