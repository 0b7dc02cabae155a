import { encodeBase58 } from "ethers";
import { describe, expect, it } from "vitest";
import { parseSearch } from "./search.ts";

const HEX64 = `0x${"Ab".repeat(32)}`;
const SOLANA_ADDRESS = encodeBase58(new Uint8Array(32).fill(7));
const SOLANA_SIGNATURE = encodeBase58(new Uint8Array(64).fill(9));

describe("parseSearch", () => {
  it("parseSearch_hex32_isLoanOrTxInLowerCase", () => {
    expect(parseSearch(`  ${HEX64} `)).toEqual({ kind: "loanOrTx", value: HEX64.toLowerCase() });
  });

  it("parseSearch_evmAddress_isBorrowerAsTyped", () => {
    const address = "0x52908400098527886E0F7030069857D2E4169EE7";
    expect(parseSearch(address)).toEqual({ kind: "borrower", chain: "evm", value: address });
  });

  it("parseSearch_base58Of32Bytes_isSolanaAccountOrTx", () => {
    expect(parseSearch(SOLANA_ADDRESS)).toEqual({
      kind: "accountOrTx",
      chain: "solana",
      value: SOLANA_ADDRESS,
    });
  });

  it("parseSearch_base58Of64Bytes_isSolanaTx", () => {
    expect(parseSearch(SOLANA_SIGNATURE)).toEqual({
      kind: "tx",
      chain: "solana",
      value: SOLANA_SIGNATURE,
    });
  });

  it("parseSearch_badInput_isInvalidWithAReason", () => {
    expect(parseSearch("   ")).toMatchObject({
      kind: "invalid",
      reason: "type a loan id, address or tx",
    });
    expect(parseSearch("0x1234")).toMatchObject({
      kind: "invalid",
      reason: "0x… is a loan id or tx hash (64 hex digits) or an address (40)",
    });
    expect(parseSearch(`0x${"g".repeat(64)}`)).toMatchObject({ kind: "invalid" });
    expect(parseSearch("abc")).toMatchObject({
      kind: "invalid",
      reason: "base58 of 3 bytes: a Solana address has 32, a signature 64",
    });
    expect(parseSearch("<script>alert(1)</script>")).toMatchObject({
      kind: "invalid",
      reason: "not a loan id, an address or a transaction id",
    });
  });
});
