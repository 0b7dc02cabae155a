// Pure conversions from what the chains and the store hold (bytes32, base
// units, unix seconds, PascalCase states) to what people read: an address in
// its chain's native form, an amount with its decimals, an ISO time, a lower
// case state. The API, the CLI and the explorer page all go through these.
import { encodeBase58, formatUnits, getAddress } from "ethers";
import type { Amount, ApiLoanState, ChainName } from "./views.ts";
import type { LoanState } from "../store/types.ts";

const BYTES32 = /^0x[0-9a-fA-F]{64}$/;

/**
 * A SPEC.md bytes32 account as its chain writes it: an EVM address
 * (checksummed, from the low 20 bytes) or a Solana base58 address. Returns
 * the input unchanged when it is not a bytes32 (already native).
 */
export function nativeAddress(chain: ChainName, bytes32: string): string {
  if (!BYTES32.test(bytes32)) return bytes32;
  if (chain === "evm") return getAddress(`0x${bytes32.slice(26)}`);
  return encodeBase58(bytes32);
}

/** Base units with their asset, when known; `formatted` trims trailing zeros ("1.5", "12"). */
export function amountOf(units: bigint, asset?: { decimals: number; symbol: string }): Amount {
  if (asset === undefined) {
    return { units: units.toString(), decimals: null, symbol: null, formatted: null };
  }
  const formatted = formatUnits(units, asset.decimals).replace(/\.0$/, "");
  return { units: units.toString(), decimals: asset.decimals, symbol: asset.symbol, formatted };
}

export const apiLoanState = (state: LoanState): ApiLoanState => state.toLowerCase() as ApiLoanState;

/** Unix seconds (a chain's timestamp) as ISO 8601; null for 0 (not set). */
export function isoFromUnixSeconds(seconds: bigint | number): string | null {
  const value = BigInt(seconds);
  if (value === 0n) return null;
  return new Date(Number(value) * 1000).toISOString();
}
