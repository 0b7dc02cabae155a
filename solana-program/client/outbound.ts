// Outbound packets from chain state: every packet the program sends is
// stored whole in its packet account, PDA ["packet", app, dstEid, nonce]
// (src/state/endpoint.rs `OutboundPacket`). Relayers read packets from
// here, walking nonces per (app, dstEid): the sending transaction's log line
// is only a hint, since whoever builds a transaction can truncate its logs.
import { keccak256 } from "ethers";
import { accountSize, decodeAccount } from "./idl.ts";

/** Discriminator of the `OutboundPacket` account (its first byte). */
export const OUTBOUND_PACKET_DISCRIMINATOR = 4;
/** Capacity of `OutboundPacket.packet`: the 113-byte head plus the longest message (OPEN_LOAN, 184). */
export const OUTBOUND_PACKET_CAPACITY = 297;
/** `OutboundPacket.status` of a sent packet. */
export const OUTBOUND_PACKET_SENT = 1;

/**
 * The packet bytes an `OutboundPacket` account holds. Throws unless the data
 * is an outbound packet account of the current layout (discriminator and
 * size), `packet_len` ≤ 297, and keccak256 of the bytes is the stored
 * `packet_hash`.
 */
export function outboundPacketBytes(data: Uint8Array): Uint8Array {
  if (data[0] !== OUTBOUND_PACKET_DISCRIMINATOR) {
    throw new Error("not an outbound packet account (discriminator)");
  }
  if (data.length !== accountSize("OutboundPacket")) {
    throw new Error(
      `outbound packet account of ${data.length} bytes, expected ${accountSize("OutboundPacket")}`,
    );
  }
  const record = decodeAccount("OutboundPacket", data);
  const length = record.packet_len as number;
  if (length > OUTBOUND_PACKET_CAPACITY) {
    throw new Error(`outbound packet length ${length} exceeds ${OUTBOUND_PACKET_CAPACITY}`);
  }
  const packet = (record.packet as Uint8Array).slice(0, length);
  const hash = Buffer.from(keccak256(packet).slice(2), "hex");
  if (!hash.equals(Buffer.from(record.packet_hash as Uint8Array))) {
    throw new Error("outbound packet bytes do not match the stored packet_hash");
  }
  return packet;
}
