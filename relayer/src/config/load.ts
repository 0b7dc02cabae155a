// Reads the config file, applies `LOANBRIDGE_*` environment overrides,
// validates, and resolves relative paths. Every failure is a ConfigError
// naming the field (and the environment variable, when it came from one).
import { readFile } from "node:fs/promises";
import { dirname, isAbsolute, resolve } from "node:path";
import { z } from "zod";
import { type ConfigIssue, ConfigError } from "./errors.ts";
import { IN_MEMORY, type RelayerConfig, relayerConfigSchema } from "./schema.ts";
import type { KeyRef, SecretRef } from "./secret.ts";

type Env = Readonly<Record<string, string | undefined>>;
type Path = readonly (string | number)[];

/** How an environment variable's text becomes a config value. */
type EnvKind = "string" | "int" | "list" | "secretEnv";

/**
 * The environment variables that override the file, and where they go.
 * `secretEnv` entries make the key a `{ "env": NAME }` reference to the
 * variable itself: the material stays in the environment.
 */
export const ENV_OVERRIDES: readonly { env: string; path: Path; kind: EnvKind }[] = [
  { env: "LOANBRIDGE_RELAYER_ID", path: ["relayerId"], kind: "string" },
  { env: "LOANBRIDGE_LOG_LEVEL", path: ["log", "level"], kind: "string" },
  { env: "LOANBRIDGE_API_HOST", path: ["api", "host"], kind: "string" },
  { env: "LOANBRIDGE_API_PORT", path: ["api", "port"], kind: "int" },
  { env: "LOANBRIDGE_ADMIN_TOKEN", path: ["api", "adminToken"], kind: "secretEnv" },
  { env: "LOANBRIDGE_STORE_DATA_DIR", path: ["store"], kind: "string" },
  { env: "LOANBRIDGE_STORE_URL", path: ["store"], kind: "string" },
  { env: "LOANBRIDGE_EVM_RPC_URLS", path: ["chains", "evm", "rpcUrls"], kind: "list" },
  { env: "LOANBRIDGE_EVM_SIGNER_KEY", path: ["chains", "evm", "signerKey"], kind: "secretEnv" },
  { env: "LOANBRIDGE_SOLANA_RPC_URLS", path: ["chains", "solana", "rpcUrls"], kind: "list" },
  { env: "LOANBRIDGE_SOLANA_KEYPAIR", path: ["chains", "solana", "keypair"], kind: "secretEnv" },
  { env: "LOANBRIDGE_PEERS", path: ["peers"], kind: "list" },
  { env: "LOANBRIDGE_POLL_INTERVAL_MS", path: ["pipeline", "pollIntervalMs"], kind: "int" },
  { env: "LOANBRIDGE_EVM_SENDER_KEY", path: ["executor", "evmSenderKey"], kind: "secretEnv" },
  {
    env: "LOANBRIDGE_SOLANA_PAYER_KEYPAIR",
    path: ["executor", "solanaPayerKeypair"],
    kind: "secretEnv",
  },
];

export interface LoadConfigOptions {
  /** Base for the default PGlite data dir and env-given paths; `process.cwd()` by default. */
  cwd?: string;
}

/**
 * Loads the relayer config from a JSON file plus `LOANBRIDGE_*` overrides.
 * Relative paths in the file resolve against the file's folder; the default
 * data dir and paths given by environment resolve against the working dir.
 */
export async function loadConfig(
  path: string,
  env: Env,
  options: LoadConfigOptions = {},
): Promise<RelayerConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? "error";
    const why = code === "ENOENT" ? "no such file" : code;
    throw new ConfigError([{ path: "", message: `cannot read config file ${path}: ${why}` }], {
      cause,
    });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new ConfigError([{ path: "", message: `${path} is not valid JSON` }], { cause });
  }
  return parseConfig(raw, env, { ...options, baseDir: dirname(resolve(path)), source: path });
}

export interface ParseConfigOptions extends LoadConfigOptions {
  /** Relative paths in `raw` resolve against this; the working dir by default. */
  baseDir?: string;
  /** Named in error details (the file path). */
  source?: string;
}

/** Validates an already-parsed config object plus environment overrides. */
export function parseConfig(
  raw: unknown,
  env: Env,
  options: ParseConfigOptions = {},
): RelayerConfig {
  const cwd = options.cwd ?? process.cwd();
  function fail(issues: ConfigIssue[]): never {
    throw new ConfigError(issues, options.source === undefined ? {} : { source: options.source });
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return fail([{ path: "", message: "the config must be a JSON object" }]);
  }
  const { value, fromEnv, issues } = applyEnv(raw as Record<string, unknown>, env);
  if (issues.length > 0) fail(issues);

  const result = relayerConfigSchema.safeParse(value, {
    error: (issue) =>
      issue.code === "invalid_type" && issue.input === undefined ? "required" : undefined,
  });
  if (!result.success) fail(result.error.issues.flatMap((issue) => toIssues(issue, fromEnv)));
  const store = value.store as Record<string, unknown> | undefined;
  return resolvePaths(result.data, {
    file: options.baseDir ?? cwd,
    cwd,
    fromEnv: (path: Path) => envFor(path, fromEnv) !== undefined,
    dataDirGiven: store?.dataDir !== undefined,
  });
}

interface EnvApplied {
  value: Record<string, unknown>;
  /** Config paths (dotted) set from the environment, and by which variable. */
  fromEnv: Map<string, string>;
  issues: ConfigIssue[];
}

function applyEnv(raw: Record<string, unknown>, env: Env): EnvApplied {
  const value = structuredClone(raw);
  const fromEnv = new Map<string, string>();
  const issues: ConfigIssue[] = [];
  const dataDir = env.LOANBRIDGE_STORE_DATA_DIR;
  const storeUrl = env.LOANBRIDGE_STORE_URL;
  if (dataDir !== undefined && storeUrl !== undefined) {
    issues.push({
      path: "store",
      message:
        "set LOANBRIDGE_STORE_DATA_DIR (PGlite) or LOANBRIDGE_STORE_URL (PostgreSQL), not both",
    });
  }
  for (const { env: name, path, kind } of ENV_OVERRIDES) {
    const text = env[name];
    if (text === undefined) continue;
    let parsed: unknown;
    if (name === "LOANBRIDGE_STORE_DATA_DIR") parsed = { kind: "pglite", dataDir: text };
    else if (name === "LOANBRIDGE_STORE_URL") parsed = { kind: "postgres", url: text };
    else if (kind === "int") parsed = /^-?\d+$/.test(text.trim()) ? Number(text) : text;
    else if (kind === "list")
      parsed = text
        .split(",")
        .map((item) => item.trim())
        .filter(Boolean);
    else if (kind === "secretEnv") parsed = { env: name } satisfies SecretRef;
    else parsed = text;
    setPath(value, path, parsed);
    fromEnv.set(path.join("."), name);
  }
  return { value, fromEnv, issues };
}

function setPath(target: Record<string, unknown>, path: Path, value: unknown): void {
  let node = target;
  path.slice(0, -1).forEach((key) => {
    const next = node[key];
    if (typeof next !== "object" || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  });
  node[String(path.at(-1))] = value;
}

/** The environment variable that set `path` or one of its parents. */
function envFor(path: Path, fromEnv: Map<string, string>): string | undefined {
  for (let length = path.length; length > 0; length -= 1) {
    const name = fromEnv.get(path.slice(0, length).join("."));
    if (name !== undefined) return name;
  }
  return undefined;
}

/** `["chains", "evm", "rpcUrls", 1]` → `chains.evm.rpcUrls[1]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, key) => {
    if (typeof key === "number") return `${text}[${key}]`;
    const name = String(key);
    return text === "" ? name : `${text}.${name}`;
  }, "");
}

function toIssues(issue: z.core.$ZodIssue, fromEnv: Map<string, string>): ConfigIssue[] {
  const paths: { path: PropertyKey[]; message: string }[] =
    issue.code === "unrecognized_keys"
      ? issue.keys.map((key) => ({ path: [...issue.path, key], message: "unknown field" }))
      : [{ path: issue.path, message: issue.message }];
  return paths.map(({ path, message }) => {
    const name = envFor(path as Path, fromEnv);
    const where = formatPath(path);
    return { path: name === undefined ? where : `${where} (from ${name})`, message };
  });
}

interface PathBases {
  file: string;
  cwd: string;
  fromEnv: (path: Path) => boolean;
  /** Whether the file or environment named a data dir (else the default, under cwd). */
  dataDirGiven: boolean;
}

function resolvePaths(config: RelayerConfig, bases: PathBases): RelayerConfig {
  const at = (path: Path, value: string): string =>
    isAbsolute(value) ? value : resolve(bases.fromEnv(path) ? bases.cwd : bases.file, value);
  const ref = <T extends KeyRef>(path: Path, value: T): T | SecretRef =>
    "file" in value ? { file: at(path, value.file) } : value;
  const { store, api, chains, executor } = config;
  const { evm, solana } = chains;
  const { evmSenderKey, solanaPayerKeypair } = executor;
  return {
    ...config,
    store:
      store.kind === "pglite" && store.dataDir !== IN_MEMORY
        ? { ...store, dataDir: storeDir(store.dataDir, bases) }
        : store,
    api:
      api.adminToken === undefined
        ? api
        : { ...api, adminToken: ref(["api", "adminToken"], api.adminToken) },
    chains: {
      ...(evm && {
        evm: {
          ...evm,
          signerKey: ref(["chains", "evm", "signerKey"], evm.signerKey),
          ...(evm.deploymentsFile !== undefined && {
            deploymentsFile: at(["chains", "evm", "deploymentsFile"], evm.deploymentsFile),
          }),
        },
      }),
      ...(solana && {
        solana: { ...solana, keypair: ref(["chains", "solana", "keypair"], solana.keypair) },
      }),
    },
    executor: {
      ...executor,
      ...(evmSenderKey && { evmSenderKey: ref(["executor", "evmSenderKey"], evmSenderKey) }),
      ...(solanaPayerKeypair && {
        solanaPayerKeypair: ref(["executor", "solanaPayerKeypair"], solanaPayerKeypair),
      }),
    },
  };
}

/** The default data dir lives under the working dir; one written in the file, beside the file. */
function storeDir(dataDir: string, bases: PathBases): string {
  if (isAbsolute(dataDir)) return dataDir;
  const fromFile = bases.dataDirGiven && !bases.fromEnv(["store"]);
  return resolve(fromFile ? bases.file : bases.cwd, dataDir);
}

/**
 * Valid but risky settings, for the daemon to log at start: a quorum of one
 * (allowed by `insecureSingleRpc`), the API off loopback, no admin token.
 */
export function configWarnings(config: RelayerConfig): string[] {
  const warnings: string[] = [];
  for (const [name, chain] of Object.entries(config.chains)) {
    if (chain === undefined) continue;
    if (chain.rpcQuorum < 2) {
      warnings.push(
        `chains.${name}.insecureSingleRpc: a single RPC endpoint is trusted alone; it could make this relayer sign a forged or unfinalized packet (local dev chains only)`,
      );
    }
  }
  if (config.chains.evm !== undefined && config.chains.evm.confirmations !== "finalized") {
    warnings.push(
      `chains.evm.confirmations: ${config.chains.evm.confirmations} blocks instead of "finalized" (dev chains only)`,
    );
  }
  if (!["127.0.0.1", "::1", "localhost"].includes(config.api.host)) {
    warnings.push(`api.host: ${config.api.host} exposes the API beyond this machine`);
  }
  if (config.api.adminToken === undefined) {
    warnings.push("api.adminToken: not set, so the retry/deny endpoints are disabled");
  }
  return warnings;
}
