// Installment loans on the pool (shared/LOANS.md "Installments (equal
// payments: an annuity)") through the real Deliver and Repay paths: the
// OPEN_LOAN check row, the schedule's payment stored, installments completed
// in order out of the cumulative repaid with their records in the loan
// account, default after a missed installment's due time + grace, and the
// pool's due buckets following a performing loan's first unpaid installment
// while a loan that missed one stays out of pool assets for good.
import {
  annuityPayment,
  decodeLoanMessage,
  decodePacket,
  installmentAmounts,
  installmentDueTimes,
  type LoanMessageOf,
  toBytes,
} from "@loanbridge/shared";
import { type Address } from "@solana/kit";
import { beforeEach, describe, expect, it } from "vitest";
import {
  createTokenAccount,
  declareDefaultInstruction,
  decodePoolLoan,
  type InstallmentTerms,
  LoanbridgeProgramError as E,
  pda,
  type PoolLoanAccount,
  PoolLoanStatus,
  repayInstruction,
  setInstallmentTermsInstruction,
  tokenBalance,
} from "../client/index.ts";
import { loggedComputeUnits, loggedData, type Outcome } from "../client/litesvm.ts";
import {
  deliverOpenLoan,
  DUE_BUCKET_SECONDS,
  ETH,
  expectCustomError,
  expectOk,
  NOW,
  openLoanMessage,
  type PoolFixture,
  POOL_TERMS,
  REMOTE_EID,
  startPool,
  USDC,
} from "./fixture.ts";

type OpenLoan = LoanMessageOf<"OPEN_LOAN">;

const DAY = 86_400n;
const W = DUE_BUCKET_SECONDS;
/** Four weeks: an allowed period, a whole number of the fixture's week-wide buckets. */
const PERIOD = 28n * DAY;
const INSTALLMENTS = 3;
const PRINCIPAL = 12_000n * USDC;
const GRACE = POOL_TERMS.gracePeriodSeconds;
const TERMS = { maxInstallments: 12, periods: [PERIOD, 7n * DAY, DAY, 0n] };

describe("pool installments", () => {
  let fixture: PoolFixture;
  let recipient: { wallet: { address: Address }; tokens: Address };
  let payerTokens: Address;

  const setTerms = async (terms: InstallmentTerms = TERMS, admin = fixture.admin) =>
    fixture.program.send(await setInstallmentTermsInstruction(fixture.id, admin, terms));

  beforeEach(async () => {
    fixture = await startPool();
    recipient = await fixture.recipient();
    payerTokens = await createTokenAccount(
      fixture.program.svm,
      fixture.stablecoin,
      fixture.program.payer.address,
      100_000n * USDC,
    );
    expectOk(await setTerms());
  });

  const open = (overrides: Partial<OpenLoan> = {}) =>
    openLoanMessage(recipient.wallet.address, {
      principal: PRINCIPAL,
      collateralAmount: 20n * ETH,
      termSeconds: PERIOD * BigInt(INSTALLMENTS),
      installments: INSTALLMENTS,
      expiresAt: fixture.program.now() + 3_600n,
      ...overrides,
    });
  const answerOf = (outcome: Outcome) => {
    if (!outcome.ok) throw new Error(`failed: ${outcome.logs.join("\n")}`);
    const [packet] = loggedData(outcome.logs);
    if (!packet) throw new Error("no answer logged");
    return decodeLoanMessage(decodePacket(packet).message);
  };
  const loanOf = async (message: OpenLoan): Promise<PoolLoanAccount> => {
    const data = fixture.program.data(await pda.poolLoan(fixture.id, toBytes(message.loanId)));
    if (!data) throw new Error("no pool loan");
    return decodePoolLoan(data);
  };
  const openLoan = async (overrides: Partial<OpenLoan> = {}) => {
    const message = open(overrides);
    const outcome = await deliverOpenLoan(fixture, message, { recipientTokens: recipient.tokens });
    expect(answerOf(outcome).type).toBe("LOAN_ACTIVE");
    const loan = await loanOf(message);
    const dues = installmentDueTimes(
      loan.startTime,
      loan.schedule.periodSeconds,
      loan.schedule.installments,
      W,
    );
    return { message, loan, dues, outcome };
  };
  const repay = async (message: OpenLoan, amount: bigint) =>
    fixture.program.send(
      await repayInstruction(fixture.id, {
        payer: fixture.program.payer,
        payerTokens,
        loanId: toBytes(message.loanId),
        srcEid: REMOTE_EID,
        packetNonce: fixture.packetNonce(),
        amount,
      }),
    );
  const declareDefault = async (message: OpenLoan) =>
    fixture.program.send(
      await declareDefaultInstruction(fixture.id, {
        payer: fixture.program.payer,
        loanId: toBytes(message.loanId),
        srcEid: REMOTE_EID,
        packetNonce: fixture.packetNonce(),
      }),
    );
  const pool = () => fixture.program.decode("Pool", fixture.pool);
  const bucketPrincipal = (due: bigint) => {
    const buckets = pool().due_buckets as { principal: bigint }[];
    return buckets[Number((due / W) % 64n)]?.principal;
  };
  /** The records the loan must hold once `repaid` paid `paid` installments at `paidAts`. */
  const expectedRecords = (loan: PoolLoanAccount, paidAts: bigint[], remaining: bigint[]) => {
    const amounts = installmentAmounts(
      loan.repaid,
      loan.schedule.installmentAmount,
      loan.schedule.installments,
    );
    return amounts.map((amount, i) => ({
      index: i + 1,
      paidAt: paidAts[i] ?? 0n,
      amount: paidAts[i] === undefined ? 0n : amount,
      remainingPrincipal: remaining[i] ?? 0n,
    }));
  };

  describe("OPEN_LOAN check row", () => {
    const expectInvalidTerms = async (overrides: Partial<OpenLoan>) => {
      const message = open(overrides);
      const before = tokenBalance(fixture.program.svm, recipient.tokens);
      const outcome = await deliverOpenLoan(fixture, message, {
        recipientTokens: recipient.tokens,
      });
      expect(answerOf(outcome)).toEqual({
        type: "LOAN_REJECTED",
        loanId: message.loanId,
        reason: "InvalidTerms",
      });
      expect(tokenBalance(fixture.program.svm, recipient.tokens)).toBe(before);
      const loan = await loanOf(message);
      expect(loan.status).toBe(PoolLoanStatus.Rejected);
      // A rejected loan has no schedule and no records.
      expect(loan.schedule.installments).toBe(0);
      expect(loan.records).toEqual([]);
    };

    it.each([
      ["zeroInstallments", { installments: 0 }],
      ["aboveMaxInstallments", { installments: 13, termSeconds: 13n * DAY }],
      ["termNotAMultipleOfInstallments", { termSeconds: PERIOD * 3n + 1n }],
      ["periodNotAllowed", { installments: 2, termSeconds: 20n * DAY }],
    ] as const)("%s_answersInvalidTerms", async (_name, overrides) => {
      await expectInvalidTerms(overrides);
    });

    it("newPool_allowsBulletLoansOnly", async () => {
      expectOk(await setTerms({ maxInstallments: 1, periods: [] }));
      await expectInvalidTerms({});
      const bullet = await openLoan({ installments: 1, termSeconds: 30n * DAY });
      expect(bullet.loan.schedule).toMatchObject({ installments: 1, paidInstallments: 0 });
    });

    it("allowedInstallments_storeTheSchedulesPayment", async () => {
      const { loan, dues, outcome } = await openLoan();
      console.log(
        `Deliver OPEN_LOAN accepted, ${INSTALLMENTS} installments (2 signatures): ${loggedComputeUnits(outcome.logs, fixture.id)} CU, tx ${outcome.ok ? outcome.size : 0} bytes`,
      );
      expect(loan.schedule).toEqual({
        installments: INSTALLMENTS,
        paidInstallments: 0,
        periodSeconds: PERIOD,
        installmentAmount: annuityPayment({
          principal: PRINCIPAL,
          rateBps: BigInt(POOL_TERMS.rateBps),
          periodSeconds: PERIOD,
          installments: INSTALLMENTS,
        }),
        offBook: false,
      });
      // LOAN_ACTIVE's due time is the last installment's.
      expect(loan.dueTime).toBe(dues[INSTALLMENTS - 1]);
      expect(loan.records).toHaveLength(INSTALLMENTS);
      expect(loan.records.every((record) => record.paidAt === 0n)).toBe(true);
      // Booked in the bucket of its first installment.
      expect(bucketPrincipal(dues[0] ?? 0n)).toBe(PRINCIPAL);
    });

    it("threeHundredSixtyInstallments_createTheLargestLoanAccountWithinTheCpiLimit", async () => {
      expectOk(await setTerms({ maxInstallments: 360, periods: [DAY] }));
      const { message, loan, outcome } = await openLoan({
        installments: 360,
        termSeconds: 360n * DAY,
      });
      const data = fixture.program.data(await pda.poolLoan(fixture.id, toBytes(message.loanId)));
      // 250 bytes of fields and 360 records of 24: under the 10,240 bytes of a CPI creation.
      expect(data?.length).toBe(250 + 360 * 24);
      expect(loan.records).toHaveLength(360);
      expect(loggedComputeUnits(outcome.logs, fixture.id)).toBeLessThan(30_000);
      // Paying 100 installments ahead at once records each of them.
      fixture.program.setTime(NOW + DAY);
      const ahead = await repay(message, 100n * loan.schedule.installmentAmount);
      expectOk(ahead);
      console.log(
        `Repay (100 of 360 installments at once): ${loggedComputeUnits(ahead.logs, fixture.id)} CU`,
      );
      const after = await loanOf(message);
      expect(after.schedule.paidInstallments).toBe(100);
      expect(after.records.filter((record) => record.paidAt === NOW + DAY)).toHaveLength(100);
      expect(after.records[100]?.paidAt).toBe(0n);
    });

    it("twelveDailyInstallments_deliverUnder30000Cu", async () => {
      const { outcome } = await openLoan({ installments: 12, termSeconds: 12n * DAY });
      const cu = loggedComputeUnits(outcome.logs, fixture.id);
      console.log(`Deliver OPEN_LOAN accepted, 12 installments (2 signatures): ${cu} CU`);
      expect(cu).toBeLessThan(30_000);
    });
  });

  describe("repayment", () => {
    it("installmentsPaidOnTimeInOrder_recordPaidAtAmountAndRemaining", async () => {
      const { message, loan, dues } = await openLoan();
      const payment = loan.schedule.installmentAmount;
      const paidAts: bigint[] = [];
      const remaining: bigint[] = [];
      for (const [i, due] of dues.slice(0, 2).entries()) {
        fixture.program.setTime(due - DAY);
        const outcome = await repay(message, payment);
        expectOk(outcome);
        console.log(
          `Repay (installment ${i + 1} of ${INSTALLMENTS}): ${loggedComputeUnits(outcome.logs, fixture.id)} CU`,
        );
        if (process.env.CU_LOGS) console.log(outcome.logs.join("\n"));
        const after = await loanOf(message);
        paidAts.push(due - DAY);
        remaining.push(after.principal);
        expect(after.schedule.paidInstallments).toBe(i + 1);
        expect(after.status).toBe(PoolLoanStatus.Active);
        expect(after.records).toEqual(expectedRecords(after, paidAts, remaining));
      }
      // The last installment is paid once the debt is zero.
      const last = dues[INSTALLMENTS - 1] ?? 0n;
      fixture.program.setTime(last - DAY);
      const outcome = await repay(message, 2n * payment);
      expectOk(outcome);
      expect(answerOf(outcome).type).toBe("REPAID");
      const after = await loanOf(message);
      expect(after.status).toBe(PoolLoanStatus.Repaid);
      expect(after.schedule.paidInstallments).toBe(INSTALLMENTS);
      expect(after.records).toEqual(
        expectedRecords(after, [...paidAts, last - DAY], [...remaining, 0n]),
      );
      const total = after.records.reduce((sum, record) => sum + record.amount, 0n);
      expect(total).toBe(after.repaid);
      expect(after.repaid).toBe(
        loan.schedule.installmentAmount * 2n + (after.records[2]?.amount ?? 0n),
      );
    });

    it("payingAhead_completesSeveralInstallmentsAtOnce", async () => {
      const { message, loan } = await openLoan();
      const payment = loan.schedule.installmentAmount;
      fixture.program.setTime(NOW + DAY);
      expectOk(await repay(message, 2n * payment + 5n));
      const after = await loanOf(message);
      expect(after.schedule.paidInstallments).toBe(2);
      expect(after.records).toEqual(
        expectedRecords(after, [NOW + DAY, NOW + DAY], [after.principal, after.principal]),
      );
    });

    it("partialPayment_countsTowardTheCurrentInstallment", async () => {
      const { message, loan, dues } = await openLoan();
      const payment = loan.schedule.installmentAmount;
      fixture.program.setTime(NOW + DAY);
      const partial = await repay(message, payment / 2n);
      expectOk(partial);
      console.log(
        `Repay (partial, installment loan): ${loggedComputeUnits(partial.logs, fixture.id)} CU`,
      );
      let after = await loanOf(message);
      expect(after.schedule.paidInstallments).toBe(0);
      expect(after.records.every((record) => record.paidAt === 0n)).toBe(true);
      // Still booked at its first installment's bucket.
      expect(bucketPrincipal(dues[0] ?? 0n)).toBe(after.principal);

      fixture.program.setTime(NOW + 2n * DAY);
      expectOk(await repay(message, payment - payment / 2n));
      after = await loanOf(message);
      expect(after.schedule.paidInstallments).toBe(1);
      expect(after.records[0]).toEqual({
        index: 1,
        paidAt: NOW + 2n * DAY,
        amount: payment,
        remainingPrincipal: after.principal,
      });
    });

    it("fullEarlyPayoff_completesEveryInstallmentAndAnswersRepaid", async () => {
      const { message } = await openLoan();
      fixture.program.setTime(NOW + 3n * DAY);
      const outcome = await repay(message, PRINCIPAL * 2n);
      expectOk(outcome);
      console.log(
        `Repay (full early payoff, ${INSTALLMENTS} installments): ${loggedComputeUnits(outcome.logs, fixture.id)} CU`,
      );
      expect(answerOf(outcome)).toMatchObject({ type: "REPAID", loanId: message.loanId });
      const after = await loanOf(message);
      expect(after.status).toBe(PoolLoanStatus.Repaid);
      expect(after.schedule.paidInstallments).toBe(INSTALLMENTS);
      const at = NOW + 3n * DAY;
      expect(after.records).toEqual(expectedRecords(after, [at, at, at], [0n, 0n, 0n]));
      expect(pool().performing_principal).toBe(0n);
    });
  });

  describe("default", () => {
    it("missedInstallment_defaultableAfterItsDuePlusGraceNotBefore", async () => {
      const { message, dues } = await openLoan();
      const first = dues[0] ?? 0n;
      fixture.program.setTime(first + GRACE);
      expectCustomError(await declareDefault(message), E.PoolLoanNotOverdue);
      fixture.program.setTime(first + GRACE + 1n);
      const outcome = await declareDefault(message);
      expect(answerOf(outcome)).toMatchObject({ type: "DEFAULTED", loanId: message.loanId });
      expect((await loanOf(message)).status).toBe(PoolLoanStatus.Defaulted);
    });

    it("currentLoan_isNotDefaultable", async () => {
      const { message, loan, dues } = await openLoan();
      fixture.program.setTime((dues[0] ?? 0n) - DAY);
      expectOk(await repay(message, loan.schedule.installmentAmount));
      // Past the first installment's due + grace, before the second's.
      fixture.program.setTime((dues[0] ?? 0n) + GRACE + 1n);
      expectCustomError(await declareDefault(message), E.PoolLoanNotOverdue);
      fixture.program.setTime((dues[1] ?? 0n) + GRACE + 1n);
      expect(answerOf(await declareDefault(message)).type).toBe("DEFAULTED");
    });
  });

  describe("pool assets", () => {
    it("performingLoan_movesItsSumsToTheNextInstallmentsBucketOnCompletion", async () => {
      const { message, loan, dues } = await openLoan();
      const [first, second] = [dues[0] ?? 0n, dues[1] ?? 0n];
      expect(bucketPrincipal(first)).toBe(PRINCIPAL);
      expect(bucketPrincipal(second)).toBe(0n);
      fixture.program.setTime(first - DAY);
      expectOk(await repay(message, loan.schedule.installmentAmount));
      const after = await loanOf(message);
      expect(after.schedule.offBook).toBe(false);
      expect(bucketPrincipal(first)).toBe(0n);
      expect(bucketPrincipal(second)).toBe(after.principal);
      expect(pool().performing_principal).toBe(after.principal);
      // Its interest accrued to now moved with it: the bucket holds the loan's interest.
      const buckets = pool().due_buckets as { interest: bigint }[];
      expect(buckets[Number((second / W) % 64n)]?.interest).toBe(after.interest);
    });

    it("missedInstallment_leavesPoolAssetsAndStaysOutAfterCatchingUp", async () => {
      const { message, loan, dues } = await openLoan();
      const payment = loan.schedule.installmentAmount;
      // One second past the first installment's due time, unpaid.
      fixture.program.setTime((dues[0] ?? 0n) + 1n);
      // Catching up (two installments at once) flushes and pays.
      expectOk(await repay(message, 2n * payment));
      const after = await loanOf(message);
      expect(after.schedule.paidInstallments).toBe(2);
      expect(after.schedule.offBook).toBe(true);
      // Out of pool assets: no performing principal, its next bucket empty.
      expect(pool().performing_principal).toBe(0n);
      expect(bucketPrincipal(dues[2] ?? 0n)).toBe(0n);
      // And it stays out: a later on-time payment changes nothing there.
      fixture.program.setTime((dues[2] ?? 0n) - DAY);
      expectOk(await repay(message, 1n));
      expect(pool().performing_principal).toBe(0n);
      expect((await loanOf(message)).schedule.offBook).toBe(true);
    });
  });

  describe("SetInstallmentTerms", () => {
    it("admin_setsMaxInstallmentsAndPeriods", () => {
      expect(pool()).toMatchObject({
        max_installments: 12,
        installment_periods: [PERIOD, 7n * DAY, DAY, 0n],
      });
    });

    it.each([
      ["zeroMax", { maxInstallments: 0, periods: [] }],
      ["maxAbove360", { maxInstallments: 361, periods: [] }],
      ["periodAboveMaxTerm", { maxInstallments: 12, periods: [POOL_TERMS.maxTermSeconds + 1n] }],
    ] as const)("%s_failsWithPoolInvalidInstallmentTerms", async (_name, terms) => {
      expectCustomError(await setTerms(terms), E.PoolInvalidInstallmentTerms);
    });

    it("maxOf360AndPeriodAtMaxTerm_areAccepted", async () => {
      expectOk(await setTerms({ maxInstallments: 360, periods: [POOL_TERMS.maxTermSeconds] }));
      expect(pool().max_installments).toBe(360);
    });

    it("notAdmin_failsWithUnauthorized", async () => {
      expectCustomError(await setTerms(TERMS, fixture.guardian), E.Unauthorized);
    });
  });
});
