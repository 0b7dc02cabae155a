// Signs a v0 transaction the way deliveries are sent: the compute-budget
// instructions first (when given), then the instructions, with the accounts a
// lookup table holds loaded from it. One compile path for the relayer, the
// user commands and the CU report, so the size the report prints is the size
// a relayer sends.
import {
  getSetComputeUnitLimitInstruction,
  getSetComputeUnitPriceInstruction,
} from "@solana-program/compute-budget";
import {
  type AddressesByLookupTableAddress,
  appendTransactionMessageInstructions,
  type Blockhash,
  compressTransactionMessageUsingAddressLookupTables,
  createTransactionMessage,
  getBase64EncodedWireTransaction,
  getSignatureFromTransaction,
  type Instruction,
  pipe,
  setTransactionMessageFeePayerSigner,
  setTransactionMessageLifetimeUsingBlockhash,
  signTransactionMessageWithSigners,
  type TransactionSigner,
} from "@solana/kit";

/** A compute-unit limit and a priority fee (micro-lamports per unit). */
export interface ComputeBudget {
  units: number;
  microLamports: bigint;
}

export interface TransactionInput {
  feePayer: TransactionSigner;
  instructions: readonly Instruction[];
  lifetime: { blockhash: Blockhash; lastValidBlockHeight: bigint };
  budget?: ComputeBudget;
  /** Tables and the addresses in them this transaction may load; others stay inline. */
  lookupTables?: AddressesByLookupTableAddress;
}

export interface CompiledTransaction {
  /** base64, as `sendTransaction` takes it. */
  wire: string;
  signature: string;
  /** Bytes on the wire. */
  size: number;
  transaction: Awaited<ReturnType<typeof signTransactionMessageWithSigners>>;
}

/** The two compute-budget instructions for `budget`. */
export function computeBudgetInstructions(budget: ComputeBudget): Instruction[] {
  return [
    getSetComputeUnitLimitInstruction({ units: budget.units }),
    getSetComputeUnitPriceInstruction({ microLamports: budget.microLamports }),
  ];
}

/** Compiles and signs `input` as a v0 transaction (every signer its metas name). */
export async function signV0Transaction(input: TransactionInput): Promise<CompiledTransaction> {
  const instructions = [
    ...(input.budget === undefined ? [] : computeBudgetInstructions(input.budget)),
    ...input.instructions,
  ];
  const transaction = await pipe(
    createTransactionMessage({ version: 0 }),
    (message) => setTransactionMessageFeePayerSigner(input.feePayer, message),
    (message) => setTransactionMessageLifetimeUsingBlockhash(input.lifetime, message),
    (message) => appendTransactionMessageInstructions(instructions, message),
    (message) =>
      input.lookupTables === undefined
        ? message
        : compressTransactionMessageUsingAddressLookupTables(message, input.lookupTables),
    (message) => signTransactionMessageWithSigners(message),
  );
  const wire = getBase64EncodedWireTransaction(transaction);
  return {
    wire,
    signature: getSignatureFromTransaction(transaction),
    size: Buffer.from(wire, "base64").length,
    transaction,
  };
}
