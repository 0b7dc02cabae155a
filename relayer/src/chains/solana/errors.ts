// Errors of the Solana adapters.
import { BaseError } from "@loanbridge/shared";
import { DeliveryError } from "../errors.ts";

/** The chain answered something the adapters cannot use (yet). */
export class SolanaChainError extends BaseError {
  override name = "SolanaChainError";
}

/** A delivery transaction failed in simulation or on chain, or never landed. */
export class SolanaDeliveryError extends DeliveryError {
  override name = "SolanaDeliveryError";
}
