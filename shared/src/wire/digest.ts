// What relayers sign and endpoints verify (SPEC.md "Attestation digest").
import { keccak256, toUtf8Bytes } from "ethers";
import { type Hex, toBytes, writeUint } from "./bytes.ts";
import { WireError } from "./errors.ts";
import { PACKET_HEADER_LENGTH, packetHeaderBytes, payloadHash, decodePacket } from "./packet.ts";

export const ATTESTATION_DOMAIN = keccak256(toUtf8Bytes("loanbridge:attestation:v1")) as Hex;

/** `keccak256(ATTESTATION_DOMAIN ‖ epoch ‖ header ‖ payloadHash)`. */
export function attestationDigest(epoch: bigint, header: Uint8Array, payloadHashHex: Hex): Hex {
  if (header.length !== PACKET_HEADER_LENGTH) {
    throw new WireError(
      "InvalidHeaderLength",
      `packet header is ${header.length} bytes, ${PACKET_HEADER_LENGTH} expected`,
    );
  }
  const preimage = new Uint8Array(32 + 8 + PACKET_HEADER_LENGTH + 32);
  preimage.set(toBytes(ATTESTATION_DOMAIN), 0);
  writeUint(preimage, 32, 8, epoch, "epoch");
  preimage.set(header, 40);
  preimage.set(toBytes(payloadHashHex), 40 + PACKET_HEADER_LENGTH);
  return keccak256(preimage) as Hex;
}

/** The digest of a whole encoded packet, which is decoded (and so checked) first. */
export function packetAttestationDigest(epoch: bigint, packet: Uint8Array): Hex {
  return attestationDigest(epoch, packetHeaderBytes(packet), payloadHash(decodePacket(packet)));
}
