// What a search box entry is, from its shape alone: the page then asks the
// API the one or two questions that kind of entry can answer.
import { decodeBase58 } from "./base58.ts";

export type SearchTarget =
  /** 0x + 64 hex: a loan id or an EVM transaction hash (the page tries the loan first). */
  | { kind: "loanOrTx"; value: string }
  /** An EVM address (0x + 40 hex). */
  | { kind: "borrower"; chain: "evm"; value: string }
  /**
   * A Solana address (base58, 32 bytes): a borrower, or the packet account
   * the relayer records as a Solana packet's source (its state has no tx id).
   */
  | { kind: "accountOrTx"; chain: "solana"; value: string }
  /** A Solana transaction signature (base58, 64 bytes). */
  | { kind: "tx"; chain: "solana"; value: string }
  | { kind: "invalid"; value: string; reason: string };

const HEX32 = /^0x[0-9a-fA-F]{64}$/;
const EVM_ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const BASE58 = /^[1-9A-HJ-NP-Za-km-z]+$/;

export function parseSearch(input: string): SearchTarget {
  const value = input.trim();
  if (value === "") return { kind: "invalid", value, reason: "type a loan id, address or tx" };
  // The API writes bytes32 values in lower case.
  if (HEX32.test(value)) return { kind: "loanOrTx", value: value.toLowerCase() };
  // EVM addresses are kept as typed: the API writes them checksummed.
  if (EVM_ADDRESS.test(value)) return { kind: "borrower", chain: "evm", value };
  if (value.startsWith("0x")) {
    return {
      kind: "invalid",
      value,
      reason: "0x… is a loan id or tx hash (64 hex digits) or an address (40)",
    };
  }
  if (BASE58.test(value)) {
    const length = decodeBase58(value)?.length;
    if (length === 32) return { kind: "accountOrTx", chain: "solana", value };
    if (length === 64) return { kind: "tx", chain: "solana", value };
    return {
      kind: "invalid",
      value,
      reason: `base58 of ${String(length)} bytes: a Solana address has 32, a signature 64`,
    };
  }
  return { kind: "invalid", value, reason: "not a loan id, an address or a transaction id" };
}
