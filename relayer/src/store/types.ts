// What the store holds, as the rest of the relayer sees it, and the rules
// for how packet and loan states may change.
import type { Hex } from "@loanbridge/shared";
import type { MirroredPoolLoan } from "../chains/types.ts";

export const PACKET_STATUSES = [
  "observed",
  "verified",
  "attested",
  "delivering",
  "delivered",
  "failed",
  "denied",
] as const;
export type PacketStatus = (typeof PACKET_STATUSES)[number];

/** Statuses a worker still has something to do for. */
export const ACTIVE_PACKET_STATUSES = [
  "observed",
  "verified",
  "attested",
  "delivering",
] as const satisfies readonly PacketStatus[];
export type ActivePacketStatus = (typeof ACTIVE_PACKET_STATUSES)[number];

/**
 * For each target status, the statuses a packet may move to it from.
 * `delivered` is accepted from any status but `denied`: the destination's
 * record wins. `observed` (requeue) brings failed or denied packets back to
 * be verified from scratch.
 */
export const PACKET_TRANSITIONS = {
  observed: ["failed", "denied"],
  verified: ["observed"],
  attested: ["verified"],
  delivering: ["attested", "delivering"],
  delivered: ["observed", "verified", "attested", "delivering", "failed"],
  failed: ["observed", "verified", "attested", "delivering"],
  denied: ["observed", "verified", "attested", "failed"],
} as const satisfies Record<PacketStatus, readonly PacketStatus[]>;

/** One packet and where it is in the pipeline. */
export interface PacketRecord {
  guid: Hex;
  srcEid: number;
  dstEid: number;
  nonce: bigint;
  packet: Uint8Array;
  /** When known (decoded from the loan message). */
  loanId: Hex | null;
  sourceTx: string;
  sourceHeight: bigint;
  sourceIndex: number;
  status: PacketStatus;
  /** Leases taken in the current status (reset when the status moves on). */
  attempts: number;
  lastError: string | null;
  destTx: string | null;
  leaseOwner: string | null;
  leaseUntil: Date | null;
  /** Not leased again before this (retry backoff). */
  nextAttemptAt: Date | null;
  observedAt: Date;
  verifiedAt: Date | null;
  attestedAt: Date | null;
  /** When this relayer, executing, first held a threshold of attestations for it. */
  readyAt: Date | null;
  /** When this relayer first sent a delivery transaction for it; null if it never did. */
  submittedAt: Date | null;
  deliveredAt: Date | null;
  updatedAt: Date;
}

export interface CursorRecord {
  eid: number;
  height: bigint;
  updatedAt: Date;
}

export interface StoredAttestation {
  guid: Hex;
  signer: string;
  epoch: bigint;
  digest: Hex;
  signature: Hex;
  createdAt: Date;
}

/** An attestation to store (putAttestation). */
export type NewAttestation = Omit<StoredAttestation, "createdAt">;

/** Collateral vault states (LOANS.md); a loan the vault has not seen has none. */
export const VAULT_STATES = ["Requested", "Active", "Released", "Refunded", "Seized"] as const;
export type VaultState = (typeof VAULT_STATES)[number];
/** Lending pool states (LOANS.md); a loan the pool has not seen has none. */
export const POOL_STATES = ["Active", "Repaid", "Rejected", "Defaulted", "Liquidated"] as const;
export type PoolState = (typeof POOL_STATES)[number];
export type LoanState = VaultState | PoolState;
/** Every state either side can be in. */
export const LOAN_STATES = [
  "Requested",
  "Active",
  "Released",
  "Refunded",
  "Seized",
  "Repaid",
  "Rejected",
  "Defaulted",
  "Liquidated",
] as const satisfies readonly LoanState[];

/**
 * LOANS.md's consistency table: the pool states that agree with each vault
 * state once every message is delivered (`null`: the pool has no record).
 */
export const AGREEING_STATES: readonly (readonly [VaultState, PoolState | null])[] = [
  ["Requested", null],
  ["Active", "Active"],
  ["Released", "Repaid"],
  ["Refunded", "Rejected"],
  ["Seized", "Defaulted"],
  ["Seized", "Liquidated"],
];

/**
 * How far along each side's lifecycle a state is. A mirrored side never
 * moves to a lower rank (an old event replayed after a newer one), and
 * never between two states of the same rank (two different outcomes).
 */
export const VAULT_RANK: Record<VaultState, number> = {
  Requested: 1,
  Active: 2,
  Released: 3,
  Refunded: 3,
  Seized: 3,
};
export const POOL_RANK: Record<PoolState, number> = {
  Active: 1,
  Rejected: 1,
  Repaid: 2,
  Defaulted: 2,
  Liquidated: 2,
};

export interface LoanRecord {
  loanId: Hex;
  collateralEid: number;
  lendingEid: number;
  vaultState: VaultState | null;
  poolState: PoolState | null;
  borrower: string | null;
  /** The collateral asset as a SPEC.md bytes32 (zero for the native coin). */
  collateralAsset: string | null;
  /** Outstanding principal, stablecoin base units. */
  principal: bigint | null;
  /** Collateral base units. */
  collateralAmount: bigint | null;
  /** Who receives the principal on the lending chain, a SPEC.md bytes32 (OPEN_LOAN). */
  recipient: string | null;
  /** Interest rate in basis points (LOAN_ACTIVE). */
  rateBps: number | null;
  /** When the loan falls due (LOAN_ACTIVE). */
  dueAt: Date | null;
  /** Installments of its plan (LOANS.md "Installments"); 1 for a bullet loan. */
  installments: number;
  /** The plan's period, payment and start, once its schedule is recorded. */
  periodSeconds: bigint | null;
  installmentAmount: bigint | null;
  startAt: Date | null;
  /** The principal it was opened for (OPEN_LOAN, LOAN_ACTIVE); null when never seen. */
  openedPrincipal: bigint | null;
  /** When the mirror first recorded it. */
  createdAt: Date;
  updatedAt: Date;
  vaultUpdatedAt: Date | null;
  poolUpdatedAt: Date | null;
}

/** A loan's plan as the pool fixed it at disbursement (LOANS.md "Installments"). */
export interface LoanScheduleInput {
  installments: number;
  periodSeconds: bigint;
  /** The schedule's `payment`. */
  installmentAmount: bigint;
  startAt: Date;
  /** Installments 1..n in order: each one's due time and planned amount. */
  dues: readonly { dueAt: Date; amountDue: bigint }[];
}

/** A loan the installment mirror reads next from its lending pool (schedules.ts). */
export interface ScheduleSyncTarget {
  loanId: Hex;
  lendingEid: number;
  /** The pool app (`bytes32`): the sender of the loan's first delivered packet from the lending chain. */
  pool: Hex;
  /** The block or slot of that packet (LOAN_ACTIVE): where the loan was opened. */
  openedAt: bigint;
  openedPrincipal: bigint;
  rateBps: number;
  /** The store's clock when the target was chosen: recorded as read as of then. */
  readAsOf: Date;
}

/** A lending pool the installment mirror scans for changed loans next (schedules.ts). */
export interface ScheduleScanTarget {
  lendingEid: number;
  /** The pool app (`bytes32`), as its loans' targets name it. */
  pool: Hex;
  /** Where its last scan ended; undefined when it was never scanned. */
  scannedTo: bigint | undefined;
  /** Its active loans as the mirror holds them. */
  loans: MirroredPoolLoan[];
}

/** An installment completed by a repayment (EVM `Payment`, a Solana installment record). */
export interface InstallmentPayment {
  /** 1-based. */
  index: number;
  amount: bigint;
  paidAt: Date;
  /** The loan's principal after that repayment. */
  remainingPrincipal: bigint;
}

/** One installment of a loan, paid or not. */
export interface InstallmentRecord {
  loanId: Hex;
  index: number;
  dueAt: Date;
  amountDue: bigint;
  /** 0 while unpaid. */
  paidAmount: bigint;
  paidAt: Date | null;
  remainingPrincipal: bigint | null;
}

/** A borrower's loans (every one of each collateral-chain identity found) and their installments. */
export interface BorrowerHistory {
  loans: LoanRecord[];
  installments: InstallmentRecord[];
}

/**
 * What became of each disbursed loan, one outcome each, for
 * `loanbridge_loans_by_outcome` (LOANS.md "Borrower credit history"): `late`
 * takes the active and repaid loans with an installment paid after its due
 * time or, still active, one unpaid past it.
 */
export const LOAN_OUTCOMES = ["active", "late", "repaid", "defaulted", "liquidated"] as const;
export type LoanOutcome = (typeof LOAN_OUTCOMES)[number];

interface LoanSideFields {
  loanId: Hex;
  collateralEid: number;
  lendingEid: number;
  borrower?: string;
  recipient?: string;
  collateralAsset?: string;
  principal?: bigint;
  collateralAmount?: bigint;
  rateBps?: number;
  dueAt?: Date;
  /** The plan's installment count (OPEN_LOAN); its schedule comes with `recordLoanSchedule`. */
  installments?: number;
}

/** One side's news about a loan; fields left out keep their stored value. */
export type LoanSideUpdate =
  | (LoanSideFields & { side: "vault"; state: VaultState })
  | (LoanSideFields & { side: "pool"; state: PoolState });

/** Sums over the loans table for the loan metrics. */
export interface LoanTotals {
  bySideAndState: { side: "vault" | "pool"; state: LoanState; count: number }[];
  /** Outstanding principal of pool-`Active` loans, per lending chain. */
  outstandingPrincipal: { lendingEid: number; amount: bigint }[];
  /** Collateral of vault-`Requested`/`Active` loans, per collateral chain and asset. */
  lockedCollateral: { collateralEid: number; asset: string; amount: bigint }[];
  /** Disbursed loans by outcome, every outcome present (0 when none). */
  byOutcome: Record<LoanOutcome, number>;
}

export interface AuditEntry {
  id: number;
  at: Date;
  actor: string;
  action: string;
  subject: string;
  detail: Record<string, unknown>;
}

/** Who did what, recorded with an operator's packet change in one transaction. */
export interface AuditInput {
  actor: string;
  action: string;
  subject: string;
  detail?: Record<string, unknown>;
}
