import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toHex } from "./bytes.ts";
import { WireError } from "./errors.ts";
import {
  decodeLoanMessage,
  encodeLoanMessage,
  type LoanMessage,
  MESSAGE_LAYOUTS,
  type MessageTypeName,
  messageLength,
  RejectReason,
  type RejectReasonName,
} from "./messages.ts";

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(toHex);
const uint = (bits: number) => fc.bigInt({ min: 0n, max: (1n << BigInt(bits)) - 1n });
const fieldArbitrary = {
  bytes32,
  uint128: uint(128),
  uint64: uint(64),
  uint32: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  uint16: fc.integer({ min: 0, max: 2 ** 16 - 1 }),
  rejectReason: fc.constantFrom(...(Object.keys(RejectReason) as RejectReasonName[])),
};

const messageOf = (type: MessageTypeName): fc.Arbitrary<LoanMessage> =>
  fc
    .record(
      Object.fromEntries(
        MESSAGE_LAYOUTS[type].fields.map(([name, kind]) => [
          name,
          fieldArbitrary[kind] as fc.Arbitrary<unknown>,
        ]),
      ),
    )
    .map((fields) => ({ type, ...fields }) as LoanMessage);

const anyMessage = fc.oneof(
  ...(Object.keys(MESSAGE_LAYOUTS) as MessageTypeName[]).map((type) => messageOf(type)),
);

/** Runs the decoder; anything it throws must be a WireError. */
function decodesOrRejectsCleanly(bytes: Uint8Array): void {
  try {
    decodeLoanMessage(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(WireError);
  }
}

describe("loan message codec properties", () => {
  it("decode_inverts_encode", () => {
    fc.assert(
      fc.property(anyMessage, (message) => {
        expect(decodeLoanMessage(encodeLoanMessage(message))).toEqual(message);
      }),
      { numRuns: 2_000 },
    );
  });

  it("encode_writesTheTypesFixedLength", () => {
    fc.assert(
      fc.property(anyMessage, (message) => {
        expect(encodeLoanMessage(message).length).toBe(messageLength(message.type));
      }),
    );
  });

  it("randomBytes_neverCrashTheDecoder", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 256 }), decodesOrRejectsCleanly), {
      numRuns: 5_000,
    });
  });

  it("randomBodiesBehindAValidHeader_neverCrashTheDecoder", () => {
    // Random bytes rarely pass the version and type checks; this reaches the
    // length and field checks of every type.
    const framed = fc
      .tuple(fc.integer({ min: 0, max: 8 }), fc.uint8Array({ maxLength: 200 }))
      .map(([type, body]) => Uint8Array.from([1, type, ...body]));
    fc.assert(fc.property(framed, decodesOrRejectsCleanly), { numRuns: 5_000 });
  });

  it("encode_rejectsIntegersWiderThanTheirField", () => {
    const message = { type: "REPAID", loanId: toHex(new Uint8Array(32)), amountRepaid: 1n << 128n };
    expect(() => encodeLoanMessage(message as LoanMessage)).toThrowErrorMatchingInlineSnapshot(`
      [WireError: amountRepaid does not fit in 128 bits

      Details: got 340282366920938463463374607431768211456]
    `);
  });

  it("encode_rejectsUnknownRejectReason", () => {
    const message = { type: "LOAN_REJECTED", loanId: toHex(new Uint8Array(32)), reason: "Bored" };
    expect(() => encodeLoanMessage(message as LoanMessage)).toThrow(
      expect.objectContaining({ code: "UnknownRejectReason" }),
    );
  });

  it("encode_rejectsBytes32OfWrongLength", () => {
    const message = { type: "REPAID", loanId: "0x1234", amountRepaid: 1n };
    expect(() => encodeLoanMessage(message as LoanMessage)).toThrow(
      expect.objectContaining({ code: "ValueOutOfRange" }),
    );
  });
});
