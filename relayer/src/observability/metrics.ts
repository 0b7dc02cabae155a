// Prometheus metrics on the relayer's own Registry, fed only by events.
// Names carry their unit; every metric has one line of help.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { PacketStatus } from "../store/types.ts";
import type { RelayerEvents } from "./events.ts";

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

export interface RelayerMetrics {
  registry: Registry;
  packets: Gauge<"stage" | "status">;
  packetsProcessed: Counter<"stage" | "outcome">;
  deliverySeconds: Histogram<"chain">;
  verificationFailures: Counter<"chain" | "reason">;
  rpcRequests: Counter<"chain" | "method" | "outcome">;
  rpcDuration: Histogram<"chain" | "method">;
  headHeight: Gauge<"chain" | "eid">;
  cursorHeight: Gauge<"chain" | "eid">;
  walletBalance: Gauge<"chain" | "eid" | "account">;
  loans: Gauge<"side" | "state">;
  loansDisagreeing: Gauge;
  outstandingPrincipal: Gauge<"lending_eid">;
  lockedCollateral: Gauge<"eid" | "asset">;
  operatorActions: Counter<"action">;
}

export interface CreateMetricsOptions {
  /** Node process metrics (CPU, memory, event loop lag, GC); on by default. */
  defaultMetrics?: boolean;
}

export function createMetrics(options: CreateMetricsOptions = {}): RelayerMetrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    packets: new Gauge({
      name: "loanbridge_packets",
      help: "Packets in the store by pipeline stage and status (snapshot).",
      labelNames: ["stage", "status"],
      registers,
    }),
    packetsProcessed: new Counter({
      name: "loanbridge_packets_total",
      help: "Packets through each pipeline stage, by outcome.",
      labelNames: ["stage", "outcome"],
      registers,
    }),
    deliverySeconds: new Histogram({
      name: "loanbridge_delivery_seconds",
      help: "Seconds from source finality to destination confirmation, per destination chain.",
      labelNames: ["chain"],
      buckets: [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800],
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
    operatorActions: new Counter({
      name: "loanbridge_operator_actions_total",
      help: "Packet retries and denials made through the admin API.",
      labelNames: ["action"],
      registers,
    }),
  };
}

/** Subscribes the metrics to the events; returns the unsubscribe function. */
export function attachMetrics(events: RelayerEvents, metrics: RelayerMetrics): () => void {
  const processed = (stage: string, outcome: string) => {
    metrics.packetsProcessed.inc({ stage, outcome });
  };
  const off = [
    events.on("packetObserved", () => {
      processed("observe", "ok");
    }),
    events.on("packetVerified", () => {
      processed("verify", "ok");
    }),
    events.on("verificationFailed", ({ chain, reason, final }) => {
      metrics.verificationFailures.inc({ chain, reason });
      processed("verify", final ? "failed" : "retry");
    }),
    events.on("packetAttested", () => {
      processed("attest", "ok");
    }),
    events.on("deliverySubmitted", () => {
      processed("submit", "ok");
    }),
    events.on("packetDelivered", ({ chain, seconds, outcome }) => {
      metrics.deliverySeconds.observe({ chain }, seconds);
      processed("deliver", outcome);
    }),
    events.on("deliveryFailed", ({ final }) => {
      processed("deliver", final ? "failed" : "retry");
    }),
    events.on("operatorAction", ({ action }) => {
      metrics.operatorActions.inc({ action });
    }),
    events.on("rpcCall", ({ chain, method, outcome, durationMs }) => {
      metrics.rpcRequests.inc({ chain, method, outcome });
      metrics.rpcDuration.observe({ chain, method }, durationMs / 1_000);
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
    events.on("packetsCounted", ({ counts }) => {
      for (const [status, count] of Object.entries(counts)) {
        metrics.packets.set({ stage: STAGE_OF_STATUS[status as PacketStatus], status }, count);
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
      metrics.loansDisagreeing.set(disagreeing);
    }),
  ];
  return () => {
    for (const unsubscribe of off) unsubscribe();
  };
}
