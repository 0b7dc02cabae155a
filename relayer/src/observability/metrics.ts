// Prometheus metrics on the relayer's own Registry, fed only by events.
// Names carry their unit; every metric has one line of help.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { ChainKind, VerificationFailure } from "../chains/types.ts";
import { ACTIVE_PACKET_STATUSES, type PacketStatus } from "../store/types.ts";
import type { PacketRef, RelayerEventMap, RelayerEvents } from "./events.ts";

/** The pipeline stage a packet in each status waits in (`done` when nothing is left to do). */
export const STAGE_OF_STATUS: Record<PacketStatus, string> = {
  observed: "verify",
  verified: "attest",
  attested: "deliver",
  delivering: "confirm",
  delivered: "done",
  failed: "done",
  denied: "done",
};

/** The outcomes each pipeline stage reports to `loanbridge_packets_total`. */
export const STAGE_OUTCOMES = {
  observe: ["ok"],
  verify: ["ok", "retry", "failed"],
  attest: ["ok"],
  submit: ["ok"],
  deliver: ["delivered", "stored_failure", "retry", "failed"],
} as const;
type Stage = keyof typeof STAGE_OUTCOMES;

/** Every VerificationFailure (the compiler checks none is missing or extra). */
const VERIFICATION_FAILURE_KEYS: Record<VerificationFailure, true> = {
  not_finalized: true,
  header_hash_mismatch: true,
  receipts_root_mismatch: true,
  receipt_missing: true,
  log_missing: true,
  wrong_emitter: true,
  account_owner_mismatch: true,
  packet_hash_mismatch: true,
  rpc_disagreement: true,
  malformed_packet: true,
};
export const VERIFICATION_FAILURES = Object.keys(
  VERIFICATION_FAILURE_KEYS,
) as readonly VerificationFailure[];

/** The admin API's packet actions (`loanbridge_operator_actions_total`). */
export const OPERATOR_ACTIONS = [
  "retry",
  "deny",
] as const satisfies readonly RelayerEventMap["operatorAction"]["action"][];

export interface RelayerMetrics {
  registry: Registry;
  packets: Gauge<"stage" | "status">;
  oldestPacketAge: Gauge<"status">;
  packetsProcessed: Counter<"stage" | "outcome" | "src_eid" | "dst_eid">;
  deliverySeconds: Histogram<"chain">;
  submitSeconds: Histogram<"chain">;
  verificationFailures: Counter<"chain" | "reason">;
  rpcRequests: Counter<"chain" | "method" | "outcome">;
  rpcDuration: Histogram<"chain" | "method">;
  rpcDisagreements: Counter<"chain" | "method" | "url">;
  insecureSingleRpc: Gauge<"chain" | "eid">;
  contradictingClaims: Counter<"src_eid" | "outcome">;
  headHeight: Gauge<"chain" | "eid">;
  cursorHeight: Gauge<"chain" | "eid">;
  walletBalance: Gauge<"chain" | "eid" | "account">;
  loans: Gauge<"side" | "state">;
  loansDisagreeing: Gauge;
  outstandingPrincipal: Gauge<"lending_eid">;
  lockedCollateral: Gauge<"eid" | "asset">;
  loansByOutcome: Gauge<"outcome">;
  operatorActions: Counter<"action">;
  executorTakeovers: Counter<"dst_eid">;
  duplicateDeliveries: Counter<"dst_eid">;
  feeCapsReached: Counter<"dst_eid">;
  deliveriesExpired: Counter<"dst_eid">;
  deliveryAccountsMoved: Counter<"dst_eid">;
  nonceGaps: Counter<"src_eid" | "dst_eid" | "app">;
  nonceGapsOpen: Gauge<"src_eid" | "dst_eid" | "app">;
}

export interface CreateMetricsOptions {
  /** Node process metrics (CPU, memory, event loop lag, GC); on by default. */
  defaultMetrics?: boolean;
}

export function createMetrics(options: CreateMetricsOptions = {}): RelayerMetrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const metrics: RelayerMetrics = {
    registry,
    packets: new Gauge({
      name: "loanbridge_packets",
      help: "Packets in the store by pipeline stage and status (snapshot).",
      labelNames: ["stage", "status"],
      registers,
    }),
    oldestPacketAge: new Gauge({
      name: "loanbridge_oldest_packet_age_seconds",
      help: "Seconds since the oldest packet in each unfinished status was first observed (0 when none).",
      labelNames: ["status"],
      registers,
    }),
    packetsProcessed: new Counter({
      name: "loanbridge_packets_total",
      help: "Packets through each pipeline stage, by outcome and source and destination endpoint id.",
      labelNames: ["stage", "outcome", "src_eid", "dst_eid"],
      registers,
    }),
    deliverySeconds: new Histogram({
      name: "loanbridge_delivery_seconds",
      help: "Seconds from source finality to destination confirmation, per destination chain.",
      labelNames: ["chain"],
      buckets: [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800],
      registers,
    }),
    submitSeconds: new Histogram({
      name: "loanbridge_submit_seconds",
      help: "Seconds from when this relayer held a threshold of attestations, its turn to deliver come, to its first delivery transaction sent, per destination chain: the relayer's own overhead (DESIGN target: p99 under 0.05).",
      labelNames: ["chain"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    verificationFailures: new Counter({
      name: "loanbridge_verification_failures_total",
      help: "Packets this relayer could not prove on their source chain, by reason.",
      labelNames: ["chain", "reason"],
      registers,
    }),
    rpcRequests: new Counter({
      name: "loanbridge_rpc_requests_total",
      help: "JSON-RPC calls by chain, method and outcome (ok, error, timeout).",
      labelNames: ["chain", "method", "outcome"],
      registers,
    }),
    rpcDisagreements: new Counter({
      name: "loanbridge_rpc_disagreements_total",
      help: "Quorum reads in which this RPC endpoint (url: host only) answered otherwise than the quorum and was outvoted.",
      labelNames: ["chain", "method", "url"],
      registers,
    }),
    insecureSingleRpc: new Gauge({
      name: "loanbridge_insecure_single_rpc",
      help: "1 when this chain's reads trust a single RPC endpoint alone (insecureSingleRpc: a quorum of one), else 0.",
      labelNames: ["chain", "eid"],
      registers,
    }),
    contradictingClaims: new Counter({
      name: "loanbridge_contradicting_claims_total",
      help: "Packet claims seen by a watcher that contradict the claim recorded for their guid (held aside, dropped, or replacing a disproved one).",
      labelNames: ["src_eid", "outcome"],
      registers,
    }),
    rpcDuration: new Histogram({
      name: "loanbridge_rpc_duration_seconds",
      help: "JSON-RPC call latency in seconds, by chain and method.",
      labelNames: ["chain", "method"],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    headHeight: new Gauge({
      name: "loanbridge_head_height",
      help: "The chain's finalized head (block number or slot) as last read.",
      labelNames: ["chain", "eid"],
      registers,
    }),
    cursorHeight: new Gauge({
      name: "loanbridge_cursor_height",
      help: "Height up to which the watcher has read the chain (block number or slot).",
      labelNames: ["chain", "eid"],
      registers,
    }),
    walletBalance: new Gauge({
      name: "loanbridge_wallet_balance",
      help: "Balance of a relayer account in whole native coins (ETH, SOL).",
      labelNames: ["chain", "eid", "account"],
      registers,
    }),
    loans: new Gauge({
      name: "loanbridge_loans",
      help: "Mirrored loans by side (vault, pool) and that side's state (snapshot).",
      labelNames: ["side", "state"],
      registers,
    }),
    loansDisagreeing: new Gauge({
      name: "loanbridge_loans_disagreeing",
      help: "Loans whose two halves have disagreed for longer than a delivery should take.",
      registers,
    }),
    outstandingPrincipal: new Gauge({
      name: "loanbridge_outstanding_principal",
      help: "Outstanding principal of active loans in stablecoin base units, per lending chain.",
      labelNames: ["lending_eid"],
      registers,
    }),
    lockedCollateral: new Gauge({
      name: "loanbridge_locked_collateral",
      help: "Collateral locked in requested and active loans in base units, per chain and asset.",
      labelNames: ["eid", "asset"],
      registers,
    }),
    loansByOutcome: new Gauge({
      name: "loanbridge_loans_by_outcome",
      help: "Disbursed loans by outcome: active, late (an installment paid late or overdue), repaid, defaulted, liquidated (snapshot).",
      labelNames: ["outcome"],
      registers,
    }),
    operatorActions: new Counter({
      name: "loanbridge_operator_actions_total",
      help: "Packet retries and denials made through the admin API.",
      labelNames: ["action"],
      registers,
    }),
    executorTakeovers: new Counter({
      name: "loanbridge_executor_takeovers_total",
      help: "Packets this relayer delivered after the relayers before it in the packet's executor order did not within their windows.",
      labelNames: ["dst_eid"],
      registers,
    }),
    duplicateDeliveries: new Counter({
      name: "loanbridge_duplicate_deliveries_total",
      help: "Packets for which this relayer sent a delivery transaction that lost to another relayer's (each costs a fee).",
      labelNames: ["dst_eid"],
      registers,
    }),
    feeCapsReached: new Counter({
      name: "loanbridge_fee_cap_reached_total",
      help: "Deliveries whose fee replacements reached the configured fee cap while the chain asked more (they wait for fees to fall).",
      labelNames: ["dst_eid"],
      registers,
    }),
    deliveriesExpired: new Counter({
      name: "loanbridge_delivery_expired_total",
      help: "Solana delivery transactions whose blockhash expired before they landed (each is signed again with a fresh one).",
      labelNames: ["dst_eid"],
      registers,
    }),
    deliveryAccountsMoved: new Counter({
      name: "loanbridge_delivery_accounts_moved_total",
      help: "Solana deliveries refused because another delivery to the same app moved the state their accounts came from (each is derived again and tried again).",
      labelNames: ["dst_eid"],
      registers,
    }),
    nonceGaps: new Counter({
      name: "loanbridge_nonce_gaps_total",
      help: "Source nonces found used but whose packet could not be read (hidden or lost packets), per path.",
      labelNames: ["src_eid", "dst_eid", "app"],
      registers,
    }),
    nonceGapsOpen: new Gauge({
      name: "loanbridge_nonce_gaps_open",
      help: "Source nonces per path whose packet is still missing after the last poll (the current gap size).",
      labelNames: ["src_eid", "dst_eid", "app"],
      registers,
    }),
  };
  // Zero from the start: increase() cannot see a counter's first increment
  // when its series is created by it.
  for (const action of OPERATOR_ACTIONS) metrics.operatorActions.inc({ action }, 0);
  for (const status of ACTIVE_PACKET_STATUSES) metrics.oldestPacketAge.set({ status }, 0);
  return metrics;
}

export interface InitMetricsOptions {
  /**
   * This relayer's id (config `relayerId`): every series it exports carries
   * it as the `relayer` label, so one Prometheus tells relayers apart
   * whatever its scrape config calls their targets.
   */
  relayerId: string;
  /** The chains this relayer watches and delivers to, with their RPC endpoints' labels. */
  chains: readonly { kind: ChainKind; eid: number; rpcEndpoints?: readonly string[] }[];
  /** The accounts this relayer pays deliveries from (an executor's), by chain. */
  wallets?: readonly { kind: ChainKind; eid: number; account: string }[];
}

/** The quorum reads of each kind of chain (the `method` of an outvoted endpoint). */
export const QUORUM_READS: Record<ChainKind, readonly string[]> = {
  evm: [
    "eth_getLogs",
    "eth_getBlockByNumber",
    "block receipts",
    "eth_call",
    "eth_getTransactionReceipt",
  ],
  solana: ["getMultipleAccounts", "getAccountInfo", "getSignatureStatuses"],
};

const CLAIM_OUTCOMES = ["held", "dropped", "replaced"] as const;

/**
 * Sets up the metrics for this relayer's configuration: names the relayer
 * on every series (`relayer`, a default label of the registry, so process
 * and Node metrics carry it too), and creates, at 0, the labelled counter
 * series the configured chains can produce, so that the first failure after
 * a start is an increase from 0 (increase() cannot see the first increment
 * of a series it creates): verification failures per chain kind and reason,
 * and packets per stage, outcome and route (every ordered pair of distinct
 * configured eids).
 */
export function initMetrics(metrics: RelayerMetrics, options: InitMetricsOptions): void {
  metrics.registry.setDefaultLabels({ relayer: options.relayerId });
  for (const chain of new Set(options.chains.map((c) => c.kind))) {
    for (const reason of VERIFICATION_FAILURES) {
      metrics.verificationFailures.inc({ chain, reason }, 0);
    }
  }
  for (const { kind, eid, rpcEndpoints = [] } of options.chains) {
    // Up-style zeros until the first read: a chain never read shows as a
    // head that never moves (LoanbridgeHeadStalled), not as no series.
    metrics.headHeight.set({ chain: kind, eid: String(eid) }, 0);
    for (const url of rpcEndpoints) {
      for (const method of QUORUM_READS[kind]) {
        metrics.rpcDisagreements.inc({ chain: kind, method, url }, 0);
      }
    }
    for (const outcome of CLAIM_OUTCOMES) {
      metrics.contradictingClaims.inc({ src_eid: String(eid), outcome }, 0);
    }
  }
  // …and a wallet never read as empty (LoanbridgeWalletBalanceLow).
  for (const { kind, eid, account } of options.wallets ?? []) {
    metrics.walletBalance.set({ chain: kind, eid: String(eid), account }, 0);
  }
  const eids = [...new Set(options.chains.map((c) => c.eid))];
  for (const dst of eids) {
    metrics.executorTakeovers.inc({ dst_eid: String(dst) }, 0);
    metrics.duplicateDeliveries.inc({ dst_eid: String(dst) }, 0);
    metrics.feeCapsReached.inc({ dst_eid: String(dst) }, 0);
    metrics.deliveriesExpired.inc({ dst_eid: String(dst) }, 0);
    metrics.deliveryAccountsMoved.inc({ dst_eid: String(dst) }, 0);
  }
  for (const src of eids) {
    for (const dst of eids) {
      if (src === dst) continue;
      for (const [stage, outcomes] of Object.entries(STAGE_OUTCOMES)) {
        for (const outcome of outcomes) {
          metrics.packetsProcessed.inc(
            { stage, outcome, src_eid: String(src), dst_eid: String(dst) },
            0,
          );
        }
      }
    }
  }
}

/** Subscribes the metrics to the events; returns the unsubscribe function. */
export function attachMetrics(events: RelayerEvents, metrics: RelayerMetrics): () => void {
  const processed = <S extends Stage>(
    stage: S,
    outcome: (typeof STAGE_OUTCOMES)[S][number],
    packet: PacketRef,
  ) => {
    metrics.packetsProcessed.inc({
      stage,
      outcome,
      src_eid: String(packet.srcEid),
      dst_eid: String(packet.dstEid),
    });
  };
  const off = [
    events.on("packetObserved", (packet) => {
      processed("observe", "ok", packet);
    }),
    events.on("packetVerified", (packet) => {
      processed("verify", "ok", packet);
    }),
    events.on("verificationFailed", (packet) => {
      metrics.verificationFailures.inc({ chain: packet.chain, reason: packet.reason });
      processed("verify", packet.final ? "failed" : "retry", packet);
    }),
    events.on("packetAttested", (packet) => {
      processed("attest", "ok", packet);
    }),
    events.on("deliverySubmitted", (packet) => {
      processed("submit", "ok", packet);
      if (packet.sinceReadyMs !== undefined) {
        metrics.submitSeconds.observe({ chain: packet.chain }, packet.sinceReadyMs / 1000);
      }
    }),
    events.on("packetDelivered", (packet) => {
      metrics.deliverySeconds.observe({ chain: packet.chain }, packet.seconds);
      processed("deliver", packet.outcome, packet);
    }),
    events.on("deliveryFailed", (packet) => {
      processed("deliver", packet.final ? "failed" : "retry", packet);
    }),
    events.on("executorTakeover", ({ dstEid }) => {
      metrics.executorTakeovers.inc({ dst_eid: String(dstEid) });
    }),
    events.on("deliveryExpired", ({ dstEid }) => {
      metrics.deliveriesExpired.inc({ dst_eid: String(dstEid) });
    }),
    events.on("deliveryAccountsMoved", ({ dstEid }) => {
      metrics.deliveryAccountsMoved.inc({ dst_eid: String(dstEid) });
    }),
    events.on("feeCapReached", ({ dstEid }) => {
      metrics.feeCapsReached.inc({ dst_eid: String(dstEid) });
    }),
    events.on("duplicateDelivery", ({ dstEid }) => {
      metrics.duplicateDeliveries.inc({ dst_eid: String(dstEid) });
    }),
    events.on("operatorAction", ({ action }) => {
      metrics.operatorActions.inc({ action });
    }),
    events.on("rpcCall", ({ chain, method, outcome, durationMs }) => {
      metrics.rpcRequests.inc({ chain, method, outcome });
      metrics.rpcDuration.observe({ chain, method }, durationMs / 1_000);
    }),
    events.on("claimContradicted", ({ srcEid, outcome }) => {
      metrics.contradictingClaims.inc({ src_eid: String(srcEid), outcome });
    }),
    events.on("rpcDisagreement", ({ chain, method, endpoint }) => {
      metrics.rpcDisagreements.inc({ chain, method, url: endpoint });
    }),
    events.on("nonceGapDetected", ({ srcEid, dstEid, app }) => {
      metrics.nonceGaps.inc({ src_eid: String(srcEid), dst_eid: String(dstEid), app });
    }),
    events.on("nonceGapsCounted", ({ srcEid, paths }) => {
      for (const { app, dstEid, open } of paths) {
        const labels = { src_eid: String(srcEid), dst_eid: String(dstEid), app };
        // A path's counter exists (at 0) before its first gap, so increase() sees that one.
        metrics.nonceGaps.inc(labels, 0);
        metrics.nonceGapsOpen.set(labels, open);
      }
    }),
    events.on("headAdvanced", ({ chain, eid, height }) => {
      metrics.headHeight.set({ chain, eid: String(eid) }, Number(height));
    }),
    events.on("cursorAdvanced", ({ chain, eid, height }) => {
      metrics.cursorHeight.set({ chain, eid: String(eid) }, Number(height));
    }),
    events.on("walletBalance", ({ chain, eid, account, balance }) => {
      metrics.walletBalance.set({ chain, eid: String(eid), account }, balance);
    }),
    events.on("packetsCounted", ({ counts, oldestAgeSeconds }) => {
      for (const [status, count] of Object.entries(counts)) {
        metrics.packets.set({ stage: STAGE_OF_STATUS[status as PacketStatus], status }, count);
      }
      for (const [status, age] of Object.entries(oldestAgeSeconds)) {
        metrics.oldestPacketAge.set({ status }, age);
      }
    }),
    events.on("loansCounted", ({ totals, disagreeing }) => {
      // Snapshots: series for states that no longer occur disappear.
      metrics.loans.reset();
      for (const { side, state, count } of totals.bySideAndState) {
        metrics.loans.set({ side, state }, count);
      }
      metrics.outstandingPrincipal.reset();
      for (const { lendingEid, amount } of totals.outstandingPrincipal) {
        metrics.outstandingPrincipal.set({ lending_eid: String(lendingEid) }, Number(amount));
      }
      metrics.lockedCollateral.reset();
      for (const { collateralEid, asset, amount } of totals.lockedCollateral) {
        metrics.lockedCollateral.set({ eid: String(collateralEid), asset }, Number(amount));
      }
      for (const [outcome, count] of Object.entries(totals.byOutcome)) {
        metrics.loansByOutcome.set({ outcome }, count);
      }
      metrics.loansDisagreeing.set(disagreeing);
    }),
  ];
  return () => {
    for (const unsubscribe of off) unsubscribe();
  };
}
