// Schema migrations, in code, run by Kysely's Migrator at open (PostgreSQL
// takes an advisory lock, so several relayer processes may start at once).
// The SQL is the same for PGlite and PostgreSQL. Never edit a released
// migration: add the next one.
import { type Kysely, sql } from "kysely";
import type { Migration, MigrationProvider } from "kysely/migration";
import { PACKET_STATUSES, POOL_STATES, VAULT_STATES } from "./types.ts";

const list = (values: readonly string[]) => sql.raw(values.map((value) => `'${value}'`).join(", "));
const HEX32 = sql.raw(`'^0x[0-9a-f]{64}$'`);

const initial: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    const statements = [
      sql`CREATE TABLE cursors (
        eid bigint PRIMARY KEY CHECK (eid BETWEEN 0 AND 4294967295),
        height numeric(20, 0) NOT NULL CHECK (height >= 0),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`,
      sql`CREATE TABLE packets (
        guid text PRIMARY KEY CHECK (guid ~ ${HEX32}),
        src_eid bigint NOT NULL CHECK (src_eid BETWEEN 0 AND 4294967295),
        dst_eid bigint NOT NULL CHECK (dst_eid BETWEEN 0 AND 4294967295),
        nonce numeric(20, 0) NOT NULL CHECK (nonce >= 0),
        packet bytea NOT NULL,
        loan_id text CHECK (loan_id ~ ${HEX32}),
        source_tx text NOT NULL,
        source_height numeric(20, 0) NOT NULL CHECK (source_height >= 0),
        source_index integer NOT NULL CHECK (source_index >= 0),
        status text NOT NULL DEFAULT 'observed' CHECK (status IN (${list(PACKET_STATUSES)})),
        attempts integer NOT NULL DEFAULT 0,
        last_error text,
        dest_tx text,
        lease_owner text,
        lease_until timestamptz,
        next_attempt_at timestamptz,
        observed_at timestamptz NOT NULL DEFAULT now(),
        verified_at timestamptz,
        attested_at timestamptz,
        delivered_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (src_eid, source_tx, source_index)
      )`,
      sql`CREATE INDEX packets_work ON packets (status, observed_at)
        WHERE status IN ('observed', 'verified', 'attested', 'delivering')`,
      sql`CREATE INDEX packets_loan ON packets (loan_id) WHERE loan_id IS NOT NULL`,
      sql`CREATE INDEX packets_recent ON packets (updated_at DESC)`,
      sql`CREATE TABLE attestations (
        guid text NOT NULL CHECK (guid ~ ${HEX32}),
        signer text NOT NULL,
        epoch numeric(20, 0) NOT NULL CHECK (epoch >= 0),
        digest text NOT NULL CHECK (digest ~ ${HEX32}),
        signature text NOT NULL CHECK (signature ~ '^0x([0-9a-f]{2})+$'),
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (guid, signer, epoch)
      )`,
      sql`CREATE TABLE loans (
        loan_id text PRIMARY KEY CHECK (loan_id ~ ${HEX32}),
        collateral_eid bigint NOT NULL CHECK (collateral_eid BETWEEN 0 AND 4294967295),
        lending_eid bigint NOT NULL CHECK (lending_eid BETWEEN 0 AND 4294967295),
        vault_state text CHECK (vault_state IN (${list(VAULT_STATES)})),
        pool_state text CHECK (pool_state IN (${list(POOL_STATES)})),
        borrower text,
        collateral_asset text,
        principal numeric(78, 0) CHECK (principal >= 0),
        collateral_amount numeric(78, 0) CHECK (collateral_amount >= 0),
        updated_at timestamptz NOT NULL DEFAULT now(),
        vault_updated_at timestamptz,
        pool_updated_at timestamptz
      )`,
      sql`CREATE INDEX loans_vault_state ON loans (vault_state)`,
      sql`CREATE INDEX loans_pool_state ON loans (pool_state)`,
      sql`CREATE TABLE audit_log (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT now(),
        actor text NOT NULL,
        action text NOT NULL,
        subject text NOT NULL,
        detail jsonb NOT NULL DEFAULT '{}'
      )`,
      sql`CREATE INDEX audit_log_subject ON audit_log (subject, id)`,
    ];
    for (const statement of statements) await statement.execute(db);
  },
};

/**
 * Per source nonce sequence (issue 12, finding 1): how far each path has been
 * read, and the nonces that could not be (gaps, looked for again each poll).
 * `receiver` is zero where the source counts nonces across receivers (Solana).
 */
const outboundPaths: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    const statements = [
      sql`CREATE TABLE path_cursors (
        src_eid bigint NOT NULL CHECK (src_eid BETWEEN 0 AND 4294967295),
        app text NOT NULL CHECK (app ~ ${HEX32}),
        dst_eid bigint NOT NULL CHECK (dst_eid BETWEEN 0 AND 4294967295),
        receiver text NOT NULL CHECK (receiver ~ ${HEX32}),
        nonce numeric(20, 0) NOT NULL CHECK (nonce >= 0),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (src_eid, app, dst_eid, receiver)
      )`,
      sql`CREATE TABLE nonce_gaps (
        src_eid bigint NOT NULL CHECK (src_eid BETWEEN 0 AND 4294967295),
        app text NOT NULL CHECK (app ~ ${HEX32}),
        dst_eid bigint NOT NULL CHECK (dst_eid BETWEEN 0 AND 4294967295),
        receiver text NOT NULL CHECK (receiver ~ ${HEX32}),
        nonce numeric(20, 0) NOT NULL CHECK (nonce >= 1),
        reason text NOT NULL,
        detected_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (src_eid, app, dst_eid, receiver, nonce)
      )`,
    ];
    for (const statement of statements) await statement.execute(db);
  },
};

/**
 * What the watcher sees is a claim until the verifier proves it (issue 18,
 * "nothing unproven claims anything"). A packet's row is its first claim; a
 * later claim that contradicts it (other bytes or another source position)
 * waits in `packet_claims` instead of being refused, and takes the row's place
 * if the row's proof fails (`disproved_at`). A forged log can then neither
 * squat a real packet's guid nor its source position, so the position is no
 * longer unique.
 */
const packetClaims: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    const statements = [
      sql`ALTER TABLE packets DROP CONSTRAINT IF EXISTS packets_src_eid_source_tx_source_index_key`,
      sql`CREATE INDEX packets_source ON packets (src_eid, source_tx, source_index)`,
      sql`ALTER TABLE packets ADD COLUMN disproved_at timestamptz`,
      sql`CREATE TABLE packet_claims (
        guid text NOT NULL CHECK (guid ~ ${HEX32}),
        src_eid bigint NOT NULL CHECK (src_eid BETWEEN 0 AND 4294967295),
        dst_eid bigint NOT NULL CHECK (dst_eid BETWEEN 0 AND 4294967295),
        nonce numeric(20, 0) NOT NULL CHECK (nonce >= 0),
        packet bytea NOT NULL,
        packet_hash text NOT NULL CHECK (packet_hash ~ ${HEX32}),
        loan_id text CHECK (loan_id ~ ${HEX32}),
        source_tx text NOT NULL,
        source_height numeric(20, 0) NOT NULL CHECK (source_height >= 0),
        source_index integer NOT NULL CHECK (source_index >= 0),
        observed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (guid, src_eid, source_tx, source_index, packet_hash)
      )`,
    ];
    for (const statement of statements) await statement.execute(db);
  },
};

/** A relayer gives back its leases by owner after a store outage (pipeline.ts): no full scan. */
const leaseOwnerIndex: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await sql`CREATE INDEX packets_lease_owner ON packets (lease_owner) WHERE lease_owner IS NOT NULL`.execute(
      db,
    );
  },
};

/**
 * What the API shows of a loan beyond its states (issue 15): who receives the
 * principal (OPEN_LOAN), the rate and due time (LOAN_ACTIVE); indexes for the
 * borrower and transaction filters and for keyset pages (newest first, then
 * by key).
 */
const loanTerms: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    const statements = [
      sql`ALTER TABLE loans ADD COLUMN recipient text CHECK (recipient ~ ${HEX32})`,
      sql`ALTER TABLE loans ADD COLUMN rate_bps integer CHECK (rate_bps >= 0)`,
      sql`ALTER TABLE loans ADD COLUMN due_at timestamptz`,
      sql`CREATE INDEX loans_borrower ON loans (borrower) WHERE borrower IS NOT NULL`,
      sql`CREATE INDEX loans_recipient ON loans (recipient) WHERE recipient IS NOT NULL`,
      sql`CREATE INDEX loans_recent ON loans (updated_at DESC, loan_id)`,
      sql`CREATE INDEX packets_source_tx ON packets (source_tx)`,
      sql`CREATE INDEX packets_dest_tx ON packets (dest_tx) WHERE dest_tx IS NOT NULL`,
    ];
    for (const statement of statements) await statement.execute(db);
  },
};

/**
 * When this relayer first sent a delivery transaction for the packet (issue
 * 13): the finalized → submitted latency, apart from the wait for the
 * destination to confirm it.
 */
const submittedAt: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await sql`ALTER TABLE packets ADD COLUMN submitted_at timestamptz`.execute(db);
  },
};

/**
 * Installment loans in the mirror (LOANS.md "Installments") and what a
 * borrower's credit history needs (LOANS.md "Borrower credit history"): the
 * loan's plan (`installments`, 1 for a bullet loan; its period, payment and
 * start), each installment's due time, planned amount and payment, the
 * principal the loan was opened for (`principal` is what is still owed, 0
 * once repaid) and when the mirror first recorded the loan. Loans mirrored
 * before this keep their principal as opened unless already repaid (then
 * unknown), and their earliest recorded change as their creation.
 */
const loanInstallments: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    const statements = [
      sql`ALTER TABLE loans ADD COLUMN installments integer NOT NULL DEFAULT 1
        CHECK (installments BETWEEN 1 AND 65535)`,
      sql`ALTER TABLE loans ADD COLUMN period_seconds numeric(20, 0) CHECK (period_seconds > 0)`,
      sql`ALTER TABLE loans ADD COLUMN installment_amount numeric(78, 0)
        CHECK (installment_amount >= 0)`,
      sql`ALTER TABLE loans ADD COLUMN start_at timestamptz`,
      sql`ALTER TABLE loans ADD COLUMN opened_principal numeric(78, 0)
        CHECK (opened_principal >= 0)`,
      sql`ALTER TABLE loans ADD COLUMN created_at timestamptz`,
      // When the installment mirror last read the loan from its pool (schedules.ts).
      sql`ALTER TABLE loans ADD COLUMN schedule_read_at timestamptz`,
      // When a read of it last failed: tried again only after the read interval.
      sql`ALTER TABLE loans ADD COLUMN schedule_failed_at timestamptz`,
      sql`UPDATE loans SET
        opened_principal = CASE WHEN pool_state = 'Repaid' OR vault_state = 'Released'
          THEN NULL ELSE principal END,
        created_at = LEAST(updated_at, vault_updated_at, pool_updated_at)`,
      sql`ALTER TABLE loans ALTER COLUMN created_at SET DEFAULT now()`,
      sql`ALTER TABLE loans ALTER COLUMN created_at SET NOT NULL`,
      sql`CREATE TABLE loan_installments (
        loan_id text NOT NULL REFERENCES loans (loan_id),
        idx integer NOT NULL CHECK (idx BETWEEN 1 AND 65535),
        due_at timestamptz NOT NULL,
        amount_due numeric(78, 0) NOT NULL CHECK (amount_due >= 0),
        paid_amount numeric(78, 0) NOT NULL DEFAULT 0 CHECK (paid_amount >= 0),
        paid_at timestamptz,
        remaining_principal numeric(78, 0) CHECK (remaining_principal >= 0),
        PRIMARY KEY (loan_id, idx)
      )`,
      sql`CREATE INDEX loans_borrower_identity ON loans (collateral_eid, borrower)
        WHERE borrower IS NOT NULL`,
    ];
    for (const statement of statements) await statement.execute(db);
  },
};

/** Every migration, by name; names sort in the order they run. */
export /**
 * When this relayer, executing, first held a threshold of attestations for
 * the packet (issue 13): ready → submitted is the delivery's own latency,
 * apart from the wait for the peers' attestations.
 */
const readyAt: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await sql`ALTER TABLE packets ADD COLUMN ready_at timestamptz`.execute(db);
  },
};

/**
 * The installment mirror's change detection (schedules.ts, LOANS.md
 * "Installments"): when a scan of the loan's lending pool last found it
 * changed (repaid in part: a full read follows), and per pool how far the
 * scans have read (an EVM pool's last block whose logs were read, so a
 * restart neither misses nor re-reads a range; NULL until a scan succeeds)
 * and when a scan last ended, done or failed (the next waits the interval).
 */
const scheduleScans: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    const statements = [
      sql`ALTER TABLE loans ADD COLUMN schedule_changed_at timestamptz`,
      sql`CREATE TABLE schedule_scans (
        lending_eid bigint NOT NULL,
        pool text NOT NULL CHECK (pool ~ ${HEX32}),
        scanned_to numeric(20, 0) CHECK (scanned_to >= 0),
        scanned_at timestamptz NOT NULL,
        PRIMARY KEY (lending_eid, pool)
      )`,
    ];
    for (const statement of statements) await statement.execute(db);
  },
};

const MIGRATIONS: Record<string, Migration> = {
  "0001_initial": initial,
  "0002_outbound_paths": outboundPaths,
  "0003_packet_claims": packetClaims,
  "0004_lease_owner_index": leaseOwnerIndex,
  "0005_loan_terms": loanTerms,
  "0006_packet_submitted_at": submittedAt,
  "0007_loan_installments": loanInstallments,
  "0008_packet_ready_at": readyAt,
  "0009_schedule_scans": scheduleScans,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve(MIGRATIONS),
};
