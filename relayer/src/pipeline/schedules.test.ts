// The installment mirror's stage against a real in-memory PGlite store. Only
// the lending pool is a stand-in: a reader that returns what a pool holds.
import {
  annuitySchedule,
  computeGuid,
  decodePacket,
  encodeLoanMessage,
  encodePacket,
  type Hex,
  installmentDueTimes,
  type LoanMessage,
} from "@loanbridge/shared";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type {
  MirroredPoolLoan,
  PoolChanges,
  PoolLoanReader,
  PoolLoanSchedule,
} from "../chains/types.ts";
import { RelayerEvents } from "../observability/events.ts";
import type { Store } from "../store/store.ts";
import { freshTestStore } from "../store/testing.ts";
import type { PipelineContext } from "./context.ts";
import { planOf, ScanAsks, syncSchedules } from "./schedules.ts";
import { DST, recordActiveLoan, SRC, word } from "./testing.ts";
import { ReadyTimes } from "./takeover.ts";

const LENDING = DST;
const COLLATERAL = SRC;
const PRINCIPAL = 3_000_000_000n;
const RATE_BPS = 800;
const DAY = 86_400n;
const START = 1_767_225_600n; // 2026-01-01T00:00:00Z

/** A pool's answer for a 3-installment loan, with the installments paid so far. */
function poolSchedule(payments: PoolLoanSchedule["payments"]): PoolLoanSchedule {
  const { payment } = annuitySchedule({
    principal: PRINCIPAL,
    rateBps: BigInt(RATE_BPS),
    periodSeconds: DAY,
    installments: 3,
  });
  return {
    installments: 3,
    periodSeconds: DAY,
    startTime: START,
    installmentAmount: payment,
    outstandingPrincipal: PRINCIPAL - BigInt(payments.length) * 900_000_000n,
    dueBucketSeconds: 3_600n,
    payments,
  };
}

/**
 * Stands in for a lending pool: answers from `loans`, counts reads and
 * scans, can be made to fail. A scan finds the loans whose principal or
 * installments paid differ from the mirror's, and moves its cursor by one.
 */
class PoolDouble implements PoolLoanReader {
  readonly eid = LENDING;
  readonly loans = new Map<Hex, PoolLoanSchedule>();
  readonly reads: { pool: Hex; loanId: Hex; openedAt: bigint }[] = [];
  readonly scans: { pool: Hex; scannedTo: bigint | undefined; known: number }[] = [];
  failing = false;
  scanFailing = false;

  readSchedule(pool: Hex, loanId: Hex, openedAt: bigint): Promise<PoolLoanSchedule | undefined> {
    this.reads.push({ pool, loanId, openedAt });
    if (this.failing) return Promise.reject(new Error("pool unreachable"));
    return Promise.resolve(this.loans.get(loanId));
  }

  changedLoans(
    pool: Hex,
    scannedTo: bigint | undefined,
    known: readonly MirroredPoolLoan[],
  ): Promise<PoolChanges> {
    this.scans.push({ pool, scannedTo, known: known.length });
    if (this.scanFailing) return Promise.reject(new Error("logs unreachable"));
    const changed = known
      .filter((loan) => {
        const held = this.loans.get(loan.loanId);
        return (
          held !== undefined &&
          (held.outstandingPrincipal !== loan.outstandingPrincipal ||
            held.payments.length !== loan.paidInstallments)
        );
      })
      .map((loan) => loan.loanId);
    return Promise.resolve({ changed, scannedTo: (scannedTo ?? 0n) + 1n });
  }
}

const firstPayment = {
  index: 1,
  amount: poolSchedule([]).installmentAmount,
  remainingPrincipal: 2_100_000_000n,
  paidAt: START + DAY + 5n,
};

let store: Store;
let pool: PoolDouble;
let context: PipelineContext;
let errors: string[];

beforeEach(async () => {
  store = await freshTestStore();
  pool = new PoolDouble();
  errors = [];
  context = {
    relayerId: "schedules-test",
    store,
    events: new RelayerEvents(),
    chains: {
      watchers: [],
      verifiers: new Map(),
      deliverers: new Map(),
      signers: new Map(),
      kinds: new Map(),
      loanApps: new Map(),
      poolReaders: new Map([[LENDING, pool]]),
    },
    settings: {
      batchSize: 10,
      maxAttempts: 3,
      leaseMs: 60_000,
      pollIntervalMs: 50,
      scheduleReadIntervalMs: 60_000,
      retryBackoff: { initialMs: 150, maxMs: 300, factor: 2 },
    },
    executor: false,
    takeoverWindowMs: 0,
    readyTimes: new ReadyTimes(),
    peers: [],
    peerTimeoutMs: 300,
    startHeights: new Map(),
    onError: (error, where) => {
      errors.push(`${where}: ${String(error)}`);
    },
  };
});

afterEach(async () => {
  await store.close();
});

/** A loan the mirror has seen opened and answered Active, with the pool's LOAN_ACTIVE stored. */
async function activeLoan(n: number): Promise<{ loanId: Hex; poolApp: Hex; active: LoanMessage }> {
  const loanId = word(0x5000 + n);
  const { observed, active } = await recordActiveLoan(store, {
    nonce: BigInt(n),
    loanId,
    collateralEid: COLLATERAL,
    lendingEid: LENDING,
    principal: PRINCIPAL,
    rateBps: RATE_BPS,
    installments: 3,
    startTime: START,
    dueTime: START + 3n * DAY,
  });
  return { loanId, poolApp: decodePacket(observed.packet).sender, active };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("ScanAsks", () => {
  it("isDueFirst_thenAQuarterIntervalAfterEachAsk_andAlwaysAtIntervalZero", () => {
    let now = 1_000;
    const asks = new ScanAsks(() => now);
    expect(asks.due(10_000)).toBe(true);
    now += 2_499;
    expect(asks.due(10_000)).toBe(false);
    now += 1;
    expect(asks.due(10_000)).toBe(true);
    expect(asks.due(10_000)).toBe(false);
    expect(asks.due(0)).toBe(true);
    expect(asks.due(0)).toBe(true);
  });
});

describe("syncSchedules", () => {
  it("activeLoan_recordsThePoolsPlanAndPayments_fromItsAddressAndOpeningBlock", async () => {
    const { loanId, poolApp } = await activeLoan(1);
    const paid = {
      index: 1,
      amount: poolSchedule([]).installmentAmount,
      remainingPrincipal: 2_000_000_000n,
      paidAt: START + DAY + 5n,
    };
    pool.loans.set(loanId, poolSchedule([paid]));

    expect(await syncSchedules(context)).toBe(1);

    expect(pool.reads).toEqual([{ pool: poolApp, loanId, openedAt: 101n }]);
    const plan = planOf(PRINCIPAL, RATE_BPS, poolSchedule([]));
    const rows = await store.listInstallments(loanId);
    expect(
      rows.map((row) => [row.index, row.dueAt, row.amountDue, row.paidAmount, row.paidAt]),
    ).toEqual([
      [
        1,
        plan.dues[0]?.dueAt,
        plan.dues[0]?.amountDue,
        paid.amount,
        new Date(Number(paid.paidAt) * 1_000),
      ],
      [2, plan.dues[1]?.dueAt, plan.dues[1]?.amountDue, 0n, null],
      [3, plan.dues[2]?.dueAt, plan.dues[2]?.amountDue, 0n, null],
    ]);
    expect(rows[0]?.remainingPrincipal).toBe(2_000_000_000n);
    expect((await store.getLoan(loanId))?.principal).toBe(2_100_000_000n);
    expect(errors).toEqual([]);
  });

  it("planOf_dueTimesRoundUpToTheBucket_lastRowAbsorbsTheRounding", () => {
    const plan = planOf(PRINCIPAL, RATE_BPS, { ...poolSchedule([]), startTime: START + 1n });
    const dues = installmentDueTimes(START + 1n, DAY, 3, 3_600n);
    expect(plan.dues.map((due) => BigInt(due.dueAt.getTime() / 1_000))).toEqual(dues);
    expect(dues[0]).toBe(START + DAY + 3_600n);
    const { rows, payment } = annuitySchedule({
      principal: PRINCIPAL,
      rateBps: BigInt(RATE_BPS),
      periodSeconds: DAY,
      installments: 3,
    });
    expect(plan.dues.map((due) => due.amountDue)).toEqual(rows.map((row) => row.amount));
    expect(plan.installmentAmount).toBe(payment);
  });

  it("readAgain_onlyWhenAScanFindsItChanged_orOnceAfterTheLoanBecameFinal", async () => {
    const { loanId } = await activeLoan(2);
    pool.loans.set(loanId, poolSchedule([]));
    await syncSchedules(context);
    context.settings.scheduleReadIntervalMs = 0;
    expect(await syncSchedules(context)).toBe(0);
    expect(pool.reads).toHaveLength(1);

    // Repaid in part: the next scan finds it, one read records the payment.
    pool.loans.set(loanId, poolSchedule([firstPayment]));
    expect(await syncSchedules(context)).toBe(1);
    expect(await syncSchedules(context)).toBe(0);
    expect((await store.listInstallments(loanId))[0]?.paidAt).not.toBeNull();

    context.settings.scheduleReadIntervalMs = 60_000;
    await store.upsertLoan({
      loanId,
      collateralEid: COLLATERAL,
      lendingEid: LENDING,
      side: "pool",
      state: "Repaid",
      principal: 0n,
    });
    expect(await syncSchedules(context)).toBe(1);
    expect(await syncSchedules(context)).toBe(0);
    expect(pool.reads).toHaveLength(3);

    context.settings.scheduleReadIntervalMs = 0;
    expect(await syncSchedules(context)).toBe(0);
  });

  it("unchangedLoans_costOneScanPerPool_andOnlyTheRepaidOneIsRead", async () => {
    context.settings.batchSize = 50;
    const loans = [];
    for (let n = 20; n < 40; n++) {
      const loan = await activeLoan(n);
      pool.loans.set(loan.loanId, poolSchedule([]));
      loans.push(loan);
    }
    expect(await syncSchedules(context)).toBe(20);
    context.settings.scheduleReadIntervalMs = 0;
    const scansBefore = pool.scans.length;

    for (let i = 0; i < 5; i++) expect(await syncSchedules(context)).toBe(0);
    const repaid = loans[7]?.loanId as Hex;
    pool.loans.set(repaid, poolSchedule([firstPayment]));
    expect(await syncSchedules(context)).toBe(1);

    expect(pool.reads.slice(20).map((read) => read.loanId)).toEqual([repaid]);
    // One scan per pass for the pool, each with all 20 loans to compare.
    expect(pool.scans.slice(scansBefore).map((scan) => scan.known)).toEqual(Array(6).fill(20));
  });

  it("eachScan_startsWhereTheStoredOneEnded_andOnlyOncePerInterval", async () => {
    const { loanId, poolApp } = await activeLoan(9);
    pool.loans.set(loanId, poolSchedule([]));
    await syncSchedules(context);
    await syncSchedules(context);
    expect(pool.scans.map((scan) => scan.scannedTo)).toEqual([undefined]);

    context.settings.scheduleReadIntervalMs = 0;
    await syncSchedules(context);
    await syncSchedules(context);
    expect(pool.scans.map((scan) => [scan.pool, scan.scannedTo])).toEqual([
      [poolApp, undefined],
      [poolApp, 1n],
      [poolApp, 2n],
    ]);
  });

  it("whichPoolsAreDue_isAskedAQuarterIntervalApart_notEveryIteration", async () => {
    const { loanId } = await activeLoan(14);
    pool.loans.set(loanId, poolSchedule([]));
    let now = 0;
    context.scanAsks = new ScanAsks(() => now);
    context.settings.scheduleReadIntervalMs = 100;
    await syncSchedules(context);
    expect(pool.scans).toHaveLength(1);

    // The pool is due again by the store's clock, but the last ask is not a
    // quarter interval old: no ask, no scan.
    await sleep(150);
    now = 24;
    await syncSchedules(context);
    expect(pool.scans).toHaveLength(1);

    now = 25;
    await syncSchedules(context);
    expect(pool.scans).toHaveLength(2);
  });

  it("aScanThatFails_isReported_marksNothing_andIsTriedAgainAfterTheIntervalFromItsCursor", async () => {
    const { loanId } = await activeLoan(10);
    pool.loans.set(loanId, poolSchedule([]));
    await syncSchedules(context);
    pool.loans.set(loanId, poolSchedule([firstPayment]));
    pool.scanFailing = true;
    context.settings.scheduleReadIntervalMs = 0;

    expect(await syncSchedules(context)).toBe(0);
    expect(errors).toEqual(["schedules: Error: logs unreachable"]);

    context.settings.scheduleReadIntervalMs = 60_000;
    pool.scanFailing = false;
    expect(await syncSchedules(context)).toBe(0);
    expect(pool.scans).toHaveLength(2);

    context.settings.scheduleReadIntervalMs = 0;
    expect(await syncSchedules(context)).toBe(1);
    expect(pool.scans.map((scan) => scan.scannedTo)).toEqual([undefined, 1n, 1n]);
  });

  it("aPoolThatFails_isReported_andTheLoanTriedAgainOnlyAfterTheInterval", async () => {
    const { loanId } = await activeLoan(3);
    pool.loans.set(loanId, poolSchedule([]));
    pool.failing = true;

    expect(await syncSchedules(context)).toBe(0);
    expect(errors).toEqual(["schedules: Error: pool unreachable"]);

    pool.failing = false;
    expect(await syncSchedules(context)).toBe(0);
    expect(pool.reads).toHaveLength(1);
    context.settings.scheduleReadIntervalMs = 0;
    expect(await syncSchedules(context)).toBe(1);
    expect(await store.listInstallments(loanId)).toHaveLength(3);
  });

  it("failingLoans_doNotTakeEveryBatch_theOthersAreStillRead", async () => {
    context.settings.batchSize = 2;
    const failing = [await activeLoan(5), await activeLoan(6)];
    const healthy = await activeLoan(7);
    pool.loans.set(healthy.loanId, poolSchedule([]));
    // The two failing loans (no answer to plan from) come first: never read before.
    pool.readSchedule = (poolApp, loanId, openedAt) => {
      pool.reads.push({ pool: poolApp, loanId, openedAt });
      return failing.some((loan) => loan.loanId === loanId)
        ? Promise.reject(new Error("unreadable"))
        : Promise.resolve(pool.loans.get(loanId));
    };

    await syncSchedules(context);
    expect(await syncSchedules(context)).toBe(1);

    expect(pool.reads.map((read) => read.loanId).slice(-1)).toEqual([healthy.loanId]);
    expect(await store.listInstallments(healthy.loanId)).toHaveLength(3);
  });

  it("aPacketAnotherAppSentForTheLoan_neverNamesThePoolRead_onlyADeliveredOne", async () => {
    const { loanId, poolApp, active } = await activeLoan(8);
    // Earlier on the lending chain, an app that is no peer of the vault sent
    // the same LOAN_ACTIVE: proven on its chain, never delivered.
    const header = {
      nonce: 1n,
      srcEid: LENDING,
      sender: word(0xe71),
      dstEid: COLLATERAL,
      receiver: word(0xb),
    };
    const packet = encodePacket(header, encodeLoanMessage(active));
    await store.recordObserved({
      packet,
      guid: computeGuid(header),
      srcEid: LENDING,
      dstEid: COLLATERAL,
      nonce: 1n,
      sourceTx: word(0xe72),
      sourceHeight: 1n,
      sourceIndex: 0,
    });
    await store.markVerified(computeGuid(header), { loanId });
    pool.loans.set(loanId, poolSchedule([]));

    expect(await syncSchedules(context)).toBe(1);

    expect(pool.reads).toEqual([{ pool: poolApp, loanId, openedAt: 108n }]);
  });

  it("aLoanWithoutItsPoolsPacket_orOnAChainWithNoReader_isNotRead", async () => {
    const loanId = word(0x6000);
    await store.upsertLoan({
      loanId,
      collateralEid: COLLATERAL,
      lendingEid: LENDING,
      side: "pool",
      state: "Active",
      principal: PRINCIPAL,
      rateBps: RATE_BPS,
    });
    expect(await syncSchedules(context)).toBe(0);
    const elsewhere = await activeLoan(4);
    context.chains = { ...context.chains, poolReaders: new Map() };
    expect(await syncSchedules(context)).toBe(0);
    expect(pool.reads.map((read) => read.loanId)).not.toContain(elsewhere.loanId);
  });
});
