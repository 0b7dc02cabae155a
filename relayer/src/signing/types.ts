// What the relayer's attestation signers need of a key: its public half and
// one signing operation. A key may be a local file/env key or a remote
// signer; the attestation signers (chains/evm/signer.ts,
// chains/solana/signer.ts) do not know which.
import type { Hex } from "@loanbridge/shared";

/** A secp256k1 key that signs attestation digests for EVM endpoints. */
export interface EvmDigestSigner {
  /** Checksummed address of the key. */
  readonly address: string;
  /** Where the key is (`file …`, `env …`, `remote https://signer:9000`); safe to print. */
  readonly source: string;
  /**
   * A 65-byte signature `r ‖ s ‖ v` (v 27/28, low s) over `digest` itself:
   * no EIP-191 prefix, no further hashing. `digest` is `keccak256(preimage)`;
   * a remote signer in the style of web3signer hashes what it is sent, so it
   * is sent `preimage` and needs it.
   */
  signDigest(digest: Hex, preimage?: Uint8Array): Promise<Hex>;
}

/** An ed25519 key that signs attestation digests for Solana endpoints. */
export interface Ed25519MessageSigner {
  /** The public key, base58 (the Solana address). */
  readonly publicKey: string;
  /** Where the key is; safe to print. */
  readonly source: string;
  /** The 64-byte ed25519 signature of `message` as is. */
  sign(message: Uint8Array): Promise<Uint8Array>;
}
