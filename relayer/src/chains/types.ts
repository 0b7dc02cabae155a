// The interfaces every chain implements, so one pipeline serves both
// directions: watch → verify → attest → gather → deliver → confirm.
// EVM and Solana adapters live beside this file; the pipeline sees only these.
import type { Hex } from "@loanbridge/shared";

/** Which kind of chain; decides the verifier key type (secp256k1 / ed25519). */
export type ChainKind = "evm" | "solana";

/** A packet seen on its source chain, with where it was seen. */
export interface ObservedPacket {
  /** The encoded packet (shared/SPEC.md), exactly as the source emitted it. */
  packet: Uint8Array;
  guid: Hex;
  srcEid: number;
  dstEid: number;
  nonce: bigint;
  /** Source transaction id: EVM tx hash, or Solana signature (base58). */
  sourceTx: string;
  /** EVM block number or Solana slot of the source transaction. */
  sourceHeight: bigint;
  /** EVM: the log's block-wide index (as eth_getLogs reports it); Solana: the instruction index within the transaction. */
  sourceIndex: number;
}

/** One batch of finalized source events, and how far the watcher has looked. */
export interface WatchBatch {
  packets: ObservedPacket[];
  /** Everything up to and including this height has been read. */
  scannedTo: bigint;
  /** The chain's finalized head when the batch was read (for lag metrics). */
  finalizedHead: bigint;
}

/** Reads finalized packets from the source endpoint, from a cursor onwards. */
export interface PacketWatcher {
  readonly eid: number;
  /** Packets in (cursor, finalized head], at most one bounded batch per call. */
  poll(cursor: bigint): Promise<WatchBatch>;
}

/** Why a packet failed verification; also the metric label. */
export type VerificationFailure =
  | "not_finalized"
  | "header_hash_mismatch"
  | "receipts_root_mismatch"
  | "receipt_missing"
  | "log_missing"
  | "wrong_emitter"
  | "account_owner_mismatch"
  | "packet_hash_mismatch"
  | "rpc_disagreement"
  | "malformed_packet";

export type VerificationResult =
  { ok: true } | { ok: false; reason: VerificationFailure; detail: string };

/**
 * Proves to this relayer that an observed packet really is on the source
 * chain, finalized, emitted by the configured endpoint. Nothing is signed
 * before this says ok.
 */
export interface PacketVerifier {
  readonly eid: number;
  verify(observed: ObservedPacket): Promise<VerificationResult>;
}

/** A relayer's signature over a packet's attestation digest. */
export interface Attestation {
  guid: Hex;
  /** The destination verifier-set epoch the digest was computed for. */
  epoch: bigint;
  digest: Hex;
  /** EVM address (secp256k1) or base58 public key (ed25519). */
  signer: string;
  /** 65-byte r‖s‖v (secp256k1) or 64-byte ed25519 signature. */
  signature: Hex;
}

/** Signs attestation digests for one destination chain with this relayer's key. */
export interface AttestationSigner {
  readonly kind: ChainKind;
  readonly signer: string;
  sign(guid: Hex, epoch: bigint, digest: Hex): Promise<Attestation>;
}

export interface DeliveryReceipt {
  /** Destination transaction id. */
  tx: string;
  /** Block number or slot it landed in. */
  height: bigint;
  /** Whether the destination app handled it, or stored it as failed (EVM) . */
  outcome: "delivered" | "stored_failure";
}

/** Submits attested packets to the destination endpoint. */
export interface PacketDeliverer {
  readonly eid: number;
  /**
   * The destination endpoint as `bytes32` (an EVM Endpoint contract's address
   * left-padded, or the Solana program id): every attestation digest for this
   * destination binds it, so attest, gather and deliver read it here.
   */
  readonly endpoint: Hex;
  /** The destination's current verifier-set epoch and threshold. */
  verifierSet(): Promise<{ epoch: bigint; threshold: number; signers: string[] }>;
  /** The account that pays for deliveries and its balance in whole coins (ETH, SOL). */
  walletBalance(): Promise<{ account: string; balance: number }>;
  /** Whether the guid is already delivered on-chain (checked before sending). */
  isDelivered(guid: Hex): Promise<boolean>;
  /**
   * Simulates, then sends `packet` with `attestations` (at least the
   * threshold, from distinct current verifiers) and waits for confirmation;
   * `onSubmitted` hears each transaction id as it is sent (replacements too).
   */
  deliver(
    packet: Uint8Array,
    attestations: Attestation[],
    onSubmitted?: (tx: string) => void,
  ): Promise<DeliveryReceipt>;
}
