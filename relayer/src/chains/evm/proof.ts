// Proving a packet against a block, with no I/O: the header must hash to the
// block hash, the receipts must rebuild the header's receiptsRoot, and the
// log at the claimed position must be a PacketSent from the configured
// endpoint carrying exactly the observed packet. What an RPC says about a
// block is trusted only as far as these hashes bind it.
import { createMPT } from "@ethereumjs/mpt";
import { RLP } from "@ethereumjs/rlp";
import { BaseError, decodePacket, type Hex, type Packet, toBytes, toHex } from "@loanbridge/shared";
import { AbiCoder, getAddress, getBytes, id, keccak256, toBeArray, zeroPadValue } from "ethers";
import type { VerificationResult } from "../types.ts";
import type { EvmBlockHeader, EvmReceipt } from "./schemas.ts";

/** topic0 of `PacketSent(bytes packet, bytes32 indexed guid, uint32 indexed dstEid, address indexed sender, uint64 nonce)`. */
export const PACKET_SENT_TOPIC = id("PacketSent(bytes,bytes32,uint32,address,uint64)") as Hex;

/**
 * Header fields in RLP order. Optional fields belong to later forks and each
 * fork keeps all earlier ones, so a present field needs every field before it.
 */
const OPTIONAL_FIELDS = [
  "baseFeePerGas", // London
  "withdrawalsRoot", // Shanghai
  "blobGasUsed", // Cancun
  "excessBlobGas", // Cancun
  "parentBeaconBlockRoot", // Cancun
  "requestsHash", // Prague
] as const;

const QUANTITY_FIELDS = new Set<string>([
  "difficulty",
  "number",
  "gasLimit",
  "gasUsed",
  "timestamp",
  "baseFeePerGas",
  "blobGasUsed",
  "excessBlobGas",
]);

export class EvmProofError extends BaseError {
  override name = "EvmProofError";
}

const quantityBytes = (value: string): Uint8Array => toBeArray(BigInt(value));

/** The header's RLP list items, for its fork (by which optional fields are present). */
export function headerFields(header: EvmBlockHeader): Uint8Array[] {
  const fixed = [
    header.parentHash,
    header.sha3Uncles,
    header.miner,
    header.stateRoot,
    header.transactionsRoot,
    header.receiptsRoot,
    header.logsBloom,
    quantityBytes(header.difficulty),
    quantityBytes(header.number),
    quantityBytes(header.gasLimit),
    quantityBytes(header.gasUsed),
    quantityBytes(header.timestamp),
    header.extraData,
    header.mixHash,
    header.nonce,
  ].map((field) => (typeof field === "string" ? getBytes(field) : field));
  let missing: string | undefined;
  for (const name of OPTIONAL_FIELDS) {
    const value = header[name];
    if (value === undefined) {
      missing ??= name;
      continue;
    }
    if (missing !== undefined) {
      throw new EvmProofError(`header has ${name} but not the earlier fork's ${missing}`);
    }
    fixed.push(QUANTITY_FIELDS.has(name) ? quantityBytes(value) : getBytes(value));
  }
  return fixed;
}

/** keccak256 of the RLP-encoded header: must equal the block hash. */
export function headerHash(header: EvmBlockHeader): Hex {
  return keccak256(RLP.encode(headerFields(header))) as Hex;
}

/**
 * A receipt as the receipt trie stores it: `type ‖ rlp([status, cumulativeGasUsed,
 * logsBloom, logs])`, without the type byte for legacy (type 0) receipts.
 */
export function encodeReceipt(receipt: EvmReceipt): Uint8Array {
  let outcome: Uint8Array;
  if (receipt.status !== undefined) {
    outcome = quantityBytes(receipt.status);
  } else if (receipt.root !== undefined) {
    outcome = getBytes(receipt.root);
  } else {
    throw new EvmProofError(`receipt ${receipt.transactionHash} has neither status nor root`);
  }
  const body = RLP.encode([
    outcome,
    quantityBytes(receipt.cumulativeGasUsed),
    getBytes(receipt.logsBloom),
    receipt.logs.map((log) => [
      getBytes(log.address),
      log.topics.map((topic) => getBytes(topic)),
      getBytes(log.data),
    ]),
  ]);
  const type = receipt.type === undefined ? 0 : Number(BigInt(receipt.type));
  if (type === 0) return body;
  if (type > 0x7f) throw new EvmProofError(`receipt type ${type} is not an EIP-2718 type`);
  const typed = new Uint8Array(body.length + 1);
  typed[0] = type;
  typed.set(body, 1);
  return typed;
}

/**
 * The root of the trie `rlp(i) → encodeReceipt(receipts[i])`. The receipts must
 * be the block's, in order: each one's transactionIndex is its position.
 */
export async function receiptsRoot(receipts: readonly EvmReceipt[]): Promise<Hex> {
  const trie = await createMPT();
  for (const [i, receipt] of receipts.entries()) {
    if (BigInt(receipt.transactionIndex) !== BigInt(i)) {
      throw new EvmProofError(
        `receipt at position ${i} has transactionIndex ${BigInt(receipt.transactionIndex)}`,
      );
    }
    await trie.put(RLP.encode(i), encodeReceipt(receipt));
  }
  return toHex(trie.root());
}

/** A PacketSent log's fields: the packet from the data, the rest from the topics. */
export interface PacketSentLog {
  packet: Uint8Array;
  guid: Hex;
  dstEid: number;
  sender: string;
  nonce: bigint;
}

const abi = AbiCoder.defaultAbiCoder();

/**
 * Decodes a PacketSent log (topics and data) and checks the indexed fields
 * against the packet they index. Throws `EvmProofError` when anything is off.
 */
export function decodePacketSent(log: { topics: readonly string[]; data: string }): {
  log: PacketSentLog;
  packet: Packet;
} {
  const [topic0, guidTopic, dstEidTopic, senderTopic, ...extra] = log.topics;
  if (topic0?.toLowerCase() !== PACKET_SENT_TOPIC || extra.length > 0) {
    throw new EvmProofError("not a PacketSent log");
  }
  if (guidTopic === undefined || dstEidTopic === undefined || senderTopic === undefined) {
    throw new EvmProofError("PacketSent log without its three indexed topics");
  }
  let packetBytes: Uint8Array;
  let nonce: bigint;
  try {
    const [packetHex, nonceValue] = abi.decode(["bytes", "uint64"], log.data) as unknown as [
      string,
      bigint,
    ];
    packetBytes = getBytes(packetHex);
    nonce = nonceValue;
    // The data must be exactly the canonical encoding: nothing appended or altered.
    if (abi.encode(["bytes", "uint64"], [packetBytes, nonce]) !== log.data.toLowerCase()) {
      throw new EvmProofError("PacketSent data is not canonically encoded");
    }
  } catch (cause) {
    throw new EvmProofError(`PacketSent data does not decode: ${describe(cause)}`);
  }
  let packet: Packet;
  try {
    packet = decodePacket(packetBytes);
  } catch (cause) {
    throw new EvmProofError(`PacketSent carries a malformed packet: ${describe(cause)}`);
  }
  const dstEid = BigInt(dstEidTopic);
  const sender = `0x${senderTopic.slice(-40)}`;
  if (
    guidTopic.toLowerCase() !== packet.guid ||
    dstEid !== BigInt(packet.dstEid) ||
    nonce !== packet.nonce ||
    zeroPadValue(sender, 32).toLowerCase() !== senderTopic.toLowerCase() ||
    zeroPadValue(sender, 32).toLowerCase() !== packet.sender
  ) {
    throw new EvmProofError("PacketSent topics do not match the packet they index");
  }
  return {
    log: {
      packet: packetBytes,
      guid: packet.guid,
      dstEid: packet.dstEid,
      sender: getAddress(sender),
      nonce,
    },
    packet,
  };
}

/** A block's header and receipts, as an RPC gave them. */
export interface BlockProofInput {
  header: EvmBlockHeader;
  /** The block's receipts, in transaction order. */
  receipts: readonly EvmReceipt[];
}

/** Where a packet is claimed to be in a proven block, and what it must be. */
export interface PacketInReceiptsInput {
  /** The block's receipts, proven by `proveBlock`. */
  receipts: readonly EvmReceipt[];
  /** Position of the sending transaction in the block. */
  txIndex: number;
  /** Block-wide index of the PacketSent log (as eth_getLogs reports it). */
  logIndex: number;
  /** The configured source endpoint. */
  endpoint: string;
  /** The packet as observed, byte for byte. */
  packet: Uint8Array;
}

export type PacketProofInput = BlockProofInput & PacketInReceiptsInput;

const fail = (reason: Exclude<VerificationResult, { ok: true }>["reason"], detail: string) =>
  ({ ok: false, reason, detail }) as const;

/**
 * Proves `packet` was emitted by `endpoint` in the block `header` describes,
 * from the header and receipts alone: `proveBlock`, then `findPacketInReceipts`.
 */
export async function verifyPacketInBlock(input: PacketProofInput): Promise<VerificationResult> {
  const block = await proveBlock(input);
  return block.ok ? findPacketInReceipts(input) : block;
}

/**
 * Proves that `receipts` are the receipts of the block `header` describes:
 * the header hashes to its block hash and the receipts rebuild its
 * receiptsRoot. Every packet of the block is then checked against them.
 */
export async function proveBlock({
  header,
  receipts,
}: BlockProofInput): Promise<VerificationResult> {
  let computedHash: Hex;
  try {
    computedHash = headerHash(header);
  } catch (cause) {
    return fail("header_hash_mismatch", `header does not encode: ${describe(cause)}`);
  }
  if (computedHash !== header.hash.toLowerCase()) {
    return fail(
      "header_hash_mismatch",
      `header of block ${BigInt(header.number)} hashes to ${computedHash}, not ${header.hash}`,
    );
  }

  let root: Hex;
  try {
    root = await receiptsRoot(receipts);
  } catch (cause) {
    return fail("receipts_root_mismatch", `receipts do not encode: ${describe(cause)}`);
  }
  if (root !== header.receiptsRoot.toLowerCase()) {
    return fail(
      "receipts_root_mismatch",
      `${receipts.length} receipts build root ${root}, header has ${header.receiptsRoot}`,
    );
  }
  return { ok: true };
}

/**
 * Finds the PacketSent log at the claimed position of proven receipts and
 * checks it: emitted by `endpoint` in a successful transaction, carrying
 * exactly `packet`. Block-wide log indexes are counted from the receipts
 * (the `logIndex` fields an RPC adds are not part of the trie).
 */
export function findPacketInReceipts(input: PacketInReceiptsInput): VerificationResult {
  const { receipts, txIndex, logIndex, endpoint, packet } = input;
  const receipt = receipts[txIndex];
  if (receipt === undefined) {
    return fail("receipt_missing", `block has ${receipts.length} receipts, none at ${txIndex}`);
  }
  const before = receipts.slice(0, txIndex).reduce((sum, r) => sum + r.logs.length, 0);
  const log = receipt.logs[logIndex - before];
  if (logIndex < before || log === undefined) {
    return fail(
      "log_missing",
      `transaction ${txIndex} holds block logs ${before}..${before + receipt.logs.length - 1}, not ${logIndex}`,
    );
  }
  if (receipt.status !== undefined && BigInt(receipt.status) !== 1n) {
    return fail("log_missing", `transaction ${txIndex} reverted`);
  }
  if (getAddress(log.address) !== getAddress(endpoint)) {
    return fail("wrong_emitter", `log ${logIndex} comes from ${getAddress(log.address)}`);
  }

  if (log.topics[0]?.toLowerCase() !== PACKET_SENT_TOPIC) {
    return fail("log_missing", `log ${logIndex} is not a PacketSent`);
  }
  let emitted: PacketSentLog;
  try {
    emitted = decodePacketSent(log).log;
  } catch (cause) {
    return fail("malformed_packet", `log ${logIndex}: ${describe(cause)}`);
  }
  const observed = toHex(packet);
  if (toHex(emitted.packet) !== observed) {
    return fail(
      "packet_hash_mismatch",
      `log ${logIndex} carries packet ${keccak256(emitted.packet)}, observed ${keccak256(toBytes(observed))}`,
    );
  }
  return { ok: true };
}

function describe(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
