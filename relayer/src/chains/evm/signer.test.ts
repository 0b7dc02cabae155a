import { inspect } from "node:util";
import {
  addressToWire,
  encodePacket,
  type Hex,
  packetAttestationDigest,
  toBytes,
} from "@loanbridge/shared";
import { id, Signature, Wallet } from "ethers";
import { describe, expect, it } from "vitest";
import { EvmAttestationSigner, EvmSignerError, encodeSignatures, recoverSigner } from "./signer.ts";

const KEYS = [1, 2, 3].map((i) => id(`signer test key ${i}`) as Hex);
const packet = encodePacket(
  {
    nonce: 7n,
    srcEid: 40161,
    sender: addressToWire("0x00000000000000000000000000000000000000a1"),
    dstEid: 40168,
    receiver: addressToWire("0x00000000000000000000000000000000000000b2"),
  },
  "0x0102",
);
const digest = packetAttestationDigest(`0x${"e1".repeat(32)}`, 3n, packet);
const guid: Hex = `0x${"11".repeat(32)}`;

describe("EvmAttestationSigner", () => {
  it("signer_isTheKeysChecksummedAddress", () => {
    const signer = new EvmAttestationSigner(KEYS[0] as Hex);
    expect(signer.signer).toBe(new Wallet(KEYS[0] as Hex).address);
    expect(signer.kind).toBe("evm");
  });

  it("keyAsBytes_isTheSameSigner", () => {
    expect(new EvmAttestationSigner(toBytes(KEYS[0] as Hex)).signer).toBe(
      new EvmAttestationSigner(KEYS[0] as Hex).signer,
    );
  });

  it("sign_isA65ByteLowSSignatureOverTheRawDigest_recoveringToTheSigner", async () => {
    const signer = new EvmAttestationSigner(KEYS[1] as Hex);
    const attestation = await signer.sign(guid, 3n, digest);
    expect(attestation).toMatchObject({ guid, epoch: 3n, digest, signer: signer.signer });
    expect(toBytes(attestation.signature)).toHaveLength(65);
    const signature = Signature.from(attestation.signature);
    expect([27, 28]).toContain(signature.v);
    // Endpoint (OpenZeppelin ECDSA) refuses s in the upper half of the order.
    expect(BigInt(signature.s)).toBeLessThanOrEqual(
      0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n,
    );
    expect(recoverSigner(digest, attestation.signature)).toBe(signer.signer);
    // No EIP-191 prefix: an eth_sign-style signature of the digest recovers elsewhere.
    const prefixed = await new Wallet(KEYS[1] as Hex).signMessage(toBytes(digest));
    expect(prefixed).not.toBe(attestation.signature);
  });

  it("keyNeverShows_inJsonInspectOrString", () => {
    const signer = new EvmAttestationSigner(KEYS[2] as Hex);
    const secret = (KEYS[2] as string).slice(2);
    for (const text of [JSON.stringify(signer), inspect(signer, { showHidden: true, depth: 9 })]) {
      expect(text).not.toContain(secret);
    }
    expect(JSON.stringify({ signer })).toContain(signer.signer);
  });

  it("badKeys_areRejectedWithoutEchoingThem", () => {
    for (const bad of ["0x1234", `0x${"00".repeat(32)}`, "not hex at all"]) {
      let error: unknown;
      try {
        new EvmAttestationSigner(bad as Hex);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(EvmSignerError);
      expect(String(error)).not.toContain(bad.slice(2));
    }
  });

  it("digestOfAnotherLength_isRefused", async () => {
    const signer = new EvmAttestationSigner(KEYS[0] as Hex);
    await expect(signer.sign(guid, 1n, "0x1234")).rejects.toBeInstanceOf(EvmSignerError);
  });
});

describe("encodeSignatures", () => {
  const signers = KEYS.map((key) => new EvmAttestationSigner(key));
  const members = signers.map((s) => s.signer);

  it("concatenatesInAscendingSignerOrder_whateverTheInputOrder", async () => {
    const attestations = await Promise.all(signers.map((s) => s.sign(guid, 3n, digest)));
    const ascending = [...attestations].sort((a, b) =>
      BigInt(a.signer) < BigInt(b.signer) ? -1 : 1,
    );
    const expected: Hex = `0x${ascending.map((a) => a.signature.slice(2)).join("")}`;
    expect(encodeSignatures([...attestations].reverse(), members)).toBe(expected);
    expect(encodeSignatures(attestations, members)).toBe(expected);
    expect(toBytes(expected)).toHaveLength(195);
  });

  it("duplicateSigner_orNonMember_orWrongLength_throw", async () => {
    const [a, b] = await Promise.all(signers.slice(0, 2).map((s) => s.sign(guid, 3n, digest)));
    if (!a || !b) throw new Error();
    expect(() => encodeSignatures([a, a], members)).toThrow(/twice/);
    expect(() => encodeSignatures([a, b], [b.signer])).toThrow(/not in the verifier set/);
    expect(() => encodeSignatures([{ ...a, signature: "0x1234" }], members)).toThrow(/65 expected/);
  });
});

describe("recoverSigner", () => {
  it("garbage_recoversToNobody", () => {
    expect(recoverSigner(digest, "0x1234")).toBeUndefined();
    expect(recoverSigner(digest, `0x${"00".repeat(65)}`)).toBeUndefined();
  });
});
