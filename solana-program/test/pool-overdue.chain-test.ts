// Issue 12 finding 5 (shared/LOANS.md "Overdue loans leave pool assets at
// their due time"): a loan past its due time leaves pool assets then, not
// when someone declares the default, so a lender who sees the default coming
// and exits first bears its share of the loss like everyone else, and a
// lender who arrives after the due time does not share it. The same attack
// and rule as evm-contracts/test/pool.overdue.chain-test.ts.
import { type LoanMessageOf, toBytes } from "@loanbridge/shared";
import { beforeEach, describe, expect, it } from "vitest";
import {
  createTokenAccount,
  declareDefaultInstruction,
  depositInstruction,
  type LendInput,
  mintSupply,
  pda,
  PoolLoanStatus,
  redeemInstruction,
  repayInstruction,
  tokenBalance,
  withdrawInstruction,
} from "../client/index.ts";
import { loggedComputeUnits } from "../client/litesvm.ts";
import {
  deliverOpenLoan,
  DUE_BUCKET_SECONDS,
  dueTimeOf,
  ETH,
  expectOk,
  LIQUIDITY,
  newLender,
  NOW,
  openLoanMessage,
  type PoolFixture,
  POOL_TERMS,
  REMOTE_EID,
  startPool,
  USDC,
} from "./fixture.ts";

const DEPOSIT_B = 400_000n * USDC;
const PRINCIPAL = 200_000n * USDC;
const TERM = 30n * 86_400n;
const GRACE = POOL_TERMS.gracePeriodSeconds;
const W = DUE_BUCKET_SECONDS;

/** What `shares` redeem for at pool assets `assets` and share supply `supply`. */
const worth = (shares: bigint, assets: bigint, supply: bigint) =>
  (shares * (assets + 1n)) / (supply + 1_000n);

describe("overdue loans leave pool assets at their due time", () => {
  let fixture: PoolFixture;
  let lenderB: LendInput;

  const lenderA = (): LendInput => ({
    lender: fixture.lender,
    lenderStablecoin: fixture.lenderStablecoin,
    lenderShares: fixture.lenderShares,
  });
  const supply = async () => mintSupply(fixture.program.svm, await pda.shares(fixture.id));
  const held = async () => tokenBalance(fixture.program.svm, await pda.liquidity(fixture.id));
  const sharesOf = (lender: LendInput) => tokenBalance(fixture.program.svm, lender.lenderShares);
  const stableOf = (lender: LendInput) =>
    tokenBalance(fixture.program.svm, lender.lenderStablecoin);
  const loanRef = (message: LoanMessageOf<"OPEN_LOAN">) => ({
    payer: fixture.program.payer,
    loanId: toBytes(message.loanId),
    srcEid: REMOTE_EID,
    packetNonce: fixture.packetNonce(),
  });
  const poolLoan = async (message: LoanMessageOf<"OPEN_LOAN">) =>
    fixture.program.decode("PoolLoan", await pda.poolLoan(fixture.id, toBytes(message.loanId)));

  /** Opens a loan of `principal` for `term` at the pool's rate now; returns it and its due time. */
  const openLoan = async (principal = PRINCIPAL, term = TERM) => {
    const recipient = await fixture.recipient();
    const message = openLoanMessage(recipient.wallet.address, {
      principal,
      collateralAmount: 200n * ETH,
      termSeconds: term,
      expiresAt: fixture.program.now() + 3_600n,
    });
    expectOk(await deliverOpenLoan(fixture, message, { recipientTokens: recipient.tokens }));
    const loan = await poolLoan(message);
    const dueTime = loan.due_time as bigint;
    // Due times round up to the bucket boundary.
    expect(dueTime).toBe(dueTimeOf(fixture.program.now(), term));
    return { message, dueTime };
  };

  beforeEach(async () => {
    fixture = await startPool();
    lenderB = await newLender(fixture, DEPOSIT_B);
    expectOk(await fixture.program.send(await depositInstruction(fixture.id, lenderB, DEPOSIT_B)));
  });

  it.each([
    ["oneSecondAfterDue", 1n, "redeem"],
    ["halfwayThroughGrace", GRACE / 2n, "withdraw"],
    ["lastSecondBeforeDefaultable", GRACE, "redeem"],
    ["longAfterTheDueTime", 100n * W, "withdraw"],
  ] as const)(
    "frontRunDefault_lenderExiting_%s_bearsItsShareOfTheLoss",
    async (_, afterDue, kind) => {
      // Given a 200,000 USDC loan from a 1,400,000 USDC pool, past its due time
      const { message, dueTime } = await openLoan();
      const totalShares = await supply();
      const sharesB = sharesOf(lenderB);
      const heldBefore = await held();
      expect(heldBefore).toBe(LIQUIDITY + DEPOSIT_B - PRINCIPAL);
      fixture.program.setTime(dueTime + afterDue);

      // when lender B, seeing the default coming, takes everything out first
      const shareOfHeld = worth(sharesB, heldBefore, totalShares);
      const exit =
        kind === "redeem"
          ? await redeemInstruction(fixture.id, lenderB, sharesB)
          : await withdrawInstruction(fixture.id, lenderB, shareOfHeld);
      expectOk(await fixture.program.send(exit));

      // then it got its share of the stablecoin held only: the overdue loan
      // had left pool assets at its due time (at most one unit of rounding).
      const received = stableOf(lenderB);
      expect(received).toBeLessThanOrEqual(shareOfHeld);
      expect(received).toBeGreaterThanOrEqual(shareOfHeld - 1n);
      // B bore its 2/7 of the 200,000 USDC loss.
      expect(DEPOSIT_B - received).toBeGreaterThanOrEqual((PRINCIPAL * 2n) / 7n - 1n);

      // And the default, whenever it comes, moves pool assets no further:
      // lender A redeems what is left at the same marked-down price.
      fixture.program.setTime(dueTime + 101n * W);
      expectOk(
        await fixture.program.send(await declareDefaultInstruction(fixture.id, loanRef(message))),
      );
      expect((await poolLoan(message)).status).toBe(PoolLoanStatus.Defaulted);
      const sharesA = sharesOf(lenderA());
      const left = await held();
      const remainingSupply = await supply();
      const before = stableOf(lenderA());
      expectOk(await fixture.program.send(await redeemInstruction(fixture.id, lenderA(), sharesA)));
      expect(stableOf(lenderA()) - before).toBe(worth(sharesA, left, remainingSupply));
      expect(LIQUIDITY - (stableOf(lenderA()) - before)).toBeLessThanOrEqual(
        (PRINCIPAL * 5n) / 7n + 1n,
      );
    },
  );

  it("frontRunDefault_exitAndDefaultInOneTransaction_exitBearsItsShareOfTheLoss", async () => {
    // The attacker orders its exit first in the very transaction that
    // declares the default.
    const { message, dueTime } = await openLoan();
    const totalShares = await supply();
    const sharesB = sharesOf(lenderB);
    const shareOfHeld = worth(sharesB, await held(), totalShares);
    fixture.program.setTime(dueTime + GRACE + 1n);

    expectOk(
      await fixture.program.send(
        await redeemInstruction(fixture.id, lenderB, sharesB),
        await declareDefaultInstruction(fixture.id, loanRef(message)),
      ),
    );

    expect((await poolLoan(message)).status).toBe(PoolLoanStatus.Defaulted);
    expect(stableOf(lenderB)).toBe(shareOfHeld);
  });

  it("lateDepositor_afterLoanOverdue_doesNotShareTheDefaultsLoss", async () => {
    const { message, dueTime } = await openLoan();
    fixture.program.setTime(dueTime + 1n);
    const deposit = 300_000n * USDC;
    const lenderC = await newLender(fixture, deposit);
    expectOk(await fixture.program.send(await depositInstruction(fixture.id, lenderC, deposit)));

    fixture.program.setTime(dueTime + GRACE + 1n);
    expectOk(
      await fixture.program.send(await declareDefaultInstruction(fixture.id, loanRef(message))),
    );
    expectOk(
      await fixture.program.send(await redeemInstruction(fixture.id, lenderC, sharesOf(lenderC))),
    );
    // C gets its deposit back, less at most a unit of rounding.
    expect(stableOf(lenderC)).toBeGreaterThanOrEqual(deposit - 1n);
    expect(stableOf(lenderC)).toBeLessThanOrEqual(deposit);
  });

  it("loanAtItsDueTime_isNotMarkedDown_oneSecondLater_is", async () => {
    const { dueTime } = await openLoan();
    const amount = 1_000n * USDC;
    const mintedAt = async (time: bigint) => {
      fixture.program.setTime(time);
      const lender = await newLender(fixture, amount);
      const totalShares = await supply();
      const assets = await held();
      expectOk(await fixture.program.send(await depositInstruction(fixture.id, lender, amount)));
      return { minted: sharesOf(lender), totalShares, assets };
    };

    // At the due time the loan and its interest still count...
    const onTime = await mintedAt(dueTime);
    const interest =
      (PRINCIPAL * BigInt(POOL_TERMS.rateBps) * (dueTime - NOW)) / (10_000n * 31_536_000n);
    const assetsOnTime = onTime.assets + PRINCIPAL + interest;
    expect(onTime.minted).toBe((amount * (onTime.totalShares + 1_000n)) / (assetsOnTime + 1n));
    // ...one second later only the stablecoin held does.
    const late = await mintedAt(dueTime + 1n);
    expect(late.minted).toBe((amount * (late.totalShares + 1_000n)) / (late.assets + 1n));
    expect(late.minted).toBeGreaterThan(onTime.minted);
  });

  it("idlePoolForMoreThanTheRing_thenOneRepayment_flushesEveryBucket", async () => {
    // A loan due in each of 52 weekly buckets (the longest term is a year),
    // then no operation for 70 buckets, more than the ring's 64 slots: the
    // worst case a flush meets.
    const loans = [];
    for (let weeks = 1n; weeks <= 52n; weeks++) {
      loans.push(await openLoan(1_000n * USDC, weeks * W - 86_400n));
    }
    expect(new Set(loans.map((loan) => loan.dueTime)).size).toBe(52);
    const later = NOW + 70n * W;
    fixture.program.setTime(later);
    // Read-only: a deposit prices shares on the stablecoin held alone.
    const amount = 1_000n * USDC;
    const depositor = await newLender(fixture, amount);
    const totalShares = await supply();
    const assets = await held();
    expectOk(await fixture.program.send(await depositInstruction(fixture.id, depositor, amount)));
    expect(sharesOf(depositor)).toBe((amount * (totalShares + 1_000n)) / (assets + 1n));

    // A late partial repayment flushes: every bucket leaves the sums.
    const payerTokens = await createTokenAccount(
      fixture.program.svm,
      fixture.stablecoin,
      fixture.program.payer.address,
      USDC,
    );
    const [first] = loans as [(typeof loans)[number]];
    const repaid = await fixture.program.send(
      await repayInstruction(fixture.id, {
        ...loanRef(first.message),
        payerTokens,
        amount: USDC,
      }),
    );
    expectOk(repaid);
    console.log(`Repay flushing 52 due buckets: ${loggedComputeUnits(repaid.logs, fixture.id)} CU`);
    const pool = fixture.program.decode("Pool", fixture.pool);
    expect(pool).toMatchObject({
      performing_principal: 0n,
      performing_interest: 0n,
      rate_weight: 0n,
      due_cursor: (later + W - 1n) / W,
    });
    for (const bucket of pool.due_buckets as { principal: bigint; rate_weight: bigint }[]) {
      expect(bucket).toMatchObject({ principal: 0n, rate_weight: 0n });
    }
  });
});
