// Stage 2, verify: prove each observed packet on its source chain. A proof
// that fails for good (wrong emitter, hash mismatch, …) marks the packet
// failed at once; a chain that is only behind (not finalized, RPCs
// disagreeing) is retried with backoff until the attempts run out.
import type { ObservedPacket, VerificationFailure } from "../chains/types.ts";
import type { PacketRecord } from "../store/types.ts";
import {
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
    await store.markVerified(packet.guid, { owner });
    events.emit("packetVerified", refOf(packet));
    return;
  }
  const reason = `${result.reason}: ${result.detail}`;
  const final = RETRYABLE_FAILURES.has(result.reason)
    ? await retryOrFail(context, packet, reason)
    : (await store.markFailed(packet.guid, reason, { owner }), true);
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
