// Store records as the API's views (views.ts): the one place a loan, a
// packet or the relayer's status gets its public shape, used by the server
// and by the operator CLI when it reads the store itself.
import { toHex } from "@loanbridge/shared";
import { standingOf } from "../credit/outcome.ts";
import { loanMessageOf } from "../pipeline/loans.ts";
import {
  AGREEING_STATES,
  type CursorRecord,
  type InstallmentRecord,
  type LoanRecord,
  type PacketRecord,
  type PacketStatus,
  type StoredAttestation,
} from "../store/types.ts";
import type { ChainDirectory } from "./chains.ts";
import { amountOf, apiLoanState } from "./format.ts";
import type { InstallmentView, LoanView, PacketView, ScheduleView, StatusView } from "./views.ts";

const iso = (date: Date | null): string | null => (date === null ? null : date.toISOString());

export const loanPath = (loanId: string) => `/v1/loans/${loanId}`;
export const packetPath = (guid: string) => `/v1/packets/${guid}`;

export function toLoanView(loan: LoanRecord, chains: ChainDirectory): LoanView {
  const { collateralEid, lendingEid } = loan;
  return {
    loanId: loan.loanId,
    borrower: loan.borrower === null ? null : chains.address(collateralEid, loan.borrower),
    recipient: loan.recipient === null ? null : chains.address(lendingEid, loan.recipient),
    collateralChain: chains.ref(collateralEid),
    lendingChain: chains.ref(lendingEid),
    vaultState: loan.vaultState === null ? null : apiLoanState(loan.vaultState),
    poolState: loan.poolState === null ? null : apiLoanState(loan.poolState),
    agrees: AGREEING_STATES.some(
      ([vault, pool]) => loan.vaultState === vault && loan.poolState === pool,
    ),
    collateral:
      loan.collateralAmount === null
        ? null
        : amountOf(loan.collateralAmount, chains.asset(collateralEid, loan.collateralAsset)),
    principal:
      loan.principal === null ? null : amountOf(loan.principal, chains.principal(lendingEid)),
    rateBps: loan.rateBps,
    dueAt: iso(loan.dueAt),
    installments: loan.installments,
    updatedAt: loan.updatedAt.toISOString(),
    vaultUpdatedAt: iso(loan.vaultUpdatedAt),
    poolUpdatedAt: iso(loan.poolUpdatedAt),
    links: {
      self: loanPath(loan.loanId),
      packets: `/v1/packets?loanId=${loan.loanId}`,
      schedule: `${loanPath(loan.loanId)}/schedule`,
    },
  };
}

/** An installment's state at `now` (views.ts `INSTALLMENT_STATES`). */
export function installmentState(
  loan: Pick<LoanRecord, "vaultState" | "poolState">,
  installment: Pick<InstallmentRecord, "dueAt" | "paidAt">,
  now: Date,
): InstallmentView["state"] {
  if (installment.paidAt !== null) {
    return installment.paidAt > installment.dueAt ? "paid_late" : "paid";
  }
  const standing = standingOf(loan);
  if (standing === "defaulted" || standing === "liquidated") return "missed";
  // At the due time itself it is on time (LOANS.md).
  return installment.dueAt < now ? "overdue" : "due";
}

/**
 * A loan's installment plan and payments, as the installment mirror read
 * them from its lending pool; undefined before its schedule is recorded.
 */
export function toScheduleView(
  loan: LoanRecord,
  installments: readonly InstallmentRecord[],
  chains: ChainDirectory,
  now: Date,
): ScheduleView | undefined {
  const { periodSeconds, installmentAmount, startAt } = loan;
  if (periodSeconds === null || installmentAmount === null || startAt === null) return undefined;
  const stablecoin = chains.principal(loan.lendingEid);
  return {
    loanId: loan.loanId,
    installments: loan.installments,
    periodSeconds: periodSeconds.toString(),
    installmentAmount: amountOf(installmentAmount, stablecoin),
    startAt: startAt.toISOString(),
    items: installments.map((installment) => ({
      index: installment.index,
      dueAt: installment.dueAt.toISOString(),
      amountDue: amountOf(installment.amountDue, stablecoin),
      paid: installment.paidAt === null ? null : amountOf(installment.paidAmount, stablecoin),
      paidAt: iso(installment.paidAt),
      remainingPrincipal:
        installment.remainingPrincipal === null
          ? null
          : amountOf(installment.remainingPrincipal, stablecoin),
      state: installmentState(loan, installment, now),
    })),
  };
}

/** Solana packets are read from their accounts (state has no transaction id). */
const sourceKindOf = (chains: ChainDirectory, eid: number): PacketView["sourceKind"] =>
  chains.get(eid)?.name === "solana" ? "account" : "transaction";

export function toPacketView(packet: PacketRecord, chains: ChainDirectory): PacketView {
  return {
    guid: packet.guid,
    loanId: packet.loanId,
    // Only a loan app's message is one (tagged at verify): other apps' bytes
    // that decode as a loan message are not shown as one.
    messageType: packet.loanId === null ? null : (loanMessageOf(packet.packet)?.type ?? null),
    srcChain: chains.ref(packet.srcEid),
    dstChain: chains.ref(packet.dstEid),
    nonce: packet.nonce.toString(),
    status: packet.status,
    attempts: packet.attempts,
    lastError: packet.lastError,
    sourceTx: packet.sourceTx,
    sourceKind: sourceKindOf(chains, packet.srcEid),
    sourceHeight: packet.sourceHeight.toString(),
    destTx: packet.destTx,
    observedAt: packet.observedAt.toISOString(),
    verifiedAt: iso(packet.verifiedAt),
    attestedAt: iso(packet.attestedAt),
    readyAt: iso(packet.readyAt),
    submittedAt: iso(packet.submittedAt),
    deliveredAt: iso(packet.deliveredAt),
    updatedAt: packet.updatedAt.toISOString(),
    nextAttemptAt: iso(packet.nextAttemptAt),
    leaseOwner: packet.leaseOwner,
    leaseUntil: iso(packet.leaseUntil),
    packet: toHex(packet.packet),
    links: {
      self: packetPath(packet.guid),
      loan: packet.loanId === null ? null : loanPath(packet.loanId),
      sourceTx:
        sourceKindOf(chains, packet.srcEid) === "account"
          ? chains.addressUrl(packet.srcEid, packet.sourceTx)
          : chains.txUrl(packet.srcEid, packet.sourceTx),
      destTx: chains.txUrl(packet.dstEid, packet.destTx),
    },
  };
}

/** What only the running relayer knows of a chain (the CLI reading a store has none of it). */
export interface ChainProgress {
  /** Latest block/slot seen. */
  head?: bigint;
  /** Latest finalized block/slot seen. */
  finalized?: bigint;
  /** Unix ms of the last successful poll. */
  lastPollAt?: number;
}

export function toStatusView(
  relayerId: string,
  chains: ChainDirectory,
  stored: { cursors: readonly CursorRecord[]; packets: Record<PacketStatus, number> },
  progress: ReadonlyMap<number, ChainProgress> = new Map(),
): StatusView {
  const text = (value: bigint | undefined) => (value === undefined ? null : value.toString());
  return {
    relayerId,
    chains: chains.chains.map((chain) => {
      const { head, finalized, lastPollAt } = progress.get(chain.eid) ?? {};
      const cursor = stored.cursors.find((each) => each.eid === chain.eid)?.height;
      return {
        chain: chains.ref(chain.eid),
        head: text(head),
        finalized: text(finalized),
        cursor: text(cursor),
        finalityLag: head === undefined || finalized === undefined ? null : text(head - finalized),
        lastPollAt: lastPollAt === undefined ? null : new Date(lastPollAt).toISOString(),
        explorer: chain.explorer,
      };
    }),
    packets: stored.packets,
  };
}

export function toAttestationJson(attestation: StoredAttestation) {
  return {
    guid: attestation.guid,
    signer: attestation.signer,
    epoch: attestation.epoch.toString(),
    digest: attestation.digest,
    signature: attestation.signature,
    createdAt: attestation.createdAt.toISOString(),
  };
}
