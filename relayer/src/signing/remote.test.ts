import { inspect } from "node:util";
import {
  addressToWire,
  encodePacket,
  type Hex,
  packetAttestationDigest,
  toBytes,
  toHex,
} from "@loanbridge/shared";
import { id, keccak256, toBeHex } from "ethers";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { EvmAttestationSigner, recoverSigner } from "../chains/evm/signer.ts";
import { ed25519AttestationSigner, verifyEd25519 } from "../chains/solana/signer.ts";
import { ConfigError } from "../config/errors.ts";
import { RemoteSignerError } from "./errors.ts";
import { loadEd25519KeySigner, loadEvmKeySigner } from "./load.ts";
import { packetAttestationPreimage } from "@loanbridge/shared";
import { type RemoteKeyOptions, RemoteEd25519Signer, RemoteEvmSigner } from "./remote.ts";
import { type StandInSigner, startStandInSigner } from "./testing.ts";

const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const EVM_KEY = id("remote signer test: evm key") as Hex;
const ED25519_SEED = toBytes(id("remote signer test: ed25519 seed") as Hex);
const TOKEN = "signer-token-never-printed-0123456789";
const ENDPOINT: Hex = `0x${"e1".repeat(32)}`;
const GUID: Hex = `0x${"11".repeat(32)}`;
const EPOCH = 3n;
const PACKET = encodePacket(
  {
    nonce: 7n,
    srcEid: 40161,
    sender: addressToWire("0x00000000000000000000000000000000000000a1"),
    dstEid: 40168,
    receiver: addressToWire("0x00000000000000000000000000000000000000b2"),
  },
  "0x0102",
);
const DIGEST = packetAttestationDigest(ENDPOINT, EPOCH, PACKET);
const PREIMAGE = packetAttestationPreimage(ENDPOINT, EPOCH, PACKET);

let standIn: StandInSigner;
const evmOptions = (overrides: Partial<RemoteKeyOptions> = {}): RemoteKeyOptions => ({
  url: standIn.url,
  identifier: standIn.evmIdentifiers[0] ?? "",
  token: undefined,
  timeoutMs: 2_000,
  ...overrides,
});
const ed25519Options = (overrides: Partial<RemoteKeyOptions> = {}): RemoteKeyOptions => ({
  ...evmOptions(),
  identifier: standIn.ed25519Addresses[0] ?? "",
  ...overrides,
});

/** What `promise` rejects with, as a RemoteSignerError. */
async function remoteError(promise: Promise<unknown>): Promise<RemoteSignerError> {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(RemoteSignerError);
  return error as RemoteSignerError;
}

beforeAll(async () => {
  standIn = await startStandInSigner({ evmKeys: [EVM_KEY], ed25519Keys: [ED25519_SEED] });
});
afterAll(() => standIn.close());
afterEach(() => {
  standIn.fault = { kind: "none" };
});

describe("packetAttestationPreimage", () => {
  it("hashesToTheSharedDigest", () => {
    expect(keccak256(PREIMAGE)).toBe(DIGEST);
  });
});

describe("RemoteEvmSigner", () => {
  it("remoteAttestation_isTheLocalOne_sameDigestRecoveringToTheSigner", async () => {
    const remote = new EvmAttestationSigner(await RemoteEvmSigner.connect(evmOptions()));
    const local = new EvmAttestationSigner(EVM_KEY);
    expect(remote.signer).toBe(local.signer);
    const signed = await remote.sign(GUID, EPOCH, DIGEST, PREIMAGE);
    expect(signed).toEqual(await local.sign(GUID, EPOCH, DIGEST));
    expect(recoverSigner(DIGEST, signed.signature)).toBe(local.signer);
    // web3signer's eth1 hashes what it is sent: the preimage went, never the digest.
    const sent = standIn.requests.filter((request) => request.path.includes("/eth1/sign/")).at(-1);
    expect(JSON.parse(sent?.body ?? "{}")).toEqual({
      data: `0x${Buffer.from(PREIMAGE).toString("hex")}`,
    });
  });

  it("connect_checksUpcheckKeysAndAProbeSignature", async () => {
    standIn.requests.length = 0;
    await RemoteEvmSigner.connect(evmOptions());
    expect(
      standIn.requests.map(
        (request) => `${request.method} ${request.path.replace(/sign\/.*/, "sign/…")}`,
      ),
    ).toEqual(["GET /upcheck", "GET /api/v1/eth1/publicKeys", "POST /api/v1/eth1/sign/…"]);
  });

  it("wrongSignature_isBadSignature_andNoAttestation", async () => {
    const signer = new EvmAttestationSigner(await RemoteEvmSigner.connect(evmOptions()));
    standIn.fault = { kind: "wrongKey" };
    const error = await remoteError(signer.sign(GUID, EPOCH, DIGEST, PREIMAGE));
    expect(error.reason).toBe("bad_signature");
    standIn.fault = { kind: "body", body: `0x${"ab".repeat(65)}` };
    expect((await remoteError(signer.sign(GUID, EPOCH, DIGEST, PREIMAGE))).reason).toBe(
      "bad_signature",
    );
    standIn.fault = { kind: "body", body: "not hex" };
    expect((await remoteError(signer.sign(GUID, EPOCH, DIGEST, PREIMAGE))).reason).toBe(
      "malformed",
    );
  });

  it("recoveryIdV_isNormalizedTo27or28_highS_isBadSignature", async () => {
    const signer = await RemoteEvmSigner.connect(evmOptions());
    const local = await new EvmAttestationSigner(EVM_KEY).sign(GUID, EPOCH, DIGEST);
    const bytes = toBytes(local.signature);
    const withRecoveryId = Uint8Array.from(bytes);
    withRecoveryId[64] = (bytes[64] ?? 27) - 27;
    standIn.fault = { kind: "body", body: toHex(withRecoveryId) };
    expect(await signer.signDigest(DIGEST, PREIMAGE)).toBe(local.signature);
    // The same point with s' = n - s and v flipped: valid ECDSA, refused by Endpoints.
    const highS = Uint8Array.from(bytes);
    highS.set(toBytes(toBeHex(SECP256K1_N - BigInt(toHex(bytes.subarray(32, 64))), 32) as Hex), 32);
    highS[64] = bytes[64] === 27 ? 28 : 27;
    standIn.fault = { kind: "body", body: toHex(highS) };
    expect((await remoteError(signer.signDigest(DIGEST, PREIMAGE))).reason).toBe("bad_signature");
  });

  it("listedKeySignedByAnother_isWrongKeyAtConnect", async () => {
    standIn.fault = { kind: "wrongKey" };
    const error = await remoteError(RemoteEvmSigner.connect(evmOptions()));
    expect(error.reason).toBe("wrong_key");
  });

  it("keyTheSignerDoesNotHold_isUnknownKey", async () => {
    const other = await startStandInSigner({ evmKeys: [id("another key") as Hex] });
    try {
      const error = await remoteError(
        RemoteEvmSigner.connect(evmOptions({ identifier: other.evmIdentifiers[0] ?? "" })),
      );
      expect(error.reason).toBe("unknown_key");
    } finally {
      await other.close();
    }
  });

  it("digestWithoutItsPreimage_isRefusedBeforeAnyRequest", async () => {
    const signer = await RemoteEvmSigner.connect(evmOptions());
    standIn.requests.length = 0;
    expect((await remoteError(signer.signDigest(DIGEST))).reason).toBe("preimage_required");
    expect((await remoteError(signer.signDigest(DIGEST, toBytes(GUID)))).reason).toBe(
      "preimage_required",
    );
    expect(standIn.requests).toEqual([]);
  });

  it("slowSigner_isTimeout", async () => {
    const signer = await RemoteEvmSigner.connect(evmOptions({ timeoutMs: 200 }));
    standIn.fault = { kind: "delay", ms: 1_000 };
    const error = await remoteError(signer.signDigest(DIGEST, PREIMAGE));
    expect(error.reason).toBe("timeout");
    expect(error.shortMessage).toMatch(/within 200 ms/);
  });

  it("status500_isHttp_andStatus404_isUnknownKey", async () => {
    const signer = await RemoteEvmSigner.connect(evmOptions());
    standIn.fault = { kind: "status", status: 500 };
    const error = await remoteError(signer.signDigest(DIGEST, PREIMAGE));
    expect({ reason: error.reason, status: error.status }).toEqual({ reason: "http", status: 500 });
    standIn.fault = { kind: "status", status: 404 };
    expect((await remoteError(signer.signDigest(DIGEST, PREIMAGE))).reason).toBe("unknown_key");
  });

  it("nothingListening_isUnreachable", async () => {
    const gone = await startStandInSigner({ evmKeys: [EVM_KEY] });
    await gone.close();
    const error = await remoteError(RemoteEvmSigner.connect(evmOptions({ url: gone.url })));
    expect(error.reason).toBe("unreachable");
  });

  it("malformedIdentifier_isRefusedWithoutARequest", async () => {
    for (const identifier of ["0x1234", `0x${"00".repeat(64)}`, "not hex"]) {
      const error = await remoteError(RemoteEvmSigner.connect(evmOptions({ identifier })));
      expect(error.reason).toBe("malformed");
    }
  });
});

describe("RemoteEd25519Signer", () => {
  it("remoteAttestation_isTheLocalOne_verifyingUnderTheAddress", async () => {
    const remote = ed25519AttestationSigner(await RemoteEd25519Signer.connect(ed25519Options()));
    const local = ed25519AttestationSigner(ED25519_SEED);
    expect(remote.signer).toBe(local.signer);
    const signed = await remote.sign(GUID, EPOCH, DIGEST);
    expect(signed).toEqual(await local.sign(GUID, EPOCH, DIGEST));
    expect(verifyEd25519(remote.signer, toBytes(DIGEST), toBytes(signed.signature))).toBe(true);
  });

  it("wrongSignature_isBadSignature_wrongKeyAtConnect", async () => {
    const signer = await RemoteEd25519Signer.connect(ed25519Options());
    standIn.fault = { kind: "wrongKey" };
    expect((await remoteError(signer.sign(toBytes(DIGEST)))).reason).toBe("bad_signature");
    expect((await remoteError(RemoteEd25519Signer.connect(ed25519Options()))).reason).toBe(
      "wrong_key",
    );
  });

  it("addressTheSignerDoesNotHold_isUnknownKey", async () => {
    const error = await remoteError(
      RemoteEd25519Signer.connect(
        ed25519Options({ identifier: "HWduTQQPx63ZCg1whS7eNbGXCqCu1ws5aRnF1ydMRfFz" }),
      ),
    );
    expect(error.reason).toBe("unknown_key");
  });
});

describe("bearer token", () => {
  let guarded: StandInSigner;
  beforeAll(async () => {
    guarded = await startStandInSigner({
      evmKeys: [EVM_KEY],
      ed25519Keys: [ED25519_SEED],
      token: TOKEN,
    });
  });
  afterAll(() => guarded.close());

  it("isSentOnEveryRequestButUpcheck", async () => {
    const signer = await loadEvmKeySigner(
      {
        remote: {
          url: guarded.url,
          identifier: guarded.evmIdentifiers[0] ?? "",
          tokenEnv: "SIGNER_TOKEN",
          timeoutMs: 2_000,
        },
      },
      { env: { SIGNER_TOKEN: TOKEN }, field: "chains.evm.signerKey" },
    );
    await signer.signDigest(DIGEST, PREIMAGE);
    expect(
      guarded.requests.map((request) => [
        request.path.split("/").slice(0, 5).join("/"),
        request.authorization,
      ]),
    ).toEqual([
      ["/upcheck", undefined],
      ["/api/v1/eth1/publicKeys", `Bearer ${TOKEN}`],
      ["/api/v1/eth1/sign", `Bearer ${TOKEN}`],
      ["/api/v1/eth1/sign", `Bearer ${TOKEN}`],
    ]);
  });

  it("missingOrWrongToken_isUnauthorized_asAConfigErrorAtStartup_neverShowingTheToken", async () => {
    const ref = (tokenEnv?: string) => ({
      remote: {
        url: guarded.url,
        identifier: guarded.ed25519Addresses[0] ?? "",
        tokenEnv,
        timeoutMs: 2_000,
      },
    });
    const options = { env: { SIGNER_TOKEN: `${TOKEN}-wrong` }, field: "chains.solana.keypair" };
    for (const tokenEnv of [undefined, "SIGNER_TOKEN"]) {
      const error: unknown = await loadEd25519KeySigner(ref(tokenEnv), options).catch(
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues[0]?.path).toBe("chains.solana.keypair");
      expect(((error as ConfigError).cause as RemoteSignerError).reason).toBe("unauthorized");
      expect(inspect(error, { depth: 9 })).not.toContain(TOKEN);
    }
  });

  it("neverShows_inJsonInspectOrErrors", async () => {
    const signer = await loadEvmKeySigner(
      {
        remote: {
          url: guarded.url,
          identifier: guarded.evmIdentifiers[0] ?? "",
          tokenEnv: "SIGNER_TOKEN",
          timeoutMs: 200,
        },
      },
      { env: { SIGNER_TOKEN: TOKEN } },
    );
    guarded.fault = { kind: "delay", ms: 1_000 };
    const error = await remoteError(signer.signDigest(DIGEST, PREIMAGE));
    guarded.fault = { kind: "none" };
    for (const text of [
      JSON.stringify(signer),
      inspect(signer, { showHidden: true, depth: 9 }),
      signer.source,
      inspect(error, { depth: 9 }),
    ]) {
      expect(text).not.toContain(TOKEN);
    }
    expect(signer.source).toBe(`remote ${guarded.url}`);
  });
});
