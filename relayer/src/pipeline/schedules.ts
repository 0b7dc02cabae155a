// The installment mirror (LOANS.md "Installments"): repayments send no
// packet until the loan is repaid, so each loan's schedule and the
// installments paid are read from its lending pool at finality, a bounded
// batch per iteration, the loans least recently read first. The principal
// still owed is read with it: partial repayments send no packet either.
//
// What to read is found by change detection, so the work follows the
// repayments, not the number of active loans: every `scheduleReadIntervalMs`
// (to 1.25 times it: which pools are due is asked of the store a quarter
// interval apart, for the question reads every active loan's row)
// each pool with active loans is scanned once (PoolLoanReader.changedLoans:
// an EVM pool's repayment logs since the stored cursor, the Solana pool's
// active loans in one account query), and the scan's changed loans and
// cursor are stored together. A loan is read when it is new (its first
// read), when a scan found it changed since its last read, and once more
// after it became final (the repayment that closed it completed its last
// installments). No periodic full re-read: the logs are the pool's own
// record of every repayment, a cursor moves only in the same transaction as
// its marks, and the Solana scan compares the pool's state with the
// mirror's, so a missed or failed read is found again at the next scan.
import { annuitySchedule, type Hex, installmentDueTimes } from "@loanbridge/shared";
import type { PoolLoanSchedule } from "../chains/types.ts";
import type { LoanScheduleInput, ScheduleScanTarget, ScheduleSyncTarget } from "../store/types.ts";
import type { PipelineContext } from "./context.ts";

const secondsToDate = (seconds: bigint): Date => new Date(Number(seconds) * 1_000);

/**
 * When the pipeline last asked the store which pools are due a scan: the
 * question costs a read of every active loan's row, so it is asked a
 * quarter interval apart, not every iteration. A pool is then scanned
 * every interval to 1.25 times it, and a new one within a quarter interval.
 */
export class ScanAsks {
  readonly #now: () => number;
  #lastAt: number | undefined;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Whether to ask now, with scans `intervalMs` apart; an ask is counted when said yes. */
  due(intervalMs: number): boolean {
    const now = this.#now();
    if (this.#lastAt !== undefined && now - this.#lastAt < intervalMs / 4) return false;
    this.#lastAt = now;
    return true;
  }
}

/**
 * The plan to record: the pool's period, payment, start and due times, and
 * each installment's planned amount from the schedule of the principal the
 * loan opened with (the pool's payment is the schedule's; the rows say how
 * much the last one is).
 */
export function planOf(
  openedPrincipal: bigint,
  rateBps: number,
  schedule: PoolLoanSchedule,
): LoanScheduleInput {
  const { rows } = annuitySchedule({
    principal: openedPrincipal,
    rateBps: BigInt(rateBps),
    periodSeconds: schedule.periodSeconds,
    installments: schedule.installments,
  });
  const dueTimes = installmentDueTimes(
    schedule.startTime,
    schedule.periodSeconds,
    schedule.installments,
    schedule.dueBucketSeconds,
  );
  return {
    installments: schedule.installments,
    periodSeconds: schedule.periodSeconds,
    installmentAmount: schedule.installmentAmount,
    startAt: secondsToDate(schedule.startTime),
    dues: rows.map((row, offset) => ({
      dueAt: secondsToDate(dueTimes[offset] ?? schedule.startTime),
      amountDue: row.amount,
    })),
  };
}

async function syncOne(context: PipelineContext, loan: ScheduleSyncTarget): Promise<void> {
  const reader = context.chains.poolReaders?.get(loan.lendingEid);
  if (reader === undefined) return;
  const schedule = await reader.readSchedule(loan.pool, loan.loanId, loan.openedAt);
  if (schedule !== undefined) {
    await context.store.recordLoanSchedule(
      loan.loanId,
      planOf(loan.openedPrincipal, loan.rateBps, schedule),
    );
    await context.store.recordInstallmentPayments(
      loan.loanId,
      schedule.payments.map((payment) => ({
        index: payment.index,
        amount: payment.amount,
        remainingPrincipal: payment.remainingPrincipal,
        paidAt: secondsToDate(payment.paidAt),
      })),
    );
    await context.store.recordOutstandingPrincipal(loan.loanId, schedule.outstandingPrincipal);
  }
  await context.store.markScheduleRead(loan.loanId, loan.readAsOf);
}

async function scanOne(context: PipelineContext, target: ScheduleScanTarget): Promise<void> {
  const reader = context.chains.poolReaders?.get(target.lendingEid);
  if (reader === undefined) return;
  const { changed, scannedTo } = await reader.changedLoans(
    target.pool,
    target.scannedTo,
    target.loans,
  );
  await context.store.recordScheduleScan({
    lendingEid: target.lendingEid,
    pool: target.pool,
    changed,
    scannedTo,
  });
}

/**
 * Scans each pool whose last scan is older than the interval for changed
 * loans; a pool that fails is reported and scanned again after the interval
 * from where it was (its cursor did not move).
 */
export async function scanPools(context: PipelineContext): Promise<void> {
  const readers = context.chains.poolReaders;
  if (readers === undefined || readers.size === 0) return;
  if (context.scanAsks?.due(context.settings.scheduleReadIntervalMs) === false) return;
  const pools = await context.store.scheduleScanTargets({
    lendingEids: [...readers.keys()],
    scannedBefore: new Date(Date.now() - context.settings.scheduleReadIntervalMs),
  });
  for (const pool of pools) {
    if (context.signal?.aborted === true) break;
    try {
      await scanOne(context, pool);
    } catch (error) {
      context.onError(error, "schedules", pool.pool);
      try {
        await context.store.recordScheduleScanFailed({
          lendingEid: pool.lendingEid,
          pool: pool.pool,
        });
      } catch (markError) {
        context.onError(markError, "schedules", pool.pool);
      }
    }
  }
}

/**
 * Scans the pools when due, then reads one bounded batch of the loans to
 * read; returns how many were read.
 */
export async function syncSchedules(context: PipelineContext): Promise<number> {
  const readers = context.chains.poolReaders;
  if (readers === undefined || readers.size === 0) return 0;
  await scanPools(context);
  const loans = await context.store.scheduleSyncTargets({
    lendingEids: [...readers.keys()],
    limit: context.settings.batchSize,
    readBefore: new Date(Date.now() - context.settings.scheduleReadIntervalMs),
  });
  let read = 0;
  for (const loan of loans) {
    if (context.signal?.aborted === true) break;
    try {
      await syncOne(context, loan);
      read += 1;
    } catch (error) {
      context.onError(error, "schedules", loan.loanId satisfies Hex);
      try {
        await context.store.markScheduleReadFailed(loan.loanId);
      } catch (markError) {
        context.onError(markError, "schedules", loan.loanId);
      }
    }
  }
  return read;
}
