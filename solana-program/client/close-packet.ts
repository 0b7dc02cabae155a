// `ClosePacket` (src/processor/close_packet.rs): closes an outbound packet
// account once its loan is final on this chain and the packet is
// MIN_PACKET_AGE_SECONDS old, returning the rent to the payer it records.
// Everything the instruction needs is read from the packet account itself:
// the rent recipient (its `payer`), the path's nonce account (whose
// `close_horizon` it raises) and the loan (the sending app and the
// message's loan id).
import { decodeLoanMessage, decodePacket, toBytes } from "@loanbridge/shared";
import type { Address, Instruction } from "@solana/kit";
import { decodeAccount, encodeInstruction } from "./idl.ts";
import { addressFromBytes32, readonly, writable } from "./instructions.ts";
import { outboundPacketBytes } from "./outbound.ts";
import { pda } from "./pda.ts";

/** How old a packet must be before it may be closed (`MIN_PACKET_AGE_SECONDS`, 30 days). */
export const MIN_PACKET_AGE_SECONDS = 30n * 24n * 60n * 60n;

export interface ClosePacketInput {
  /** The packet account, PDA ["packet", app, dstEid, nonce]. */
  packet: Address;
  /** Its data, as read from the chain (checked by `outboundPacketBytes`). */
  data: Uint8Array;
  /** Override any account (tests of forged accounts). */
  overrides?: Partial<Record<"endpoint" | "nonce" | "loan" | "rentRecipient", Address>>;
}

/** The rent payer and send time an outbound packet account records. */
export function outboundPacketRent(data: Uint8Array): { payer: Address; sentAt: bigint } {
  const record = decodeAccount("OutboundPacket", data);
  return {
    payer: addressFromBytes32(record.payer as Uint8Array),
    sentAt: BigInt(record.sent_at as bigint | number),
  };
}

/** `ClosePacket` for the packet account `input.packet`, holding `input.data`. */
export async function closePacketInstruction(
  program: Address,
  input: ClosePacketInput,
): Promise<Instruction> {
  const overrides = input.overrides ?? {};
  const packet = decodePacket(outboundPacketBytes(input.data));
  const loanId = toBytes(decodeLoanMessage(packet.message).loanId);
  const sender = addressFromBytes32(toBytes(packet.sender));
  const loan =
    sender === (await pda.vault(program))
      ? await pda.vaultLoan(program, loanId)
      : await pda.poolLoan(program, loanId);
  return {
    programAddress: program,
    accounts: [
      readonly(overrides.endpoint ?? (await pda.endpoint(program))),
      writable(overrides.nonce ?? (await pda.nonce(program, sender, packet.dstEid))),
      writable(input.packet),
      readonly(overrides.loan ?? loan),
      writable(overrides.rentRecipient ?? outboundPacketRent(input.data).payer),
    ],
    data: encodeInstruction("close_packet", {}),
  };
}
