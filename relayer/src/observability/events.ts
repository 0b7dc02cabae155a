// The relayer's typed events. The pipeline emits them; metrics and logs
// subscribe (attachMetrics, attachLogger) instead of being sprinkled
// through the pipeline.
import type { Hex } from "@loanbridge/shared";
import type { ChainKind, NonceGap, OutboundPath, VerificationFailure } from "../chains/types.ts";
import type { ActivePacketStatus, LoanTotals, PacketStatus } from "../store/types.ts";

/** Which packet an event is about; every packet log line carries these. */
export interface PacketRef {
  guid: Hex;
  /** When known (decoded from the loan message). */
  loanId?: Hex | undefined;
  srcEid: number;
  dstEid: number;
}

export interface RelayerEventMap {
  /** A finalized source packet was recorded for the first time. */
  packetObserved: PacketRef & { nonce: bigint; sourceTx: string; sourceHeight: bigint };
  /** The packet was proven on its source chain. */
  packetVerified: PacketRef;
  /** The packet could not be proven; `final` when it is marked failed (no more attempts). */
  verificationFailed: PacketRef & {
    chain: ChainKind;
    reason: VerificationFailure;
    detail: string;
    final: boolean;
  };
  /** This relayer signed the packet's attestation digest. */
  packetAttested: PacketRef & { signer: string; epoch: bigint; digest: Hex; signature: Hex };
  /** A delivery transaction was sent (or replaced). */
  deliverySubmitted: PacketRef & {
    chain: ChainKind;
    destTx: string;
    /**
     * The delivery's first transaction only: milliseconds from when this
     * relayer held a threshold of attestations with its turn come (a
     * takeover's wait for its turn is not counted) to the send.
     */
    sinceReadyMs?: number;
  };
  /** Confirmed on the destination; `seconds` from source finality to destination confirmation. */
  packetDelivered: PacketRef & {
    chain: ChainKind;
    destTx: string;
    seconds: number;
    outcome: "delivered" | "stored_failure";
  };
  /**
   * This relayer delivers a packet whose executor order put it `rank` places
   * after the first, `waitedMs` after it had the attestations.
   */
  executorTakeover: PacketRef & { chain: ChainKind; rank: number; waitedMs: number };
  /**
   * Our delivery transaction(s) lost to another relayer's: the destination
   * took the packet in `deliveredTx` (when known), not in one of `sentTxs`.
   */
  duplicateDelivery: PacketRef & { chain: ChainKind; sentTxs: string[]; deliveredTx?: string };
  /**
   * A delivery's fee replacements reached `executor.maxFeePerGasGwei` while
   * the market asked more: it waits for fees to fall (or the cap to rise).
   */
  feeCapReached: { chain: ChainKind; dstEid: number; guid: Hex; maxFeePerGas: bigint };
  /**
   * A Solana delivery transaction was sent with this compute budget: limit
   * (simulated + margin), priority fee (micro-lamports per unit), its size
   * and the lookup table it loaded accounts from (null: none).
   */
  deliveryBudget: {
    chain: ChainKind;
    dstEid: number;
    guid: Hex;
    tx: string;
    computeUnitLimit: number;
    computeUnitPrice: bigint;
    bytes: number;
    lookupTable: string | null;
  };
  /**
   * The Solana lookup table was read (first time, or what it offers changed):
   * `usable` addresses, or why it cannot be used (`error`).
   */
  lookupTableRead: { chain: ChainKind; dstEid: number; table: string } & (
    { usable: number } | { error: string }
  );
  /** A Solana delivery's blockhash expired before it landed: signed again with a fresh one. */
  deliveryExpired: { chain: ChainKind; dstEid: number; guid: Hex; tx: string; attempt: number };
  /**
   * A Solana delivery was refused after another delivery to the same app
   * moved the state its accounts came from: derived again and tried again
   * (`rebuilds` so far for this delivery).
   */
  deliveryAccountsMoved: { chain: ChainKind; dstEid: number; guid: Hex; rebuilds: number };
  /** A delivery attempt failed; `final` when the packet is marked failed. */
  deliveryFailed: PacketRef & { chain: ChainKind; error: string; attempts: number; final: boolean };
  /** An operator requeued or denied a packet through the API. */
  operatorAction: {
    guid: Hex;
    loanId?: Hex | undefined;
    action: "retry" | "deny";
    actor: string;
    reason?: string | undefined;
  };
  /** One JSON-RPC call; `endpoint` is a redacted URL (no keys). */
  rpcCall: {
    chain: ChainKind;
    method: string;
    outcome: "ok" | "error" | "timeout";
    durationMs: number;
    endpoint?: string | undefined;
    error?: string | undefined;
  };
  /**
   * A watcher's claim contradicted the one recorded for its guid (other bytes
   * or another source position): held aside, dropped (too many held), or
   * put in place of a disproved claim.
   */
  claimContradicted: {
    chain: ChainKind;
    guid: Hex;
    srcEid: number;
    sourceTx: string;
    sourceIndex: number;
    outcome: "held" | "dropped" | "replaced";
  };
  /** An endpoint answered a quorum read otherwise than the quorum and was outvoted. */
  rpcDisagreement: { chain: ChainKind; method: string; endpoint: string };
  /**
   * A source nonce that was used but whose packet could not be read (a hidden
   * or lost packet): reported once, when first found.
   */
  nonceGapDetected: NonceGap & { chain: ChainKind; srcEid: number };
  /**
   * A source nonce whose packet was closed before this relayer read it
   * (Solana `ClosePacket`, shared/LOANS.md): this relayer lagged more than
   * any relayer may. Not a gap; said once, when passed.
   */
  closedPacketPassed: OutboundPath & { nonce: bigint; chain: ChainKind; srcEid: number };
  /** Open gaps per (app, dstEid) of one source, after each poll (0 for paths with none). */
  nonceGapsCounted: {
    chain: ChainKind;
    srcEid: number;
    paths: { app: Hex; dstEid: number; open: number }[];
  };
  /** The chain's finalized head as last read. */
  headAdvanced: { chain: ChainKind; eid: number; height: bigint };
  /** The watcher's cursor moved (everything up to `height` is read). */
  cursorAdvanced: { chain: ChainKind; eid: number; height: bigint };
  /** A relayer account's balance, in whole coins (ETH, SOL). */
  walletBalance: { chain: ChainKind; eid: number; account: string; balance: number };
  /**
   * A snapshot of the store's packets by status, and for each status still
   * being worked on the age of its oldest packet (Store.oldestPacketAges:
   * seconds since first observed, 0 when none).
   */
  packetsCounted: {
    counts: Record<PacketStatus, number>;
    oldestAgeSeconds: Record<ActivePacketStatus, number>;
  };
  /** A snapshot of the mirrored loans; `disagreeing` as reported by Store.disagreeingLoans. */
  loansCounted: { totals: LoanTotals; disagreeing: number };
}

export type RelayerEventName = keyof RelayerEventMap;
export type RelayerEventListener<K extends RelayerEventName> = (
  payload: RelayerEventMap[K],
) => void;

export interface RelayerEventsOptions {
  /** Called when a listener throws; the other listeners and the emitter go on. */
  onListenerError?: (error: unknown, event: RelayerEventName) => void;
}

/**
 * A synchronous, typed event bus. A throwing listener is reported to
 * `onListenerError` and never reaches the emitter: a metrics or logging bug
 * must not stop the pipeline.
 */
export class RelayerEvents {
  readonly #listeners = new Map<RelayerEventName, Set<(payload: never) => void>>();
  readonly #onListenerError: (error: unknown, event: RelayerEventName) => void;

  constructor(options: RelayerEventsOptions = {}) {
    this.#onListenerError =
      options.onListenerError ??
      ((error, event) => {
        process.stderr.write(`relayer event listener for ${event} failed: ${String(error)}\n`);
      });
  }

  /** Subscribes; returns the unsubscribe function. */
  on<K extends RelayerEventName>(event: K, listener: RelayerEventListener<K>): () => void {
    let set = this.#listeners.get(event);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  emit<K extends RelayerEventName>(event: K, payload: RelayerEventMap[K]): void {
    const set = this.#listeners.get(event);
    if (set === undefined) return;
    for (const listener of [...set] as RelayerEventListener<K>[]) {
      try {
        listener(payload);
      } catch (error) {
        this.#onListenerError(error, event);
      }
    }
  }

  listenerCount(event: RelayerEventName): number {
    return this.#listeners.get(event)?.size ?? 0;
  }
}
