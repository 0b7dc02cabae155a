// The Solana chain adapters: what the relayer pipeline and CLI import.
export {
  computeUnitLimit,
  type ComputeUnitMargin,
  MAX_COMPUTE_UNIT_LIMIT,
  priorityFee,
  type PriorityFeePolicy,
} from "./budget.ts";
export {
  type LookupTableState,
  MAX_TRANSACTION_SIZE,
  selectEd25519Attestations,
  type SolanaDelivererOptions,
  type SolanaDeliveryEvent,
  SolanaPacketDeliverer,
} from "./deliverer.ts";
export { SolanaChainError, SolanaDeliveryError, SolanaTransactionTooLargeError } from "./errors.ts";
export { type Commitment } from "./schemas.ts";
export {
  ed25519AttestationSigner,
  publicKeyBytes,
  SolanaSignerError,
  verifyEd25519,
} from "./signer.ts";
export { SolanaLoanApps, type SolanaLoanAppsOptions } from "./loan-apps.ts";
export { SolanaPoolReader, type SolanaPoolReaderOptions } from "./pool-reader.ts";
export { SolanaPacketVerifier, type SolanaVerifierOptions } from "./verifier.ts";
export { SolanaPacketWatcher, type SolanaWatcherOptions } from "./watcher.ts";
