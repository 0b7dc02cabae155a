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

/** The program refused the delivery transaction: in simulation, or on chain. */
export class SolanaDeliveryRefusedError extends SolanaDeliveryError {
  override name = "SolanaDeliveryRefusedError";
}

/**
 * The delivery transaction, compute-budget instructions included, exceeds
 * the 1,232 bytes a Solana transaction may have: too many signatures for
 * the lookup table the relayer could use (or it had none).
 */
export class SolanaTransactionTooLargeError extends SolanaDeliveryError {
  override name = "SolanaTransactionTooLargeError";
  constructor(
    guid: string,
    size: number,
    lookupTable: { table: string; usable: number } | { table: string; error: string } | undefined,
  ) {
    super(`deliver of ${guid} is ${size} bytes, over the 1,232 a transaction may have`, {
      details:
        lookupTable === undefined
          ? "no lookup table configured (chains.solana.lookupTable)"
          : "error" in lookupTable
            ? `lookup table ${lookupTable.table} unusable: ${lookupTable.error}`
            : `lookup table ${lookupTable.table}: ${lookupTable.usable} usable addresses`,
    });
  }
}
