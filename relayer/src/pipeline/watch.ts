// Stage 1, watch: read finalized packets from each source from its stored
// cursors (height, and per outbound path the last nonce read), record them
// as claims for the verifier to prove (a claim contradicting a recorded one
// is held aside, never an error: see Store.recordObserved),
// record the nonce gaps the watcher found and close those its packets fill,
// and only then move the cursors (a crash in between reads the same blocks
// and nonces again; recording is idempotent).
import { decodePacket } from "@loanbridge/shared";
import type { PacketWatcher } from "../chains/types.ts";
import { kindOf, type PipelineContext } from "./context.ts";
import { StoreError } from "../store/errors.ts";
import type { ClaimOutcome } from "../store/store.ts";

export interface WatchResult {
  eid: number;
  observed: number;
  cursor: bigint;
  finalizedHead: bigint;
}

/** One bounded poll of one source. */
export async function watchSource(
  context: PipelineContext,
  watcher: PacketWatcher,
): Promise<WatchResult> {
  const { store, events } = context;
  const chain = kindOf(context, watcher.eid);
  const from = (await store.getCursor(watcher.eid)) ?? context.startHeights.get(watcher.eid) ?? 0n;
  const batch = await watcher.poll(from, await store.getWatchState(watcher.eid));
  events.emit("headAdvanced", { chain, eid: watcher.eid, height: batch.finalizedHead });
  let observed = 0;
  for (const packet of batch.packets) {
    let outcome: ClaimOutcome;
    try {
      ({ outcome } = await store.recordObserved(packet));
    } catch (error) {
      // One item the store refuses outright (not a key) is skipped and
      // reported; anything else (the store down) stops the batch before the
      // cursor moves, so it is read again.
      if (!(error instanceof StoreError) || error.code !== "InvalidInput") throw error;
      context.onError(error, `watch.${watcher.eid}`, packet.guid);
      continue;
    }
    if (outcome === "created" || outcome === "replaced") {
      observed++;
      events.emit("packetObserved", {
        guid: packet.guid,
        srcEid: packet.srcEid,
        dstEid: packet.dstEid,
        nonce: packet.nonce,
        sourceTx: packet.sourceTx,
        sourceHeight: packet.sourceHeight,
      });
    }
    if (outcome !== "created" && outcome !== "known") {
      events.emit("claimContradicted", {
        chain,
        guid: packet.guid,
        srcEid: packet.srcEid,
        sourceTx: packet.sourceTx,
        sourceIndex: packet.sourceIndex,
        outcome,
      });
    }
  }
  if (observed > 0) context.crashPoint?.("observed");
  await store.closeGaps(
    watcher.eid,
    batch.packets.map(({ packet, nonce, dstEid }) => {
      const { sender, receiver } = decodePacket(packet);
      return { app: sender, dstEid, receiver, nonce };
    }),
  );
  for (const gap of await store.recordGaps(watcher.eid, batch.gaps ?? [])) {
    events.emit("nonceGapDetected", { ...gap, chain, srcEid: watcher.eid });
  }
  for (const closed of batch.closed ?? []) {
    events.emit("closedPacketPassed", { ...closed, chain, srcEid: watcher.eid });
  }
  await store.advancePaths(watcher.eid, batch.paths ?? []);
  events.emit("nonceGapsCounted", {
    chain,
    srcEid: watcher.eid,
    paths: await store.countGaps(watcher.eid),
  });
  const cursor =
    batch.scannedTo > from ? await store.setCursor(watcher.eid, batch.scannedTo) : from;
  if (cursor > from) {
    events.emit("cursorAdvanced", { chain, eid: watcher.eid, height: cursor });
    if (observed > 0) context.crashPoint?.("cursor-moved");
  }
  return { eid: watcher.eid, observed, cursor, finalizedHead: batch.finalizedHead };
}

/**
 * Polls every source once; one source's failure does not hold up the
 * others. A source whose polls keep failing is skipped until its pause
 * (context.backoff) is over.
 */
export async function watchAll(context: PipelineContext): Promise<WatchResult[]> {
  const results: WatchResult[] = [];
  for (const watcher of context.chains.watchers) {
    const key = `watch.${watcher.eid}`;
    if (context.backoff?.due(key) === false) continue;
    try {
      results.push(await watchSource(context, watcher));
      context.backoff?.succeeded(key);
    } catch (error) {
      context.backoff?.failed(key);
      context.onError(error, key);
    }
  }
  return results;
}
