// Pure conversions from what the chains and the store hold (bytes32, base
// units, unix seconds, PascalCase states) to what people read: an address in
// its chain's native form, an amount with its decimals, an ISO time, a lower
// case state. The API, the CLI and the explorer page all go through these.
import { decodeBase58, encodeBase58, formatUnits, getAddress, toBeHex } from "ethers";
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

/**
 * An account as a person types it (an EVM address in any case, a Solana
 * base58 address, or already a bytes32) as SPEC.md's bytes32, lower case;
 * undefined when it is none of those.
 */
export function bytes32FromNative(address: string): `0x${string}` | undefined {
  if (/^0x[0-9a-fA-F]{64}$/.test(address)) return address.toLowerCase() as `0x${string}`;
  if (/^0x[0-9a-fA-F]{40}$/.test(address)) {
    return `0x${"0".repeat(24)}${address.slice(2).toLowerCase()}`;
  }
  if (!/^[1-9A-HJ-NP-Za-km-z]{32,44}$/.test(address)) return undefined;
  // Base58 writes each leading zero byte as a "1": together with the
  // value's own bytes they must make exactly 32.
  const value = decodeBase58(address);
  const zeros = /^1*/.exec(address)?.[0].length ?? 0;
  const valueBytes = value === 0n ? 0 : Math.ceil(value.toString(16).length / 2);
  return zeros + valueBytes === 32 ? (toBeHex(value, 32) as `0x${string}`) : undefined;
}

/** Base units with their asset, when known; `formatted` trims trailing zeros ("1.5", "12"). */
export function amountOf(units: bigint, asset?: { decimals: number; symbol: string }): Amount {
  if (asset === undefined) {
    return { units: units.toString(), decimals: null, symbol: null, formatted: null };
  }
  const formatted = formatUnits(units, asset.decimals).replace(/\.0$/, "");
  return { units: units.toString(), decimals: asset.decimals, symbol: asset.symbol, formatted };
}

/** An amount as the operator CLI prints it: whole units and symbol, or base units without decimals. */
export const amountText = (amount: Amount): string =>
  amount.formatted === null
    ? `${amount.units} base units`
    : `${amount.formatted} ${amount.symbol ?? ""}`.trimEnd();

export const apiLoanState = (state: LoanState): ApiLoanState => state.toLowerCase() as ApiLoanState;

/** Unix seconds (a chain's timestamp) as ISO 8601; null for 0 (not set). */
export function isoFromUnixSeconds(seconds: bigint | number): string | null {
  const value = BigInt(seconds);
  if (value === 0n) return null;
  return new Date(Number(value) * 1000).toISOString();
}
