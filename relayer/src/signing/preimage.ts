// Remote signers in the style of web3signer hash what they are sent, so
// they are sent the attestation preimage (@loanbridge/shared's
// `packetAttestationPreimage`), never the digest; the signer is handed both
// and checks they belong together before anything leaves the process.
import type { Hex } from "@loanbridge/shared";
import { keccak256 } from "ethers";
import { RemoteSignerError } from "./errors.ts";

/** Throws unless `digest` is keccak256(`preimage`). */
export function assertPreimageOf(digest: Hex, preimage: Uint8Array): void {
  if (keccak256(preimage) !== digest.toLowerCase()) {
    throw new RemoteSignerError(
      "preimage_required",
      "the preimage given does not hash to the attestation digest",
    );
  }
}
