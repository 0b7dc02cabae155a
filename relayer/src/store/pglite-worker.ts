// One PGlite on a data dir, in a worker thread of its own, for store.ts's
// PGliteThread (why a thread: see there). It answers the parent's messages
// one by one: `query` → the rows (or the error's fields), `close` → closed.
import { parentPort, workerData } from "node:worker_threads";
import { PGlite } from "@electric-sql/pglite";

export interface WorkerInit {
  dataDir: string;
  settings: string[];
}

export type WorkerRequest =
  { id: number; kind: "query"; sql: string; params: unknown[] } | { id: number; kind: "close" };

/** An error as plain fields (PGlite's DatabaseError: message, severity, code, detail, …). */
export type WorkerError = Record<string, unknown> & { message: string; name: string };

export type WorkerReply =
  | { kind: "ready" }
  | { kind: "failed"; error: WorkerError }
  | { id: number; kind: "ok"; rows: unknown[]; affectedRows?: number }
  | { id: number; kind: "error"; error: WorkerError };

const errorFields = (error: unknown): WorkerError =>
  error instanceof Error
    ? { ...(error as unknown as Record<string, unknown>), name: error.name, message: error.message }
    : { name: "Error", message: String(error) };

const port = parentPort;
if (port === null) throw new Error("pglite-worker.ts runs as a worker thread");
const { dataDir, settings } = workerData as WorkerInit;
const pglite = new PGlite({ dataDir, postgresqlconf: settings });
const post = (reply: WorkerReply) => {
  port.postMessage(reply);
};

pglite.waitReady.then(
  () => {
    post({ kind: "ready" });
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
