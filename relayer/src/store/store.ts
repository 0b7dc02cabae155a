// The relayer's state, one repository over Kysely: PGlite (embedded, the
// default) or PostgreSQL (shared by several relayer processes of one
// operator), the same SQL on both. Every state change is one statement or
// one transaction; work is leased with FOR UPDATE SKIP LOCKED.
import { constants } from "node:fs";
import { access, readdir } from "node:fs/promises";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Worker } from "node:worker_threads";
import { PGlite, type QueryOptions, type Results } from "@electric-sql/pglite";
import { decodePacket, type Hex } from "@loanbridge/shared";
import { keccak256 } from "ethers";
import {
  type Insertable,
  Kysely,
  PostgresDialect,
  type Selectable,
  sql,
  type Transaction,
  type UpdateObject,
} from "kysely";
import { Migrator } from "kysely/migration";
import { PGliteDialect } from "kysely-pglite-dialect";
import pg from "pg";
import {
  ANY_RECEIVER,
  type NonceGap,
  type ObservedPacket,
  type OutboundPath,
  type PathCursor,
  type WatchState,
} from "../chains/types.ts";
import { IN_MEMORY, type StoreConfig } from "../config/schema.ts";
import { redactUrl } from "../config/secret.ts";
import type {
  AttestationsTable,
  AuditLogTable,
  Database,
  LoansTable,
  PacketClaimsTable,
  PacketsTable,
} from "./database.ts";
import { StoreError } from "./errors.ts";
import {
  installmentsOf,
  MAX_INSTALLMENTS,
  outcomeCounts,
  recordPayments,
  recordSchedule,
} from "./installments.ts";
import { migrationProvider } from "./migrations.ts";
import {
  DELIVERED_POOL_PACKET,
  recordScheduleScan,
  recordScheduleScanFailed,
  scheduleScanTargets,
} from "./schedule-scans.ts";
import { lockDataDir } from "./pglite-lock.ts";
import { decodeCursor, encodeCursor, type Page, type PageKey } from "./page.ts";
import { PGLITE_SETTINGS } from "./pglite-settings.ts";
import type {
  ThreadPriority,
  WorkerError,
  WorkerInit,
  WorkerReply,
  WorkerRequest,
} from "./pglite-worker.ts";
import {
  ACTIVE_PACKET_STATUSES,
  type ActivePacketStatus,
  AGREEING_STATES,
  type AuditEntry,
  type AuditInput,
  type BorrowerHistory,
  type CursorRecord,
  type InstallmentPayment,
  type InstallmentRecord,
  type LoanRecord,
  type LoanScheduleInput,
  type LoanSideUpdate,
  type LoanState,
  type LoanTotals,
  PACKET_STATUSES,
  PACKET_TRANSITIONS,
  type PacketRecord,
  type ScheduleScanTarget,
  type ScheduleSyncTarget,
  type PacketStatus,
  POOL_RANK,
  type PoolState,
  type NewAttestation,
  type StoredAttestation,
  VAULT_RANK,
  type VaultState,
} from "./types.ts";

type Db = Kysely<Database> | Transaction<Database>;

export interface OpenStoreOptions {
  /** Errors of idle PostgreSQL connections (server restarts); the next query reports too. */
  onPoolError?: (error: Error) => void;
  /** Embedded store on a data dir: a query not answered this soon has hung (default 15 s). */
  queryTimeoutMs?: number;
  /**
   * In-memory store only: start from this image of a fresh one
   * (Store.memoryImage) instead of running initdb, most of an in-memory
   * store's opening time (measured: 1.3 s, 0.25 s from an image). For
   * tests, which open one per case (store/testing.ts).
   */
  memoryImage?: Blob;
}

/** A packet as the watcher hands it over, plus its loan when decoded. */

/** How `recordObserved` took a claim (see there). */
export type ClaimOutcome = "created" | "known" | "replaced" | "held" | "dropped";

/**
 * Contradicting claims held per guid at most: a real packet's claim arrives
 * from a quorum of RPC endpoints, so more than a few means one liar
 * repeating itself, not more chances for the truth.
 */
export const MAX_HELD_CLAIMS = 8;

export interface TransitionOptions {
  /** The worker's lease: the change is refused (LeaseLost) unless it still holds it. */
  owner?: string;
  /** Record an audit entry in the same transaction (operator actions). */
  audit?: AuditInput;
}

export interface ListPacketsQuery {
  status?: PacketStatus | undefined;
  loanId?: Hex | undefined;
  /** A source or destination transaction (hash or signature). */
  tx?: string | undefined;
  limit: number;
  /** Continue after the page this cursor ended (`nextCursor`). */
  cursor?: string | undefined;
}

export interface ListLoansQuery {
  /** Matches either side's state. */
  state?: LoanState | undefined;
  /** A SPEC.md bytes32 account: matches the borrower or the recipient. */
  borrower?: string | undefined;
  limit: number;
  /** Continue after the page this cursor ended (`nextCursor`). */
  cursor?: string | undefined;
}

const HEX32 = /^0x[0-9a-fA-F]{64}$/;

/** PGlite's error severities after which its instance must not be used again. */
const FATAL_SEVERITIES: ReadonlySet<string> = new Set(["PANIC", "FATAL"]);

/** Whether a PGlite error leaves the instance unusable (a PANIC, a hang, the wasm module aborted). */
function fatalToPGlite(error: unknown): boolean {
  if (error instanceof PGliteTimeout) return true;
  // WebAssembly.RuntimeError (an abort inside the module), named: no DOM types here.
  if (error instanceof Error && error.name === "RuntimeError") return true;
  const severity = (error as { severity?: unknown } | null)?.severity;
  return typeof severity === "string" && FATAL_SEVERITIES.has(severity);
}

/** Throws unless `paths` (recursively under each when `recursive`) can all be written. */
async function assertWritable(paths: readonly string[], recursive: boolean): Promise<void> {
  for (const path of paths) {
    await access(path, constants.W_OK);
    if (!recursive) continue;
    for (const entry of await readdir(path, { recursive: true })) {
      await access(join(path, entry), constants.W_OK);
    }
  }
}

const execFileAsync = promisify(execFile);

/** Least time between two attempts to reopen a failed embedded store. */
const REOPEN_INTERVAL_MS = 1_000;
/** How long an embedded store may take to start (initdb on first use, WAL replay). */
const PGLITE_START_TIMEOUT_MS = 60_000;
/** A PGlite query not answered in this long has hung (they take milliseconds). */
const PGLITE_QUERY_TIMEOUT_MS = 15_000;
/**
 * The store thread's niceness above the relayer's: under CPU contention the
 * relayer's thread, which takes a delivery from ready to sent without
 * waiting for the store, goes first (measured, `make bench LOANS=100`:
 * ready → submitted p99 160–267 ms at equal priority, 50–99 ms at 10).
 */
const STORE_THREAD_NICENESS = 10;

/** How an embedded store's thread runs: when a call has hung, and how far below the relayer's priority. */
interface ThreadSettings {
  timeoutMs: number;
  niceness: number;
}

/** What Kysely's PGlite dialect calls: `query` and `close`. */
interface PGliteClient {
  query<T>(query: string, params?: unknown[], options?: QueryOptions): Promise<Results<T>>;
  close(): Promise<void>;
}

/**
 * A PGlite on a data dir, run in a worker thread (pglite-worker.ts). Why:
 * when a write to the data dir is refused (directory made unwritable, disk
 * full), PGlite 0.4's WAL write PANICs and the instance then spins forever
 * inside its wasm module, on whatever thread runs it (measured: a COMMIT
 * that never returns, or the query after a PANIC). On the relayer's main
 * thread that froze everything: the loop, `/readyz`, `/metrics`, timers.
 * In a worker, a call not answered within `timeoutMs` is abandoned, the
 * worker terminated (which stops even a wasm loop), and the caller gets an
 * error (StoreError Unavailable), while the relayer's own thread runs on.
 */
class PGliteThread implements PGliteClient {
  /** The thread's CPU priority (pglite-worker.ts). */
  readonly priority: ThreadPriority;
  readonly #worker: Worker;
  readonly #timeoutMs: number;
  readonly #pending = new Map<number, (reply: WorkerReply | Error) => void>();
  #nextId = 0;
  /** Why the thread is gone, once it is. */
  #dead: Error | undefined;

  private constructor(worker: Worker, timeoutMs: number, priority: ThreadPriority) {
    this.#worker = worker;
    this.#timeoutMs = timeoutMs;
    this.priority = priority;
    worker.on("message", (reply: WorkerReply) => {
      if (!("id" in reply)) return;
      const settle = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      settle?.(reply);
    });
    const gone = (error: Error) => {
      this.#dead ??= error;
      for (const settle of this.#pending.values()) settle(error);
      this.#pending.clear();
    };
    worker.on("error", gone);
    worker.on("exit", (code) => {
      gone(new Error(`the PGlite worker exited (code ${code})`));
    });
  }

  /**
   * A thread with PGlite open on `dataDir`. A fresh dir is first given its
   * cluster (initdb) by a process of its own (pglite-initdb.ts): the
   * instance that ran initdb keeps hundreds of MiB of wasm memory, which
   * neither closing it nor ending its thread gives back to the system
   * (measured, the store alone: 682 MiB resident after a first open on
   * this thread, 307–381 MiB when a thread that ran initdb had ended, 262
   * MiB with initdb in a process).
   */
  static async start(dataDir: string, timeoutMs: number, niceness: number): Promise<PGliteThread> {
    const hasCluster = await access(join(dataDir, "PG_VERSION")).then(
      () => true,
      () => false,
    );
    if (!hasCluster) {
      await execFileAsync(
        process.execPath,
        [
          ...process.execArgv,
          fileURLToPath(new URL("./pglite-initdb.ts", import.meta.url)),
          dataDir,
        ],
        { timeout: PGLITE_START_TIMEOUT_MS },
      ).catch((error: unknown) => {
        throw new StoreError("Unavailable", `could not create the embedded store in ${dataDir}`, {
          details: errorMessage(error),
          cause: error,
        });
      });
    }
    const init: WorkerInit = { dataDir, settings: PGLITE_SETTINGS, niceness };
    const worker = new Worker(new URL("./pglite-worker.ts", import.meta.url), {
      workerData: init,
    });
    // The store's callers keep the process alive while they wait; an idle
    // thread must not (a relayer stopping during an outage cannot close it).
    worker.unref();
    const started = new Promise<ThreadPriority>((resolve, reject) => {
      const onMessage = (reply: WorkerReply) => {
        if (reply.kind === "ready") resolve(reply.priority);
        else if (reply.kind === "failed") reject(workerError(reply.error));
      };
      worker.on("message", onMessage);
      worker.once("error", reject);
      worker.once("exit", (code) => {
        reject(new Error(`the PGlite worker exited (code ${code}) while starting`));
      });
    });
    let priority: ThreadPriority;
    try {
      priority = await withTimeout(started, PGLITE_START_TIMEOUT_MS, "PGlite did not start");
    } catch (error) {
      await worker.terminate();
      throw error;
    }
    return new PGliteThread(worker, timeoutMs, priority);
  }

  async query<T>(query: string, params: unknown[] = []): Promise<Results<T>> {
    const reply = await this.#call({ kind: "query", sql: query, params });
    return { rows: reply.rows as T[], fields: [], affectedRows: reply.affectedRows ?? 0 };
  }

  async close(): Promise<void> {
    try {
      if (this.#dead === undefined) await this.#call({ kind: "close" });
    } finally {
      await this.#worker.terminate();
    }
  }

  #call(request: DistributiveOmit<WorkerRequest, "id">): Promise<WorkerReply & { kind: "ok" }> {
    if (this.#dead !== undefined) return Promise.reject(this.#dead);
    const id = this.#nextId++;
    const answer = new Promise<WorkerReply & { kind: "ok" }>((resolve, reject) => {
      this.#pending.set(id, (reply) => {
        if (reply instanceof Error) reject(reply);
        else if (reply.kind === "ok") resolve(reply);
        else if (reply.kind === "error") reject(workerError(reply.error));
      });
    });
    this.#worker.postMessage({ ...request, id } satisfies WorkerRequest);
    return withTimeout(answer, this.#timeoutMs, "PGlite did not answer").catch(
      async (error: unknown) => {
        if (error instanceof PGliteTimeout) {
          // Hung (see the class comment): end the thread; the store reopens later.
          this.#dead = error;
          this.#pending.delete(id);
          await this.#worker.terminate();
        }
        throw error;
      },
    );
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

class PGliteTimeout extends Error {
  override name = "PGliteTimeout";
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new PGliteTimeout(`${what} within ${ms} ms`));
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => {
    clearTimeout(timer);
  });
}

/** A worker's error fields as an Error again (PGlite's severity, code, … kept). */
function workerError(fields: WorkerError): Error {
  return Object.assign(new Error(fields.message), fields);
}

/**
 * The embedded store behind Kysely. In memory: PGlite on this thread. On a
 * data dir: PGlite in a worker thread (PGliteThread), guarded: after a
 * PANIC or a hang no call reaches that instance again, each fails at once
 * (StoreError Unavailable), and once the data dir is writable again a fresh
 * PGlite is opened on it, whose crash recovery replays the WAL (every commit
 * acknowledged before the failure is there; the one that failed never was).
 */
class EmbeddedDatabase implements PGliteClient {
  readonly #dataDir: string | undefined;
  readonly #timeoutMs: number;
  readonly #niceness: number;
  #client: PGliteClient;
  /** Why the current instance is unusable, while it is. */
  #failure: unknown;
  #nextReopenAt = 0;

  private constructor(dataDir: string | undefined, thread: ThreadSettings, client: PGliteClient) {
    this.#dataDir = dataDir;
    this.#timeoutMs = thread.timeoutMs;
    this.#niceness = thread.niceness;
    this.#client = client;
  }

  /**
   * On `dataDir` (in a thread `thread.niceness` below the relayer's
   * priority), or in memory (from `image` when given, see
   * OpenStoreOptions.memoryImage).
   */
  static async open(
    dataDir: string | undefined,
    thread: ThreadSettings,
    image?: Blob,
  ): Promise<EmbeddedDatabase> {
    return new EmbeddedDatabase(
      dataDir,
      thread,
      await EmbeddedDatabase.#start(dataDir, thread, image),
    );
  }

  /** The CPU priority of the store's thread; none in memory (PGlite runs on the relayer's). */
  get threadPriority(): ThreadPriority | undefined {
    return this.#client instanceof PGliteThread ? this.#client.priority : undefined;
  }

  static async #start(
    dataDir: string | undefined,
    thread: ThreadSettings,
    image?: Blob,
  ): Promise<PGliteClient> {
    if (dataDir !== undefined)
      return PGliteThread.start(dataDir, thread.timeoutMs, thread.niceness);
    const pglite = new PGlite({
      postgresqlconf: PGLITE_SETTINGS,
      ...(image !== undefined && { loadDataDir: image }),
    });
    await pglite.waitReady;
    return pglite;
  }

  /** An in-memory store's data dir as a tarball (for OpenStoreOptions.memoryImage). */
  async dumpMemory(): Promise<Blob> {
    if (!(this.#client instanceof PGlite)) {
      throw new StoreError("InvalidInput", "only an in-memory store has a memory image");
    }
    return this.#client.dumpDataDir("none");
  }

  async query<T>(query: string, params?: unknown[], options?: QueryOptions): Promise<Results<T>> {
    if (this.#failure !== undefined) await this.#reopen();
    try {
      return await this.#client.query<T>(query, params, options);
    } catch (error) {
      if (fatalToPGlite(error)) {
        this.#failure = error;
        throw new StoreError("Unavailable", "the PGlite store failed", {
          details: errorMessage(error),
          cause: error,
        });
      }
      throw error;
    }
  }

  /**
   * Throws unless the store can serve reads and writes: its data dir (and the
   * WAL and control-file folders in it) writable, and a failed instance
   * replaced. Reads may still work from an unwritable dir, writes would not.
   */
  async check(): Promise<void> {
    if (this.#dataDir === undefined) return;
    const dir = this.#dataDir;
    try {
      await assertWritable([dir, join(dir, "pg_wal"), join(dir, "global")], false);
    } catch (cause) {
      throw new StoreError("Unavailable", `the PGlite data dir ${dir} is not writable`, { cause });
    }
  }

  /** Replaces a failed instance once its data dir is writable again (at most once a second). */
  async #reopen(): Promise<void> {
    const dir = this.#dataDir;
    const unavailable = (why: string, cause: unknown) =>
      new StoreError("Unavailable", `the PGlite store failed and ${why}`, {
        details: `failed with: ${errorMessage(this.#failure)}`,
        cause,
      });
    // An in-memory store has nothing to recover from.
    if (dir === undefined) throw unavailable("has no data dir to reopen", this.#failure);
    if (Date.now() < this.#nextReopenAt) throw unavailable("is not reopened yet", this.#failure);
    this.#nextReopenAt = Date.now() + REOPEN_INTERVAL_MS;
    try {
      await assertWritable([dir], true);
    } catch (cause) {
      throw unavailable(`its data dir ${dir} is not writable`, cause);
    }
    // The failed instance is only closed (its thread ended), never queried.
    await this.#client.close().catch(() => undefined);
    try {
      this.#client = await EmbeddedDatabase.#start(dir, {
        timeoutMs: this.#timeoutMs,
        niceness: this.#niceness,
      });
    } catch (cause) {
      throw unavailable(`reopening ${dir} failed`, cause);
    }
    this.#failure = undefined;
  }

  async close(): Promise<void> {
    await this.#client.close();
  }
}

const errorMessage = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

export class Store {
  readonly kind: StoreConfig["kind"];
  readonly #db: Kysely<Database>;
  readonly #unlock: () => Promise<void>;
  readonly #embedded: EmbeddedDatabase | undefined;

  private constructor(
    db: Kysely<Database>,
    kind: StoreConfig["kind"],
    unlock: () => Promise<void>,
    embedded?: EmbeddedDatabase,
  ) {
    this.#db = db;
    this.kind = kind;
    this.#unlock = unlock;
    this.#embedded = embedded;
  }

  /**
   * The CPU priority of the embedded store's thread (on a data dir), or why
   * it is the relayer's own; none for PostgreSQL or in memory.
   */
  get threadPriority(): ThreadPriority | undefined {
    return this.#embedded?.threadPriority;
  }

  /** Opens (and creates, migrates) the store the config names. */
  static async open(config: StoreConfig, options: OpenStoreOptions = {}): Promise<Store> {
    let db: Kysely<Database>;
    let unlock: () => Promise<void> = () => Promise.resolve();
    let embedded: EmbeddedDatabase | undefined;
    if (config.kind === "pglite") {
      const inMemory = config.dataDir === IN_MEMORY;
      if (!inMemory && options.memoryImage !== undefined) {
        throw new StoreError("InvalidInput", "a memory image is for an in-memory store only", {
          details: `the store's data dir is ${config.dataDir}`,
        });
      }
      if (!inMemory) unlock = await lockDataDir(config.dataDir);
      try {
        embedded = await EmbeddedDatabase.open(
          inMemory ? undefined : config.dataDir,
          {
            timeoutMs: options.queryTimeoutMs ?? PGLITE_QUERY_TIMEOUT_MS,
            niceness: config.threadNiceness ?? STORE_THREAD_NICENESS,
          },
          options.memoryImage,
        );
        // The dialect calls only `query` and `close` (PGliteClient), which this has.
        db = new Kysely<Database>({
          dialect: new PGliteDialect(embedded as unknown as PGlite),
        });
      } catch (cause) {
        await unlock();
        const where = inMemory ? "memory" : config.dataDir;
        throw new StoreError("Unavailable", `cannot open the PGlite store at ${where}`, { cause });
      }
    } else {
      const pool = postgresPool(config, options.onPoolError ?? (() => undefined));
      db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
      try {
        await sql`SELECT 1`.execute(db);
      } catch (cause) {
        await db.destroy();
        const where = redactUrl(config.url.reveal());
        throw new StoreError("Unavailable", `cannot reach PostgreSQL at ${where}`, { cause });
      }
    }
    const { error } = await new Migrator({ db, provider: migrationProvider }).migrateToLatest();
    if (error !== undefined) {
      await db.destroy();
      await unlock();
      throw new StoreError("Unavailable", "migrating the store failed", { cause: error });
    }
    return new Store(db, config.kind, unlock, embedded);
  }

  /**
   * An image of a fresh in-memory store, made the way `open` makes one
   * (initdb, every migration), to open others from (OpenStoreOptions.memoryImage).
   * Checkpointed first, so that a store opened from it replays no WAL.
   */
  static async memoryImage(): Promise<Blob> {
    const store = await Store.open({ kind: "pglite", dataDir: IN_MEMORY });
    try {
      await sql`CHECKPOINT`.execute(store.#db);
      // Open in memory just above, so embedded.
      return await (store.#embedded as EmbeddedDatabase).dumpMemory();
    } finally {
      await store.close();
    }
  }

  async close(): Promise<void> {
    try {
      await this.#db.destroy();
    } finally {
      await this.#unlock();
    }
  }

  /** Throws unless the database answers and (embedded) can be written to (readiness). */
  async ping(): Promise<void> {
    await this.#embedded?.check();
    await sql`SELECT 1`.execute(this.#db);
  }

  // --- cursors -----------------------------------------------------------

  async getCursor(eid: number): Promise<bigint | undefined> {
    const row = await this.#db
      .selectFrom("cursors")
      .select("height")
      .where("eid", "=", eid)
      .executeTakeFirst();
    return row === undefined ? undefined : BigInt(row.height);
  }

  /** Moves a chain's cursor forward; a lower height leaves it where it is. Returns the stored height. */
  async setCursor(eid: number, height: bigint): Promise<bigint> {
    const row = await this.#db
      .insertInto("cursors")
      .values({ eid, height: height.toString() })
      .onConflict((conflict) =>
        conflict.column("eid").doUpdateSet({
          height: sql`GREATEST(cursors.height, excluded.height)`,
          updated_at: sql`now()`,
        }),
      )
      .returning("height")
      .executeTakeFirstOrThrow();
    return BigInt(row.height);
  }

  async listCursors(): Promise<CursorRecord[]> {
    const rows = await this.#db.selectFrom("cursors").selectAll().orderBy("eid").execute();
    return rows.map((row) => ({
      eid: Number(row.eid),
      height: BigInt(row.height),
      updatedAt: row.updated_at,
    }));
  }

  // --- outbound paths and nonce gaps ---------------------------------------

  /** A source's path cursors and its open gaps (lowest nonces first, at most `gapLimit`). */
  async getWatchState(srcEid: number, gapLimit = 1_000): Promise<WatchState> {
    const paths = await this.#db
      .selectFrom("path_cursors")
      .selectAll()
      .where("src_eid", "=", srcEid)
      .orderBy("app")
      .orderBy("dst_eid")
      .orderBy("receiver")
      .execute();
    const gaps = await this.#db
      .selectFrom("nonce_gaps")
      .selectAll()
      .where("src_eid", "=", srcEid)
      .orderBy("nonce")
      .orderBy("app")
      .orderBy("dst_eid")
      .orderBy("receiver")
      .limit(gapLimit)
      .execute();
    return {
      paths: paths.map((row) => ({ ...pathOfRow(row), nonce: BigInt(row.nonce) })),
      gaps: gaps.map((row) => ({
        ...pathOfRow(row),
        nonce: BigInt(row.nonce),
        reason: row.reason,
      })),
    };
  }

  /** Moves path cursors forward (a lower nonce leaves one where it is). */
  async advancePaths(srcEid: number, paths: readonly PathCursor[]): Promise<void> {
    if (paths.length === 0) return;
    await this.#db
      .insertInto("path_cursors")
      .values(paths.map((path) => ({ ...pathRow(srcEid, path), nonce: path.nonce.toString() })))
      .onConflict((conflict) =>
        conflict.columns(["src_eid", "app", "dst_eid", "receiver"]).doUpdateSet({
          nonce: sql`GREATEST(path_cursors.nonce, excluded.nonce)`,
          updated_at: sql`now()`,
        }),
      )
      .execute();
  }

  /**
   * Records gaps, skipping any nonce whose packet is already recorded or that
   * is open already; returns the ones new here.
   */
  async recordGaps(srcEid: number, gaps: readonly NonceGap[]): Promise<NonceGap[]> {
    const fresh: NonceGap[] = [];
    for (const gap of gaps) {
      const row = { ...pathRow(srcEid, gap), nonce: gap.nonce.toString() };
      // The packet's sender is bytes 13..45 and its receiver 49..81 (SQL counts from 1).
      let recorded = this.#db
        .selectFrom("packets")
        .select("guid")
        .where("src_eid", "=", srcEid)
        .where("dst_eid", "=", gap.dstEid)
        .where("nonce", "=", row.nonce)
        .where(sql<boolean>`substring(packet from 14 for 32) = ${bytesOf(row.app)}`);
      if (row.receiver !== ANY_RECEIVER) {
        recorded = recorded.where(
          sql<boolean>`substring(packet from 50 for 32) = ${bytesOf(row.receiver)}`,
        );
      }
      const seen = await recorded.executeTakeFirst();
      if (seen !== undefined) continue;
      const inserted = await this.#db
        .insertInto("nonce_gaps")
        .values({ ...row, reason: gap.reason })
        .onConflict((conflict) => conflict.doNothing())
        .returning("nonce")
        .executeTakeFirst();
      if (inserted !== undefined) fresh.push(gap);
    }
    return fresh;
  }

  /** Closes the gaps these packets fill (their app is the packet's sender). */
  async closeGaps(
    srcEid: number,
    packets: readonly { app: Hex; dstEid: number; receiver: Hex; nonce: bigint }[],
  ): Promise<number> {
    let closed = 0;
    for (const packet of packets) {
      const result = await this.#db
        .deleteFrom("nonce_gaps")
        .where("src_eid", "=", srcEid)
        .where("app", "=", hex32(packet.app, "app"))
        .where("dst_eid", "=", packet.dstEid)
        .where("receiver", "in", [hex32(packet.receiver, "receiver"), ANY_RECEIVER])
        .where("nonce", "=", packet.nonce.toString())
        .executeTakeFirst();
      closed += Number(result.numDeletedRows);
    }
    return closed;
  }

  /** Open gaps per (app, dstEid) of a source, for every path it has read (0 when none). */
  async countGaps(srcEid: number): Promise<{ app: Hex; dstEid: number; open: number }[]> {
    const counts = await this.#db
      .selectFrom("nonce_gaps")
      .select(["app", "dst_eid", (eb) => eb.fn.countAll<number | string>().as("open")])
      .where("src_eid", "=", srcEid)
      .groupBy(["app", "dst_eid"])
      .execute();
    const paths = await this.#db
      .selectFrom("path_cursors")
      .select(["app", "dst_eid"])
      .distinct()
      .where("src_eid", "=", srcEid)
      .execute();
    const byPath = new Map<string, { app: Hex; dstEid: number; open: number }>();
    for (const row of paths) {
      const key = `${row.app}:${row.dst_eid}`;
      byPath.set(key, { app: row.app as Hex, dstEid: Number(row.dst_eid), open: 0 });
    }
    for (const row of counts) {
      const key = `${row.app}:${row.dst_eid}`;
      byPath.set(key, { app: row.app as Hex, dstEid: Number(row.dst_eid), open: Number(row.open) });
    }
    return [...byPath.values()].sort((a, b) =>
      a.app === b.app ? a.dstEid - b.dstEid : a.app < b.app ? -1 : 1,
    );
  }

  // --- packets -------------------------------------------------------------

  /**
   * Records a packet seen on its source chain. Idempotent: the same packet
   * again changes nothing (`created: false`). A different packet under a
   * known guid or source position is a Conflict.
   */
  /**
   * Records what a watcher saw: a claim, proven later by the verifier.
   * - `created`: the guid's first claim, a new row (status observed);
   * - `known`: the row already says exactly this (same bytes, same source);
   * - `replaced`: the row's claim was disproved; this one takes its place and
   *   is verified from the start;
   * - `held`: it contradicts a row not disproved (other bytes or another
   *   source position): kept aside in `packet_claims`, to replace the row if
   *   the row's proof fails (`disprove`);
   * - `dropped`: as `held`, but the guid already holds `MAX_HELD_CLAIMS`.
   * A contradicting claim is never an error: a forged log must not stop the
   * watcher or occupy the real packet's guid.
   */
  async recordObserved(
    observed: ObservedPacket,
  ): Promise<{ outcome: ClaimOutcome; packet: PacketRecord }> {
    const claim = claimRow(observed);
    // A new guid, the common case, is one statement: no transaction around
    // it. Rows are never deleted, so a guid taken now is taken below too.
    const inserted = await this.#db
      .insertInto("packets")
      .values(packetRow(observed))
      .onConflict((conflict) => conflict.column("guid").doNothing())
      .returningAll()
      .executeTakeFirst();
    if (inserted !== undefined) return { outcome: "created", packet: toPacket(inserted) };
    return this.#db.transaction().execute(async (trx) => {
      const existing = await trx
        .selectFrom("packets")
        .selectAll()
        .where("guid", "=", claim.guid)
        .forUpdate()
        .executeTakeFirstOrThrow();
      if (sameClaim(existing, claim)) return { outcome: "known", packet: toPacket(existing) };
      if (existing.disproved_at !== null && existing.status === "failed") {
        const replaced = await replaceClaim(
          trx,
          claim,
          `its claim at ${existing.source_tx} was disproved`,
        );
        return { outcome: "replaced", packet: replaced };
      }
      const held = await trx
        .selectFrom("packet_claims")
        .select((eb) => eb.fn.countAll<string>().as("count"))
        .where("guid", "=", claim.guid)
        .executeTakeFirstOrThrow();
      if (Number(held.count) >= MAX_HELD_CLAIMS) {
        return { outcome: "dropped", packet: toPacket(existing) };
      }
      await trx
        .insertInto("packet_claims")
        .values(claim)
        .onConflict((conflict) => conflict.doNothing())
        .execute();
      return { outcome: "held", packet: toPacket(existing) };
    });
  }

  /**
   * The leased packet's claim failed its proof for good. If a contradicting
   * claim is held for its guid, the oldest takes the row's place (status
   * observed, attempts reset) and `replaced` is true; otherwise the packet is
   * marked failed and disproved, so that a later claim replaces it.
   */
  async disprove(
    guid: Hex,
    reason: string,
    options: TransitionOptions = {},
  ): Promise<{ replaced: boolean; packet: PacketRecord }> {
    const key = hex32(guid, "guid");
    const next = await this.#db.transaction().execute(async (trx) => {
      const held = await trx
        .selectFrom("packet_claims")
        .selectAll()
        .where("guid", "=", key)
        .orderBy("observed_at")
        .orderBy("source_tx")
        .orderBy("source_index")
        .limit(1)
        .forUpdate()
        .executeTakeFirst();
      if (held === undefined) return undefined;
      const current = await trx
        .selectFrom("packets")
        .select(["status", "lease_owner"])
        .where("guid", "=", key)
        .forUpdate()
        .executeTakeFirst();
      if (current === undefined) throw notFound(key);
      if (options.owner !== undefined && current.lease_owner !== options.owner) {
        throw new StoreError("LeaseLost", `packet ${key} is not leased to ${options.owner}`, {
          details: `lease owner: ${current.lease_owner ?? "none"}`,
        });
      }
      await trx
        .deleteFrom("packet_claims")
        .where("guid", "=", key)
        .where("src_eid", "=", held.src_eid)
        .where("source_tx", "=", held.source_tx)
        .where("source_index", "=", held.source_index)
        .where("packet_hash", "=", held.packet_hash)
        .execute();
      return replaceClaim(trx, held, reason);
    });
    if (next !== undefined) return { replaced: true, packet: next };
    const failed = await this.#transition(
      key,
      "failed",
      options,
      { last_error: reason, disproved_at: sql<Date>`now()` },
      false,
    );
    return { replaced: false, packet: failed };
  }

  /** Claims held aside for a guid (oldest first). */
  async listHeldClaims(guid: Hex): Promise<ObservedPacket[]> {
    const rows = await this.#db
      .selectFrom("packet_claims")
      .selectAll()
      .where("guid", "=", hex32(guid, "guid"))
      .orderBy("observed_at")
      .execute();
    return rows.map((row) => ({
      packet: toBytes(row.packet),
      guid: row.guid as Hex,
      srcEid: Number(row.src_eid),
      dstEid: Number(row.dst_eid),
      nonce: BigInt(row.nonce),
      sourceTx: row.source_tx,
      sourceHeight: BigInt(row.source_height),
      sourceIndex: row.source_index,
    }));
  }

  async getPacket(guid: Hex): Promise<PacketRecord | undefined> {
    const row = await this.#db
      .selectFrom("packets")
      .selectAll()
      .where("guid", "=", hex32(guid, "guid"))
      .executeTakeFirst();
    return row === undefined ? undefined : toPacket(row);
  }

  /** Most recently changed first. */
  async listPackets(query: ListPacketsQuery): Promise<PacketRecord[]> {
    return (await this.packetPage(query)).items;
  }

  /** Most recently changed first, one keyset page at a time. */
  async packetPage(query: ListPacketsQuery): Promise<Page<PacketRecord>> {
    let select = this.#db
      .selectFrom("packets")
      .selectAll()
      .select(sql<string>`updated_at::text`.as("page_at"));
    if (query.status !== undefined) select = select.where("status", "=", query.status);
    if (query.loanId !== undefined)
      select = select.where("loan_id", "=", hex32(query.loanId, "loanId"));
    const { tx } = query;
    if (tx !== undefined) {
      const id = /^0x[0-9a-fA-F]+$/.test(tx) ? tx.toLowerCase() : tx;
      select = select.where((eb) => eb.or([eb("source_tx", "=", id), eb("dest_tx", "=", id)]));
    }
    if (query.cursor !== undefined) {
      const { at, id } = pageKey(query.cursor);
      select = select.where((eb) =>
        eb.or([
          eb("updated_at", "<", sql<Date>`CAST(${at} AS timestamptz)`),
          eb.and([
            eb("updated_at", "=", sql<Date>`CAST(${at} AS timestamptz)`),
            eb("guid", ">", id),
          ]),
        ]),
      );
    }
    const rows = await select
      .orderBy("updated_at", "desc")
      .orderBy("guid")
      .limit(query.limit + 1)
      .execute();
    return pageOf(rows, query.limit, toPacket, (row) => ({ at: row.page_at, id: row.guid }));
  }

  async countPacketsByStatus(): Promise<Record<PacketStatus, number>> {
    const rows = await this.#db
      .selectFrom("packets")
      .select(["status", (eb) => eb.fn.countAll<number | string>().as("count")])
      .groupBy("status")
      .execute();
    const counts = Object.fromEntries(PACKET_STATUSES.map((status) => [status, 0])) as Record<
      PacketStatus,
      number
    >;
    for (const row of rows) counts[row.status as PacketStatus] = Number(row.count);
    return counts;
  }

  /**
   * For each status a worker still has to act on, the age in seconds of the
   * oldest packet in it, measured from when the packet was first observed
   * (`observed_at`, the database's clock): how long it has been on its way,
   * not how long it has sat in this status. A requeued packet keeps its
   * `observed_at`. 0 when no packet is in the status.
   */
  async oldestPacketAges(): Promise<Record<ActivePacketStatus, number>> {
    const rows = await this.#db
      .selectFrom("packets")
      .select([
        "status",
        sql<string | number>`EXTRACT(EPOCH FROM now() - MIN(observed_at))::float8`.as("age"),
      ])
      .where("status", "in", ACTIVE_PACKET_STATUSES)
      .groupBy("status")
      .execute();
    const ages = Object.fromEntries(ACTIVE_PACKET_STATUSES.map((status) => [status, 0])) as Record<
      ActivePacketStatus,
      number
    >;
    for (const row of rows) {
      ages[row.status as ActivePacketStatus] = Math.max(0, Number(row.age));
    }
    return ages;
  }

  /**
   * Leases up to `limit` packets in `statuses` to `owner` for `leaseMs`:
   * packets nobody holds (or whose lease ran out) and whose backoff is over,
   * oldest first. Concurrent callers, in this process or others sharing the
   * database, never get the same packet while a lease runs. Each lease
   * counts as an attempt.
   */
  async leaseWork(
    owner: string,
    statuses: readonly PacketStatus[],
    limit: number,
    leaseMs: number,
  ): Promise<PacketRecord[]> {
    if (statuses.length === 0 || limit <= 0) return [];
    // One statement: the rows it picks are locked (others' picks skip them)
    // until it has leased them.
    const rows = await this.#db
      .updateTable("packets")
      .set({
        lease_owner: owner,
        lease_until: sql<Date>`now() + ${milliseconds(leaseMs)}`,
        attempts: sql<number>`attempts + 1`,
        updated_at: sql<Date>`now()`,
      })
      .where("guid", "in", (eb) =>
        eb
          .selectFrom("packets")
          .select("guid")
          .where("status", "in", statuses)
          .where((inner) =>
            inner.or([
              inner("lease_until", "is", null),
              inner("lease_until", "<=", sql<Date>`now()`),
            ]),
          )
          .where((inner) =>
            inner.or([
              inner("next_attempt_at", "is", null),
              inner("next_attempt_at", "<=", sql<Date>`now()`),
            ]),
          )
          .orderBy("observed_at")
          .orderBy("guid")
          .limit(limit)
          .forUpdate()
          .skipLocked(),
      )
      .returningAll()
      .execute();
    return rows
      .map(toPacket)
      .sort(
        (a, b) => a.observedAt.getTime() - b.observedAt.getTime() || a.guid.localeCompare(b.guid),
      );
  }

  /**
   * Ends every lease `owner` holds; returns how many. A relayer calls this
   * when it starts: leases left by its previous, crashed run would otherwise
   * hold those packets back until they run out. Only safe when no other live
   * process uses the same owner name (each process has its own relayerId);
   * `except`: the packets this process is still working on.
   */
  async releaseAllLeases(
    owner: string,
    options: { except?: readonly Hex[] } = {},
  ): Promise<number> {
    const kept = (options.except ?? []).map((guid) => hex32(guid, "guid"));
    let update = this.#db
      .updateTable("packets")
      .set({ lease_owner: null, lease_until: null, updated_at: sql<Date>`now()` })
      .where("lease_owner", "=", owner);
    if (kept.length > 0) update = update.where("guid", "not in", kept);
    const result = await update.executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /**
   * Makes the packets awaiting delivery among `guids` due now (what a
   * backoff or a wait for attestations set aside): a peer's attestations
   * arrived for them. Returns how many were waiting.
   */
  async makeDue(guids: readonly Hex[]): Promise<number> {
    if (guids.length === 0) return 0;
    const result = await this.#db
      .updateTable("packets")
      .set({ next_attempt_at: null })
      .where(
        "guid",
        "in",
        guids.map((guid) => hex32(guid, "guid")),
      )
      .where("status", "in", ["attested", "delivering"])
      .where("next_attempt_at", ">", sql<Date>`now()`)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /**
   * Gives a lease back without a status change: after a transient error
   * (recorded as `lastError`), not to be leased again for `retryInMs`.
   * With `attempt: false` the lease was no attempt (the relayer waited:
   * for peers, its turn, or a chain it could not reach) and its count is
   * given back, so waiting never brings a packet nearer to failing.
   */
  async release(
    guid: Hex,
    owner: string,
    options: { error?: string; retryInMs?: number; attempt?: boolean } = {},
  ): Promise<PacketRecord> {
    const key = hex32(guid, "guid");
    const row = await this.#db
      .updateTable("packets")
      .set({
        lease_owner: null,
        lease_until: null,
        last_error: options.error === undefined ? sql<string | null>`last_error` : options.error,
        next_attempt_at:
          options.retryInMs === undefined
            ? null
            : sql<Date>`now() + ${milliseconds(options.retryInMs)}`,
        ...(options.attempt === false && { attempts: sql<number>`greatest(attempts - 1, 0)` }),
        updated_at: sql<Date>`now()`,
      })
      .where("guid", "=", key)
      .where("lease_owner", "=", owner)
      .returningAll()
      .executeTakeFirst();
    if (row !== undefined) return toPacket(row);
    const current = await this.getPacket(key);
    if (current === undefined) throw notFound(key);
    throw new StoreError("LeaseLost", `packet ${key} is not leased to ${owner}`, {
      details: `lease owner: ${current.leaseOwner ?? "none"}`,
    });
  }

  /**
   * observed → verified: the packet is proven on its source chain.
   * `loanId`: a loan app sent it (pipeline/loans.ts), about that loan.
   */
  markVerified(
    guid: Hex,
    options: TransitionOptions & { loanId?: Hex } = {},
  ): Promise<PacketRecord> {
    return this.#transition(guid, "verified", options, {
      verified_at: sql<Date>`now()`,
      last_error: null,
      ...(options.loanId !== undefined && { loan_id: hex32(options.loanId, "loanId") }),
    });
  }

  /** verified → attested: this relayer signed it. */
  markAttested(guid: Hex, options: TransitionOptions = {}): Promise<PacketRecord> {
    return this.#transition(guid, "attested", options, {
      attested_at: sql<Date>`now()`,
      last_error: null,
    });
  }

  /** attested → delivering (or a replacement transaction while delivering). */
  markDelivering(
    guid: Hex,
    options: TransitionOptions & { destTx?: string } = {},
  ): Promise<PacketRecord> {
    return this.#transition(guid, "delivering", options, {
      ...(options.destTx !== undefined && { dest_tx: options.destTx }),
      last_error: null,
    });
  }

  /**
   * This relayer, executing, came to hold a threshold of attestations for
   * the packet `at` then: the first time is kept. No status change. The
   * time is the caller's, not the write's: a write waits its turn in the
   * store, the delivery does not wait for it.
   */
  async markReady(guid: Hex, at: Date): Promise<void> {
    const key = hex32(guid, "guid");
    const result = await this.#db
      .updateTable("packets")
      .set({ ready_at: sql<Date>`coalesce(ready_at, CAST(${at} AS timestamptz))` })
      .where("guid", "=", key)
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) throw notFound(key);
  }

  /**
   * This relayer sent a delivery transaction for the packet `at` then (the
   * caller's time, as for `markReady`): its first send is kept, so a
   * replacement, a retry or a requeue never moves it later. No status
   * change (the delivery is not confirmed yet).
   */
  async markSubmitted(guid: Hex, at: Date): Promise<PacketRecord> {
    const key = hex32(guid, "guid");
    const row = await this.#db
      .updateTable("packets")
      .set({
        submitted_at: sql<Date>`coalesce(submitted_at, CAST(${at} AS timestamptz))`,
        updated_at: sql<Date>`now()`,
      })
      .where("guid", "=", key)
      .returningAll()
      .executeTakeFirst();
    if (row === undefined) throw notFound(key);
    return toPacket(row);
  }

  /** → delivered: confirmed on the destination (by us or anyone). */
  markDelivered(
    guid: Hex,
    options: TransitionOptions & { destTx?: string } = {},
  ): Promise<PacketRecord> {
    return this.#transition(guid, "delivered", options, {
      ...(options.destTx !== undefined && { dest_tx: options.destTx }),
      delivered_at: sql<Date>`now()`,
      last_error: null,
    });
  }

  /** → failed: gave up (attempts exhausted, or a verification failure); needs an operator. */
  markFailed(guid: Hex, reason: string, options: TransitionOptions = {}): Promise<PacketRecord> {
    return this.#transition(guid, "failed", options, { last_error: reason }, false);
  }

  /** → denied: an operator decided this packet is not to be delivered by this relayer. */
  deny(guid: Hex, reason: string, options: TransitionOptions = {}): Promise<PacketRecord> {
    return this.#transition(guid, "denied", options, { last_error: `denied: ${reason}` }, false);
  }

  /** failed/denied → observed: verify and deliver again from the start. */
  requeue(guid: Hex, options: TransitionOptions = {}): Promise<PacketRecord> {
    return this.#transition(guid, "observed", options, {});
  }

  async #transition(
    guid: Hex,
    to: PacketStatus,
    options: TransitionOptions,
    set: UpdateObject<Database, "packets">,
    resetAttempts = true,
  ): Promise<PacketRecord> {
    const key = hex32(guid, "guid");
    const from: readonly PacketStatus[] = PACKET_TRANSITIONS[to];
    const apply = async (db: Db): Promise<PacketRecord> => {
      let update = db
        .updateTable("packets")
        .set({
          ...set,
          status: to,
          lease_owner: null,
          lease_until: null,
          next_attempt_at: null,
          ...(resetAttempts && { attempts: 0 }),
          updated_at: sql<Date>`now()`,
        })
        .where("guid", "=", key)
        .where("status", "in", from);
      if (options.owner !== undefined) update = update.where("lease_owner", "=", options.owner);
      const row = await update.returningAll().executeTakeFirst();
      if (row === undefined) {
        const current = await db
          .selectFrom("packets")
          .select(["status", "lease_owner"])
          .where("guid", "=", key)
          .executeTakeFirst();
        if (current === undefined) throw notFound(key);
        if (!from.includes(current.status as PacketStatus)) {
          throw new StoreError(
            "InvalidTransition",
            `packet ${key} is ${current.status} and cannot become ${to}`,
            { details: `${to} is reached from: ${from.join(", ")}` },
          );
        }
        throw new StoreError(
          "LeaseLost",
          `packet ${key} is not leased to ${String(options.owner)}`,
          {
            details: `lease owner: ${current.lease_owner ?? "none"}`,
          },
        );
      }
      if (options.audit !== undefined) await appendAudit(db, options.audit);
      return toPacket(row);
    };
    // One statement is atomic alone (what is read when it changes nothing
    // only names the error); an audit entry is written with the change or
    // not at all.
    return options.audit === undefined ? apply(this.#db) : this.#db.transaction().execute(apply);
  }

  // --- attestations --------------------------------------------------------

  /**
   * Stores a signature. The same one again is a no-op; a different digest
   * or signature for the same (guid, signer, epoch) is a Conflict.
   */
  async putAttestation(attestation: NewAttestation): Promise<{ created: boolean }> {
    const { created, conflicts } = await this.putAttestations([attestation]);
    if (conflicts[0] !== undefined) throw conflicts[0].error;
    return { created: created === 1 };
  }

  /**
   * Stores signatures in one statement, each as `putAttestation` does: how
   * many were new, and a Conflict (with its guid) for each that contradicts
   * the one stored for its (guid, signer, epoch). The others are stored
   * either way.
   */
  async putAttestations(
    attestations: readonly NewAttestation[],
  ): Promise<{ created: number; conflicts: { guid: Hex; error: StoreError }[] }> {
    if (attestations.length === 0) return { created: 0, conflicts: [] };
    const values = attestations.map((attestation) => ({
      guid: hex32(attestation.guid, "guid"),
      signer: attestation.signer,
      epoch: attestation.epoch.toString(),
      digest: hex32(attestation.digest, "digest"),
      signature: attestation.signature.toLowerCase(),
    }));
    const key = (row: { guid: string; signer: string; epoch: string }) =>
      `${row.guid}:${row.signer}:${row.epoch}`;
    const inserted = await this.#db
      .insertInto("attestations")
      .values(values)
      .onConflict((conflict) => conflict.columns(["guid", "signer", "epoch"]).doNothing())
      .returning(["guid", "signer", "epoch", "digest", "signature"])
      .execute();
    // What each key holds now: the row this statement inserted (a batch may
    // carry a key twice, and only its first is inserted), else the row
    // already there.
    const stored = new Map(inserted.map((row) => [key(row), row]));
    const kept = values.filter((value) => !stored.has(key(value)));
    const existing =
      kept.length === 0
        ? []
        : await this.#db
            .selectFrom("attestations")
            .select(["guid", "signer", "epoch", "digest", "signature"])
            .where((eb) =>
              eb.or(
                kept.map((value) =>
                  eb.and([
                    eb("guid", "=", value.guid),
                    eb("signer", "=", value.signer),
                    eb("epoch", "=", value.epoch),
                  ]),
                ),
              ),
            )
            .execute();
    for (const row of existing) stored.set(key(row), row);
    const conflicts = values
      .filter((value) => {
        const row = stored.get(key(value));
        return (
          row !== undefined && (row.digest !== value.digest || row.signature !== value.signature)
        );
      })
      .map((value) => ({
        guid: value.guid,
        error: new StoreError(
          "Conflict",
          `${value.signer} already attested ${value.guid} at epoch ${value.epoch} differently`,
        ),
      }));
    return { created: inserted.length, conflicts };
  }

  listAttestations(
    guid: Hex,
    options: { signers?: readonly string[] } = {},
  ): Promise<StoredAttestation[]> {
    return this.listAttestationsOf([guid], options);
  }

  /** The attestations of every one of `guids` (by guid, epoch and signer). */
  async listAttestationsOf(
    guids: readonly Hex[],
    options: { signers?: readonly string[] } = {},
  ): Promise<StoredAttestation[]> {
    if (guids.length === 0) return [];
    let select = this.#db
      .selectFrom("attestations")
      .selectAll()
      .where(
        "guid",
        "in",
        guids.map((guid) => hex32(guid, "guid")),
      );
    if (options.signers !== undefined) {
      if (options.signers.length === 0) return [];
      select = select.where("signer", "in", options.signers);
    }
    const rows = await select.orderBy("guid").orderBy("epoch").orderBy("signer").execute();
    return rows.map(toAttestation);
  }

  // --- loans -------------------------------------------------------------

  /**
   * Mirrors one side's news about a loan. A state older than the stored one
   * (a replayed event) is ignored; two different outcomes of one side are an
   * InvalidTransition.
   */
  async upsertLoan(update: LoanSideUpdate): Promise<LoanRecord> {
    const loanId = hex32(update.loanId, "loanId");
    const vault = update.side === "vault";
    const fields = {
      ...(update.borrower !== undefined && { borrower: update.borrower }),
      ...(update.recipient !== undefined && { recipient: hex32(update.recipient, "recipient") }),
      ...(update.rateBps !== undefined && { rate_bps: update.rateBps }),
      ...(update.dueAt !== undefined && { due_at: update.dueAt }),
      ...(update.installments !== undefined && {
        installments: installmentCount(update.installments),
      }),
      ...(update.collateralAsset !== undefined && { collateral_asset: update.collateralAsset }),
      ...(update.principal !== undefined && { principal: update.principal.toString() }),
      ...(update.collateralAmount !== undefined && {
        collateral_amount: update.collateralAmount.toString(),
      }),
      // OPEN_LOAN and LOAN_ACTIVE carry the whole principal; later news only what is owed.
      ...(update.principal !== undefined &&
        update.state === (vault ? "Requested" : "Active") && {
          opened_principal: update.principal.toString(),
        }),
    };
    // A loan's first news, one statement: no transaction around it. Rows
    // are never deleted, so a loan recorded now is recorded below too.
    const inserted = await this.#db
      .insertInto("loans")
      .values({
        loan_id: loanId,
        collateral_eid: update.collateralEid,
        lending_eid: update.lendingEid,
        ...fields,
        ...(vault
          ? { vault_state: update.state, vault_updated_at: sql<Date>`now()` }
          : { pool_state: update.state, pool_updated_at: sql<Date>`now()` }),
      })
      .onConflict((conflict) => conflict.column("loan_id").doNothing())
      .returningAll()
      .executeTakeFirst();
    if (inserted !== undefined) return toLoan(inserted);
    return this.#db.transaction().execute(async (trx) => {
      const current = await trx
        .selectFrom("loans")
        .selectAll()
        .where("loan_id", "=", loanId)
        .forUpdate()
        .executeTakeFirstOrThrow();
      if (
        Number(current.collateral_eid) !== update.collateralEid ||
        Number(current.lending_eid) !== update.lendingEid
      ) {
        throw new StoreError("Conflict", `loan ${loanId} is recorded between other chains`, {
          details: `stored ${current.collateral_eid} → ${current.lending_eid}, got ${update.collateralEid} → ${update.lendingEid}`,
        });
      }
      const stored = vault ? current.vault_state : current.pool_state;
      const rank = (state: string): number =>
        vault ? VAULT_RANK[state as VaultState] : POOL_RANK[state as PoolState];
      if (stored !== null && stored !== update.state) {
        if (rank(stored) > rank(update.state)) return toLoan(current); // replayed, older news
        if (rank(stored) === rank(update.state)) {
          throw new StoreError(
            "InvalidTransition",
            `loan ${loanId} is ${stored} on the ${update.side} and cannot become ${update.state}`,
          );
        }
      }
      const changed = stored !== update.state;
      const row = await trx
        .updateTable("loans")
        .set({
          ...fields,
          updated_at: sql<Date>`now()`,
          ...(vault
            ? { vault_state: update.state, ...(changed && { vault_updated_at: sql<Date>`now()` }) }
            : { pool_state: update.state, ...(changed && { pool_updated_at: sql<Date>`now()` }) }),
        })
        .where("loan_id", "=", loanId)
        .returningAll()
        .executeTakeFirstOrThrow();
      return toLoan(row);
    });
  }

  async getLoan(loanId: Hex): Promise<LoanRecord | undefined> {
    const row = await this.#db
      .selectFrom("loans")
      .selectAll()
      .where("loan_id", "=", hex32(loanId, "loanId"))
      .executeTakeFirst();
    return row === undefined ? undefined : toLoan(row);
  }

  /** Most recently changed first. */
  async listLoans(query: ListLoansQuery): Promise<LoanRecord[]> {
    return (await this.loanPage(query)).items;
  }

  /** Most recently changed first, one keyset page at a time. */
  async loanPage(query: ListLoansQuery): Promise<Page<LoanRecord>> {
    let select = this.#db
      .selectFrom("loans")
      .selectAll()
      .select(sql<string>`updated_at::text`.as("page_at"));
    const { state } = query;
    if (state !== undefined) {
      select = select.where((eb) =>
        eb.or([eb("vault_state", "=", state), eb("pool_state", "=", state)]),
      );
    }
    if (query.borrower !== undefined) {
      const account = hex32(query.borrower, "borrower");
      select = select.where((eb) =>
        eb.or([eb("borrower", "=", account), eb("recipient", "=", account)]),
      );
    }
    if (query.cursor !== undefined) {
      const { at, id } = pageKey(query.cursor);
      select = select.where((eb) =>
        eb.or([
          eb("updated_at", "<", sql<Date>`CAST(${at} AS timestamptz)`),
          eb.and([
            eb("updated_at", "=", sql<Date>`CAST(${at} AS timestamptz)`),
            eb("loan_id", ">", id),
          ]),
        ]),
      );
    }
    const rows = await select
      .orderBy("updated_at", "desc")
      .orderBy("loan_id")
      .limit(query.limit + 1)
      .execute();
    return pageOf(rows, query.limit, toLoan, (row) => ({ at: row.page_at, id: row.loan_id }));
  }

  /**
   * Loans whose two halves disagree (LOANS.md's consistency table) and have
   * not changed for `olderThanMs`: longer than a delivery should take.
   */
  async disagreeingLoans(olderThanMs: number, limit = 1_000): Promise<LoanRecord[]> {
    const rows = await this.#db
      .selectFrom("loans")
      .selectAll()
      .where((eb) =>
        eb.not(
          eb.or(
            AGREEING_STATES.map(([vaultState, poolState]) =>
              eb.and([
                eb("vault_state", "is not distinct from", vaultState),
                eb("pool_state", "is not distinct from", poolState),
              ]),
            ),
          ),
        ),
      )
      .where(
        sql<Date>`GREATEST(vault_updated_at, pool_updated_at)`,
        "<",
        sql<Date>`now() - ${milliseconds(olderThanMs)}`,
      )
      .orderBy("updated_at")
      .limit(limit)
      .execute();
    return rows.map(toLoan);
  }

  /** Counts and sums behind the loan metrics. */
  async loanTotals(): Promise<LoanTotals> {
    const [vault, pool, principal, collateral, byOutcome] = await Promise.all([
      this.#db
        .selectFrom("loans")
        .select(["vault_state as state", (eb) => eb.fn.countAll<number | string>().as("count")])
        .where("vault_state", "is not", null)
        .groupBy("vault_state")
        .execute(),
      this.#db
        .selectFrom("loans")
        .select(["pool_state as state", (eb) => eb.fn.countAll<number | string>().as("count")])
        .where("pool_state", "is not", null)
        .groupBy("pool_state")
        .execute(),
      this.#db
        .selectFrom("loans")
        .select(["lending_eid", sql<string>`COALESCE(SUM(principal), 0)::text`.as("amount")])
        .where("pool_state", "=", "Active")
        .groupBy("lending_eid")
        .execute(),
      this.#db
        .selectFrom("loans")
        .select([
          "collateral_eid",
          "collateral_asset",
          sql<string>`COALESCE(SUM(collateral_amount), 0)::text`.as("amount"),
        ])
        .where("vault_state", "in", ["Requested", "Active"])
        .where("collateral_asset", "is not", null)
        .groupBy(["collateral_eid", "collateral_asset"])
        .execute(),
      outcomeCounts(this.#db),
    ]);
    const count =
      (side: "vault" | "pool") => (row: { state: string | null; count: number | string }) => ({
        side,
        state: row.state as LoanState,
        count: Number(row.count),
      });
    return {
      bySideAndState: [...vault.map(count("vault")), ...pool.map(count("pool"))],
      outstandingPrincipal: principal.map((row) => ({
        lendingEid: Number(row.lending_eid),
        amount: BigInt(row.amount),
      })),
      lockedCollateral: collateral.map((row) => ({
        collateralEid: Number(row.collateral_eid),
        asset: row.collateral_asset ?? "",
        amount: BigInt(row.amount),
      })),
      byOutcome,
    };
  }

  /**
   * Records a loan's installment plan (LOANS.md "Installments"), its
   * installments unpaid. The same plan again changes nothing; another plan
   * is a Conflict; a loan not mirrored is NotFound.
   */
  async recordLoanSchedule(loanId: Hex, schedule: LoanScheduleInput): Promise<InstallmentRecord[]> {
    return recordSchedule(this.#db, hex32(loanId, "loanId"), schedule);
  }

  /**
   * Records installments completed by repayments (all or none); an
   * installment once paid stays paid as first reported. Returns the loan's
   * installments.
   */
  async recordInstallmentPayments(
    loanId: Hex,
    payments: readonly InstallmentPayment[],
  ): Promise<InstallmentRecord[]> {
    return recordPayments(this.#db, hex32(loanId, "loanId"), payments);
  }

  /**
   * Loans whose installments to read from their lending pools next, least
   * recently read first: active ones never read or found changed by a scan
   * of their pool since their last read (`recordScheduleScan`), and final
   * ones (repaid, defaulted, liquidated) not read since they became final;
   * none whose read failed since `readBefore` (so failing loans cannot take
   * every batch, and each is tried again after the interval).
   * Each needs its disbursed principal and rate mirrored and a packet from
   * its pool delivered (the pool's address and the block it opened the loan
   * in): delivered, so the collateral chain's endpoint took it from its
   * registered peer, and a packet any other app sent with the same loan id
   * can never point the reads at a contract of its choosing.
   */
  async scheduleSyncTargets(query: {
    lendingEids: readonly number[];
    limit: number;
    readBefore: Date;
  }): Promise<ScheduleSyncTarget[]> {
    if (query.lendingEids.length === 0) return [];
    const { rows } = await sql<{
      loan_id: string;
      lending_eid: string;
      opened_principal: string;
      rate_bps: number;
      packet: Uint8Array;
      source_height: string;
      read_as_of: Date;
    }>`
      SELECT l.loan_id, l.lending_eid, l.opened_principal, l.rate_bps,
        p.packet, p.source_height, now() AS read_as_of
      FROM loans l ${DELIVERED_POOL_PACKET}
      WHERE l.lending_eid IN (${sql.join(query.lendingEids)})
        AND l.opened_principal IS NOT NULL AND l.rate_bps IS NOT NULL
        AND (l.schedule_failed_at IS NULL OR l.schedule_failed_at < ${query.readBefore})
        AND (
          (l.pool_state = 'Active'
            AND (l.schedule_read_at IS NULL OR l.schedule_changed_at >= l.schedule_read_at))
          OR (l.pool_state IN ('Repaid', 'Defaulted', 'Liquidated')
            AND (l.schedule_read_at IS NULL OR l.schedule_read_at < l.pool_updated_at))
        )
      ORDER BY l.schedule_read_at NULLS FIRST, l.loan_id
      LIMIT ${query.limit}`.execute(this.#db);
    return rows.map((row) => ({
      loanId: row.loan_id as Hex,
      lendingEid: Number(row.lending_eid),
      pool: decodePacket(row.packet).sender,
      openedAt: BigInt(row.source_height),
      openedPrincipal: BigInt(row.opened_principal),
      rateBps: row.rate_bps,
      readAsOf: row.read_as_of,
    }));
  }

  /**
   * The lending pools to scan for changed loans: those with active loans the
   * mirror reads, not scanned since `scannedBefore`; with those loans as
   * recorded (principal owed, installments paid) and where the last scan ended.
   */
  async scheduleScanTargets(query: {
    lendingEids: readonly number[];
    scannedBefore: Date;
  }): Promise<ScheduleScanTarget[]> {
    return scheduleScanTargets(this.#db, query);
  }

  /**
   * Records a scan of a pool (all or none): its `changed` loans are read
   * again (`scheduleSyncTargets`), and it was scanned up to `scannedTo` now.
   */
  async recordScheduleScan(scan: {
    lendingEid: number;
    pool: Hex;
    changed: readonly Hex[];
    scannedTo: bigint;
  }): Promise<void> {
    await recordScheduleScan(this.#db, {
      ...scan,
      pool: hex32(scan.pool, "pool"),
      changed: scan.changed.map((loanId) => hex32(loanId, "loanId")),
    });
  }

  /** Records that a scan of a pool failed now: it is scanned again after the interval. */
  async recordScheduleScanFailed(scan: { lendingEid: number; pool: Hex }): Promise<void> {
    await recordScheduleScanFailed(this.#db, { ...scan, pool: hex32(scan.pool, "pool") });
  }

  /**
   * The principal an active loan still owes, as its pool holds it at
   * finality (repayments before the last send no packet); a loan no longer
   * active keeps what its final message said.
   */
  async recordOutstandingPrincipal(loanId: Hex, principal: bigint): Promise<void> {
    await this.#db
      .updateTable("loans")
      .set({ principal: principal.toString(), updated_at: sql<Date>`now()` })
      .where("loan_id", "=", hex32(loanId, "loanId"))
      .where("pool_state", "=", "Active")
      .execute();
  }

  /** Records that the loan's installments were read from its pool as of `at` (the target's `readAsOf`). */
  async markScheduleRead(loanId: Hex, at: Date): Promise<void> {
    await this.#db
      .updateTable("loans")
      .set({ schedule_read_at: at, schedule_failed_at: null })
      .where("loan_id", "=", hex32(loanId, "loanId"))
      .execute();
  }

  /** Records that reading the loan's installments failed now (it is tried again after the interval). */
  async markScheduleReadFailed(loanId: Hex): Promise<void> {
    await this.#db
      .updateTable("loans")
      .set({ schedule_failed_at: sql<Date>`now()` })
      .where("loan_id", "=", hex32(loanId, "loanId"))
      .execute();
  }

  /** A loan's installments by index (none before its schedule is recorded). */
  async listInstallments(loanId: Hex): Promise<InstallmentRecord[]> {
    return installmentsOf(this.#db, [hex32(loanId, "loanId")]);
  }

  /**
   * Every loan of each borrower `account` (a SPEC.md bytes32) names: the
   * borrower itself on any collateral chain, and the borrowers whose loans
   * paid out to it as recipient; newest first, with their installments.
   */
  async borrowerHistory(account: string): Promise<BorrowerHistory> {
    const key = hex32(account, "borrower");
    const rows = await this.#db
      .selectFrom("loans")
      .selectAll()
      .where(
        sql<boolean>`(collateral_eid, borrower) IN (
          SELECT collateral_eid, borrower FROM loans
          WHERE borrower IS NOT NULL AND (borrower = ${key} OR recipient = ${key}))`,
      )
      .orderBy("created_at", "desc")
      .orderBy("loan_id")
      .execute();
    const installments = await installmentsOf(
      this.#db,
      rows.map((row) => row.loan_id),
    );
    return { loans: rows.map(toLoan), installments };
  }

  // --- audit -------------------------------------------------------------

  appendAudit(entry: AuditInput): Promise<AuditEntry> {
    return appendAudit(this.#db, entry);
  }

  /** Newest first. */
  async listAudit(query: { subject?: string; limit: number }): Promise<AuditEntry[]> {
    let select = this.#db.selectFrom("audit_log").selectAll();
    if (query.subject !== undefined) select = select.where("subject", "=", query.subject);
    const rows = await select.orderBy("id", "desc").limit(query.limit).execute();
    return rows.map(toAudit);
  }
}

async function appendAudit(db: Db, entry: AuditInput): Promise<AuditEntry> {
  const row = await db
    .insertInto("audit_log")
    .values({
      actor: entry.actor,
      action: entry.action,
      subject: entry.subject,
      detail: JSON.stringify(entry.detail ?? {}),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toAudit(row);
}

/** A millisecond count as a SQL interval (a bound parameter, never spliced). */
const milliseconds = (ms: number) =>
  sql<string>`(${Math.max(0, Math.round(ms))}::double precision * interval '1 millisecond')`;

const bytesOf = (value: Hex) => Buffer.from(value.slice(2), "hex");

const pathRow = (srcEid: number, path: OutboundPath) => ({
  src_eid: srcEid,
  app: hex32(path.app, "app"),
  dst_eid: path.dstEid,
  receiver: hex32(path.receiver, "receiver"),
});

const pathOfRow = (row: { app: string; dst_eid: number | string; receiver: string }) => ({
  app: row.app as Hex,
  dstEid: Number(row.dst_eid),
  receiver: row.receiver as Hex,
});

function hex32(value: string, field: string): Hex {
  if (!HEX32.test(value)) {
    throw new StoreError("InvalidInput", `${field} must be 0x followed by 64 hex digits`);
  }
  return value.toLowerCase() as Hex;
}

/** A loan has at least one installment, and at most what the wire's uint16 holds. */
function installmentCount(value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > MAX_INSTALLMENTS) {
    throw new StoreError(
      "InvalidInput",
      `installments must be a whole number from 1 to ${MAX_INSTALLMENTS}`,
    );
  }
  return value;
}

function pageKey(cursor: string): PageKey {
  const key = decodeCursor(cursor);
  if (key === undefined) throw new StoreError("InvalidInput", "cursor is not one a list gave out");
  return key;
}

/** `rows` holds up to one more than `limit`: its presence says another page follows. */
function pageOf<Row, T>(
  rows: Row[],
  limit: number,
  convert: (row: Row) => T,
  keyOf: (row: Row) => PageKey,
): Page<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  const nextCursor = rows.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null;
  return { items: items.map(convert), nextCursor };
}

const notFound = (guid: string) => new StoreError("NotFound", `packet ${guid} is not recorded`);

const toBytes = (value: Uint8Array): Uint8Array => Uint8Array.from(value);

type PacketRow = Insertable<PacketsTable> & { guid: string; src_eid: number };
type ClaimRow = PacketRow & Insertable<PacketClaimsTable>;

function claimRow(observed: ObservedPacket): ClaimRow {
  return { ...packetRow(observed), packet_hash: keccak256(observed.packet) };
}

function packetRow(observed: ObservedPacket): PacketRow {
  return {
    guid: hex32(observed.guid, "guid"),
    src_eid: observed.srcEid,
    dst_eid: observed.dstEid,
    nonce: observed.nonce.toString(),
    packet: Buffer.from(observed.packet),
    source_tx: observed.sourceTx,
    source_height: observed.sourceHeight.toString(),
    source_index: observed.sourceIndex,
  };
}

/** Whether a row already records exactly this claim. */
function sameClaim(row: Selectable<PacketsTable>, claim: ClaimRow): boolean {
  return (
    Buffer.from(row.packet).equals(Buffer.from(claim.packet)) &&
    Number(row.src_eid) === claim.src_eid &&
    row.source_tx === claim.source_tx &&
    row.source_index === claim.source_index &&
    row.source_height === claim.source_height
  );
}

/** Puts `claim` in its guid's row, to be verified from the start. */
async function replaceClaim(
  trx: Db,
  claim: Selectable<PacketClaimsTable> | ClaimRow,
  reason: string,
): Promise<PacketRecord> {
  const row = await trx
    .updateTable("packets")
    .set({
      dst_eid: Number(claim.dst_eid),
      nonce: claim.nonce,
      packet: claim.packet,
      // Named again only once this claim is proven (markVerified).
      loan_id: null,
      source_tx: claim.source_tx,
      source_height: claim.source_height,
      source_index: claim.source_index,
      status: "observed",
      attempts: 0,
      last_error: `replaced: ${reason}`,
      lease_owner: null,
      lease_until: null,
      next_attempt_at: null,
      disproved_at: null,
      submitted_at: null,
      ready_at: null,
      observed_at: sql<Date>`now()`,
      updated_at: sql<Date>`now()`,
    })
    .where("guid", "=", claim.guid)
    .returningAll()
    .executeTakeFirstOrThrow();
  return toPacket(row);
}

function toPacket(row: Selectable<PacketsTable>): PacketRecord {
  return {
    guid: row.guid as Hex,
    srcEid: Number(row.src_eid),
    dstEid: Number(row.dst_eid),
    nonce: BigInt(row.nonce),
    packet: toBytes(row.packet),
    loanId: row.loan_id as Hex | null,
    sourceTx: row.source_tx,
    sourceHeight: BigInt(row.source_height),
    sourceIndex: row.source_index,
    status: row.status as PacketStatus,
    attempts: row.attempts,
    lastError: row.last_error,
    destTx: row.dest_tx,
    leaseOwner: row.lease_owner,
    leaseUntil: row.lease_until,
    nextAttemptAt: row.next_attempt_at,
    observedAt: row.observed_at,
    verifiedAt: row.verified_at,
    attestedAt: row.attested_at,
    readyAt: row.ready_at,
    submittedAt: row.submitted_at,
    deliveredAt: row.delivered_at,
    updatedAt: row.updated_at,
  };
}

function toAttestation(row: Selectable<AttestationsTable>): StoredAttestation {
  return {
    guid: row.guid as Hex,
    signer: row.signer,
    epoch: BigInt(row.epoch),
    digest: row.digest as Hex,
    signature: row.signature as Hex,
    createdAt: row.created_at,
  };
}

function toLoan(row: Selectable<LoansTable>): LoanRecord {
  return {
    loanId: row.loan_id as Hex,
    collateralEid: Number(row.collateral_eid),
    lendingEid: Number(row.lending_eid),
    vaultState: row.vault_state as VaultState | null,
    poolState: row.pool_state as PoolState | null,
    borrower: row.borrower,
    collateralAsset: row.collateral_asset,
    principal: row.principal === null ? null : BigInt(row.principal),
    collateralAmount: row.collateral_amount === null ? null : BigInt(row.collateral_amount),
    recipient: row.recipient,
    rateBps: row.rate_bps,
    dueAt: row.due_at,
    installments: row.installments,
    periodSeconds: row.period_seconds === null ? null : BigInt(row.period_seconds),
    installmentAmount: row.installment_amount === null ? null : BigInt(row.installment_amount),
    startAt: row.start_at,
    openedPrincipal: row.opened_principal === null ? null : BigInt(row.opened_principal),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    vaultUpdatedAt: row.vault_updated_at,
    poolUpdatedAt: row.pool_updated_at,
  };
}

function toAudit(row: Selectable<AuditLogTable>): AuditEntry {
  const detail = typeof row.detail === "string" ? (JSON.parse(row.detail) as unknown) : row.detail;
  return {
    id: Number(row.id),
    at: row.at,
    actor: row.actor,
    action: row.action,
    subject: row.subject,
    detail: (detail ?? {}) as Record<string, unknown>,
  };
}

/**
 * The PostgreSQL pool, every connection's loss heard. pg reports a lost
 * connection as an `error` event: on the pool while the connection is idle,
 * but on the client itself while it is checked out between two queries (in a
 * transaction, or held by a caller), where nothing listens by default, and an
 * unheard `error` event ends the process. Heard, the loss fails the next
 * query on that connection instead, which the store reports as Unavailable.
 */
export function postgresPool(
  config: { url: { reveal(): string }; poolSize: number },
  onError: (error: Error) => void,
): pg.Pool {
  const pool = new pg.Pool({
    connectionString: config.url.reveal(),
    max: config.poolSize,
    connectionTimeoutMillis: 10_000,
  });
  pool.on("error", onError);
  pool.on("connect", (client) => {
    client.on("error", onError);
  });
  return pool;
}
