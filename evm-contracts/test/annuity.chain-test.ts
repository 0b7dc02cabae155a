// Annuity (contracts/libraries/Annuity.sol) against the shared vectors
// (shared/vectors/loan-schedules.json, SPEC.md "Vectors") through
// AnnuityHarness: every schedule's period rate, payment and rows, and every
// due-time list, must match the TypeScript reference exactly. Then the
// attribution of a loan's `repaid` to its installments, against the
// reference's `installmentAmounts` and `completedInstallments`.
import { readFileSync } from "node:fs";
import { annuitySchedule, completedInstallments, installmentAmounts } from "@loanbridge/shared";
import type { Contract } from "ethers";
import { beforeAll, describe, expect, it } from "vitest";
import { buildContracts, hre } from "./hre.ts";

interface ScheduleVector {
  name: string;
  principal: string;
  rateBps: string;
  periodSeconds: string;
  installments: string;
  periodRate: string;
  payment: string;
  rows?: { interest: string; principal: string }[];
}

interface DueTimesVector {
  name: string;
  startTime: string;
  periodSeconds: string;
  installments: string;
  dueBucketSeconds: string;
  dueTimes: string[];
}

const vectors = JSON.parse(
  readFileSync(new URL("../../shared/vectors/loan-schedules.json", import.meta.url), "utf8"),
) as { schedules: ScheduleVector[]; dueTimes: DueTimesVector[] };

const { ethers } = await hre.network.create();
let harness: Contract;

beforeAll(async () => {
  await buildContracts();
  harness = await ethers.deployContract("AnnuityHarness");
});

async function call<T>(fn: string, ...args: unknown[]): Promise<T> {
  return (await harness.getFunction(fn).staticCall(...args)) as T;
}

const bigints = (values: Iterable<bigint>) => [...values];

describe("Annuity vectors", () => {
  it("vectors_everyListIsNonEmpty", () => {
    expect(vectors.schedules.length).toBeGreaterThan(0);
    expect(vectors.dueTimes.length).toBeGreaterThan(0);
  });

  it.each(vectors.schedules)("schedule [$name]", async (v) => {
    const terms = [v.principal, v.rateBps, v.periodSeconds, v.installments];
    expect(await call<bigint>("periodRate", v.rateBps, v.periodSeconds)).toBe(BigInt(v.periodRate));
    expect(await call<bigint>("payment", ...terms)).toBe(BigInt(v.payment));
    if (v.rows === undefined) return;
    const [interests, principals] = await call<[bigint[], bigint[]]>("rows", ...terms);
    expect(bigints(interests)).toEqual(v.rows.map((row) => BigInt(row.interest)));
    expect(bigints(principals)).toEqual(v.rows.map((row) => BigInt(row.principal)));
  });

  it.each(vectors.dueTimes)("dueTimes [$name]", async (v) => {
    const times = await call<bigint[]>(
      "dueTimes",
      v.startTime,
      v.periodSeconds,
      v.installments,
      v.dueBucketSeconds,
    );
    expect(bigints(times)).toEqual(v.dueTimes.map(BigInt));
  });
});

describe("Annuity attribution of repaid", () => {
  // A 12-installment loan and a bullet, paid nothing, part of one, exactly some, more, all.
  const { payment } = annuitySchedule({
    principal: 1_000_000_000n,
    rateBps: 800n,
    periodSeconds: 2_592_000n,
    installments: 12,
  });
  const cases = [
    { installments: 12, amount: payment, repaid: 0n },
    { installments: 12, amount: payment, repaid: payment - 1n },
    { installments: 12, amount: payment, repaid: payment },
    { installments: 12, amount: payment, repaid: 3n * payment + 7n },
    { installments: 12, amount: payment, repaid: 11n * payment },
    { installments: 12, amount: payment, repaid: 12n * payment - 5n },
    { installments: 12, amount: payment, repaid: 20n * payment },
    { installments: 1, amount: payment, repaid: 123n },
    { installments: 360, amount: 1n, repaid: 359n },
  ];

  it.each(cases)(
    "amountsAndPaidCount_matchTheReference [$installments, repaid $repaid]",
    async ({ installments, amount, repaid }) => {
      const amounts = await call<bigint[]>("amounts", repaid, amount, installments);
      expect(bigints(amounts)).toEqual(installmentAmounts(repaid, amount, installments));
      expect(bigints(amounts).reduce((sum, value) => sum + value, 0n)).toBe(repaid);
      expect(Number(await call<bigint>("paidInstallments", repaid, amount, installments))).toBe(
        completedInstallments(repaid, amount, installments, false),
      );
    },
  );
});
