// Where a deployment lives, for the borrower and lender commands: each
// chain's RPC and the loanbridge addresses on it. The demo and the deploy
// scripts write this file; `--network <file>` reads it.
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { ConfigError } from "../config/errors.ts";

const httpUrl = z.url({ protocol: /^https?$/ });
const evmAddress = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "expected an EVM address");
const solanaAddress = z
  .string()
  .regex(/^[1-9A-HJ-NP-Za-km-z]{32,44}$/, "expected a Solana address");

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
