// The log-truncation attack of issue 12 finding 1: whoever builds a sending
// transaction places many cheap instructions before the send, so the
// runtime's 10 kB log budget is spent before the packet's `Program data:`
// line and the logs end in "Log truncated". The padding is the program's own
// `Version` instruction; the transaction is v0 with an address lookup table
// holding every account, so the padding fits the 1,232-byte size limit.
import {
  type Address,
  address,
  appendTransactionMessageInstructions,
  compressTransactionMessageUsingAddressLookupTables,
  createTransactionMessage,
  generateKeyPairSigner,
  getAddressEncoder,
  getBase64EncodedWireTransaction,
  type Instruction,
  lamports,
  pipe,
  setTransactionMessageFeePayerSigner,
  signTransactionMessageWithSigners,
} from "@solana/kit";
import { FailedTransactionMetadata } from "litesvm";
import { type ProgramHarness, versionInstruction } from "../client/index.ts";

/** The Address Lookup Table program. */
const ALT_PROGRAM = address("AddressLookupTab1e1111111111111111111111111");
/** `LOOKUP_TABLE_META_SIZE`: addresses start after this many bytes. */
const ALT_META_SIZE = 56;
/** The transaction size limit the runtime enforces (LiteSVM does not). */
export const PACKET_DATA_SIZE = 1_232;
export const LOG_TRUNCATED = "Log truncated";

/** Writes an active lookup table holding `addresses` (as the ALT program would after `extend`). */
async function lookupTable(program: ProgramHarness, addresses: Address[]): Promise<Address> {
  const table = (await generateKeyPairSigner()).address;
  const data = new Uint8Array(ALT_META_SIZE + 32 * addresses.length);
  const view = new DataView(data.buffer);
  view.setUint32(0, 1, true); // ProgramState::LookupTable
  view.setBigUint64(4, 0xffff_ffff_ffff_ffffn, true); // deactivation_slot: never
  view.setBigUint64(12, 0n, true); // last_extended_slot
  data[20] = addresses.length; // last_extended_slot_start_index: all active
  data[21] = 0; // authority: None (frozen)
  const encoder = getAddressEncoder();
  addresses.forEach((entry, i) => {
    data.set(encoder.encode(entry), ALT_META_SIZE + 32 * i);
  });
  program.svm.setAccount({
    address: table,
    data,
    executable: false,
    lamports: lamports(1_000_000_000n),
    programAddress: ALT_PROGRAM,
    space: BigInt(data.length),
  });
  return table;
}

export interface PaddedOutcome {
  ok: boolean;
  logs: string[];
  /** `Version` instructions placed before `instructions`. */
  padding: number;
  /** Bytes of the signed transaction on the wire. */
  size: number;
}

/**
 * Sends `instructions` after the fewest `Version` instructions (in steps of
 * 4) that make the runtime truncate the transaction's logs before the
 * packet's `Program data:` line, in a v0
 * transaction with a lookup table. Throws if the transaction would exceed
 * the size limit or never truncates.
 */
export async function sendWithTruncatedLogs(
  program: ProgramHarness,
  instructions: Instruction[],
): Promise<PaddedOutcome> {
  const programs = new Set(instructions.map((ix) => ix.programAddress));
  const lookups = [
    ...new Set(
      instructions.flatMap((ix) =>
        (ix.accounts ?? [])
          .filter((meta) => !("signer" in meta) && !programs.has(meta.address))
          .map((meta) => meta.address),
      ),
    ),
  ];
  const table = await lookupTable(program, lookups);
  const build = (padding: number) =>
    pipe(
      createTransactionMessage({ version: 0 }),
      (message) => setTransactionMessageFeePayerSigner(program.payer, message),
      (message) => program.svm.setTransactionMessageLifetimeUsingLatestBlockhash(message),
      (message) =>
        appendTransactionMessageInstructions(
          [
            ...Array.from({ length: padding }, () => versionInstruction(program.programAddress)),
            ...instructions,
          ],
          message,
        ),
      (message) =>
        compressTransactionMessageUsingAddressLookupTables(message, { [table]: lookups }),
      (message) => signTransactionMessageWithSigners(message),
    );
  for (let padding = 0; padding <= 200; padding += 4) {
    const transaction = await build(padding);
    const size = Buffer.from(getBase64EncodedWireTransaction(transaction), "base64").length;
    if (size > PACKET_DATA_SIZE) {
      throw new Error(`${padding} padding instructions make a ${size}-byte transaction`);
    }
    const simulated = program.svm.simulateTransaction(transaction);
    const logs =
      simulated instanceof FailedTransactionMetadata
        ? simulated.meta().logs()
        : simulated.meta().logs();
    // Truncated before the packet's `Program data:` line (the only line
    // the program logs with `sol_log_data`).
    const hidden =
      logs.includes(LOG_TRUNCATED) && !logs.some((line) => line.startsWith("Program data: "));
    if (!hidden) continue;
    const result = program.svm.sendTransaction(transaction);
    program.svm.expireBlockhash();
    const ok = !(result instanceof FailedTransactionMetadata);
    return { ok, logs: ok ? result.logs() : result.meta().logs(), padding, size };
  }
  throw new Error("the logs never truncated");
}
