import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toHex } from "./bytes.ts";
import { attestationDigest, packetAttestationDigest } from "./digest.ts";
import { WireError } from "./errors.ts";
import { decodePacket, encodePacket, type PacketHeader, payloadHash } from "./packet.ts";

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(toHex);
const header: fc.Arbitrary<PacketHeader> = fc.record({
  nonce: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  srcEid: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  sender: bytes32,
  dstEid: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  receiver: bytes32,
});
const message = fc.uint8Array({ maxLength: 300 });
const ENDPOINT = toHex(new Uint8Array(32).fill(0x11));

function decodesOrRejectsCleanly(bytes: Uint8Array): void {
  try {
    decodePacket(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(WireError);
  }
}

describe("packet codec properties", () => {
  it("decode_inverts_encode", () => {
    fc.assert(
      fc.property(header, message, (fields, body) => {
        const packet = decodePacket(encodePacket(fields, body));
        expect(packet).toMatchObject({ ...fields, message: toHex(body) });
      }),
      { numRuns: 500 },
    );
  });

  it("anyHeaderByteChange_isRejected", () => {
    fc.assert(
      fc.property(header, message, fc.integer({ min: 0, max: 80 }), (fields, body, index) => {
        const bytes = encodePacket(fields, body);
        bytes[index] = (bytes[index] ?? 0) ^ 0xff;
        expect(() => decodePacket(bytes)).toThrow(WireError);
      }),
      { numRuns: 500 },
    );
  });

  it("messageChange_keepsGuidButChangesPayloadHashAndDigest", () => {
    fc.assert(
      fc.property(header, message, (fields, body) => {
        const original = encodePacket(fields, body);
        const tampered = encodePacket(fields, Uint8Array.from([...body, 0]));
        expect(decodePacket(tampered).guid).toBe(decodePacket(original).guid);
        expect(payloadHash(decodePacket(tampered))).not.toBe(payloadHash(decodePacket(original)));
        expect(packetAttestationDigest(ENDPOINT, 1n, tampered)).not.toBe(
          packetAttestationDigest(ENDPOINT, 1n, original),
        );
      }),
      { numRuns: 200 },
    );
  });

  it("epoch_changesTheDigest", () => {
    fc.assert(
      fc.property(header, message, fc.bigInt({ min: 0n, max: 2n ** 64n - 2n }), (f, b, epoch) => {
        const bytes = encodePacket(f, b);
        expect(packetAttestationDigest(ENDPOINT, epoch, bytes)).not.toBe(
          packetAttestationDigest(ENDPOINT, epoch + 1n, bytes),
        );
      }),
      { numRuns: 200 },
    );
  });

  // One attestation must not be valid on another deployment that shares eids and app addresses.
  it("destinationEndpoint_changesTheDigest", () => {
    fc.assert(
      fc.property(
        header,
        message,
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (f, b, first, second) => {
          fc.pre(toHex(first) !== toHex(second));
          const bytes = encodePacket(f, b);
          expect(packetAttestationDigest(toHex(first), 1n, bytes)).not.toBe(
            packetAttestationDigest(toHex(second), 1n, bytes),
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it("randomBytes_neverCrashTheDecoder", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), decodesOrRejectsCleanly), {
      numRuns: 2_000,
    });
  });
});

describe("attestation digest input checks", () => {
  it.each([0, 80, 82, 113])("headerOf%iBytes_isRejected", (length) => {
    expect(() =>
      attestationDigest(ENDPOINT, 1n, new Uint8Array(length), toHex(new Uint8Array(32))),
    ).toThrow(expect.objectContaining({ code: "InvalidHeaderLength" }));
  });

  it.each([0, 20, 31, 33])("endpointOf%iBytes_isRejected", (length) => {
    expect(() =>
      attestationDigest(
        toHex(new Uint8Array(length)),
        1n,
        new Uint8Array(81),
        toHex(new Uint8Array(32)),
      ),
    ).toThrow(expect.objectContaining({ code: "ValueOutOfRange" }));
  });
});
