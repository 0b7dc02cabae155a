// The Solidity wire-format libraries (contracts/libraries) against the shared
// vectors (shared/vectors, SPEC.md "Vectors"), through WireHarness so every
// input arrives as calldata, as it will in the endpoint.
import { readFileSync } from "node:fs";
import { type Contract, getBytes, hexlify, id, keccak256, Result } from "ethers";
import { beforeAll, describe, expect, it } from "vitest";
import { buildContracts, hre } from "./hre.ts";
import { revertData } from "./support/revertData.ts";

type Hex = `0x${string}`;
type Json = Record<string, string>;

interface InvalidVector {
  name: string;
  encoded: Hex;
  error: string;
}

interface PacketVector {
  name: string;
  nonce: string;
  srcEid: string;
  sender: Hex;
  dstEid: string;
  receiver: Hex;
  guid: Hex;
  message: Hex;
  header: Hex;
  payloadHash: Hex;
  encoded: Hex;
}

interface MessageVector {
  name: string;
  type: string;
  fields: Json;
  encoded: Hex;
}

interface AttestationVector {
  name: string;
  endpoint: Hex;
  epoch: string;
  packet: Hex;
  header: Hex;
  payloadHash: Hex;
  digest: Hex;
}

const ZERO32: Hex = `0x${"00".repeat(32)}`;

function readVectors(file: string): unknown {
  const url = new URL(`../../shared/vectors/${file}`, import.meta.url);
  return JSON.parse(readFileSync(url, "utf8"));
}

const packets = readVectors("packets.json") as { valid: PacketVector[]; invalid: InvalidVector[] };
const messages = readVectors("loan-messages.json") as {
  valid: MessageVector[];
  invalid: InvalidVector[];
};
const attestations = readVectors("attestations.json") as {
  domain: Hex;
  valid: AttestationVector[];
};
const evmAddresses = readVectors("evm-addresses.json") as {
  valid: { name: string; bytes32: Hex; address: string }[];
  invalid: { name: string; bytes32: Hex; error: string }[];
};

/** Message type name (as in the vectors) → type code and the harness's function suffix. */
const MESSAGE_TYPES: Record<string, { code: number; fn: string }> = {
  OPEN_LOAN: { code: 1, fn: "OpenLoan" },
  LOAN_ACTIVE: { code: 2, fn: "LoanActive" },
  LOAN_REJECTED: { code: 3, fn: "LoanRejected" },
  REPAID: { code: 4, fn: "Repaid" },
  DEFAULTED: { code: 5, fn: "Defaulted" },
  LIQUIDATED: { code: 6, fn: "Liquidated" },
};

const REJECT_REASONS: Record<string, number> = {
  InsufficientLiquidity: 1,
  LtvTooHigh: 2,
  RateAboveMax: 3,
  UnsupportedCollateral: 4,
  Expired: 5,
  Paused: 6,
  InvalidTerms: 7,
};

const PACKET_ERRORS = ["PacketTooShort", "UnsupportedPacketVersion", "GuidMismatch"];
const MESSAGE_ERRORS = [
  "MessageTooShort",
  "MessageTooLong",
  "UnsupportedMessageVersion",
  "UnknownMessageType",
  "UnknownRejectReason",
];

const { ethers } = await hre.network.create();
let harness: Contract;

beforeAll(async () => {
  await buildContracts();
  harness = await ethers.deployContract("WireHarness");
});

function messageType(name: string): { code: number; fn: string } {
  const type = MESSAGE_TYPES[name];
  if (type === undefined) throw new Error(`unknown message type ${name} in the vectors`);
  return type;
}

function rejectReason(name: string): number {
  const code = REJECT_REASONS[name];
  if (code === undefined) throw new Error(`unknown reject reason ${name} in the vectors`);
  return code;
}

/** A harness view, called with eth_call. */
async function call(fn: string, ...args: unknown[]): Promise<unknown> {
  return (await harness.getFunction(fn).staticCall(...args)) as unknown;
}

/** A harness view that returns a struct, as field name → decimal or hex string. */
async function callStruct(fn: string, ...args: unknown[]): Promise<Json> {
  const result = await call(fn, ...args);
  if (!(result instanceof Result)) throw new Error(`${fn} did not return a struct`);
  return structToJson(result);
}

function structToJson(result: Result): Json {
  return Object.fromEntries(
    Object.entries(result.toObject()).map(([key, value]) => [key, String(value)]),
  );
}

/** Calls a harness view that must revert; returns the custom error's name and arguments. */
async function expectRevert(
  fn: string,
  ...args: unknown[]
): Promise<{ name: string; args: string[] }> {
  const data = await revertData(call(fn, ...args));
  const decoded = harness.interface.parseError(data);
  if (decoded === null) throw new Error(`${fn} reverted with unknown data ${data}`);
  return { name: decoded.name, args: decoded.args.map(String) };
}

/**
 * The arguments our custom error carries for `encoded` (SPEC.md names the
 * errors only): the length for length errors, otherwise the offending byte at
 * its offset in the layout; GuidMismatch carries (computed from the header,
 * carried in the packet).
 */
function expectedErrorArgs(error: string, encoded: Hex): string[] {
  const bytes = getBytes(encoded);
  const byteAt = (offset: number) => String(bytes[offset]);
  switch (error) {
    case "PacketTooShort":
    case "MessageTooShort":
    case "MessageTooLong":
      return [String(bytes.length)];
    case "UnsupportedPacketVersion":
    case "UnsupportedMessageVersion":
      return [byteAt(0)];
    case "UnknownMessageType":
      return [byteAt(1)];
    case "UnknownRejectReason":
      return [byteAt(34)];
    case "GuidMismatch":
      return [keccak256(bytes.slice(1, 81)), hexlify(bytes.slice(81, 113))];
    default:
      throw new Error(`no expected arguments for ${error}`);
  }
}

describe("PacketCodec", () => {
  it("vectors_coverValidAndEveryDecodingError", () => {
    expect(packets.valid.length).toBeGreaterThan(0);
    expect(new Set(packets.invalid.map(({ error }) => error))).toEqual(new Set(PACKET_ERRORS));
  });

  it.each(packets.valid)("decode_returnsExactFields [$name]", async (v) => {
    const result = await call("decodePacket", v.encoded);
    if (!(result instanceof Result)) throw new Error("decodePacket returned no tuple");
    const [header, guid, message] = result.toArray() as [Result, string, string];

    expect(structToJson(header)).toEqual({
      nonce: v.nonce,
      srcEid: v.srcEid,
      sender: v.sender,
      dstEid: v.dstEid,
      receiver: v.receiver,
    });
    expect(guid).toBe(v.guid);
    expect(message).toBe(v.message);
  });

  it.each(packets.valid)("encode_returnsExactBytes [$name]", async (v) => {
    const header = {
      nonce: v.nonce,
      srcEid: v.srcEid,
      sender: v.sender,
      dstEid: v.dstEid,
      receiver: v.receiver,
    };
    expect(await call("encodePacket", header, v.message)).toBe(v.encoded);
  });

  it.each(packets.valid)("headerPayloadHashAndGuid_matchVector [$name]", async (v) => {
    expect(await call("packetHeader", v.encoded)).toBe(v.header);
    expect(await call("payloadHash", v.encoded)).toBe(v.payloadHash);
    expect(await call("computeGuid", v.nonce, v.srcEid, v.sender, v.dstEid, v.receiver)).toBe(
      v.guid,
    );
  });

  it.each(packets.invalid)("decode_revertsWith $error [$name]", async (v) => {
    const reverted = await expectRevert("decodePacket", v.encoded);

    expect(reverted.name).toBe(v.error);
    expect(reverted.args).toEqual(expectedErrorArgs(v.error, v.encoded));
  });

  it.each(packets.invalid.filter(({ error }) => error === "PacketTooShort"))(
    "headerAndPayloadHash_revertWithPacketTooShort [$name]",
    async (v) => {
      expect((await expectRevert("packetHeader", v.encoded)).name).toBe("PacketTooShort");
      expect((await expectRevert("payloadHash", v.encoded)).name).toBe("PacketTooShort");
    },
  );
});

describe("LoanMessageCodec", () => {
  it("vectors_coverEveryTypeAndEveryDecodingError", () => {
    expect(new Set(messages.valid.map(({ type }) => type))).toEqual(
      new Set(Object.keys(MESSAGE_TYPES)),
    );
    expect(new Set(messages.invalid.map(({ error }) => error))).toEqual(new Set(MESSAGE_ERRORS));
  });

  it.each(messages.valid)("decode_returnsExactFields [$name]", async (v) => {
    const { code, fn } = messageType(v.type);
    const expected =
      v.type === "LOAN_REJECTED"
        ? { ...v.fields, reason: String(rejectReason(v.fields.reason ?? "")) }
        : v.fields;

    expect(await call("messageType", v.encoded)).toBe(BigInt(code));
    expect(await callStruct(`decode${fn}`, v.encoded)).toEqual(expected);
  });

  it.each(messages.valid)("encode_returnsExactBytes [$name]", async (v) => {
    const { fn } = messageType(v.type);
    const fields =
      v.type === "LOAN_REJECTED"
        ? { ...v.fields, reason: rejectReason(v.fields.reason ?? "") }
        : v.fields;

    expect(await call(`encode${fn}`, fields)).toBe(v.encoded);
  });

  it.each(messages.valid)(
    "decodeAsOtherType_revertsWithUnexpectedMessageType [$name]",
    async (v) => {
      const { code } = messageType(v.type);
      for (const other of Object.values(MESSAGE_TYPES).filter((type) => type.code !== code)) {
        const reverted = await expectRevert(`decode${other.fn}`, v.encoded);
        expect(reverted.name).toBe("UnexpectedMessageType");
        expect(reverted.args).toEqual([String(other.code), String(code)]);
      }
    },
  );

  it.each(messages.invalid)("messageType_revertsWith $error [$name]", async (v) => {
    const reverted = await expectRevert("messageType", v.encoded);

    expect(reverted.name).toBe(v.error);
    expect(reverted.args).toEqual(expectedErrorArgs(v.error, v.encoded));
  });

  it.each(messages.invalid)("everyDecoder_revertsWith $error [$name]", async (v) => {
    for (const { fn } of Object.values(MESSAGE_TYPES)) {
      expect((await expectRevert(`decode${fn}`, v.encoded)).name, `decode${fn}`).toBe(v.error);
    }
  });

  it.each([0, 8, 255])("encodeLoanRejected_reason%i_revertsWithUnknownRejectReason", async (r) => {
    const reverted = await expectRevert("encodeLoanRejected", { loanId: id("loan"), reason: r });

    expect(reverted).toMatchObject({ name: "UnknownRejectReason", args: [String(r)] });
  });
});

describe("AttestationDigest", () => {
  it("domain_isKeccakOfTagAndMatchesVectors", async () => {
    expect(attestations.domain).toBe(id("loanbridge:attestation:v2"));
    expect(await call("attestationDomain")).toBe(attestations.domain);
  });

  it("vectors_coverValid", () => {
    expect(attestations.valid.length).toBeGreaterThan(0);
  });

  it.each(attestations.valid)("compute_returnsDigest [$name]", async (v) => {
    expect(await call("attestationDigest", v.endpoint, v.epoch, v.header, v.payloadHash)).toBe(
      v.digest,
    );
  });

  it.each(attestations.valid)("forPacket_returnsDigest [$name]", async (v) => {
    expect(await call("packetHeader", v.packet)).toBe(v.header);
    expect(await call("payloadHash", v.packet)).toBe(v.payloadHash);
    expect(await call("packetAttestationDigest", v.endpoint, v.epoch, v.packet)).toBe(v.digest);
  });

  it.each(attestations.valid)(
    "compute_bindsEndpoint_otherEndpointGivesOtherDigest [$name]",
    async (v) => {
      // The same packet and epoch for another deployment: its attestation must not verify here.
      const other = hexlify(getBytes(v.endpoint).map((b, i) => (i === 31 ? b ^ 1 : b)));
      const digest = await call("attestationDigest", other, v.epoch, v.header, v.payloadHash);

      expect(digest).not.toBe(v.digest);
    },
  );

  it.each([0, 80, 82, 113])(
    "compute_headerOf%iBytes_revertsWithInvalidHeaderLength",
    async (length) => {
      const reverted = await expectRevert(
        "attestationDigest",
        ZERO32,
        0,
        new Uint8Array(length),
        id(""),
      );

      expect(reverted).toMatchObject({ name: "InvalidHeaderLength", args: [String(length)] });
    },
  );

  it.each(packets.invalid)("forPacket_revertsWith $error [$name]", async (v) => {
    expect((await expectRevert("packetAttestationDigest", ZERO32, 0, v.encoded)).name).toBe(
      v.error,
    );
  });
});

describe("EvmAddress", () => {
  it("vectors_coverValidAndInvalid", () => {
    expect(evmAddresses.valid.length).toBeGreaterThan(0);
    expect(evmAddresses.invalid.length).toBeGreaterThan(0);
  });

  it.each(evmAddresses.valid)("toAddress_returnsChecksummedAddress [$name]", async (v) => {
    expect(await call("toAddress", v.bytes32)).toBe(v.address);
  });

  it.each(evmAddresses.valid)("toBytes32_leftPadsWithZeros [$name]", async (v) => {
    expect(await call("toBytes32", v.address)).toBe(v.bytes32);
  });

  it.each(evmAddresses.invalid)("toAddress_revertsWith $error [$name]", async (v) => {
    const reverted = await expectRevert("toAddress", v.bytes32);

    expect(reverted).toMatchObject({ name: v.error, args: [v.bytes32] });
  });
});
