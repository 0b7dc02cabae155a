// Reading positional JSON-RPC params, with Solana RPC's "Invalid params"
// answers when a value is missing or of the wrong kind.
import { type Address, getBase58Encoder, isAddress } from "@solana/kit";
import type { Commitment } from "./chain.ts";
import { invalidParams } from "./rpc-error.ts";

export type Params = readonly unknown[];
export type Config = Readonly<Record<string, unknown>>;

export function stringParam(params: Params, index: number, name: string): string {
  const value = params[index];
  if (typeof value !== "string") throw invalidParams(`${name} must be a string`);
  return value;
}

export function addressParam(params: Params, index: number, name = "address"): Address {
  return toAddress(params[index], name);
}

export function toAddress(value: unknown, name: string): Address {
  if (typeof value !== "string" || !isAddress(value)) {
    throw invalidParams(`${name} must be a base58 address`);
  }
  return value;
}

export function arrayParam(params: Params, index: number, name: string, max: number): unknown[] {
  const value = params[index];
  if (!Array.isArray(value)) throw invalidParams(`${name} must be an array`);
  if (value.length > max) throw invalidParams(`Too many inputs provided; max ${max}`);
  return value as unknown[];
}

/** A u64 param given as a JSON number. */
export function u64Param(params: Params, index: number, name: string): bigint {
  return toU64(params[index], name);
}

export function toU64(value: unknown, name: string): bigint {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw invalidParams(`${name} must be a non-negative integer`);
  }
  return BigInt(value);
}

/** The config object at `index`; absent or null means none. */
export function configParam(params: Params, index: number): Config {
  const value = params[index];
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) {
    throw invalidParams(`config (param ${index}) must be an object`);
  }
  return value as Config;
}

export function optionalString(config: Config, key: string): string | undefined {
  const value = config[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw invalidParams(`${key} must be a string`);
  return value;
}

export function optionalBoolean(config: Config, key: string): boolean | undefined {
  const value = config[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") throw invalidParams(`${key} must be a boolean`);
  return value;
}

export function optionalInteger(config: Config, key: string): number | undefined {
  const value = config[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw invalidParams(`${key} must be a non-negative integer`);
  }
  return value;
}

const COMMITMENTS: readonly string[] = ["processed", "confirmed", "finalized"];

/** The config's commitment; Solana's RPC defaults to `finalized`. */
export function commitmentOf(config: Config, key = "commitment"): Commitment {
  const value = optionalString(config, key) ?? "finalized";
  if (!COMMITMENTS.includes(value)) {
    throw invalidParams(`${key} must be one of processed, confirmed, finalized`);
  }
  return value as Commitment;
}

/** For methods that only read landed transactions: `confirmed` or `finalized`. */
export function confirmedCommitmentOf(config: Config): Commitment {
  const commitment = commitmentOf(config);
  if (commitment === "processed") {
    throw invalidParams("Method does not support commitment below `confirmed`");
  }
  return commitment;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Bytes given as base64 or base58 text. */
export function decodeBinary(value: unknown, encoding: string, name: string): Uint8Array {
  if (typeof value !== "string") throw invalidParams(`${name} must be a string`);
  if (encoding === "base64") {
    if (!BASE64.test(value) || value.length % 4 !== 0) {
      throw invalidParams(`${name} is not valid base64`);
    }
    return new Uint8Array(Buffer.from(value, "base64"));
  }
  if (encoding === "base58") {
    try {
      return Uint8Array.from(getBase58Encoder().encode(value));
    } catch {
      throw invalidParams(`${name} is not valid base58`);
    }
  }
  throw invalidParams(`unsupported encoding: ${encoding}. Supported encodings: base58, base64`);
}
