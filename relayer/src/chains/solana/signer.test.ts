import { createPublicKey, verify } from "node:crypto";
import { type Hex, toBytes } from "@loanbridge/shared";
import { decodeBase58, toBeArray } from "ethers";
import { describe, expect, it } from "vitest";
import {
  blockhash,
  compileTransaction,
  createKeyPairSignerFromBytes,
  createTransactionMessage,
  pipe,
  setTransactionMessageFeePayer,
  setTransactionMessageLifetimeUsingBlockhash,
} from "@solana/kit";
import { ed25519AttestationSigner, ed25519TransactionSigner, localEd25519Key } from "./signer.ts";

// RFC 8032 §7.1, TEST 1: secret key and public key.
const SEED = toBytes("0x9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
const PUBLIC = toBytes("0xd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
const GUID: Hex = `0x${"11".repeat(32)}`;
const DIGEST: Hex = `0x${"ab".repeat(32)}`;

const spki = (publicKey: Uint8Array) =>
  createPublicKey({
    key: Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), publicKey]),
    format: "der",
    type: "spki",
  });

describe("ed25519AttestationSigner", () => {
  it("signer_isTheBase58PublicKey", () => {
    const signer = ed25519AttestationSigner(SEED);
    expect(toBeArray(decodeBase58(signer.signer))).toEqual(PUBLIC);
    expect(signer.kind).toBe("solana");
  });

  it("signature_verifiesOverTheDigestBytes", async () => {
    const attestation = await ed25519AttestationSigner(SEED).sign(GUID, 3n, DIGEST);

    expect(attestation).toMatchObject({ guid: GUID, epoch: 3n, digest: DIGEST });
    expect(toBytes(attestation.signature)).toHaveLength(64);
    expect(verify(null, toBytes(DIGEST), spki(PUBLIC), toBytes(attestation.signature))).toBe(true);
    expect(verify(null, toBytes(GUID), spki(PUBLIC), toBytes(attestation.signature))).toBe(false);
  });

  it("keypairFile_64Bytes_isAccepted", () => {
    const keypair = Uint8Array.from([...SEED, ...PUBLIC]);
    expect(ed25519AttestationSigner(keypair).signer).toBe(ed25519AttestationSigner(SEED).signer);
  });

  it.each([
    ["wrongLength", new Uint8Array(48), "an ed25519 keypair is 64 bytes (or a 32-byte seed)"],
    [
      "mismatchedHalves",
      Uint8Array.from([...SEED, ...new Uint8Array(32)]),
      "keypair's public half does not match its secret half",
    ],
  ])("badKeypair_%s_isRejected", (_name, keypair, message) => {
    expect(() => ed25519AttestationSigner(keypair)).toThrow(message);
  });

  it("digestOfWrongLength_isRejected", async () => {
    await expect(ed25519AttestationSigner(SEED).sign(GUID, 1n, "0x1234")).rejects.toThrow(
      "an attestation digest is 32 bytes",
    );
  });

  it("secret_neverAppearsInTheSignerObject", () => {
    const signer = ed25519AttestationSigner(SEED);
    const seedHex = Buffer.from(SEED).toString("hex");
    expect(JSON.stringify(signer)).not.toContain(seedHex);
  });
});

describe("ed25519TransactionSigner", () => {
  it("signsATransaction_asKitsOwnSignerOfTheSameKeyDoes", async () => {
    const keypair = Uint8Array.from([...SEED, ...PUBLIC]);
    const kit = await createKeyPairSignerFromBytes(keypair);
    const ours = ed25519TransactionSigner(localEd25519Key(keypair));
    expect(ours.address).toBe(kit.address);
    const message = pipe(
      createTransactionMessage({ version: 0 }),
      (m) => setTransactionMessageFeePayer(ours.address, m),
      (m) =>
        setTransactionMessageLifetimeUsingBlockhash(
          { blockhash: blockhash("11111111111111111111111111111111"), lastValidBlockHeight: 1n },
          m,
        ),
    );
    const transaction = compileTransaction(message);

    const [signed] = await ours.signTransactions([transaction]);
    const [expected] = await kit.signTransactions([transaction]);

    // Ed25519 is deterministic: the very same signature.
    expect(signed?.[ours.address]).toEqual(expected?.[kit.address]);
    expect(
      verify(
        null,
        Uint8Array.from(transaction.messageBytes),
        spki(PUBLIC),
        signed?.[ours.address] ?? new Uint8Array(),
      ),
    ).toBe(true);
  });

  it("aKeypairWhosePublicHalfIsNotItsSecretsOwn_isRefused", () => {
    const keypair = Uint8Array.from([...SEED, ...new Uint8Array(32).fill(1)]);
    expect(() => ed25519TransactionSigner(localEd25519Key(keypair))).toThrow(
      /public half does not match/,
    );
  });
});
