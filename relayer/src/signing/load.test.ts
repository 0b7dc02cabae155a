// Which key signs what: attestation keys from file/env (local) or a remote
// signer; delivery keys always local, and never the remote attestation key.
import { type Hex, toBytes } from "@loanbridge/shared";
import { id, Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalEvmKey } from "../chains/evm/signer.ts";
import { ConfigError } from "../config/errors.ts";
import { parseConfig } from "../config/load.ts";
import { startRelayer } from "../daemon/index.ts";
import {
  type ExecutorKeyRefs,
  loadEd25519KeySigner,
  loadEvmKeySigner,
  loadEvmSenderKey,
  loadSolanaPayerKeypair,
} from "./load.ts";
import { type StandInSigner, startStandInSigner } from "./testing.ts";

const ATTESTATION_KEY = id("load test: attestation key") as Hex;
const SENDER_KEY = id("load test: sender key") as Hex;
const SEED = toBytes(id("load test: ed25519 seed") as Hex);
const env = { ATTESTATION_KEY, SENDER_KEY };

let signer: StandInSigner;
const remote = () => ({
  remote: { url: signer.url, identifier: signer.evmIdentifiers[0] ?? "", timeoutMs: 2_000 },
});

beforeAll(async () => {
  signer = await startStandInSigner({ evmKeys: [ATTESTATION_KEY], ed25519Keys: [SEED] });
});
afterAll(() => signer.close());

describe("loadEvmKeySigner / loadEd25519KeySigner", () => {
  it("fileOrEnv_isALocalKey_remote_isTheSignersKey_sameAddress", async () => {
    const local = await loadEvmKeySigner({ env: "ATTESTATION_KEY" }, { env });
    expect(local).toBeInstanceOf(LocalEvmKey);
    expect(local.source).toBe("env ATTESTATION_KEY");
    const remoteKey = await loadEvmKeySigner(remote(), { env });
    expect(remoteKey.address).toBe(local.address);
    expect(remoteKey.source).toBe(`remote ${signer.url}`);
    const ed25519 = await loadEd25519KeySigner(
      { remote: { ...remote().remote, identifier: signer.ed25519Addresses[0] ?? "" } },
      { env },
    );
    expect(ed25519.publicKey).toBe(signer.ed25519Addresses[0]);
  });

  it("missingTokenVariable_isAConfigErrorNamingIt", async () => {
    const ref = { remote: { ...remote().remote, tokenEnv: "NO_SUCH_TOKEN" } };
    await expect(
      loadEvmKeySigner(ref, { env, field: "chains.evm.signerKey" }),
    ).rejects.toThrowErrorMatchingInlineSnapshot(
      `[ConfigError: chains.evm.signerKey.remote.tokenEnv: environment variable NO_SUCH_TOKEN is not set]`,
    );
  });
});

describe("executor keys", () => {
  const refs = (overrides: Partial<ExecutorKeyRefs>): ExecutorKeyRefs => ({
    attestationKey: { env: "ATTESTATION_KEY" },
    attestationField: "chains.evm.signerKey",
    executorKey: undefined,
    executorField: "executor.evmSenderKey",
    executor: true,
    ...overrides,
  });

  it("senderIsTheExecutorKey_elseTheLocalAttestationKey", async () => {
    expect(await loadEvmSenderKey(refs({ executorKey: { env: "SENDER_KEY" } }), { env })).toBe(
      SENDER_KEY,
    );
    expect(await loadEvmSenderKey(refs({}), { env })).toBe(ATTESTATION_KEY);
    expect(
      await loadEvmSenderKey(
        refs({ attestationKey: remote(), executorKey: { env: "SENDER_KEY" } }),
        {
          env,
        },
      ),
    ).toBe(SENDER_KEY);
  });

  it("remoteAttestationKey_withoutAnExecutorKey_isRefusedWhenExecuting", async () => {
    await expect(
      loadEvmSenderKey(refs({ attestationKey: remote() }), { env }),
    ).rejects.toThrowErrorMatchingInlineSnapshot(
      `[ConfigError: executor.evmSenderKey: chains.evm.signerKey is a remote signer, which signs attestations only: give executor.evmSenderKey as { "file": PATH } or { "env": VAR } to pay deliveries, or set executor.enabled to false]`,
    );
    await expect(
      loadSolanaPayerKeypair(
        refs({
          attestationKey: remote(),
          attestationField: "chains.solana.keypair",
          executorField: "executor.solanaPayerKeypair",
        }),
        { env },
      ),
    ).rejects.toThrow(/^executor\.solanaPayerKeypair: chains\.solana\.keypair is a remote signer/);
  });

  it("remoteAttestationKey_notExecuting_getsAKeyOfItsOwnForReadsOnly", async () => {
    const sender = await loadEvmSenderKey(refs({ attestationKey: remote(), executor: false }), {
      env,
    });
    expect(new Wallet(sender).address).not.toBe(new Wallet(ATTESTATION_KEY).address);
    const payer = await loadSolanaPayerKeypair(
      refs({ attestationKey: remote(), executor: false }),
      { env },
    );
    expect(payer).toHaveLength(64);
  });

  it("daemon_refusesToStart_withARemoteKeyAndNoSenderKey", async () => {
    const config = parseConfig(
      {
        relayerId: "remote-daemon",
        store: { kind: "pglite", dataDir: "memory://" },
        api: { port: 0 },
        chains: {
          evm: {
            eid: 40161,
            rpcUrls: ["http://127.0.0.1:9"],
            insecureSingleRpc: true,
            endpoint: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
            signerKey: remote(),
          },
        },
      },
      {},
    );
    const error: unknown = await startRelayer(config, { env }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues[0]?.path).toBe("executor.evmSenderKey");
  });
});
