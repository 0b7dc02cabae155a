// The TypeScript implementation against the committed vector files, read as
// the Solidity and Rust suites read them; and the files against a fresh
// generation, so they cannot drift from the code.
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import {
  accruedInterest,
  annuitySchedule,
  ATTESTATION_DOMAIN,
  attestationDigest,
  collateralValue,
  decodeLoanMessage,
  decodePacket,
  encodeLoanMessage,
  encodePacket,
  exceedsLtv,
  type Hex,
  installmentDueTimes,
  type LoanMessage,
  MESSAGE_LAYOUTS,
  type MessageTypeName,
  packetAttestationDigest,
  packetHeaderBytes,
  payloadHash,
  toBytes,
  toHex,
  WireError,
  wireToEvmAddress,
} from "../src/index.ts";
import { buildVectors, toVectorJson } from "./cases.ts";

type Json = Record<string, string>;
type InvalidVector = { name: string; encoded: Hex; error: string };

const readVectors = async <T>(file: string): Promise<T> =>
  JSON.parse(await readFile(new URL(file, import.meta.url), "utf8")) as T;

const packets = await readVectors<{ valid: Json[]; invalid: InvalidVector[] }>("packets.json");
const messages = await readVectors<{
  valid: { name: string; type: MessageTypeName; fields: Json; encoded: Hex }[];
  invalid: InvalidVector[];
}>("loan-messages.json");
const attestations = await readVectors<{ domain: Hex; valid: Json[] }>("attestations.json");
const evmAddresses = await readVectors<{
  valid: Json[];
  invalid: { name: string; bytes32: Hex; error: string }[];
}>("evm-addresses.json");

function errorCode(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof WireError) return error.code;
    throw error;
  }
  throw new Error("expected a WireError, but nothing was thrown");
}

/** A message's JSON fields in their in-memory types, by the layout's field kinds. */
function messageFromJson(type: MessageTypeName, fields: Json): LoanMessage {
  const message: Record<string, unknown> = { type };
  for (const [name, kind] of MESSAGE_LAYOUTS[type].fields) {
    const value = fields[name] ?? "";
    message[name] =
      kind === "uint32" || kind === "uint16"
        ? Number(value)
        : kind === "uint64" || kind === "uint128"
          ? BigInt(value)
          : value;
  }
  return message as LoanMessage;
}

describe("vector files", () => {
  it.each(Object.entries(buildVectors()))("%s_matchesFreshGeneration", async (file, vectors) => {
    const committed = await readFile(new URL(file, import.meta.url), "utf8");
    expect(committed, "run `node shared/scripts/generate-vectors.ts`").toBe(toVectorJson(vectors));
  });

  it("cover_everyMessageType", () => {
    const types = new Set(messages.valid.map(({ type }) => type));
    expect([...types].sort()).toEqual(
      ["DEFAULTED", "LIQUIDATED", "LOAN_ACTIVE", "LOAN_REJECTED", "OPEN_LOAN", "REPAID"].sort(),
    );
  });
});

describe("packets", () => {
  it.each(packets.valid.map((v) => [v.name, v] as const))("%s_roundTrips", (_name, vector) => {
    const bytes = toBytes(vector.encoded as Hex);
    const packet = decodePacket(bytes);

    expect(packet).toEqual({
      nonce: BigInt(vector.nonce ?? ""),
      srcEid: Number(vector.srcEid),
      sender: vector.sender,
      dstEid: Number(vector.dstEid),
      receiver: vector.receiver,
      guid: vector.guid,
      message: vector.message,
    });
    expect(toHex(packetHeaderBytes(bytes))).toBe(vector.header);
    expect(payloadHash(packet)).toBe(vector.payloadHash);
    expect(toHex(encodePacket(packet, packet.message))).toBe(vector.encoded);
  });

  it.each(packets.invalid.map((v) => [v.name, v] as const))("%s_isRejected", (_name, vector) => {
    expect(errorCode(() => decodePacket(toBytes(vector.encoded)))).toBe(vector.error);
  });
});

describe("loan messages", () => {
  it.each(messages.valid.map((v) => [v.name, v] as const))("%s_roundTrips", (_name, vector) => {
    const expected = messageFromJson(vector.type, vector.fields);

    expect(decodeLoanMessage(vector.encoded)).toEqual(expected);
    expect(toHex(encodeLoanMessage(expected))).toBe(vector.encoded);
  });

  it.each(messages.invalid.map((v) => [v.name, v] as const))("%s_isRejected", (_name, vector) => {
    expect(errorCode(() => decodeLoanMessage(vector.encoded))).toBe(vector.error);
  });
});

describe("attestation digests", () => {
  it("domain_isKeccakOfTag", () => {
    expect(attestations.domain).toBe(ATTESTATION_DOMAIN);
  });

  it.each(attestations.valid.map((v) => [v.name, v] as const))("%s_matches", (_name, vector) => {
    const epoch = BigInt(vector.epoch ?? "");
    const packet = toBytes(vector.packet as Hex);

    const endpoint = vector.endpoint as Hex;
    expect(
      attestationDigest(endpoint, epoch, toBytes(vector.header as Hex), vector.payloadHash as Hex),
    ).toBe(vector.digest);
    expect(packetAttestationDigest(endpoint, epoch, packet)).toBe(vector.digest);
  });
});

describe("EVM addresses", () => {
  it.each(evmAddresses.valid.map((v) => [v.name, v] as const))("%s_decodes", (_name, vector) => {
    expect(wireToEvmAddress(vector.bytes32 as Hex)).toBe(vector.address);
  });

  it.each(evmAddresses.invalid.map((v) => [v.name, v] as const))("%s_isRejected", (_name, v) => {
    expect(errorCode(() => wireToEvmAddress(v.bytes32))).toBe(v.error);
  });
});

const math = await readVectors<{
  accruedInterest: Json[];
  collateralValue: Json[];
  exceedsLtv: (Json & { exceeds: boolean })[];
}>("loan-math.json");

describe("loan arithmetic", () => {
  const big = (value: string | undefined) => BigInt(value ?? "");

  it.each(math.accruedInterest.map((v) => [v.name, v] as const))("interest_%s", (_name, v) => {
    expect(accruedInterest(big(v.principal), big(v.rateBps), big(v.elapsedSeconds))).toBe(
      big(v.interest),
    );
  });

  it.each(math.collateralValue.map((v) => [v.name, v] as const))("value_%s", (_name, v) => {
    expect(collateralValue(big(v.amount), big(v.price))).toBe(big(v.value));
  });

  it.each(math.exceedsLtv.map((v) => [v.name, v] as const))("ltv_%s", (_name, v) => {
    expect(exceedsLtv(big(v.debt), big(v.value), big(v.ltvBps))).toBe(v.exceeds);
  });
});

const schedules = await readVectors<{
  schedules: (Json & { rows?: Json[] })[];
  dueTimes: (Json & { dueTimes: string[] })[];
}>("loan-schedules.json");

describe("installment schedules", () => {
  const big = (value: string | undefined) => BigInt(value ?? "");

  it.each(schedules.schedules.map((v) => [v.name, v] as const))("schedule_%s", (_name, v) => {
    const schedule = annuitySchedule({
      principal: big(v.principal),
      rateBps: big(v.rateBps),
      periodSeconds: big(v.periodSeconds),
      installments: Number(v.installments),
    });

    expect(schedule.periodRate).toBe(big(v.periodRate));
    expect(schedule.payment).toBe(big(v.payment));
    if (v.rows) {
      expect(schedule.rows.map(({ interest, principal }) => ({ interest, principal }))).toEqual(
        v.rows.map((row) => ({ interest: big(row.interest), principal: big(row.principal) })),
      );
    }
  });

  it.each(schedules.dueTimes.map((v) => [v.name, v] as const))("dueTimes_%s", (_name, v) => {
    const dueTimes = installmentDueTimes(
      big(v.startTime),
      big(v.periodSeconds),
      Number(v.installments),
      big(v.dueBucketSeconds),
    );
    expect(dueTimes).toEqual(v.dueTimes.map(big));
  });

  // Solidity and Rust read every vector: principals and due times must fit
  // the widths they compute in, and the grid LOANS.md's cases name must be there.
  it("cover_theGrid_withinU64", () => {
    const u64Max = (1n << 64n) - 1n;
    const values = (key: string) => new Set(schedules.schedules.map((v) => v[key]));
    expect([...values("installments")]).toEqual(expect.arrayContaining(["1", "2", "12", "360"]));
    expect([...values("rateBps")]).toEqual(
      expect.arrayContaining(["0", "1", "800", "10000", "100000"]),
    );
    expect(schedules.schedules.some((v) => v.installments === "360" && v.rows)).toBe(true);
    expect(schedules.schedules.every((v) => big(v.principal) <= u64Max)).toBe(true);
    expect(schedules.dueTimes.every((v) => v.dueTimes.every((t) => big(t) <= u64Max))).toBe(true);
  });
});
