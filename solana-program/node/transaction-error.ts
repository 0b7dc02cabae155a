// LiteSVM's transaction errors in the JSON shape Solana's RPC uses
// (`"BlockhashNotFound"`, `{"InstructionError":[1,{"Custom":6001}]}`), and
// the one-line text the RPC puts in preflight failure messages.
import type { FailedTransactionMetadata } from "litesvm";

export type TransactionError = string | { [variant: string]: TransactionErrorValue };
type TransactionErrorValue = number | string | TransactionErrorValue[] | TransactionError;

type LiteSvmError = ReturnType<FailedTransactionMetadata["err"]>;

/** `TransactionError`'s fieldless variants by LiteSVM's numeric code. */
const TRANSACTION_ERRORS = [
  "AccountInUse",
  "AccountLoadedTwice",
  "AccountNotFound",
  "ProgramAccountNotFound",
  "InsufficientFundsForFee",
  "InvalidAccountForFee",
  "AlreadyProcessed",
  "BlockhashNotFound",
  "CallChainTooDeep",
  "MissingSignatureForFee",
  "InvalidAccountIndex",
  "SignatureFailure",
  "InvalidProgramForExecution",
  "SanitizeFailure",
  "ClusterMaintenance",
  "AccountBorrowOutstanding",
  "WouldExceedMaxBlockCostLimit",
  "UnsupportedVersion",
  "InvalidWritableAccount",
  "WouldExceedMaxAccountCostLimit",
  "WouldExceedAccountDataBlockLimit",
  "TooManyAccountLocks",
  "AddressLookupTableNotFound",
  "InvalidAddressLookupTableOwner",
  "InvalidAddressLookupTableData",
  "InvalidAddressLookupTableIndex",
  "InvalidRentPayingAccount",
  "WouldExceedMaxVoteCostLimit",
  "WouldExceedAccountDataTotalLimit",
  "MaxLoadedAccountsDataSizeExceeded",
  "ResanitizationNeeded",
  "InvalidLoadedAccountsDataSizeLimit",
  "UnbalancedTransaction",
  "ProgramCacheHitMaxLimit",
  "CommitCancelled",
] as const;

/** `InstructionError`'s fieldless variants by LiteSVM's numeric code. */
const INSTRUCTION_ERRORS = [
  "GenericError",
  "InvalidArgument",
  "InvalidInstructionData",
  "InvalidAccountData",
  "AccountDataTooSmall",
  "InsufficientFunds",
  "IncorrectProgramId",
  "MissingRequiredSignature",
  "AccountAlreadyInitialized",
  "UninitializedAccount",
  "UnbalancedInstruction",
  "ModifiedProgramId",
  "ExternalAccountLamportSpend",
  "ExternalAccountDataModified",
  "ReadonlyLamportChange",
  "ReadonlyDataModified",
  "DuplicateAccountIndex",
  "ExecutableModified",
  "RentEpochModified",
  "NotEnoughAccountKeys",
  "AccountDataSizeChanged",
  "AccountNotExecutable",
  "AccountBorrowFailed",
  "AccountBorrowOutstanding",
  "DuplicateAccountOutOfSync",
  "InvalidError",
  "ExecutableDataModified",
  "ExecutableLamportChange",
  "ExecutableAccountNotRentExempt",
  "UnsupportedProgramId",
  "CallDepth",
  "MissingAccount",
  "ReentrancyNotAllowed",
  "MaxSeedLengthExceeded",
  "InvalidSeeds",
  "InvalidRealloc",
  "ComputationalBudgetExceeded",
  "PrivilegeEscalation",
  "ProgramEnvironmentSetupFailure",
  "ProgramFailedToComplete",
  "ProgramFailedToCompile",
  "Immutable",
  "IncorrectAuthority",
  "AccountNotRentExempt",
  "InvalidAccountOwner",
  "ArithmeticOverflow",
  "UnsupportedSysvar",
  "IllegalOwner",
  "MaxAccountsDataAllocationsExceeded",
  "MaxAccountsExceeded",
  "MaxInstructionTraceLengthExceeded",
  "BuiltinProgramsMustConsumeComputeUnits",
  "BorshIoError",
] as const;

function named(names: readonly string[], code: number): string {
  return names[code] ?? `Unknown(${code})`;
}

/** LiteSVM's error object in Solana's RPC JSON shape. */
export function toTransactionError(error: LiteSvmError): TransactionError {
  if (typeof error === "number") return named(TRANSACTION_ERRORS, error);
  if ("err" in error) {
    const inner = error.err();
    if (typeof inner === "number") {
      return { InstructionError: [error.index, named(INSTRUCTION_ERRORS, inner)] };
    }
    if ("code" in inner) return { InstructionError: [error.index, { Custom: inner.code }] };
    return { InstructionError: [error.index, { BorshIoError: inner.msg }] };
  }
  if ("index" in error) return { DuplicateInstruction: error.index };
  const variant = error.constructor.name.replace(/^TransactionError/, "");
  return { [variant]: { account_index: error.accountIndex } };
}

/** The error's text as Solana's RPC prints it after "Transaction simulation failed: ". */
export function describeTransactionError(error: TransactionError): string {
  if (error === "BlockhashNotFound") return "Blockhash not found";
  if (error === "AlreadyProcessed") return "This transaction has already been processed";
  if (error === "InsufficientFundsForFee") return "Insufficient funds for fee";
  if (error === "AccountNotFound") {
    return "Attempt to debit an account but found no record of a prior credit.";
  }
  if (typeof error === "string") return error;
  const failure = error.InstructionError;
  if (Array.isArray(failure)) {
    const [index, inner] = failure as [number, TransactionErrorValue];
    const text =
      typeof inner === "object" && !Array.isArray(inner) && typeof inner.Custom === "number"
        ? `custom program error: 0x${inner.Custom.toString(16)}`
        : JSON.stringify(inner);
    return `Error processing Instruction ${index}: ${text}`;
  }
  return JSON.stringify(error);
}
