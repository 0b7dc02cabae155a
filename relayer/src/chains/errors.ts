// Delivery errors every chain's deliverer throws alike, so the pipeline's
// deliver stage handles EVM and Solana destinations the same way.
import { BaseError, type Hex } from "@loanbridge/shared";

/** A delivery to a destination chain failed. */
export class DeliveryError extends BaseError {
  override name = "DeliveryError";
}

/** Fewer usable attestations than the destination's threshold. */
export class InsufficientAttestationsError extends DeliveryError {
  override name = "InsufficientAttestationsError";
  readonly guid: Hex;
  readonly usable: number;
  readonly threshold: number;

  constructor(guid: Hex, usable: number, threshold: number, dropped: readonly string[]) {
    super(`${usable} usable attestations for ${guid}, threshold ${threshold}`, {
      details: dropped.length > 0 ? `dropped: ${dropped.join("; ")}` : "none dropped",
    });
    this.guid = guid;
    this.usable = usable;
    this.threshold = threshold;
  }
}

/**
 * A delivery of the guid is already on its way: the node's pending state
 * has it delivered (another relayer's transaction is in the mempool), so
 * sending ours would only pay for a transaction that reverts.
 */
export class DeliveryPendingError extends DeliveryError {
  override name = "DeliveryPendingError";
  readonly guid: Hex;

  constructor(guid: Hex) {
    super(`a delivery of ${guid} is already pending`);
    this.guid = guid;
  }
}

/** The destination already has the guid (someone else delivered it). */
export class AlreadyDeliveredError extends DeliveryError {
  override name = "AlreadyDeliveredError";
  readonly guid: Hex;

  constructor(guid: Hex) {
    super(`${guid} is already delivered`);
    this.guid = guid;
  }
}
