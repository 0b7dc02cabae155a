// Attestations for Solana destinations: ed25519 signatures over the
// attestation digest, checked on-chain through the Ed25519 precompile. The
// key is local (localEd25519Key) or a remote signer's (signing/remote.ts).
import { LRUCache } from "lru-cache";
import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from "node:crypto";
import { BaseError, type Hex, toBytes, toHex } from "@loanbridge/shared";
import { decodeBase58, encodeBase58, toBeArray } from "ethers";
import { address, type SignatureBytes, type TransactionPartialSigner } from "@solana/kit";
import type { Ed25519MessageSigner } from "../../signing/types.ts";
import type { Attestation, AttestationSigner } from "../types.ts";

export class SolanaSignerError extends BaseError {
  override name = "SolanaSignerError";
}

// PKCS#8 wrapping of a raw ed25519 seed (RFC 8410), so node:crypto can load it.
const PKCS8_ED25519_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);

// SPKI wrapping of a raw ed25519 public key (RFC 8410).
const SPKI_ED25519_PREFIX = Uint8Array.from([
  0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
]);

/** The 32 bytes of a base58 Solana address. */
export function publicKeyBytes(base58: string): Uint8Array {
  const bytes = toBeArray(decodeBase58(base58));
  if (bytes.length > 32) throw new SolanaSignerError("not a 32-byte public key");
  const padded = new Uint8Array(32);
  padded.set(bytes, 32 - bytes.length);
  return padded;
}

/**
 * Verifications already made (pure): as for EVM recoveries, one attestation
 * is judged several times on its way to a delivery. Bounded.
 */
const verifications = new LRUCache<string, { valid: boolean }>({ max: 2_048 });

/** Whether `signature` is `signer`'s (base58) ed25519 signature of `message`. */
export function verifyEd25519(signer: string, message: Uint8Array, signature: Uint8Array): boolean {
  const key = `${signer}:${Buffer.from(message).toString("hex")}:${Buffer.from(signature).toString("hex")}`;
  const known = verifications.get(key);
  if (known !== undefined) return known.valid;
  const valid = verifyUncached(signer, message, signature);
  verifications.set(key, { valid });
  return valid;
}

function verifyUncached(signer: string, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  let key: KeyObject;
  try {
    key = createPublicKey({
      key: Buffer.concat([SPKI_ED25519_PREFIX, publicKeyBytes(signer)]),
      format: "der",
      type: "spki",
    });
  } catch {
    return false;
  }
  return verify(null, message, key, signature);
}

/**
 * A local ed25519 key from a Solana keypair: the 64-byte `seed ‖ publicKey`
 * array of a keypair file, or a bare 32-byte seed. The key stays inside a KeyObject.
 */
export function localEd25519Key(keypair: Uint8Array, source = "local key"): Ed25519MessageSigner {
  if (keypair.length !== 64 && keypair.length !== 32) {
    throw new SolanaSignerError("an ed25519 keypair is 64 bytes (or a 32-byte seed)", {
      details: `got ${keypair.length} bytes`,
    });
  }
  const privateKey: KeyObject = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, keypair.subarray(0, 32)]),
    format: "der",
    type: "pkcs8",
  });
  const publicKey = createPublicKey(privateKey)
    .export({ format: "der", type: "spki" })
    .subarray(-32);
  if (keypair.length === 64 && !Buffer.from(keypair.subarray(32)).equals(publicKey)) {
    throw new SolanaSignerError("keypair's public half does not match its secret half");
  }
  return {
    publicKey: encodeBase58(publicKey),
    source,
    sign: (message) => Promise.resolve(new Uint8Array(sign(null, message, privateKey))),
  };
}

/** An attestation signer from a keypair (see localEd25519Key) or a key held elsewhere. */
export function ed25519AttestationSigner(
  key: Uint8Array | Ed25519MessageSigner,
): AttestationSigner {
  const ed25519 = key instanceof Uint8Array ? localEd25519Key(key) : key;
  const signer = ed25519.publicKey;
  return {
    kind: "solana",
    signer,
    async sign(guid: Hex, epoch: bigint, digest: Hex): Promise<Attestation> {
      const message = toBytes(digest);
      if (message.length !== 32) {
        throw new SolanaSignerError("an attestation digest is 32 bytes");
      }
      const signature = toHex(await ed25519.sign(message));
      return { guid, epoch, digest, signer, signature };
    },
  };
}

/**
 * A transaction signer (a fee payer) that signs with `key`: with a local key,
 * in this thread (node:crypto), not through WebCrypto's thread pool and back,
 * so a delivery does not wait a turn of a busy event loop for its signature.
 */
export function ed25519TransactionSigner(key: Ed25519MessageSigner): TransactionPartialSigner {
  const signer = address(key.publicKey);
  return Object.freeze({
    address: signer,
    signTransactions: (transactions) =>
      Promise.all(
        transactions.map(async (transaction) =>
          Object.freeze({
            [signer]: (await key.sign(Uint8Array.from(transaction.messageBytes))) as SignatureBytes,
          }),
        ),
      ),
  });
}
