// Installment loans in the mirror (LOANS.md "Installments"): each loan's
// plan, recorded once, and its installments' payments, recorded as the
// chains report them. A payment is final on its chain (an installment is
// completed once, by one repayment), so an installment once paid stays paid
// with its first report; a report that contradicts it is a Conflict.
import type { Hex } from "@loanbridge/shared";
import { type Kysely, type Selectable, sql, type Transaction } from "kysely";
import type { Database, LoanInstallmentsTable } from "./database.ts";
import { StoreError } from "./errors.ts";
import {
  type InstallmentPayment,
  type InstallmentRecord,
  LOAN_OUTCOMES,
  type LoanOutcome,
  type LoanScheduleInput,
} from "./types.ts";

type Db = Kysely<Database> | Transaction<Database>;

/** The wire's `installments` is a uint16 (SPEC.md). */
export const MAX_INSTALLMENTS = 65_535;

function invalid(message: string): StoreError {
  return new StoreError("InvalidInput", message);
}

function assertSchedule(schedule: LoanScheduleInput): void {
  const { installments, dues } = schedule;
  if (!Number.isInteger(installments) || installments < 1 || installments > MAX_INSTALLMENTS) {
    throw invalid(`installments must be a whole number from 1 to ${MAX_INSTALLMENTS}`);
  }
  if (dues.length !== installments) {
    throw invalid(`the schedule has ${dues.length} due times for ${installments} installments`);
  }
  if (schedule.periodSeconds <= 0n) throw invalid("periodSeconds must be positive");
  if (schedule.installmentAmount < 0n) throw invalid("installmentAmount must not be negative");
  if (Number.isNaN(schedule.startAt.getTime())) throw invalid("startAt is not a time");
  let previous = -Infinity;
  for (const [offset, due] of dues.entries()) {
    const at = due.dueAt.getTime();
    // due_k = ⌈(start + k × T) / W⌉ × W never decreases with k.
    if (Number.isNaN(at) || at < previous) {
      throw invalid(`installment ${offset + 1}'s due time is not a time at or after the previous`);
    }
    if (due.amountDue < 0n)
      throw invalid(`installment ${offset + 1}'s amount must not be negative`);
    previous = at;
  }
}

function assertPayment(payment: InstallmentPayment): void {
  if (!Number.isInteger(payment.index) || payment.index < 1 || payment.index > MAX_INSTALLMENTS) {
    throw invalid(`an installment index must be a whole number from 1 to ${MAX_INSTALLMENTS}`);
  }
  if (payment.amount < 0n || payment.remainingPrincipal < 0n) {
    throw invalid(`installment ${payment.index}'s amounts must not be negative`);
  }
  if (Number.isNaN(payment.paidAt.getTime())) {
    throw invalid(`installment ${payment.index}'s paidAt is not a time`);
  }
}

/**
 * Records a loan's plan and its installments, unpaid. Idempotent: the same
 * plan again changes nothing (payments recorded since stay); another plan
 * for the loan is a Conflict; a loan not mirrored is NotFound.
 */
export async function recordSchedule(
  db: Kysely<Database>,
  loanId: Hex,
  schedule: LoanScheduleInput,
): Promise<InstallmentRecord[]> {
  assertSchedule(schedule);
  return db.transaction().execute(async (trx) => {
    const loan = await trx
      .selectFrom("loans")
      .select(["period_seconds", "installments", "installment_amount", "start_at"])
      .where("loan_id", "=", loanId)
      .forUpdate()
      .executeTakeFirst();
    if (loan === undefined) throw new StoreError("NotFound", `loan ${loanId} is not recorded`);
    if (loan.period_seconds !== null) {
      const rows = await installmentsOf(trx, [loanId]);
      const same =
        loan.installments === schedule.installments &&
        loan.period_seconds === schedule.periodSeconds.toString() &&
        loan.installment_amount === schedule.installmentAmount.toString() &&
        loan.start_at?.getTime() === schedule.startAt.getTime() &&
        rows.length === schedule.dues.length &&
        schedule.dues.every(
          ({ dueAt, amountDue }, offset) =>
            rows[offset]?.dueAt.getTime() === dueAt.getTime() &&
            rows[offset].amountDue === amountDue,
        );
      if (!same) {
        throw new StoreError("Conflict", `loan ${loanId} already has another schedule`, {
          details: `recorded: ${loan.installments} installments of ${String(loan.installment_amount)} every ${loan.period_seconds} s`,
        });
      }
      return rows;
    }
    await trx
      .updateTable("loans")
      .set({
        installments: schedule.installments,
        period_seconds: schedule.periodSeconds.toString(),
        installment_amount: schedule.installmentAmount.toString(),
        start_at: schedule.startAt,
        updated_at: sql<Date>`now()`,
      })
      .where("loan_id", "=", loanId)
      .execute();
    await trx
      .insertInto("loan_installments")
      .values(
        schedule.dues.map((due, offset) => ({
          loan_id: loanId,
          idx: offset + 1,
          due_at: due.dueAt,
          amount_due: due.amountDue.toString(),
        })),
      )
      .execute();
    return installmentsOf(trx, [loanId]);
  });
}

/**
 * Records installments completed by repayments, all or none. An unpaid
 * installment becomes paid; one already paid with the same report stays as
 * it is, one paid otherwise is a Conflict. An installment the loan's
 * recorded schedule does not have is NotFound (record the schedule first).
 */
export async function recordPayments(
  db: Kysely<Database>,
  loanId: Hex,
  payments: readonly InstallmentPayment[],
): Promise<InstallmentRecord[]> {
  for (const payment of payments) assertPayment(payment);
  return db.transaction().execute(async (trx) => {
    const rows = await trx
      .selectFrom("loan_installments")
      .selectAll()
      .where("loan_id", "=", loanId)
      .forUpdate()
      .execute();
    const byIndex = new Map(rows.map((row) => [row.idx, toInstallment(row)]));
    let changed = false;
    for (const payment of payments) {
      const stored = byIndex.get(payment.index);
      if (stored === undefined) {
        throw new StoreError(
          "NotFound",
          `loan ${loanId} has no installment ${payment.index} recorded`,
          { details: "record the loan's schedule before its payments" },
        );
      }
      if (stored.paidAt !== null) {
        if (samePayment(stored, payment)) continue;
        throw new StoreError(
          "Conflict",
          `installment ${payment.index} of loan ${loanId} is recorded paid otherwise`,
          {
            details: `recorded ${stored.paidAmount} at ${stored.paidAt.toISOString()}, got ${payment.amount} at ${payment.paidAt.toISOString()}`,
          },
        );
      }
      const row = await trx
        .updateTable("loan_installments")
        .set({
          paid_amount: payment.amount.toString(),
          paid_at: payment.paidAt,
          remaining_principal: payment.remainingPrincipal.toString(),
        })
        .where("loan_id", "=", loanId)
        .where("idx", "=", payment.index)
        .returningAll()
        .executeTakeFirstOrThrow();
      byIndex.set(payment.index, toInstallment(row));
      changed = true;
    }
    if (changed) {
      await trx
        .updateTable("loans")
        .set({ updated_at: sql<Date>`now()` })
        .where("loan_id", "=", loanId)
        .execute();
    }
    return [...byIndex.values()].sort((a, b) => a.index - b.index);
  });
}

const samePayment = (stored: InstallmentRecord, payment: InstallmentPayment): boolean =>
  stored.paidAt?.getTime() === payment.paidAt.getTime() &&
  stored.paidAmount === payment.amount &&
  stored.remainingPrincipal === payment.remainingPrincipal;

/** The loans' installments, by loan and index. */
export async function installmentsOf(
  db: Db,
  loanIds: readonly string[],
): Promise<InstallmentRecord[]> {
  if (loanIds.length === 0) return [];
  const rows = await db
    .selectFrom("loan_installments")
    .selectAll()
    .where("loan_id", "in", loanIds)
    .orderBy("loan_id")
    .orderBy("idx")
    .execute();
  return rows.map(toInstallment);
}

/**
 * Disbursed loans by outcome (LOAN_OUTCOMES). The same rule as
 * credit/outcome.ts's `outcomeOf`, in SQL so the snapshot reads counts, not
 * rows; a test holds the two equal.
 */
export async function outcomeCounts(db: Db): Promise<Record<LoanOutcome, number>> {
  const installment = (condition: string) =>
    sql.raw(
      `EXISTS (SELECT 1 FROM loan_installments i WHERE i.loan_id = l.loan_id AND ${condition})`,
    );
  // `IS NOT DISTINCT FROM`: a state not mirrored (NULL) is false here, never unknown.
  const side = (pool: string, vault: string) =>
    sql.raw(
      `(l.pool_state IS NOT DISTINCT FROM '${pool}' OR (l.pool_state IS NULL AND l.vault_state IS NOT DISTINCT FROM '${vault}'))`,
    );
  const active = side("Active", "Active");
  const repaid = side("Repaid", "Released");
  const { rows } = await sql<{ outcome: LoanOutcome; count: number | string }>`
    SELECT outcome, count(*) AS count FROM (
      SELECT CASE
        WHEN ${side("Defaulted", "Seized")} THEN 'defaulted'
        WHEN l.pool_state IS NOT DISTINCT FROM 'Liquidated' THEN 'liquidated'
        WHEN NOT (${active} OR ${repaid}) THEN NULL
        WHEN ${installment("i.paid_at > i.due_at")} THEN 'late'
        WHEN ${active} AND ${installment("i.paid_at IS NULL AND i.due_at < now()")} THEN 'late'
        WHEN ${active} AND NOT ${installment("TRUE")} AND l.due_at < now() THEN 'late'
        WHEN ${repaid} THEN 'repaid'
        ELSE 'active'
      END AS outcome
      FROM loans l
    ) outcomes
    WHERE outcome IS NOT NULL
    GROUP BY outcome`.execute(db);
  const counts = Object.fromEntries(LOAN_OUTCOMES.map((outcome) => [outcome, 0])) as Record<
    LoanOutcome,
    number
  >;
  for (const row of rows) counts[row.outcome] = Number(row.count);
  return counts;
}

function toInstallment(row: Selectable<LoanInstallmentsTable>): InstallmentRecord {
  return {
    loanId: row.loan_id as Hex,
    index: row.idx,
    dueAt: row.due_at,
    amountDue: BigInt(row.amount_due),
    paidAmount: BigInt(row.paid_amount),
    paidAt: row.paid_at,
    remainingPrincipal: row.remaining_principal === null ? null : BigInt(row.remaining_principal),
  };
}
