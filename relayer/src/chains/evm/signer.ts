// Attestations for EVM destinations: secp256k1 signatures over the raw
// attestation digest (no EIP-191 prefix; shared/SPEC.md), 65 bytes r ‖ s ‖ v
// with v 27/28 and low s, which is what Endpoint's ECDSA.tryRecover takes.
//
// The key is a local one (LocalEvmKey: held in a private field, never in
// JSON, util.inspect output, errors or logs) or a remote signer's
// (signing/remote.ts). Only the address (`signer`) is public.
import { LRUCache } from "lru-cache";
import { BaseError, type Hex, toBytes } from "@loanbridge/shared";
import { computeAddress, concat, getAddress, recoverAddress, SigningKey } from "ethers";
import type { EvmDigestSigner } from "../../signing/types.ts";
import type { Attestation, AttestationSigner } from "../types.ts";

export class EvmSignerError extends BaseError {
  override name = "EvmSignerError";
}

const SIGNATURE_LENGTH = 65;

/** A secp256k1 key from a file or an environment variable, held in this process. */
export class LocalEvmKey implements EvmDigestSigner {
  readonly address: string;
  readonly source: string;
  readonly #key: SigningKey;

  /** `privateKey`: the 32-byte secp256k1 key, as bytes or 0x-hex. */
  constructor(privateKey: Uint8Array | Hex, source = "local key") {
    let bytes: Uint8Array;
    try {
      bytes = toBytes(privateKey);
    } catch {
      // Never echo the input: it is (almost) a key.
      throw new EvmSignerError("attestation key is not hex or bytes");
    }
    if (bytes.length !== 32) {
      throw new EvmSignerError(`attestation key must be 32 bytes, got ${bytes.length}`);
    }
    try {
      this.#key = new SigningKey(bytes);
      this.address = computeAddress(this.#key.publicKey);
    } catch {
      throw new EvmSignerError("attestation key is not a valid secp256k1 private key");
    }
    this.source = source;
  }

  signDigest(digest: Hex): Promise<Hex> {
    return Promise.resolve(this.#key.sign(digest).serialized as Hex);
  }

  toJSON(): { address: string; source: string } {
    return { address: this.address, source: this.source };
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `LocalEvmKey(${this.address})`;
  }
}

export class EvmAttestationSigner implements AttestationSigner {
  readonly kind = "evm" as const;
  /** Checksummed address of the key. */
  readonly signer: string;
  readonly #key: EvmDigestSigner;

  /** `key`: a 32-byte secp256k1 private key (bytes or 0x-hex), or a key held elsewhere. */
  constructor(key: Uint8Array | Hex | EvmDigestSigner) {
    this.#key = typeof key === "string" || key instanceof Uint8Array ? new LocalEvmKey(key) : key;
    this.signer = this.#key.address;
  }

  async sign(guid: Hex, epoch: bigint, digest: Hex, preimage?: Uint8Array): Promise<Attestation> {
    if (toBytes(digest).length !== 32) {
      throw new EvmSignerError("attestation digest must be 32 bytes");
    }
    const signature = await this.#key.signDigest(digest, preimage);
    return {
      guid: guid.toLowerCase() as Hex,
      epoch,
      digest: digest.toLowerCase() as Hex,
      signer: this.signer,
      signature,
    };
  }

  toJSON(): { kind: "evm"; signer: string } {
    return { kind: this.kind, signer: this.signer };
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `EvmAttestationSigner(${this.signer})`;
  }
}

/**
 * Recoveries already made (a pure function of digest and signature): a
 * relayer judges the same attestation when a peer pushes it or it is
 * fetched, at each gather and prefetch, and when the deliverer picks
 * signatures, and a secp256k1 recovery costs about a millisecond of CPU.
 * Bounded (under a megabyte): it need only cover the attestations of the
 * packets in flight.
 */
const recoveries = new LRUCache<string, { signer: string | undefined }>({ max: 2_048 });

/** The address a 65-byte signature over `digest` recovers to, or undefined if it does not. */
export function recoverSigner(digest: Hex, signature: Hex): string | undefined {
  const key = `${digest.toLowerCase()}:${signature.toLowerCase()}`;
  const known = recoveries.get(key);
  if (known !== undefined) return known.signer;
  let signer: string | undefined;
  try {
    signer =
      toBytes(signature).length === SIGNATURE_LENGTH
        ? recoverAddress(digest, signature)
        : undefined;
  } catch {
    signer = undefined;
  }
  recoveries.set(key, { signer });
  return signer;
}

/**
 * `deliver`'s signatures argument: the attestations' signatures concatenated
 * in ascending signer order. Each signer must be one of `signers` (the
 * destination's current set) and appear once; callers choose which
 * attestations to pass (at least the threshold).
 */
export function encodeSignatures(
  attestations: readonly Attestation[],
  signers: readonly string[],
): Hex {
  const members = new Set(signers.map((address) => getAddress(address)));
  const seen = new Set<string>();
  const entries = attestations.map((attestation) => {
    const signer = getAddress(attestation.signer);
    if (!members.has(signer)) {
      throw new EvmSignerError(`${signer} is not in the verifier set`);
    }
    if (seen.has(signer)) throw new EvmSignerError(`${signer} signed twice`);
    seen.add(signer);
    const signature = toBytes(attestation.signature);
    if (signature.length !== SIGNATURE_LENGTH) {
      throw new EvmSignerError(
        `signature of ${signer} is ${signature.length} bytes, ${SIGNATURE_LENGTH} expected`,
      );
    }
    return { key: BigInt(signer), signature };
  });
  entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return concat(entries.map((entry) => entry.signature)) as Hex;
}
