// The monitoring files checked without a running Prometheus: promtool
// accepts the config and the rules (also rendered with another runbook base)
// and passes the rules' unit tests; every alert is tested both ways, is
// labelled and has a runbook its runbook_url points at; every dashboard is
// what monitoring/grafana/dashboards.ts builds, names no datasource but its
// `datasource` variable, filters every query by relayer, and names only
// metrics the relayer exports.
import { access, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createMetrics } from "../../relayer/src/observability/metrics.ts";
import { DATASOURCE, dashboards, withMatcher } from "../grafana/dashboards.ts";
import {
  DEFAULT_RUNBOOK_BASE_URL,
  main as renderRulesMain,
  RenderRulesError,
  renderRules,
  toRunbookBaseUrl,
} from "../render-rules.ts";
import {
  alertRules,
  alertTestCoverage,
  DASHBOARDS_DIR,
  DATASOURCE_VARIABLE,
  dashboardQueries,
  dashboardVariables,
  hardCodedDatasources,
  metricNamesIn,
  PROMETHEUS_CONFIG,
  parseAlertRules,
  promtool,
  RULES_FILE,
  RULES_TEST_FILE,
  RUNBOOKS_DIR,
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

/** The runbooks by file name (monitoring/runbooks/*.md, the index README.md aside). */
async function runbookFiles(): Promise<Map<string, string>> {
  const names = (await readdir(RUNBOOKS_DIR)).filter(
    (name) => name.endsWith(".md") && name !== "README.md",
  );
  const files = new Map<string, string>();
  for (const name of names.sort()) files.set(name, await readFile(RUNBOOKS_DIR + name, "utf8"));
  return files;
}

/** Relative Markdown link targets in `text` (no scheme, no pure anchors), fragment dropped. */
const relativeLinks = (text: string) =>
  [...text.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((match) => match[1] ?? "")
    .filter((target) => !/^[a-z]+:/.test(target) && !target.startsWith("#"))
    .map((target) => target.replace(/#.*$/, ""));

/** Runs the render-rules command; its exit code and what it printed. */
async function renderRulesCommand(args: string[], env: Record<string, string | undefined>) {
  let stdout = "";
  let stderr = "";
  const code = await renderRulesMain(args, env, {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
  });
  return { code, stdout, stderr };
}

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

  it("everyAlert_hasFor_severity_summary_description_andARunbookUrlToItsRunbook", async () => {
    const runbooks = await runbookFiles();
    for (const rule of await alertRules()) {
      expect(rule.for, rule.alert).toMatch(/^\d+[smh]$/);
      expect(["critical", "warning"], rule.alert).toContain(rule.labels.severity);
      expect(rule.annotations.summary, rule.alert).toBeTruthy();
      expect(rule.annotations.description, rule.alert).toBeTruthy();
      expect(rule.annotations.runbook, rule.alert).toBeUndefined();
      expect(rule.annotations.runbook_url, rule.alert).toBe(
        `${DEFAULT_RUNBOOK_BASE_URL}/${rule.alert}.md`,
      );
      // The page the URL names is in the repository, about this alert, at its severity.
      const runbook = runbooks.get(`${rule.alert}.md`);
      expect(runbook, rule.alert).toBeDefined();
      expect(runbook?.split("\n")[0], rule.alert).toBe(`# ${rule.alert}`);
      expect(runbook, rule.alert).toContain(`**Severity:** ${rule.labels.severity} `);
    }
  });

  it("runbooks_areOnePerAlert_listedInTheIndexAtTheirSeverity_andTheirLinksResolve", async () => {
    const runbooks = await runbookFiles();
    const rules = await alertRules();
    expect([...runbooks.keys()]).toEqual(rules.map((rule) => `${rule.alert}.md`).sort());
    const index = await readFile(`${RUNBOOKS_DIR}README.md`, "utf8");
    const rows = [...index.matchAll(/^\| \[(\w+)\]\(\1\.md\) +\| (\w+) +\|$/gm)].map(
      ([, alert, severity]) => ({ alert, severity }),
    );
    expect(rows).toEqual(
      rules.map((rule) => ({ alert: rule.alert, severity: rule.labels.severity })),
    );
    const missing: string[] = [];
    for (const [name, text] of [...runbooks, ["README.md", index] as const]) {
      for (const target of relativeLinks(text)) {
        await access(RUNBOOKS_DIR + target).catch(() => missing.push(`${name} → ${target}`));
      }
    }
    expect(missing).toEqual([]);
  });

  it("everyExpr_isABaseExpressionComparedWithAThreshold", async () => {
    for (const rule of await alertRules()) {
      const split = splitThreshold(rule.expr);
      expect(split, `${rule.alert}: ${rule.expr}`).toBeDefined();
      expect(split?.base, rule.alert).not.toMatch(/^\s*$/);
    }
  });
});

describe("render-rules", () => {
  const BASE = "https://wiki.example.com/loanbridge/runbooks";

  it(
    "rendersEveryRunbookUrlUnderTheGivenBase_changingNothingElse_andPromtoolAcceptsIt",
    SLOW,
    async () => {
      const original = await readFile(RULES_FILE, "utf8");
      const dir = await mkdtemp(join(tmpdir(), "loanbridge-rules-"));
      try {
        const out = join(dir, "loanbridge.rules.yml");
        const result = await renderRulesCommand([out], { RUNBOOK_BASE_URL: `${BASE}/` });
        expect(result).toEqual({ code: 0, stdout: "", stderr: "" });
        const rendered = await readFile(out, "utf8");

        const rules = parseAlertRules(rendered);
        expect(rules.map((rule) => rule.annotations.runbook_url)).toEqual(
          rules.map((rule) => `${BASE}/${rule.alert}.md`),
        );
        const unchanged = (text: string) =>
          text.split("\n").filter((line) => !line.includes("runbook_url:"));
        expect(unchanged(rendered)).toEqual(unchanged(original));
        const output = await promtool("check", "rules", out);
        expect(output).toContain(`SUCCESS: ${rules.length} rules found`);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );

  it("withoutRunbookBaseUrl_writesTheCommittedRulesToStdout", async () => {
    const result = await renderRulesCommand([], {});
    expect(result).toEqual({ code: 0, stdout: await readFile(RULES_FILE, "utf8"), stderr: "" });
  });

  it("badBaseUrls_areRefused", () => {
    const refused = [
      "",
      "wiki/runbooks",
      "ftp://example.com/runbooks",
      `${BASE}?page=1`,
      `${BASE}#top`,
    ].map((value) => {
      try {
        toRunbookBaseUrl(value);
        return `${value}: accepted`;
      } catch (error) {
        expect(error).toBeInstanceOf(RenderRulesError);
        return (error as RenderRulesError).shortMessage;
      }
    });
    expect(refused).toMatchInlineSnapshot(`
      [
        "RUNBOOK_BASE_URL is not an absolute URL",
        "RUNBOOK_BASE_URL is not an absolute URL",
        "RUNBOOK_BASE_URL must be an http(s) URL",
        "RUNBOOK_BASE_URL must have no query or fragment",
        "RUNBOOK_BASE_URL must have no query or fragment",
      ]
    `);
    expect(toRunbookBaseUrl(`${BASE}//`)).toBe(BASE);
  });

  it("rulesItCannotRender_areRefused", () => {
    expect(() => renderRules("groups: []\n", BASE)).toThrowErrorMatchingInlineSnapshot(
      `[RenderRulesError: the rules file has no runbook_url annotation]`,
    );
    expect(() =>
      renderRules("          runbook_url: https://elsewhere.example/LoanbridgeX.md\n", BASE),
    ).toThrowErrorMatchingInlineSnapshot(`
      [RenderRulesError: a runbook_url is not under the default base

      Details: https://elsewhere.example/LoanbridgeX.md (expected https://github.com/loanbridge/loanbridge/blob/main/monitoring/runbooks/<alert>.md)]
    `);
  });

  it("command_badArgumentsOrBase_exitWith2_andWriteNothing", async () => {
    expect(await renderRulesCommand(["a.yml", "b.yml"], {})).toMatchInlineSnapshot(`
      {
        "code": 2,
        "stderr": "render-rules: expected at most one argument, the file to write

      Details: usage: RUNBOOK_BASE_URL=<https://…> node monitoring/render-rules.ts [out-file]
      ",
        "stdout": "",
      }
    `);
    expect(await renderRulesCommand(["--out"], {})).toMatchObject({ code: 2, stdout: "" });
    expect(await renderRulesCommand([], { RUNBOOK_BASE_URL: "runbooks" })).toMatchInlineSnapshot(`
      {
        "code": 2,
        "stderr": "render-rules: RUNBOOK_BASE_URL is not an absolute URL

      Details: "runbooks"
      ",
        "stdout": "",
      }
    `);
    expect(await renderRulesCommand(["/nonexistent-dir/rules.yml"], {})).toMatchObject({
      code: 2,
      stdout: "",
      stderr: expect.stringContaining("cannot write /nonexistent-dir/rules.yml") as unknown,
    });
  });
});

describe("dashboards", () => {
  it("files_areWhatDashboardsTsBuilds", async () => {
    const files = await dashboardFiles();
    const built = dashboards();
    expect([...files.keys()].sort()).toEqual(Object.keys(built).sort());
    for (const [name, json] of files) expect(json, name).toEqual(built[name]);
  });

  it("everyPanel_hasTargetsWithAnExpr_onTheDatasourceVariable", async () => {
    expect(DATASOURCE).toEqual({ type: "prometheus", uid: DATASOURCE_VARIABLE });
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

  it("noDashboard_namesADatasource_butThroughItsPrometheusDatasourceVariable", async () => {
    for (const [name, json] of await dashboardFiles()) {
      expect(hardCodedDatasources(json), name).toEqual([]);
      const { templating } = json as { templating: { list: Record<string, unknown>[] } };
      expect(templating.list[0], name).toMatchObject({
        name: "datasource",
        type: "datasource",
        query: "prometheus",
        current: {},
      });
    }
    // Provisioning still works: the provisioned datasource is a Prometheus
    // one and the default, which is what the variable picks first.
    const provisioned = await readFile(
      new URL("../grafana/provisioning/datasources/prometheus.yml", import.meta.url),
      "utf8",
    );
    expect(provisioned).toMatch(/^\s+type: prometheus$/m);
    expect(provisioned).toMatch(/^\s+isDefault: true$/m);
  });

  it("hardCodedDatasources_findsEveryFormAnywhere", () => {
    const fixed = { type: "prometheus", uid: "P1809F7CD0C75ACF3" };
    const good = { type: "prometheus", uid: "${datasource}" };
    const dashboard = {
      __inputs: [{ name: "DS_PROMETHEUS", type: "datasource" }],
      annotations: { list: [{ datasource: fixed }, { datasource: good }] },
      templating: {
        list: [
          { name: "x", datasource: "${DS_PROMETHEUS}" },
          { name: "y", datasource: good },
        ],
      },
      panels: [
        { datasource: "Prometheus", targets: [{ datasource: good }, { datasource: fixed }] },
        {
          type: "row",
          panels: [{ datasource: null, targets: [{ expr: "up", datasource: good }] }],
        },
        { datasource: good, targets: [{ expr: "up" }] },
      ],
    };
    expect(hardCodedDatasources(dashboard)).toEqual([
      "$.__inputs",
      "$.annotations.list[0].datasource",
      "$.templating.list[0].datasource",
      "$.panels[0].datasource",
      "$.panels[0].targets[1].datasource",
      "$.panels[1].panels[0].datasource",
    ]);
  });

  it("everyQuery_selectsRelayersByTheirOwnLabel", async () => {
    for (const [name, json] of await dashboardFiles()) {
      const variable = dashboardVariables(name, json).find((v) => v.name === "relayer");
      expect(variable, name).toMatchObject({ label: "relayer" });
      for (const { panel, expr } of dashboardQueries(name, json)) {
        const selectors =
          expr.match(
            /\b(?:loanbridge|process|nodejs)_[a-z0-9_]+\b(\{[^}]*\})?|\bup\b(\{[^}]*\})?/g,
          ) ?? [];
        expect(selectors.length, `${name} ${panel}`).toBeGreaterThan(0);
        for (const selector of selectors) {
          expect(selector, `${name} ${panel}`).toMatch(/[{ ]relayer=~?"\$relayer"}$/);
        }
      }
    }
  });

  it("withMatcher_addsTheMatcherToEverySelector_andNothingElse", () => {
    expect(
      withMatcher(
        'sum by (relayer) (rate(loanbridge_packets_total{stage="deliver"}[5m])) / up + process_open_fds{} - nodejs_x',
        'relayer="r"',
      ),
    ).toBe(
      'sum by (relayer) (rate(loanbridge_packets_total{stage="deliver", relayer="r"}[5m])) / up{relayer="r"} + process_open_fds{relayer="r"} - nodejs_x{relayer="r"}',
    );
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
