// LendingPool installment loans (shared/LOANS.md "Installments (equal
// payments: an annuity)"), against a SendRecorder standing in for the
// endpoint: the owner's installment terms, the OPEN_LOAN installment row, the
// schedule a loan opens with, installments completed by repayments (Payment
// events), defaults after a missed installment, and the due buckets a loan is
// booked in. Expected numbers come from the TypeScript reference
// (@loanbridge/shared annuitySchedule, installmentDueTimes, installmentAmounts).
import {
  addressToWire,
  annuityPayment,
  type Hex,
  installmentAmounts,
  installmentDueTimes,
  type LoanMessageOf,
  type RejectReasonName,
} from "@loanbridge/shared";
import { type Contract, id, type TransactionReceipt } from "ethers";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  as,
  call,
  chain,
  encode,
  eventsOf,
  expectRevert,
  interestFor,
  LENDING_EID,
  onlyEvent,
  onlySent,
  send,
  type Signer,
  VAULT_EID,
  ZERO_BYTES32,
} from "./apps.ts";
import { buildContracts, hre } from "./hre.ts";

const { ethers } = await hre.network.create();
const time = chain(ethers);

const VAULT_APP: Hex = addressToWire("0x000000000000000000000000000000000000a001");
const ETH_PRICE_ID = id("ETH/USD");
const W = 86_400n;
const DAY = 86_400n;
const WEEK = 7n * DAY;
const RATE_BPS = 1_000n;
const MAX_RATE_BPS = 100_000n;
const MIN_TERM = 3_600n;
const MAX_TERM = 62n * W;
const GRACE = 3n * DAY;
const PERIODS = [DAY, WEEK, 30n * DAY, 0n] as const;
const MAX_INSTALLMENTS = 12;
const USD = 1_000_000n;
const DEPOSIT = 1_000_000n * USD;
const PRINCIPAL = 3_000n * USD;
const COLLATERAL = 10n ** 18n * 10n; // $30,000 of ETH
const U128_MAX = 2n ** 128n - 1n;

let owner: Signer;
let lender: Signer;
let payer: Signer;
let keeper: Signer;
let stable: Contract;
let recorder: Contract;
let feed: Contract;
let pool: Contract;
let baseSnapshot: string;
let loanCounter = 0;

interface Sums {
  principal: bigint;
  interest: bigint;
  rateWeight: bigint;
  anchor: bigint;
}
const ZERO_SUMS: Sums = { principal: 0n, interest: 0n, rateWeight: 0n, anchor: 0n };
const performing = async (): Promise<Sums> =>
  (await call<{ toObject(): Sums }>(pool, "performing")).toObject();
const bucketOf = async (dueTime: bigint): Promise<Sums> =>
  (await call<{ toObject(): Sums }>(pool, "dueBucket", dueTime / W)).toObject();

interface Schedule {
  installments: bigint;
  paidInstallments: bigint;
  periodSeconds: bigint;
  startTime: bigint;
  installmentAmount: bigint;
  nextDueTime: bigint;
}
const scheduleOf = async (loanId: string): Promise<Schedule> =>
  (await call<{ toObject(): Schedule }>(pool, "loanSchedule", loanId)).toObject();

interface PoolLoan {
  status: bigint;
  principal: bigint;
  interest: bigint;
  repaid: bigint;
  offBook: boolean;
  paidInstallments: bigint;
}
const loanOf = async (loanId: string): Promise<PoolLoan> =>
  (await call<{ toObject(): PoolLoan }>(pool, "getLoan", loanId)).toObject();

type OpenLoan = LoanMessageOf<"OPEN_LOAN">;

function openLoan(overrides: Partial<OpenLoan> = {}): OpenLoan {
  loanCounter += 1;
  return {
    type: "OPEN_LOAN",
    loanId: id(`installments-${loanCounter}`) as Hex,
    borrower: addressToWire("0x00000000000000000000000000000000000000b0"),
    recipient: addressToWire(payer.address),
    collateralAsset: ZERO_BYTES32,
    collateralAmount: COLLATERAL,
    principal: PRINCIPAL,
    maxRateBps: Number(MAX_RATE_BPS),
    termSeconds: 3n * WEEK,
    expiresAt: 2n ** 63n,
    installments: 3,
    ...overrides,
  };
}

function deliver(message: OpenLoan): Promise<TransactionReceipt> {
  return send(
    recorder,
    "deliver",
    pool.target,
    VAULT_EID,
    VAULT_APP,
    id(message.loanId),
    encode(message),
  );
}

/** The next block's time: 01:00 on the day after the latest block, so due times are whole days. */
async function nextDayAtOneAm(): Promise<bigint> {
  return ((await time.now()) / DAY + 1n) * DAY + 3_600n;
}

/**
 * Opens an accepted loan (3 weekly installments unless overridden) at 01:00 the next day; returns
 * its id, start, due times and schedule payment as the reference computes them.
 */
async function openAccepted(overrides: Partial<OpenLoan> = {}) {
  const message = openLoan(overrides);
  const startTime = await nextDayAtOneAm();
  await time.setNextTimestamp(startTime);
  const receipt = await deliver(message);
  const answer = onlySent(recorder, receipt).message;
  if (answer.type !== "LOAN_ACTIVE") throw new Error(`loan not accepted: ${answer.type}`);
  const period = message.termSeconds / BigInt(message.installments);
  const dueTimes = installmentDueTimes(startTime, period, message.installments, W);
  const installmentAmount = annuityPayment({
    principal: message.principal,
    rateBps: RATE_BPS,
    periodSeconds: period,
    installments: message.installments,
  });
  return {
    loanId: message.loanId,
    message,
    receipt,
    answer,
    startTime,
    dueTimes,
    installmentAmount,
  };
}

/** Repays at `at` (the next block's time), as the payer. */
async function repayAt(loanId: string, amount: bigint, at: bigint) {
  await time.setNextTimestamp(at);
  return send(as(pool, payer), "repay", loanId, amount);
}

/** The Payment events of a repayment, as [index, amount, remainingPrincipal]. */
function paymentsOf(receipt: TransactionReceipt): [bigint, bigint, bigint][] {
  return eventsOf(pool, receipt, "Payment").map(
    ([, index, amount, remaining]) => [index, amount, remaining] as [bigint, bigint, bigint],
  );
}

/** What each installment is attributed once `repaid` is paid, for indexes from..to (1-based). */
function attributed(
  repaid: bigint,
  amount: bigint,
  installments: number,
  from: number,
  to: number,
) {
  return installmentAmounts(repaid, amount, installments).slice(from - 1, to);
}

const poolRevert = (pending: Promise<unknown>) =>
  expectRevert(pending, pool.interface, stable.interface);

async function expectRejected(message: OpenLoan, reason: RejectReasonName) {
  const receipt = await deliver(message);
  expect(onlySent(recorder, receipt).message).toEqual({
    type: "LOAN_REJECTED",
    loanId: message.loanId,
    reason,
  });
}

beforeAll(async () => {
  await buildContracts();
  const [o, l, p, k] = await ethers.getSigners();
  if (!o || !l || !p || !k) throw new Error("need four signers");
  [owner, lender, payer, keeper] = [o, l, p, k];
  stable = await ethers.deployContract("DevStablecoin", [owner.address]);
  recorder = await ethers.deployContract("SendRecorder", [LENDING_EID]);
  feed = await ethers.deployContract("AdminPriceFeed", [owner.address]);
  pool = await ethers.deployContract("LendingPool", [
    stable.target,
    recorder.target,
    owner.address,
    W,
    "installment pool",
    "IP",
  ]);
  await send(pool, "setLoanTerms", RATE_BPS, MIN_TERM, MAX_TERM, GRACE);
  await send(pool, "setInstallmentTerms", MAX_INSTALLMENTS, PERIODS);
  await send(pool, "setCollateral", VAULT_EID, ZERO_BYTES32, [5_000, 8_000, ETH_PRICE_ID]);
  await send(pool, "setBeneficiary", VAULT_EID, addressToWire(keeper.address));
  // Prices never go stale here: the tests move the clock by weeks.
  await send(pool, "setPriceFeed", feed.target, 10n ** 9n);
  await send(feed, "setPrice", ETH_PRICE_ID, 3_000n * USD);
  for (const signer of [lender, payer]) {
    await send(stable, "mint", signer.address, 10n ** 15n);
    await send(as(stable, signer), "approve", pool.target, 2n ** 256n - 1n);
  }
  await send(as(pool, lender), "deposit", DEPOSIT, lender.address);
  baseSnapshot = await time.snapshot();
});

beforeEach(async () => {
  await time.revert(baseSnapshot);
  baseSnapshot = await time.snapshot();
});

describe("LendingPool.setInstallmentTerms", () => {
  it("newPool_allowsBulletLoansOnly", async () => {
    const fresh = await ethers.deployContract("LendingPool", [
      stable.target,
      recorder.target,
      owner.address,
      W,
      "fresh",
      "F",
    ]);
    const deployed = await fresh.deploymentTransaction()?.wait();
    if (!deployed) throw new Error("no deployment receipt");
    expect(await call(fresh, "maxInstallments")).toBe(1n);
    expect([...(await call<bigint[]>(fresh, "installmentPeriods"))]).toEqual([0n, 0n, 0n, 0n]);
    const [max, periods] = onlyEvent(fresh, deployed, "InstallmentTermsSet") as [bigint, bigint[]];
    expect([max, [...periods]]).toEqual([1n, [0n, 0n, 0n, 0n]]);
  });

  it("setInstallmentTerms_setsTheTermsAndEmits", async () => {
    const periods = [3_600n, 0n, MAX_TERM, DAY];
    const receipt = await send(pool, "setInstallmentTerms", 360, periods);
    expect(await call(pool, "maxInstallments")).toBe(360n);
    expect([...(await call<bigint[]>(pool, "installmentPeriods"))]).toEqual(periods);
    const [max, emitted] = onlyEvent(pool, receipt, "InstallmentTermsSet") as [bigint, bigint[]];
    expect([max, [...emitted]]).toEqual([360n, periods]);
  });

  it("setInstallmentTerms_notOwner_reverts", async () => {
    const reverted = await poolRevert(
      as(pool, lender).getFunction("setInstallmentTerms").send(2, PERIODS),
    );
    expect(reverted).toEqual({ name: "OwnableUnauthorizedAccount", args: [lender.address] });
  });

  it.each([
    ["zeroInstallments", 0, [DAY, 0n, 0n, 0n]],
    ["aboveMaxInstallments", 361, [DAY, 0n, 0n, 0n]],
    ["periodAboveMaxTerm", 12, [DAY, 0n, MAX_TERM + 1n, 0n]],
  ] as const)("setInstallmentTerms_%s_reverts", async (_, max, periods) => {
    const reverted = await poolRevert(pool.getFunction("setInstallmentTerms").send(max, periods));
    expect(reverted).toEqual({ name: "PoolInvalidInstallmentTerms", args: [BigInt(max), periods] });
    expect(await call(pool, "maxInstallments")).toBe(BigInt(MAX_INSTALLMENTS));
  });
});

describe("LendingPool.onPacket OPEN_LOAN installment row", () => {
  it.each([
    ["zeroInstallments", { installments: 0 }],
    ["aboveMaxInstallments", { installments: 13, termSeconds: 13n * DAY }],
    ["termNotAMultipleOfInstallments", { installments: 3, termSeconds: 3n * WEEK + 1n }],
    ["periodNotAllowed", { installments: 2, termSeconds: 2n * 2n * DAY }],
    ["periodAnUnusedZeroSlot", { installments: 2, termSeconds: 0n }],
  ] as const)("openLoan_%s_isRejectedInvalidTerms", async (_, overrides) => {
    await send(pool, "setLoanTerms", RATE_BPS, 0n, MAX_TERM, GRACE);
    await expectRejected(openLoan(overrides), "InvalidTerms");
  });

  it("openLoan_installmentAmountAbove128Bits_isRejectedInvalidTerms", async () => {
    // Two 30-day installments at 1,000 % a year: each is about 1.18 times the principal.
    await send(pool, "setLoanTerms", MAX_RATE_BPS, MIN_TERM, MAX_TERM, GRACE);
    const terms = { principal: U128_MAX, installments: 2, termSeconds: 60n * DAY };
    expect(
      annuityPayment({
        principal: U128_MAX,
        rateBps: MAX_RATE_BPS,
        periodSeconds: 30n * DAY,
        installments: 2,
      }),
    ).toBeGreaterThan(U128_MAX);
    await expectRejected(openLoan(terms), "InvalidTerms");
  });

  it("openLoan_installmentRowComesBeforeTheCollateralChecks", async () => {
    await expectRejected(
      openLoan({ installments: 13, termSeconds: 13n * DAY, collateralAmount: 1n }),
      "InvalidTerms",
    );
  });

  it("openLoan_threeWeeklyInstallments_recordsTheScheduleAndBooksTheFirstDueBucket", async () => {
    const { loanId, receipt, answer, startTime, dueTimes, installmentAmount } =
      await openAccepted();
    const [due1, due2, due3] = dueTimes as [bigint, bigint, bigint];

    expect(await scheduleOf(loanId)).toEqual({
      installments: 3n,
      paidInstallments: 0n,
      periodSeconds: WEEK,
      startTime,
      installmentAmount,
      nextDueTime: due1,
    });
    expect(onlyEvent(pool, receipt, "LoanScheduled")).toEqual([
      loanId,
      3n,
      WEEK,
      installmentAmount,
    ]);
    // LOAN_ACTIVE carries the last installment's due time.
    expect(answer).toMatchObject({ startTime, dueTime: due3 });
    const weight = PRINCIPAL * RATE_BPS;
    const sums = {
      principal: PRINCIPAL,
      interest: 0n,
      rateWeight: weight,
      anchor: weight * startTime,
    };
    expect(await bucketOf(due1)).toEqual(sums);
    expect(await bucketOf(due2)).toEqual(ZERO_SUMS);
    expect(await performing()).toEqual(sums);
  });
});

describe("LendingPool.repay installments", () => {
  it("repay_installmentsOnTimeInOrder_completeEachWithAPayment", async () => {
    const { loanId, startTime, dueTimes, installmentAmount: amount } = await openAccepted();
    const [due1, due2, due3] = dueTimes as [bigint, bigint, bigint];

    // Installment 1, a day before it is due: interest since the start first, then principal.
    const first = await repayAt(loanId, amount, due1 - DAY);
    let loan = await loanOf(loanId);
    expect(paymentsOf(first)).toEqual([[1n, amount, loan.principal]]);
    expect(loan.principal).toBe(
      PRINCIPAL - (amount - interestFor(PRINCIPAL, RATE_BPS, due1 - DAY - startTime)),
    );
    expect(await scheduleOf(loanId)).toMatchObject({ paidInstallments: 1n, nextDueTime: due2 });

    // Installment 2 at its due time exactly (on time).
    const second = await repayAt(loanId, amount, due2);
    loan = await loanOf(loanId);
    expect(paymentsOf(second)).toEqual([[2n, amount, loan.principal]]);
    expect(await scheduleOf(loanId)).toMatchObject({ paidInstallments: 2n, nextDueTime: due3 });

    // The last one: whatever the debt is, completing the loan.
    const last = await repayAt(loanId, 2n ** 256n - 1n, due3 - 3_600n);
    loan = await loanOf(loanId);
    expect(loan.status).toBe(2n); // Repaid
    expect(paymentsOf(last)).toEqual([[3n, loan.repaid - 2n * amount, 0n]]);
    expect(await scheduleOf(loanId)).toMatchObject({ paidInstallments: 3n, nextDueTime: 0n });
    expect(onlySent(recorder, last).message).toEqual({
      type: "REPAID",
      loanId,
      amountRepaid: loan.repaid,
    });
  });

  it("repay_payingAhead_completesSeveralInstallmentsAtOnce", async () => {
    const { loanId, dueTimes, installmentAmount: amount } = await openAccepted();
    const [due1, , due3] = dueTimes as [bigint, bigint, bigint];

    const receipt = await repayAt(loanId, 2n * amount + 5n, due1 - 3n * DAY);

    const loan = await loanOf(loanId);
    expect(paymentsOf(receipt)).toEqual([
      [1n, amount, loan.principal],
      [2n, amount, loan.principal],
    ]);
    expect(await scheduleOf(loanId)).toMatchObject({ paidInstallments: 2n, nextDueTime: due3 });
  });

  it("repay_partialPayment_countsTowardTheCurrentInstallment", async () => {
    const { loanId, dueTimes, installmentAmount: amount } = await openAccepted();
    const [due1, due2] = dueTimes as [bigint, bigint, bigint];
    const half = amount / 2n;

    const partial = await repayAt(loanId, half, due1 - 2n * DAY);
    expect(paymentsOf(partial)).toEqual([]);
    expect(await scheduleOf(loanId)).toMatchObject({ paidInstallments: 0n, nextDueTime: due1 });

    const rest = await repayAt(loanId, amount - half, due1 - DAY);
    const loan = await loanOf(loanId);
    expect(paymentsOf(rest)).toEqual([[1n, amount, loan.principal]]);
    expect(await scheduleOf(loanId)).toMatchObject({ paidInstallments: 1n, nextDueTime: due2 });
  });

  it("repay_fullEarlyPayoff_completesEveryInstallmentWithAmountsSummingToRepaid", async () => {
    const {
      loanId,
      dueTimes,
      installmentAmount: amount,
    } = await openAccepted({
      installments: 12,
      termSeconds: 12n * DAY,
    });

    const receipt = await repayAt(loanId, 2n ** 256n - 1n, (dueTimes[0] as bigint) - 3_600n);

    const { repaid, status } = await loanOf(loanId);
    expect(status).toBe(2n); // Repaid
    const payments = paymentsOf(receipt);
    expect(payments.map(([index]) => index)).toEqual(
      Array.from({ length: 12 }, (_, i) => BigInt(i + 1)),
    );
    expect(payments.map(([, paid]) => paid)).toEqual(attributed(repaid, amount, 12, 1, 12));
    expect(payments.reduce((sum, [, paid]) => sum + paid, 0n)).toBe(repaid);
    expect(payments.every(([, , remaining]) => remaining === 0n)).toBe(true);
  });

  it("repay_bulletLoanInFull_completesItsOneInstallment", async () => {
    const { loanId, dueTimes } = await openAccepted({ installments: 1, termSeconds: 30n * DAY });

    const partial = await repayAt(loanId, 10n * USD, (dueTimes[0] as bigint) - 10n * DAY);
    expect(paymentsOf(partial)).toEqual([]);
    const full = await repayAt(loanId, 2n ** 256n - 1n, (dueTimes[0] as bigint) - DAY);

    const { repaid } = await loanOf(loanId);
    expect(paymentsOf(full)).toEqual([[1n, repaid, 0n]]);
    expect(await scheduleOf(loanId)).toMatchObject({ installments: 1n, paidInstallments: 1n });
  });
});

describe("LendingPool.declareDefault installments", () => {
  it("declareDefault_missedInstallment_allowedOnlyAfterItsDuePlusGrace", async () => {
    const { loanId, dueTimes } = await openAccepted();
    const due1 = dueTimes[0] as bigint;

    await time.setNextTimestamp(due1 + GRACE);
    const early = await poolRevert(as(pool, keeper).getFunction("declareDefault").send(loanId));
    expect(early).toEqual({ name: "PoolLoanNotOverdue", args: [loanId, due1 + GRACE] });

    await time.setNextTimestamp(due1 + GRACE + 1n);
    const receipt = await send(as(pool, keeper), "declareDefault", loanId);
    expect(onlySent(recorder, receipt).message).toMatchObject({ type: "DEFAULTED", loanId });
    expect((await loanOf(loanId)).status).toBe(4n); // Defaulted
  });

  it("declareDefault_installmentsCurrent_revertsUntilTheNextOneIsMissed", async () => {
    const { loanId, dueTimes, installmentAmount } = await openAccepted();
    const [due1, due2] = dueTimes as [bigint, bigint, bigint];
    await repayAt(loanId, installmentAmount, due1 - DAY);

    await time.setNextTimestamp(due1 + GRACE + 1n);
    const reverted = await poolRevert(as(pool, keeper).getFunction("declareDefault").send(loanId));
    expect(reverted).toEqual({ name: "PoolLoanNotOverdue", args: [loanId, due2 + GRACE] });
  });
});

describe("LendingPool installment loans in pool assets", () => {
  it("repay_completingAnInstallment_movesAPerformingLoansSumsToItsNextBucket", async () => {
    const { loanId, dueTimes, installmentAmount } = await openAccepted();
    const [due1, due2] = dueTimes as [bigint, bigint, bigint];
    const paidAt = due1 - DAY;

    await repayAt(loanId, installmentAmount, paidAt);

    const { principal, interest } = await loanOf(loanId);
    const weight = principal * RATE_BPS;
    const moved = { principal, interest, rateWeight: weight, anchor: weight * paidAt };
    expect(interest).toBe(0n);
    expect(await bucketOf(due1)).toEqual(ZERO_SUMS);
    expect(await bucketOf(due2)).toEqual(moved);
    expect(await performing()).toEqual(moved);
    // A partial payment stays in the bucket it is in.
    await repayAt(loanId, 1n * USD, paidAt + 3_600n);
    expect((await bucketOf(due2)).principal).toBe((await loanOf(loanId)).principal);
  });

  it("repay_nextInstallmentDueInTheSameBucket_staysInIt", async () => {
    // Six hourly installments from 01:00 are all due at the next midnight: one bucket.
    await send(pool, "setInstallmentTerms", MAX_INSTALLMENTS, [3_600n, 0n, 0n, 0n]);
    const { loanId, dueTimes, installmentAmount } = await openAccepted({
      installments: 6,
      termSeconds: 6n * 3_600n,
    });
    expect(new Set(dueTimes).size).toBe(1);
    const due = dueTimes[0] as bigint;
    const paidAt = due - 20n * 3_600n;

    await repayAt(loanId, installmentAmount, paidAt);

    const { principal, interest } = await loanOf(loanId);
    const weight = principal * RATE_BPS;
    const sums = { principal, interest, rateWeight: weight, anchor: weight * paidAt };
    expect(await scheduleOf(loanId)).toMatchObject({ paidInstallments: 1n, nextDueTime: due });
    expect(await bucketOf(due)).toEqual(sums);
    expect(await performing()).toEqual(sums);
  });

  it("missedInstallment_leavesPoolAssetsAndStaysOutAfterCatchingUp", async () => {
    const { loanId, dueTimes, installmentAmount } = await openAccepted();
    const [due1, due2, due3] = dueTimes as [bigint, bigint, bigint];
    const held = async () => call<bigint>(stable, "balanceOf", pool.target);

    // A second after installment 1 was due: the loan left pool assets with its bucket.
    await time.setNextTimestamp(due1 + 1n);
    await send(as(pool, lender), "deposit", 1n, lender.address);
    expect(await performing()).toEqual(ZERO_SUMS);
    expect(await call(pool, "totalAssets")).toBe(await held());

    // Catching up on installments 1 and 2 counts in the stablecoin held only.
    const receipt = await repayAt(loanId, 2n * installmentAmount, due1 + DAY);
    expect(paymentsOf(receipt).map(([index]) => index)).toEqual([1n, 2n]);
    const loan = await loanOf(loanId);
    expect(loan.offBook).toBe(true);
    expect(await scheduleOf(loanId)).toMatchObject({ paidInstallments: 2n, nextDueTime: due3 });
    expect(await performing()).toEqual(ZERO_SUMS);
    expect(await bucketOf(due2)).toEqual(ZERO_SUMS);
    expect(await bucketOf(due3)).toEqual(ZERO_SUMS);
    expect(await call(pool, "totalAssets")).toBe(await held());

    // Still out before its next due time, and it closes without touching any sum.
    await repayAt(loanId, 2n ** 256n - 1n, due2 + DAY);
    expect((await loanOf(loanId)).status).toBe(2n); // Repaid
    expect(await performing()).toEqual(ZERO_SUMS);
    expect(await call(pool, "totalAssets")).toBe(await held());
  });

  it("liquidate_performingInstallmentLoan_takesItOutOfItsCurrentBucket", async () => {
    const { loanId, dueTimes, installmentAmount } = await openAccepted();
    const [due1, due2] = dueTimes as [bigint, bigint, bigint];
    await repayAt(loanId, installmentAmount, due1 - DAY);
    expect((await bucketOf(due2)).principal).toBeGreaterThan(0n);

    // ETH falls to $200: the debt (about $2,000) is above 80 % of the collateral's $2,000.
    await send(feed, "setPrice", ETH_PRICE_ID, 200n * USD);
    await time.setNextTimestamp(due1);
    await send(as(pool, keeper), "liquidate", loanId);

    expect(await bucketOf(due2)).toEqual(ZERO_SUMS);
    expect(await performing()).toEqual(ZERO_SUMS);
  });
});
