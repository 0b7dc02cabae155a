// A relayer's keys as files: generated in the formats the key loaders read
// (`loadEvmPrivateKey`, `loadSolanaKeypair`), readable by their owner only,
// and named by their public halves, which are safe to print.
import { generateKeyPairSync } from "node:crypto";
import { mkdir, rm, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { BaseError, type Hex } from "@loanbridge/shared";
import { getBase58Decoder } from "@solana/kit";
import { computeAddress, Wallet } from "ethers";

export const EVM_KEY_FILE = "evm.key";
export const SOLANA_KEYPAIR_FILE = "solana-keypair.json";

/** Key files are never silently replaced: the old key may be the only copy. */
export class KeyFilesExistError extends BaseError {
  override name = "KeyFilesExistError";
  readonly paths: readonly string[];

  constructor(paths: readonly string[]) {
    const verb = paths.length === 1 ? "exists" : "exist";
    super(`${paths.join(", ")} already ${verb}: not overwritten (--force replaces them)`);
    this.paths = paths;
  }
}

export interface GeneratedKeys {
  evmKeyFile: string;
  solanaKeypairFile: string;
  /** The EVM signer's address (checksummed). */
  evmAddress: string;
  /** The Solana keypair's public key (base58). */
  solanaPublicKey: string;
}

/**
 * Writes a fresh secp256k1 key (`evm.key`, 0x-hex) and ed25519 keypair
 * (`solana-keypair.json`, solana-keygen's 64-byte JSON array) into `dir`,
 * both mode 0600; `dir` is created 0700 when missing. Without `force`,
 * nothing is written when either file exists.
 */
export async function generateKeyFiles(
  dir: string,
  options: { force?: boolean } = {},
): Promise<GeneratedKeys> {
  const force = options.force ?? false;
  const outDir = resolve(dir);
  const evmKeyFile = join(outDir, EVM_KEY_FILE);
  const solanaKeypairFile = join(outDir, SOLANA_KEYPAIR_FILE);
  if (!force) {
    const existing = await existingPaths([evmKeyFile, solanaKeypairFile]);
    if (existing.length > 0) throw new KeyFilesExistError(existing);
  }
  await mkdir(outDir, { recursive: true, mode: 0o700 });
  const evmKey = Wallet.createRandom().privateKey as Hex;
  const solanaKeypair = newSolanaKeypair();
  await writeOwnerOnly(evmKeyFile, `${evmKey}\n`, force);
  await writeOwnerOnly(solanaKeypairFile, JSON.stringify([...solanaKeypair]), force);
  return {
    evmKeyFile,
    solanaKeypairFile,
    evmAddress: computeAddress(evmKey),
    solanaPublicKey: solanaPublicKeyOf(solanaKeypair),
  };
}

/** The base58 public key of a 64-byte Solana keypair (`seed ‖ publicKey`). */
export function solanaPublicKeyOf(keypair: Uint8Array): string {
  return getBase58Decoder().decode(keypair.subarray(32, 64));
}

/** A fresh ed25519 keypair as solana-keygen writes it: 64 bytes, seed then public key. */
function newSolanaKeypair(): Uint8Array {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  // The DER encodings end with the 32 raw bytes.
  const seed = privateKey.export({ format: "der", type: "pkcs8" }).subarray(-32);
  const key = publicKey.export({ format: "der", type: "spki" }).subarray(-32);
  return Uint8Array.from([...seed, ...key]);
}

async function existingPaths(paths: readonly string[]): Promise<string[]> {
  const found = await Promise.all(
    paths.map((path) =>
      stat(path).then(
        () => true,
        (error: unknown) => {
          if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
          throw error;
        },
      ),
    ),
  );
  return paths.filter((_, index) => found[index]);
}

/**
 * Creates the file 0600 in one step ("wx"), so the key is never readable by
 * others, not even for a moment; a replaced file is removed first because
 * rewriting it in place would keep its old mode.
 */
async function writeOwnerOnly(path: string, text: string, replace: boolean): Promise<void> {
  if (replace) await rm(path, { force: true });
  try {
    await writeFile(path, text, { mode: 0o600, flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") throw new KeyFilesExistError([path]);
    throw error;
  }
}
