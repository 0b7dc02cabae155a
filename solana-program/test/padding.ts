// Sends a transaction padded until its logs truncate (see
// ../client/padding.ts) on LiteSVM, with the program's own `Version`
// instruction as the padding and a lookup table written straight into the
// bank.
import {
  type Address,
  generateKeyPairSigner,
  getAddressEncoder,
  getBase64EncodedWireTransaction,
  type Instruction,
  lamports,
  signTransactionMessageWithSigners,
} from "@solana/kit";
import { FailedTransactionMetadata } from "litesvm";
import {
  ADDRESS_LOOKUP_TABLE_PROGRAM_ADDRESS,
  lookupTableAddresses,
  logsTruncatedBeforePacket,
  PACKET_DATA_SIZE,
  paddedV0Message,
  versionInstruction,
} from "../client/index.ts";
import { type ProgramHarness } from "../client/litesvm.ts";

/** `LOOKUP_TABLE_META_SIZE`: addresses start after this many bytes. */
const ALT_META_SIZE = 56;

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
    programAddress: ADDRESS_LOOKUP_TABLE_PROGRAM_ADDRESS,
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
  const addresses = lookupTableAddresses(instructions);
  const table = await lookupTable(program, addresses);
  // LiteSVM's latest blockhash stays the same until the send expires it.
  const lifetime = { blockhash: program.svm.latestBlockhash(), lastValidBlockHeight: 0n };
  for (let padding = 0; padding <= 200; padding += 4) {
    const transaction = await signTransactionMessageWithSigners(
      paddedV0Message({
        feePayer: program.payer,
        lifetime,
        padding: { instruction: versionInstruction(program.programAddress), count: padding },
        instructions,
        lookupTable: { address: table, addresses },
      }),
    );
    const size = Buffer.from(getBase64EncodedWireTransaction(transaction), "base64").length;
    if (size > PACKET_DATA_SIZE) {
      throw new Error(`${padding} padding instructions make a ${size}-byte transaction`);
    }
    const simulated = program.svm.simulateTransaction(transaction);
    const logs =
      simulated instanceof FailedTransactionMetadata
        ? simulated.meta().logs()
        : simulated.meta().logs();
    if (!logsTruncatedBeforePacket(logs)) continue;
    const result = program.svm.sendTransaction(transaction);
    program.svm.expireBlockhash();
    const ok = !(result instanceof FailedTransactionMetadata);
    return { ok, logs: ok ? result.logs() : result.meta().logs(), padding, size };
  }
  throw new Error("the logs never truncated");
}
