// Annuity (contracts/libraries/Annuity.sol) against the shared vectors
// (shared/vectors/loan-schedules.json, SPEC.md "Vectors") through
// AnnuityHarness: every schedule's period rate, payment and rows, and every
// due-time list, must match the TypeScript reference exactly. Then the
// attribution of a loan's `repaid` to its installments, against the
// reference's `installmentAmounts` and `completedInstallments`.
import { readFileSync } from "node:fs";
import { annuitySchedule, completedInstallments, installmentAmounts } from "@loanbridge/shared";
import type { Contract } from "ethers";
import fc from "fast-check";
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

describe("Annuity properties", () => {
  // Random terms up to the wire's widths (principals to 2^128 - 1, beyond what
  // Rust takes): Solidity's rows equal the reference's, and on them the
  // principal parts sum to the principal, every payment covers its row's
  // interest, and interest and what is left never grow.
  it("randomTerms_rowsEqualTheReference_andKeepTheScheduleProperties", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.bigInt(1n, 2n ** 128n - 1n),
        fc.integer({ min: 0, max: 100_000 }),
        fc.constantFrom(3_600n, 86_400n, 7n * 86_400n, 30n * 86_400n, 365n * 86_400n),
        fc.integer({ min: 1, max: 36 }),
        async (principal, rateBps, periodSeconds, installments) => {
          const reference = annuitySchedule({
            principal,
            rateBps: BigInt(rateBps),
            periodSeconds,
            installments,
          });
          // The pool refuses a payment above 128 bits; the harness takes 128-bit principals.
          fc.pre(reference.payment < 2n ** 200n);
          const terms = [principal, rateBps, periodSeconds, installments];
          const payment = await call<bigint>("payment", ...terms);
          const [interests, principals] = await call<[bigint[], bigint[]]>("rows", ...terms);
          expect(payment).toBe(reference.payment);
          expect(bigints(interests)).toEqual(reference.rows.map((row) => row.interest));
          expect(bigints(principals)).toEqual(reference.rows.map((row) => row.principal));
          expect(bigints(principals).reduce((sum, part) => sum + part, 0n)).toBe(principal);
          let left = principal;
          for (const [index, interest] of interests.entries()) {
            expect(payment).toBeGreaterThanOrEqual(interest);
            if (index > 0) expect(interest).toBeLessThanOrEqual(interests[index - 1] ?? 0n);
            const next = left - (principals[index] ?? 0n);
            expect(next).toBeLessThanOrEqual(left);
            left = next;
          }
          expect(left).toBe(0n);
        },
      ),
      { numRuns: 60 },
    );
  });
});
