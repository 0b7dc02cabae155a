// Runs the real SBF build of the program in LiteSVM: the local Solana chain
// for tests and the demo.
import {
  type Address,
  generateKeyPairSigner,
  type Instruction,
  type KeyPairSigner,
  lamports,
} from "@solana/kit";
import { FailedTransactionMetadata, LiteSVM } from "litesvm";
import { type AccountName, decodeAccount, IDL_PROGRAM_ADDRESS, type Plain } from "./idl.ts";
import { readProgramBinary } from "./program.ts";
import { signV0Transaction, type TransactionInput } from "./transaction.ts";

/**
 * Codes of the runtime's own `InstructionError` variants as LiteSVM reports
 * them (its `InstructionErrorFieldless` is a `const enum`, which erasable
 * TypeScript cannot import).
 */
export const BuiltinInstructionError = {
  InvalidArgument: 1,
  InvalidInstructionData: 2,
  InvalidAccountData: 3,
  InsufficientFunds: 5,
  MissingRequiredSignature: 7,
  NotEnoughAccountKeys: 19,
  AccountBorrowFailed: 22,
  InvalidSeeds: 34,
  ComputationalBudgetExceeded: 36,
  PrivilegeEscalation: 37,
} as const;

export type InstructionFailure =
  | { kind: "custom"; code: number; index: number }
  | { kind: "builtin"; code: number; index: number }
  | { kind: "other"; text: string };

export type Outcome = {
  logs: string[];
  computeUnits: bigint;
  /** Size of the signed transaction on the wire, in bytes. */
  size: number;
} & ({ ok: true; returnData: Uint8Array } | { ok: false; error: InstructionFailure });

/** A transaction the harness sent. */
export interface SentTransaction {
  instructions: Instruction[];
  outcome: Outcome;
}

export type ProgramHarness = {
  svm: LiteSVM;
  /** Every transaction sent, in order. */
  history: SentTransaction[];
  programAddress: Address;
  payer: KeyPairSigner;
  /** Signs (every signer in the instructions' account metas) and sends one transaction. */
  send(...instructions: Instruction[]): Promise<Outcome>;
  /** `send` with the compute-budget instructions and lookup tables a relayer's delivery has. */
  sendWith(
    options: Pick<TransactionInput, "budget" | "lookupTables">,
    ...instructions: Instruction[]
  ): Promise<Outcome>;
  /** The account's data, or null when it does not exist. */
  data(address: Address): Uint8Array | null;
  /** The account decoded by its IDL name. */
  decode(name: AccountName, address: Address): Record<string, Plain>;
  lamports(address: Address): bigint;
  /** Sets the clock's unix timestamp (seconds). */
  setTime(unixTimestamp: bigint): void;
  now(): bigint;
  /** A new funded key pair. */
  fundedSigner(sol?: bigint): Promise<KeyPairSigner>;
};

export async function startProgram(
  programAddress: Address = IDL_PROGRAM_ADDRESS,
): Promise<ProgramHarness> {
  const svm = new LiteSVM();
  const payer = await generateKeyPairSigner();
  svm.airdrop(payer.address, lamports(100_000_000_000n));
  svm.addProgram(programAddress, await readProgramBinary());

  const history: SentTransaction[] = [];

  async function sendWith(
    options: Pick<TransactionInput, "budget" | "lookupTables">,
    ...instructions: Instruction[]
  ): Promise<Outcome> {
    const outcome = await sendOnce(instructions, options);
    history.push({ instructions, outcome });
    return outcome;
  }

  async function sendOnce(
    instructions: Instruction[],
    options: Pick<TransactionInput, "budget" | "lookupTables">,
  ): Promise<Outcome> {
    const { transaction, size } = await signV0Transaction({
      feePayer: payer,
      instructions,
      // LiteSVM checks the blockhash, not the height.
      lifetime: { blockhash: svm.latestBlockhash(), lastValidBlockHeight: 0n },
      ...options,
    });
    const result = svm.sendTransaction(transaction);
    // A fresh blockhash per transaction, so identical retries are not
    // rejected as duplicates.
    svm.expireBlockhash();
    if (result instanceof FailedTransactionMetadata) {
      const meta = result.meta();
      return {
        ok: false,
        logs: meta.logs(),
        computeUnits: meta.computeUnitsConsumed(),
        size,
        error: describeFailure(result),
      };
    }
    return {
      ok: true,
      logs: result.logs(),
      computeUnits: result.computeUnitsConsumed(),
      size,
      returnData: result.returnData().data(),
    };
  }

  function data(address: Address): Uint8Array | null {
    const account = svm.getAccount(address);
    return account.exists ? account.data : null;
  }

  function decode(name: AccountName, address: Address): Record<string, Plain> {
    const bytes = data(address);
    if (!bytes) throw new Error(`no ${name} account at ${address}`);
    return decodeAccount(name, bytes);
  }

  function setTime(unixTimestamp: bigint): void {
    const clock = svm.getClock();
    clock.unixTimestamp = unixTimestamp;
    svm.setClock(clock);
  }

  async function fundedSigner(sol = 10n): Promise<KeyPairSigner> {
    const signer = await generateKeyPairSigner();
    svm.airdrop(signer.address, lamports(sol * 1_000_000_000n));
    return signer;
  }

  return {
    svm,
    history,
    programAddress,
    payer,
    send: (...instructions) => sendWith({}, ...instructions),
    sendWith,
    data,
    decode,
    lamports: (address) => svm.getBalance(address) ?? 0n,
    setTime,
    now: () => svm.getClock().unixTimestamp,
    fundedSigner,
  };
}

function describeFailure(result: FailedTransactionMetadata): InstructionFailure {
  const error = result.err();
  if (typeof error === "object" && "err" in error && "index" in error) {
    const inner = error.err();
    if (typeof inner === "number") return { kind: "builtin", code: inner, index: error.index };
    if ("code" in inner) return { kind: "custom", code: inner.code, index: error.index };
  }
  return { kind: "other", text: result.toString() };
}

/** The CU figure the runtime itself printed for the program's invocation. */
export function loggedComputeUnits(logs: string[], programAddress: Address): bigint {
  const pattern = new RegExp(`^Program ${programAddress} consumed (\\d+) of \\d+ compute units$`);
  for (const line of logs) {
    const match = pattern.exec(line);
    if (match?.[1]) return BigInt(match[1]);
  }
  throw new Error(`no compute-unit line for ${programAddress} in logs:\n${logs.join("\n")}`);
}

/** The bytes the program logged with `sol_log_data` (`Program data:` lines), in order. */
export function loggedData(logs: string[]): Uint8Array[] {
  return logs
    .filter((line) => line.startsWith("Program data: "))
    .map(
      (line) =>
        new Uint8Array(
          Buffer.from(line.slice("Program data: ".length).split(" ")[0] ?? "", "base64"),
        ),
    );
}
