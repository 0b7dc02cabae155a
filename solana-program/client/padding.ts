// The log-truncation attack of issue 12 finding 1, as the tests mount it on
// LiteSVM and on a local node: whoever builds a transaction that makes the
// program send a packet places many cheap instructions before it, so the
// runtime's 10 kB log budget is spent before the packet's `Program data:`
// line and the logs end in "Log truncated". The transaction is v0 with an
// address lookup table holding every account it can, so that enough padding
// fits the size limit.
import {
  type Address,
  appendTransactionMessageInstructions,
  type BlockhashLifetimeConstraint,
  compressTransactionMessageUsingAddressLookupTables,
  createTransactionMessage,
  type Instruction,
  pipe,
  setTransactionMessageFeePayerSigner,
  setTransactionMessageLifetimeUsingBlockhash,
  type TransactionSigner,
} from "@solana/kit";

/** The transaction size limit on the wire (`PACKET_DATA_SIZE`); LiteSVM does not enforce it. */
export const PACKET_DATA_SIZE = 1_232;
/** The runtime's last log line once a transaction has spent its log budget. */
export const LOG_TRUNCATED = "Log truncated";

/**
 * The accounts of `instructions` a lookup table can hold: a v0 message takes
 * its signers and the programs it invokes from its static keys only.
 */
export function lookupTableAddresses(instructions: readonly Instruction[]): Address[] {
  const programs = new Set(instructions.map((ix) => ix.programAddress));
  return [
    ...new Set(
      instructions.flatMap((ix) =>
        (ix.accounts ?? [])
          .filter((meta) => !("signer" in meta) && !programs.has(meta.address))
          .map((meta) => meta.address),
      ),
    ),
  ];
}

export interface PaddedV0MessageInput {
  feePayer: TransactionSigner;
  lifetime: BlockhashLifetimeConstraint;
  /** Placed `count` times before `instructions`. */
  padding: { instruction: Instruction; count: number };
  instructions: readonly Instruction[];
  /** An active lookup table and the addresses it holds, in order. */
  lookupTable: { address: Address; addresses: readonly Address[] };
}

/**
 * A v0 message of `padding.count` copies of the padding instruction then
 * `instructions`, with every account the lookup table holds referenced
 * through it; unsigned, its signers attached to its account metas.
 */
export function paddedV0Message({
  feePayer,
  lifetime,
  padding,
  instructions,
  lookupTable,
}: PaddedV0MessageInput) {
  return pipe(
    createTransactionMessage({ version: 0 }),
    (message) => setTransactionMessageFeePayerSigner(feePayer, message),
    (message) => setTransactionMessageLifetimeUsingBlockhash(lifetime, message),
    (message) =>
      appendTransactionMessageInstructions(
        [...Array.from({ length: padding.count }, () => padding.instruction), ...instructions],
        message,
      ),
    (message) =>
      compressTransactionMessageUsingAddressLookupTables(message, {
        [lookupTable.address]: [...lookupTable.addresses],
      }),
  );
}

/**
 * Whether `logs` were truncated before any packet was logged: a packet's
 * `Program data:` line is the only line the program logs with `sol_log_data`.
 */
export function logsTruncatedBeforePacket(logs: readonly string[]): boolean {
  return logs.includes(LOG_TRUNCATED) && !logs.some((line) => line.startsWith("Program data: "));
}
