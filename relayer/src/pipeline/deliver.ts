// Stage 5, deliver: the executing relayer checks the destination first,
// gathers a threshold of attestations and delivers; a packet someone else
// already delivered counts as delivered. The other relayers only confirm:
// they read the destination until the packet shows up as delivered.
// Either way the destination side of the loan is mirrored on delivery.
import { AlreadyDeliveredError, InsufficientAttestationsError } from "../chains/errors.ts";
import type { DeliveryReceipt } from "../chains/types.ts";
import type { PacketRecord } from "../store/types.ts";
import {
  errorText,
  forEachLeased,
  kindOf,
  leaseOwner,
  type PipelineContext,
  refOf,
  retryOrFail,
} from "./context.ts";
import { gatherAttestations } from "./gather.ts";
import { mirrorLoan } from "./loans.ts";

export type DeliverOutcome =
  | "delivered"
  | "already_delivered"
  | "awaiting_attestations"
  | "awaiting_delivery"
  | "failed"
  | "retry";

async function recordDelivered(
  context: PipelineContext,
  packet: PacketRecord,
  receipt: DeliveryReceipt | undefined,
): Promise<void> {
  // The status guard is enough here: the destination's record wins.
  const stored = await context.store.markDelivered(packet.guid, {
    ...(receipt !== undefined && { destTx: receipt.tx }),
  });
  context.events.emit("packetDelivered", {
    ...refOf(packet),
    chain: kindOf(context, packet.dstEid),
    destTx: stored.destTx ?? "",
    seconds: Math.max(0, (Date.now() - packet.observedAt.getTime()) / 1000),
    outcome: receipt?.outcome ?? "delivered",
  });
  await mirrorLoan(context, packet, "delivered");
}

/** Waits for peers without using up attempts: a short, fixed retry. */
async function wait(context: PipelineContext, packet: PacketRecord, why: string): Promise<void> {
  await context.store.release(packet.guid, leaseOwner(context), {
    error: why,
    retryInMs: context.settings.pollIntervalMs,
  });
}

export async function deliverPacket(
  context: PipelineContext,
  packet: PacketRecord,
): Promise<DeliverOutcome> {
  const deliverer = context.chains.deliverers.get(packet.dstEid);
  if (deliverer === undefined) {
    await context.store.markFailed(packet.guid, `no deliverer for eid ${packet.dstEid}`, {
      owner: leaseOwner(context),
    });
    return "failed";
  }
  if (await deliverer.isDelivered(packet.guid)) {
    await recordDelivered(context, packet, undefined);
    return "already_delivered";
  }
  if (!context.executor) {
    await wait(context, packet, "awaiting delivery by the executor");
    return "awaiting_delivery";
  }
  const set = await deliverer.verifierSet();
  const attestations = await gatherAttestations(context, packet, set);
  if (attestations.length < set.threshold) {
    await wait(context, packet, `${attestations.length} of ${set.threshold} attestations`);
    return "awaiting_attestations";
  }
  let receipt: DeliveryReceipt | undefined;
  try {
    receipt = await deliverer.deliver(packet.packet, attestations, (tx) => {
      context.events.emit("deliverySubmitted", {
        ...refOf(packet),
        chain: kindOf(context, packet.dstEid),
        destTx: tx,
      });
    });
  } catch (error) {
    if (error instanceof AlreadyDeliveredError) {
      await recordDelivered(context, packet, undefined);
      return "already_delivered";
    }
    if (error instanceof InsufficientAttestationsError) {
      await wait(context, packet, errorText(error));
      return "awaiting_attestations";
    }
    const final = await retryOrFail(context, packet, `deliver: ${errorText(error)}`);
    context.events.emit("deliveryFailed", {
      ...refOf(packet),
      chain: kindOf(context, packet.dstEid),
      error: errorText(error),
      attempts: packet.attempts,
      final,
    });
    return final ? "failed" : "retry";
  }
  await recordDelivered(context, packet, receipt);
  return "delivered";
}

/** Delivers (executor) or confirms (others) one bounded batch of attested packets. */
export function deliverBatch(context: PipelineContext): Promise<number> {
  return forEachLeased(context, ["attested", "delivering"], "deliver", async (packet) => {
    await deliverPacket(context, packet);
  });
}
