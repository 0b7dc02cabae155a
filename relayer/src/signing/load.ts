// From a key reference in the config to the key the attestation signers use:
// a local key for `{ file }` / `{ env }` (the default), a connected and
// checked remote signer for `{ remote }`. A remote signer that is down,
// refuses the token, lacks the key or signs with another is a ConfigError
// at startup, naming the field.
import { generateKeyPairSync } from "node:crypto";
import type { Hex } from "@loanbridge/shared";
import { Wallet } from "ethers";
import { LocalEvmKey } from "../chains/evm/signer.ts";
import { localEd25519Key } from "../chains/solana/signer.ts";
import { ConfigError, type ConfigIssue } from "../config/errors.ts";
import {
  isRemoteKey,
  type KeyRef,
  loadEvmPrivateKey,
  loadSecret,
  loadSolanaKeypair,
  type LoadSecretOptions,
  type RemoteKeyRef,
  type SecretRef,
} from "../config/secret.ts";
import { RemoteSignerError } from "./errors.ts";
import { type RemoteKeyOptions, RemoteEd25519Signer, RemoteEvmSigner } from "./remote.ts";
import type { Ed25519MessageSigner, EvmDigestSigner } from "./types.ts";

/** The EVM attestation key `ref` names. */
export async function loadEvmKeySigner(
  ref: KeyRef,
  options: LoadSecretOptions,
): Promise<EvmDigestSigner> {
  if (isRemoteKey(ref))
    return connect(ref.remote, options, (remote) => RemoteEvmSigner.connect(remote));
  const key = await loadEvmPrivateKey(ref, options);
  return new LocalEvmKey(key.reveal(), key.source);
}

/** The Solana attestation key `ref` names. */
export async function loadEd25519KeySigner(
  ref: KeyRef,
  options: LoadSecretOptions,
): Promise<Ed25519MessageSigner> {
  if (isRemoteKey(ref))
    return connect(ref.remote, options, (remote) => RemoteEd25519Signer.connect(remote));
  const keypair = await loadSolanaKeypair(ref, options);
  return localEd25519Key(keypair.reveal(), keypair.source);
}

async function connect<T>(
  remote: RemoteKeyRef,
  options: LoadSecretOptions,
  connectTo: (options: RemoteKeyOptions) => Promise<T>,
): Promise<T> {
  const field = options.field ?? "";
  const token =
    remote.tokenEnv === undefined
      ? undefined
      : await loadSecret(
          { env: remote.tokenEnv },
          { ...options, field: `${field}.remote.tokenEnv` },
        );
  try {
    return await connectTo({ ...remote, token });
  } catch (error) {
    if (!(error instanceof RemoteSignerError)) throw error;
    throw new ConfigError([{ path: field, message: error.shortMessage }], { cause: error });
  }
}

/** Which keys pay deliveries on one chain, and whether this relayer delivers. */
export interface ExecutorKeyRefs {
  /** The chain's attestation key (`chains.evm.signerKey` / `chains.solana.keypair`). */
  attestationKey: KeyRef;
  /** Its config path, for messages. */
  attestationField: string;
  /** `executor.evmSenderKey` / `executor.solanaPayerKeypair` (or the CLI's override). */
  executorKey: SecretRef | undefined;
  executorField: string;
  /** Whether this relayer delivers (`executor.enabled` or the CLI's override). */
  executor: boolean;
}

/** The issue of a remote attestation key with the executor on and no executor key. */
export const executorKeyMissing = (
  attestationField: string,
  executorField: string,
): ConfigIssue => ({
  path: executorField,
  message: `${attestationField} is a remote signer, which signs attestations only: give ${executorField} as { "file": PATH } or { "env": VAR } to pay deliveries, or set executor.enabled to false`,
});

const remoteNeedsExecutorKey = (refs: ExecutorKeyRefs): ConfigError =>
  new ConfigError([executorKeyMissing(refs.attestationField, refs.executorField)]);

/**
 * The EVM delivery sender's private key: the executor key, else the
 * attestation key when it is local. A remote attestation key signs no
 * transactions: with the executor on that is a ConfigError; with it off the
 * deliverer only reads (the verifier set) and is given a key made for this run.
 */
export async function loadEvmSenderKey(
  refs: ExecutorKeyRefs,
  options: LoadSecretOptions,
): Promise<Hex> {
  const ref =
    refs.executorKey ?? (isRemoteKey(refs.attestationKey) ? undefined : refs.attestationKey);
  const field = refs.executorKey === undefined ? refs.attestationField : refs.executorField;
  if (ref !== undefined) return (await loadEvmPrivateKey(ref, { ...options, field })).reveal();
  if (refs.executor) throw remoteNeedsExecutorKey(refs);
  return Wallet.createRandom().privateKey as Hex;
}

/** The Solana delivery payer's 64-byte keypair, chosen as loadEvmSenderKey chooses. */
export async function loadSolanaPayerKeypair(
  refs: ExecutorKeyRefs,
  options: LoadSecretOptions,
): Promise<Uint8Array> {
  const ref =
    refs.executorKey ?? (isRemoteKey(refs.attestationKey) ? undefined : refs.attestationKey);
  const field = refs.executorKey === undefined ? refs.attestationField : refs.executorField;
  if (ref !== undefined) return (await loadSolanaKeypair(ref, { ...options, field })).reveal();
  if (refs.executor) throw remoteNeedsExecutorKey(refs);
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const seed = privateKey.export({ format: "der", type: "pkcs8" }).subarray(-32);
  const key = publicKey.export({ format: "der", type: "spki" }).subarray(-32);
  return Uint8Array.from(Buffer.concat([seed, key]));
}
