// Proves an observed packet before it is signed (DESIGN.md "Trust and
// verification"): the block is at or below the finalized head, its header and
// receipts are read through a quorum of endpoints that must agree, then
// proof.ts rebuilds the header hash and the receipt trie and finds the
// PacketSent log of the configured endpoint carrying exactly this packet.
//
// Definite answers come back as a VerificationResult. RPC trouble that says
// nothing about the packet (timeouts, too few endpoints answering) is thrown
// as `RpcError` / `RpcQuorumError`, for the pipeline to retry later.
import { decodePacket, type Packet, toHex } from "@loanbridge/shared";
import { getAddress } from "ethers";
import { LRUCache } from "lru-cache";
import { z } from "zod";
import type { ObservedPacket, PacketVerifier, VerificationResult } from "../types.ts";
import { assertFinality, type EvmFinality, finalizedHead } from "./finality.ts";
import { findPacketInReceipts, proveBlock } from "./proof.ts";
import {
  canonicalJson,
  type JsonRpc,
  RpcError,
  isMethodUnsupported,
  type RpcEndpoint,
  RpcDisagreementError,
  toQuantity,
} from "../rpc.ts";
import { type EvmBlock, blockSchema, type EvmReceipt, receiptSchema } from "./schemas.ts";

export interface EvmVerifierOptions {
  eid: number;
  rpc: JsonRpc;
  /** The source Endpoint contract. */
  endpoint: string;
  finality: EvmFinality;
  /** Parallel `eth_getTransactionReceipt` calls per endpoint without `eth_getBlockReceipts`. */
  receiptConcurrency?: number;
}

const blockOrNull = blockSchema.nullable();
const receiptsOrNull = z.array(receiptSchema).nullable();

type VerificationFailed = Exclude<VerificationResult, { ok: true }>;

/** A finalized block's receipts, proven against its header. */
interface ProvenBlock {
  ok: true;
  receipts: readonly EvmReceipt[];
}

/**
 * Proven blocks kept. A block's packets are observed together and verified
 * within seconds of each other, and each block holds all its receipts.
 */
const PROVEN_BLOCKS_KEPT = 16;

export class EvmPacketVerifier implements PacketVerifier {
  readonly eid: number;
  readonly #rpc: JsonRpc;
  readonly #endpoint: string;
  readonly #finality: EvmFinality;
  readonly #concurrency: number;
  /** The highest finalized head a quorum has reported. */
  #finalizedHead = -1n;
  readonly #provenBlocks = new LRUCache<bigint, Promise<ProvenBlock | VerificationFailed>>({
    max: PROVEN_BLOCKS_KEPT,
  });

  constructor(options: EvmVerifierOptions) {
    assertFinality(options.finality);
    this.eid = options.eid;
    this.#rpc = options.rpc;
    this.#endpoint = getAddress(options.endpoint);
    this.#finality = options.finality;
    this.#concurrency = options.receiptConcurrency ?? 8;
    if (!Number.isInteger(this.#concurrency) || this.#concurrency < 1) {
      throw new RangeError("receiptConcurrency must be a positive integer");
    }
  }

  async verify(observed: ObservedPacket): Promise<VerificationResult> {
    const claim = this.#checkClaim(observed);
    if (claim !== undefined) return claim;

    // Finality only moves up: a block at or below a head read before is final.
    if (observed.sourceHeight > this.#finalizedHead) {
      const head = await finalizedHead(this.#rpc, this.#finality);
      if (head > this.#finalizedHead) this.#finalizedHead = head;
      if (observed.sourceHeight > head) {
        return fail(
          "not_finalized",
          `block ${observed.sourceHeight} is above the finalized head ${head}`,
        );
      }
    }

    try {
      const block = await this.#provenBlock(observed.sourceHeight);
      if (!block.ok) return block;
      const { receipts } = block;
      const txIndex = receipts.findIndex(
        (receipt) => receipt.transactionHash.toLowerCase() === observed.sourceTx.toLowerCase(),
      );
      if (txIndex < 0) {
        return fail(
          "receipt_missing",
          `transaction ${observed.sourceTx} is not in block ${observed.sourceHeight}`,
        );
      }
      return findPacketInReceipts({
        receipts,
        txIndex,
        logIndex: observed.sourceIndex,
        endpoint: this.#endpoint,
        packet: observed.packet,
      });
    } catch (error) {
      if (error instanceof RpcDisagreementError) {
        return fail("rpc_disagreement", error.message);
      }
      throw error;
    }
  }

  /**
   * The finalized block at `height`, its header and receipts read through the
   * quorum and proven (proof.ts `proveBlock`). A finalized block does not
   * change, so one proof serves every packet in it: a busy source block
   * carries dozens, each of which would otherwise read all its receipts from
   * every endpoint and rebuild the trie. Packets of one block verified at once
   * share the one proof in flight. Only proven blocks are kept: a failure or
   * an RPC error is tried afresh by the next packet.
   */
  #provenBlock(height: bigint): Promise<ProvenBlock | VerificationFailed> {
    const kept = this.#provenBlocks.get(height);
    if (kept !== undefined) return kept;
    const proving = this.#proveBlock(height);
    this.#provenBlocks.set(height, proving);
    const forget = () => {
      if (this.#provenBlocks.peek(height) === proving) this.#provenBlocks.delete(height);
    };
    proving.then((block) => {
      if (!block.ok) forget();
    }, forget);
    return proving;
  }

  async #proveBlock(height: bigint): Promise<ProvenBlock | VerificationFailed> {
    const block = await this.#rpc.quorumRead("eth_getBlockByNumber", (endpoint) =>
      endpoint.call("eth_getBlockByNumber", [toQuantity(height), false], blockOrNull),
    );
    if (block === null) return fail("receipt_missing", `block ${height} not found`);
    if (BigInt(block.number) !== height) {
      return fail("header_hash_mismatch", `asked for block ${height}, got ${BigInt(block.number)}`);
    }
    const receipts = await this.#rpc.quorumRead(
      "block receipts",
      (endpoint) => this.#receiptsOf(endpoint, block),
      canonicalJson,
    );
    const proof = await proveBlock({ header: block, receipts });
    return proof.ok ? { ok: true, receipts } : proof;
  }

  /** The observation's own fields must match the packet it carries. */
  #checkClaim(observed: ObservedPacket): VerificationResult | undefined {
    let packet: Packet;
    try {
      packet = decodePacket(observed.packet);
    } catch (error) {
      return fail("malformed_packet", error instanceof Error ? error.message : String(error));
    }
    const mismatches = [
      packet.guid !== observed.guid.toLowerCase() ? "guid" : undefined,
      packet.srcEid !== observed.srcEid ? "srcEid" : undefined,
      packet.srcEid !== this.eid ? `srcEid (this endpoint is ${this.eid})` : undefined,
      packet.dstEid !== observed.dstEid ? "dstEid" : undefined,
      packet.nonce !== observed.nonce ? "nonce" : undefined,
    ].filter((field) => field !== undefined);
    if (mismatches.length > 0) {
      return fail(
        "malformed_packet",
        `packet ${toHex(observed.packet).slice(0, 20)}… disagrees on ${mismatches.join(", ")}`,
      );
    }
    if (!Number.isSafeInteger(observed.sourceIndex) || observed.sourceIndex < 0) {
      return fail("log_missing", `log index ${observed.sourceIndex} is not an index`);
    }
    return undefined;
  }

  /** One endpoint's receipts for `block`: eth_getBlockReceipts, else one call per transaction. */
  async #receiptsOf(endpoint: RpcEndpoint, block: EvmBlock): Promise<EvmReceipt[]> {
    let receipts: EvmReceipt[] | null | undefined;
    if (!endpoint.unsupported.has("eth_getBlockReceipts")) {
      try {
        receipts = await endpoint.call("eth_getBlockReceipts", [block.hash], receiptsOrNull);
      } catch (error) {
        if (!isMethodUnsupported(error)) throw error;
        endpoint.unsupported.add("eth_getBlockReceipts");
      }
    }
    if (receipts === undefined) {
      receipts = await mapLimit(block.transactions, this.#concurrency, async (hash) => {
        const receipt = await endpoint.call(
          "eth_getTransactionReceipt",
          [hash],
          receiptSchema.nullable(),
        );
        if (receipt === null) throw invalid(endpoint, `no receipt for ${hash}`);
        return receipt;
      });
    }
    if (receipts === null) throw invalid(endpoint, `no receipts for block ${block.hash}`);
    for (const receipt of receipts) {
      if (receipt.blockHash.toLowerCase() !== block.hash.toLowerCase()) {
        throw invalid(endpoint, `receipt ${receipt.transactionHash} is from another block`);
      }
    }
    return receipts;
  }
}

function invalid(endpoint: RpcEndpoint, message: string): RpcError {
  return new RpcError(message, {
    method: "block receipts",
    url: endpoint.label,
    kind: "invalid_response",
  });
}

function fail(reason: VerificationFailed["reason"], detail: string): VerificationFailed {
  return { ok: false, reason, detail };
}

async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
