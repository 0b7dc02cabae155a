// The Ed25519 precompile instruction that carries a packet's attestations
// (src/endpoint/ed25519.rs): every signature, key and message in the
// instruction's own data (instruction index u16::MAX), one shared 32-byte
// message, the attestation digest.
import {
  type Address,
  address,
  getAddressEncoder,
  type Instruction,
  type KeyPairSigner,
  signBytes,
} from "@solana/kit";

export const ED25519_PROGRAM_ADDRESS = address("Ed25519SigVerify111111111111111111111111111");

/** A verifier's ed25519 signature over a digest. */
export interface Ed25519Attestation {
  publicKey: Uint8Array;
  signature: Uint8Array;
}

const SAME_INSTRUCTION = 0xffff;
const OFFSETS_SIZE = 14;
const SIGNATURE_SIZE = 64;
const PUBLIC_KEY_SIZE = 32;

/** Signs `digest` with a verifier's key pair. */
export async function signAttestation(
  verifier: KeyPairSigner,
  digest: Uint8Array,
): Promise<Ed25519Attestation> {
  return {
    publicKey: new Uint8Array(getAddressEncoder().encode(verifier.address)),
    signature: new Uint8Array(await signBytes(privateKey(verifier), digest)),
  };
}

/** The signer's private key (kit types it with the DOM's `CryptoKeyPair`). */
function privateKey(signer: KeyPairSigner): Parameters<typeof signBytes>[0] {
  return (signer.keyPair as { privateKey: Parameters<typeof signBytes>[0] }).privateKey;
}

/** The raw public key of an address. */
export const addressBytes = (value: Address): Uint8Array =>
  new Uint8Array(getAddressEncoder().encode(value));

/** Precompile data: header, offsets table, (signature, key) pairs, then the message once. */
export function ed25519InstructionData(
  attestations: Ed25519Attestation[],
  message: Uint8Array,
): Uint8Array {
  const count = attestations.length;
  const bodyStart = 2 + count * OFFSETS_SIZE;
  const messageOffset = bodyStart + count * (SIGNATURE_SIZE + PUBLIC_KEY_SIZE);
  const data = new Uint8Array(messageOffset + message.length);
  const view = new DataView(data.buffer);
  data[0] = count;
  attestations.forEach(({ publicKey, signature }, i) => {
    const signatureOffset = bodyStart + i * (SIGNATURE_SIZE + PUBLIC_KEY_SIZE);
    const publicKeyOffset = signatureOffset + SIGNATURE_SIZE;
    const fields = [
      signatureOffset,
      SAME_INSTRUCTION,
      publicKeyOffset,
      SAME_INSTRUCTION,
      messageOffset,
      message.length,
      SAME_INSTRUCTION,
    ];
    fields.forEach((value, k) => {
      view.setUint16(2 + i * OFFSETS_SIZE + 2 * k, value, true);
    });
    data.set(signature, signatureOffset);
    data.set(publicKey, publicKeyOffset);
  });
  data.set(message, messageOffset);
  return data;
}

export function ed25519Instruction(
  attestations: Ed25519Attestation[],
  message: Uint8Array,
): Instruction {
  return {
    programAddress: ED25519_PROGRAM_ADDRESS,
    accounts: [],
    data: ed25519InstructionData(attestations, message),
  };
}
