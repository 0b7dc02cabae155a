// What every pipeline stage works with: the store, the chain adapters (keyed
// by endpoint id), the event bus and the pipeline settings. Stages are plain
// functions over this context, so the daemon and the tests compose them alike.
import type { Hex } from "@loanbridge/shared";
import type {
  AttestationSigner,
  ChainKind,
  LoanAppRegistry,
  PacketDeliverer,
  PacketVerifier,
  PacketWatcher,
  PoolLoanReader,
} from "../chains/types.ts";
import { RpcDisagreementError, RpcError, RpcQuorumError } from "../chains/rpc.ts";
import type { PipelineConfig } from "../config/schema.ts";
import type { RelayerEvents } from "../observability/events.ts";
import type { Store } from "../store/store.ts";
import type { PacketRecord } from "../store/types.ts";
import type { FailureBackoff } from "./backoff.ts";
import type { ReadyTimes } from "./takeover.ts";
import type { ScanAsks } from "./schedules.ts";

/**
 * Where a relayer may be made to crash, for the fault-injection tests
 * (`LOANBRIDGE_CRASH_AT`): between every two steps of the pipeline that
 * leave a trace (a store write, a signature, a transaction), in pipeline
 * order. Each is reached only with a packet in hand.
 */
export const CRASH_POINTS = [
  /** watch: new claims recorded; gaps and cursors not yet moved. */
  "observed",
  /** watch: the source's cursor moved past them. */
  "cursor-moved",
  /** verify: the proof passed; the packet not yet marked verified. */
  "proven",
  /** verify: marked verified; the source side of its loan not yet mirrored. */
  "verified",
  /** verify: the loan mirrored (the stage done). */
  "mirrored",
  /** attest: the attestation signed; not yet stored. */
  "signed",
  /** attest: the attestation stored; the packet not yet marked attested. */
  "stored",
  /** attest: marked attested (the stage done). */
  "attested",
  /** deliver: a threshold of attestations and this relayer's turn; nothing sent. */
  "gathered",
  /** deliver: the delivery transaction signed; not yet sent. */
  "tx-signed",
  /** deliver: the transaction sent; not yet confirmed. */
  "submitted",
  /** deliver: the destination confirmed it; the store not yet told. */
  "confirmed",
  /** deliver: recorded delivered; the destination side of the loan not yet mirrored. */
  "delivered",
] as const;

export type CrashPoint = (typeof CRASH_POINTS)[number];

export interface PipelineChains {
  /** Source watchers; each polls its own cursor (keyed by its eid). */
  watchers: readonly PacketWatcher[];
  /** Verifiers by source eid. */
  verifiers: ReadonlyMap<number, PacketVerifier>;
  /** Deliverers by destination eid (non-executors use only the read calls). */
  deliverers: ReadonlyMap<number, PacketDeliverer>;
  /** This relayer's attestation signer by destination eid. */
  signers: ReadonlyMap<number, AttestationSigner>;
  /** Which kind of chain each eid is. */
  kinds: ReadonlyMap<number, ChainKind>;
  /**
   * The chains that name their own loan apps, by eid: what decides which
   * packets speak for loans (loans.ts). None: no packet does.
   */
  loanApps: ReadonlyMap<number, LoanAppRegistry>;
  /** Lending-pool readers by eid, for the installment mirror (absent: not mirrored). */
  poolReaders?: ReadonlyMap<number, PoolLoanReader>;
}

export type PipelineSettings = Pick<
  PipelineConfig,
  "batchSize" | "maxAttempts" | "leaseMs" | "retryBackoff" | "pollIntervalMs"
> &
  Partial<Pick<PipelineConfig, "deliverConcurrency" | "gaugeIntervalMs">> &
  Pick<PipelineConfig, "scheduleReadIntervalMs">;

export interface PipelineContext {
  /** Names the lease owner and audit actor. */
  relayerId: string;
  store: Store;
  events: RelayerEvents;
  chains: PipelineChains;
  settings: PipelineSettings;
  /**
   * Whether this relayer takes its turn delivering (takeover.ts); when
   * false it only confirms deliveries by reading the destination.
   */
  executor: boolean;
  /** How long each relayer in a packet's executor order waits for the one before it. */
  takeoverWindowMs: number;
  /** When this relayer first had each pending packet's attestations. */
  readyTimes: ReadyTimes;
  /**
   * When the installment mirror last asked which pools are due a scan
   * (absent: every iteration asks).
   */
  scanAsks?: ScanAsks;
  /**
   * Pauses for sources and wallets whose reads keep failing (absent: every
   * iteration tries them all).
   */
  backoff?: FailureBackoff;
  /** Fault injection: called at each crash point (absent in production). */
  crashPoint?: (point: CrashPoint) => void;
  /** Other relayers' API base URLs, asked for their attestations. */
  peers: readonly string[];
  /** Per peer request. */
  peerTimeoutMs: number;
  /** Where a watcher starts when no cursor is stored (the height before the endpoint's deployment). */
  startHeights: ReadonlyMap<number, bigint>;
  /**
   * Aborted when the relayer stops: RPC calls and peer requests in flight
   * are abandoned, and the work they were doing is left leased for the
   * stop to give back (not counted as a failed attempt).
   */
  signal?: AbortSignal;
  /** Errors that do not stop the pipeline (peer fetches, loan mirror, lease bookkeeping). */
  onError: (error: unknown, where: string, guid?: Hex) => void;
  fetch?: typeof fetch;
}

/** The lease owner of this relayer's workers. */
export const leaseOwner = (context: Pick<PipelineContext, "relayerId">): string =>
  `${context.relayerId}:pipeline`;

/** Backoff before the next attempt, after `attempts` attempts (1-based), capped. */
export function backoffMs(settings: PipelineSettings, attempts: number): number {
  const { initialMs, maxMs, factor } = settings.retryBackoff;
  const ms = initialMs * factor ** Math.max(0, attempts - 1);
  return Math.min(maxMs, Math.round(ms));
}

export function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** The event fields that name a packet. */
export const refOf = (packet: PacketRecord) => ({
  guid: packet.guid,
  loanId: packet.loanId ?? undefined,
  srcEid: packet.srcEid,
  dstEid: packet.dstEid,
});

export function kindOf(context: PipelineContext, eid: number): ChainKind {
  return context.chains.kinds.get(eid) ?? "evm";
}

/**
 * Whether an error says only that a chain could not be asked: no endpoint
 * answered (down, timed out, 429/5xx, garbled), too few did, or no answer
 * had a quorum. None says anything about the packet (the cause chain is
 * searched: the deliverers wrap what the RPC layer threw).
 */
export function isChainUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 8; depth++) {
    if (current instanceof RpcDisagreementError) return true;
    if (current instanceof RpcQuorumError) return current.errors.every(isChainUnavailable);
    if (current instanceof RpcError) {
      if (current.kind === "http_error") {
        return current.code === 429 || (current.code !== undefined && current.code >= 500);
      }
      return current.kind !== "rpc_error" && current.kind !== "aborted";
    }
    current = current.cause;
  }
  return false;
}

/**
 * After a transient error: gives the lease back with backoff, or, once the
 * attempts are used up, marks the packet failed. Returns whether it was final.
 * A chain that could not be reached (`cause`, isChainUnavailable) is waited
 * out without using up attempts, however long it takes: a node down for an
 * hour must not fail every packet that tried it meanwhile.
 */
export async function retryOrFail(
  context: PipelineContext,
  packet: PacketRecord,
  error: string,
  cause?: unknown,
): Promise<boolean> {
  const owner = leaseOwner(context);
  if (isChainUnavailable(cause)) {
    await context.store.release(packet.guid, owner, {
      error,
      retryInMs: backoffMs(context.settings, packet.attempts),
      attempt: false,
    });
    return false;
  }
  if (packet.attempts >= context.settings.maxAttempts) {
    await context.store.markFailed(packet.guid, error, { owner });
    return true;
  }
  await context.store.release(packet.guid, owner, {
    error,
    retryInMs: backoffMs(context.settings, packet.attempts),
  });
  return false;
}

/** Whether the relayer is stopping (a function: the flag changes across awaits). */
export const isStopping = (context: Pick<PipelineContext, "signal">): boolean =>
  context.signal?.aborted === true;

/**
 * Leases up to `limit` packets in `statuses` and runs `prepare` over them
 * (a head start each packet's handler can do without: its error is only
 * reported).
 */
export async function leaseBatch(
  context: PipelineContext,
  statuses: readonly PacketRecord["status"][],
  where: string,
  limit: number,
  prepare?: (leased: readonly PacketRecord[]) => Promise<void>,
): Promise<PacketRecord[]> {
  const leased = await context.store.leaseWork(
    leaseOwner(context),
    statuses,
    limit,
    context.settings.leaseMs,
  );
  if (prepare !== undefined && leased.length > 0) {
    try {
      await prepare(leased);
    } catch (error) {
      context.onError(error, `${where}.prepare`);
    }
  }
  return leased;
}

/**
 * Runs `handle` on one leased packet. Its error is reported and the packet
 * given back for a retry (or failed once out of attempts); stopping, it
 * stays leased until the stop gives every lease back.
 */
export async function handleLeased(
  context: PipelineContext,
  where: string,
  packet: PacketRecord,
  handle: (packet: PacketRecord) => Promise<void>,
): Promise<void> {
  try {
    await handle(packet);
  } catch (error) {
    if (isStopping(context)) return;
    context.onError(error, where, packet.guid);
    try {
      await retryOrFail(context, packet, `${where}: ${errorText(error)}`, error);
    } catch (releaseError) {
      // The lease runs out by itself; the packet is never lost.
      context.onError(releaseError, `${where}.release`, packet.guid);
    }
  }
}

/**
 * Leases a bounded batch, lets `prepare` see it whole (one request for all,
 * say), and hands each packet to `handle`, at most `concurrency` at a time;
 * a throw releases that packet with backoff. Each packet keeps its own
 * lease, attempts and store transitions, so a crash mid-batch leaves every
 * packet leased by this owner (given back at the restart, or when the lease
 * runs out), whichever were in flight. Resolves when all are handled.
 */
export async function forEachLeased(
  context: PipelineContext,
  statuses: readonly PacketRecord["status"][],
  where: string,
  handle: (packet: PacketRecord) => Promise<void>,
  concurrency = 1,
  prepare?: (leased: readonly PacketRecord[]) => Promise<void>,
): Promise<number> {
  const leased = await leaseBatch(context, statuses, where, context.settings.batchSize, prepare);
  const queue = leased.values();
  const work = async (): Promise<void> => {
    // Stopping: the rest stays leased until the stop gives every lease back.
    for (let next = queue.next(); !next.done && !isStopping(context); next = queue.next()) {
      await handleLeased(context, where, next.value, handle);
    }
  };
  const workers = Math.max(1, Math.min(concurrency, leased.length));
  await Promise.all(Array.from({ length: workers }, work));
  return leased.length;
}
