// Attestations for Solana destinations: ed25519 signatures over the
// attestation digest, checked on-chain through the Ed25519 precompile.
import { createPrivateKey, createPublicKey, type KeyObject, sign } from "node:crypto";
import { BaseError, type Hex, toBytes, toHex } from "@loanbridge/shared";
import { encodeBase58 } from "ethers";
import type { Attestation, AttestationSigner } from "../types.ts";

export class SolanaSignerError extends BaseError {
  override name = "SolanaSignerError";
}

// PKCS#8 wrapping of a raw ed25519 seed (RFC 8410), so node:crypto can load it.
const PKCS8_ED25519_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);

/**
 * A signer from a Solana keypair: the 64-byte `seed ‖ publicKey` array of a
 * keypair file, or a bare 32-byte seed. The key stays inside a KeyObject.
 */
export function ed25519AttestationSigner(keypair: Uint8Array): AttestationSigner {
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
  const signer = encodeBase58(publicKey);

  return {
    kind: "solana",
    signer,
    sign(guid: Hex, epoch: bigint, digest: Hex): Promise<Attestation> {
      const message = toBytes(digest);
      if (message.length !== 32) {
        return Promise.reject(new SolanaSignerError("an attestation digest is 32 bytes"));
      }
      const signature = toHex(sign(null, message, privateKey));
      return Promise.resolve({ guid, epoch, digest, signer, signature });
    },
  };
}
