// Runs the real SBF build of the program in LiteSVM: the local Solana chain
// for tests and the demo.
import {
  type Address,
  appendTransactionMessageInstructions,
  createTransactionMessage,
  generateKeyPairSigner,
  type Instruction,
  type KeyPairSigner,
  lamports,
  pipe,
  setTransactionMessageFeePayerSigner,
  signTransactionMessageWithSigners,
} from "@solana/kit";
import { FailedTransactionMetadata, LiteSVM } from "litesvm";
import { readProgramBinary } from "./program.ts";

/**
 * Codes of the runtime's own `InstructionError` variants as LiteSVM reports
 * them (its `InstructionErrorFieldless` is a `const enum`, which erasable
 * TypeScript cannot import).
 */
export const BuiltinInstructionError = {
  InvalidArgument: 1,
} as const;

export type InstructionFailure =
  | { kind: "custom"; code: number }
  | { kind: "builtin"; code: number }
  | { kind: "other"; text: string };

export type Outcome = {
  logs: string[];
  computeUnits: bigint;
} & ({ ok: true; returnData: Uint8Array } | { ok: false; error: InstructionFailure });

export type ProgramHarness = {
  svm: LiteSVM;
  programAddress: Address;
  payer: KeyPairSigner;
  send(...instructions: Instruction[]): Promise<Outcome>;
};

export async function startProgram(): Promise<ProgramHarness> {
  const svm = new LiteSVM();
  const payer = await generateKeyPairSigner();
  const programAddress = (await generateKeyPairSigner()).address;
  svm.airdrop(payer.address, lamports(10_000_000_000n));
  svm.addProgram(programAddress, await readProgramBinary());

  async function send(...instructions: Instruction[]): Promise<Outcome> {
    const transaction = await pipe(
      createTransactionMessage({ version: 0 }),
      (message) => setTransactionMessageFeePayerSigner(payer, message),
      (message) => svm.setTransactionMessageLifetimeUsingLatestBlockhash(message),
      (message) => appendTransactionMessageInstructions(instructions, message),
      (message) => signTransactionMessageWithSigners(message),
    );
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
        error: describeFailure(result),
      };
    }
    return {
      ok: true,
      logs: result.logs(),
      computeUnits: result.computeUnitsConsumed(),
      returnData: result.returnData().data(),
    };
  }

  return { svm, programAddress, payer, send };
}

function describeFailure(result: FailedTransactionMetadata): InstructionFailure {
  const error = result.err();
  if (typeof error === "object" && "err" in error) {
    const inner = error.err();
    if (typeof inner === "number") return { kind: "builtin", code: inner };
    if ("code" in inner) return { kind: "custom", code: inner.code };
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
