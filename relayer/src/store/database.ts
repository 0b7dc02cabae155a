// The tables as Kysely sees them. Columns come back as the drivers give them
// (node-postgres and PGlite differ: int8 is a string in one and a number in
// the other, bytea a Buffer or a Uint8Array), so the store converts every
// row itself; exact numbers travel as text (`numeric`) both ways.
import type { ColumnType, Generated } from "kysely";

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<
  Date | null,
  Date | string | null | undefined,
  Date | string | null
>;
/** `bigint` column: a JS number on the way in, number or text on the way out. */
type Int8 = ColumnType<number | string, number, number>;
/** `numeric`: exact decimal text both ways. */
type Numeric = ColumnType<string, string, string>;
type NullableNumeric = ColumnType<string | null, string | null | undefined, string | null>;
type Bytes = ColumnType<Uint8Array, Uint8Array, Uint8Array>;

export interface CursorsTable {
  eid: Int8;
  height: Numeric;
  updated_at: Timestamp;
}

export interface PathCursorsTable {
  src_eid: Int8;
  app: string;
  dst_eid: Int8;
  receiver: string;
  nonce: Numeric;
  updated_at: Timestamp;
}

export interface NonceGapsTable {
  src_eid: Int8;
  app: string;
  dst_eid: Int8;
  receiver: string;
  nonce: Numeric;
  reason: string;
  detected_at: Timestamp;
}

export interface PacketsTable {
  guid: string;
  src_eid: Int8;
  dst_eid: Int8;
  nonce: Numeric;
  packet: Bytes;
  loan_id: string | null;
  source_tx: string;
  source_height: Numeric;
  source_index: number;
  status: ColumnType<string, string | undefined, string>;
  attempts: ColumnType<number, number | undefined, number>;
  last_error: string | null;
  dest_tx: string | null;
  lease_owner: string | null;
  lease_until: NullableTimestamp;
  next_attempt_at: NullableTimestamp;
  observed_at: Timestamp;
  verified_at: NullableTimestamp;
  attested_at: NullableTimestamp;
  /** This relayer's first delivery transaction sent (replacements keep it). */
  submitted_at: NullableTimestamp;
  ready_at: NullableTimestamp;
  delivered_at: NullableTimestamp;
  /** When this row's claim failed its proof for good (a contradicting claim may replace it). */
  disproved_at: NullableTimestamp;
  updated_at: Timestamp;
}

/** A claim that contradicts its guid's row, kept until that row is proven or disproved. */
export interface PacketClaimsTable {
  guid: string;
  src_eid: Int8;
  dst_eid: Int8;
  nonce: Numeric;
  packet: Bytes;
  packet_hash: string;
  loan_id: string | null;
  source_tx: string;
  source_height: Numeric;
  source_index: number;
  observed_at: Timestamp;
}

export interface AttestationsTable {
  guid: string;
  signer: string;
  epoch: Numeric;
  digest: string;
  signature: string;
  created_at: Timestamp;
}

export interface LoansTable {
  loan_id: string;
  collateral_eid: Int8;
  lending_eid: Int8;
  vault_state: string | null;
  pool_state: string | null;
  borrower: string | null;
  collateral_asset: string | null;
  principal: NullableNumeric;
  collateral_amount: NullableNumeric;
  updated_at: Timestamp;
  vault_updated_at: NullableTimestamp;
  pool_updated_at: NullableTimestamp;
  /** Who receives the principal on the lending chain (bytes32), from OPEN_LOAN. */
  recipient: ColumnType<string | null, string | null | undefined, string | null>;
  /** From LOAN_ACTIVE. */
  rate_bps: ColumnType<number | null, number | null | undefined, number | null>;
  due_at: NullableTimestamp;
  /** The plan (LOANS.md "Installments"): 1 for a bullet loan. */
  installments: ColumnType<number, number | undefined, number>;
  period_seconds: NullableNumeric;
  installment_amount: NullableNumeric;
  start_at: NullableTimestamp;
  /** The principal the loan was opened for (OPEN_LOAN, LOAN_ACTIVE); `principal` is what is owed. */
  opened_principal: NullableNumeric;
  /** When the mirror first recorded the loan. */
  created_at: Timestamp;
  /** When the installment mirror last read the loan from its lending pool. */
  schedule_read_at: NullableTimestamp;
  /** When a read of it last failed (tried again after the read interval). */
  schedule_failed_at: NullableTimestamp;
  /** When a scan of its pool last found it changed: read again if that is after its last read. */
  schedule_changed_at: NullableTimestamp;
}

/** How far the installment mirror has scanned each lending pool for changes (schedules.ts). */
export interface ScheduleScansTable {
  lending_eid: Int8;
  /** The pool app, `bytes32`. */
  pool: string;
  /** EVM: the last block whose logs were read; Solana: the slot the accounts were read at. Null until a scan succeeds. */
  scanned_to: NullableNumeric;
  /** When a scan last ended, done or failed. */
  scanned_at: Timestamp;
}

/** One installment of a loan's plan and its payment, once paid. */
export interface LoanInstallmentsTable {
  loan_id: string;
  /** 1-based. */
  idx: number;
  due_at: Timestamp;
  /** The plan's amount; the payment may differ (the last one absorbs the rounding). */
  amount_due: Numeric;
  paid_amount: ColumnType<string, string | undefined, string>;
  paid_at: NullableTimestamp;
  remaining_principal: NullableNumeric;
}

export interface AuditLogTable {
  id: Generated<number | string>;
  at: Timestamp;
  actor: string;
  action: string;
  subject: string;
  /** Written as JSON text, read back parsed. */
  detail: ColumnType<unknown, string, string>;
}

export interface Database {
  cursors: CursorsTable;
  path_cursors: PathCursorsTable;
  nonce_gaps: NonceGapsTable;
  packets: PacketsTable;
  packet_claims: PacketClaimsTable;
  attestations: AttestationsTable;
  loans: LoansTable;
  loan_installments: LoanInstallmentsTable;
  schedule_scans: ScheduleScansTable;
  audit_log: AuditLogTable;
}
