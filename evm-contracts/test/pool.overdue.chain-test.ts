// LendingPool: overdue loans leave pool assets at their due time (shared/LOANS.md
// "Overdue loans leave pool assets at their due time", issue #12 finding 5).
// A loss is shared pro rata by the lenders in when the loan went overdue: a
// lender exiting in the default's block, or any time after the due time, bears
// its share; a lender arriving after the due time neither shares the loss nor
// misses the gain of a late repayment. Due times round up to due buckets.
import { addressToWire, type Hex, type LoanMessageOf } from "@loanbridge/shared";
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
const ETH_PRICE = 3_000_000_000n;
const W = 86_400n;
const RATE_BPS = 1_000n;
const MIN_TERM = 3_600n;
const MAX_TERM = 62n * W;
const GRACE = 259_200n;
const USD = 1_000_000n;
const DEPOSIT_A = 600_000n * USD;
const DEPOSIT_B = 400_000n * USD;
const PRINCIPAL = 200_000n * USD;
const COLLATERAL = 200n * 10n ** 18n; // $600,000 of ETH
const TERM = 30n * W;
/** Shares carry six more decimals (the pool's virtual-share offset). */
const VIRTUAL_SHARES = 10n ** 6n;

let owner: Signer;
let lenderA: Signer;
let lenderB: Signer;
let lenderC: Signer;
let payer: Signer;
let keeper: Signer;
let stable: Contract;
let recorder: Contract;
let feed: Contract;
let pool: Contract;
let baseSnapshot: string;
let loanCounter = 0;

const dueAt = (at: bigint) => ((at + W - 1n) / W) * W;

interface Sums {
  principal: bigint;
  interest: bigint;
  rateWeight: bigint;
  anchor: bigint;
}
const performing = async (): Promise<Sums> =>
  (await call<{ toObject(): Sums }>(pool, "performing")).toObject();
const bucket = async (index: bigint): Promise<Sums> =>
  (await call<{ toObject(): Sums }>(pool, "dueBucket", index)).toObject();
const ZERO_SUMS: Sums = { principal: 0n, interest: 0n, rateWeight: 0n, anchor: 0n };

interface PoolLoan {
  dueTime: bigint;
  lastAccrual: bigint;
  principal: bigint;
  interest: bigint;
  rateBps: bigint;
}
const loanOf = async (loanId: string): Promise<PoolLoan> =>
  (await call<{ toObject(): PoolLoan }>(pool, "getLoan", loanId)).toObject();

async function openLoan(overrides: Partial<LoanMessageOf<"OPEN_LOAN">> = {}) {
  loanCounter += 1;
  const message: LoanMessageOf<"OPEN_LOAN"> = {
    type: "OPEN_LOAN",
    loanId: id(`overdue-${loanCounter}`) as Hex,
    borrower: addressToWire("0x00000000000000000000000000000000000000b0"),
    recipient: addressToWire(payer.address),
    collateralAsset: ZERO_BYTES32,
    collateralAmount: COLLATERAL,
    principal: PRINCIPAL,
    maxRateBps: 2_000,
    termSeconds: TERM,
    expiresAt: 2n ** 63n,
    installments: 1,
    ...overrides,
  };
  const receipt = await send(
    recorder,
    "deliver",
    pool.target,
    VAULT_EID,
    VAULT_APP,
    id(message.loanId),
    encode(message),
  );
  const answer = onlySent(recorder, receipt).message;
  if (answer.type !== "LOAN_ACTIVE") throw new Error(`loan not accepted: ${answer.type}`);
  return { loanId: message.loanId, startTime: await time.timeOf(receipt), answer, receipt };
}

const assetsOf = async (signer: Signer) =>
  call<bigint>(pool, "convertToAssets", await call<bigint>(pool, "balanceOf", signer.address));
const stableOf = async (signer: Signer) => call<bigint>(stable, "balanceOf", signer.address);

/** What `shares` of the pool are worth at `assets` total (ERC-4626 with virtual shares, floor). */
const worth = (shares: bigint, assets: bigint, supply: bigint) =>
  (shares * (assets + 1n)) / (supply + VIRTUAL_SHARES);

beforeAll(async () => {
  await buildContracts();
  const signers = await ethers.getSigners();
  const [o, a, b, c, p, k] = signers;
  if (!o || !a || !b || !c || !p || !k) throw new Error("need six signers");
  [owner, lenderA, lenderB, lenderC, payer, keeper] = [o, a, b, c, p, k];
  stable = await ethers.deployContract("DevStablecoin", [owner.address]);
  recorder = await ethers.deployContract("SendRecorder", [LENDING_EID]);
  feed = await ethers.deployContract("AdminPriceFeed", [owner.address]);
  pool = await ethers.deployContract("LendingPool", [
    stable.target,
    recorder.target,
    owner.address,
    W,
    "overdue pool",
    "OP",
  ]);
  await send(pool, "setLoanTerms", RATE_BPS, MIN_TERM, MAX_TERM, GRACE);
  await send(pool, "setCollateral", VAULT_EID, ZERO_BYTES32, [5_000, 8_000, ETH_PRICE_ID]);
  await send(pool, "setBeneficiary", VAULT_EID, addressToWire(keeper.address));
  await send(pool, "setPriceFeed", feed.target, 10n ** 9n);
  await send(feed, "setPrice", ETH_PRICE_ID, ETH_PRICE);
  for (const signer of [lenderA, lenderB, lenderC, payer]) {
    await send(stable, "mint", signer.address, 10n ** 15n);
    await send(as(stable, signer), "approve", pool.target, 2n ** 256n - 1n);
  }
  await send(as(pool, lenderA), "deposit", DEPOSIT_A, lenderA.address);
  await send(as(pool, lenderB), "deposit", DEPOSIT_B, lenderB.address);
  baseSnapshot = await time.snapshot();
});

beforeEach(async () => {
  await time.revert(baseSnapshot);
  baseSnapshot = await time.snapshot();
});

/**
 * B exits: redeems all its shares, or withdraws `assets` (its shares' worth once the loan is out
 * of pool assets: what maxWithdraw allows then); returns the pending transaction and B's
 * stablecoin before it.
 */
async function exitB(kind: "redeem" | "withdraw", assets: bigint, options: object = {}) {
  const shares = await call<bigint>(pool, "balanceOf", lenderB.address);
  const before = await stableOf(lenderB);
  const b = as(pool, lenderB);
  const pending =
    kind === "redeem"
      ? b.getFunction("redeem").send(shares, lenderB.address, lenderB.address, options)
      : b.getFunction("withdraw").send(assets, lenderB.address, lenderB.address, options);
  return { pending, before };
}

/** After B's exit: it got its share of the held stablecoin, and nothing worth more is left. */
async function expectBBoreItsShare(received: bigint, shareOfHeld: bigint) {
  expect(received).toBeLessThanOrEqual(shareOfHeld);
  expect(received).toBeGreaterThanOrEqual(shareOfHeld - 1n);
  expect(await assetsOf(lenderB)).toBeLessThanOrEqual(1n);
}

describe("LendingPool overdue markdown: front-running a default", () => {
  it.each(["redeem", "withdraw"] as const)(
    "test_frontRunDefault_lenderRedeemingInTheDefaultsBlock_bearsItsShareOfTheLoss (%s)",
    async (kind) => {
      const { loanId, answer } = await openLoan();
      const supply = await call<bigint>(pool, "totalSupply");
      const sharesB = await call<bigint>(pool, "balanceOf", lenderB.address);
      const sharesA = await call<bigint>(pool, "balanceOf", lenderA.address);
      const defaultAt = answer.dueTime + GRACE + 1n;

      // B sees the default coming and puts its exit first in the default's own block.
      await time.setNextTimestamp(defaultAt);
      await ethers.provider.send("evm_setAutomine", [false]);
      const held = DEPOSIT_A + DEPOSIT_B - PRINCIPAL;
      const shareOfHeld = worth(sharesB, held, supply);
      const exit = await exitB(kind, shareOfHeld, { gasLimit: 1_000_000 });
      const defaulted = as(pool, keeper)
        .getFunction("declareDefault")
        .send(loanId, { gasLimit: 1_000_000 });
      const [exitTx, defaultTx] = await Promise.all([exit.pending, defaulted]);
      await ethers.provider.send("evm_mine", []);
      await ethers.provider.send("evm_setAutomine", [true]);
      const exitReceipt = (await exitTx.wait()) as TransactionReceipt;
      const defaultReceipt = (await defaultTx.wait()) as TransactionReceipt;
      expect(exitReceipt.blockNumber).toBe(defaultReceipt.blockNumber);
      expect(exitReceipt.index).toBeLessThan(defaultReceipt.index);
      expect(onlySent(recorder, defaultReceipt).message.type).toBe("DEFAULTED");

      // Pool assets at the exit were the stablecoin held: the loan had already left them.
      const received = (await stableOf(lenderB)) - exit.before;
      await expectBBoreItsShare(received, shareOfHeld);
      // B bore 40 % of the $200,000 loss, A keeps 60 % of what is left: nobody escaped it.
      expect(DEPOSIT_B - received).toBeGreaterThanOrEqual((PRINCIPAL * 4n) / 10n);
      const leftForA = await assetsOf(lenderA);
      expect(leftForA).toBeGreaterThanOrEqual(worth(sharesA, held, supply) - 1n);
      expect(leftForA).toBeLessThanOrEqual(worth(sharesA, held, supply) + 1n);
      expect(DEPOSIT_A - leftForA).toBeLessThanOrEqual((PRINCIPAL * 6n) / 10n + 1n);
    },
  );

  it.each([
    ["oneSecondAfterDue", 1n, "redeem"],
    ["halfwayThroughGrace", GRACE / 2n, "withdraw"],
    ["lastSecondBeforeDefaultable", GRACE, "redeem"],
    ["inTheDefaultableSecond", GRACE + 1n, "withdraw"],
    ["longAfterTheDueTime", 100n * W, "redeem"],
  ] as const)(
    "test_frontRunDefault_lenderExiting_%s_bearsItsShareOfTheLoss",
    async (_, afterDue, kind) => {
      const { loanId, answer } = await openLoan();
      const supply = await call<bigint>(pool, "totalSupply");
      const sharesB = await call<bigint>(pool, "balanceOf", lenderB.address);

      const shareOfHeld = worth(sharesB, DEPOSIT_A + DEPOSIT_B - PRINCIPAL, supply);
      await time.setNextTimestamp(answer.dueTime + afterDue);
      const exit = await exitB(kind, shareOfHeld);
      await (await exit.pending).wait();
      await expectBBoreItsShare((await stableOf(lenderB)) - exit.before, shareOfHeld);

      // The default, whenever it comes, moves pool assets no further.
      const before = await call<bigint>(pool, "totalAssets");
      await time.setNextTimestamp(answer.dueTime + 101n * W);
      await send(as(pool, keeper), "declareDefault", loanId);
      expect(await call(pool, "totalAssets")).toBe(before);
    },
  );

  it.each(["default", "liquidate"] as const)(
    "test_overdueLoan_%s_changesNothingInPoolAssets",
    async (close) => {
      const { loanId, answer } = await openLoan();
      await time.setNextTimestamp(answer.dueTime + GRACE + 1n);
      await send(feed, "setPrice", ETH_PRICE_ID, 1n);
      const before = await call<bigint>(pool, "totalAssets");
      expect(before).toBe(DEPOSIT_A + DEPOSIT_B - PRINCIPAL);
      await send(as(pool, keeper), close === "default" ? "declareDefault" : "liquidate", loanId);
      expect(await call(pool, "totalAssets")).toBe(before);
      expect(await performing()).toEqual(ZERO_SUMS);
    },
  );
});

describe("LendingPool overdue markdown: lenders arriving after the due time", () => {
  it("test_lateDepositor_afterLoanOverdue_doesNotShareTheDefaultsLoss", async () => {
    const { loanId, answer } = await openLoan();
    const deposit = 300_000n * USD;
    await time.setNextTimestamp(answer.dueTime + 1n);
    await send(as(pool, lenderC), "deposit", deposit, lenderC.address);
    const valueC = await assetsOf(lenderC);
    expect(valueC).toBeGreaterThanOrEqual(deposit - 1n);

    await time.setNextTimestamp(answer.dueTime + GRACE + 1n);
    await send(as(pool, keeper), "declareDefault", loanId);
    expect(await assetsOf(lenderC)).toBe(valueC);
  });

  it("test_lateDepositor_afterLoanOverdue_gainsProRataWhenItIsRepaidLate", async () => {
    const { loanId, startTime, answer } = await openLoan();
    const deposit = 300_000n * USD;
    await time.setNextTimestamp(answer.dueTime + 1n);
    await send(as(pool, lenderC), "deposit", deposit, lenderC.address);
    const supply = await call<bigint>(pool, "totalSupply");
    const sharesC = await call<bigint>(pool, "balanceOf", lenderC.address);

    const repayAt = answer.dueTime + 10n * W;
    await time.setNextTimestamp(repayAt);
    await send(as(pool, payer), "repay", loanId, 2n * PRINCIPAL);
    const repaid = PRINCIPAL + interestFor(PRINCIPAL, RATE_BPS, repayAt - startTime);
    // The whole repayment is a gain for the lenders in at the time, C included by its shares.
    const assets = DEPOSIT_A + DEPOSIT_B - PRINCIPAL + deposit + repaid;
    expect(await call(pool, "totalAssets")).toBe(assets);
    expect(await assetsOf(lenderC)).toBe(worth(sharesC, assets, supply));
    expect(await assetsOf(lenderC)).toBeGreaterThan(deposit + (repaid * 3n) / 13n - USD);
  });
});

describe("LendingPool overdue markdown: due time and buckets", () => {
  it("test_onTimeRepayment_atDueTime_isNotMarkedDown_oneSecondLater_is", async () => {
    const { loanId, startTime, answer } = await openLoan();
    const dueTime = answer.dueTime;
    const performingAssets = (at: bigint) =>
      DEPOSIT_A + DEPOSIT_B + interestFor(PRINCIPAL, RATE_BPS, at - startTime);

    await time.setNextTimestamp(dueTime);
    await ethers.provider.send("evm_mine", []);
    expect(await call(pool, "totalAssets")).toBe(performingAssets(dueTime));
    expect((await performing()).principal).toBe(PRINCIPAL);

    await time.setNextTimestamp(dueTime + 1n);
    await ethers.provider.send("evm_mine", []);
    // One second later: overdue, out of pool assets with its interest.
    expect(await call(pool, "totalAssets")).toBe(DEPOSIT_A + DEPOSIT_B - PRINCIPAL);
    expect(await performing()).toEqual(ZERO_SUMS);
    expect(await bucket(dueTime / W)).toEqual(ZERO_SUMS);

    // Repaid then: the whole debt comes back into held.
    const receipt = await send(as(pool, payer), "repay", loanId, 2n * PRINCIPAL);
    const at = await time.timeOf(receipt);
    expect(await call(pool, "totalAssets")).toBe(performingAssets(at));
    expect(onlyEvent(pool, receipt, "DueBucketFlushed")).toEqual([
      dueTime / W,
      dueTime,
      PRINCIPAL,
      0n,
    ]);
  });

  it("test_onTimeRepayment_exactlyAtDueTime_keepsTheSharePriceContinuous", async () => {
    const { loanId, startTime, answer } = await openLoan();
    await time.setNextTimestamp(answer.dueTime);
    const receipt = await send(as(pool, payer), "repay", loanId, 2n * PRINCIPAL);
    expect(onlySent(recorder, receipt).message.type).toBe("REPAID");
    expect(eventsOf(pool, receipt, "DueBucketFlushed")).toEqual([]);
    expect(await call(pool, "totalAssets")).toBe(
      DEPOSIT_A + DEPOSIT_B + interestFor(PRINCIPAL, RATE_BPS, answer.dueTime - startTime),
    );
    expect(await performing()).toEqual(ZERO_SUMS);
  });

  it.each([
    ["midBucketStart", 123n, TERM + 5n],
    ["boundaryStartWholeTerm", 0n, TERM],
    ["boundaryStartOneSecondOver", 0n, TERM + 1n],
    ["longestTerm", W - 1n, MAX_TERM],
  ])("test_dueTime_%s_roundsUpToTheBucket_andLoanActiveCarriesIt", async (_, offset, term) => {
    const start = dueAt((await time.now()) + 10n) + offset;
    await time.setNextTimestamp(start);
    const { loanId, answer, receipt, startTime } = await openLoan({ termSeconds: term });
    expect(startTime).toBe(start);
    const expected = ((start + term + W - 1n) / W) * W;
    expect(answer.dueTime).toBe(expected);
    expect(answer.startTime).toBe(start);
    expect((await loanOf(loanId)).dueTime).toBe(expected);
    expect(onlyEvent(pool, receipt, "LoanOpened")[7]).toBe(expected);
    expect(await bucket(expected / W)).toMatchObject({ principal: PRINCIPAL });
  });

  it("test_idlePool_moreThan64Buckets_thenOneOperation_flushesEveryLoan", async () => {
    const loans = [];
    for (const term of [W, TERM, MAX_TERM]) loans.push(await openLoan({ termSeconds: term }));
    const held = DEPOSIT_A + DEPOSIT_B - 3n * PRINCIPAL;

    // 200 buckets later, untouched: the view already excludes every loan.
    const idleUntil = (await time.now()) + 200n * W;
    await time.setNextTimestamp(idleUntil);
    await ethers.provider.send("evm_mine", []);
    expect(await call(pool, "totalAssets")).toBe(held);
    expect(await performing()).toEqual(ZERO_SUMS);

    const receipt = await send(as(pool, lenderC), "deposit", USD, lenderC.address);
    const at = await time.timeOf(receipt);
    expect(eventsOf(pool, receipt, "DueBucketFlushed").map((args) => args[1])).toEqual(
      loans.map(({ answer }) => answer.dueTime),
    );
    expect(await call(pool, "dueCursor")).toBe((at + W - 1n) / W);
    expect(await call(pool, "totalAssets")).toBe(held + USD);
    // Bounded: a ring of 64 slots visited once.
    expect(receipt.gasUsed).toBeLessThan(500_000n);

    // The ring is clean: a new loan in a slot an old one used counts alone.
    const { answer } = await openLoan({ termSeconds: MAX_TERM });
    expect(await performing()).toMatchObject({ principal: PRINCIPAL, interest: 0n });
    expect(await bucket(answer.dueTime / W)).toMatchObject({ principal: PRINCIPAL });
  });

  it("test_setLoanTerms_maxTermAbove62Buckets_reverts_atLimitAccepted", async () => {
    const reverted = await expectRevert(
      pool.getFunction("setLoanTerms").send(RATE_BPS, MIN_TERM, MAX_TERM + 1n, GRACE),
      pool.interface,
    );
    expect(reverted).toEqual({
      name: "PoolMaxTermAboveBucketRing",
      args: [MAX_TERM + 1n, MAX_TERM],
    });
    await send(pool, "setLoanTerms", RATE_BPS, MIN_TERM, MAX_TERM, GRACE);
    expect(await call(pool, "maxTermSeconds")).toBe(MAX_TERM);
  });

  it.each([3_599n, 31_536_001n, 0n])(
    "test_constructor_dueBucketSecondsOutOfRange_%i_reverts",
    async (width) => {
      const factory = await ethers.getContractFactory("LendingPool");
      const reverted = await expectRevert(
        factory.deploy(stable.target, recorder.target, owner.address, width, "x", "X"),
        pool.interface,
      );
      expect(reverted).toEqual({
        name: "PoolInvalidDueBucket",
        args: [width, 3_600n, 31_536_000n],
      });
    },
  );

  it("constructor_minimumWidth_isAcceptedAndAnnounced", async () => {
    const fresh = await ethers.deployContract("LendingPool", [
      stable.target,
      recorder.target,
      owner.address,
      3_600n,
      "x",
      "X",
    ]);
    const receipt = await fresh.deploymentTransaction()?.wait();
    if (!receipt) throw new Error("no deployment receipt");
    expect(onlyEvent(fresh, receipt, "DueBucketSecondsSet")).toEqual([3_600n]);
    expect(await call(fresh, "dueBucketSeconds")).toBe(3_600n);
    expect(await call(fresh, "dueCursor")).toBe(((await time.timeOf(receipt)) + 3_599n) / 3_600n);
  });
});

describe("LendingPool overdue markdown: exact performing sums", () => {
  it("test_liquidatePerformingLoan_leavesTheTotalsExact", async () => {
    // Two loans due in one bucket, one in another; partial repayment, then a liquidation of a
    // performing loan: the sums equal those recomputed from the loans left.
    const a = await openLoan({ termSeconds: TERM });
    const b = await openLoan({ termSeconds: TERM + 60n, principal: 50_000n * USD });
    await send(pool, "setLoanTerms", 1_777n, MIN_TERM, MAX_TERM, GRACE);
    const c = await openLoan({ termSeconds: TERM + 3n * W, principal: 70_000n * USD });
    expect(a.answer.dueTime).toBe(b.answer.dueTime);
    await time.setNextTimestamp(a.startTime + 5n * W + 17n);
    await send(as(pool, payer), "repay", b.loanId, 10_000n * USD);
    await time.setNextTimestamp(a.startTime + 9n * W + 3n);
    // Loan a is $200,000 against $600,000: at $1,200 per ETH it is above 80 %.
    await send(feed, "setPrice", ETH_PRICE_ID, 1_200n * USD);
    const receipt = await send(as(pool, keeper), "liquidate", a.loanId);
    expect(onlySent(recorder, receipt).message.type).toBe("LIQUIDATED");

    const left = [await loanOf(b.loanId), await loanOf(c.loanId)];
    const sums = (loans: PoolLoan[]): Sums => ({
      principal: loans.reduce((s, l) => s + l.principal, 0n),
      interest: loans.reduce((s, l) => s + l.interest, 0n),
      rateWeight: loans.reduce((s, l) => s + l.principal * l.rateBps, 0n),
      anchor: loans.reduce((s, l) => s + l.principal * l.rateBps * l.lastAccrual, 0n),
    });
    expect(await performing()).toEqual(sums(left));
    expect(await bucket(b.answer.dueTime / W)).toEqual(sums([left[0] as PoolLoan]));
    expect(await bucket(c.answer.dueTime / W)).toEqual(sums([left[1] as PoolLoan]));

    const now = await time.now();
    const held = await call<bigint>(stable, "balanceOf", pool.target);
    const debts = left.reduce(
      (s, l) =>
        s + l.principal + l.interest + interestFor(l.principal, l.rateBps, now - l.lastAccrual),
      0n,
    );
    const total = await call<bigint>(pool, "totalAssets");
    expect(total - (held + debts)).toBeGreaterThanOrEqual(0n);
    expect(total - (held + debts)).toBeLessThanOrEqual(BigInt(left.length));
  });
});
