import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { accruedInterest, collateralValue, exceedsLtv } from "./math.ts";

const u = (bits: number) => fc.bigInt({ min: 0n, max: (1n << BigInt(bits)) - 1n });

describe("loan arithmetic", () => {
  it("interest_isAdditiveOverTime_upToRounding", () => {
    // Accruing in two steps never yields more than accruing at once, and
    // loses less than one unit per step to rounding.
    fc.assert(
      fc.property(u(128), u(32), u(40), u(40), (principal, rate, first, second) => {
        const once = accruedInterest(principal, rate, first + second);
        const twice =
          accruedInterest(principal, rate, first) + accruedInterest(principal, rate, second);
        expect(twice <= once && once - twice <= 1n).toBe(true);
      }),
    );
  });

  it("interest_oneYearAtTenPercent_isTenPercent", () => {
    expect(accruedInterest(1_000_000n, 1_000n, 31_536_000n)).toBe(100_000n);
  });

  it("value_ofEthAt3000Usd", () => {
    expect(collateralValue(10n ** 18n, 3_000n * 10n ** 6n)).toBe(3_000n * 10n ** 6n);
  });

  it("ltv_boundaryIsNotAbove", () => {
    expect(exceedsLtv(50n, 100n, 5_000n)).toBe(false);
    expect(exceedsLtv(51n, 100n, 5_000n)).toBe(true);
  });

  it.each([
    ["principal", () => accruedInterest(1n << 128n, 1n, 1n)],
    ["rateBps", () => accruedInterest(1n, 1n << 32n, 1n)],
    ["elapsedSeconds", () => accruedInterest(1n, 1n, -1n)],
    ["price", () => collateralValue(1n, 1n << 128n)],
  ])("inputsOutsideTheirWidth_areRejected_%s", (name, run) => {
    expect(run).toThrow(new RegExp(`^${name} `));
  });
});
