// Stage 3, attest: sign each verified packet's attestation digest for the
// destination's current verifier-set epoch, and store the signature (peers
// read it from our API).
import { type Hex, packetAttestationPreimage } from "@loanbridge/shared";
import { keccak256 } from "ethers";
import type { Attestation } from "../chains/types.ts";
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
  const preimage = packetAttestationPreimage(deliverer.endpoint, epoch, packet.packet);
  const digest = keccak256(preimage) as Hex;
  // After a crash between storing and marking, the stored signature is used
  // again rather than signing anew: a signer that does not sign the same
  // digest the same way twice (a cloud KMS's ECDSA) would otherwise meet the
  // store's refusal of a second, different signature, and the packet would
  // never move on.
  const stored = await storedAttestation(context, packet.guid, signer.signer, epoch, digest);
  const attestation = stored ?? (await signer.sign(packet.guid, epoch, digest, preimage));
  context.crashPoint?.("signed");
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

/** This signer's stored attestation of `digest` at `epoch`, if there is one. */
async function storedAttestation(
  context: PipelineContext,
  guid: Hex,
  signer: string,
  epoch: bigint,
  digest: Hex,
): Promise<Attestation | undefined> {
  const stored = (await context.store.listAttestations(guid, { signers: [signer] })).find(
    (attestation) => attestation.epoch === epoch && attestation.digest === digest,
  );
  if (stored === undefined) return undefined;
  return { guid, epoch, digest, signer, signature: stored.signature };
}

/** Attests one bounded batch of verified packets. */
export function attestBatch(context: PipelineContext): Promise<number> {
  return forEachLeased(context, ["verified"], "attest", (packet) => attestPacket(context, packet));
}
