export { attestBatch, attestPacket } from "./attest.ts";
export {
  backoffMs,
  forEachLeased,
  leaseOwner,
  type PipelineChains,
  type PipelineContext,
  type PipelineSettings,
  retryOrFail,
} from "./context.ts";
export { deliverBatch, type DeliverOutcome, deliverPacket } from "./deliver.ts";
export { fetchPeerAttestations, gatherAttestations, isValidAttestation } from "./gather.ts";
export {
  destinationSideUpdate,
  loanMessageFromLoanApp,
  loanMessageOf,
  mirrorLoan,
  sourceSideUpdate,
} from "./loans.ts";
export { type IterationResult, type PipelineLoop, runIteration, startLoop } from "./pipeline.ts";
export { DISAGREEMENT_GRACE_MS, snapshot } from "./snapshot.ts";
export { observedOf, RETRYABLE_FAILURES, verifyBatch, verifyPacket } from "./verify.ts";
export { watchAll, watchSource, type WatchResult } from "./watch.ts";
