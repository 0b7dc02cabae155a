// The monitoring files checked without a running Prometheus: promtool
// accepts the config and the rules and passes the rules' unit tests; every
// alert is tested both ways, is labelled and documented; every dashboard is
// what monitoring/grafana/dashboards.ts builds, and every query names only
// metrics the relayer exports.
import { readdir, readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { createMetrics } from "../../relayer/src/observability/metrics.ts";
import { DATASOURCE, dashboards } from "../grafana/dashboards.ts";
import {
  alertRules,
  alertTestCoverage,
  DASHBOARDS_DIR,
  dashboardQueries,
  dashboardVariables,
  metricNamesIn,
  PROMETHEUS_CONFIG,
  promtool,
  README,
  RULES_FILE,
  RULES_TEST_FILE,
  splitThreshold,
} from "./files.ts";

const SLOW = { timeout: 30_000 };

async function dashboardFiles(): Promise<Map<string, unknown>> {
  const names = (await readdir(DASHBOARDS_DIR)).filter((name) => name.endsWith(".json")).sort();
  const files = new Map<string, unknown>();
  for (const name of names) {
    files.set(name, JSON.parse(await readFile(`${DASHBOARDS_DIR}${name}`, "utf8")) as unknown);
  }
  return files;
}

/** Every series name the relayer's registry can expose, plus `up` (Prometheus's own). */
async function exportedMetricNames(): Promise<Set<string>> {
  const { registry } = createMetrics();
  const names = new Set(["up"]);
  for (const metric of await registry.getMetricsAsJSON()) {
    names.add(metric.name);
    if (String(metric.type) === "histogram") {
      for (const suffix of ["_bucket", "_sum", "_count"]) names.add(metric.name + suffix);
    }
  }
  registry.clear();
  return names;
}

/** GitHub's anchor for a Markdown heading. */
const anchorOf = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, "")
    .replace(/ /g, "-");

describe("promtool", () => {
  it("checkConfig_acceptsPrometheusYml_withItsRuleFile", SLOW, async () => {
    const output = await promtool("check", "config", PROMETHEUS_CONFIG);
    expect(output).toContain("SUCCESS: 1 rule files found");
  });

  it("checkRules_acceptsEveryRule", SLOW, async () => {
    const output = await promtool("check", "rules", RULES_FILE);
    expect(output).toContain(`SUCCESS: ${(await alertRules()).length} rules found`);
  });

  it("testRules_passesEveryUnitTest", SLOW, async () => {
    const output = await promtool("test", "rules", RULES_TEST_FILE);
    expect(output).toContain("SUCCESS");
  });
});

describe("alert rules", () => {
  it("everyAlert_hasAUnitTestWhereItFires_andOneWhereItIsSilent", async () => {
    const coverage = alertTestCoverage(await readFile(RULES_TEST_FILE, "utf8"));
    const rules = await alertRules();
    expect(rules.length).toBeGreaterThanOrEqual(8);
    for (const { alert } of rules) {
      expect({ alert, ...coverage.get(alert) }).toEqual({ alert, fires: true, silent: true });
    }
    // And no test names an alert that does not exist.
    expect([...coverage.keys()].sort()).toEqual(rules.map((rule) => rule.alert).sort());
  });

  it("everyAlert_hasFor_severity_summary_description_andARunbookHeadingInTheReadme", async () => {
    const readme = await readFile(README, "utf8");
    const anchors = new Set(
      readme
        .split("\n")
        .filter((line) => line.startsWith("#"))
        .map((line) => anchorOf(line.replace(/^#+/, ""))),
    );
    for (const rule of await alertRules()) {
      expect(rule.for, rule.alert).toMatch(/^\d+[smh]$/);
      expect(["critical", "warning"], rule.alert).toContain(rule.labels.severity);
      expect(rule.annotations.summary, rule.alert).toBeTruthy();
      expect(rule.annotations.description, rule.alert).toBeTruthy();
      expect(rule.annotations.runbook, rule.alert).toBe(
        `monitoring/README.md#${rule.alert.toLowerCase()}`,
      );
      expect(anchors, rule.alert).toContain(rule.alert.toLowerCase());
    }
  });

  it("everyExpr_isABaseExpressionComparedWithAThreshold", async () => {
    for (const rule of await alertRules()) {
      const split = splitThreshold(rule.expr);
      expect(split, `${rule.alert}: ${rule.expr}`).toBeDefined();
      expect(split?.base, rule.alert).not.toMatch(/^\s*$/);
    }
  });
});

describe("dashboards", () => {
  it("files_areWhatDashboardsTsBuilds", async () => {
    const files = await dashboardFiles();
    const built = dashboards();
    expect([...files.keys()].sort()).toEqual(Object.keys(built).sort());
    for (const [name, json] of files) expect(json, name).toEqual(built[name]);
  });

  it("everyPanel_hasTargetsWithAnExpr_onTheProvisionedDatasource", async () => {
    const provisioned = await readFile(
      new URL("../grafana/provisioning/datasources/prometheus.yml", import.meta.url),
      "utf8",
    );
    expect(provisioned).toContain(`uid: ${DATASOURCE.uid}`);
    const uids = new Set<string>();
    for (const [name, json] of await dashboardFiles()) {
      const dashboard = json as {
        uid: string;
        panels: { id: number; title: string; datasource: unknown; targets: unknown[] }[];
      };
      expect(uids, name).not.toContain(dashboard.uid);
      uids.add(dashboard.uid);
      expect(dashboard.panels.length, name).toBeGreaterThan(0);
      expect(new Set(dashboard.panels.map((panel) => panel.id)).size).toBe(dashboard.panels.length);
      for (const panel of dashboard.panels) {
        expect(panel.datasource, `${name} ${panel.title}`).toEqual(DATASOURCE);
        expect(panel.targets.length, `${name} ${panel.title}`).toBeGreaterThan(0);
      }
      for (const query of dashboardQueries(name, json)) {
        expect(query.expr.trim(), `${name} ${query.panel}`).not.toBe("");
      }
      dashboardVariables(name, json); // Throws unless every variable is label_values(…).
    }
  });

  it("everyMetricInDashboardsAndAlerts_isExportedByTheRelayer", async () => {
    const exported = await exportedMetricNames();
    const exprs = (await alertRules()).map((rule) => ({ where: rule.alert, expr: rule.expr }));
    for (const [name, json] of await dashboardFiles()) {
      for (const query of dashboardQueries(name, json)) {
        exprs.push({ where: `${name} ${query.panel}`, expr: query.expr });
      }
      for (const variable of dashboardVariables(name, json)) {
        exprs.push({ where: `${name} $${variable.name}`, expr: variable.selector });
      }
    }
    const used = new Set<string>();
    for (const { where, expr } of exprs) {
      const names = metricNamesIn(expr);
      expect(names.length, `${where}: ${expr}`).toBeGreaterThan(0);
      for (const metric of names) {
        used.add(metric);
        expect(exported, `${where} uses ${metric}`).toContain(metric);
      }
    }
    // Every loanbridge metric is on some dashboard or alert.
    const relayerMetrics = [...exported].filter(
      (name) => name.startsWith("loanbridge_") && !/_(sum|count)$/.test(name),
    );
    const unused = relayerMetrics.filter(
      (name) => !used.has(name) && !used.has(`${name}_bucket`) && !name.endsWith("_bucket"),
    );
    expect(unused).toEqual([]);
  });

  it("metricNamesIn_ignoresStringsFunctionsAndLabels", () => {
    expect(
      metricNamesIn(
        'sum by (lending_eid) (rate(loanbridge_packets_total{stage="loanbridge_x"}[5m])) / up',
      ),
    ).toEqual(["loanbridge_packets_total", "up"]);
  });
});
