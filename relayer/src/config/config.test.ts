import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "./errors.ts";
import { configWarnings, loadConfig, parseConfig } from "./load.ts";
import type { RelayerConfigInput } from "./schema.ts";
import { SOLANA_BUILTIN_ADDRESSES } from "./solana-builtins.ts";

const ENDPOINT = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
// The loanbridge program id this repo deploys (solana-program/idl/loanbridge.json).
const PROGRAM_ID = "HWduTQQPx63ZCg1whS7eNbGXCqCu1ws5aRnF1ydMRfFz";
// Hardhat's first dev account key: public, used only to show it is refused inline.
const DEV_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

const validInput = (): RelayerConfigInput & Record<string, unknown> => ({
  relayerId: "relayer-a",
  store: { kind: "pglite", dataDir: "data" },
  api: { port: 9090, adminToken: { env: "ADMIN_TOKEN" } },
  log: { level: "debug" },
  chains: {
    evm: {
      eid: 40161,
      chainId: 31337,
      rpcUrls: ["http://127.0.0.1:8545", "http://127.0.0.1:8546"],
      endpoint: ENDPOINT.toLowerCase(),
      confirmations: 2,
      deploymentsFile: "deployments/localhost.json",
      signerKey: { file: "keys/evm.key" },
    },
    solana: {
      eid: 40168,
      rpcUrls: ["http://127.0.0.1:8899"],
      insecureSingleRpc: true,
      programId: PROGRAM_ID,
      keypair: { env: "SOLANA_KEYPAIR" },
    },
  },
  peers: ["http://relayer-b:8080", "https://relayer-c.example"],
  pipeline: { batchSize: 50, retryBackoff: { initialMs: 500 } },
});

/** The ConfigError message for an input with `edit` applied, or "ok". */
function errorOf(edit: (input: Record<string, unknown>) => void, env = {}): string {
  const input = validInput() as Record<string, unknown>;
  edit(input);
  try {
    parseConfig(input, env, { baseDir: "/etc/loanbridge", cwd: "/srv" });
    return "ok";
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.message;
  }
}

const evm = (input: Record<string, unknown>) =>
  (input.chains as { evm: Record<string, unknown> }).evm;
const solana = (input: Record<string, unknown>) =>
  (input.chains as { solana: Record<string, unknown> }).solana;

describe("parseConfig", () => {
  it("validConfig_parsesWithDefaultsAndResolvedPaths", () => {
    const config = parseConfig(validInput(), {}, { baseDir: "/etc/loanbridge", cwd: "/srv" });

    expect(config).toEqual({
      relayerId: "relayer-a",
      store: { kind: "pglite", dataDir: "/etc/loanbridge/data" },
      api: {
        host: "127.0.0.1",
        port: 9090,
        adminToken: { env: "ADMIN_TOKEN" },
        maxBodyBytes: 65_536,
      },
      log: { level: "debug" },
      chains: {
        evm: {
          eid: 40161,
          chainId: 31337,
          rpcUrls: ["http://127.0.0.1:8545", "http://127.0.0.1:8546"],
          rpcQuorum: 2,
          rpcTimeoutMs: 10_000,
          insecureSingleRpc: false,
          endpoint: ENDPOINT,
          confirmations: 2,
          deploymentsFile: "/etc/loanbridge/deployments/localhost.json",
          signerKey: { file: "/etc/loanbridge/keys/evm.key" },
          assets: [],
        },
        solana: {
          eid: 40168,
          rpcUrls: ["http://127.0.0.1:8899"],
          rpcQuorum: 1,
          rpcTimeoutMs: 10_000,
          insecureSingleRpc: true,
          programId: PROGRAM_ID,
          commitment: "finalized",
          keypair: { env: "SOLANA_KEYPAIR" },
          assets: [],
        },
      },
      peers: ["http://relayer-b:8080", "https://relayer-c.example"],
      pipeline: {
        pollIntervalMs: 2_000,
        batchSize: 50,
        maxAttempts: 10,
        leaseMs: 60_000,
        deliverConcurrency: 8,
        gaugeIntervalMs: 5_000,
        scheduleReadIntervalMs: 10_000,
        retryBackoff: { initialMs: 500, maxMs: 300_000, factor: 2 },
      },
      executor: {
        enabled: true,
        takeoverWindowMs: 20_000,
        maxFeePerGasGwei: 200,
        computeUnitPriceMicroLamports: 1_000,
        maxComputeUnitPriceMicroLamports: 1_000_000,
        computeUnitPricePercentile: 75,
        computeUnitMarginBps: 1_000,
        computeUnitMarginUnits: 1_000,
        peerTimeoutMs: 5_000,
      },
    });
  });

  it("executorKeys_areReferencesResolvedBesideTheFile", () => {
    const input = validInput() as Record<string, unknown>;
    input.executor = {
      enabled: true,
      evmSenderKey: { file: "keys/sender.key" },
      solanaPayerKeypair: { env: "PAYER" },
    };

    const config = parseConfig(input, {}, { baseDir: "/etc/loanbridge", cwd: "/srv" });

    expect(config.executor).toMatchObject({
      enabled: true,
      evmSenderKey: { file: "/etc/loanbridge/keys/sender.key" },
      solanaPayerKeypair: { env: "PAYER" },
    });
    expect(errorOf((raw) => (raw.executor = { enabled: "yes" }))).toMatch(/executor\.enabled/);
    expect(errorOf((raw) => (raw.executor = { senderKey: "0xabc" }))).toMatch(/executor/);
  });

  it("parsedConfig_roundTripsThroughJson", () => {
    const config = parseConfig(validInput(), {}, { baseDir: "/etc/loanbridge" });
    const again = parseConfig(JSON.parse(JSON.stringify(config)), {}, { baseDir: "/elsewhere" });

    expect(again).toEqual(config);
  });

  it("minimalConfig_getsSafeDefaults", () => {
    const config = parseConfig(
      {
        relayerId: "r1",
        chains: {
          solana: {
            eid: 40168,
            rpcUrls: ["http://x:8899", "http://y:8899"],
            programId: PROGRAM_ID,
            keypair: { file: "/k.json" },
          },
        },
      },
      {},
      { cwd: "/srv" },
    );

    expect(config.store).toEqual({ kind: "pglite", dataDir: "/srv/loanbridge-data" });
    expect(config.api).toEqual({ host: "127.0.0.1", port: 8080, maxBodyBytes: 65_536 });
    expect(config.log.level).toBe("info");
    expect(config.peers).toEqual([]);
    expect(config.pipeline.retryBackoff).toEqual({ initialMs: 1_000, maxMs: 300_000, factor: 2 });
    expect(config.chains.solana).toMatchObject({ rpcQuorum: 2, insecureSingleRpc: false });
  });

  it("postgresStore_keepsUrlAsSecret", () => {
    const config = parseConfig(
      { ...validInput(), store: { kind: "postgres", url: "postgresql://lb:hunter2@db:5432/lb" } },
      {},
    );

    expect(config.store.kind).toBe("postgres");
    if (config.store.kind !== "postgres") return;
    expect(config.store.url.reveal()).toBe("postgresql://lb:hunter2@db:5432/lb");
    expect(config.store.poolSize).toBe(10);
    expect(JSON.stringify(config)).not.toContain("hunter2");
  });

  it("pgliteStore_threadNiceness_isKeptAsGiven_andAbsentByDefault", () => {
    const given = parseConfig(
      { ...validInput(), store: { kind: "pglite", dataDir: "/srv/d", threadNiceness: 0 } },
      {},
    );
    const absent = parseConfig(
      { ...validInput(), store: { kind: "pglite", dataDir: "/srv/d" } },
      {},
    );

    expect(given.store).toEqual({ kind: "pglite", dataDir: "/srv/d", threadNiceness: 0 });
    // The store applies its default (10) where the config names none.
    expect(absent.store).toEqual({ kind: "pglite", dataDir: "/srv/d" });
  });

  it("inMemoryStore_isNotResolvedAsAPath", () => {
    const config = parseConfig(
      { ...validInput(), store: { kind: "pglite", dataDir: "memory://" } },
      {},
    );

    expect(config.store).toEqual({ kind: "pglite", dataDir: "memory://" });
  });

  it("eachBadField_namesPathAndReason", () => {
    const cases: Record<string, (input: Record<string, unknown>) => void> = {
      missingRelayerId: (input) => delete input.relayerId,
      badRelayerId: (input) => (input.relayerId = "has spaces"),
      unknownTopLevelField: (input) => (input.relayer_id = "x"),
      badStoreKind: (input) => (input.store = { kind: "mysql" }),
      badPostgresUrl: (input) => (input.store = { kind: "postgres", url: "mysql://db/x" }),
      storeFieldOfOtherKind: (input) => (input.store = { kind: "pglite", url: "postgres://db/x" }),
      storeThreadNicenessTooBig: (input) => (input.store = { kind: "pglite", threadNiceness: 20 }),
      storeThreadNicenessNegative: (input) =>
        (input.store = { kind: "pglite", threadNiceness: -1 }),
      storeThreadNicenessFraction: (input) =>
        (input.store = { kind: "pglite", threadNiceness: 2.5 }),
      storeThreadNicenessOnPostgres: (input) =>
        (input.store = { kind: "postgres", url: "postgres://db/x", threadNiceness: 5 }),
      apiPortTooBig: (input) => (input.api = { port: 70_000 }),
      apiPortNotInteger: (input) => (input.api = { port: 80.5 }),
      logLevel: (input) => (input.log = { level: "verbose" }),
      noChains: (input) => (input.chains = {}),
      evmEidZero: (input) => (evm(input).eid = 0),
      evmEidTooBig: (input) => (evm(input).eid = 2 ** 32),
      rpcUrlInvalid: (input) => (evm(input).rpcUrls = ["http://127.0.0.1:8545", "localhost"]),
      rpcUrlWrongScheme: (input) => (evm(input).rpcUrls = ["ftp://rpc.example"]),
      rpcUrlsEmpty: (input) => (evm(input).rpcUrls = []),
      rpcUrlDuplicate: (input) => (evm(input).rpcUrls = ["http://a:1", "http://a:1"]),
      quorumAboveUrls: (input) => (evm(input).rpcQuorum = 3),
      quorumOneWithoutInsecureSingleRpc: (input) => (evm(input).rpcQuorum = 1),
      singleRpcWithoutInsecureSingleRpc: (input) => delete solana(input).insecureSingleRpc,
      endpointNotAddress: (input) => (evm(input).endpoint = "0x1234"),
      endpointBadChecksum: (input) => (evm(input).endpoint = ENDPOINT.replace("F", "f")),
      confirmationsWord: (input) => (evm(input).confirmations = "safe"),
      signerKeyInline: (input) => (evm(input).signerKey = DEV_KEY),
      signerKeyInlineNoPrefix: (input) => (evm(input).signerKey = DEV_KEY.slice(2)),
      signerKeyInlineField: (input) => (evm(input).signerKey = { key: DEV_KEY }),
      signerKeyInEnvField: (input) => (evm(input).signerKey = { env: DEV_KEY }),
      signerKeyPlainString: (input) => (evm(input).signerKey = "keys/evm.key"),
      signerKeyBothSources: (input) => (evm(input).signerKey = { file: "k", env: "K" }),
      signerKeyBadEnvName: (input) => (evm(input).signerKey = { env: "MY-KEY" }),
      signerKeyMissing: (input) => delete evm(input).signerKey,
      solanaKeypairInlineArray: (input) =>
        (solana(input).keypair = Array.from({ length: 64 }, () => 7)),
      solanaProgramId: (input) => (solana(input).programId = "not-base58!"),
      solanaSameEid: (input) => (solana(input).eid = 40161),
      solanaCommitment: (input) => (solana(input).commitment = "processed"),
      solanaLookupTable: (input) => (solana(input).lookupTable = "not-base58!"),
      priceCapBelowFloor: (input) =>
        (input.executor = {
          computeUnitPriceMicroLamports: 5_000,
          maxComputeUnitPriceMicroLamports: 4_999,
        }),
      pricePercentileZero: (input) => (input.executor = { computeUnitPricePercentile: 0 }),
      marginBpsOverAll: (input) => (input.executor = { computeUnitMarginBps: 10_001 }),
      unknownChainField: (input) => (evm(input).rpcUrl = "http://x"),
      peerNotUrl: (input) => (input.peers = ["relayer-b"]),
      backoffInverted: (input) =>
        (input.pipeline = { retryBackoff: { initialMs: 10_000, maxMs: 100 } }),
      batchSizeZero: (input) => (input.pipeline = { batchSize: 0 }),
      deliverConcurrencyZero: (input) => (input.pipeline = { deliverConcurrency: 0 }),
      deliverConcurrencyFraction: (input) => (input.pipeline = { deliverConcurrency: 1.5 }),
      severalAtOnce: (input) => {
        input.api = { port: -1 };
        input.log = { level: 3 };
      },
    };
    const messages = Object.fromEntries(
      Object.entries(cases).map(([name, edit]) => [name, errorOf(edit)]),
    );

    expect(messages).toMatchInlineSnapshot(`
      {
        "apiPortNotInteger": "api.port: Invalid input: expected int, received number",
        "apiPortTooBig": "api.port: Too big: expected number to be <=65535",
        "backoffInverted": "pipeline.retryBackoff.initialMs: initialMs must not exceed maxMs",
        "badPostgresUrl": "store.url: Invalid URL: expected postgres, postgresql",
        "badRelayerId": "relayerId: expected 1-64 letters, digits, '.', '_' or '-'",
        "badStoreKind": "store.kind: expected "kind": "pglite" or "postgres"",
        "batchSizeZero": "pipeline.batchSize: Too small: expected number to be >=1",
        "confirmationsWord": "chains.evm.confirmations: expected "finalized" or a number of blocks from 0 to 10000",
        "deliverConcurrencyFraction": "pipeline.deliverConcurrency: Invalid input: expected int, received number",
        "deliverConcurrencyZero": "pipeline.deliverConcurrency: Too small: expected number to be >=1",
        "endpointBadChecksum": "chains.evm.endpoint: EVM address has a wrong checksum",
        "endpointNotAddress": "chains.evm.endpoint: expected an EVM address (0x + 40 hex digits)",
        "evmEidTooBig": "chains.evm.eid: expected an endpoint id from 1 to 4294967295",
        "evmEidZero": "chains.evm.eid: expected an endpoint id from 1 to 4294967295",
        "logLevel": "log.level: Invalid option: expected one of "error"|"warn"|"info"|"debug"",
        "marginBpsOverAll": "executor.computeUnitMarginBps: Too big: expected number to be <=10000",
        "missingRelayerId": "relayerId: required",
        "noChains": "chains: configure at least one of evm, solana",
        "peerNotUrl": "peers[0]: Invalid URL",
        "priceCapBelowFloor": "executor.maxComputeUnitPriceMicroLamports: below computeUnitPriceMicroLamports (the floor)",
        "pricePercentileZero": "executor.computeUnitPricePercentile: Too small: expected number to be >=1",
        "quorumAboveUrls": "chains.evm.rpcQuorum: quorum 3 is more than the 2 RPC URLs given",
        "quorumOneWithoutInsecureSingleRpc": "chains.evm.rpcQuorum: a quorum of 1 trusts a single RPC endpoint, which could make this relayer sign a forged or unfinalized packet: give at least 2 URLs (quorum ≥ 2), or set insecureSingleRpc: true (local dev chains only)",
        "rpcUrlDuplicate": "chains.evm.rpcUrls[1]: duplicate URL",
        "rpcUrlInvalid": "chains.evm.rpcUrls[1]: Invalid URL",
        "rpcUrlWrongScheme": "chains.evm.rpcUrls[0]: Invalid URL: expected http, https, ws, wss",
        "rpcUrlsEmpty": "chains.evm.rpcUrls: at least one RPC URL is required",
        "severalAtOnce": "api.port: Too small: expected number to be >=0 (and 1 more)

      Details: api.port: Too small: expected number to be >=0
      log.level: Invalid option: expected one of "error"|"warn"|"info"|"debug"",
        "signerKeyBadEnvName": "chains.evm.signerKey.env: expected an environment variable name (letters, digits, _)",
        "signerKeyBothSources": "chains.evm.signerKey: give "file" or "env", not both",
        "signerKeyInEnvField": "chains.evm.signerKey.env: looks like a private key: keys never go in the config file; give { "file": PATH } or { "env": VAR }",
        "signerKeyInline": "chains.evm.signerKey: looks like a private key: keys never go in the config file; give { "file": PATH } or { "env": VAR }",
        "signerKeyInlineField": "chains.evm.signerKey.key: looks like a private key: keys never go in the config file; give { "file": PATH } or { "env": VAR }",
        "signerKeyInlineNoPrefix": "chains.evm.signerKey: looks like a private key: keys never go in the config file; give { "file": PATH } or { "env": VAR }",
        "signerKeyMissing": "chains.evm.signerKey: required",
        "signerKeyPlainString": "chains.evm.signerKey: expected { "file": PATH } or { "env": VAR }, got a string",
        "singleRpcWithoutInsecureSingleRpc": "chains.solana.rpcUrls: a quorum of 1 trusts a single RPC endpoint, which could make this relayer sign a forged or unfinalized packet: give at least 2 URLs (quorum ≥ 2), or set insecureSingleRpc: true (local dev chains only)",
        "solanaCommitment": "chains.solana.commitment: Invalid option: expected one of "finalized"|"confirmed"",
        "solanaKeypairInlineArray": "chains.solana.keypair: looks like a private key: keys never go in the config file; give { "file": PATH } or { "env": VAR }",
        "solanaLookupTable": "chains.solana.lookupTable: expected a Solana address (base58, 32 bytes)",
        "solanaProgramId": "chains.solana.programId: expected a Solana address (base58, 32 bytes)",
        "solanaSameEid": "chains.solana.eid: same eid as evm",
        "storeFieldOfOtherKind": "store.url: unknown field",
        "storeThreadNicenessFraction": "store.threadNiceness: Invalid input: expected int, received number",
        "storeThreadNicenessNegative": "store.threadNiceness: Too small: expected number to be >=0",
        "storeThreadNicenessOnPostgres": "store.threadNiceness: unknown field",
        "storeThreadNicenessTooBig": "store.threadNiceness: Too big: expected number to be <=19",
        "unknownChainField": "chains.evm.rpcUrl: unknown field",
        "unknownTopLevelField": "relayer_id: unknown field",
      }
    `);
  });

  it("solanaProgramId_aBuiltinAddress_isRefusedSayingWhatTheFieldMustBe", () => {
    const message = errorOf(
      (input) => (solana(input).programId = "BPFLoaderUpgradeab1e11111111111111111111111"),
    );

    expect(message).toBe(
      'chains.solana.programId: BPFLoaderUpgradeab1e11111111111111111111111 is the upgradeable BPF loader, not the loanbridge program: give the address the loanbridge program is deployed at (the "address" of solana-program/idl/loanbridge.json for the program this repo builds)',
    );
    for (const [address, what] of SOLANA_BUILTIN_ADDRESSES) {
      expect(errorOf((input) => (solana(input).programId = address))).toContain(
        `${address} is ${what}, not the loanbridge program`,
      );
    }
  });

  it("inlineKey_neverAppearsInTheError", () => {
    const message = errorOf((input) => (evm(input).signerKey = DEV_KEY));
    const inEnvField = errorOf((input) => (evm(input).signerKey = { env: DEV_KEY }));

    expect(message).not.toContain(DEV_KEY.slice(2, 20));
    expect(inEnvField).not.toContain(DEV_KEY.slice(2, 20));
  });

  it("severalIssues_areAllListedInDetails", () => {
    let error: unknown;
    try {
      parseConfig(
        { relayerId: "", chains: {}, api: { port: "x" } },
        {},
        { source: "relayer.json" },
      );
    } catch (caught) {
      error = caught;
    }

    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatchInlineSnapshot(`
      "relayerId: expected 1-64 letters, digits, '.', '_' or '-' (and 2 more)

      Details: in relayer.json
      relayerId: expected 1-64 letters, digits, '.', '_' or '-'
      api.port: Invalid input: expected number, received string
      chains: configure at least one of evm, solana"
    `);
    expect((error as ConfigError).issues).toHaveLength(3);
  });
});

describe("environment overrides", () => {
  it("env_overridesFileValues", () => {
    const config = parseConfig(
      validInput(),
      {
        LOANBRIDGE_RELAYER_ID: "from-env",
        LOANBRIDGE_API_PORT: "7000",
        LOANBRIDGE_API_HOST: "0.0.0.0",
        LOANBRIDGE_LOG_LEVEL: "warn",
        LOANBRIDGE_EVM_RPC_URLS: "http://a:1, http://b:2,http://c:3",
        LOANBRIDGE_EVM_SIGNER_KEY: DEV_KEY,
        LOANBRIDGE_PEERS: "http://p:1",
        LOANBRIDGE_POLL_INTERVAL_MS: "250",
        LOANBRIDGE_STORE_URL: "postgresql://lb@db/lb",
        UNRELATED: "ignored",
      },
      { baseDir: "/etc/loanbridge", cwd: "/srv" },
    );

    expect(config.relayerId).toBe("from-env");
    expect(config.api.port).toBe(7000);
    expect(config.api.host).toBe("0.0.0.0");
    expect(config.log.level).toBe("warn");
    expect(config.chains.evm?.rpcUrls).toEqual(["http://a:1", "http://b:2", "http://c:3"]);
    expect(config.chains.evm?.rpcQuorum).toBe(2);
    // The key stays in the environment: the config only names the variable.
    expect(config.chains.evm?.signerKey).toEqual({ env: "LOANBRIDGE_EVM_SIGNER_KEY" });
    expect(config.peers).toEqual(["http://p:1"]);
    expect(config.pipeline.pollIntervalMs).toBe(250);
    expect(config.store.kind).toBe("postgres");
  });

  it("envDataDir_resolvesAgainstWorkingDir", () => {
    const config = parseConfig(
      validInput(),
      { LOANBRIDGE_STORE_DATA_DIR: "pg" },
      {
        baseDir: "/etc/loanbridge",
        cwd: "/srv",
      },
    );

    expect(config.store).toEqual({ kind: "pglite", dataDir: "/srv/pg" });
  });

  it("adminTokenEnv_becomesTheTokenReference", () => {
    const input = validInput();
    delete input.api;
    const config = parseConfig(input, { LOANBRIDGE_ADMIN_TOKEN: "s3cret-token-value" });

    expect(config.api.adminToken).toEqual({ env: "LOANBRIDGE_ADMIN_TOKEN" });
  });

  it("badEnvValue_namesTheVariable", () => {
    const messages = [
      { LOANBRIDGE_API_PORT: "eighty" },
      { LOANBRIDGE_API_PORT: "99999" },
      { LOANBRIDGE_EVM_RPC_URLS: "http://ok:1,nope" },
      { LOANBRIDGE_LOG_LEVEL: "loud" },
      { LOANBRIDGE_STORE_URL: "postgres://db/x", LOANBRIDGE_STORE_DATA_DIR: "/d" },
    ].map((env) => errorOf(() => undefined, env));

    expect(messages).toMatchInlineSnapshot(`
      [
        "api.port (from LOANBRIDGE_API_PORT): Invalid input: expected number, received string",
        "api.port (from LOANBRIDGE_API_PORT): Too big: expected number to be <=65535",
        "chains.evm.rpcUrls[1] (from LOANBRIDGE_EVM_RPC_URLS): Invalid URL",
        "log.level (from LOANBRIDGE_LOG_LEVEL): Invalid option: expected one of "error"|"warn"|"info"|"debug"",
        "store: set LOANBRIDGE_STORE_DATA_DIR (PGlite) or LOANBRIDGE_STORE_URL (PostgreSQL), not both",
      ]
    `);
  });
});

describe("loadConfig", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "loanbridge-config-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("file_isReadAndPathsResolveBesideIt", async () => {
    const path = join(dir, "relayer.json");
    await writeFile(path, JSON.stringify(validInput()));

    const config = await loadConfig(path, { LOANBRIDGE_API_PORT: "9999" });

    expect(config.api.port).toBe(9999);
    expect(config.store).toEqual({ kind: "pglite", dataDir: join(dir, "data") });
    expect(config.chains.evm?.signerKey).toEqual({ file: join(dir, "keys/evm.key") });
  });

  it("exampleConfig_loadsWithTheProgramIdThisRepoDeploys", async () => {
    const path = join(import.meta.dirname, "relayer.example.json");
    const idlPath = join(import.meta.dirname, "../../../solana-program/idl/loanbridge.json");
    const idl = JSON.parse(await readFile(idlPath, "utf8")) as { address: string };

    const config = await loadConfig(path, {}, { cwd: "/srv" });

    expect(config.relayerId).toBe("relayer-a");
    expect(config.chains.solana?.programId).toBe(idl.address);
    expect(config.chains.evm?.signerKey).toEqual({
      file: join(import.meta.dirname, "keys/evm-signer.key"),
    });
    // No dataDir in the file: the default, under the working dir.
    expect(config.store).toEqual({ kind: "pglite", dataDir: "/srv/loanbridge-data" });
  });

  it("missingOrMalformedFile_isAConfigError", async () => {
    const broken = join(dir, "broken.json");
    await writeFile(broken, "{ not json");
    const badField = join(dir, "bad.json");
    await writeFile(badField, JSON.stringify({ ...validInput(), api: { port: "x" } }));

    await expect(loadConfig(join(dir, "absent.json"), {})).rejects.toThrow(
      `cannot read config file ${join(dir, "absent.json")}: no such file`,
    );
    await expect(loadConfig(broken, {})).rejects.toThrow(`${broken} is not valid JSON`);
    await expect(loadConfig(badField, {})).rejects.toThrow(
      `api.port: Invalid input: expected number, received string\n\nDetails: in ${badField}`,
    );
  });
});

describe("configWarnings", () => {
  it("riskySettings_areNamed", () => {
    const input = validInput();
    input.api = { host: "0.0.0.0" };
    const config = parseConfig(input, {});

    expect(configWarnings(config)).toMatchInlineSnapshot(`
      [
        "chains.solana.insecureSingleRpc: a single RPC endpoint is trusted alone; it could make this relayer sign a forged or unfinalized packet (local dev chains only)",
        "chains.evm.confirmations: 2 blocks instead of "finalized" (dev chains only)",
        "api.host: 0.0.0.0 exposes the API beyond this machine",
        "api.adminToken: not set, so the retry/deny endpoints are disabled",
      ]
    `);
  });
});
