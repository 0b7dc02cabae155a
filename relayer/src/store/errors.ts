import { BaseError } from "@loanbridge/shared";

/** What went wrong, for callers (and the HTTP API) to branch on. */
export type StoreErrorCode =
  /** A key that cannot be one (not 0x + 64 hex digits). */
  | "InvalidInput"
  /** No row with that key. */
  | "NotFound"
  /** The packet's (or loan's) current status does not allow the change. */
  | "InvalidTransition"
  /** The packet is leased to another worker (or the caller's lease was taken over). */
  | "LeaseLost"
  /** Same key, different content: a second packet for one guid or source position. */
  | "Conflict"
  /** The database could not be opened, reached or migrated. */
  | "Unavailable";

/** A store operation refused or failed; `code` says which way. */
export class StoreError extends BaseError {
  override name = "StoreError";
  readonly code: StoreErrorCode;

  constructor(
    code: StoreErrorCode,
    shortMessage: string,
    options: { details?: string; cause?: unknown } = {},
  ) {
    super(shortMessage, options);
    this.code = code;
  }
}

/**
 * The embedded store's data dir is locked by a live process (the running
 * relayer, usually): PGlite serves one process. Operator reads can then go
 * through that relayer's API instead (cli.ts).
 */
export class DataDirInUseError extends StoreError {
  override name = "DataDirInUseError";
  readonly dataDir: string;
  readonly pid: number;

  constructor(dataDir: string, pid: number, lockFile: string) {
    super("Unavailable", `the PGlite data dir ${dataDir} is in use by process ${pid}`, {
      details: `PGlite serves one process: run several relayer processes on a PostgreSQL store. If process ${pid} is not a relayer, delete ${lockFile}.`,
    });
    this.dataDir = dataDir;
    this.pid = pid;
  }
}
