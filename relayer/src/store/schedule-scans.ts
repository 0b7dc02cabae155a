// The installment mirror's change detection in the store (schedules.ts,
// LOANS.md "Installments"): which lending pools to scan, with their active
// loans as last read, and what a scan found. A scan's changed loans and how
// far it read are stored together, so a restart neither misses a range (a
// loan marked changed is read until a read succeeds) nor reads one again.
import type { Hex } from "@loanbridge/shared";
import { type Kysely, sql } from "kysely";
import type { Database } from "./database.ts";
import { StoreError } from "./errors.ts";
import type { ScheduleScanTarget } from "./types.ts";

/**
 * The loan's first packet delivered from its lending chain (LOAN_ACTIVE): its
 * sender is the pool to read, its height where the loan was opened. A packet
 * any other app sent with the same loan id is never delivered by the
 * collateral chain's endpoint, so it cannot point a read elsewhere.
 */
export const DELIVERED_POOL_PACKET = sql`
  JOIN LATERAL (
    SELECT packet, source_height FROM packets
    WHERE loan_id = l.loan_id AND src_eid = l.lending_eid AND status = 'delivered'
    ORDER BY source_height, source_index LIMIT 1
  ) p ON true`;

const poolKey = (lendingEid: number, pool: string) => `${lendingEid}:${pool}`;

/**
 * A pool as `schedule_scans` keys it: the sender of the loan's delivered
 * packet (`p.packet`), lowercase hex. Bytes 13..45 of a version-1 packet:
 * version (1), nonce (8), source eid (4), then the sender (32).
 */
const PACKET_SENDER = sql`'0x' || encode(substring(p.packet from 14 for 32), 'hex')`;

/**
 * The pools (per lending chain, by the sender of their loans' delivered
 * packets) with active loans the mirror reads, whose last scan ended before
 * `scannedBefore` or that were never scanned; with those loans as recorded.
 * Pools scanned since are left out in the query itself, so none of their
 * loans comes back; the query still reads every active loan's row to find
 * its pool, which is why the mirror asks a quarter interval apart.
 */
export async function scheduleScanTargets(
  db: Kysely<Database>,
  query: { lendingEids: readonly number[]; scannedBefore: Date },
): Promise<ScheduleScanTarget[]> {
  if (query.lendingEids.length === 0) return [];
  const { rows } = await sql<{
    loan_id: string;
    lending_eid: string | number;
    principal: string | null;
    pool: string;
    scanned_to: string | number | null;
    paid: string | number;
  }>`
    SELECT l.loan_id, l.lending_eid, l.principal, ${PACKET_SENDER} AS pool, s.scanned_to,
      (SELECT count(*) FROM loan_installments i
        WHERE i.loan_id = l.loan_id AND i.paid_at IS NOT NULL) AS paid
    FROM loans l ${DELIVERED_POOL_PACKET}
    LEFT JOIN schedule_scans s
      ON s.lending_eid = l.lending_eid AND s.pool = ${PACKET_SENDER}
    WHERE l.lending_eid IN (${sql.join(query.lendingEids)})
      AND l.opened_principal IS NOT NULL AND l.rate_bps IS NOT NULL
      AND l.pool_state = 'Active'
      AND (s.scanned_at IS NULL OR s.scanned_at < CAST(${query.scannedBefore} AS timestamptz))
    ORDER BY l.loan_id`.execute(db);
  const targets = new Map<string, ScheduleScanTarget>();
  for (const row of rows) {
    const lendingEid = Number(row.lending_eid);
    const pool = row.pool as Hex;
    const key = poolKey(lendingEid, pool);
    let target = targets.get(key);
    if (target === undefined) {
      target = {
        lendingEid,
        pool,
        scannedTo: row.scanned_to === null ? undefined : BigInt(row.scanned_to),
        loans: [],
      };
      targets.set(key, target);
    }
    target.loans.push({
      loanId: row.loan_id as Hex,
      outstandingPrincipal: row.principal === null ? undefined : BigInt(row.principal),
      paidInstallments: Number(row.paid),
    });
  }
  return [...targets.values()];
}

/**
 * Records one scan of a pool, all or none: its `changed` loans (on that
 * lending chain) are read again once the mirror gets to them, and the pool
 * was scanned up to `scannedTo` now. A cursor never moves back (two
 * relayers sharing a store may finish scans out of order).
 */
export async function recordScheduleScan(
  db: Kysely<Database>,
  scan: { lendingEid: number; pool: Hex; changed: readonly Hex[]; scannedTo: bigint },
): Promise<void> {
  if (scan.scannedTo < 0n) {
    throw new StoreError("InvalidInput", "scannedTo must not be negative");
  }
  await db.transaction().execute(async (trx) => {
    if (scan.changed.length > 0) {
      await trx
        .updateTable("loans")
        .set({ schedule_changed_at: sql<Date>`now()` })
        .where("lending_eid", "=", scan.lendingEid)
        .where(
          "loan_id",
          "in",
          scan.changed.map((loanId) => loanId.toLowerCase()),
        )
        .execute();
    }
    await trx
      .insertInto("schedule_scans")
      .values({
        lending_eid: scan.lendingEid,
        pool: scan.pool.toLowerCase(),
        scanned_to: scan.scannedTo.toString(),
        scanned_at: sql<Date>`now()`,
      })
      .onConflict((conflict) =>
        conflict.columns(["lending_eid", "pool"]).doUpdateSet({
          // GREATEST ignores NULL: a first cursor replaces none.
          scanned_to: sql<string>`GREATEST(schedule_scans.scanned_to, excluded.scanned_to)`,
          scanned_at: sql<Date>`now()`,
        }),
      )
      .execute();
  });
}

/**
 * Records that a scan of a pool failed now: nothing marked, the cursor where
 * it was, and the next scan after the interval (a failing RPC is not asked
 * again every iteration).
 */
export async function recordScheduleScanFailed(
  db: Kysely<Database>,
  scan: { lendingEid: number; pool: Hex },
): Promise<void> {
  await db
    .insertInto("schedule_scans")
    .values({
      lending_eid: scan.lendingEid,
      pool: scan.pool.toLowerCase(),
      scanned_to: null,
      scanned_at: sql<Date>`now()`,
    })
    .onConflict((conflict) =>
      conflict.columns(["lending_eid", "pool"]).doUpdateSet({ scanned_at: sql<Date>`now()` }),
    )
    .execute();
}
