import type { Hex } from "@loanbridge/shared";
import { describe, expect, it } from "vitest";
import { RelayerEvents } from "./events.ts";
import {
  attachMetrics,
  createMetrics,
  initMetrics,
  OPERATOR_ACTIONS,
  type RelayerMetrics,
  STAGE_OUTCOMES,
  VERIFICATION_FAILURES,
} from "./metrics.ts";

const GUID: Hex = `0x${"11".repeat(32)}`;
const ref = { guid: GUID, srcEid: 40161, dstEid: 40168 };

function setup(): { events: RelayerEvents; metrics: RelayerMetrics } {
  const events = new RelayerEvents();
  const metrics = createMetrics({ defaultMetrics: false });
  attachMetrics(events, metrics);
  return { events, metrics };
}

/** A metric's samples as `labels → value` (labels as `k=v,k=v`). */
async function samples(metrics: RelayerMetrics, name: string): Promise<Record<string, number>> {
  const metric = metrics.registry.getSingleMetric(name);
  if (metric === undefined) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  return Object.fromEntries(
    values.map((sample) => {
      const { labels, value } = sample;
      // Histograms name each series (`…_bucket`, `…_sum`, `…_count`).
      const { metricName } = sample as { metricName?: string };
      const text = Object.entries(labels)
        .map(([key, label]) => `${key}=${String(label)}`)
        .join(",");
      const suffix =
        metricName !== undefined && metricName !== name ? metricName.slice(name.length) : "";
      return [`${suffix}${suffix && text ? " " : ""}${text}`, value];
    }),
  );
}

describe("metrics", () => {
  it("everyMetric_hasHelpAndUnitSuffixedName", async () => {
    const metrics = createMetrics();
    const all = await metrics.registry.getMetricsAsJSON();
    const ours = all.filter((metric) => metric.name.startsWith("loanbridge_"));

    expect(ours.map((metric) => metric.name).sort()).toEqual([
      "loanbridge_contradicting_claims_total",
      "loanbridge_cursor_height",
      "loanbridge_delivery_accounts_moved_total",
      "loanbridge_delivery_expired_total",
      "loanbridge_delivery_seconds",
      "loanbridge_duplicate_deliveries_total",
      "loanbridge_executor_takeovers_total",
      "loanbridge_fee_cap_reached_total",
      "loanbridge_head_height",
      "loanbridge_insecure_single_rpc",
      "loanbridge_loans",
      "loanbridge_loans_by_outcome",
      "loanbridge_loans_disagreeing",
      "loanbridge_locked_collateral",
      "loanbridge_nonce_gaps_open",
      "loanbridge_nonce_gaps_total",
      "loanbridge_oldest_packet_age_seconds",
      "loanbridge_operator_actions_total",
      "loanbridge_outstanding_principal",
      "loanbridge_packets",
      "loanbridge_packets_total",
      "loanbridge_rpc_disagreements_total",
      "loanbridge_rpc_duration_seconds",
      "loanbridge_rpc_requests_total",
      "loanbridge_submit_seconds",
      "loanbridge_verification_failures_total",
      "loanbridge_wallet_balance",
    ]);
    for (const metric of ours) expect(metric.help.length).toBeGreaterThan(20);
    // Default process metrics are there too.
    expect(all.some((metric) => metric.name === "process_cpu_user_seconds_total")).toBe(true);
  });

  it("takeoversAndDuplicateDeliveries_countPerDestination", async () => {
    const { events, metrics } = setup();
    initMetrics(metrics, {
      relayerId: "relayer-1",
      chains: [
        { kind: "evm", eid: 40161 },
        { kind: "solana", eid: 40168 },
      ],
    });

    events.emit("executorTakeover", { ...ref, chain: "solana", rank: 1, waitedMs: 20_000 });
    events.emit("duplicateDelivery", { ...ref, chain: "solana", sentTxs: ["sig1"] });
    events.emit("duplicateDelivery", {
      ...ref,
      chain: "solana",
      sentTxs: ["sig2"],
      deliveredTx: "sig3",
    });

    expect(await samples(metrics, "loanbridge_executor_takeovers_total")).toEqual({
      "dst_eid=40161": 0,
      "dst_eid=40168": 1,
    });
    expect(await samples(metrics, "loanbridge_duplicate_deliveries_total")).toEqual({
      "dst_eid=40161": 0,
      "dst_eid=40168": 2,
    });
  });

  it("packetEvents_countByStageAndOutcome", async () => {
    const { events, metrics } = setup();

    events.emit("packetObserved", { ...ref, nonce: 1n, sourceTx: "0xt", sourceHeight: 5n });
    events.emit("packetObserved", { ...ref, nonce: 2n, sourceTx: "0xt", sourceHeight: 5n });
    events.emit("packetVerified", ref);
    events.emit("packetAttested", {
      ...ref,
      signer: "0xS",
      epoch: 1n,
      digest: `0x${"ab".repeat(32)}`,
      signature: `0x${"cd".repeat(65)}`,
    });
    events.emit("deliveryFailed", {
      ...ref,
      chain: "solana",
      error: "x",
      attempts: 1,
      final: false,
    });
    events.emit("deliveryFailed", {
      ...ref,
      chain: "solana",
      error: "x",
      attempts: 9,
      final: true,
    });
    events.emit("packetDelivered", {
      ...ref,
      chain: "solana",
      destTx: "sig",
      seconds: 3.2,
      outcome: "delivered",
    });

    events.emit("packetVerified", { ...ref, srcEid: 40168, dstEid: 40161 });

    const route = "src_eid=40161,dst_eid=40168";
    expect(await samples(metrics, "loanbridge_packets_total")).toEqual({
      [`stage=observe,outcome=ok,${route}`]: 2,
      [`stage=verify,outcome=ok,${route}`]: 1,
      "stage=verify,outcome=ok,src_eid=40168,dst_eid=40161": 1,
      [`stage=attest,outcome=ok,${route}`]: 1,
      [`stage=deliver,outcome=retry,${route}`]: 1,
      [`stage=deliver,outcome=failed,${route}`]: 1,
      [`stage=deliver,outcome=delivered,${route}`]: 1,
    });
    const delivery = await samples(metrics, "loanbridge_delivery_seconds");
    expect(delivery["_count chain=solana"]).toBe(1);
    expect(delivery["_sum chain=solana"]).toBeCloseTo(3.2);
    expect(delivery["_bucket le=5,chain=solana"]).toBe(1);
    expect(delivery["_bucket le=2,chain=solana"]).toBe(0);
  });

  it("deliverySubmitted_observesReadyToSubmitted_forAFirstSendOnly", async () => {
    const { events, metrics } = setup();

    events.emit("deliverySubmitted", { ...ref, chain: "evm", destTx: "0x1", sinceReadyMs: 30 });
    // A replacement of the same delivery: no second figure.
    events.emit("deliverySubmitted", { ...ref, chain: "evm", destTx: "0x2" });
    events.emit("deliverySubmitted", { ...ref, chain: "solana", destTx: "sig", sinceReadyMs: 70 });

    const submit = await samples(metrics, "loanbridge_submit_seconds");
    expect(submit["_count chain=evm"]).toBe(1);
    expect(submit["_sum chain=evm"]).toBeCloseTo(0.03);
    expect(submit["_bucket le=0.05,chain=evm"]).toBe(1);
    expect(submit["_bucket le=0.025,chain=evm"]).toBe(0);
    expect(submit["_bucket le=0.05,chain=solana"]).toBe(0);
    expect(submit["_bucket le=0.1,chain=solana"]).toBe(1);
    expect(
      (await samples(metrics, "loanbridge_packets_total"))[
        "stage=submit,outcome=ok,src_eid=40161,dst_eid=40168"
      ],
    ).toBe(3);
  });

  it("verificationFailed_countsByChainAndReason", async () => {
    const { events, metrics } = setup();

    for (const reason of [
      "receipts_root_mismatch",
      "receipts_root_mismatch",
      "rpc_disagreement",
    ] as const) {
      events.emit("verificationFailed", {
        ...ref,
        chain: "evm",
        reason,
        detail: "d",
        final: false,
      });
    }

    expect(await samples(metrics, "loanbridge_verification_failures_total")).toEqual({
      "chain=evm,reason=receipts_root_mismatch": 2,
      "chain=evm,reason=rpc_disagreement": 1,
    });
  });

  it("rpcCalls_countAndTime", async () => {
    const { events, metrics } = setup();

    events.emit("rpcCall", { chain: "evm", method: "eth_getLogs", outcome: "ok", durationMs: 40 });
    events.emit("rpcCall", {
      chain: "evm",
      method: "eth_getLogs",
      outcome: "timeout",
      durationMs: 10_000,
    });

    expect(await samples(metrics, "loanbridge_rpc_requests_total")).toEqual({
      "chain=evm,method=eth_getLogs,outcome=ok": 1,
      "chain=evm,method=eth_getLogs,outcome=timeout": 1,
    });
    const duration = await samples(metrics, "loanbridge_rpc_duration_seconds");
    expect(duration["_count chain=evm,method=eth_getLogs"]).toBe(2);
    expect(duration["_sum chain=evm,method=eth_getLogs"]).toBeCloseTo(10.04);
    expect(duration["_bucket le=0.05,chain=evm,method=eth_getLogs"]).toBe(1);
  });

  it("rpcDisagreements_countPerOutvotedEndpoint", async () => {
    const { events, metrics } = setup();

    events.emit("rpcDisagreement", {
      chain: "evm",
      method: "eth_getLogs",
      endpoint: "liar.example",
    });
    events.emit("rpcDisagreement", {
      chain: "evm",
      method: "eth_getLogs",
      endpoint: "liar.example",
    });
    events.emit("rpcDisagreement", {
      chain: "solana",
      method: "getMultipleAccounts",
      endpoint: "127.0.0.1:8899",
    });

    expect(await samples(metrics, "loanbridge_rpc_disagreements_total")).toEqual({
      "chain=evm,method=eth_getLogs,url=liar.example": 2,
      "chain=solana,method=getMultipleAccounts,url=127.0.0.1:8899": 1,
    });
  });

  it("feeCapsReached_countPerDestination", async () => {
    const { events, metrics } = setup();

    events.emit("feeCapReached", {
      chain: "evm",
      dstEid: 40161,
      guid: `0x${"ab".repeat(32)}`,
      maxFeePerGas: 200n * 10n ** 9n,
    });

    expect(await samples(metrics, "loanbridge_fee_cap_reached_total")).toMatchObject({
      "dst_eid=40161": 1,
    });
  });

  it("expiredDeliveries_countPerDestination", async () => {
    const { events, metrics } = setup();

    events.emit("deliveryExpired", {
      chain: "solana",
      dstEid: 40168,
      guid: `0x${"ab".repeat(32)}`,
      tx: "5sig",
      attempt: 1,
    });

    expect(await samples(metrics, "loanbridge_delivery_expired_total")).toMatchObject({
      "dst_eid=40168": 1,
    });
  });

  it("deliveriesWhoseAccountsMoved_countPerDestination", async () => {
    const { events, metrics } = setup();

    events.emit("deliveryAccountsMoved", {
      chain: "solana",
      dstEid: 40168,
      guid: `0x${"ab".repeat(32)}`,
      rebuilds: 1,
    });
    events.emit("deliveryAccountsMoved", {
      chain: "solana",
      dstEid: 40168,
      guid: `0x${"ab".repeat(32)}`,
      rebuilds: 2,
    });

    expect(await samples(metrics, "loanbridge_delivery_accounts_moved_total")).toMatchObject({
      "dst_eid=40168": 2,
    });
  });

  it("heightsAndBalances_areGauges", async () => {
    const { events, metrics } = setup();

    events.emit("headAdvanced", { chain: "evm", eid: 40161, height: 120n });
    events.emit("cursorAdvanced", { chain: "evm", eid: 40161, height: 100n });
    events.emit("cursorAdvanced", { chain: "evm", eid: 40161, height: 110n });
    events.emit("walletBalance", {
      chain: "solana",
      eid: 40168,
      account: "Relayer1111",
      balance: 1.5,
    });

    expect(await samples(metrics, "loanbridge_head_height")).toEqual({
      "chain=evm,eid=40161": 120,
    });
    expect(await samples(metrics, "loanbridge_cursor_height")).toEqual({
      "chain=evm,eid=40161": 110,
    });
    expect(await samples(metrics, "loanbridge_wallet_balance")).toEqual({
      "chain=solana,eid=40168,account=Relayer1111": 1.5,
    });
  });

  it("nonceGaps_countOncePerGap_andTheGaugeFollowsTheOpenOnes", async () => {
    const { events, metrics } = setup();
    const app = `0x${"0a".repeat(32)}` as const;
    const path = { app, dstEid: 40161, receiver: `0x${"00".repeat(32)}` as const };
    const labels = `src_eid=40168,dst_eid=40161,app=${app}`;

    events.emit("nonceGapsCounted", {
      chain: "solana",
      srcEid: 40168,
      paths: [{ ...path, open: 0 }],
    });
    expect(await samples(metrics, "loanbridge_nonce_gaps_total")).toEqual({ [labels]: 0 });
    for (const nonce of [4n, 5n]) {
      events.emit("nonceGapDetected", {
        ...path,
        nonce,
        reason: "missing",
        chain: "solana",
        srcEid: 40168,
      });
    }
    events.emit("nonceGapsCounted", {
      chain: "solana",
      srcEid: 40168,
      paths: [{ ...path, open: 2 }],
    });
    expect(await samples(metrics, "loanbridge_nonce_gaps_total")).toEqual({ [labels]: 2 });
    expect(await samples(metrics, "loanbridge_nonce_gaps_open")).toEqual({ [labels]: 2 });
    events.emit("nonceGapsCounted", {
      chain: "solana",
      srcEid: 40168,
      paths: [{ ...path, open: 0 }],
    });
    expect(await samples(metrics, "loanbridge_nonce_gaps_open")).toEqual({ [labels]: 0 });
    expect(await samples(metrics, "loanbridge_nonce_gaps_total")).toEqual({ [labels]: 2 });
  });

  it("snapshots_setPacketAndLoanGauges", async () => {
    const { events, metrics } = setup();

    events.emit("packetsCounted", {
      counts: {
        observed: 3,
        verified: 1,
        attested: 0,
        delivering: 2,
        delivered: 50,
        failed: 1,
        denied: 0,
      },
      oldestAgeSeconds: { observed: 12.5, verified: 3, attested: 0, delivering: 900 },
    });
    events.emit("loansCounted", {
      totals: {
        bySideAndState: [
          { side: "vault", state: "Active", count: 4 },
          { side: "pool", state: "Active", count: 3 },
        ],
        outstandingPrincipal: [{ lendingEid: 40168, amount: 1_500_000_000n }],
        lockedCollateral: [{ collateralEid: 40161, asset: "0x00", amount: 2n * 10n ** 18n }],
        byOutcome: { active: 2, late: 1, repaid: 5, defaulted: 1, liquidated: 0 },
      },
      disagreeing: 1,
    });
    events.emit("operatorAction", { guid: GUID, action: "retry", actor: "admin" });

    expect(await samples(metrics, "loanbridge_packets")).toEqual({
      "stage=verify,status=observed": 3,
      "stage=attest,status=verified": 1,
      "stage=deliver,status=attested": 0,
      "stage=confirm,status=delivering": 2,
      "stage=done,status=delivered": 50,
      "stage=done,status=failed": 1,
      "stage=done,status=denied": 0,
    });
    expect(await samples(metrics, "loanbridge_oldest_packet_age_seconds")).toEqual({
      "status=observed": 12.5,
      "status=verified": 3,
      "status=attested": 0,
      "status=delivering": 900,
    });
    expect(await samples(metrics, "loanbridge_loans")).toEqual({
      "side=vault,state=Active": 4,
      "side=pool,state=Active": 3,
    });
    expect(await samples(metrics, "loanbridge_outstanding_principal")).toEqual({
      "lending_eid=40168": 1_500_000_000,
    });
    expect(await samples(metrics, "loanbridge_locked_collateral")).toEqual({
      "eid=40161,asset=0x00": 2e18,
    });
    expect(await samples(metrics, "loanbridge_loans_disagreeing")).toEqual({ "": 1 });
    expect(await samples(metrics, "loanbridge_loans_by_outcome")).toEqual({
      "outcome=active": 2,
      "outcome=late": 1,
      "outcome=repaid": 5,
      "outcome=defaulted": 1,
      "outcome=liquidated": 0,
    });
    expect(await samples(metrics, "loanbridge_operator_actions_total")).toEqual({
      "action=retry": 1,
      "action=deny": 0,
    });
  });

  it("createMetrics_startsOperatorActionsAndPacketAgesAtZero", async () => {
    const metrics = createMetrics({ defaultMetrics: false });

    expect(await samples(metrics, "loanbridge_operator_actions_total")).toEqual({
      "action=retry": 0,
      "action=deny": 0,
    });
    expect(await samples(metrics, "loanbridge_oldest_packet_age_seconds")).toEqual({
      "status=observed": 0,
      "status=verified": 0,
      "status=attested": 0,
      "status=delivering": 0,
    });
  });

  it("initMetrics_headsAndWallets_existAtZeroBeforeTheirFirstRead", async () => {
    const { events, metrics } = setup();
    initMetrics(metrics, {
      relayerId: "relayer-1",
      chains: [
        { kind: "evm", eid: 40161 },
        { kind: "solana", eid: 40168 },
      ],
      wallets: [{ kind: "solana", eid: 40168, account: "Payer111" }],
    });

    // A chain that cannot be read still has series for the alerts to judge.
    expect(await samples(metrics, "loanbridge_head_height")).toEqual({
      "chain=evm,eid=40161": 0,
      "chain=solana,eid=40168": 0,
    });
    expect(await samples(metrics, "loanbridge_wallet_balance")).toEqual({
      "chain=solana,eid=40168,account=Payer111": 0,
    });
    events.emit("headAdvanced", { chain: "evm", eid: 40161, height: 120n });
    expect((await samples(metrics, "loanbridge_head_height"))["chain=evm,eid=40161"]).toBe(120);
  });

  it("initMetrics_createsEveryCounterSeriesTheChainsCanProduce_atZero", async () => {
    const { events, metrics } = setup();
    initMetrics(metrics, {
      relayerId: "relayer-1",
      chains: [
        { kind: "evm", eid: 40161 },
        { kind: "evm", eid: 40162 },
        { kind: "solana", eid: 40168 },
      ],
    });

    const failures = await samples(metrics, "loanbridge_verification_failures_total");
    expect(Object.keys(failures)).toHaveLength(2 * VERIFICATION_FAILURES.length);
    expect(Object.values(failures).every((value) => value === 0)).toBe(true);
    expect(failures).toMatchObject({
      "chain=evm,reason=receipt_missing": 0,
      "chain=solana,reason=account_owner_mismatch": 0,
    });
    const packets = await samples(metrics, "loanbridge_packets_total");
    const outcomes = Object.values(STAGE_OUTCOMES).flat().length;
    // Six routes: every ordered pair of distinct eids.
    expect(Object.keys(packets)).toHaveLength(6 * outcomes);
    expect(Object.values(packets).every((value) => value === 0)).toBe(true);
    expect(packets).toHaveProperty([
      "stage=deliver,outcome=stored_failure,src_eid=40168,dst_eid=40162",
    ]);
    expect(OPERATOR_ACTIONS).toEqual(["retry", "deny"]);

    // The first failure after the start is an increase from 0.
    events.emit("verificationFailed", {
      ...ref,
      chain: "evm",
      reason: "receipt_missing",
      detail: "d",
      final: true,
    });
    const after = await samples(metrics, "loanbridge_verification_failures_total");
    expect(after["chain=evm,reason=receipt_missing"]).toBe(1);
    expect(
      (await samples(metrics, "loanbridge_packets_total"))[
        "stage=verify,outcome=failed,src_eid=40161,dst_eid=40168"
      ],
    ).toBe(1);
  });

  it("initMetrics_namesTheRelayerOnEverySeries_processMetricsIncluded", async () => {
    const events = new RelayerEvents();
    const metrics = createMetrics();
    attachMetrics(events, metrics);
    initMetrics(metrics, {
      relayerId: "relayer-7",
      chains: [
        { kind: "evm", eid: 40161, rpcEndpoints: ["a.example"] },
        { kind: "solana", eid: 40168 },
      ],
      wallets: [{ kind: "solana", eid: 40168, account: "Payer111" }],
    });
    // What the daemon sets itself, and the series only events create.
    metrics.insecureSingleRpc.set({ chain: "evm", eid: "40161" }, 0);
    events.emit("cursorAdvanced", { chain: "evm", eid: 40161, height: 100n });
    events.emit("rpcCall", { chain: "evm", method: "eth_getLogs", outcome: "ok", durationMs: 40 });
    events.emit("packetDelivered", {
      ...ref,
      chain: "evm",
      destTx: "0xd",
      seconds: 3,
      outcome: "delivered",
    });
    events.emit("deliverySubmitted", { ...ref, chain: "evm", destTx: "0xd", sinceReadyMs: 20 });
    events.emit("nonceGapsCounted", {
      chain: "solana",
      srcEid: 40168,
      paths: [{ app: `0x${"0a".repeat(32)}`, dstEid: 40161, open: 0 }],
    });
    events.emit("packetsCounted", {
      counts: {
        observed: 0,
        verified: 0,
        attested: 0,
        delivering: 0,
        delivered: 1,
        failed: 0,
        denied: 0,
      },
      oldestAgeSeconds: { observed: 0, verified: 0, attested: 0, delivering: 0 },
    });
    events.emit("loansCounted", {
      totals: {
        bySideAndState: [{ side: "pool", state: "Active", count: 1 }],
        outstandingPrincipal: [{ lendingEid: 40168, amount: 1n }],
        lockedCollateral: [{ collateralEid: 40161, asset: "0x00", amount: 1n }],
        byOutcome: { active: 1, late: 0, repaid: 0, defaulted: 0, liquidated: 0 },
      },
      disagreeing: 0,
    });

    // What /metrics serves: every sample has the label, and every one of
    // our families has samples (so none passes for want of any).
    const text = await metrics.registry.metrics();
    const samples = text.split("\n").filter((line) => line !== "" && !line.startsWith("#"));
    const ours = [...text.matchAll(/^# TYPE (loanbridge_\S+) /gm)].map((match) => match[1] ?? "");
    const nameOf = (line: string) => /^[^{ ]+/.exec(line)?.[0].replace(/_(bucket|sum|count)$/, "");
    const empty = ours.filter((family) => !samples.some((line) => nameOf(line) === family));
    const unlabelled = samples.filter((line) => !/[{,]relayer="relayer-7"[,}]/.test(line));

    expect(ours.length).toBe(27);
    expect(empty).toEqual([]);
    expect(samples.some((line) => line.startsWith("process_cpu_user_seconds_total{"))).toBe(true);
    expect(unlabelled).toEqual([]);
  });

  it("prometheusText_carriesHelpLines", async () => {
    const { events, metrics } = setup();
    events.emit("headAdvanced", { chain: "solana", eid: 40168, height: 9n });

    const text = await metrics.registry.getSingleMetricAsString("loanbridge_head_height");

    expect(text).toMatchInlineSnapshot(`
      "# HELP loanbridge_head_height The chain's finalized head (block number or slot) as last read.
      # TYPE loanbridge_head_height gauge
      loanbridge_head_height{chain="solana",eid="40168"} 9"
    `);
  });
});

describe("RelayerEvents", () => {
  it("throwingListener_isReported_andOthersStillRun", () => {
    const failures: string[] = [];
    const events = new RelayerEvents({
      onListenerError: (error, event) => failures.push(`${event}: ${String(error)}`),
    });
    const seen: Hex[] = [];
    events.on("packetVerified", () => {
      throw new Error("boom");
    });
    const off = events.on("packetVerified", ({ guid }) => seen.push(guid));

    events.emit("packetVerified", ref);
    off();
    events.emit("packetVerified", ref);

    expect(seen).toEqual([GUID]);
    expect(failures).toEqual(["packetVerified: Error: boom", "packetVerified: Error: boom"]);
    expect(events.listenerCount("packetVerified")).toBe(1);
  });
});
