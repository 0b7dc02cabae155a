// Where a deployment lives, for the borrower and lender commands: each
// chain's RPC and the loanbridge addresses on it. The demo and the deploy
// scripts write this file; `--network <file>` reads it.
import { readFile } from "node:fs/promises";
import { isAddress } from "@solana/kit";
import { z } from "zod";
import { ConfigError } from "../config/errors.ts";

const httpUrl = z.url({ protocol: /^https?$/ });
const evmAddress = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "expected an EVM address");
// A base58 string of the right length can still decode to 31 or 33 bytes: isAddress checks the bytes.
const solanaAddress = z.string().refine(isAddress, "expected a Solana address (base58, 32 bytes)");

export const networkSchema = z.strictObject({
  evm: z.strictObject({
    eid: z.int().min(1),
    rpcUrl: httpUrl,
    vault: evmAddress,
    pool: evmAddress,
    stablecoin: evmAddress,
    priceFeed: evmAddress,
  }),
  solana: z.strictObject({
    eid: z.int().min(1),
    rpcUrl: httpUrl,
    programId: solanaAddress,
    stablecoin: solanaAddress,
    /** An SPL mint names no symbol: amounts carry this one when given. */
    stablecoinSymbol: z.string().min(1).max(16).optional(),
    /** The deploy's lookup table of the accounts every `Deliver` names (relayers load it). */
    lookupTable: solanaAddress.optional(),
  }),
});

export type Network = z.output<typeof networkSchema>;

export async function loadNetwork(file: string): Promise<Network> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, "utf8"));
  } catch (cause) {
    throw new ConfigError(
      [{ path: "", message: `cannot read network file ${file}: ${String(cause)}` }],
      { source: file },
    );
  }
  const parsed = networkSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message })),
      { source: file },
    );
  }
  return parsed.data;
}
