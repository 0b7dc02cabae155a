// Key material and tokens: referenced from the config by file or environment
// variable (never inline), loaded into a `Secret` that prints as
// `[redacted]` everywhere (JSON, util.inspect, template strings, logs).
import { createPrivateKey, createPublicKey } from "node:crypto";
import { readFile } from "node:fs/promises";
import { isAbsolute, resolve } from "node:path";
import { inspect } from "node:util";
import type { Hex } from "@loanbridge/shared";
import { decodeBase58, toBeArray } from "ethers";
import { z } from "zod";
import { evmAddressOf, isSolanaAddress } from "../signing/identifiers.ts";
import { ConfigError } from "./errors.ts";

export const REDACTED = "[redacted]";

/**
 * A value that must never reach a log line, an error message or an HTTP
 * response. Every way of printing it gives `[redacted]`; `reveal()` is the
 * one way to the material, called only where it is used (signing, auth).
 */
export class Secret<T = string> {
  readonly #value: T;
  /** Where the value came from (`env LOANBRIDGE_EVM_KEY`, `file /etc/…`); safe to print. */
  readonly source: string;

  constructor(value: T, source: string) {
    this.#value = value;
    this.source = source;
  }

  reveal(): T {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.toPrimitive](): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}

/** Where a secret lives: a file (relative to the config file) or an environment variable. */
export type SecretRef = { file: string } | { env: string };

const KEY_PATTERNS: readonly RegExp[] = [
  /^(0x)?[0-9a-fA-F]{64}$/, // secp256k1 private key / ed25519 seed, hex
  /^(0x)?[0-9a-fA-F]{128}$/, // ed25519 keypair, hex
  /^[1-9A-HJ-NP-Za-km-z]{80,90}$/, // ed25519 keypair, base58 (wallet export)
  /^\[\s*\d{1,3}(\s*,\s*\d{1,3}){31,}\s*\]$/, // solana-keygen JSON array, as text
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/, // PEM
  /^([a-z]+\s+){11,23}[a-z]+$/, // BIP-39 mnemonic
];

/** Whether a config value looks like key material (so it must not be in the file). */
export function looksLikeKey(value: unknown): boolean {
  if (typeof value === "string") return KEY_PATTERNS.some((pattern) => pattern.test(value.trim()));
  if (Array.isArray(value)) {
    return value.length >= 32 && value.every((item) => Number.isInteger(item));
  }
  return false;
}

const KEY_INLINE =
  'looks like a private key: keys never go in the config file; give { "file": PATH } or { "env": VAR }';
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const REMOTE_UNSUPPORTED =
  'a remote signer is supported for the attestation keys only (chains.evm.signerKey, chains.solana.keypair): the executor signs transactions with a local key, give { "file": PATH } or { "env": VAR }';

/**
 * A `SecretRef` in the config. Key-looking input is refused with a message
 * that says so and never repeats the value.
 */
export const secretRefSchema = z.unknown().transform((input, ctx): SecretRef => {
  const fail = (message: string, path: string[] = []): never => {
    ctx.addIssue({ code: "custom", message, path });
    return z.NEVER;
  };
  if (input === undefined) return fail("required");
  if (looksLikeKey(input)) return fail(KEY_INLINE);
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return fail(`expected { "file": PATH } or { "env": VAR }, got ${describe(input)}`);
  }
  const fields = input as Record<string, unknown>;
  for (const [name, value] of Object.entries(fields)) {
    if (looksLikeKey(value)) return fail(KEY_INLINE, [name]);
  }
  if ("remote" in fields) return fail(REMOTE_UNSUPPORTED, ["remote"]);
  const unknown = Object.keys(fields).filter((name) => name !== "file" && name !== "env");
  if (unknown.length > 0) return fail("unknown field", [unknown[0] ?? ""]);
  const { file, env } = fields;
  if (file !== undefined && env !== undefined) return fail('give "file" or "env", not both');
  if (file !== undefined) {
    if (typeof file !== "string" || file === "") return fail("expected a file path", ["file"]);
    return { file };
  }
  if (env !== undefined) {
    if (typeof env !== "string" || !ENV_NAME.test(env)) {
      return fail("expected an environment variable name (letters, digits, _)", ["env"]);
    }
    return { env };
  }
  return fail('expected { "file": PATH } or { "env": VAR }');
});

/** An attestation key at a remote signer (signing/http.ts has the protocol). */
export interface RemoteKeyRef {
  /** The signer's base URL, http(s), no credentials in it. */
  url: string;
  /** EVM: the secp256k1 public key, 0x + 128 hex (web3signer's identifier). Solana: the base58 address. */
  identifier: string;
  /** The environment variable holding the signer's bearer token, if it wants one. */
  tokenEnv?: string | undefined;
  /** Per request to the signer. */
  timeoutMs: number;
}

/** Where an attestation key is: a file, an environment variable, or a remote signer. */
export type KeyRef = SecretRef | { remote: RemoteKeyRef };

export const isRemoteKey = (ref: KeyRef): ref is { remote: RemoteKeyRef } => "remote" in ref;

const signerUrl = z.string().superRefine((value, ctx) => {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    ctx.addIssue({ code: "custom", message: "Invalid URL" });
    return;
  }
  if (!["http:", "https:"].includes(parsed.protocol) || parsed.hostname === "") {
    ctx.addIssue({ code: "custom", message: "Invalid URL: expected http, https" });
  } else if (parsed.username !== "" || parsed.password !== "" || parsed.search !== "") {
    // Never repeat the URL: credentials would be in it.
    ctx.addIssue({
      code: "custom",
      message: 'no credentials or query in the signer URL: give the token through "tokenEnv"',
    });
  }
});

const remoteKeySchema = (identifier: z.ZodType<string>) =>
  z.strictObject({
    url: signerUrl,
    identifier,
    tokenEnv: z
      .string()
      .regex(ENV_NAME, "expected an environment variable name (letters, digits, _)")
      .optional(),
    timeoutMs: z.int().min(100).max(120_000).default(5_000),
  });

/**
 * An attestation key in the config: `{ "file" }`, `{ "env" }` (secretRefSchema)
 * or `{ "remote": { url, identifier, tokenEnv?, timeoutMs? } }`, the
 * identifier checked with `identifier`.
 */
export const keyRefSchema = (identifier: z.ZodType<string>) => {
  const remote = remoteKeySchema(identifier);
  return z.unknown().transform((input, ctx): KeyRef => {
    const isRemote =
      typeof input === "object" && input !== null && !Array.isArray(input) && "remote" in input;
    const result = isRemote
      ? z.strictObject({ remote }).safeParse(input)
      : secretRefSchema.safeParse(input);
    if (result.success) return result.data;
    for (const issue of result.error.issues) {
      ctx.addIssue({ code: "custom", message: issue.message, path: issue.path });
    }
    return z.NEVER;
  });
};

/** An EVM attestation key: file, env, or a remote `eth1` key named by its public key. */
export const evmKeyRefSchema = keyRefSchema(
  z.string().refine((value) => evmAddressOf(value) !== undefined, {
    message:
      "expected the key's secp256k1 public key as the signer names it: 0x + 128 hex digits (x ‖ y, no 04 prefix)",
  }),
);

/** A Solana attestation keypair: file, env, or a remote `ed25519` key named by its address. */
export const solanaKeyRefSchema = keyRefSchema(
  z.string().refine(isSolanaAddress, { message: "expected the key's Solana address (base58)" }),
);

function describe(value: unknown): string {
  if (value === null) return "null";
  return Array.isArray(value) ? "an array" : `a ${typeof value}`;
}

export interface LoadSecretOptions {
  /** The environment to read `{ env }` references from. */
  env: Readonly<Record<string, string | undefined>>;
  /** Relative `{ file }` paths resolve against this (the config file's folder). */
  baseDir?: string;
  /** The config path the reference came from, for error messages (`chains.evm.signerKey`). */
  field?: string;
}

/**
 * Reads a secret from its file or environment variable. The text is trimmed
 * of surrounding whitespace. Errors name the field and the source, never the
 * content.
 */
export async function loadSecret(ref: SecretRef, options: LoadSecretOptions): Promise<Secret> {
  const field = options.field ?? "";
  if ("env" in ref) {
    const value = options.env[ref.env]?.trim();
    if (value === undefined || value === "") {
      throw new ConfigError([
        { path: field, message: `environment variable ${ref.env} is not set` },
      ]);
    }
    return new Secret(value, `env ${ref.env}`);
  }
  const path = isAbsolute(ref.file) ? ref.file : resolve(options.baseDir ?? ".", ref.file);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? "error";
    const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : code;
    throw new ConfigError([{ path: field, message: `cannot read ${path}: ${why}` }], { cause });
  }
  const value = text.trim();
  if (value === "") throw new ConfigError([{ path: field, message: `${path} is empty` }]);
  return new Secret(value, `file ${path}`);
}

// secp256k1 group order: a private key is in [1, n).
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** Loads a 32-byte secp256k1 private key (hex, optional 0x) for an EVM signer. */
export async function loadEvmPrivateKey(
  ref: SecretRef,
  options: LoadSecretOptions,
): Promise<Secret<Hex>> {
  const secret = await loadSecret(ref, options);
  const text = secret.reveal();
  const hex = (text.startsWith("0x") ? text.slice(2) : text).toLowerCase();
  const scalar = /^[0-9a-f]{64}$/.test(hex) ? BigInt(`0x${hex}`) : 0n;
  if (scalar === 0n || scalar >= SECP256K1_N) {
    throw new ConfigError([
      {
        path: options.field ?? "",
        message: `${secret.source} does not hold a secp256k1 private key (32 bytes, hex)`,
      },
    ]);
  }
  return new Secret<Hex>(`0x${hex}`, secret.source);
}

// DER prefix of a PKCS#8 ed25519 private key; the 32-byte seed follows.
const ED25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

/**
 * Loads a Solana keypair: the 64 bytes `seed ‖ publicKey`, as solana-keygen
 * writes them (a JSON array of numbers) or base58. The public half must match
 * the seed.
 */
export async function loadSolanaKeypair(
  ref: SecretRef,
  options: LoadSecretOptions,
): Promise<Secret<Uint8Array>> {
  const secret = await loadSecret(ref, options);
  const bytes = parseKeypair(secret.reveal());
  const invalid = (why: string): ConfigError =>
    new ConfigError([{ path: options.field ?? "", message: `${secret.source} ${why}` }]);
  if (bytes === undefined) {
    throw invalid("does not hold a Solana keypair (64 bytes as a JSON array or base58)");
  }
  const privateKey = createPrivateKey({
    key: Buffer.concat([ED25519_PKCS8_PREFIX, bytes.subarray(0, 32)]),
    format: "der",
    type: "pkcs8",
  });
  const derived = createPublicKey(privateKey).export({ format: "der", type: "spki" }).subarray(-32);
  if (!derived.equals(bytes.subarray(32))) {
    throw invalid("holds a Solana keypair whose public key does not match its secret key");
  }
  return new Secret(bytes, secret.source);
}

function parseKeypair(text: string): Uint8Array | undefined {
  if (text.startsWith("[")) {
    let values: unknown;
    try {
      values = JSON.parse(text);
    } catch {
      return undefined;
    }
    const ok =
      Array.isArray(values) &&
      values.length === 64 &&
      values.every((value) => Number.isInteger(value) && Number(value) >= 0 && Number(value) < 256);
    return ok ? Uint8Array.from(values as number[]) : undefined;
  }
  if (!/^[1-9A-HJ-NP-Za-km-z]+$/.test(text)) return undefined;
  const leadingZeros = /^1*/.exec(text)?.[0].length ?? 0;
  const value = decodeBase58(text);
  const body = value === 0n ? new Uint8Array() : toBeArray(value);
  if (leadingZeros + body.length !== 64) return undefined;
  const bytes = new Uint8Array(64);
  bytes.set(body, leadingZeros);
  return bytes;
}

/**
 * A URL safe to print: scheme, host and port only. User info, paths and
 * query strings are dropped because RPC providers and databases put API keys
 * and passwords there.
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const hidden = parsed.username !== "" || parsed.password !== "" || parsed.pathname.length > 1;
    const rest = hidden || parsed.search !== "" ? "/…" : "";
    return `${parsed.protocol}//${parsed.host}${rest}`;
  } catch {
    return "[unparseable url]";
  }
}
