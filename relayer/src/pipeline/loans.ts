// The loan mirror: what the packets we relay say about each loan's two sides.
// A packet's message was sent by its source side, so on observation the
// source side is known to be in the state that sends it; once the packet is
// delivered, the destination side has moved too (LOANS.md):
//
//   message        sent by (on observe)     destination (on delivery)
//   OPEN_LOAN      vault Requested          — (the pool answers ACTIVE or REJECTED)
//   LOAN_ACTIVE    pool Active              vault Active
//   LOAN_REJECTED  pool Rejected            vault Refunded
//   REPAID         pool Repaid              vault Released
//   DEFAULTED      pool Defaulted           vault Seized
//   LIQUIDATED     pool Liquidated          vault Seized
//
// The store ignores replays (older states) and refuses contradictions.
//
// Only loan apps speak for loans. Any app an endpoint serves can send bytes
// that decode as a loan message, naming any loan id and borrower, and the
// watchers see every packet, so a packet counts for a loan only when its
// sender is a loan app in the role that sends its message type: the source
// chain's own vault or pool, or the app that the destination's own vault
// or pool registered as its peer for the source eid (the source endpoint
// vouches for who sent it). Each chain names its own loan apps
// (LoanAppRegistry: the Solana program's PDAs; an EVM deployment file's). Anything else is relayed as any app's packet
// and says nothing about loans.
import { decodeLoanMessage, decodePacket, type Hex, type LoanMessage } from "@loanbridge/shared";
import type { LoanAppRegistry, LoanRole } from "../chains/types.ts";
import type { LoanSideUpdate } from "../store/types.ts";
import type { PipelineContext } from "./context.ts";

/** The packet's bytes as a loan message, or undefined when they are not one; says nothing of who sent it. */
export function loanMessageOf(packet: Uint8Array): LoanMessage | undefined {
  try {
    return decodeLoanMessage(decodePacket(packet).message);
  } catch {
    return undefined;
  }
}

/** Who sends each message (LOANS.md "Roles and flow"). */
const SENDER_ROLES: Readonly<Record<LoanMessage["type"], LoanRole>> = {
  OPEN_LOAN: "vault",
  LOAN_ACTIVE: "pool",
  LOAN_REJECTED: "pool",
  REPAID: "pool",
  DEFAULTED: "pool",
  LIQUIDATED: "pool",
};

const OTHER_ROLE: Readonly<Record<LoanRole, LoanRole>> = { vault: "pool", pool: "vault" };

interface PacketHeader {
  srcEid: number;
  sender: Hex;
  dstEid: number;
  receiver: Hex;
}

/**
 * The loan role of the packet's sender: the source chain's own loan app,
 * or the peer the destination's loan app registered for the source eid;
 * undefined when neither chain names it a loan app. Throws when a chain
 * could not be read (the caller tries again; no answer is no verdict).
 */
export async function senderLoanRole(
  registries: ReadonlyMap<number, LoanAppRegistry>,
  header: PacketHeader,
): Promise<LoanRole | undefined> {
  const own = await registries.get(header.srcEid)?.roleOf(header.sender);
  if (own !== undefined) return own;
  const destination = registries.get(header.dstEid);
  const receiverRole = await destination?.roleOf(header.receiver);
  if (destination === undefined || receiverRole === undefined) return undefined;
  const peer = await destination.peerOf(header.receiver, header.srcEid);
  return peer?.toLowerCase() === header.sender.toLowerCase() ? OTHER_ROLE[receiverRole] : undefined;
}

/**
 * The packet's loan message when a loan app sent it in the role that sends
 * it; undefined for any other packet. Throws when a chain could not be read.
 */
export async function loanMessageFromLoanApp(
  registries: ReadonlyMap<number, LoanAppRegistry>,
  packet: Uint8Array,
): Promise<LoanMessage | undefined> {
  let header: PacketHeader;
  let message: LoanMessage;
  try {
    const decoded = decodePacket(packet);
    header = decoded;
    message = decodeLoanMessage(decoded.message);
  } catch {
    return undefined;
  }
  const role = await senderLoanRole(registries, header);
  return role === SENDER_ROLES[message.type] ? message : undefined;
}

interface Route {
  srcEid: number;
  dstEid: number;
}

/** The source side's state, as the message shows it. */
export function sourceSideUpdate(message: LoanMessage, route: Route): LoanSideUpdate {
  if (message.type === "OPEN_LOAN") {
    return {
      side: "vault",
      state: "Requested",
      loanId: message.loanId,
      collateralEid: route.srcEid,
      lendingEid: route.dstEid,
      borrower: message.borrower,
      recipient: message.recipient,
      collateralAsset: message.collateralAsset,
      collateralAmount: message.collateralAmount,
      principal: message.principal,
      installments: message.installments,
    };
  }
  const ids = { loanId: message.loanId, collateralEid: route.dstEid, lendingEid: route.srcEid };
  switch (message.type) {
    case "LOAN_ACTIVE":
      return {
        side: "pool",
        state: "Active",
        ...ids,
        principal: message.principal,
        rateBps: message.rateBps,
        // A due time of 0 is not one: the field is left as stored.
        ...(message.dueTime > 0n && { dueAt: new Date(Number(message.dueTime) * 1000) }),
      };
    case "LOAN_REJECTED":
      return { side: "pool", state: "Rejected", ...ids };
    case "REPAID":
      return { side: "pool", state: "Repaid", ...ids, principal: 0n };
    case "DEFAULTED":
      return { side: "pool", state: "Defaulted", ...ids };
    case "LIQUIDATED":
      return { side: "pool", state: "Liquidated", ...ids };
  }
}

/** The destination side's state once the message is delivered; none for OPEN_LOAN. */
export function destinationSideUpdate(
  message: LoanMessage,
  route: Route,
): LoanSideUpdate | undefined {
  const ids = { loanId: message.loanId, collateralEid: route.dstEid, lendingEid: route.srcEid };
  switch (message.type) {
    case "OPEN_LOAN":
      return undefined;
    case "LOAN_ACTIVE":
      return { side: "vault", state: "Active", ...ids };
    case "LOAN_REJECTED":
      return { side: "vault", state: "Refunded", ...ids };
    case "REPAID":
      return { side: "vault", state: "Released", ...ids };
    case "DEFAULTED":
    case "LIQUIDATED":
      return { side: "vault", state: "Seized", ...ids };
  }
}

/**
 * Mirrors one side of the loan `message` (from a loan app: verify checks
 * that, and only then tags the packet with its loan id); a mirror error is
 * reported, never stops the packet.
 */
export async function mirrorLoan(
  context: Pick<PipelineContext, "store" | "onError">,
  packet: Route,
  message: LoanMessage,
  when: "observed" | "delivered",
): Promise<void> {
  const update =
    when === "observed"
      ? sourceSideUpdate(message, packet)
      : destinationSideUpdate(message, packet);
  if (update === undefined) return;
  try {
    await context.store.upsertLoan(update);
  } catch (error) {
    context.onError(error, `loans.${when}`, message.loanId);
  }
}
