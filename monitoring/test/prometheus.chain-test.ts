// A real Prometheus (the Debian package's binary) with this folder's
// prometheus.yml and alert rules, scraping three real relayer daemons
// (startRelayer, each with an in-memory PGlite store and its API on an
// ephemeral port) that relay a loan between two loanbridge deployments on
// one anvil: OPEN_LOAN out, LOAN_ACTIVE back. One relayer is also handed two
// packets that are not on the chain: both fail verification, an operator
// denies the first. Then every dashboard query and every alert expression
// runs through Prometheus's HTTP API (the alerts nobody provoked are
// silent), the forged packets fire LoanbridgeVerificationFailures and
// LoanbridgePacketsFailed, and stopping a relayer fires LoanbridgeRelayerDown.
// Counters are there at 0 before anything happened (initMetrics), and so is
// the oldest packet age of every unfinished status. Every series a relayer
// exports carries its own id as `relayer`, and Prometheus keeps it as is.
//
// The config and rules are the repository's, with two changes for a test
// that must finish in about a minute: 1 s scrape and evaluation intervals,
// and every `for:` shortened to 2 s.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { type EvmDeployment, contractAt } from "@loanbridge/evm-contracts";
import { addressToWire, computeGuid, encodePacket, type Hex } from "@loanbridge/shared";
import { Contract, NonceManager, parseEther, Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AnvilNode, startAnvil } from "../../relayer/src/chains/evm/anvil.ts";
import {
  COLLATERAL_EID,
  deployEvmLoanPair,
  devKey,
  LENDING_EID,
  providerFor,
  rpcCall,
  sendTx,
  USD,
  VERIFIER_KEYS,
} from "../../relayer/src/chains/evm/testing.ts";
import { parseConfig } from "../../relayer/src/config/load.ts";
import { evmChainSchema } from "../../relayer/src/config/schema.ts";
import { type RunningRelayer, startRelayer } from "../../relayer/src/daemon/index.ts";
import { createLogger } from "../../relayer/src/observability/logger.ts";
import { STAGE_OUTCOMES, VERIFICATION_FAILURES } from "../../relayer/src/observability/metrics.ts";
import { testStoreImage } from "../../relayer/src/store/testing.ts";
import { freePort } from "../../test/localnet/index.ts";
import { dashboards } from "../grafana/dashboards.ts";
import { DEFAULT_RUNBOOK_BASE_URL } from "../render-rules.ts";
import {
  alertRules,
  dashboardQueries,
  dashboardVariables,
  PROMETHEUS,
  PROMETHEUS_CONFIG,
  RULES_FILE,
  splitThreshold,
} from "./files.ts";

const ADMIN_TOKEN = "monitoring-chain-test-admin-token";
/** What Grafana's variables become here: 30 s windows hold many 1 s scrapes. */
const RATE_INTERVAL = "30s";
const RANGE = "5m";

interface Relayer {
  name: string;
  running: RunningRelayer;
  target: string;
  logs: string[];
}

let dir: string;
let anvil: AnvilNode;
let collateral: EvmDeployment;
let lending: EvmDeployment;
const relayers: Relayer[] = [];
let prometheus: ChildProcess | undefined;
let prometheusOutput = "";
let prometheusUrl: string;
let mining: { stop: () => Promise<void> } | undefined;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      const logs = relayers.map((r) => `${r.name}:\n${r.logs.slice(-5).join("")}`).join("\n");
      throw new Error(`timed out waiting for ${what}\n${logs}\nprometheus:\n${prometheusOutput}`);
    }
    await sleep(250);
  }
}

/** Mines a block every `ms` until stopped, so sources keep finalizing. */
function keepMining(url: string, ms: number) {
  // A function, so the checker does not narrow the flag across awaits.
  const state = { stopping: false };
  const stopping = () => state.stopping;
  const loop = (async () => {
    while (!stopping()) {
      await rpcCall(url, "evm_mine").catch(() => undefined);
      await sleep(ms);
    }
  })();
  return {
    stop: async () => {
      state.stopping = true;
      await loop;
    },
  };
}

async function deploy(): Promise<Contract> {
  const provider = providerFor(anvil.url);
  const deployer = new NonceManager(new Wallet(devKey(0), provider));
  ({ collateral, lending } = await deployEvmLoanPair(deployer));
  const borrower = new Wallet(devKey(1), provider);
  return contractAt(
    collateral.contracts.collateralVault,
    "contracts/CollateralVault.sol",
    "CollateralVault",
    borrower,
  );
}

async function startRelayers(): Promise<void> {
  const env: Record<string, string> = { LB_ADMIN_TOKEN: ADMIN_TOKEN, LB_EXECUTOR_KEY: devKey(5) };
  const chain = async (deployment: EvmDeployment, keyEnv: string) => {
    const file = join(dir, `deployment-${deployment.localEid}.json`);
    await writeFile(file, JSON.stringify(deployment));
    return {
      eid: deployment.localEid,
      rpcUrls: [anvil.url],
      insecureSingleRpc: true,
      endpoint: deployment.contracts.endpoint,
      confirmations: 2,
      deploymentsFile: file,
      signerKey: { env: keyEnv },
    };
  };
  for (const [index, key] of VERIFIER_KEYS.entries()) {
    const name = `relayer-${index + 1}`;
    const keyEnv = `LB_SIGNER_KEY_${index}`;
    env[keyEnv] = key;
    const config = parseConfig(
      {
        relayerId: name,
        store: { kind: "pglite", dataDir: "memory://" },
        api: { port: 0, adminToken: { env: "LB_ADMIN_TOKEN" } },
        chains: { evm: await chain(collateral, keyEnv) },
        pipeline: {
          pollIntervalMs: 100,
          maxAttempts: 2,
          leaseMs: 1_000,
          retryBackoff: { initialMs: 50, maxMs: 200 },
        },
        // relayer-1 delivers, paying with a funded dev account, at most two
        // short windows after the attestations (whatever its rank).
        executor: {
          enabled: index === 0,
          takeoverWindowMs: 100,
          evmSenderKey: { env: "LB_EXECUTOR_KEY" },
          peerTimeoutMs: 1_000,
        },
      },
      env,
    );
    const logs: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logs.push(chunk.toString());
        if (logs.length > 200) logs.shift();
        done();
      },
    });
    const running = await startRelayer(config, {
      env,
      extraEvmChains: [evmChainSchema.parse(await chain(lending, keyEnv))],
      logger: createLogger({ level: "warn", relayerId: name, stream }),
      // Its in-memory store from a migrated image instead of initdb.
      memoryImage: await testStoreImage(),
    });
    relayers.push({ name, running, target: new URL(running.apiUrl).host, logs });
  }
  for (const relayer of relayers) {
    relayer.running.context.peers = relayers
      .filter((other) => other !== relayer)
      .map((other) => other.running.apiUrl);
  }
}

/** The repository's config and rules, sped up (see the top of this file). */
async function startPrometheus(): Promise<void> {
  const rules = (await readFile(RULES_FILE, "utf8")).replace(
    /^(\s*for:\s*)\S+$/gm,
    (_line, key: string) => `${key}2s`,
  );
  expect(rules).toContain("for: 2s");
  await writeFile(join(dir, "loanbridge.rules.yml"), rules);
  let config = (await readFile(PROMETHEUS_CONFIG, "utf8"))
    .replace(/(scrape_interval|evaluation_interval|scrape_timeout):\s*\S+/g, "$1: 1s")
    .replace("- alerts/loanbridge.rules.yml", `- ${join(dir, "loanbridge.rules.yml")}`);
  relayers.forEach((relayer, index) => {
    const target = `targets: ["127.0.0.1:${8081 + index}"]`;
    expect(config).toContain(target);
    config = config.replace(target, `targets: ["${relayer.target}"]`);
  });
  const configFile = join(dir, "prometheus.yml");
  await writeFile(configFile, config);
  const port = await freePort();
  prometheusUrl = `http://127.0.0.1:${port}`;
  prometheus = spawn(
    PROMETHEUS,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, "tsdb")}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const keep = (chunk: Buffer) => {
    prometheusOutput = (prometheusOutput + chunk.toString()).slice(-4_000);
  };
  prometheus.stdout?.on("data", keep);
  prometheus.stderr?.on("data", keep);
  await until("Prometheus to be ready", async () => {
    const ready = await fetch(`${prometheusUrl}/-/ready`).catch(() => undefined);
    return ready?.ok === true ? true : undefined;
  });
}

interface QueryAnswer {
  status: "success" | "error";
  error?: string;
  data?: {
    resultType: string;
    result: { metric: Record<string, string>; value: [number, string] }[];
  };
}

async function query(expr: string): Promise<QueryAnswer> {
  const response = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
  return (await response.json()) as QueryAnswer;
}

/** Runs `expr`; fails on a query error, returns the result vector. */
async function vector(
  expr: string,
): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const answer = await query(expr);
  expect(answer, expr).toMatchObject({ status: "success", data: { resultType: "vector" } });
  return answer.data?.result ?? [];
}

async function packetCounts(relayer: Relayer) {
  return relayer.running.context.store.countPacketsByStatus();
}

/** Records a packet that is not on the source chain in `relayer`'s store; resolves once it failed. */
async function forgeFor(relayer: Relayer, nonce: bigint): Promise<Hex> {
  const header = {
    nonce,
    srcEid: COLLATERAL_EID,
    sender: addressToWire(collateral.contracts.collateralVault),
    dstEid: LENDING_EID,
    receiver: addressToWire(lending.contracts.lendingPool),
  };
  const guid = computeGuid(header);
  const { store } = relayer.running.context;
  await store.recordObserved({
    packet: encodePacket(header, "0x00"),
    guid,
    srcEid: COLLATERAL_EID,
    dstEid: LENDING_EID,
    nonce,
    sourceTx: `0x${"ab".repeat(32)}`,
    sourceHeight: 1n,
    sourceIndex: Number(nonce % 1_000n),
  });
  await until("the forged packet to fail verification", async () =>
    (await store.getPacket(guid))?.status === "failed" ? true : undefined,
  );
  return guid;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "loanbridge-monitoring-"));
  anvil = await startAnvil();
  const vault = await deploy();
  await startRelayers();
  await startPrometheus();
  mining = keepMining(anvil.url, 250);

  // A loan: OPEN_LOAN to the lending chain, LOAN_ACTIVE back.
  const collateralWei = parseEther("10");
  await sendTx(
    vault,
    "open",
    "0x0000000000000000000000000000000000000000",
    collateralWei,
    12_000n * USD,
    1_000,
    30n * 86_400n,
    1,
    addressToWire(new Wallet(devKey(1)).address),
    { value: collateralWei },
  );
  await until("the loan to be relayed both ways", async () => {
    const counts = await Promise.all(relayers.map(packetCounts));
    return counts.every((count) => count.delivered >= 2) ? true : undefined;
  });

  // Packets that are not on the chain, handed to relayer-2 as if it had seen
  // them: an operator denies the first, the second stays failed. The
  // relayer's failure counters start at 0 (initMetrics), so each failure is
  // an increase() that LoanbridgeVerificationFailures sees.
  const [, witness] = relayers as [Relayer, Relayer, Relayer];
  const first = await forgeFor(witness, 1_000_000n);
  const denied = await fetch(`${witness.running.apiUrl}/v1/packets/${first}/deny`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ reason: "not on the source chain", actor: "monitoring-test" }),
  });
  expect(denied.status).toBe(200);
  await until("Prometheus to scrape the first verification failure", async () =>
    (await vector("loanbridge_verification_failures_total > 0")).length > 0 ? true : undefined,
  );
  await forgeFor(witness, 1_000_001n);

  // Prometheus has scraped the outcome of all that, a few times over.
  await until("Prometheus to scrape the deny", async () =>
    (await vector('loanbridge_operator_actions_total{action="deny"} > 0')).length > 0
      ? true
      : undefined,
  );
  await until("Prometheus to scrape every relayer's deliveries", async () => {
    const delivered = await vector(
      'sum by (relayer) (loanbridge_packets_total{stage="deliver", outcome="delivered"}) > 0',
    );
    return delivered.length === relayers.length ? true : undefined;
  });
  await sleep(3_000);
}, 90_000);

afterAll(async () => {
  await mining?.stop();
  if (prometheus !== undefined && prometheus.exitCode === null) {
    const exited = new Promise((resolve) => prometheus?.once("exit", resolve));
    prometheus.kill("SIGTERM");
    await exited;
  }
  for (const relayer of relayers) await relayer.running.stop().catch(() => undefined);
  // Either may be missing when beforeAll failed early.
  await (anvil as AnvilNode | undefined)?.stop();
  const tmp = dir as string | undefined;
  if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
});

/** `$name` → each of the variable's values, Grafana's intervals → fixed windows. */
function expansions(expr: string, variables: Map<string, string[]>): string[] {
  let exprs = [expr.replaceAll("$__rate_interval", RATE_INTERVAL).replaceAll("$__range", RANGE)];
  for (const [name, values] of variables) {
    if (!exprs.some((e) => e.includes(`$${name}`))) continue;
    exprs = exprs.flatMap((e) => values.map((value) => e.replaceAll(`$${name}`, value)));
  }
  return exprs;
}

describe("Prometheus scraping three relayers that relayed a loan", () => {
  it("scrapesEveryRelayer_withItsRelayerLabel", async () => {
    const up = await vector('up{job="loanbridge-relayer"}');
    expect(up.map((sample) => [sample.metric.relayer, sample.value[1]]).sort()).toEqual([
      ["relayer-1", "1"],
      ["relayer-2", "1"],
      ["relayer-3", "1"],
    ]);
  });

  it("everySeries_carriesItsRelayersOwnId_asRelayer", async () => {
    // Straight from each relayer: every sample it serves names it.
    for (const relayer of relayers) {
      const text = await (await fetch(`${relayer.running.apiUrl}/metrics`)).text();
      const samples = text.split("\n").filter((line) => line !== "" && !line.startsWith("#"));
      expect(samples.length, relayer.name).toBeGreaterThan(100);
      const others = samples.filter((line) => !line.includes(`relayer="${relayer.name}"`));
      expect(others, relayer.name).toEqual([]);
    }
    // And in Prometheus: under that label, not renamed, none without it.
    const scraped = '{job="loanbridge-relayer", __name__=~"loanbridge_.+|process_.+|nodejs_.+"}';
    const byRelayer = await vector(`count by (relayer) (${scraped})`);
    expect(byRelayer.map((sample) => sample.metric.relayer).sort()).toEqual(
      relayers.map((relayer) => relayer.name),
    );
    expect(await vector(`count(${scraped.replace("}", ', relayer=""}')})`)).toEqual([]);
    expect(await vector('count({exported_relayer!=""})')).toEqual([]);
  });

  it("countersStartAtZero_forEveryConfiguredChainReasonAndRoute", async () => {
    // relayer-1 saw no verification failure and made no operator action.
    const failures = await vector('loanbridge_verification_failures_total{relayer="relayer-1"}');
    expect(failures.length).toBe(VERIFICATION_FAILURES.length);
    expect(failures.every((sample) => sample.value[1] === "0")).toBe(true);
    const actions = await vector('loanbridge_operator_actions_total{relayer="relayer-1"}');
    expect(actions.map((sample) => [sample.metric.action, sample.value[1]]).sort()).toEqual([
      ["deny", "0"],
      ["retry", "0"],
    ]);
    // Both routes between the two eids, every stage and outcome.
    const routes = await vector(
      'count by (src_eid, dst_eid) (loanbridge_packets_total{relayer="relayer-1"})',
    );
    const outcomes = Object.values(STAGE_OUTCOMES).flat().length;
    expect(
      routes
        .map((sample) => [sample.metric.src_eid, sample.metric.dst_eid, sample.value[1]])
        .sort(),
    ).toEqual([
      [String(COLLATERAL_EID), String(LENDING_EID), String(outcomes)],
      [String(LENDING_EID), String(COLLATERAL_EID), String(outcomes)],
    ]);
  });

  it("oldestPacketAge_isZeroOrFresh_forEveryUnfinishedStatus", async () => {
    const ages = await vector('loanbridge_oldest_packet_age_seconds{relayer="relayer-1"}');
    expect(ages.map((sample) => sample.metric.status).sort()).toEqual([
      "attested",
      "delivering",
      "observed",
      "verified",
    ]);
    for (const sample of ages) expect(Number(sample.value[1])).toBeLessThan(900);
  });

  it("everyDashboardQuery_runs_andReturnsData", async () => {
    const empty: string[] = [];
    let count = 0;
    for (const [name, json] of Object.entries(dashboards())) {
      const variables = new Map<string, string[]>();
      for (const variable of dashboardVariables(name, json)) {
        const values = (await vector(`count by (${variable.label}) (${variable.selector})`))
          .map((sample) => sample.metric[variable.label] ?? "")
          .filter((value) => value !== "");
        expect(values, `${name} $${variable.name}`).not.toEqual([]);
        variables.set(variable.name, values);
      }
      for (const { panel, expr } of dashboardQueries(name, json)) {
        let results = 0;
        for (const expanded of expansions(expr, variables)) {
          results += (await vector(expanded)).length;
          count++;
        }
        if (results === 0) empty.push(`${name} "${panel}": ${expr}`);
      }
    }
    expect(empty).toEqual([]);
    expect(count).toBeGreaterThan(30);
  });

  it("everyAlertExpr_runs_isSilentUnlessProvoked_andItsBaseExpressionReturnsData", async () => {
    const empty: string[] = [];
    const provoked = new Set(["LoanbridgeVerificationFailures", "LoanbridgePacketsFailed"]);
    for (const rule of await alertRules()) {
      const active = await vector(rule.expr);
      if (!provoked.has(rule.alert)) expect(active, rule.alert).toEqual([]);
      const split = splitThreshold(rule.expr);
      if (split === undefined) throw new Error(`${rule.alert}: no threshold`);
      if ((await vector(split.base)).length === 0) empty.push(`${rule.alert}: ${split.base}`);
    }
    expect(empty).toEqual([]);
  });

  it("forgedPacket_firesVerificationFailuresAndPacketsFailed_forTheRelayerThatSawIt", async () => {
    const firing = await until("LoanbridgeVerificationFailures to fire", async () => {
      const alerts = await vector(
        'ALERTS{alertname="LoanbridgeVerificationFailures", alertstate="firing"}',
      );
      return alerts.length > 0 ? alerts : undefined;
    });
    expect(firing.map((alert) => alert.metric.relayer)).toEqual(["relayer-2"]);
    expect(firing[0]?.metric).toMatchObject({ severity: "critical", chain: "evm" });
    // The second forged packet is left failed, for an operator.
    const failed = await until("LoanbridgePacketsFailed to fire", async () => {
      const alerts = await vector(
        'ALERTS{alertname="LoanbridgePacketsFailed", alertstate="firing"}',
      );
      return alerts.length > 0 ? alerts : undefined;
    });
    expect(failed.map((alert) => alert.metric.relayer)).toEqual(["relayer-2"]);
  });

  it("stoppedRelayer_firesLoanbridgeRelayerDown_forItAlone", async () => {
    const stopped = relayers[2];
    if (stopped === undefined) throw new Error("no relayer-3");
    await stopped.running.stop();
    const firing = await until("LoanbridgeRelayerDown to fire", async () => {
      const alerts = await vector('ALERTS{alertname="LoanbridgeRelayerDown", alertstate="firing"}');
      return alerts.length > 0 ? alerts : undefined;
    });
    expect(firing.map((alert) => alert.metric.relayer)).toEqual(["relayer-3"]);
    expect(firing[0]?.metric).toMatchObject({ severity: "critical", instance: stopped.target });
    // The API lists it with its annotations, the runbook's URL included.
    const response = await fetch(`${prometheusUrl}/api/v1/alerts`);
    const { data } = (await response.json()) as {
      data: {
        alerts: {
          labels: Record<string, string>;
          annotations: Record<string, string>;
          state: string;
        }[];
      };
    };
    const down = data.alerts.find((alert) => alert.labels.alertname === "LoanbridgeRelayerDown");
    expect(down).toMatchObject({
      state: "firing",
      annotations: {
        summary: `Relayer relayer-3 (${stopped.target}) is down`,
        runbook_url: `${DEFAULT_RUNBOOK_BASE_URL}/LoanbridgeRelayerDown.md`,
      },
    });
  });
});
