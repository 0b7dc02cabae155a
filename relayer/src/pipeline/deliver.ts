// Stage 5, deliver: every relayer checks the destination first (a packet
// someone else already delivered counts as delivered), gathers a threshold
// of attestations and, when its turn in the packet's executor order has
// come (takeover.ts), delivers. Until then it waits and reads the
// destination. With its turn come, the destination reads the delivery needs
// begin beside the check and the gather (PacketDeliverer.prepare). Either
// way the destination side of the loan is mirrored on delivery.
import {
  AlreadyDeliveredError,
  DeliveryPendingError,
  InsufficientAttestationsError,
} from "../chains/errors.ts";
import type { Hex } from "@loanbridge/shared";
import type {
  Attestation,
  ChainKind,
  DeliveryProgress,
  DeliveryReceipt,
  PacketDeliverer,
  PreparedDelivery,
  VerifierSet,
} from "../chains/types.ts";
import type { PacketRecord } from "../store/types.ts";
import {
  errorText,
  forEachLeased,
  handleLeased,
  isStopping,
  leaseBatch,
  kindOf,
  leaseOwner,
  type PipelineContext,
  refOf,
  retryOrFail,
} from "./context.ts";
import { gatherAttestations, prefetchAttestations } from "./gather.ts";
import { loanMessageOf, mirrorLoan } from "./loans.ts";
import { executorRank } from "./takeover.ts";

export type DeliverOutcome =
  | "delivered"
  | "already_delivered"
  | "awaiting_attestations"
  | "awaiting_delivery"
  | "awaiting_turn"
  | "failed"
  | "retry";

async function recordDelivered(
  context: PipelineContext,
  packet: PacketRecord,
  receipt: DeliveryReceipt | undefined,
  onRecorded?: () => void,
): Promise<void> {
  context.readyTimes.forget(packet.guid);
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
  onRecorded?.();
  // Tagged with a loan id only when verify found a loan app's message.
  const message = stored.loanId === null ? undefined : loanMessageOf(stored.packet);
  if (message !== undefined) await mirrorLoan(context, packet, message, "delivered");
}

/** Waits for peers without using up attempts: by default a short, fixed retry. */
async function wait(
  context: PipelineContext,
  packet: PacketRecord,
  why: string,
  retryInMs = context.settings.pollIntervalMs,
): Promise<void> {
  await context.store.release(packet.guid, leaseOwner(context), {
    error: why,
    retryInMs,
    attempt: false,
  });
}

/**
 * Our delivery transactions lost to another relayer's: the destination
 * took the packet in a transaction that is not one we sent. Counted, since
 * each costs the losing relayer its fee.
 */
function reportDuplicate(
  context: PipelineContext,
  packet: PacketRecord,
  sent: readonly string[],
  receipt: DeliveryReceipt | undefined,
): void {
  if (sent.length === 0) return;
  if (receipt !== undefined && sent.includes(receipt.tx)) return;
  context.events.emit("duplicateDelivery", {
    ...refOf(packet),
    chain: kindOf(context, packet.dstEid),
    sentTxs: [...sent],
    ...(receipt !== undefined && { deliveredTx: receipt.tx }),
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
  const kind = kindOf(context, packet.dstEid);
  const executing = context.executor
    ? await executorTurn(context, packet, deliverer, kind)
    : undefined;
  // Its turn come, a delivery's reads go beside the check and the gather
  // below: once the attestations are in, it waits for none.
  const prepared =
    executing !== undefined && turnHasCome(context, packet.guid, executing.rank, Date.now())
      ? deliverer.prepare?.(packet.packet)
      : undefined;
  if (await deliverer.isDelivered(packet.guid, packet.packet)) {
    await recordDelivered(context, packet, undefined);
    return "already_delivered";
  }
  if (!context.executor) {
    await wait(context, packet, "awaiting delivery by the executing relayers");
    return "awaiting_delivery";
  }
  if (executing === undefined) {
    await wait(context, packet, "awaiting delivery: this relayer is not a destination verifier");
    return "awaiting_delivery";
  }
  const { set, rank } = executing;
  const attestations = await gatherAttestations(context, packet, set);
  if (attestations.length < set.threshold) {
    await wait(context, packet, `${attestations.length} of ${set.threshold} attestations`);
    return "awaiting_attestations";
  }
  const now = Date.now();
  // Recorded beside the delivery, not before it: a timing figure, never a wait.
  const recordingReady =
    packet.readyAt === null
      ? context.store.markReady(packet.guid, new Date(now)).catch((error: unknown) => {
          context.onError(error, "deliver.ready", packet.guid);
        })
      : undefined;
  try {
    return await deliverInTurn(context, packet, {
      deliverer,
      kind,
      rank,
      attestations,
      now,
      prepared,
    });
  } finally {
    await recordingReady;
  }
}

/** This executor's place in the packet's executor order at the destination's set; none if it is no verifier. */
async function executorTurn(
  context: PipelineContext,
  packet: PacketRecord,
  deliverer: PacketDeliverer,
  kind: ChainKind,
): Promise<{ set: VerifierSet; rank: number } | undefined> {
  const set = await deliverer.verifierSet();
  const signer = context.chains.signers.get(packet.dstEid);
  if (signer === undefined) return undefined;
  const rank = executorRank(kind, packet.guid, set.signers, signer.signer);
  return rank === undefined ? undefined : { set, rank };
}

/** When the relayer at `rank` delivers: the first at once, each later one a window after the one before. */
const turnAt = (context: PipelineContext, readySince: number, rank: number): number =>
  readySince + rank * context.takeoverWindowMs;

/** Whether this relayer, at `rank`, delivers as soon as it holds a threshold. */
function turnHasCome(context: PipelineContext, guid: Hex, rank: number, now: number): boolean {
  if (rank === 0) return true;
  const readySince = context.readyTimes.known(guid);
  return readySince !== undefined && now >= turnAt(context, readySince, rank);
}

/** Delivers a packet this relayer holds a threshold for, once its turn (`rank`) has come. */
async function deliverInTurn(
  context: PipelineContext,
  packet: PacketRecord,
  ready: {
    deliverer: PacketDeliverer;
    kind: ChainKind;
    rank: number;
    attestations: Attestation[];
    /** When this pass found the threshold held. */
    now: number;
    /** The delivery's reads, begun before the threshold held (PacketDeliverer.prepare). */
    prepared: PreparedDelivery | undefined;
  },
): Promise<DeliverOutcome> {
  const { deliverer, kind, rank, attestations, now, prepared } = ready;
  const readySince = context.readyTimes.since(packet.guid, now);
  const turnStarts = turnAt(context, readySince, rank);
  if (now < turnStarts) {
    await wait(context, packet, `awaiting its turn to deliver (rank ${rank})`, turnStarts - now);
    return "awaiting_turn";
  }
  if (rank > 0 && context.readyTimes.firstTakeover(packet.guid)) {
    context.events.emit("executorTakeover", {
      ...refOf(packet),
      chain: kind,
      rank,
      waitedMs: now - readySince,
    });
  }
  context.crashPoint?.("gathered");
  const sent: string[] = [];
  // The first send's time (the store keeps the earliest across attempts).
  // Recorded while the transaction waits for confirmation; a failed write
  // costs a timing figure, never the delivery.
  let submitting: Promise<void> | undefined;
  let receipt: DeliveryReceipt | undefined;
  try {
    const progress: DeliveryProgress = (step, tx) => {
      if (step === "signed") {
        context.crashPoint?.("tx-signed");
        return;
      }
      const first = submitting === undefined;
      submitting ??= context.store.markSubmitted(packet.guid, new Date()).then(
        () => undefined,
        (error: unknown) => {
          context.onError(error, "deliver.submitted", packet.guid);
        },
      );
      sent.push(tx);
      context.events.emit("deliverySubmitted", {
        ...refOf(packet),
        chain: kind,
        destTx: tx,
        ...(first && { sinceReadyMs: Date.now() - now }),
      });
      context.crashPoint?.("submitted");
    };
    receipt = await deliverer.deliver(packet.packet, attestations, progress, prepared);
  } catch (error) {
    // Abandoned because the relayer is stopping: not a failed attempt.
    if (isStopping(context)) throw error;
    if (error instanceof AlreadyDeliveredError) {
      reportDuplicate(context, packet, sent, undefined);
      await recordDelivered(context, packet, undefined);
      return "already_delivered";
    }
    if (error instanceof InsufficientAttestationsError) {
      await wait(context, packet, errorText(error));
      return "awaiting_attestations";
    }
    if (error instanceof DeliveryPendingError) {
      // Someone else's delivery is in the mempool: watch it land.
      await wait(context, packet, errorText(error));
      return "awaiting_delivery";
    }
    const final = await retryOrFail(context, packet, `deliver: ${errorText(error)}`, error);
    if (final) context.readyTimes.forget(packet.guid);
    context.events.emit("deliveryFailed", {
      ...refOf(packet),
      chain: kind,
      error: errorText(error),
      attempts: packet.attempts,
      final,
    });
    return final ? "failed" : "retry";
  } finally {
    await submitting;
  }
  context.crashPoint?.("confirmed");
  reportDuplicate(context, packet, sent, receipt);
  await recordDelivered(context, packet, receipt, () => context.crashPoint?.("delivered"));
  return "delivered";
}

/**
 * Delivers (executor) or confirms (others) one bounded batch of attested
 * packets, `deliverConcurrency` at a time (absent: one at a time): a
 * delivery waiting seconds for its confirmation does not hold back the rest.
 * An executor first asks each peer once for the whole batch's attestations.
 */
export function deliverBatch(context: PipelineContext): Promise<number> {
  return forEachLeased(
    context,
    ["attested", "delivering"],
    "deliver",
    async (packet) => {
      await deliverPacket(context, packet);
    },
    context.settings.deliverConcurrency ?? 1,
    context.executor ? (leased) => prefetchAttestations(context, leased) : undefined,
  );
}

/**
 * The deliveries (or, for a relayer that does not execute, confirmations)
 * a running loop has in flight, at most `limit` at once. Each starts as soon
 * as its packet is leased and a slot is free, and nothing but the delivery
 * itself waits for its confirmation: the loop goes on verifying, attesting
 * and starting others meanwhile.
 */
export class DeliveriesInFlight {
  readonly limit: number;
  readonly #running = new Map<Hex, Promise<void>>();
  readonly #onSettled: () => void;

  /** `onSettled`: a slot came free (the loop may start another). */
  constructor(limit: number, onSettled: () => void = () => undefined) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError("the deliveries in flight must be bounded by a positive integer");
    }
    this.limit = limit;
    this.#onSettled = onSettled;
  }

  get free(): number {
    return this.limit - this.#running.size;
  }

  /** The packets being delivered now (their leases are in use). */
  get guids(): Hex[] {
    return [...this.#running.keys()];
  }

  start(guid: Hex, delivery: Promise<void>): void {
    const running = delivery.finally(() => {
      this.#running.delete(guid);
      this.#onSettled();
    });
    this.#running.set(guid, running);
  }

  /** Resolves once every delivery in flight has settled. */
  async drained(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled(this.#running.values());
  }
}

/**
 * Leases as many attested packets as `inFlight` has free slots (at most a
 * batch) and starts their deliveries there; returns how many it started.
 * An executor's deliveries first ask each peer once for all their
 * attestations.
 */
export async function startDeliveries(
  context: PipelineContext,
  inFlight: DeliveriesInFlight,
): Promise<number> {
  const limit = Math.min(inFlight.free, context.settings.batchSize);
  if (limit <= 0) return 0;
  const leased = await leaseBatch(context, ["attested", "delivering"], "deliver", limit);
  // In flight too: the pass that leased them never waits for a peer's answer.
  const prefetched =
    context.executor && leased.length > 0
      ? prefetchAttestations(context, leased).catch((error: unknown) => {
          // Only a head start: each delivery gathers what it still lacks.
          context.onError(error, "deliver.prepare");
        })
      : Promise.resolve();
  for (const packet of leased) {
    inFlight.start(
      packet.guid,
      handleLeased(context, "deliver", packet, async (leasedPacket) => {
        await prefetched;
        await deliverPacket(context, leasedPacket);
      }),
    );
  }
  return leased.length;
}
