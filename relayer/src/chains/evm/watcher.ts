// Reads the source endpoint's PacketSent logs up to the finalized head, one
// bounded `eth_getLogs` range per poll. The range adapts: halved when a
// provider refuses it (block-range or result limits, timeouts), grown back
// by a quarter after each full-range success, within [min, max].
//
// getLogs goes by failover, not quorum: whatever it returns is proven again
// by the verifier before anything is signed.
import { getAddress } from "ethers";
import { z } from "zod";
import type { ObservedPacket, PacketWatcher, WatchBatch } from "../types.ts";
import { assertFinality, type EvmFinality, finalizedHead } from "./finality.ts";
import { decodePacketSent, PACKET_SENT_TOPIC } from "./proof.ts";
import { type JsonRpc, RpcError, toQuantity } from "../rpc.ts";
import { type EvmLog, logSchema } from "./schemas.ts";

export interface EvmWatcherOptions {
  eid: number;
  rpc: JsonRpc;
  /** The source Endpoint contract. */
  endpoint: string;
  finality: EvmFinality;
  /** Blocks per `eth_getLogs`. Defaults: start 2,000, min 1, max 10,000. */
  range?: { initial?: number; min?: number; max?: number };
  /** A log at the endpoint's address that is not a well-formed PacketSent (never expected). */
  onSkippedLog?: (log: EvmLog, reason: string) => void;
}

const logsSchema = z.array(logSchema);

/** Whether an `eth_getLogs` failure means "ask for fewer blocks". */
export function isRangeLimitError(error: unknown): boolean {
  if (!(error instanceof RpcError)) return false;
  if (error.kind === "timeout") return true;
  if (error.kind !== "rpc_error") return false;
  // -32005 limit exceeded (EIP-1474); providers use many codes, so also read the words.
  if (error.code === -32005) return true;
  return /range|limit|too many|too large|exceed|max(imum)? .*block|response size|results|query timeout/i.test(
    error.shortMessage,
  );
}

export class EvmPacketWatcher implements PacketWatcher {
  readonly eid: number;
  readonly #rpc: JsonRpc;
  readonly #endpoint: string;
  readonly #finality: EvmFinality;
  readonly #min: number;
  readonly #max: number;
  readonly #onSkippedLog: EvmWatcherOptions["onSkippedLog"];
  #range: number;

  constructor(options: EvmWatcherOptions) {
    assertFinality(options.finality);
    this.eid = options.eid;
    this.#rpc = options.rpc;
    this.#endpoint = getAddress(options.endpoint);
    this.#finality = options.finality;
    this.#onSkippedLog = options.onSkippedLog;
    this.#min = options.range?.min ?? 1;
    this.#max = options.range?.max ?? 10_000;
    const initial = options.range?.initial ?? Math.min(2_000, this.#max);
    if (
      !Number.isInteger(this.#min) ||
      this.#min < 1 ||
      this.#max < this.#min ||
      initial < this.#min ||
      initial > this.#max
    ) {
      throw new RangeError(`watcher range needs 1 ≤ min ≤ initial ≤ max`);
    }
    this.#range = initial;
  }

  /** The current `eth_getLogs` span in blocks (for metrics and tests). */
  get range(): number {
    return this.#range;
  }

  async poll(cursor: bigint): Promise<WatchBatch> {
    const head = await finalizedHead(this.#rpc, this.#finality);
    const from = cursor + 1n;
    if (from > head) return { packets: [], scannedTo: cursor, finalizedHead: head };

    for (;;) {
      const span = BigInt(this.#range);
      const to = from + span - 1n < head ? from + span - 1n : head;
      let logs: EvmLog[];
      try {
        logs = await this.#rpc.request(
          "eth_getLogs",
          [
            {
              address: this.#endpoint,
              topics: [PACKET_SENT_TOPIC],
              fromBlock: toQuantity(from),
              toBlock: toQuantity(to),
            },
          ],
          logsSchema,
        );
      } catch (error) {
        if (isRangeLimitError(error) && this.#range > this.#min) {
          this.#range = Math.max(this.#min, Math.floor(this.#range / 2));
          continue;
        }
        throw error;
      }
      if (to - from + 1n === span) {
        this.#range = Math.min(this.#max, Math.ceil(this.#range * 1.25));
      }
      return { packets: this.#packetsOf(logs, from, to), scannedTo: to, finalizedHead: head };
    }
  }

  #packetsOf(logs: readonly EvmLog[], from: bigint, to: bigint): ObservedPacket[] {
    const packets: { order: bigint; observed: ObservedPacket }[] = [];
    for (const log of logs) {
      const height = BigInt(log.blockNumber);
      // A provider that answers outside the filter is ignored, not trusted.
      if (
        log.removed === true ||
        getAddress(log.address) !== this.#endpoint ||
        log.topics[0]?.toLowerCase() !== PACKET_SENT_TOPIC ||
        height < from ||
        height > to
      ) {
        continue;
      }
      let decoded: ReturnType<typeof decodePacketSent>;
      try {
        decoded = decodePacketSent(log);
      } catch (error) {
        this.#onSkippedLog?.(log, error instanceof Error ? error.message : String(error));
        continue;
      }
      const { packet } = decoded;
      const logIndex = Number(BigInt(log.logIndex));
      packets.push({
        order: (height << 32n) | BigInt(logIndex),
        observed: {
          packet: decoded.log.packet,
          guid: packet.guid,
          srcEid: packet.srcEid,
          dstEid: packet.dstEid,
          nonce: packet.nonce,
          sourceTx: log.transactionHash.toLowerCase(),
          sourceHeight: height,
          sourceIndex: logIndex,
        },
      });
    }
    packets.sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
    return packets.map(({ observed }) => observed);
  }
}
