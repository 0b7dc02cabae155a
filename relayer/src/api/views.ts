// What the API answers with, as zod schemas: the one description of each
// response that the server, the CLI, the explorer page and /openapi.json
// share. States and statuses are lower case everywhere (`active`,
// `delivered`); times are ISO 8601; amounts carry their decimals.
import { z } from "zod";
import { LOAN_STANDINGS } from "../credit/outcome.ts";
import { SCORE_VERSION } from "../credit/score.ts";
import { LOAN_OUTCOMES, LOAN_STATES, PACKET_STATUSES } from "../store/types.ts";

/** Loan states as the API spells them: LOANS.md's names in lower case. */
export const API_LOAN_STATES = LOAN_STATES.map((state) => state.toLowerCase()) as Lowercase<
  (typeof LOAN_STATES)[number]
>[];
export type ApiLoanState = (typeof API_LOAN_STATES)[number];

export const CHAIN_NAMES = ["evm", "solana"] as const;
export type ChainName = (typeof CHAIN_NAMES)[number];

const isoTime = z.iso.datetime({ offset: true }).describe("ISO 8601 time");
const hex32 = z.string().regex(/^0x[0-9a-f]{64}$/);

export const chainRefSchema = z
  .object({
    name: z
      .enum(CHAIN_NAMES)
      .nullable()
      .describe(
        "which of the relayer's chains; null for an eid this relayer is not configured for",
      ),
    eid: z.int().min(0).max(0xffff_ffff).describe("its LayerZero endpoint id"),
  })
  .meta({ id: "ChainRef" });
export type ChainRef = z.infer<typeof chainRefSchema>;

export const amountSchema = z
  .object({
    units: z.string().regex(/^\d+$/).describe("base units, as a decimal string"),
    decimals: z.int().min(0).max(255).nullable().describe("null when the asset is not known"),
    symbol: z.string().nullable(),
    formatted: z
      .string()
      .nullable()
      .describe("units in whole units (`1.5`), null when decimals are not known"),
  })
  .meta({ id: "Amount" });
export type Amount = z.infer<typeof amountSchema>;

export const loanStateSchema = z.enum(API_LOAN_STATES).meta({ id: "LoanState" });
export const packetStatusSchema = z.enum(PACKET_STATUSES).meta({ id: "PacketStatus" });

export const loanViewSchema = z
  .object({
    loanId: hex32,
    borrower: z
      .string()
      .nullable()
      .describe("the collateral-chain borrower, in that chain's native form (0x… or base58)"),
    recipient: z
      .string()
      .nullable()
      .describe("who receives the principal, in the lending chain's native form"),
    collateralChain: chainRefSchema,
    lendingChain: chainRefSchema,
    vaultState: loanStateSchema.nullable().describe("the collateral vault's state"),
    poolState: loanStateSchema.nullable().describe("the lending pool's state"),
    agrees: z.boolean().describe("whether the two halves agree (LOANS.md's table)"),
    collateral: amountSchema.nullable(),
    principal: amountSchema.nullable().describe("outstanding principal"),
    rateBps: z.int().nullable(),
    dueAt: isoTime.nullable().describe("the last installment's due time"),
    installments: z
      .int()
      .min(1)
      .describe('equal payments the loan is repaid in (LOANS.md "Installments"); 1: at once'),
    updatedAt: isoTime,
    vaultUpdatedAt: isoTime.nullable(),
    poolUpdatedAt: isoTime.nullable(),
    links: z.object({ self: z.string(), packets: z.string(), schedule: z.string() }),
  })
  .meta({ id: "Loan" });
export type LoanView = z.infer<typeof loanViewSchema>;

export const INSTALLMENT_STATES = ["due", "overdue", "paid", "paid_late", "missed"] as const;

export const installmentViewSchema = z
  .object({
    index: z.int().min(1),
    dueAt: isoTime,
    amountDue: amountSchema.describe("the plan's amount (the last one absorbs the rounding)"),
    paid: amountSchema.nullable().describe("what the repayment that completed it paid toward it"),
    paidAt: isoTime.nullable(),
    remainingPrincipal: amountSchema
      .nullable()
      .describe("the loan's principal after the repayment that completed it"),
    state: z
      .enum(INSTALLMENT_STATES)
      .describe(
        "due: unpaid, not yet past its due time; overdue: unpaid past it while the loan is active; paid: on time; paid_late: after its due time; missed: never paid (the loan ended in default or liquidation)",
      ),
  })
  .meta({ id: "Installment" });
export type InstallmentView = z.infer<typeof installmentViewSchema>;

export const scheduleViewSchema = z
  .object({
    loanId: hex32,
    installments: z.int().min(1),
    periodSeconds: z.string().regex(/^\d+$/),
    installmentAmount: amountSchema.describe("the schedule's equal payment"),
    startAt: isoTime,
    items: z.array(installmentViewSchema),
  })
  .meta({ id: "Schedule" });
export type ScheduleView = z.infer<typeof scheduleViewSchema>;

export const packetViewSchema = z
  .object({
    guid: hex32,
    loanId: hex32.nullable(),
    messageType: z
      .string()
      .nullable()
      .describe(
        "OPEN_LOAN, LOAN_ACTIVE, …; null until a loan app's message is verified, and for any other packet",
      ),
    srcChain: chainRefSchema,
    dstChain: chainRefSchema,
    nonce: z.string().regex(/^\d+$/),
    status: packetStatusSchema,
    attempts: z.int().min(0),
    lastError: z.string().nullable(),
    sourceTx: z
      .string()
      .describe(
        "what names the packet at its source: the EVM transaction hash, or the Solana packet account (the relayer reads Solana packets from state, which has no transaction id)",
      ),
    sourceKind: z
      .enum(["transaction", "account"])
      .describe("whether sourceTx is a transaction or an account"),
    sourceHeight: z.string().regex(/^\d+$/),
    destTx: z.string().nullable(),
    observedAt: isoTime,
    verifiedAt: isoTime.nullable(),
    attestedAt: isoTime.nullable(),
    readyAt: isoTime
      .nullable()
      .describe(
        "when this relayer, executing, first held a threshold of attestations for it; null if it never did",
      ),
    submittedAt: isoTime
      .nullable()
      .describe(
        "when this relayer first sent a delivery transaction for it (replacements keep the first); null if it never sent one",
      ),
    deliveredAt: isoTime.nullable(),
    updatedAt: isoTime,
    nextAttemptAt: isoTime.nullable(),
    leaseOwner: z.string().nullable().describe("the relayer worker holding it, if any"),
    leaseUntil: isoTime.nullable(),
    packet: z
      .string()
      .regex(/^0x([0-9a-f]{2})*$/)
      .describe("the raw packet"),
    links: z.object({
      self: z.string(),
      loan: z.string().nullable(),
      sourceTx: z.string().nullable().describe("block explorer, when configured"),
      destTx: z.string().nullable().describe("block explorer, when configured"),
    }),
  })
  .meta({ id: "Packet" });
export type PacketView = z.infer<typeof packetViewSchema>;

const nextCursor = z
  .string()
  .nullable()
  .describe("pass as ?cursor= for the next page; null on the last page");

export const loanListSchema = z
  .object({ loans: z.array(loanViewSchema), nextCursor })
  .meta({ id: "LoanList" });
export const packetListSchema = z
  .object({ packets: z.array(packetViewSchema), nextCursor })
  .meta({ id: "PacketList" });

export const statusViewSchema = z
  .object({
    relayerId: z.string(),
    chains: z.array(
      z.object({
        chain: chainRefSchema,
        head: z.string().nullable().describe("latest block/slot seen"),
        finalized: z.string().nullable().describe("latest finalized block/slot seen"),
        cursor: z.string().nullable().describe("scanned up to"),
        finalityLag: z.string().nullable().describe("head − finalized"),
        lastPollAt: isoTime.nullable(),
        explorer: z.object({ tx: z.string().nullable(), address: z.string().nullable() }),
      }),
    ),
    packets: z.record(z.enum(PACKET_STATUSES), z.int().min(0)),
  })
  .meta({ id: "Status" });
export type StatusView = z.infer<typeof statusViewSchema>;

export const errorViewSchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      parameter: z.string().optional(),
    }),
  })
  .meta({ id: "Error" });

export const healthViewSchema = z.object({ status: z.literal("ok") }).meta({ id: "Health" });

export const readinessViewSchema = z
  .object({
    ready: z.boolean(),
    checks: z.record(
      z.string(),
      z.object({ ok: z.boolean(), detail: z.string().optional().describe("why, when not ok") }),
    ),
  })
  .meta({ id: "Readiness" });

export const attestationListSchema = z
  .object({
    guid: hex32,
    attestations: z.array(
      z.object({
        guid: hex32,
        signer: z.string(),
        epoch: z.string().regex(/^\d+$/),
        digest: hex32,
        signature: z.string().regex(/^0x([0-9a-f]{2})+$/),
        createdAt: isoTime,
      }),
    ),
  })
  .meta({ id: "AttestationList" });

export const attestationBatchSchema = z
  .object({
    attestations: attestationListSchema.shape.attestations.describe(
      "this relayer's attestations of every guid asked for that it has attested",
    ),
  })
  .meta({ id: "AttestationBatch" });

export const attestationsTakenSchema = z
  .object({
    received: z.int().describe("attestations in the request"),
    accepted: z
      .int()
      .describe(
        "new ones kept: valid for a packet this relayer holds awaiting delivery, by a signer of its destination's current set",
      ),
  })
  .meta({ id: "AttestationsTaken" });

/** An account on a chain, in that chain's native form. */
const chainAccountSchema = z
  .object({ chain: chainRefSchema, address: z.string() })
  .meta({ id: "ChainAccount" });

const chainPrincipalSchema = z.object({ chain: chainRefSchema, principal: amountSchema });
const count = z.int().min(0);

export const creditRecordSchema = z
  .object({
    loans: z
      .object({
        opened: count.describe("every loan the borrower asked for"),
        pending: count.describe("not answered yet"),
        rejected: count.describe("refused by the pool (its terms, liquidity, price), or expired"),
        active: count,
        repaid: count,
        defaulted: count,
        liquidated: count,
      })
      .describe("the borrower's loans by where they stand"),
    late: z.object({
      installments: count.describe("installments paid after their due time"),
      loans: count.describe("loans with at least one installment paid late"),
      repaidLoans: count.describe("of those, the repaid ones"),
      overdueLoans: count.describe(
        "active loans with an installment (a bullet loan: the loan) unpaid past its due time now",
      ),
    }),
    volume: z
      .array(chainPrincipalSchema)
      .describe("principal of the loans disbursed, per lending chain"),
    outstanding: z
      .array(chainPrincipalSchema)
      .describe("principal still owed on active loans, per lending chain"),
    firstActivityAt: isoTime.describe("when the relayer first recorded one of the loans"),
    lastActivityAt: isoTime.describe("the latest change or installment payment of one of them"),
  })
  .meta({ id: "CreditRecord" });

export const creditScoreSchema = z
  .object({
    version: z
      .literal(SCORE_VERSION)
      .describe("the published table the value comes from (LOANS.md)"),
    value: z.int().describe("base + the lines' totals, clamped to [min, max]"),
    base: z.int(),
    min: z.int(),
    max: z.int(),
    lines: z.array(
      z.object({
        rule: z.string(),
        count: count.describe("how many the record has"),
        counted: count.describe("how many count (the rule's cap applied)"),
        points: z.int().describe("points each"),
        total: z.int(),
      }),
    ),
  })
  .meta({ id: "CreditScore" });

export const borrowerViewSchema = z
  .object({
    match: z
      .enum(["borrower", "recipient"])
      .describe(
        "how the address looked up names this borrower: it is the borrower, or its loans paid out to it",
      ),
    borrower: chainAccountSchema.describe("who opened the loans, on the collateral chain"),
    recipients: z
      .array(chainAccountSchema)
      .describe("where its loans paid out, as the borrower named them (not verified identities)"),
    record: creditRecordSchema,
    score: creditScoreSchema,
    loans: z
      .array(
        z.object({
          loanId: hex32,
          lendingChain: chainRefSchema,
          standing: z.enum(LOAN_STANDINGS),
          outcome: z
            .enum(LOAN_OUTCOMES)
            .nullable()
            .describe(
              "as loanbridge_loans_by_outcome counts it (late: an installment paid late or overdue); null when never disbursed",
            ),
          vaultState: loanStateSchema.nullable(),
          poolState: loanStateSchema.nullable(),
          installments: z.int().min(1),
          installmentsPaidLate: count,
          overdue: z.boolean(),
          links: z.object({ self: z.string() }),
        }),
      )
      .describe("newest first"),
  })
  .meta({ id: "Borrower" });
export type BorrowerView = z.infer<typeof borrowerViewSchema>;

export const borrowerListSchema = z
  .object({
    address: z.string().describe("the address looked up, as given"),
    borrowers: z
      .array(borrowerViewSchema)
      .describe(
        "the borrower with that address first (one per collateral chain), then the borrowers that paid out to it",
      ),
  })
  .meta({ id: "BorrowerList" });
export type BorrowerList = z.infer<typeof borrowerListSchema>;
