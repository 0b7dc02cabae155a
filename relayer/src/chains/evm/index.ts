// The EVM chain adapters: what the relayer pipeline and CLI import.
export { type AnvilNode, type AnvilOptions, startAnvil } from "./anvil.ts";
export {
  decodeRevert,
  type DeliveryEvent,
  DeliveryTimeoutError,
  EndpointRevertError,
  type EvmDelivererOptions,
  EvmDeliveryError,
  type EvmFeePolicy,
  EvmPacketDeliverer,
  FeeCapExceededError,
  selectAttestations,
} from "./deliverer.ts";
export { ENDPOINT_ABI, endpointInterface } from "./endpointAbi.ts";
export { type EvmFinality, finalizedHead, latestHead } from "./finality.ts";
export { EvmLoanApps, type EvmLoanAppsOptions } from "./loan-apps.ts";
export { isNonceError, NonceManager } from "./nonces.ts";
export { EvmPoolReader, POOL_READ_ABI } from "./pool-reader.ts";
export {
  decodePacketSent,
  EvmProofError,
  headerHash,
  PACKET_SENT_TOPIC,
  type PacketProofInput,
  receiptsRoot,
  verifyPacketInBlock,
} from "./proof.ts";
export type { EvmBlock, EvmBlockHeader, EvmLog, EvmReceipt } from "./schemas.ts";
export { EvmAttestationSigner, EvmSignerError, encodeSignatures, recoverSigner } from "./signer.ts";
export { EvmPacketVerifier, type EvmVerifierOptions } from "./verifier.ts";
export { EvmPacketWatcher, type EvmWatcherOptions, isRangeLimitError } from "./watcher.ts";
