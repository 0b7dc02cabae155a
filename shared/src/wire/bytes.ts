import { getBytes, hexlify } from "ethers";
import { WireError } from "./errors.ts";

/** `0x`-prefixed hex, the form byte strings take in code and in vectors. */
export type Hex = `0x${string}`;

export const toHex = (bytes: Uint8Array): Hex => hexlify(bytes) as Hex;

/** Bytes from hex or bytes; throws for odd-length or non-hex strings. */
export const toBytes = (value: Hex | Uint8Array): Uint8Array => getBytes(value);

/** Reads an unsigned big-endian integer of `size` bytes at `offset`. */
export function readUint(bytes: Uint8Array, offset: number, size: number): bigint {
  let value = 0n;
  for (let i = offset; i < offset + size; i++) value = (value << 8n) | BigInt(bytes[i] ?? 0);
  return value;
}

/** Writes `value` as an unsigned big-endian integer of `size` bytes. */
export function writeUint(
  target: Uint8Array,
  offset: number,
  size: number,
  value: bigint,
  field: string,
): void {
  if (value < 0n || value >= 1n << BigInt(8 * size)) {
    throw new WireError(
      "ValueOutOfRange",
      `${field} does not fit in ${size * 8} bits`,
      `got ${value}`,
    );
  }
  let rest = value;
  for (let i = offset + size - 1; i >= offset; i--) {
    target[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
}

/** Writes a 32-byte field, rejecting any other length. */
export function writeBytes32(target: Uint8Array, offset: number, value: Hex, field: string): void {
  const bytes = toBytes(value);
  if (bytes.length !== 32) {
    throw new WireError("ValueOutOfRange", `${field} must be 32 bytes`, `got ${bytes.length}`);
  }
  target.set(bytes, offset);
}
