// Reads the source endpoint's PacketSent logs up to the finalized head, one
// bounded `eth_getLogs` range per poll. The range adapts: halved when a
// provider refuses it (block-range or result limits, timeouts), grown back
// by a quarter after each full-range success, within [min, max].
//
// getLogs decides what exists, so it is read by quorum: one provider can
// neither hide a packet (the others outvote it) nor add one (a log is only a
// hint anyway: the verifier proves it before anything is signed, and the
// store keeps a conflicting hint aside instead of letting it occupy a guid).
// The nonces cross-check what the quorum said: per path (app, dstEid,
// receiver) the endpoint numbers packets 1, 2, 3…, and after each range its
// `outboundNonce` at the range's last block (read by quorum) says how many
// there are; every nonce up to it that no log showed is a gap.
import { decodePacket, wireToEvmAddress } from "@loanbridge/shared";
import { getAddress } from "ethers";
import { z } from "zod";
import type {
  NonceGap,
  ObservedPacket,
  OutboundPath,
  PacketWatcher,
  PathCursor,
  WatchBatch,
  WatchState,
} from "../types.ts";
import { endpointInterface } from "./endpointAbi.ts";
import { assertFinality, type EvmFinality, finalizedHead } from "./finality.ts";
import { decodePacketSent, PACKET_SENT_TOPIC } from "./proof.ts";
import { canonicalJson, type JsonRpc, RpcError, RpcQuorumError, toQuantity } from "../rpc.ts";
import { type EvmLog, hexSchema, logSchema } from "./schemas.ts";

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

/** Gaps listed per path and poll at most (a counter far ahead is one alert, not a flood). */
const MAX_GAPS_PER_PATH = 1_000n;

const pathKey = (path: OutboundPath) => `${path.app}:${path.dstEid}:${path.receiver}`;

/** What two providers' logs must agree on: the consensus fields, in one spelling. */
function canonicalLogs(logs: readonly EvmLog[]): string {
  return canonicalJson(
    logs
      .filter((log) => log.removed !== true)
      .map((log) => ({
        address: log.address.toLowerCase(),
        topics: log.topics.map((topic) => topic.toLowerCase()),
        data: log.data.toLowerCase(),
        logIndex: BigInt(log.logIndex),
        blockNumber: BigInt(log.blockNumber),
        blockHash: log.blockHash.toLowerCase(),
        transactionHash: log.transactionHash.toLowerCase(),
      })),
  );
}

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

  async poll(cursor: bigint, state?: WatchState): Promise<WatchBatch> {
    const head = await finalizedHead(this.#rpc, this.#finality);
    const from = cursor + 1n;
    if (from > head) return { packets: [], scannedTo: cursor, finalizedHead: head };

    for (;;) {
      const span = BigInt(this.#range);
      const to = from + span - 1n < head ? from + span - 1n : head;
      let logs: EvmLog[];
      try {
        const filter = {
          address: this.#endpoint,
          topics: [PACKET_SENT_TOPIC],
          fromBlock: toQuantity(from),
          toBlock: toQuantity(to),
        };
        logs = await this.#rpc.quorumRead(
          "eth_getLogs",
          (endpoint) => endpoint.call("eth_getLogs", [filter], logsSchema),
          canonicalLogs,
        );
      } catch (error) {
        const limited =
          isRangeLimitError(error) ||
          (error instanceof RpcQuorumError && error.errors.some(isRangeLimitError));
        if (limited && this.#range > this.#min) {
          this.#range = Math.max(this.#min, Math.floor(this.#range / 2));
          continue;
        }
        throw error;
      }
      if (to - from + 1n === span) {
        this.#range = Math.min(this.#max, Math.ceil(this.#range * 1.25));
      }
      const packets = this.#packetsOf(logs, from, to);
      const { paths, gaps } = await this.#nonces(packets, state?.paths ?? [], to);
      const held = await this.#holdForGaps(gaps, from, to);
      return {
        packets,
        scannedTo: held.scannedTo,
        finalizedHead: head,
        // A held path stays before its first gap, so the gap is found again.
        paths: paths.map((cursor) => held.paths.get(pathKey(cursor)) ?? cursor),
        gaps,
      };
    }
  }

  /**
   * A nonce used within [from, to] whose log did not show (a gap the blocks
   * could still show, unlike one used before `from` on a path seen for the
   * first time) holds the block cursor before the earliest block where such
   * a nonce was used, and its path's cursor before that nonce: those blocks
   * are read again next poll and a packet hidden by an endpoint is never
   * passed by (the source waits; the gap alert says why). The block is found
   * by bisecting the endpoint's counter; a node without historical state
   * cannot say, and the cursor moves on with the gap recorded.
   */
  async #holdForGaps(
    gaps: readonly NonceGap[],
    from: bigint,
    to: bigint,
  ): Promise<{ scannedTo: bigint; paths: Map<string, PathCursor> }> {
    const firstByPath = new Map<string, NonceGap>();
    for (const gap of gaps) {
      const first = firstByPath.get(pathKey(gap));
      if (first === undefined || gap.nonce < first.nonce) firstByPath.set(pathKey(gap), gap);
    }
    let scannedTo = to;
    const paths = new Map<string, PathCursor>();
    for (const [key, first] of firstByPath) {
      const before = await this.#outboundNonce(first, from - 1n);
      if (before === undefined) continue;
      const inRange = gaps
        .filter((gap) => pathKey(gap) === key && gap.nonce > before)
        .reduce<bigint | undefined>(
          (min, gap) => (min === undefined || gap.nonce < min ? gap.nonce : min),
          undefined,
        );
      if (inRange === undefined) continue;
      let [low, high] = [from, to];
      while (low < high) {
        const middle = (low + high) / 2n;
        const counter = await this.#outboundNonce(first, middle);
        if (counter === undefined) break;
        if (counter >= inRange) high = middle;
        else low = middle + 1n;
      }
      if (low !== high) continue;
      if (low - 1n < scannedTo) scannedTo = low - 1n;
      paths.set(key, {
        app: first.app,
        dstEid: first.dstEid,
        receiver: first.receiver,
        nonce: inRange - 1n,
      });
    }
    return { scannedTo, paths };
  }

  /**
   * Per path seen before or in this range: the endpoint's counter at `to`,
   * the nonces up to it no log showed (gaps), and the path cursor moved to it.
   */
  async #nonces(
    packets: readonly ObservedPacket[],
    known: readonly PathCursor[],
    to: bigint,
  ): Promise<{ paths: PathCursor[]; gaps: NonceGap[] }> {
    const paths = new Map<string, { path: OutboundPath; from: bigint; seen: Set<bigint> }>();
    for (const cursor of known) {
      paths.set(pathKey(cursor), { path: cursor, from: cursor.nonce, seen: new Set() });
    }
    for (const observed of packets) {
      const { sender, receiver } = decodePacket(observed.packet);
      const path = { app: sender, dstEid: observed.dstEid, receiver };
      const key = pathKey(path);
      const entry = paths.get(key) ?? { path, from: 0n, seen: new Set<bigint>() };
      entry.seen.add(observed.nonce);
      paths.set(key, entry);
    }
    const moved: PathCursor[] = [];
    const gaps: NonceGap[] = [];
    for (const { path, from, seen } of paths.values()) {
      // A node without that block's state answers nothing: then the logs alone tell.
      const counter =
        (await this.#outboundNonce(path, to)) ??
        [...seen].reduce((highest, nonce) => (nonce > highest ? nonce : highest), from);
      if (counter <= from) continue;
      const last = counter - from > MAX_GAPS_PER_PATH ? from + MAX_GAPS_PER_PATH : counter;
      for (let nonce = from + 1n; nonce <= last; nonce++) {
        if (!seen.has(nonce)) {
          gaps.push({ ...path, nonce, reason: `no PacketSent log up to block ${to}` });
        }
      }
      moved.push({ ...path, nonce: counter });
    }
    return { paths: moved, gaps };
  }

  /**
   * `outboundNonce(app, dstEid, receiver)` at block `at`, by quorum; undefined
   * when the node returns no data (some dev nodes keep no state for blocks
   * they mined in bulk).
   */
  async #outboundNonce(path: OutboundPath, at: bigint): Promise<bigint | undefined> {
    const data = endpointInterface.encodeFunctionData("outboundNonce", [
      wireToEvmAddress(path.app),
      path.dstEid,
      path.receiver,
    ]);
    const answer = await this.#rpc.quorum(
      "eth_call",
      [{ to: this.#endpoint, data }, toQuantity(at)],
      hexSchema,
    );
    if (answer === "0x") return undefined;
    const [nonce] = endpointInterface.decodeFunctionResult("outboundNonce", answer) as unknown as [
      bigint,
    ];
    return nonce;
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
