import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EvmAttestationSigner } from "../chains/evm/signer.ts";
import { checkConfig } from "./check.ts";
import { ConfigError } from "./errors.ts";
import { type Hex, toBytes } from "@loanbridge/shared";
import { id } from "ethers";
import { type StandInSigner, startStandInSigner } from "../signing/testing.ts";
import { type GeneratedKeys, generateKeyFiles } from "./keys.ts";

const PROGRAM_ID = "HWduTQQPx63ZCg1whS7eNbGXCqCu1ws5aRnF1ydMRfFz";
const TOKEN = "admin-token-never-printed-0123456789";

const configWith = (overrides: Record<string, unknown> = {}) => ({
  relayerId: "relayer-a",
  store: { kind: "pglite", dataDir: "data" },
  api: { adminToken: { env: "TEST_ADMIN_TOKEN" } },
  chains: {
    evm: {
      eid: 40161,
      rpcUrls: ["https://rpc-a.example/v2/API-KEY", "https://rpc-b.example"],
      endpoint: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
      signerKey: { file: "keys/evm.key" },
    },
    solana: {
      eid: 40168,
      rpcUrls: ["http://127.0.0.1:8899"],
      insecureSingleRpc: true,
      programId: PROGRAM_ID,
      keypair: { file: "keys/solana-keypair.json" },
    },
  },
  peers: ["http://relayer-b:8080"],
  ...overrides,
});

/** The ConfigError `checkConfig` throws, or a failure if it resolves. */
async function checkError(path: string, env: Record<string, string>): Promise<ConfigError> {
  const error: unknown = await checkConfig(path, env).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe("checkConfig", () => {
  let dir: string;
  let keys: GeneratedKeys;
  let secrets: string[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "loanbridge-check-"));
    keys = await generateKeyFiles(join(dir, "keys"));
    secrets = [
      (await readFile(keys.evmKeyFile, "utf8")).trim().slice(2),
      (await readFile(keys.solanaKeypairFile, "utf8")).slice(1, 40),
      TOKEN,
    ];
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("goodConfig_summarizesChainsStoreExecutorPeersOverridesAndPublicKeys_noSecrets", async () => {
    const path = join(dir, "good.json");
    await writeFile(path, JSON.stringify(configWith()));

    const summary = await checkConfig(path, {
      TEST_ADMIN_TOKEN: TOKEN,
      LOANBRIDGE_API_PORT: "9090",
      LOANBRIDGE_PEERS: "http://relayer-b:8080,http://relayer-c:8080",
    });

    expect(summary).toEqual({
      relayerId: "relayer-a",
      chains: [
        { name: "evm", eid: 40161, rpcUrls: 2, rpcQuorum: 2, insecureSingleRpc: false },
        { name: "solana", eid: 40168, rpcUrls: 1, rpcQuorum: 1, insecureSingleRpc: true },
      ],
      store: "pglite",
      executor: { enabled: true },
      peers: 2,
      envOverrides: [
        { env: "LOANBRIDGE_API_PORT", field: "api.port" },
        { env: "LOANBRIDGE_PEERS", field: "peers" },
      ],
      secrets: [
        {
          field: "chains.evm.signerKey",
          source: `file ${keys.evmKeyFile}`,
          publicKey: keys.evmAddress,
        },
        {
          field: "chains.solana.keypair",
          source: `file ${keys.solanaKeypairFile}`,
          publicKey: keys.solanaPublicKey,
        },
        { field: "api.adminToken", source: "env TEST_ADMIN_TOKEN" },
      ],
      warnings: [
        "chains.solana.insecureSingleRpc: a single RPC endpoint is trusted alone; it could make this relayer sign a forged or unfinalized packet (local dev chains only)",
      ],
    });
    const printed = JSON.stringify(summary);
    for (const secret of [...secrets, "API-KEY"]) expect(printed).not.toContain(secret);
  });

  it("everyUnloadableSecret_isListedByField_withoutItsContent", async () => {
    const garbage = join(dir, "garbage.key");
    await writeFile(garbage, "0xnot-a-key-but-maybe-a-secret");
    const path = join(dir, "bad-secrets.json");
    const config = configWith({
      executor: { evmSenderKey: { file: "garbage.key" }, solanaPayerKeypair: { env: "NO_SUCH" } },
    });
    config.chains.evm.signerKey = { file: "keys/absent.key" };
    await writeFile(path, JSON.stringify(config));

    const error = await checkError(path, { TEST_ADMIN_TOKEN: "" });

    expect(error.issues).toEqual([
      {
        path: "chains.evm.signerKey",
        message: `cannot read ${join(dir, "keys/absent.key")}: no such file`,
      },
      {
        path: "executor.evmSenderKey",
        message: `file ${garbage} does not hold a secp256k1 private key (32 bytes, hex)`,
      },
      { path: "executor.solanaPayerKeypair", message: "environment variable NO_SUCH is not set" },
      { path: "api.adminToken", message: "environment variable TEST_ADMIN_TOKEN is not set" },
    ]);
    expect(error.message).toContain(`in ${path}`);
    expect(error.message).not.toContain("maybe-a-secret");
  });

  it("invalidConfig_isTheConfigErrorOfLoadConfig_namingTheVariable", async () => {
    const path = join(dir, "invalid.json");
    await writeFile(path, JSON.stringify(configWith()));

    const error = await checkError(path, { TEST_ADMIN_TOKEN: TOKEN, LOANBRIDGE_API_PORT: "x" });

    expect(error.issues).toEqual([
      {
        path: "api.port (from LOANBRIDGE_API_PORT)",
        message: "Invalid input: expected number, received string",
      },
    ]);
  });
});

describe("checkConfig with remote attestation keys", () => {
  const SIGNER_TOKEN = "remote-signer-token-never-printed-0123";
  let dir: string;
  let signer: StandInSigner;
  const remoteConfig = (executor: Record<string, unknown>) => {
    const config = configWith({ executor });
    const remote = { url: signer.url, tokenEnv: "TEST_SIGNER_TOKEN", timeoutMs: 2_000 };
    config.chains.evm.signerKey = {
      remote: { ...remote, identifier: signer.evmIdentifiers[0] },
    } as never;
    config.chains.solana.keypair = {
      remote: { ...remote, identifier: signer.ed25519Addresses[0] },
    } as never;
    return config;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "loanbridge-check-remote-"));
    await generateKeyFiles(join(dir, "keys"));
    signer = await startStandInSigner({
      evmKeys: [id("check test: remote evm key") as Hex],
      ed25519Keys: [toBytes(id("check test: remote ed25519 seed") as Hex)],
      token: SIGNER_TOKEN,
    });
  });
  afterAll(async () => {
    await signer.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("asksTheSignerForItsKeys_printsThem_neverTheToken", async () => {
    const path = join(dir, "remote.json");
    await writeFile(
      path,
      JSON.stringify(
        remoteConfig({
          evmSenderKey: { file: "keys/evm.key" },
          solanaPayerKeypair: { file: "keys/solana-keypair.json" },
        }),
      ),
    );

    const summary = await checkConfig(path, {
      TEST_ADMIN_TOKEN: TOKEN,
      TEST_SIGNER_TOKEN: SIGNER_TOKEN,
    });

    expect(summary.secrets.slice(0, 2)).toEqual([
      {
        field: "chains.evm.signerKey",
        source: `remote ${signer.url}`,
        publicKey: new EvmAttestationSigner(id("check test: remote evm key") as Hex).signer,
      },
      {
        field: "chains.solana.keypair",
        source: `remote ${signer.url}`,
        publicKey: signer.ed25519Addresses[0],
      },
    ]);
    expect(signer.requests.some((request) => request.path.includes("/sign/"))).toBe(true);
    expect(JSON.stringify(summary)).not.toContain(SIGNER_TOKEN);
  });

  it("wrongToken_andNoExecutorKey_areIssuesByField", async () => {
    const path = join(dir, "remote-bad.json");
    await writeFile(path, JSON.stringify(remoteConfig({})));

    const error = await checkError(path, {
      TEST_ADMIN_TOKEN: TOKEN,
      TEST_SIGNER_TOKEN: "wrong",
    });

    expect(error.issues.map((issue) => issue.path)).toEqual([
      "executor.evmSenderKey",
      "executor.solanaPayerKeypair",
      "chains.evm.signerKey",
      "chains.solana.keypair",
    ]);
    expect(error.issues[0]?.message).toBe(
      'chains.evm.signerKey is a remote signer, which signs attestations only: give executor.evmSenderKey as { "file": PATH } or { "env": VAR } to pay deliveries, or set executor.enabled to false',
    );
    expect(error.issues[2]?.message).toMatch(
      /^remote signer refused GET .*: 401 \(check the token\)$/,
    );
    expect(error.message).not.toContain(SIGNER_TOKEN);
  });
});
