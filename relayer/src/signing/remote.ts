// Attestation keys held by a remote signer (http.ts). Neither kind trusts
// what the signer returns: every signature is verified against the
// configured public key before it is used, and a wrong one is a
// RemoteSignerError (the packet is retried; no bad attestation leaves).
// `connect` checks at startup that the signer answers, holds the key and
// signs with it.
import { randomBytes } from "node:crypto";
import { type Hex, toBytes, toHex } from "@loanbridge/shared";
import { concat, keccak256, recoverAddress, toUtf8Bytes } from "ethers";
import { publicKeyBytes, verifyEd25519 } from "../chains/solana/signer.ts";
import type { Secret } from "../config/secret.ts";
import { RemoteSignerError } from "./errors.ts";
import { RemoteSignerClient } from "./http.ts";
import { evmAddressOf, isSolanaAddress } from "./identifiers.ts";
import { assertPreimageOf } from "./preimage.ts";
import type { Ed25519MessageSigner, EvmDigestSigner } from "./types.ts";

export interface RemoteKeyOptions {
  url: string;
  /**
   * The key at the signer. EVM: web3signer's identifier, the uncompressed
   * secp256k1 public key without its 04 prefix (0x + 128 hex). Solana: the
   * base58 address.
   */
  identifier: string;
  token?: Secret | undefined;
  timeoutMs: number;
}

// secp256k1 group order; signatures with s above half of it are refused on-chain.
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/**
 * What `connect` has the signer sign to prove it holds the key: a tag no
 * attestation starts with, then 32 random bytes. An attestation preimage
 * starts with ATTESTATION_DOMAIN and an ed25519 attestation is 32 bytes, so
 * a probe's signature is never a valid attestation.
 */
const PROBE_TAG = keccak256(toUtf8Bytes("loanbridge:remote-signer-probe:v1"));
const probeData = (): Uint8Array => toBytes(concat([PROBE_TAG, randomBytes(32)]) as Hex);

/** Checks the signer holds `wireId` among `scheme`'s keys. */
async function assertHeld(
  client: RemoteSignerClient,
  scheme: "eth1" | "ed25519",
  wireId: string,
  shown: string,
): Promise<void> {
  await client.upcheck();
  const keys = await client.publicKeys(scheme);
  if (!keys.includes(wireId.toLowerCase())) {
    throw new RemoteSignerError(
      "unknown_key",
      `remote signer at ${client.label} does not hold ${shown} (it lists ${keys.length} ${scheme} keys)`,
    );
  }
}

/**
 * `signature` as endpoints take it (r ‖ s ‖ v, v 27/28, low s) if it is the
 * key's signature over `digest`; undefined otherwise.
 */
function checkedEvmSignature(digest: Hex, signature: Hex, address: string): Hex | undefined {
  const bytes = toBytes(signature);
  if (bytes.length !== 65) return undefined;
  const s = BigInt(toHex(bytes.subarray(32, 64)));
  const v = bytes[64] ?? 0;
  if (s > SECP256K1_N / 2n || ![0, 1, 27, 28].includes(v)) return undefined;
  // Some signers give the recovery id (0/1); endpoints take 27/28.
  const normalized = Uint8Array.from(bytes);
  normalized[64] = v < 27 ? v + 27 : v;
  const hex = toHex(normalized);
  try {
    return recoverAddress(digest, hex) === address ? hex : undefined;
  } catch {
    return undefined;
  }
}

/** A secp256k1 attestation key at a web3signer-style signer (`eth1`). */
export class RemoteEvmSigner implements EvmDigestSigner {
  readonly address: string;
  readonly source: string;
  readonly #client: RemoteSignerClient;
  readonly #identifier: string;

  private constructor(client: RemoteSignerClient, identifier: string, address: string) {
    this.#client = client;
    this.#identifier = identifier.toLowerCase();
    this.address = address;
    this.source = `remote ${client.label}`;
  }

  /** Connects, checks the signer holds the key and that its signature verifies. */
  static async connect(options: RemoteKeyOptions): Promise<RemoteEvmSigner> {
    const address = evmAddressOf(options.identifier);
    if (address === undefined) {
      throw new RemoteSignerError(
        "malformed",
        "an eth1 identifier is a secp256k1 public key: 0x + 128 hex digits (x ‖ y, no 04 prefix)",
      );
    }
    const client = new RemoteSignerClient(options);
    const signer = new RemoteEvmSigner(client, options.identifier, address);
    await assertHeld(signer.#client, "eth1", signer.#identifier, signer.address);
    const probe = probeData();
    const answer = await signer.#client.sign("eth1", signer.#identifier, probe);
    if (checkedEvmSignature(keccak256(probe) as Hex, answer, signer.address) === undefined) {
      throw new RemoteSignerError(
        "wrong_key",
        `remote signer at ${signer.#client.label} lists ${signer.address} but its signature is not that key's`,
      );
    }
    return signer;
  }

  async signDigest(digest: Hex, preimage?: Uint8Array): Promise<Hex> {
    if (preimage === undefined) {
      throw new RemoteSignerError(
        "preimage_required",
        "a remote eth1 signer signs keccak256 of what it is sent: the digest's preimage is needed",
      );
    }
    assertPreimageOf(digest, preimage);
    const answer = await this.#client.sign("eth1", this.#identifier, preimage);
    const signature = checkedEvmSignature(digest, answer, this.address);
    if (signature === undefined) {
      throw new RemoteSignerError(
        "bad_signature",
        `remote signer at ${this.#client.label} returned a signature that is not ${this.address}'s over ${digest}`,
      );
    }
    return signature;
  }

  toJSON(): { address: string; source: string } {
    return { address: this.address, source: this.source };
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `RemoteEvmSigner(${this.address} at ${this.#client.label})`;
  }
}

/** An ed25519 attestation key at a signer speaking our `ed25519` scheme. */
export class RemoteEd25519Signer implements Ed25519MessageSigner {
  readonly publicKey: string;
  readonly source: string;
  readonly #client: RemoteSignerClient;
  /** The key on the wire: 0x + its 32 bytes in hex, as eth1 names keys. */
  readonly #wireId: string;

  private constructor(client: RemoteSignerClient, publicKey: string) {
    this.#client = client;
    this.publicKey = publicKey;
    this.#wireId = toHex(publicKeyBytes(publicKey));
    this.source = `remote ${client.label}`;
  }

  static async connect(options: RemoteKeyOptions): Promise<RemoteEd25519Signer> {
    if (!isSolanaAddress(options.identifier)) {
      throw new RemoteSignerError("malformed", "an ed25519 identifier is a base58 Solana address");
    }
    const signer = new RemoteEd25519Signer(new RemoteSignerClient(options), options.identifier);
    await assertHeld(signer.#client, "ed25519", signer.#wireId, signer.publicKey);
    const probe = probeData();
    const answer = toBytes(await signer.#client.sign("ed25519", signer.#wireId, probe));
    if (!verifyEd25519(signer.publicKey, probe, answer)) {
      throw new RemoteSignerError(
        "wrong_key",
        `remote signer at ${signer.#client.label} lists ${signer.publicKey} but its signature is not that key's`,
      );
    }
    return signer;
  }

  async sign(message: Uint8Array): Promise<Uint8Array> {
    const answer = toBytes(await this.#client.sign("ed25519", this.#wireId, message));
    if (!verifyEd25519(this.publicKey, message, answer)) {
      throw new RemoteSignerError(
        "bad_signature",
        `remote signer at ${this.#client.label} returned a signature that is not ${this.publicKey}'s`,
      );
    }
    return answer;
  }

  toJSON(): { publicKey: string; source: string } {
    return { publicKey: this.publicKey, source: this.source };
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `RemoteEd25519Signer(${this.publicKey} at ${this.#client.label})`;
  }
}
