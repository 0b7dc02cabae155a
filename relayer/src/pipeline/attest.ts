// Stage 3, attest: sign each verified packet's attestation digest for the
// destination's current verifier-set epoch, and store the signature (peers
// read it from our API).
import { packetAttestationDigest } from "@loanbridge/shared";
import type { PacketRecord } from "../store/types.ts";
import { forEachLeased, leaseOwner, type PipelineContext, refOf } from "./context.ts";

export async function attestPacket(context: PipelineContext, packet: PacketRecord): Promise<void> {
  const { store } = context;
  const owner = leaseOwner(context);
  const signer = context.chains.signers.get(packet.dstEid);
  const deliverer = context.chains.deliverers.get(packet.dstEid);
  if (signer === undefined || deliverer === undefined) {
    await store.markFailed(packet.guid, `destination eid ${packet.dstEid} is not configured`, {
      owner,
    });
    return;
  }
  const { epoch } = await deliverer.verifierSet();
  const digest = packetAttestationDigest(deliverer.endpoint, epoch, packet.packet);
  const attestation = await signer.sign(packet.guid, epoch, digest);
  context.crashPoint?.("signed");
  // Signing again after a crash gives the same bytes (deterministic
  // signatures over the same digest); the store refuses different ones.
  await store.putAttestation(attestation);
  context.crashPoint?.("stored");
  await store.markAttested(packet.guid, { owner });
  context.events.emit("packetAttested", {
    ...refOf(packet),
    signer: signer.signer,
    epoch,
    digest,
    signature: attestation.signature,
  });
  context.crashPoint?.("attested");
}

/** Attests one bounded batch of verified packets. */
export function attestBatch(context: PipelineContext): Promise<number> {
  return forEachLeased(context, ["verified"], "attest", (packet) => attestPacket(context, packet));
}
