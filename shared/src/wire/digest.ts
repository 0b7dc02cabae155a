// What relayers sign and endpoints verify (SPEC.md "Attestation digest").
import { keccak256, toUtf8Bytes } from "ethers";
import { type Hex, toBytes, writeUint } from "./bytes.ts";
import { WireError } from "./errors.ts";
import { PACKET_HEADER_LENGTH, packetHeaderBytes, payloadHash, decodePacket } from "./packet.ts";

export const ATTESTATION_DOMAIN = keccak256(toUtf8Bytes("loanbridge:attestation:v2")) as Hex;

/**
 * `ATTESTATION_DOMAIN ‖ endpoint ‖ epoch ‖ header ‖ payloadHash`, where `endpoint` is the
 * destination endpoint's address as `bytes32` (SPEC.md "Addresses as bytes32"): a signature
 * is valid on one deployment only, even where two share an eid and app addresses. Remote
 * signers that hash what they are sent (web3signer) are sent this, not its digest.
 */
export function attestationPreimage(
  endpoint: Hex,
  epoch: bigint,
  header: Uint8Array,
  payloadHashHex: Hex,
): Uint8Array {
  const endpointBytes = toBytes(endpoint);
  if (endpointBytes.length !== 32) {
    throw new WireError(
      "ValueOutOfRange",
      `endpoint is ${endpointBytes.length} bytes, 32 expected (an address as bytes32)`,
    );
  }
  if (header.length !== PACKET_HEADER_LENGTH) {
    throw new WireError(
      "InvalidHeaderLength",
      `packet header is ${header.length} bytes, ${PACKET_HEADER_LENGTH} expected`,
    );
  }
  const preimage = new Uint8Array(32 + 32 + 8 + PACKET_HEADER_LENGTH + 32);
  preimage.set(toBytes(ATTESTATION_DOMAIN), 0);
  preimage.set(endpointBytes, 32);
  writeUint(preimage, 64, 8, epoch, "epoch");
  preimage.set(header, 72);
  preimage.set(toBytes(payloadHashHex), 72 + PACKET_HEADER_LENGTH);
  return preimage;
}

/** What relayers sign: `keccak256` of [`attestationPreimage`]. */
export function attestationDigest(
  endpoint: Hex,
  epoch: bigint,
  header: Uint8Array,
  payloadHashHex: Hex,
): Hex {
  return keccak256(attestationPreimage(endpoint, epoch, header, payloadHashHex)) as Hex;
}

/** The preimage of a whole encoded packet, which is decoded (and so checked) first. */
export function packetAttestationPreimage(
  endpoint: Hex,
  epoch: bigint,
  packet: Uint8Array,
): Uint8Array {
  return attestationPreimage(
    endpoint,
    epoch,
    packetHeaderBytes(packet),
    payloadHash(decodePacket(packet)),
  );
}

/** The digest of a whole encoded packet, which is decoded (and so checked) first. */
export function packetAttestationDigest(endpoint: Hex, epoch: bigint, packet: Uint8Array): Hex {
  return keccak256(packetAttestationPreimage(endpoint, epoch, packet)) as Hex;
}
