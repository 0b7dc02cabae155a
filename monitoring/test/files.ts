// Reads the monitoring files for the tests: alert rules (a line-based reader
// for our own rules file; the repo has no YAML library), the dashboards'
// queries, variables and datasource references, and the metric names an
// expression uses.
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

export const MONITORING_DIR = fileURLToPath(new URL("..", import.meta.url));
export const PROMETHEUS_CONFIG = `${MONITORING_DIR}prometheus.yml`;
export const RULES_FILE = `${MONITORING_DIR}alerts/loanbridge.rules.yml`;
export const RULES_TEST_FILE = `${MONITORING_DIR}alerts/loanbridge.rules.test.yml`;
export const DASHBOARDS_DIR = `${MONITORING_DIR}grafana/dashboards/`;
export const RUNBOOKS_DIR = `${MONITORING_DIR}runbooks/`;
export const PROMTOOL = process.env.PROMTOOL ?? "/usr/bin/promtool";
export const PROMETHEUS = process.env.PROMETHEUS ?? "/usr/bin/prometheus";

const run = promisify(execFile);

/** Runs promtool; resolves with its output, rejects with it (and the exit code) on failure. */
export async function promtool(...args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run(PROMTOOL, args, { cwd: MONITORING_DIR });
    return stdout + stderr;
  } catch (error) {
    const { stdout, stderr, code } = error as { stdout?: string; stderr?: string; code?: unknown };
    throw new Error(
      `promtool ${args.join(" ")} failed (${String(code)}):\n${stdout ?? ""}${stderr ?? ""}`,
      { cause: error },
    );
  }
}

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

const indentOf = (line: string) => line.length - line.trimStart().length;
const unquote = (value: string) => value.trim().replace(/^"(.*)"$/, "$1");

/**
 * The alerting rules of a rules file written the way ours is: `- alert:`
 * items with `expr`, `for`, `labels` and `annotations`, values inline or as
 * `>-` / `|` blocks.
 */
export function parseAlertRules(text: string): AlertRule[] {
  const lines = text.split("\n");
  const rules: AlertRule[] = [];
  let rule: AlertRule | undefined;
  let section: "labels" | "annotations" | undefined;
  let sectionIndent = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    if (line.trim() === "" || line.trimStart().startsWith("#")) continue;
    const alert = /^\s*- alert:\s*(\S+)\s*$/.exec(line);
    if (alert?.[1] !== undefined) {
      rule = { alert: alert[1], expr: "", labels: {}, annotations: {} };
      rules.push(rule);
      section = undefined;
      continue;
    }
    if (rule === undefined) continue;
    const field = /^(\s*)([A-Za-z_]+):\s*(.*)$/.exec(line);
    if (field === null) continue;
    const [, indent = "", key = "", rest = ""] = field;
    if (section !== undefined && indent.length <= sectionIndent) section = undefined;
    let value = rest;
    if (/^[>|]-?$/.test(rest.trim())) {
      // A block scalar: the following lines indented deeper than the key.
      const block: string[] = [];
      while (i + 1 < lines.length) {
        const next = lines[i + 1] ?? "";
        if (next.trim() !== "" && indentOf(next) <= indent.length) break;
        block.push(next.trim());
        i++;
      }
      value = block.join(rest.startsWith(">") ? " " : "\n").trim();
    }
    if (section === undefined && (key === "labels" || key === "annotations") && value === "") {
      section = key;
      sectionIndent = indent.length;
    } else if (section !== undefined) {
      rule[section][key] = unquote(value);
    } else if (key === "expr") {
      rule.expr = unquote(value);
    } else if (key === "for") {
      rule.for = unquote(value);
    }
  }
  return rules;
}

export async function alertRules(): Promise<AlertRule[]> {
  return parseAlertRules(await readFile(RULES_FILE, "utf8"));
}

/** `<base> <comparison> <threshold>`: the expression split at its last, top-level comparison. */
export function splitThreshold(
  expr: string,
): { base: string; comparison: string; threshold: number } | undefined {
  const match = /^([\s\S]*\S)\s*(==|!=|>=|<=|>|<)\s*(-?[0-9.]+(?:e-?[0-9]+)?)\s*$/.exec(expr);
  if (match === null) return undefined;
  const [, base = "", comparison = "", threshold = ""] = match;
  return { base, comparison, threshold: Number(threshold) };
}

/** For each alert in a promtool test file: whether some test expects it firing, and silent. */
export function alertTestCoverage(text: string): Map<string, { fires: boolean; silent: boolean }> {
  const coverage = new Map<string, { fires: boolean; silent: boolean }>();
  const lines = text.split("\n");
  lines.forEach((line, index) => {
    const name = /^\s*alertname:\s*(\S+)\s*$/.exec(line)?.[1];
    if (name === undefined) return;
    const expected = /^\s*exp_alerts:\s*(.*)$/.exec(lines[index + 1] ?? "");
    if (expected === null) return;
    const entry = coverage.get(name) ?? { fires: false, silent: false };
    if (expected[1]?.trim() === "[]") entry.silent = true;
    else entry.fires = true;
    coverage.set(name, entry);
  });
  return coverage;
}

export interface DashboardQuery {
  dashboard: string;
  panel: string;
  expr: string;
}

export interface DashboardVariable {
  dashboard: string;
  name: string;
  /** `label_values(<selector>, <label>)`, split. */
  selector: string;
  label: string;
}

interface DashboardJson {
  uid?: unknown;
  title?: unknown;
  panels?: { id?: unknown; title?: unknown; targets?: { expr?: unknown }[] }[];
  templating?: { list?: { name?: unknown; type?: unknown; query?: unknown }[] };
}

export function dashboardQueries(name: string, json: unknown): DashboardQuery[] {
  const dashboard = json as DashboardJson;
  return (dashboard.panels ?? []).flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({
      dashboard: name,
      panel: String(panel.title),
      expr: typeof target.expr === "string" ? target.expr : "",
    })),
  );
}

/** The dashboard's query variables (the `datasource` variable picks a datasource, it queries none). */
export function dashboardVariables(name: string, json: unknown): DashboardVariable[] {
  const dashboard = json as DashboardJson;
  const variables = (dashboard.templating?.list ?? []).filter(
    (variable) => variable.type !== "datasource",
  );
  return variables.map((variable) => {
    const { query } = variable as { query?: { query?: unknown } };
    const text = typeof query?.query === "string" ? query.query : "";
    const match = /^label_values\((.+),\s*([A-Za-z_][A-Za-z0-9_]*)\)$/.exec(text);
    if (match?.[1] === undefined || match[2] === undefined) {
      throw new Error(`${name}: variable ${String(variable.name)} is not label_values(…): ${text}`);
    }
    return { dashboard: name, name: String(variable.name), selector: match[1], label: match[2] };
  });
}

/** Metric names an expression uses: identifiers outside strings with our metrics' prefixes, and `up`. */
export function metricNamesIn(expr: string): string[] {
  const code = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const names = code.match(/\b(?:loanbridge_|process_|nodejs_)[A-Za-z0-9_:]*|\bup\b/g) ?? [];
  return [...new Set(names)];
}

/** How every datasource reference in a dashboard reads: its `datasource` variable. */
export const DATASOURCE_VARIABLE = "${datasource}";

/**
 * Where a dashboard names a datasource other than through its `datasource`
 * variable, as JSON paths: any `datasource` (object or legacy name string)
 * anywhere (panels, nested rows, targets, annotations, templating) whose uid
 * is not `${datasource}`, `${DS_…}` import inputs, and `__inputs`.
 */
export function hardCodedDatasources(json: unknown, path = "$"): string[] {
  if (Array.isArray(json)) {
    return json.flatMap((item, index) => hardCodedDatasources(item, `${path}[${index}]`));
  }
  if (typeof json === "string") return json.includes("${DS_") ? [path] : [];
  if (typeof json !== "object" || json === null) return [];
  return Object.entries(json).flatMap(([key, value]) => {
    const at = `${path}.${key}`;
    if (key === "__inputs") return [at];
    if (key === "datasource") {
      const uid = typeof value === "string" ? value : (value as { uid?: unknown } | null)?.uid;
      if (uid !== DATASOURCE_VARIABLE) return [at];
    }
    return hardCodedDatasources(value, at);
  });
}
