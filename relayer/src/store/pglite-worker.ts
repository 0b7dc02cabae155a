// One PGlite on a data dir, in a worker thread of its own, for store.ts's
// PGliteThread (why a thread: see there). It answers the parent's messages
// one by one: `query` → the rows (or the error's fields), `close` → closed.
// It first lowers its own CPU priority (`niceness`): the relayer's thread,
// which takes a delivery from ready to sent without waiting for the store,
// goes first when the CPU is contended.
import { readlinkSync } from "node:fs";
import { getPriority, setPriority } from "node:os";
import { parentPort, workerData } from "node:worker_threads";
import { PGlite } from "@electric-sql/pglite";

export interface WorkerInit {
  dataDir: string;
  settings: string[];
  /** Added to the relayer's niceness for this thread (as `nice -n`), to 19 at most. */
  niceness: number;
}

/** This thread's CPU priority as set, or why it could not be. */
export type ThreadPriority = { thread: number; niceness: number } | { unchanged: string };

export type WorkerRequest =
  { id: number; kind: "query"; sql: string; params: unknown[] } | { id: number; kind: "close" };

/** An error as plain fields (PGlite's DatabaseError: message, severity, code, detail, …). */
export type WorkerError = Record<string, unknown> & { message: string; name: string };

export type WorkerReply =
  | { kind: "ready"; priority: ThreadPriority }
  | { kind: "failed"; error: WorkerError }
  | { id: number; kind: "ok"; rows: unknown[]; affectedRows?: number }
  | { id: number; kind: "error"; error: WorkerError };

const errorFields = (error: unknown): WorkerError =>
  error instanceof Error
    ? { ...(error as unknown as Record<string, unknown>), name: error.name, message: error.message }
    : { name: "Error", message: String(error) };

const port = parentPort;
if (port === null) throw new Error("pglite-worker.ts runs as a worker thread");
const { dataDir, settings, niceness } = workerData as WorkerInit;

/**
 * Lowers this thread's priority, not the process's: on Linux each thread is
 * a task of its own, and setpriority on its id (from /proc/thread-self)
 * changes that thread alone. Elsewhere the thread keeps the relayer's.
 */
function lowerPriority(by: number): ThreadPriority {
  try {
    const thread = Number(readlinkSync("/proc/thread-self").split("/").at(-1));
    if (!Number.isInteger(thread) || thread <= 0) {
      throw new Error("no thread id in /proc/thread-self");
    }
    setPriority(thread, Math.min(19, getPriority(process.pid) + by));
    return { thread, niceness: getPriority(thread) };
  } catch (error) {
    return { unchanged: errorFields(error).message };
  }
}
const priority = lowerPriority(niceness);
const pglite = new PGlite({ dataDir, postgresqlconf: settings });
const post = (reply: WorkerReply) => {
  port.postMessage(reply);
};

pglite.waitReady.then(
  () => {
    post({ kind: "ready", priority });
  },
  (error: unknown) => {
    post({ kind: "failed", error: errorFields(error) });
  },
);

port.on("message", (request: WorkerRequest) => {
  void (async () => {
    try {
      if (request.kind === "close") {
        await pglite.close();
        post({ id: request.id, kind: "ok", rows: [] });
        return;
      }
      const result = await pglite.query(request.sql, request.params);
      post({
        id: request.id,
        kind: "ok",
        rows: result.rows,
        ...(result.affectedRows !== undefined && { affectedRows: result.affectedRows }),
      });
    } catch (error) {
      post({ id: request.id, kind: "error", error: errorFields(error) });
    }
  })();
});
