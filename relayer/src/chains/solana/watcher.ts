// Reads the program's finalized transactions from a slot cursor and takes
// the packets `send` logged. `getSignaturesForAddress` pages from the newest
// signature back to the cursor; a poll hands out at most `maxTransactions`
// transactions, always whole slots, so the cursor never splits a slot.
//
// Reads go by failover, not quorum: the verifier proves every packet against
// its outbound packet account (read by quorum) before anything is signed.
import { decodePacket } from "@loanbridge/shared";
import type { ObservedPacket, PacketWatcher, WatchBatch } from "../types.ts";
import type { JsonRpc } from "../rpc.ts";
import { programData } from "./logs.ts";
import {
  type Commitment,
  type SignatureInfo,
  signaturesSchema,
  slotSchema,
  transactionSchema,
} from "./schemas.ts";
import { SolanaChainError } from "./errors.ts";

export interface SolanaWatcherOptions {
  eid: number;
  rpc: JsonRpc;
  /** The loanbridge program. */
  programId: string;
  /** `finalized` in production; `confirmed` only on dev chains. */
  commitment: Commitment;
  /** Most transactions per poll (whole slots: the last slot may add more). Default 100. */
  maxTransactions?: number;
  /** Signatures per `getSignaturesForAddress` page. Default 1,000 (the RPC's maximum). */
  pageSize?: number;
  /** Program data that is not a packet from this chain (never expected). */
  onSkipped?: (signature: string, reason: string) => void;
}

export class SolanaPacketWatcher implements PacketWatcher {
  readonly eid: number;
  readonly #rpc: JsonRpc;
  readonly #programId: string;
  readonly #commitment: Commitment;
  readonly #maxTransactions: number;
  readonly #pageSize: number;
  readonly #onSkipped: NonNullable<SolanaWatcherOptions["onSkipped"]>;

  constructor(options: SolanaWatcherOptions) {
    this.eid = options.eid;
    this.#rpc = options.rpc;
    this.#programId = options.programId;
    this.#commitment = options.commitment;
    this.#maxTransactions = options.maxTransactions ?? 100;
    this.#pageSize = options.pageSize ?? 1_000;
    this.#onSkipped = options.onSkipped ?? (() => undefined);
  }

  async poll(cursor: bigint): Promise<WatchBatch> {
    const head = await this.#rpc.request("getSlot", [{ commitment: this.#commitment }], slotSchema);
    if (head <= cursor) return { packets: [], scannedTo: cursor, finalizedHead: head };
    const signatures = await this.#signaturesAfter(cursor, head);
    const { batch, scannedTo } = wholeSlots(signatures, this.#maxTransactions, head);
    const packets: ObservedPacket[] = [];
    for (const info of batch) {
      if (info.err !== null) continue;
      packets.push(...(await this.#packetsOf(info)));
    }
    return { packets, scannedTo, finalizedHead: head };
  }

  /** Successful and failed signatures in (cursor, head], oldest first. */
  async #signaturesAfter(cursor: bigint, head: bigint): Promise<SignatureInfo[]> {
    const found: SignatureInfo[] = [];
    let before: string | undefined;
    for (;;) {
      const page = await this.#rpc.request(
        "getSignaturesForAddress",
        [
          this.#programId,
          {
            commitment: this.#commitment,
            limit: this.#pageSize,
            ...(before !== undefined && { before }),
          },
        ],
        signaturesSchema,
      );
      for (const info of page) {
        if (info.slot <= cursor) return found.reverse();
        if (info.slot <= head) found.push(info);
      }
      const last = page.at(-1);
      if (page.length < this.#pageSize || last === undefined) return found.reverse();
      before = last.signature;
    }
  }

  async #packetsOf(info: SignatureInfo): Promise<ObservedPacket[]> {
    const transaction = await this.#rpc.request(
      "getTransaction",
      [
        info.signature,
        { commitment: this.#commitment, encoding: "json", maxSupportedTransactionVersion: 0 },
      ],
      transactionSchema,
    );
    if (transaction?.meta == null) {
      // Listed at this commitment but not readable: try the same slots again next poll.
      throw new SolanaChainError(`transaction ${info.signature} is not available yet`);
    }
    const data = programData(transaction.meta.logMessages ?? [], this.#programId);
    const packets: ObservedPacket[] = [];
    data.forEach((bytes, index) => {
      let packet;
      try {
        packet = decodePacket(bytes);
      } catch (error) {
        this.#onSkipped(info.signature, `not a packet: ${String(error)}`);
        return;
      }
      if (packet.srcEid !== this.eid) {
        this.#onSkipped(info.signature, `srcEid ${packet.srcEid}, this chain is ${this.eid}`);
        return;
      }
      packets.push({
        packet: bytes,
        guid: packet.guid,
        srcEid: packet.srcEid,
        dstEid: packet.dstEid,
        nonce: packet.nonce,
        sourceTx: info.signature,
        sourceHeight: transaction.slot,
        sourceIndex: index,
      });
    });
    return packets;
  }
}

/**
 * The first signatures up to `max`, extended to the end of the last slot
 * taken; `scannedTo` is that slot, or `head` when everything was taken.
 */
export function wholeSlots(
  signatures: readonly SignatureInfo[],
  max: number,
  head: bigint,
): { batch: SignatureInfo[]; scannedTo: bigint } {
  if (signatures.length <= max) return { batch: [...signatures], scannedTo: head };
  const lastSlot = signatures[max - 1]?.slot ?? head;
  const batch = signatures.filter((info) => info.slot <= lastSlot);
  return { batch, scannedTo: lastSlot };
}
