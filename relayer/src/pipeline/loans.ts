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
import { decodeLoanMessage, decodePacket, type Hex, type LoanMessage } from "@loanbridge/shared";
import type { LoanSideUpdate } from "../store/types.ts";
import type { PipelineContext } from "./context.ts";

/** The packet's loan message, or undefined when it is not one (a test app's bytes). */
export function loanMessageOf(packet: Uint8Array): LoanMessage | undefined {
  try {
    return decodeLoanMessage(decodePacket(packet).message);
  } catch {
    return undefined;
  }
}

export function loanIdOf(packet: Uint8Array): Hex | undefined {
  return loanMessageOf(packet)?.loanId;
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

/** Mirrors one side; a mirror error is reported, never stops the packet. */
export async function mirrorLoan(
  context: Pick<PipelineContext, "store" | "onError">,
  packet: { packet: Uint8Array } & Route,
  when: "observed" | "delivered",
): Promise<void> {
  const message = loanMessageOf(packet.packet);
  if (message === undefined) return;
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
