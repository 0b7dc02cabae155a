import { randomBytes } from "node:crypto";
import { encodeBase58, getAddress, hexlify } from "ethers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ChainDirectory } from "./chains.ts";
import {
  amountOf,
  apiLoanState,
  bytes32FromNative,
  isoFromUnixSeconds,
  nativeAddress,
} from "./format.ts";

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => hexlify(bytes));

describe("addresses", () => {
  it("bytes32FromNative_ofNativeAddress_isTheBytes32_forBothChains", () => {
    fc.assert(
      fc.property(bytes32, (value) => {
        expect(bytes32FromNative(nativeAddress("solana", value))).toBe(value);
        const evm = `0x${"00".repeat(12)}${value.slice(26)}`;
        expect(bytes32FromNative(nativeAddress("evm", evm))).toBe(evm);
      }),
    );
  });

  it("bytes32FromNative_acceptsAnyHexCase_refusesWhatIsNoAddress", () => {
    const address = getAddress(`0x${randomBytes(20).toString("hex")}`);
    const padded = `0x${"00".repeat(12)}${address.slice(2).toLowerCase()}`;

    expect(bytes32FromNative(address)).toBe(padded);
    expect(bytes32FromNative(address.toLowerCase())).toBe(padded);
    expect(bytes32FromNative(`0x${address.slice(2).toUpperCase()}`)).toBe(padded);
    expect(bytes32FromNative(padded.toUpperCase().replace("0X", "0x"))).toBe(padded);
    expect(bytes32FromNative("11111111111111111111111111111111")).toBe(`0x${"00".repeat(32)}`);
    for (const bad of ["", "0x12", "hello", "0OIl", `0x${"g".repeat(40)}`, "1".repeat(45)]) {
      expect(bytes32FromNative(bad), bad).toBeUndefined();
    }
    // 33 bytes, or 31: not an address.
    expect(bytes32FromNative(encodeBase58(`0x01${"00".repeat(32)}`))).toBeUndefined();
    expect(bytes32FromNative("1".repeat(33))).toBeUndefined();
    expect(bytes32FromNative(encodeBase58(`0x${"ff".repeat(31)}`))).toBeUndefined();
  });
});

describe("amounts, states, times", () => {
  it("amountOf_formatsWithDecimals_unknownAssetIsNull", () => {
    expect(amountOf(1_500_000n, { decimals: 6, symbol: "USDC" })).toEqual({
      units: "1500000",
      decimals: 6,
      symbol: "USDC",
      formatted: "1.5",
    });
    expect(amountOf(12n * 10n ** 18n, { decimals: 18, symbol: "ETH" }).formatted).toBe("12");
    expect(amountOf(1n, { decimals: 9, symbol: "SOL" }).formatted).toBe("0.000000001");
    expect(amountOf(7n)).toEqual({ units: "7", decimals: null, symbol: null, formatted: null });
  });

  it("apiLoanState_isLowerCase_isoFromUnixSeconds_zeroIsNull", () => {
    expect(apiLoanState("Liquidated")).toBe("liquidated");
    expect(isoFromUnixSeconds(1_800_000_000n)).toBe("2027-01-15T08:00:00.000Z");
    expect(isoFromUnixSeconds(0)).toBeNull();
  });
});

describe("ChainDirectory", () => {
  const usdc = "0x00000000000000000000000000000000000000Cc";
  const chains = ChainDirectory.fromConfig({
    evm: {
      eid: 1,
      assets: [{ asset: usdc, symbol: "USDC", decimals: 6, principal: true }],
      explorer: { tx: "https://x.example/tx/{tx}" },
    },
    solana: { eid: 2 },
  });

  it("knowsConfiguredChainsAndAssets_nativeCoinsBuiltIn_elseNull", () => {
    expect(chains.ref(1)).toEqual({ name: "evm", eid: 1 });
    expect(chains.ref(3)).toEqual({ name: null, eid: 3 });
    expect(chains.asset(1, `0x${"00".repeat(32)}`)).toEqual({ symbol: "ETH", decimals: 18 });
    expect(chains.asset(2, `0x${"00".repeat(32)}`)).toEqual({ symbol: "SOL", decimals: 9 });
    expect(chains.asset(1, bytes32FromNative(usdc) ?? "")).toEqual({ symbol: "USDC", decimals: 6 });
    expect(chains.asset(2, bytes32FromNative(usdc) ?? "")).toBeUndefined();
    expect(chains.principal(1)).toEqual({ symbol: "USDC", decimals: 6 });
    expect(chains.principal(2)).toBeUndefined();
  });

  it("addressesInNativeForm_explorerLinksWhenConfigured", () => {
    const account = `0x${"00".repeat(12)}${"ab".repeat(20)}`;

    expect(chains.address(1, account)).toBe(getAddress(`0x${"ab".repeat(20)}`));
    expect(chains.address(2, account)).toBe(encodeBase58(account));
    expect(chains.address(3, account)).toBe(account);
    expect(chains.txUrl(1, "0xabc")).toBe("https://x.example/tx/0xabc");
    expect(chains.txUrl(1, null)).toBeNull();
    expect(chains.txUrl(2, "sig")).toBeNull();
  });
});
