import { addressToBytes32 } from "@layerzerolabs/lz-v2-utilities";
import { getAddress } from "ethers";
import { type Hex, toBytes, toHex } from "./bytes.ts";
import { WireError } from "./errors.ts";

/**
 * The `bytes32` form of an address on the wire: an EVM address (hex)
 * left-padded with 12 zero bytes, or a Solana address (base58) as is.
 */
export function addressToWire(address: string): Hex {
  return toHex(addressToBytes32(address));
}

/** Reads a `bytes32` as an EVM address (checksummed); the upper 12 bytes must be zero. */
export function wireToEvmAddress(value: Hex): string {
  const bytes = toBytes(value);
  if (bytes.length !== 32 || bytes.subarray(0, 12).some((byte) => byte !== 0)) {
    throw new WireError("NotAnEvmAddress", "bytes32 is not a left-padded EVM address", value);
  }
  return getAddress(toHex(bytes.subarray(12)));
}
