// Stage 2, verify: prove each observed packet on its source chain. A proof
// that fails for good (wrong emitter, hash mismatch, …) disproves the claim:
// a contradicting claim held for the guid takes its place, else the packet
// is failed at once; a chain that is only behind (not finalized) is retried
// with backoff until the attempts run out; RPC endpoints with no quorum
// among them are waited for without limit (disagreement is never a verdict).
import type { ObservedPacket, VerificationFailure } from "../chains/types.ts";
import type { PacketRecord } from "../store/types.ts";
import { loanMessageFromLoanApp, mirrorLoan } from "./loans.ts";
import {
  backoffMs,
  forEachLeased,
  kindOf,
  leaseOwner,
  type PipelineContext,
  refOf,
  retryOrFail,
} from "./context.ts";

/** Failures that may pass on a later attempt. */
export const RETRYABLE_FAILURES: ReadonlySet<VerificationFailure> = new Set([
  "not_finalized",
  "rpc_disagreement",
]);

export const observedOf = (packet: PacketRecord): ObservedPacket => ({
  packet: packet.packet,
  guid: packet.guid,
  srcEid: packet.srcEid,
  dstEid: packet.dstEid,
  nonce: packet.nonce,
  sourceTx: packet.sourceTx,
  sourceHeight: packet.sourceHeight,
  sourceIndex: packet.sourceIndex,
});

export async function verifyPacket(context: PipelineContext, packet: PacketRecord): Promise<void> {
  const { store, events } = context;
  const owner = leaseOwner(context);
  const verifier = context.chains.verifiers.get(packet.srcEid);
  if (verifier === undefined) {
    await store.markFailed(packet.guid, `no verifier for source eid ${packet.srcEid}`, { owner });
    return;
  }
  const result = await verifier.verify(observedOf(packet));
  if (result.ok) {
    // Only a proven packet from a loan app speaks for a loan (loans.ts);
    // its loan id is recorded with the proof, and names it from then on.
    const message = await loanMessageFromLoanApp(context.chains.loanApps, packet.packet);
    const loanId = message?.loanId;
    context.crashPoint?.("proven");
    await store.markVerified(packet.guid, { owner, ...(loanId !== undefined && { loanId }) });
    events.emit("packetVerified", { ...refOf(packet), loanId });
    context.crashPoint?.("verified");
    if (message !== undefined) await mirrorLoan(context, packet, message, "observed");
    context.crashPoint?.("mirrored");
    return;
  }
  const reason = `${result.reason}: ${result.detail}`;
  let final: boolean;
  if (result.reason === "rpc_disagreement") {
    // Endpoints without a quorum say nothing about the packet: wait for them
    // (backoff, capped) however long it takes, never fail it for that.
    await store.release(packet.guid, owner, {
      error: reason,
      retryInMs: backoffMs(context.settings, packet.attempts),
      attempt: false,
    });
    final = false;
  } else if (RETRYABLE_FAILURES.has(result.reason)) {
    final = await retryOrFail(context, packet, reason);
  } else {
    // Disproved: a contradicting claim held for this guid gets its turn.
    const { replaced, packet: next } = await store.disprove(packet.guid, reason, { owner });
    final = !replaced;
    if (replaced) {
      events.emit("claimContradicted", {
        chain: kindOf(context, packet.srcEid),
        guid: next.guid,
        srcEid: next.srcEid,
        sourceTx: next.sourceTx,
        sourceIndex: next.sourceIndex,
        outcome: "replaced",
      });
    }
  }
  events.emit("verificationFailed", {
    ...refOf(packet),
    chain: kindOf(context, packet.srcEid),
    reason: result.reason,
    detail: result.detail,
    final,
  });
}

/** Verifies one bounded batch of observed packets. */
export function verifyBatch(context: PipelineContext): Promise<number> {
  return forEachLeased(context, ["observed"], "verify", (packet) => verifyPacket(context, packet));
}
