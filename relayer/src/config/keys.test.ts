import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { computeAddress } from "ethers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  EVM_KEY_FILE,
  generateKeyFiles,
  KeyFilesExistError,
  SOLANA_KEYPAIR_FILE,
  solanaPublicKeyOf,
} from "./keys.ts";
import { loadEvmPrivateKey, loadSolanaKeypair } from "./secret.ts";

const modeOf = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

describe("generateKeyFiles", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "loanbridge-keys-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("generatedFiles_loadThroughTheRelayersKeyLoaders_ownerOnly", async () => {
    const out = join(dir, "keys");

    const keys = await generateKeyFiles(out);

    expect(keys.evmKeyFile).toBe(join(out, EVM_KEY_FILE));
    expect(keys.solanaKeypairFile).toBe(join(out, SOLANA_KEYPAIR_FILE));
    expect(await modeOf(out)).toBe(0o700);
    expect(await modeOf(keys.evmKeyFile)).toBe(0o600);
    expect(await modeOf(keys.solanaKeypairFile)).toBe(0o600);
    const evmKey = await loadEvmPrivateKey({ file: keys.evmKeyFile }, { env: {} });
    const keypair = await loadSolanaKeypair({ file: keys.solanaKeypairFile }, { env: {} });
    expect(computeAddress(evmKey.reveal())).toBe(keys.evmAddress);
    expect(solanaPublicKeyOf(keypair.reveal())).toBe(keys.solanaPublicKey);
    // solana-keygen's format: a bare JSON array of the 64 bytes.
    expect(JSON.parse(await readFile(keys.solanaKeypairFile, "utf8"))).toHaveLength(64);
  });

  it("eachRun_makesNewKeys", async () => {
    const first = await generateKeyFiles(join(dir, "a"));
    const second = await generateKeyFiles(join(dir, "b"));

    expect(second.evmAddress).not.toBe(first.evmAddress);
    expect(second.solanaPublicKey).not.toBe(first.solanaPublicKey);
  });

  it("anExistingKeyFile_isNotOverwrittenAndNothingIsWritten_withoutForce", async () => {
    const existing = join(dir, EVM_KEY_FILE);
    await writeFile(existing, "old key");

    const error: unknown = await generateKeyFiles(dir).then(
      () => undefined,
      (caught: unknown) => caught,
    );

    expect(error).toBeInstanceOf(KeyFilesExistError);
    expect((error as KeyFilesExistError).paths).toEqual([existing]);
    expect((error as Error).message).toContain("--force");
    expect(await readFile(existing, "utf8")).toBe("old key");
    await expect(stat(join(dir, SOLANA_KEYPAIR_FILE))).rejects.toThrow("ENOENT");
  });

  it("force_replacesExistingFiles_ownerOnlyEvenIfTheyWereNot", async () => {
    const before = await generateKeyFiles(dir);
    await chmod(before.evmKeyFile, 0o644);

    const after = await generateKeyFiles(dir, { force: true });

    expect(after.evmAddress).not.toBe(before.evmAddress);
    expect(await modeOf(after.evmKeyFile)).toBe(0o600);
    expect(await modeOf(after.solanaKeypairFile)).toBe(0o600);
    const evmKey = await loadEvmPrivateKey({ file: after.evmKeyFile }, { env: {} });
    expect(computeAddress(evmKey.reveal())).toBe(after.evmAddress);
  });
});
