// LoanMath (contracts/libraries/LoanMath.sol) against the shared vectors
// (shared/vectors/loan-math.json, SPEC.md "Vectors") through LoanMathHarness:
// every case must match the TypeScript reference exactly. Then the inputs the
// reference does not take (prices above 2^128 - 1, 256-bit debts), against the
// same formulas in bigint.
import { readFileSync } from "node:fs";
import { BPS, PRICE_SCALE, SECONDS_PER_YEAR } from "@loanbridge/shared";
import { AbiCoder, type Contract, concat } from "ethers";
import { beforeAll, describe, expect, it } from "vitest";
import { revertData } from "./support/revertData.ts";
import { buildContracts, hre } from "./hre.ts";

interface InterestVector {
  name: string;
  principal: string;
  rateBps: string;
  elapsedSeconds: string;
  interest: string;
}

interface ValueVector {
  name: string;
  amount: string;
  price: string;
  value: string;
}

interface LtvVector {
  name: string;
  debt: string;
  value: string;
  ltvBps: string;
  exceeds: boolean;
}

const vectors = JSON.parse(
  readFileSync(new URL("../../shared/vectors/loan-math.json", import.meta.url), "utf8"),
) as { accruedInterest: InterestVector[]; collateralValue: ValueVector[]; exceedsLtv: LtvVector[] };

const U128_MAX = 2n ** 128n - 1n;
const U256_MAX = 2n ** 256n - 1n;
/** Solidity's `Panic(0x11)`: arithmetic overflow. */
const PANIC_OVERFLOW = concat([
  "0x4e487b71",
  AbiCoder.defaultAbiCoder().encode(["uint256"], [0x11]),
]);

const { ethers } = await hre.network.create();
let harness: Contract;

beforeAll(async () => {
  await buildContracts();
  harness = await ethers.deployContract("LoanMathHarness");
});

async function call<T>(fn: string, ...args: unknown[]): Promise<T> {
  return (await harness.getFunction(fn).staticCall(...args)) as T;
}

describe("LoanMath vectors", () => {
  it("vectors_everyListIsNonEmpty", () => {
    expect(vectors.accruedInterest.length).toBeGreaterThan(0);
    expect(vectors.collateralValue.length).toBeGreaterThan(0);
    expect(vectors.exceedsLtv.length).toBeGreaterThan(0);
  });

  it("constants_matchTheReference", async () => {
    expect(await call<bigint>("bps")).toBe(BPS);
    expect(await call<bigint>("secondsPerYear")).toBe(SECONDS_PER_YEAR);
    expect(await call<bigint>("priceScale")).toBe(PRICE_SCALE);
  });

  it.each(vectors.accruedInterest)("accruedInterest [$name]", async (v) => {
    expect(await call<bigint>("accruedInterest", v.principal, v.rateBps, v.elapsedSeconds)).toBe(
      BigInt(v.interest),
    );
  });

  it.each(vectors.collateralValue)("collateralValue [$name]", async (v) => {
    expect(await call<bigint>("collateralValue", v.amount, v.price)).toBe(BigInt(v.value));
  });

  it.each(vectors.exceedsLtv)("exceedsLtv [$name]", async (v) => {
    expect(await call<boolean>("exceedsLtv", v.debt, v.value, v.ltvBps)).toBe(v.exceeds);
  });
});

describe("LoanMath beyond the reference's widths", () => {
  const valueOf = (amount: bigint, price: bigint) => (amount * price) / PRICE_SCALE;

  it.each([
    ["justAbove128Bits", 2n ** 128n],
    ["2^150", 2n ** 150n],
    ["2^187", 2n ** 187n],
  ])("collateralValue_priceAbove128Bits_isExact [%s]", async (_, price) => {
    expect(price).toBeGreaterThan(U128_MAX);
    expect(await call<bigint>("collateralValue", U128_MAX, price)).toBe(valueOf(U128_MAX, price));
  });

  it("collateralValue_resultAbove256Bits_revertsWithOverflowPanic", async () => {
    // The smallest price whose value at the largest amount no longer fits in 256 bits.
    const price = (2n ** 256n * PRICE_SCALE + U128_MAX - 1n) / U128_MAX;
    expect(valueOf(U128_MAX, price - 1n)).toBeLessThanOrEqual(U256_MAX);
    expect(valueOf(U128_MAX, price)).toBeGreaterThan(U256_MAX);

    expect(await call<bigint>("collateralValue", U128_MAX, price - 1n)).toBe(
      valueOf(U128_MAX, price - 1n),
    );
    expect(await revertData(call("collateralValue", U128_MAX, price))).toBe(PANIC_OVERFLOW);
  });

  it.each([
    // Both products above 2^256: decided by the high words.
    {
      name: "maxDebtMaxValueFullLtv",
      debt: U256_MAX,
      value: U256_MAX,
      ltvBps: BPS,
      exceeds: false,
    },
    {
      name: "maxDebtMaxValueOneBpsShort",
      debt: U256_MAX,
      value: U256_MAX,
      ltvBps: BPS - 1n,
      exceeds: true,
    },
    // Equal high words: decided by the low words.
    { name: "equalProducts", debt: 2n ** 250n, value: 2n ** 251n, ltvBps: 5_000n, exceeds: false },
    {
      name: "debtOneAboveEqualProducts",
      debt: 2n ** 250n + 1n,
      value: 2n ** 251n,
      ltvBps: 5_000n,
      exceeds: true,
    },
    // Only one product above 2^256.
    { name: "onlyDebtProductWide", debt: 2n ** 245n, value: 1n, ltvBps: U256_MAX, exceeds: true },
    { name: "onlyLimitProductWide", debt: 2n ** 200n, value: U256_MAX, ltvBps: 2n, exceeds: false },
    // ltvBps above the reference's 32 bits, either side of debt * 10,000 ≈ 2^213.3.
    { name: "ltv2^34", debt: 2n ** 200n, value: 2n ** 180n, ltvBps: 2n ** 34n, exceeds: false },
    { name: "ltv2^33", debt: 2n ** 200n, value: 2n ** 180n, ltvBps: 2n ** 33n, exceeds: true },
  ])("exceedsLtv_256BitInputs_isExact [$name]", async ({ debt, value, ltvBps, exceeds }) => {
    expect(debt * BPS > value * ltvBps).toBe(exceeds);
    expect(await call<boolean>("exceedsLtv", debt, value, ltvBps)).toBe(exceeds);
  });
});
