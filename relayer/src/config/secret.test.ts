import { generateKeyPairSync } from "node:crypto";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { inspect } from "node:util";
import { encodeBase58 } from "ethers";
import winston from "winston";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "./errors.ts";
import {
  loadEvmPrivateKey,
  loadSecret,
  loadSolanaKeypair,
  looksLikeKey,
  redactUrl,
  Secret,
} from "./secret.ts";

// Hardhat's first dev account key: public knowledge, fine in a test.
const KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const KEY_BODY = KEY.slice(2);

/** A fresh ed25519 keypair as solana-keygen writes it: seed ‖ public key. */
function solanaKeypair(): Uint8Array {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const seed = privateKey.export({ format: "der", type: "pkcs8" }).subarray(-32);
  const pub = publicKey.export({ format: "der", type: "spki" }).subarray(-32);
  return Uint8Array.from([...seed, ...pub]);
}

async function configError(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ConfigError) return error.shortMessage;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("Secret", () => {
  const secret = new Secret(KEY, "env LOANBRIDGE_EVM_SIGNER_KEY");

  it("everyWayOfPrinting_givesRedacted", () => {
    expect(JSON.stringify({ key: secret })).toBe('{"key":"[redacted]"}');
    expect(inspect(secret)).toBe("[redacted]");
    expect(inspect({ nested: { key: secret } }, { depth: 10 })).toBe(
      "{ nested: { key: [redacted] } }",
    );
    // The lint rules refuse a Secret in a template or `+`; here it is on purpose.
    // eslint-disable-next-line @typescript-eslint/restrict-template-expressions
    expect(`${secret}`).toBe("[redacted]");
    expect(String(secret)).toBe("[redacted]");
    // eslint-disable-next-line @typescript-eslint/restrict-plus-operands
    expect(secret + "").toBe("[redacted]");
    expect(Object.keys(secret)).toEqual(["source"]);
    expect(JSON.stringify(Object.assign({}, secret))).not.toContain(KEY_BODY);
  });

  it("reveal_givesTheMaterial_andSourceIsPrintable", () => {
    expect(secret.reveal()).toBe(KEY);
    expect(secret.source).toBe("env LOANBRIDGE_EVM_SIGNER_KEY");
  });

  it("plainWinstonJsonLogger_printsRedacted", () => {
    const stream = new PassThrough();
    let text = "";
    stream.on("data", (chunk: Buffer) => (text += chunk.toString()));
    const logger = winston.createLogger({
      format: winston.format.json(),
      // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
      transports: [new winston.transports.Stream({ stream })],
    });

    logger.info("loaded", { key: secret });
    logger.info(`template ${String(secret)}`);
    logger.info("meta is the secret", secret);

    expect(text).not.toContain(KEY_BODY);
    expect(text).toContain('"key":"[redacted]"');
    expect(text).toContain("template [redacted]");
  });
});

describe("looksLikeKey", () => {
  it("recognisesKeyShapes_notAddressesOrUrls", () => {
    const keypair = solanaKeypair();
    const yes = [
      KEY,
      KEY_BODY,
      `0x${Buffer.from(keypair).toString("hex")}`,
      encodeBase58(keypair),
      JSON.stringify([...keypair]),
      [...keypair],
      "-----BEGIN PRIVATE KEY-----\nMC4CAQ…",
      "test test test test test test test test test test test junk",
    ];
    const no = [
      "0x5FbDB2315678afecb367f032d93F642f64180aa3",
      "BPFLoaderUpgradeab1e11111111111111111111111",
      "http://127.0.0.1:8545",
      "keys/evm.key",
      [1, 2, 3],
    ];

    expect(yes.map(looksLikeKey)).toEqual(yes.map(() => true));
    expect(no.map(looksLikeKey)).toEqual(no.map(() => false));
  });
});

describe("loadSecret", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "loanbridge-secret-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("env_isReadAndTrimmed", async () => {
    const secret = await loadSecret({ env: "TOKEN" }, { env: { TOKEN: "  abc \n" } });

    expect(secret.reveal()).toBe("abc");
    expect(secret.source).toBe("env TOKEN");
  });

  it("file_relativeToBaseDir_isReadAndTrimmed", async () => {
    await writeFile(join(dir, "token"), "s3cret\n");

    const secret = await loadSecret({ file: "token" }, { env: {}, baseDir: dir });

    expect(secret.reveal()).toBe("s3cret");
    expect(secret.source).toBe(`file ${join(dir, "token")}`);
  });

  it("missingSources_nameTheFieldNotTheContent", async () => {
    await writeFile(join(dir, "empty"), "\n");
    const options = { env: { EMPTY: "" }, baseDir: dir, field: "api.adminToken" };

    expect(await configError(loadSecret({ env: "NOPE" }, options))).toBe(
      "api.adminToken: environment variable NOPE is not set",
    );
    expect(await configError(loadSecret({ env: "EMPTY" }, options))).toBe(
      "api.adminToken: environment variable EMPTY is not set",
    );
    expect(await configError(loadSecret({ file: "absent" }, options))).toBe(
      `api.adminToken: cannot read ${join(dir, "absent")}: no such file`,
    );
    expect(await configError(loadSecret({ file: "empty" }, options))).toBe(
      `api.adminToken: ${join(dir, "empty")} is empty`,
    );
  });

  it("unreadableFile_saysPermissionDenied", async () => {
    if (process.getuid?.() === 0) return; // root reads anything
    await writeFile(join(dir, "locked"), "x");
    await chmod(join(dir, "locked"), 0o000);

    expect(await configError(loadSecret({ file: join(dir, "locked") }, { env: {} }))).toContain(
      "permission denied",
    );
  });
});

describe("loadEvmPrivateKey", () => {
  it("acceptsHexWithOrWithoutPrefix_normalisedLowercase", async () => {
    const upper = await loadEvmPrivateKey({ env: "K" }, { env: { K: KEY_BODY.toUpperCase() } });

    expect(upper.reveal()).toBe(KEY);
    expect(JSON.stringify(upper)).toBe('"[redacted]"');
  });

  it("notAKey_errorNeverEchoesContent", async () => {
    const cases = [
      "0x1234",
      `${KEY}ff`,
      "0x" + "00".repeat(32),
      "0x" + "ff".repeat(32),
      KEY_BODY.replace("a", "g"),
    ];
    const messages = await Promise.all(
      cases.map((value) =>
        configError(
          loadEvmPrivateKey({ env: "K" }, { env: { K: value }, field: "chains.evm.signerKey" }),
        ),
      ),
    );

    expect(new Set(messages)).toEqual(
      new Set([
        "chains.evm.signerKey: env K does not hold a secp256k1 private key (32 bytes, hex)",
      ]),
    );
  });
});

describe("loadSolanaKeypair", () => {
  it("acceptsSolanaKeygenJson_andBase58", async () => {
    const keypair = solanaKeypair();

    const fromJson = await loadSolanaKeypair(
      { env: "K" },
      { env: { K: JSON.stringify([...keypair]) } },
    );
    const fromBase58 = await loadSolanaKeypair({ env: "K" }, { env: { K: encodeBase58(keypair) } });

    expect(fromJson.reveal()).toEqual(keypair);
    expect(fromBase58.reveal()).toEqual(keypair);
    expect(inspect(fromJson)).toBe("[redacted]");
  });

  it("wrongShapeOrMismatchedHalves_isRefused", async () => {
    const keypair = solanaKeypair();
    const mismatched = Uint8Array.from([
      ...keypair.subarray(0, 32),
      ...solanaKeypair().subarray(32),
    ]);
    const field = "chains.solana.keypair";

    expect(
      await configError(loadSolanaKeypair({ env: "K" }, { env: { K: "[1,2,3]" }, field })),
    ).toBe(
      "chains.solana.keypair: env K does not hold a Solana keypair (64 bytes as a JSON array or base58)",
    );
    expect(
      await configError(
        loadSolanaKeypair({ env: "K" }, { env: { K: JSON.stringify([...mismatched]) }, field }),
      ),
    ).toBe(
      "chains.solana.keypair: env K holds a Solana keypair whose public key does not match its secret key",
    );
  });
});

describe("redactUrl", () => {
  it("keepsSchemeHostAndPortOnly", () => {
    expect(redactUrl("https://mainnet.infura.io/v3/abcdef0123")).toBe(
      "https://mainnet.infura.io/…",
    );
    expect(redactUrl("postgresql://lb:hunter2@db:5432/lb")).toBe("postgresql://db:5432/…");
    expect(redactUrl("http://127.0.0.1:8545")).toBe("http://127.0.0.1:8545");
    expect(redactUrl("not a url")).toBe("[unparseable url]");
  });
});
