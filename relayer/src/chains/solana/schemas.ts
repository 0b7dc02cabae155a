// The shapes of the Solana JSON-RPC answers the adapters use, parsed with
// zod so a malformed answer is a failure of that endpoint, not of the
// relayer. u64 fields come as JSON numbers.
import { z } from "zod";

const u64 = z.union([z.int().min(0), z.bigint().min(0n)]).transform((value) => BigInt(value));

export const COMMITMENTS = ["processed", "confirmed", "finalized"] as const;
export type Commitment = (typeof COMMITMENTS)[number];

const withContext = <T extends z.ZodType>(value: T) =>
  z.object({ context: z.object({ slot: u64 }), value });

export const slotSchema = u64;

export const accountSchema = z
  .object({
    data: z.tuple([z.string(), z.literal("base64")]),
    owner: z.string(),
    lamports: u64,
    executable: z.boolean(),
  })
  .nullable();
export type SolanaAccount = z.output<typeof accountSchema>;

export const accountInfoSchema = withContext(accountSchema);
export const balanceSchema = withContext(u64);

export const signatureInfoSchema = z.object({
  signature: z.string(),
  slot: u64,
  err: z.unknown(),
});
export const signaturesSchema = z.array(signatureInfoSchema);
export type SignatureInfo = z.output<typeof signatureInfoSchema>;

export const transactionSchema = z
  .object({
    slot: u64,
    meta: z
      .object({ err: z.unknown(), logMessages: z.array(z.string()).nullable().optional() })
      .nullable(),
  })
  .nullable();

export const latestBlockhashSchema = withContext(
  z.object({ blockhash: z.string(), lastValidBlockHeight: u64 }),
);

export const signatureStatusesSchema = withContext(
  z.array(
    z
      .object({
        slot: u64,
        err: z.unknown(),
        confirmationStatus: z.enum(COMMITMENTS).nullable().optional(),
      })
      .nullable(),
  ),
);

export const simulationSchema = withContext(
  z.object({
    err: z.unknown(),
    logs: z.array(z.string()).nullable().optional(),
    unitsConsumed: u64.optional(),
  }),
);

/** getRecentPrioritizationFees: micro-lamports per compute unit, one entry per recent slot. */
export const prioritizationFeesSchema = z.array(z.object({ slot: u64, prioritizationFee: u64 }));

/** Account data from a base64 `getAccountInfo` answer. */
export const accountData = (account: NonNullable<SolanaAccount>): Uint8Array =>
  new Uint8Array(Buffer.from(account.data[0], "base64"));
