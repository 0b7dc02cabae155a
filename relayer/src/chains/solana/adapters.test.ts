// The Solana adapters' pure parts: which log lines are the program's own
// packets, how a poll cuts whole slots, and which attestations a delivery
// carries (real ed25519 signatures, real digests).
import { createHash } from "node:crypto";
import { type Hex, toBytes, toHex } from "@loanbridge/shared";
import { describe, expect, it } from "vitest";
import { InsufficientAttestationsError } from "../errors.ts";
import type { Attestation } from "../types.ts";
import { JsonRpc } from "../rpc.ts";
import { selectEd25519Attestations, SolanaPacketDeliverer } from "./deliverer.ts";
import { programData } from "./logs.ts";
import { ed25519AttestationSigner, publicKeyBytes, verifyEd25519 } from "./signer.ts";
import { wholeSlots } from "./watcher.ts";

const PROGRAM = "Lbridge1111111111111111111111111111111111111";
const OTHER = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA";
const b64 = (bytes: number[]) => Buffer.from(bytes).toString("base64");
const seedOf = (i: number) => createHash("sha256").update(`verifier ${i}`).digest();
const ed25519Of = (i: number) => ed25519AttestationSigner(seedOf(i));

describe("programData", () => {
  it("takesOnlyLinesTheProgramItselfLogged", () => {
    const logs = [
      `Program ${PROGRAM} invoke [1]`,
      `Program data: ${b64([1, 2])}`,
      `Program ${OTHER} invoke [2]`,
      `Program data: ${b64([9, 9])}`,
      `Program ${OTHER} success`,
      `Program data: ${b64([3])} ${b64([4])}`,
      `Program ${PROGRAM} consumed 100 of 200000 compute units`,
      `Program ${PROGRAM} success`,
      `Program data: ${b64([7])}`,
    ];

    expect(programData(logs, PROGRAM).map((bytes) => [...bytes])).toEqual([[1, 2], [3]]);
  });

  it("aFailedInnerCall_popsTheStack", () => {
    const logs = [
      `Program ${OTHER} invoke [1]`,
      `Program ${PROGRAM} invoke [2]`,
      `Program ${PROGRAM} failed: custom program error: 0x1`,
      `Program data: ${b64([5])}`,
      `Program ${OTHER} success`,
    ];

    expect(programData(logs, PROGRAM)).toEqual([]);
  });

  it("forgedLinesOutsideAnyInvocation_areIgnored", () => {
    expect(programData([`Program data: ${b64([1])}`], PROGRAM)).toEqual([]);
  });
});

describe("wholeSlots", () => {
  const sig = (slot: number) => ({ signature: `s${slot}`, slot: BigInt(slot), err: null });

  it("everythingFits_scansToTheHead", () => {
    expect(wholeSlots([sig(3), sig(4)], 5, 9n)).toEqual({ batch: [sig(3), sig(4)], scannedTo: 9n });
  });

  it("tooMany_stopsAtTheEndOfTheLastSlotTaken", () => {
    const signatures = [sig(3), sig(4), sig(4), sig(4), sig(6)];

    expect(wholeSlots(signatures, 2, 9n)).toEqual({
      batch: [sig(3), sig(4), sig(4), sig(4)],
      scannedTo: 4n,
    });
  });
});

describe("selectEd25519Attestations", () => {
  const seeds = [1, 2, 3].map((i) => createHash("sha256").update(`verifier ${i}`).digest());
  const signers = seeds.map((seed) => ed25519AttestationSigner(seed));
  const set = { epoch: 2n, threshold: 2, signers: signers.map((s) => s.signer) };
  const GUID: Hex = `0x${"11".repeat(32)}`;
  const DIGEST = toBytes(`0x${"ab".repeat(32)}`);
  const signAll = () => Promise.all(signers.map((s) => s.sign(GUID, 2n, toHex(DIGEST))));

  it("takesTheThresholdOfValidDistinctSignatures", async () => {
    const attestations = await signAll();

    const chosen = selectEd25519Attestations(GUID, DIGEST, set, attestations);

    expect(chosen).toHaveLength(2);
    for (const { publicKey, signature } of chosen) {
      expect(publicKey).toHaveLength(32);
      expect(signature).toHaveLength(64);
    }
    expect(chosen[0]?.publicKey).toEqual(publicKeyBytes(signers[0]?.signer ?? ""));
  });

  it.each<[string, (a: Attestation) => Attestation]>([
    ["old epoch", (a) => ({ ...a, epoch: 1n })],
    ["another guid", (a) => ({ ...a, guid: `0x${"22".repeat(32)}` })],
    ["outsider", (a) => ({ ...a, signer: "11111111111111111111111111111111" })],
    [
      "bad signature",
      (a) => ({
        ...a,
        signature: toHex(toBytes(a.signature).map((b, i) => (i === 0 ? b ^ 1 : b))),
      }),
    ],
  ])("drops %s", async (_name, spoil) => {
    const [first, second] = await signAll();
    if (first === undefined || second === undefined) throw new Error("unreachable");

    expect(() => selectEd25519Attestations(GUID, DIGEST, set, [spoil(first), second])).toThrow(
      InsufficientAttestationsError,
    );
  });

  it("dropsDuplicates", async () => {
    const [first] = await signAll();
    if (first === undefined) throw new Error("unreachable");

    expect(() => selectEd25519Attestations(GUID, DIGEST, set, [first, first])).toThrow(
      /1 usable attestations/,
    );
  });
});

describe("verifyEd25519", () => {
  it("rejectsAMalformedKeyOrSignature", () => {
    expect(verifyEd25519("not base58!", new Uint8Array(32), new Uint8Array(64))).toBe(false);
    expect(verifyEd25519(PROGRAM, new Uint8Array(32), new Uint8Array(10))).toBe(false);
  });
});

describe("SolanaPacketDeliverer.endpoint", () => {
  it("isTheProgramIdsThirtyTwoBytes", () => {
    const deliverer = new SolanaPacketDeliverer({
      eid: 40168,
      rpc: new JsonRpc({ chain: "solana", urls: ["http://127.0.0.1:9"] }),
      programId: OTHER,
      payerKeypair: Uint8Array.from([...seedOf(9), ...publicKeyBytes(ed25519Of(9).signer)]),
    });
    expect(deliverer.endpoint).toBe(
      "0x06ddf6e1d765a193d9cbe146ceeb79ac1cb485ed5f5b37913a8cf5857eff00a9",
    );
    expect(toBytes(deliverer.endpoint)).toHaveLength(32);
  });
});
