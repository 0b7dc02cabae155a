// How a remote signer names a key (its "identifier"), checked without asking it.
import { computeAddress } from "ethers";
import { publicKeyBytes } from "../chains/solana/signer.ts";

/** The address of an eth1 identifier (0x + x ‖ y), or undefined if it is not a curve point. */
export function evmAddressOf(identifier: string): string | undefined {
  if (!/^0x[0-9a-fA-F]{128}$/.test(identifier)) return undefined;
  try {
    return computeAddress(`0x04${identifier.slice(2)}`);
  } catch {
    return undefined;
  }
}

/** Whether `value` is a base58 32-byte public key. */
export function isSolanaAddress(value: string): boolean {
  if (!/^[1-9A-HJ-NP-Za-km-z]{32,44}$/.test(value)) return false;
  try {
    publicKeyBytes(value);
    return true;
  } catch {
    return false;
  }
}
