// The installment mirror (LOANS.md "Installments"): repayments send no
// packet until the loan is repaid, so each loan's schedule and the
// installments paid are read from its lending pool at finality, a bounded
// batch per iteration, the loans least recently read first. A loan is read
// while its pool side is active, and once more after it became final (the
// repayment that closed it completed its last installments). The principal
// still owed is read with it: partial repayments send no packet either.
import { annuitySchedule, type Hex, installmentDueTimes } from "@loanbridge/shared";
import type { PoolLoanSchedule } from "../chains/types.ts";
import type { LoanScheduleInput, ScheduleSyncTarget } from "../store/types.ts";
import type { PipelineContext } from "./context.ts";

const secondsToDate = (seconds: bigint): Date => new Date(Number(seconds) * 1_000);

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

/** Reads one bounded batch of loans' schedules; returns how many were read. */
export async function syncSchedules(context: PipelineContext): Promise<number> {
  const readers = context.chains.poolReaders;
  if (readers === undefined || readers.size === 0) return 0;
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
