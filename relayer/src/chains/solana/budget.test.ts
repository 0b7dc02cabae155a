// The compute budget a Solana delivery asks for: limit from simulation plus
// margin, priority fee from recent fees within the floor and cap.
import { describe, expect, it } from "vitest";
import { computeUnitLimit, MAX_COMPUTE_UNIT_LIMIT, priorityFee, UnitsByKind } from "./budget.ts";

describe("computeUnitLimit", () => {
  it("isTheSimulatedUnits_plusTheShare_roundedUp_plusTheUnits", () => {
    expect(computeUnitLimit(20_832n, { bps: 1_000, units: 1_000 })).toBe(20_832 + 2_084 + 1_000);
    expect(computeUnitLimit(10n, { bps: 1, units: 0 })).toBe(11);
    expect(computeUnitLimit(20_000n, { bps: 0, units: 0 })).toBe(20_000);
  });

  it("neverAsksMoreThanATransactionMayHave", () => {
    expect(computeUnitLimit(1_300_000n, { bps: 1_000, units: 1_000 })).toBe(MAX_COMPUTE_UNIT_LIMIT);
    expect(computeUnitLimit(5_000_000n, { bps: 0, units: 0 })).toBe(MAX_COMPUTE_UNIT_LIMIT);
  });
});

describe("priorityFee", () => {
  const policy = { percentile: 75, floor: 1_000n, cap: 50_000n };
  const fees = (...values: number[]) => values.map(BigInt);

  it("isThePercentileByNearestRank_inAnyOrder", () => {
    // 75th of 8 fees: the 6th smallest.
    expect(priorityFee(fees(8_000, 1_000, 7_000, 2_000, 6_000, 3_000, 5_000, 4_000), policy)).toBe(
      6_000n,
    );
    expect(priorityFee(fees(2_000, 9_000), { ...policy, percentile: 50 })).toBe(2_000n);
    expect(priorityFee(fees(2_000, 9_000), { ...policy, percentile: 100 })).toBe(9_000n);
    expect(priorityFee(fees(2_000, 9_000), { ...policy, percentile: 1 })).toBe(2_000n);
  });

  it("noFeesOrZeros_isTheFloor", () => {
    expect(priorityFee([], policy)).toBe(1_000n);
    expect(priorityFee(fees(0, 0, 0, 0), policy)).toBe(1_000n);
  });

  it("aSpike_isCappedAtTheCap", () => {
    expect(priorityFee(fees(90_000_000, 80_000_000), policy)).toBe(50_000n);
  });

  it("floorAboveTheMarket_andZeroFloor_areHonoured", () => {
    expect(priorityFee(fees(500), { ...policy, floor: 0n })).toBe(500n);
    expect(priorityFee(fees(500), { ...policy, floor: 40_000n })).toBe(40_000n);
  });
});

describe("UnitsByKind", () => {
  it("isTheMostAKindSimulatedAt_perKind", () => {
    const units = new UnitsByKind(60_000, () => 0);
    expect(units.get("vault:LOAN_ACTIVE:2")).toBeUndefined();
    units.simulated("vault:LOAN_ACTIVE:2", 5_000n);
    units.simulated("vault:LOAN_ACTIVE:2", 7_000n);
    units.simulated("vault:LOAN_ACTIVE:2", 6_000n);
    units.simulated("pool:OPEN_LOAN:2", 20_000n);
    expect(units.get("vault:LOAN_ACTIVE:2")).toEqual({ units: 7_000n, refresh: false });
    expect(units.get("pool:OPEN_LOAN:2")).toEqual({ units: 20_000n, refresh: false });
    expect(units.get("vault:LOAN_ACTIVE:3")).toBeUndefined();
  });

  it("aFigureOlderThanItsAge_isDueARefresh_whichStartsItAfresh", () => {
    let now = 0;
    const units = new UnitsByKind(60_000, () => now);
    // One simulation far above the rest (a one-off, or an endpoint's lie)...
    units.simulated("kind", 1_000_000n);
    now = 30_000;
    // ...raising the figure does not extend its age.
    units.simulated("kind", 1_200_000n);
    now = 59_999;
    expect(units.get("kind")).toEqual({ units: 1_200_000n, refresh: false });

    now = 60_000;
    expect(units.get("kind")).toEqual({ units: 1_200_000n, refresh: true });
    units.simulated("kind", 5_000n);
    expect(units.get("kind")).toEqual({ units: 5_000n, refresh: false });
    now = 119_999;
    expect(units.get("kind")).toEqual({ units: 5_000n, refresh: false });
  });

  it("aFigureWhoseRefreshesFailedForTwiceItsAge_isNotGivenOut", () => {
    let now = 0;
    const units = new UnitsByKind(60_000, () => now);
    units.simulated("kind", 1_000_000n);
    now = 119_999;
    expect(units.get("kind")).toEqual({ units: 1_000_000n, refresh: true });
    now = 120_000;
    expect(units.get("kind")).toBeUndefined();
    units.simulated("kind", 5_000n);
    expect(units.get("kind")).toEqual({ units: 5_000n, refresh: false });
  });
});
