// The Solana adapters' pure parts: which attestations a delivery carries
// (real ed25519 signatures, real digests) and which endpoint digests bind.
import { createHash } from "node:crypto";
import { type Hex, toBytes, toHex } from "@loanbridge/shared";
import { AccountRole, address, getAddressDecoder } from "@solana/kit";
import { describe, expect, it } from "vitest";
import { InsufficientAttestationsError } from "../errors.ts";
import type { Attestation } from "../types.ts";
import { JsonRpc } from "../rpc.ts";
import {
  selectEd25519Attestations,
  SolanaPacketDeliverer,
  withoutSpareCandidates,
} from "./deliverer.ts";
import { ed25519AttestationSigner, publicKeyBytes, verifyEd25519 } from "./signer.ts";

const PROGRAM = "Lbridge1111111111111111111111111111111111111";
const OTHER = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA";
const seedOf = (i: number) => createHash("sha256").update(`verifier ${i}`).digest();
const ed25519Of = (i: number) => ed25519AttestationSigner(seedOf(i));

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

describe("withoutSpareCandidates", () => {
  const account = (i: number) => ({
    address: getAddressDecoder().decode(new Uint8Array(32).fill(i)),
    role: AccountRole.WRITABLE,
  });
  const precompile = {
    programAddress: address("Ed25519SigVerify111111111111111111111111111"),
    data: new Uint8Array(1),
  };
  const deliver = (accounts: number) => ({
    programAddress: address(OTHER),
    accounts: Array.from({ length: accounts }, (_, i) => account(i + 1)),
  });

  it("dropsTheFewestTrailingCandidatesThatMakeUpTheExcess", () => {
    const instructions = [precompile, deliver(17)];

    expect(withoutSpareCandidates(instructions, 3, 1)?.[1]?.accounts).toHaveLength(16);
    expect(withoutSpareCandidates(instructions, 3, 33)?.[1]?.accounts).toHaveLength(16);
    expect(withoutSpareCandidates(instructions, 3, 34)?.[1]?.accounts).toEqual(
      deliver(17).accounts.slice(0, 15),
    );
    expect(withoutSpareCandidates(instructions, 3, 34)?.[0]).toBe(precompile);
  });

  it("neverDropsTheFirstCandidate_norAnyWithoutCandidates", () => {
    const instructions = [precompile, deliver(17)];

    expect(withoutSpareCandidates(instructions, 3, 67)).toBeUndefined();
    expect(withoutSpareCandidates(instructions, 1, 1)).toBeUndefined();
    expect(withoutSpareCandidates(instructions, undefined, 1)).toBeUndefined();
  });
});
