// Every path parameter, query string and body the API accepts, as zod
// schemas. A failure names the parameter.
import { z } from "zod";
import { decodeCursor } from "../store/page.ts";
import { LOAN_STATES, type LoanState, PACKET_STATUSES } from "../store/types.ts";
import { bytes32FromNative } from "./format.ts";
import { API_LOAN_STATES } from "./views.ts";

export const MAX_LIMIT = 500;
export const DEFAULT_LIMIT = 100;

const hex32 = (name: string) =>
  z
    .string()
    .regex(/^0x[0-9a-fA-F]{64}$/, `${name} must be 0x followed by 64 hex digits`)
    .transform((value) => value.toLowerCase() as `0x${string}`);

export const guidParam = hex32("guid");
export const loanIdParam = hex32("loanId");

const limit = z
  .string()
  .describe(`at most this many, from 1 to ${MAX_LIMIT} (default ${DEFAULT_LIMIT})`)
  .regex(/^\d{1,6}$/, "limit must be a whole number")
  .transform(Number)
  .pipe(
    z
      .int()
      .min(1, `limit must be from 1 to ${MAX_LIMIT}`)
      .max(MAX_LIMIT, `limit must be from 1 to ${MAX_LIMIT}`),
  )
  .default(DEFAULT_LIMIT);

const cursor = z
  .string()
  .refine((value) => decodeCursor(value) !== undefined, "cursor is not one a list gave out")
  .describe("the nextCursor of the previous page")
  .optional();

/** The store's spelling of a lower-case API state. */
const storeState = (state: string): LoanState =>
  LOAN_STATES.find((each) => each.toLowerCase() === state) ?? LOAN_STATES[0];

export const loanStateParam = z
  .enum(API_LOAN_STATES, { error: `state must be one of ${API_LOAN_STATES.join(", ")}` })
  .transform(storeState)
  .describe("either side (vault or pool) in this state");

/** An account in its chain's native form, as the store holds it (bytes32). */
export const borrowerParam = z
  .string()
  .transform((value, ctx) => {
    const bytes32 = bytes32FromNative(value);
    if (bytes32 === undefined) {
      ctx.addIssue({
        code: "custom",
        message:
          "borrower must be an EVM address (0x + 40 hex digits) or a Solana address (base58)",
      });
      return z.NEVER;
    }
    return bytes32;
  })
  .describe("the borrower or the recipient: an EVM address (any case) or a Solana address");

export const txParam = z
  .string()
  .regex(/^[0-9A-Za-z]{1,128}$/, "tx must be a transaction hash (0x…) or signature (base58)")
  .describe("a source or destination transaction: EVM hash or Solana signature");

export const packetsQuery = z.strictObject({
  status: z
    .enum(PACKET_STATUSES, { error: `status must be one of ${PACKET_STATUSES.join(", ")}` })
    .optional(),
  loanId: hex32("loanId").optional(),
  tx: txParam.optional(),
  limit,
  cursor,
});

export const loansQuery = z.strictObject({
  state: loanStateParam.optional(),
  borrower: borrowerParam.optional(),
  limit,
  cursor,
});

export const noQuery = z.strictObject({});

/** Most guids one batch of attestations is asked for. */
export const MAX_ATTESTATION_GUIDS = 100;

export const attestationsQuery = z.strictObject({
  guids: z
    .string({ error: "guids: list the packet guids, comma-separated" })
    .describe(`comma-separated packet guids (0x + 64 hex digits), 1 to ${MAX_ATTESTATION_GUIDS}`)
    .transform((value) => value.split(","))
    .pipe(
      z
        .array(hex32("each guid"))
        .min(1)
        .max(MAX_ATTESTATION_GUIDS, `guids must list at most ${MAX_ATTESTATION_GUIDS}`),
    ),
});

/**
 * Attestations a peer relayer pushes (`POST /v1/attestations`), as
 * `GET /v1/attestations` serves them; each is judged before it is kept.
 */
export const pushedAttestationsBody = z.strictObject({
  attestations: z
    .array(
      z.object({
        guid: hex32("guid"),
        signer: z
          .string()
          .regex(
            /^[0-9A-Za-z]{32,44}$|^0x[0-9a-fA-F]{40}$/,
            "signer must be an EVM address or a base58 key",
          ),
        epoch: z
          .string({ error: "epoch must be a whole number, in decimal" })
          .regex(/^\d{1,20}$/, "epoch must be a whole number, in decimal")
          .transform((value) => BigInt(value)),
        digest: hex32("digest"),
        signature: z
          .string()
          .regex(
            /^0x[0-9a-fA-F]{128,130}$/,
            "signature must be 0x followed by 128 or 130 hex digits",
          )
          .transform((value) => value.toLowerCase() as `0x${string}`),
      }),
      { error: "attestations must be a list of attestations" },
    )
    .min(1, "attestations must list at least one")
    .max(MAX_ATTESTATION_GUIDS, `attestations must list at most ${MAX_ATTESTATION_GUIDS}`),
});

const actor = z
  .string()
  .regex(/^[\w.@:-]{1,100}$/, "actor must be 1-100 letters, digits or . _ @ : -")
  .optional();

export const retryBody = z.strictObject({
  reason: z.string().max(500, "reason must be at most 500 characters").optional(),
  actor,
});

export const denyBody = z.strictObject({
  reason: z
    .string({ error: "reason is required: say why the packet is denied" })
    .min(1, "reason is required: say why the packet is denied")
    .max(500, "reason must be at most 500 characters"),
  actor,
});
