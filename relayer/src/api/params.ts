// Every path parameter, query string and body the API accepts, as zod
// schemas. A failure names the parameter.
import { z } from "zod";
import { LOAN_STATES, PACKET_STATUSES } from "../store/types.ts";

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
  .regex(/^\d{1,6}$/, "limit must be a whole number")
  .transform(Number)
  .pipe(
    z
      .int()
      .min(1, `limit must be from 1 to ${MAX_LIMIT}`)
      .max(MAX_LIMIT, `limit must be from 1 to ${MAX_LIMIT}`),
  )
  .default(DEFAULT_LIMIT);

export const packetsQuery = z.strictObject({
  status: z
    .enum(PACKET_STATUSES, { error: `status must be one of ${PACKET_STATUSES.join(", ")}` })
    .optional(),
  loanId: hex32("loanId").optional(),
  limit,
});

export const loansQuery = z.strictObject({
  state: z
    .enum(LOAN_STATES, {
      error: `state must be one of ${LOAN_STATES.join(", ")}`,
    })
    .optional(),
  limit,
});

export const noQuery = z.strictObject({});

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
