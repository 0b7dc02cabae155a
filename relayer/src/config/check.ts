// `loanbridge config check`: what `loanbridge run` would refuse at start (the
// file, its environment overrides, every key it references) found without
// starting anything. The summary shows what was understood; it holds counts,
// sources and public keys, never a secret or an RPC URL (API keys live there).
import { type ConfigIssue, ConfigError } from "./errors.ts";
import { configWarnings, ENV_OVERRIDES, loadConfig } from "./load.ts";
import type { RelayerConfig, StoreConfig } from "./schema.ts";
import { executorKeyMissing, loadEd25519KeySigner, loadEvmKeySigner } from "../signing/load.ts";
import {
  isRemoteKey,
  type KeyRef,
  loadSecret,
  type LoadSecretOptions,
  type SecretRef,
} from "./secret.ts";

type Env = Readonly<Record<string, string | undefined>>;

export interface ChainSummary {
  name: "evm" | "solana";
  eid: number;
  rpcUrls: number;
  rpcQuorum: number;
  insecureSingleRpc: boolean;
}

/** A secret that loaded: where from, and the public key it proves, if it is a key. */
export interface SecretCheck {
  field: string;
  source: string;
  publicKey?: string;
}

export interface ConfigSummary {
  relayerId: string;
  chains: ChainSummary[];
  store: StoreConfig["kind"];
  executor: { enabled: boolean };
  peers: number;
  /** The `LOANBRIDGE_*` variables set in the environment, and the field each replaced. */
  envOverrides: { env: string; field: string }[];
  secrets: SecretCheck[];
  warnings: string[];
}

/**
 * A secret and how it is loaded and checked: the loader `loanbridge run` uses
 * for it. Attestation keys may be at a remote signer; tokens may not.
 */
type SecretUse =
  | { field: string; kind: "evmKey" | "solanaKeypair"; ref: KeyRef }
  | { field: string; kind: "token"; ref: SecretRef };

/**
 * Loads the config at `path` with `env`'s overrides and loads every secret
 * it references. Throws one ConfigError listing every problem found.
 */
export async function checkConfig(path: string, env: Env): Promise<ConfigSummary> {
  const config = await loadConfig(path, env);
  const results = await Promise.allSettled(
    secretUses(config).map((use) => checkSecret(use, { env, field: use.field })),
  );
  const issues: ConfigIssue[] = executorKeyIssues(config);
  const secrets: SecretCheck[] = [];
  for (const result of results) {
    if (result.status === "fulfilled") secrets.push(result.value);
    else if (result.reason instanceof ConfigError) issues.push(...result.reason.issues);
    else throw result.reason;
  }
  if (issues.length > 0) throw new ConfigError(issues, { source: path });
  return summarize(config, env, secrets);
}

/** Every secret reference in the config, with the loader `loanbridge run` reads it with. */
function secretUses(config: RelayerConfig): SecretUse[] {
  const { evm, solana } = config.chains;
  const { evmSenderKey, solanaPayerKeypair } = config.executor;
  const { adminToken } = config.api;
  const uses: (SecretUse | undefined)[] = [
    evm && { field: "chains.evm.signerKey", ref: evm.signerKey, kind: "evmKey" },
    solana && { field: "chains.solana.keypair", ref: solana.keypair, kind: "solanaKeypair" },
    evmSenderKey && { field: "executor.evmSenderKey", ref: evmSenderKey, kind: "evmKey" },
    solanaPayerKeypair && {
      field: "executor.solanaPayerKeypair",
      ref: solanaPayerKeypair,
      kind: "solanaKeypair",
    },
    adminToken && { field: "api.adminToken", ref: adminToken, kind: "token" },
  ];
  return uses.filter((use) => use !== undefined);
}

/**
 * Loads one secret as `loanbridge run` does. A remote attestation key is
 * asked for (connected, listed, a probe signed and verified): its source is
 * the signer's scheme, host and port, never its token.
 */
async function checkSecret(use: SecretUse, options: LoadSecretOptions): Promise<SecretCheck> {
  const { field } = use;
  switch (use.kind) {
    case "evmKey": {
      const key = await loadEvmKeySigner(use.ref, options);
      return { field, source: key.source, publicKey: key.address };
    }
    case "solanaKeypair": {
      const key = await loadEd25519KeySigner(use.ref, options);
      return { field, source: key.source, publicKey: key.publicKey };
    }
    case "token": {
      const token = await loadSecret(use.ref, options);
      return { field, source: token.source };
    }
  }
}

/**
 * A remote attestation key signs no transactions: with the executor on,
 * deliveries on that chain need an executor key of their own.
 */
function executorKeyIssues(config: RelayerConfig): ConfigIssue[] {
  if (!config.executor.enabled) return [];
  const { evm, solana } = config.chains;
  const { evmSenderKey, solanaPayerKeypair } = config.executor;
  const issues: ConfigIssue[] = [];
  if (evm !== undefined && isRemoteKey(evm.signerKey) && evmSenderKey === undefined) {
    issues.push(executorKeyMissing("chains.evm.signerKey", "executor.evmSenderKey"));
  }
  if (solana !== undefined && isRemoteKey(solana.keypair) && solanaPayerKeypair === undefined) {
    issues.push(executorKeyMissing("chains.solana.keypair", "executor.solanaPayerKeypair"));
  }
  return issues;
}

function summarize(config: RelayerConfig, env: Env, secrets: SecretCheck[]): ConfigSummary {
  const chains = (["evm", "solana"] as const).flatMap((name): ChainSummary[] => {
    const chain = config.chains[name];
    if (chain === undefined) return [];
    return [
      {
        name,
        eid: chain.eid,
        rpcUrls: chain.rpcUrls.length,
        rpcQuorum: chain.rpcQuorum,
        insecureSingleRpc: chain.insecureSingleRpc,
      },
    ];
  });
  return {
    relayerId: config.relayerId,
    chains,
    store: config.store.kind,
    executor: { enabled: config.executor.enabled },
    peers: config.peers.length,
    envOverrides: ENV_OVERRIDES.filter((override) => env[override.env] !== undefined).map(
      (override) => ({ env: override.env, field: override.path.join(".") }),
    ),
    secrets,
    warnings: configWarnings(config),
  };
}
