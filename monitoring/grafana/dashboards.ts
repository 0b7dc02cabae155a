// The Grafana dashboards, as code: this module builds the JSON that Grafana
// provisions from monitoring/grafana/dashboards/. Edit the panels here and
// write the files with
//   node monitoring/grafana/dashboards.ts
// (monitoring/test checks the files match). Every query is plain PromQL over
// the relayer's metrics (relayer/src/observability/metrics.ts) and `up`;
// the only Grafana variables in queries are `$chain`, `$relayer`,
// `$__rate_interval` and `$__range`, which the chain test substitutes to run
// each query.
//
// The dashboards name no datasource: every panel, query and variable uses
// the `$datasource` variable (any Prometheus datasource, the default one
// first), so the same files are provisioned from disk and imported into an
// existing Grafana ("Import dashboard", or its HTTP API) unchanged. They have
// no `__inputs`: Grafana fills `${DS_…}` inputs in only when importing
// through the UI, never when provisioning.
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

/** Every datasource reference: the dashboard's `datasource` variable. */
export const DATASOURCE = { type: "prometheus", uid: "${datasource}" } as const;
const JOB = 'job="loanbridge-relayer"';
/** Where the `relayer` variable takes its values: a series every relayer exports from its start. */
const RELAYER_VALUES = "label_values(loanbridge_operator_actions_total, relayer)";

interface Query {
  expr: string;
  legend?: string;
}

interface PanelSpec {
  title: string;
  description: string;
  queries: Query[];
  kind?: "timeseries" | "stat";
  /** Grafana unit id: s, bytes, percentunit, short, ... */
  unit?: string;
  /** Width in grid columns (24 per row); rows fill left to right. */
  width?: number;
  height?: number;
}

interface VariableSpec {
  name: string;
  label: string;
  /** `label_values(<selector>, <label>)`. */
  query: string;
}

interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  /**
   * How the dashboard picks relayers (the `relayer` label every relayer
   * puts on its series): `all` a multi-value `$relayer` filter (All by
   * default), `one` a single relayer. Either way the builder adds the
   * matcher to every selector of every query, so none can miss it.
   */
  relayers: "all" | "one";
  variables: VariableSpec[];
  panels: PanelSpec[];
}

export type Dashboard = Record<string, unknown>;

// A metric name of the relayer's (the prefixes metricNamesIn knows) or `up`,
// and its label matchers if any. Label values never name a metric here.
const SELECTOR = /\b((?:loanbridge|process|nodejs)_[a-z0-9_]+|up)\b(?:\{([^}]*)\})?/g;

/** `expr` with `matcher` added to every selector of a relayer metric or `up`. */
export function withMatcher(expr: string, matcher: string): string {
  return expr.replace(
    SELECTOR,
    (_selector, name: string, labels: string | undefined) =>
      `${name}{${labels === undefined || labels === "" ? "" : `${labels}, `}${matcher}}`,
  );
}

function panelJson(spec: PanelSpec, id: number, gridPos: Record<string, number>, matcher: string) {
  const kind = spec.kind ?? "timeseries";
  return {
    id,
    type: kind,
    title: spec.title,
    description: spec.description,
    datasource: DATASOURCE,
    gridPos,
    fieldConfig: {
      defaults: {
        unit: spec.unit ?? "short",
        ...(kind === "timeseries" && { custom: { lineWidth: 1, fillOpacity: 10 } }),
      },
      overrides: [],
    },
    options:
      kind === "stat"
        ? {
            reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false },
            colorMode: "value",
          }
        : { legend: { displayMode: "list", placement: "bottom", showLegend: true } },
    targets: spec.queries.map((query, index) => ({
      refId: String.fromCharCode(65 + index),
      datasource: DATASOURCE,
      expr: withMatcher(query.expr, matcher),
      legendFormat: query.legend ?? "__auto",
      range: true,
    })),
  };
}

function queryVariableJson(variable: VariableSpec, multi: boolean) {
  return {
    name: variable.name,
    label: variable.label,
    type: "query",
    datasource: DATASOURCE,
    definition: variable.query,
    query: { query: variable.query, refId: "PrometheusVariableQueryEditor-VariableQuery" },
    refresh: 2,
    sort: 1,
    // All is `.*`, not the list of values, so series of a relayer that
    // stopped reporting still show.
    ...(multi
      ? { includeAll: true, multi: true, allValue: ".*" }
      : { includeAll: false, multi: false }),
    current: {},
    options: [],
  };
}

function dashboardJson(spec: DashboardSpec): Dashboard {
  const matcher = spec.relayers === "all" ? 'relayer=~"$relayer"' : 'relayer="$relayer"';
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  const panels = spec.panels.map((panel, index) => {
    const w = panel.width ?? 12;
    const h = panel.height ?? (panel.kind === "stat" ? 4 : 8);
    if (x + w > 24) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    const json = panelJson(panel, index + 1, { x, y, w, h }, matcher);
    x += w;
    rowHeight = Math.max(rowHeight, h);
    return json;
  });
  return {
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: ["loanbridge"],
    timezone: "utc",
    schemaVersion: 39,
    version: 1,
    editable: true,
    refresh: "30s",
    time: { from: "now-6h", to: "now" },
    links: [
      {
        title: "loanbridge",
        type: "dashboards",
        tags: ["loanbridge"],
        asDropdown: true,
        includeVars: false,
        keepTime: true,
      },
    ],
    templating: {
      list: [
        // Empty `current`: Grafana takes the default datasource if it is a
        // Prometheus one, else the first Prometheus datasource.
        {
          name: "datasource",
          label: "Datasource",
          type: "datasource",
          query: "prometheus",
          regex: "",
          refresh: 1,
          includeAll: false,
          multi: false,
          current: {},
          options: [],
        },
        ...spec.variables.map((variable) => queryVariableJson(variable, false)),
        queryVariableJson(
          { name: "relayer", label: "Relayer", query: RELAYER_VALUES },
          spec.relayers === "all",
        ),
      ],
    },
    annotations: { list: [] },
    panels,
  };
}

const quantilesOf = (
  histogram: string,
  selector: string,
  by: string[],
  legend: (q: string) => string,
): Query[] =>
  ["0.5", "0.9", "0.99"].map((q) => ({
    expr: `histogram_quantile(${q}, sum by (${[...by, "le"].join(", ")}) (rate(${histogram}_bucket${selector}[$__rate_interval])))`,
    legend: legend(q),
  }));
const quantiles = (selector: string, by: string[], legend: (q: string) => string): Query[] =>
  quantilesOf("loanbridge_delivery_seconds", selector, by, legend);
const readyToSubmittedByChain = quantilesOf(
  "loanbridge_submit_seconds",
  "",
  ["chain"],
  (q) => `{{chain}} p${Number(q) * 100}`,
);

const overview: DashboardSpec = {
  uid: "loanbridge-overview",
  title: "loanbridge / Overview",
  description:
    "The bridge as a whole: relayers up, throughput, delivery latency, the pipeline's queues, loans and value locked. Each relayer keeps its own store, so store-derived figures are the max over relayers, not a sum.",
  relayers: "all",
  variables: [],
  panels: [
    {
      title: "Relayers up",
      description: "Relayers Prometheus could scrape, of those configured.",
      kind: "stat",
      width: 4,
      queries: [{ expr: `sum(up{${JOB}})`, legend: "up" }],
    },
    {
      title: "Packets delivered",
      description: "Packets delivered (or found delivered) in the selected time range.",
      kind: "stat",
      width: 5,
      queries: [
        {
          expr: 'max(sum by (relayer) (increase(loanbridge_packets_total{stage="deliver", outcome=~"delivered|stored_failure"}[$__range])))',
          legend: "delivered",
        },
      ],
    },
    {
      title: "Active loans",
      description: "Loans active on their lending side (pool state Active).",
      kind: "stat",
      width: 5,
      queries: [{ expr: 'max(loanbridge_loans{side="pool", state="Active"})', legend: "active" }],
    },
    {
      title: "Failed packets",
      description:
        "Packets that need an operator (retry or deny through the admin API); see the runbook.",
      kind: "stat",
      width: 5,
      queries: [{ expr: 'max(loanbridge_packets{status="failed"})', legend: "failed" }],
    },
    {
      title: "Loans disagreeing",
      description: "Loans whose two halves have disagreed for longer than a delivery should take.",
      kind: "stat",
      width: 5,
      queries: [{ expr: "max(loanbridge_loans_disagreeing)", legend: "disagreeing" }],
    },
    {
      title: "Throughput by stage",
      description:
        "Packets per second leaving each pipeline stage successfully (busiest relayer; every relayer observes, verifies and attests each packet).",
      unit: "ops",
      queries: [
        {
          expr: 'max by (stage) (sum by (relayer, stage) (rate(loanbridge_packets_total{outcome=~"ok|delivered|stored_failure"}[$__rate_interval])))',
          legend: "{{stage}}",
        },
      ],
    },
    {
      title: "Delivery latency",
      description:
        "Seconds from source finality to destination confirmation, percentiles over all relayers and destination chains.",
      unit: "s",
      queries: quantiles("", [], (q) => `p${Number(q) * 100}`),
    },
    {
      title: "Ready → submitted",
      description:
        "Seconds from when the delivering relayer held a threshold of attestations, its turn come, to its first delivery transaction sent, percentiles by destination chain: the relayers' own overhead (target: p99 under 50 ms).",
      unit: "s",
      queries: readyToSubmittedByChain,
    },
    {
      title: "Packets waiting by stage",
      description: "Packets in the store waiting in each stage (snapshot after every iteration).",
      queries: [
        { expr: 'max by (stage) (loanbridge_packets{stage!="done"})', legend: "{{stage}}" },
      ],
    },
    {
      title: "Oldest packet in flight",
      description:
        "Per status, seconds since the oldest packet still in it was first observed (oldest over relayers). LoanbridgePacketsStuck fires above 15 minutes.",
      unit: "s",
      queries: [
        {
          expr: "max by (status) (loanbridge_oldest_packet_age_seconds)",
          legend: "{{status}}",
        },
      ],
    },
    {
      title: "Delivery outcomes",
      description:
        "Delivery attempts per second by outcome: delivered, stored_failure (the destination stored a handler failure), retry, failed.",
      unit: "ops",
      queries: [
        {
          expr: 'max by (outcome) (sum by (relayer, outcome) (rate(loanbridge_packets_total{stage="deliver"}[$__rate_interval])))',
          legend: "{{outcome}}",
        },
      ],
    },
    {
      title: "Deliveries by route",
      description:
        "Packets per second delivered (or found delivered) from each source endpoint id to each destination (busiest relayer).",
      unit: "ops",
      queries: [
        {
          expr: 'max by (src_eid, dst_eid) (sum by (relayer, src_eid, dst_eid) (rate(loanbridge_packets_total{stage="deliver", outcome=~"delivered|stored_failure"}[$__rate_interval])))',
          legend: "{{src_eid}} → {{dst_eid}}",
        },
      ],
    },
    {
      title: "Executor takeovers, double sends and fee caps",
      description:
        "Packets delivered by a relayer after those before it in the packet's executor order let their windows pass (a dead or stuck executor), delivery transactions that lost to another relayer's (each costs a fee; windows shorter than a delivery), deliveries whose fee replacements hit the configured cap (LoanbridgeFeeCapReached), Solana deliveries signed again after their blockhash expired, and Solana deliveries derived again after another delivery to the same app took the state their accounts came from (deliveries racing for the pool's answer nonce), per destination, summed over relayers.",
      unit: "short",
      queries: [
        {
          expr: "sum by (dst_eid) (increase(loanbridge_executor_takeovers_total[$__rate_interval]))",
          legend: "takeovers → {{dst_eid}}",
        },
        {
          expr: "sum by (dst_eid) (increase(loanbridge_duplicate_deliveries_total[$__rate_interval]))",
          legend: "double sends → {{dst_eid}}",
        },
        {
          expr: "sum by (dst_eid) (increase(loanbridge_fee_cap_reached_total[$__rate_interval]))",
          legend: "fee cap reached → {{dst_eid}}",
        },
        {
          expr: "sum by (dst_eid) (increase(loanbridge_delivery_expired_total[$__rate_interval]))",
          legend: "blockhash expired → {{dst_eid}}",
        },
        {
          expr: "sum by (dst_eid) (increase(loanbridge_delivery_accounts_moved_total[$__rate_interval]))",
          legend: "accounts moved → {{dst_eid}}",
        },
      ],
    },
    {
      title: "Nonce gaps",
      description:
        "Source nonces per path (app, source → destination) whose packet a relayer could not read: a hidden or lost packet strands its loan (the most any relayer sees; 0 is the only good value).",
      unit: "short",
      queries: [
        {
          expr: "max by (src_eid, dst_eid, app) (loanbridge_nonce_gaps_open)",
          legend: "{{src_eid}} → {{dst_eid}} {{app}}",
        },
      ],
    },
    {
      title: "Contradicting packet claims",
      description:
        "Logs or packet accounts a watcher saw that contradict the claim recorded for their guid (held aside, dropped, or replacing a disproved one): a forged or squatting claim got past the RPC quorum (LoanbridgeContradictingClaims).",
      unit: "short",
      queries: [
        {
          expr: "sum by (src_eid, outcome) (increase(loanbridge_contradicting_claims_total[$__rate_interval]))",
          legend: "{{src_eid}} {{outcome}}",
        },
      ],
    },
    {
      title: "Chains trusting a single RPC",
      description:
        "Relayers whose reads of a chain trust one RPC endpoint alone (insecureSingleRpc: dev chains only); 0 is the only good value in production.",
      kind: "stat",
      width: 5,
      queries: [{ expr: "sum(loanbridge_insecure_single_rpc)", legend: "trusted alone" }],
    },
    {
      title: "Loans by state",
      description:
        "Mirrored loans by side (vault = collateral chain, pool = lending chain) and state.",
      queries: [{ expr: "max by (side, state) (loanbridge_loans)", legend: "{{side}} {{state}}" }],
    },
    {
      title: "Share of loans late, defaulted, liquidated",
      description:
        'Of the loans disbursed, the share whose outcome is late (an installment paid after its due time, or an active loan past a due time unpaid), defaulted or liquidated (loanbridge_loans_by_outcome; LOANS.md "Borrower credit history"). The most any relayer\'s store shows.',
      unit: "percentunit",
      queries: [
        {
          expr: 'max by (outcome) (loanbridge_loans_by_outcome{outcome=~"late|defaulted|liquidated"} / on (relayer) group_left clamp_min(sum by (relayer) (loanbridge_loans_by_outcome), 1))',
          legend: "{{outcome}}",
        },
      ],
    },
    {
      title: "Outstanding principal",
      description:
        "Outstanding principal of active loans per lending chain (eid), in stablecoin base units (USDC: 6 decimals).",
      queries: [
        {
          expr: "max by (lending_eid) (loanbridge_outstanding_principal)",
          legend: "eid {{lending_eid}}",
        },
      ],
    },
    {
      title: "Locked collateral",
      description:
        "Collateral locked in requested and active loans per collateral chain (eid) and asset, in the asset's base units (wei, lamports, token units).",
      width: 24,
      queries: [
        {
          expr: "max by (eid, asset) (loanbridge_locked_collateral)",
          legend: "eid {{eid}} {{asset}}",
        },
      ],
    },
  ],
};

const chainSelector = 'chain="$chain"';

const chainPage: DashboardSpec = {
  uid: "loanbridge-chain",
  title: "loanbridge / Chain",
  description:
    "One chain kind (evm, solana) as every relayer sees it: finalized head against the watcher cursors, RPC health, wallets, deliveries to it.",
  relayers: "all",
  variables: [
    { name: "chain", label: "Chain", query: "label_values(loanbridge_head_height, chain)" },
  ],
  panels: [
    {
      title: "Finalized head and cursors",
      description:
        "The finalized head each relayer reads and its watcher's cursor, per endpoint id (block number or slot).",
      queries: [
        {
          expr: `max by (eid) (loanbridge_head_height{${chainSelector}})`,
          legend: "head {{eid}}",
        },
        {
          expr: `loanbridge_cursor_height{${chainSelector}}`,
          legend: "cursor {{relayer}} {{eid}}",
        },
      ],
    },
    {
      title: "Cursor lag",
      description:
        "Blocks or slots between the finalized head and the watcher's cursor (LoanbridgeCursorLag fires when a cursor stays behind the head of 10 minutes ago).",
      queries: [
        {
          expr: `loanbridge_head_height{${chainSelector}} - loanbridge_cursor_height{${chainSelector}}`,
          legend: "{{relayer}} {{eid}}",
        },
      ],
    },
    {
      title: "RPC calls by method",
      description: "JSON-RPC calls per second, all relayers.",
      unit: "reqps",
      queries: [
        {
          expr: `sum by (method) (rate(loanbridge_rpc_requests_total{${chainSelector}}[$__rate_interval]))`,
          legend: "{{method}}",
        },
      ],
    },
    {
      title: "RPC error ratio",
      description: "Share of JSON-RPC calls ending in an error or a timeout, per relayer.",
      unit: "percentunit",
      queries: [
        {
          expr: `sum by (relayer) (rate(loanbridge_rpc_requests_total{${chainSelector}, outcome!="ok"}[$__rate_interval]) or rate(loanbridge_rpc_requests_total{${chainSelector}}[$__rate_interval]) * 0) / sum by (relayer) (rate(loanbridge_rpc_requests_total{${chainSelector}}[$__rate_interval]))`,
          legend: "{{relayer}}",
        },
      ],
    },
    {
      title: "RPC endpoints outvoted",
      description:
        "Quorum reads in which an endpoint answered otherwise than the others and was outvoted, per endpoint (LoanbridgeRpcDisagreement).",
      unit: "short",
      queries: [
        {
          expr: `sum by (url) (increase(loanbridge_rpc_disagreements_total{${chainSelector}}[$__rate_interval]))`,
          legend: "{{url}}",
        },
      ],
    },
    {
      title: "RPC latency p95 by method",
      description: "95th percentile JSON-RPC call latency, all relayers.",
      unit: "s",
      queries: [
        {
          expr: `histogram_quantile(0.95, sum by (method, le) (rate(loanbridge_rpc_duration_seconds_bucket{${chainSelector}}[$__rate_interval])))`,
          legend: "{{method}}",
        },
      ],
    },
    {
      title: "Wallet balances",
      description:
        "Relayer accounts' balances in whole native coins (LoanbridgeWalletBalanceLow fires below 0.1).",
      queries: [
        {
          expr: `loanbridge_wallet_balance{${chainSelector}}`,
          legend: "{{relayer}} {{account}} {{eid}}",
        },
      ],
    },
    {
      title: "Delivery latency to this chain",
      description: "Seconds from source finality to confirmation on this chain.",
      unit: "s",
      queries: quantiles(`{${chainSelector}}`, [], (q) => `p${Number(q) * 100}`),
    },
    {
      title: "Verification failures",
      description:
        "Packets from this chain that relayers could not prove, by reason, in each interval.",
      queries: [
        {
          expr: `sum by (relayer, reason) (increase(loanbridge_verification_failures_total{${chainSelector}}[$__rate_interval]))`,
          legend: "{{relayer}} {{reason}}",
        },
      ],
    },
  ],
};

const relayerPage: DashboardSpec = {
  uid: "loanbridge-relayer",
  title: "loanbridge / Relayer",
  description:
    "One relayer process: its pipeline, verification failures, RPC, wallets and the Node process (memory, CPU, event loop).",
  relayers: "one",
  variables: [],
  panels: [
    {
      title: "Up",
      description:
        "1 when Prometheus could scrape this relayer (by its target's relayer label, which prometheus.yml sets to the relayer's id).",
      kind: "stat",
      width: 6,
      queries: [{ expr: `up{${JOB}}`, legend: "{{relayer}}" }],
    },
    {
      title: "Failed packets",
      description: "Packets waiting for an operator's retry or deny.",
      kind: "stat",
      width: 6,
      queries: [{ expr: 'loanbridge_packets{status="failed"}', legend: "failed" }],
    },
    {
      title: "Loans disagreeing",
      description: "Loans whose two halves disagree, as this relayer's store sees them.",
      kind: "stat",
      width: 6,
      queries: [{ expr: "loanbridge_loans_disagreeing", legend: "loans" }],
    },
    {
      title: "Operator actions",
      description: "Retries and denials through the admin API in the selected time range.",
      kind: "stat",
      width: 6,
      queries: [
        {
          expr: "sum by (action) (increase(loanbridge_operator_actions_total[$__range]))",
          legend: "{{action}}",
        },
      ],
    },
    {
      title: "Packets waiting by stage",
      description: "This relayer's store: packets waiting in each stage, by status.",
      queries: [
        {
          expr: 'loanbridge_packets{stage!="done"}',
          legend: "{{stage}} ({{status}})",
        },
      ],
    },
    {
      title: "Oldest packet in flight",
      description:
        "Per status, seconds since this relayer's oldest packet in it was first observed (0 when none). LoanbridgePacketsStuck fires above 15 minutes.",
      unit: "s",
      queries: [
        {
          expr: "loanbridge_oldest_packet_age_seconds",
          legend: "{{status}}",
        },
      ],
    },
    {
      title: "Stage throughput by outcome",
      description: "Packets per second through each stage, by outcome (ok, retry, failed, ...).",
      unit: "ops",
      queries: [
        {
          expr: "sum by (stage, outcome) (rate(loanbridge_packets_total[$__rate_interval]))",
          legend: "{{stage}} {{outcome}}",
        },
      ],
    },
    {
      title: "Deliveries by route",
      description:
        "Delivery attempts per second from each source endpoint id to each destination, by outcome.",
      unit: "ops",
      queries: [
        {
          expr: 'sum by (src_eid, dst_eid, outcome) (rate(loanbridge_packets_total{stage="deliver"}[$__rate_interval]))',
          legend: "{{src_eid}} → {{dst_eid}} {{outcome}}",
        },
      ],
    },
    {
      title: "Verification failures",
      description: "Packets this relayer could not prove on their source chain, by reason.",
      queries: [
        {
          expr: "sum by (chain, reason) (increase(loanbridge_verification_failures_total[$__rate_interval]))",
          legend: "{{chain}} {{reason}}",
        },
      ],
    },
    {
      title: "Delivery latency",
      description:
        "Seconds from source finality to destination confirmation, as this relayer saw it.",
      unit: "s",
      queries: quantiles("", ["chain"], (q) => `{{chain}} p${Number(q) * 100}`),
    },
    {
      title: "Ready → submitted",
      description:
        "Seconds from when this relayer held a threshold of attestations, its turn come, to its first delivery transaction sent, by destination chain (target: p99 under 50 ms).",
      unit: "s",
      queries: readyToSubmittedByChain,
    },
    {
      title: "RPC calls by outcome",
      description: "JSON-RPC calls per second by chain and outcome.",
      unit: "reqps",
      queries: [
        {
          expr: "sum by (chain, outcome) (rate(loanbridge_rpc_requests_total[$__rate_interval]))",
          legend: "{{chain}} {{outcome}}",
        },
      ],
    },
    {
      title: "RPC latency p95",
      description: "95th percentile JSON-RPC latency by chain and method.",
      unit: "s",
      queries: [
        {
          expr: "histogram_quantile(0.95, sum by (chain, method, le) (rate(loanbridge_rpc_duration_seconds_bucket[$__rate_interval])))",
          legend: "{{chain}} {{method}}",
        },
      ],
    },
    {
      title: "Cursor lag",
      description: "Blocks or slots between the finalized head and this relayer's cursor.",
      queries: [
        {
          expr: "loanbridge_head_height - loanbridge_cursor_height",
          legend: "{{chain}} {{eid}}",
        },
      ],
    },
    {
      title: "Wallet balances",
      description: "This relayer's accounts, in whole native coins.",
      queries: [
        {
          expr: "loanbridge_wallet_balance",
          legend: "{{chain}} {{eid}} {{account}}",
        },
      ],
    },
    {
      title: "Memory",
      description:
        "Resident set size and V8 heap (prom-client default metrics); a steady climb is a leak.",
      unit: "bytes",
      queries: [
        { expr: "process_resident_memory_bytes", legend: "resident" },
        { expr: "nodejs_heap_size_used_bytes", legend: "heap used" },
        { expr: "nodejs_heap_size_total_bytes", legend: "heap total" },
      ],
    },
    {
      title: "CPU",
      description: "CPU seconds per second used by the process (1 = one core).",
      unit: "percentunit",
      queries: [
        {
          expr: "rate(process_cpu_seconds_total[$__rate_interval])",
          legend: "cpu",
        },
      ],
    },
    {
      title: "Event loop lag",
      description: "Node event loop delay; high values delay every stage and the API.",
      unit: "s",
      queries: [
        { expr: "nodejs_eventloop_lag_p99_seconds", legend: "p99" },
        { expr: "nodejs_eventloop_lag_mean_seconds", legend: "mean" },
      ],
    },
    {
      title: "Open file descriptors",
      description: "Sockets and files held open (RPC connections, store, API clients).",
      queries: [
        { expr: "process_open_fds", legend: "open" },
        { expr: "process_max_fds", legend: "max" },
      ],
    },
  ],
};

/** The dashboards by file name (under monitoring/grafana/dashboards/). */
export function dashboards(): Record<string, Dashboard> {
  return {
    "loanbridge-overview.json": dashboardJson(overview),
    "loanbridge-chain.json": dashboardJson(chainPage),
    "loanbridge-relayer.json": dashboardJson(relayerPage),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const [name, dashboard] of Object.entries(dashboards())) {
    const path = fileURLToPath(new URL(`dashboards/${name}`, import.meta.url));
    await writeFile(path, `${JSON.stringify(dashboard, null, 2)}\n`);
    process.stdout.write(`wrote ${path}\n`);
  }
}
