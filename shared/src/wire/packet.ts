// LayerZero V2 packet v1 (SPEC.md "Packet"), through LayerZero's own codec.
import { calculateGuid, PacketV1Codec } from "@layerzerolabs/lz-v2-utilities";
import { keccak256 } from "ethers";
import { type Hex, toBytes, toHex } from "./bytes.ts";
import { WireError } from "./errors.ts";

export const PACKET_VERSION = 1;
export const PACKET_HEADER_LENGTH = 81;
/** Header plus guid: where the message starts. */
export const PACKET_MESSAGE_OFFSET = 113;

/** The fields a sender chooses; the guid is derived from them. */
export interface PacketHeader {
  nonce: bigint;
  srcEid: number;
  sender: Hex;
  dstEid: number;
  receiver: Hex;
}

export interface Packet extends PacketHeader {
  guid: Hex;
  message: Hex;
}

/** `keccak256(nonce ‖ srcEid ‖ sender ‖ dstEid ‖ receiver)`. */
export function computeGuid(header: PacketHeader): Hex {
  return calculateGuid({ ...lzHeader(header), version: PACKET_VERSION }) as Hex;
}

export function encodePacket(header: PacketHeader, message: Hex | Uint8Array): Uint8Array {
  const guid = computeGuid(header);
  const messageHex = toHex(toBytes(message));
  return PacketV1Codec.encodeBytes({
    ...lzHeader(header),
    version: PACKET_VERSION,
    guid,
    message: messageHex,
    payload: guid + messageHex.slice(2),
  });
}

/** Decodes and checks a packet: length, version, then the guid against the header. */
export function decodePacket(bytes: Uint8Array): Packet {
  if (bytes.length < PACKET_MESSAGE_OFFSET) {
    throw new WireError(
      "PacketTooShort",
      `packet is ${bytes.length} bytes, at least ${PACKET_MESSAGE_OFFSET} needed`,
    );
  }
  const codec = PacketV1Codec.fromBytes(bytes);
  if (codec.version() !== PACKET_VERSION) {
    throw new WireError("UnsupportedPacketVersion", `packet version ${codec.version()} is not 1`);
  }
  const packet: Packet = {
    nonce: BigInt(codec.nonce()),
    srcEid: codec.srcEid(),
    sender: codec.sender().toLowerCase() as Hex,
    dstEid: codec.dstEid(),
    receiver: codec.receiver().toLowerCase() as Hex,
    guid: codec.guid().toLowerCase() as Hex,
    message: codec.message().toLowerCase() as Hex,
  };
  const expected = computeGuid(packet);
  if (expected !== packet.guid) {
    throw new WireError(
      "GuidMismatch",
      "packet guid does not match its header",
      `expected ${expected}, got ${packet.guid}`,
    );
  }
  return packet;
}

/** Bytes 0..81 of an encoded packet: what the attestation digest covers. */
export function packetHeaderBytes(bytes: Uint8Array): Uint8Array {
  return bytes.slice(0, PACKET_HEADER_LENGTH);
}

/** `keccak256(guid ‖ message)`. */
export function payloadHash(packet: Pick<Packet, "guid" | "message">): Hex {
  return keccak256(new Uint8Array([...toBytes(packet.guid), ...toBytes(packet.message)])) as Hex;
}

function lzHeader(header: PacketHeader) {
  return {
    nonce: header.nonce.toString(),
    srcEid: header.srcEid,
    sender: header.sender,
    dstEid: header.dstEid,
    receiver: header.receiver,
  };
}
