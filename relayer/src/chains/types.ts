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
  /**
   * What names the packet at its source: the EVM transaction hash, or the
   * Solana packet account (base58; packets are read from state, which has
   * no transaction id).
   */
  sourceTx: string;
  /** EVM block number or Solana slot of the source transaction. */
  sourceHeight: bigint;
  /** EVM: the log's block-wide index (as eth_getLogs reports it); Solana: the instruction index within the transaction. */
  sourceIndex: number;
}

/** `receiver` of a path whose nonces count across receivers (Solana: per app and destination). */
export const ANY_RECEIVER: Hex = `0x${"00".repeat(32)}`;

/**
 * One source nonce sequence: the packets `app` sends to `dstEid`, numbered
 * 1, 2, 3… by the source endpoint. EVM counts per receiver too; Solana per
 * (app, dstEid) only, and there `receiver` is ANY_RECEIVER.
 */
export interface OutboundPath {
  /** The sending app as `bytes32`. */
  app: Hex;
  dstEid: number;
  receiver: Hex;
}

/** How far a path has been read: every nonce up to `nonce` was observed or is a recorded gap. */
export interface PathCursor extends OutboundPath {
  nonce: bigint;
}

/**
 * A nonce the source endpoint has used (at or below its counter, or skipped
 * between two observed packets) whose packet could not be read: missing,
 * unreadable or invalid. Never expected; a hidden packet otherwise.
 */
export interface NonceGap extends OutboundPath {
  nonce: bigint;
  reason: string;
}

/** What the watch stage has stored per source besides its height cursor. */
export interface WatchState {
  paths: readonly PathCursor[];
  /** Gaps still open (their packets are looked for again). */
  gaps: readonly NonceGap[];
}

/** One batch of finalized source events, and how far the watcher has looked. */
export interface WatchBatch {
  packets: ObservedPacket[];
  /** Everything up to and including this height has been read. */
  scannedTo: bigint;
  /** The chain's finalized head when the batch was read (for lag metrics). */
  finalizedHead: bigint;
  /** Path cursors to store once `packets` are recorded (only those that moved). */
  paths?: PathCursor[];
  /** Gaps found in this batch (open ones may be reported again; the store keeps each once). */
  gaps?: NonceGap[];
  /**
   * Nonces whose packets the source closed before this relayer read them
   * (Solana `ClosePacket`: the loan final, the packet older than any relayer
   * may lag). Not gaps: no packet is hidden there, and nothing will fill them.
   */
  closed?: (OutboundPath & { nonce: bigint })[];
}

/** Reads finalized packets from the source endpoint, from a cursor onwards. */
export interface PacketWatcher {
  readonly eid: number;
  /**
   * Packets in (cursor, finalized head], at most one bounded batch per call;
   * `state` is what earlier batches left (path cursors and open gaps).
   */
  poll(cursor: bigint, state?: WatchState): Promise<WatchBatch>;
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
  /**
   * `preimage`: the bytes `digest` is the keccak256 of. An EVM key at a
   * remote signer needs it (web3signer signs keccak256 of what it is sent);
   * other keys ignore it.
   */
  sign(guid: Hex, epoch: bigint, digest: Hex, preimage?: Uint8Array): Promise<Attestation>;
}

export interface DeliveryReceipt {
  /** Destination transaction id. */
  tx: string;
  /** Block number or slot it landed in. */
  height: bigint;
  /** Whether the destination app handled it, or stored it as failed (EVM) . */
  outcome: "delivered" | "stored_failure";
}

/**
 * A delivery's transactions as they happen: each is `signed`, then `sent`
 * (a transaction id, its hash or signature, may be signed and never sent).
 */
export type DeliveryProgress = (step: "signed" | "sent", tx: string) => void;

/** Submits attested packets to the destination endpoint. */
/** A destination's verifier set: who may attest, how many must, under which epoch. */
export interface VerifierSet {
  epoch: bigint;
  threshold: number;
  signers: readonly string[];
}

export interface PacketDeliverer {
  readonly eid: number;
  /**
   * The destination endpoint as `bytes32` (an EVM Endpoint contract's address
   * left-padded, or the Solana program id): every attestation digest for this
   * destination binds it, so attest, gather and deliver read it here.
   */
  readonly endpoint: Hex;
  /** The destination's current verifier-set epoch and threshold. */
  verifierSet(): Promise<VerifierSet>;
  /** The account that pays for deliveries and its balance in whole coins (ETH, SOL). */
  walletBalance(): Promise<{ account: string; balance: number }>;
  /**
   * Whether the packet (`guid`, encoded as `packet`) is already delivered
   * on-chain (checked before sending). Solana looks the guid up; an EVM
   * endpoint keeps a delivered-nonce bitmap per path, read by the packet's
   * receiver, srcEid, sender and nonce.
   */
  isDelivered(guid: Hex, packet: Uint8Array): Promise<boolean>;
  /**
   * Starts the reads a delivery of `packet` makes before it can build its
   * transaction (the destination state its accounts derive from), for a
   * relayer whose turn to deliver has come while it still checks the
   * destination and gathers attestations. `deliver` given the handle uses
   * what they read, when it is fresh (PREPARED_READS_MAX_AGE_MS), instead
   * of reading again: the delivery waits for no read once its attestations
   * are in. Never throws; a failed read only loses the head start. Absent
   * where nothing can be read before the signatures (an EVM delivery's
   * simulation carries them).
   */
  prepare?(packet: Uint8Array): PreparedDelivery;
  /**
   * Simulates, then sends `packet` with `attestations` (at least the
   * threshold, from distinct current verifiers) and waits for confirmation;
   * `onProgress` hears each transaction id as it is signed and as it is
   * sent (replacements and fresh blockhashes too). `prepared`: this
   * deliverer's `prepare` of the same packet (another's is ignored).
   */
  deliver(
    packet: Uint8Array,
    attestations: Attestation[],
    onProgress?: DeliveryProgress,
    prepared?: PreparedDelivery,
  ): Promise<DeliveryReceipt>;
}

/** A delivery's head start (PacketDeliverer.prepare): its reads belong to the deliverer that began them. */
export interface PreparedDelivery {
  readonly guid: Hex;
  /** When the reads began (ms since the epoch). */
  readonly at: number;
}

/** How old a prepared delivery's reads may be when it is delivered; older ones are read again. */
export const PREPARED_READS_MAX_AGE_MS = 1_000;

/** An installment a repayment completed, as the lending pool recorded it. */
export interface PoolInstallmentPayment {
  /** 1-based. */
  index: number;
  amount: bigint;
  /** The loan's principal after the repayment that completed it. */
  remainingPrincipal: bigint;
  /** Unix seconds of that repayment's block or slot. */
  paidAt: bigint;
}

/**
 * A loan's installment plan and payments as its lending pool holds them at
 * finality (LOANS.md "Installments"): EVM `getLoan` and `Payment` logs; the
 * Solana pool-loan account and its installment records.
 */
export interface PoolLoanSchedule {
  installments: number;
  periodSeconds: bigint;
  startTime: bigint;
  /** The schedule's equal payment. */
  installmentAmount: bigint;
  /** Principal still owed at finality. */
  outstandingPrincipal: bigint;
  /** The pool's due-bucket width W: installment k is due at ⌈(start + k·T) / W⌉·W. */
  dueBucketSeconds: bigint;
  payments: PoolInstallmentPayment[];
}

/** An active loan as the installment mirror last read it: what a pool scan compares with. */
export interface MirroredPoolLoan {
  loanId: Hex;
  /** Principal still owed as recorded; undefined when none is. */
  outstandingPrincipal: bigint | undefined;
  /** Installments recorded paid. */
  paidInstallments: number;
}

/** One change-detection scan of a lending pool (schedules.ts). */
export interface PoolChanges {
  /** Loans of `known` whose repayments may have changed since the mirror read them: read these in full. */
  changed: Hex[];
  /**
   * How far the scan read, to store and pass to the next: EVM the last
   * block whose logs were read (may trail the finalized head: ranges are
   * bounded); Solana the slot the accounts were read at.
   */
  scannedTo: bigint;
}

/** Reads loans from the lending pool on one chain. */
export interface PoolLoanReader {
  readonly eid: number;
  /**
   * The loan's schedule and payments at finality, or undefined when the pool
   * (`pool`, its app address as `bytes32`) holds no active or closed loan by
   * that id there yet. `openedAt`: the EVM block the loan was opened in (where
   * its `Payment` logs start); Solana ignores it.
   */
  readSchedule(pool: Hex, loanId: Hex, openedAt: bigint): Promise<PoolLoanSchedule | undefined>;
  /**
   * Which loans of `pool` changed (a repayment, in part or in full) since
   * the last scan, at finality, in RPC calls whose number does not grow with
   * the loans that did not change. `scannedTo`: where the last scan ended
   * (undefined: never scanned); `known`: the pool's active loans as the
   * mirror holds them. EVM reads the pool's repayment logs after
   * `scannedTo` (with none, every known loan counts as changed and the scan
   * starts at the finalized head); Solana compares the pool-loan accounts
   * with `known`.
   */
  changedLoans(
    pool: Hex,
    scannedTo: bigint | undefined,
    known: readonly MirroredPoolLoan[],
  ): Promise<PoolChanges>;
}

/** What a loan app is (shared/LOANS.md "Roles and flow"). */
export type LoanRole = "vault" | "pool";

/**
 * The loan apps a chain's own deployment defines, and the peers they
 * registered: what tells a loan message from any other app's bytes that
 * decode as one. A chain whose loan apps the relayer cannot name (an EVM
 * chain without a deployment file: the endpoint serves any app its owner
 * registers) has none; its loan apps are the peers the other chain's apps
 * registered.
 */
export interface LoanAppRegistry {
  readonly eid: number;
  /** The role of `app` (`bytes32`) on this chain; undefined when it is no loan app. */
  roleOf(app: Hex): Promise<LoanRole | undefined>;
  /** The app (`bytes32`) that loan app `app` registered as its peer on `remoteEid`, at finality. */
  peerOf(app: Hex, remoteEid: number): Promise<Hex | undefined>;
}
