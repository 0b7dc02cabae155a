// EVM faults, aimed at what the relayer reads (relayer/src/chains/evm):
// PacketSent logs (watcher.ts), the finalized head (finality.ts), and the
// block header and receipts a packet is proven against (verifier.ts,
// proof.ts). A forged packet is built with the shared packet codec and
// encoded with the relayer's own Endpoint ABI; a forged block is rebuilt with
// proof.ts's own receipt trie and header hash, so what the relayer checks is
// exactly what the forgery satisfies.
import { addressToWire, decodePacket, encodePacket, type Hex, toBytes } from "@loanbridge/shared";
import { concat, getAddress, getBytes, hexlify, keccak256, toUtf8Bytes } from "ethers";
import { endpointInterface } from "../../relayer/src/chains/evm/endpointAbi.ts";
import { headerHash, PACKET_SENT_TOPIC, receiptsRoot } from "../../relayer/src/chains/evm/proof.ts";
import { blockSchema, receiptSchema } from "../../relayer/src/chains/evm/schemas.ts";
import {
  type CommonMode,
  commonMode,
  type Exchange,
  type Mode,
  resultOf,
  rewriteCalls,
  type Targeted,
} from "./faults.ts";
import type { RpcAnswer, RpcCall, Upstream } from "./json-rpc.ts";

/** A packet on a path of the endpoint's chain (srcEid is read from the endpoint). */
export interface EvmPacketPath {
  /** The sending app's 20-byte address. */
  app: string;
  dstEid: number;
  /** bytes32 of the receiving app. */
  receiver: Hex;
  message: Hex | Uint8Array;
}

/** Where a forged log sits: a block (the latest when the mode is set, by default). */
interface Placement {
  /** The source Endpoint whose log is forged. */
  endpoint: string;
  block?: bigint;
}

export type HeaderField = "hash" | "stateRoot" | "receiptsRoot" | "transactionsRoot" | "parentHash";

export type EvmMode =
  | CommonMode
  /**
   * A PacketSent log in `eth_getLogs` for a packet never sent, as a
   * transaction after the block's last: the block's receipts do not hold
   * it, so the relayer's proof turns it down.
   */
  | ({ mode: "forge"; packet: Uint8Array | (EvmPacketPath & { nonce: bigint }) } & Placement &
      Targeted)
  /**
   * `forge` with the packet the path's next real packet will be: its nonce
   * (the endpoint's `outboundNonce` + 1 when the mode is set) and so its
   * guid, with other message bytes. `forgeBlock` makes the block agree too.
   */
  | ({ mode: "squat"; packet: EvmPacketPath; forgeBlock?: boolean } & Placement & Targeted)
  /**
   * `forge`, and the block agrees: the log's receipt is appended to the
   * block's receipts, `receiptsRoot`, `logsBloom` and `gasUsed` are rebuilt
   * and the header hashes to the block hash that logs, receipts and block
   * answers all carry. (Not rebuilt: `transactionsRoot`, and the next
   * block's `parentHash`; the relayer checks neither.)
   */
  | ({ mode: "forge-block"; packet: Uint8Array | (EvmPacketPath & { nonce: bigint }) } & Placement &
      Targeted)
  /** `eth_getLogs` without the PacketSent logs of these guids (all of them when absent). */
  | ({ mode: "hide"; guids?: readonly Hex[] } & Targeted)
  /** `eth_blockNumber` and tagged blocks (`latest`, `safe`, `finalized`) `blocks` ahead. */
  | ({ mode: "head-ahead"; blocks: number } & Targeted)
  /** The head `blocks` behind, or stuck at `stuckAt`: tagged blocks are the real older ones. */
  | ({ mode: "head-behind"; blocks: number } & Targeted)
  | ({ mode: "head-behind"; stuckAt: bigint } & Targeted)
  /**
   * Every block answer has `field` changed (last byte flipped); with
   * `rehash` the hash is recomputed so the header stays self-consistent.
   */
  | ({ mode: "alter-headers"; field: HeaderField; rehash?: boolean } & Targeted);

type Json = Record<string, unknown>;

interface LogJson extends Json {
  address: string;
  topics: string[];
  data: string;
  blockNumber: string;
  blockHash: string;
  transactionHash: string;
  transactionIndex: string;
  logIndex: string;
}

interface BlockJson extends Json {
  hash: string;
  number: string;
  timestamp: string;
  transactions: (string | Json)[];
}

interface ReceiptJson extends Json {
  transactionHash: string;
  blockHash: string;
  cumulativeGasUsed: string;
  logs: LogJson[];
}

const BLOCK_METHODS = ["eth_getBlockByNumber", "eth_getBlockByHash"];
/** Tags naming a head (not `pending`: a block still being built has no hash to recompute). */
const HEAD_TAGS = new Set(["latest", "safe", "finalized"]);
/** Gas the forged transaction "used": a plausible send. */
const FORGED_GAS = 60_000n;
/** Who "sent" the forged transaction. */
const FORGER = "0x00000000000000000000000000000000000f0493";

export async function evmMode(spec: EvmMode, upstream: Upstream): Promise<Mode> {
  const requested = spec.mode === "pass" ? undefined : spec.methods;
  const aimed = (defaults: readonly string[], fault: Mode["fault"]): Mode => ({
    methods: new Set(requested ?? defaults),
    fault,
  });
  switch (spec.mode) {
    case "forge":
    case "squat":
    case "forge-block": {
      const packet = await packetOf(upstream, spec.endpoint, spec.packet);
      const withBlock =
        spec.mode === "forge-block" || (spec.mode === "squat" && spec.forgeBlock === true);
      const rewrite = await forge(upstream, spec.endpoint, packet, spec.block, withBlock);
      return aimed(
        withBlock
          ? ["eth_getLogs", ...BLOCK_METHODS, "eth_getBlockReceipts", "eth_getTransactionReceipt"]
          : ["eth_getLogs"],
        (exchange) => rewriteCalls(exchange, (call, answer) => rewrite(exchange, call, answer)),
      );
    }
    case "hide":
      return aimed(["eth_getLogs"], (exchange) =>
        rewriteCalls(exchange, (_call, answer) => hideLogs(answer, spec.guids)),
      );
    case "head-ahead":
      return aimed(["eth_blockNumber", "eth_getBlockByNumber"], (exchange) =>
        rewriteCalls(exchange, (call, answer) => headAhead(call, answer, BigInt(spec.blocks))),
      );
    case "head-behind": {
      const height = (real: bigint) => {
        if ("stuckAt" in spec) return real < spec.stuckAt ? real : spec.stuckAt;
        const behind = real - BigInt(spec.blocks);
        return behind < 0n ? 0n : behind;
      };
      return aimed(["eth_blockNumber", "eth_getBlockByNumber"], (exchange) =>
        rewriteCalls(exchange, (call, answer) => headBehind(exchange, call, answer, height)),
      );
    }
    case "alter-headers":
      return aimed(BLOCK_METHODS, (exchange) =>
        rewriteCalls(exchange, (_call, answer) => alterHeader(answer, spec.field, spec.rehash)),
      );
    default:
      return commonMode(spec);
  }
}

/** The packet bytes a spec names: as given, or built on its path (nonce: the next one). */
async function packetOf(
  upstream: Upstream,
  endpoint: string,
  packet: Uint8Array | (EvmPacketPath & { nonce?: bigint }),
): Promise<Uint8Array> {
  if (packet instanceof Uint8Array) return packet;
  const read = async (name: "localEid" | "outboundNonce", args: unknown[]) => {
    const data = endpointInterface.encodeFunctionData(name, args);
    const answer = (await upstream.call("eth_call", [{ to: endpoint, data }, "latest"])) as string;
    return endpointInterface.decodeFunctionResult(name, answer)[0] as bigint;
  };
  const nonce =
    packet.nonce ??
    (await read("outboundNonce", [packet.app, packet.dstEid, packet.receiver])) + 1n;
  const srcEid = Number(await read("localEid", []));
  return encodePacket(
    {
      nonce,
      srcEid,
      sender: addressToWire(packet.app),
      dstEid: packet.dstEid,
      receiver: packet.receiver,
    },
    packet.message,
  );
}

/**
 * A forged PacketSent log for `packet` in block `at` (the latest by default),
 * as the block's last transaction, and, `withBlock`, the block made to agree.
 * Returns the rewrite that shows it in answers. Built once, when the mode is
 * set, so every answer shows the same forgery.
 */
async function forge(
  upstream: Upstream,
  endpoint: string,
  packet: Uint8Array,
  at: bigint | undefined,
  withBlock: boolean,
) {
  const height = at ?? BigInt((await upstream.call("eth_blockNumber")) as string);
  const block = (await upstream.call("eth_getBlockByNumber", [
    quantity(height),
    false,
  ])) as BlockJson | null;
  if (block === null) throw new Error(`forge: upstream has no block ${height}`);
  const receipts = (await upstream.call("eth_getBlockReceipts", [block.hash])) as ReceiptJson[];
  const realHash = block.hash.toLowerCase();

  const decoded = decodePacket(packet);
  const event = endpointInterface.encodeEventLog("PacketSent", [
    packet,
    decoded.guid,
    decoded.dstEid,
    getAddress(`0x${decoded.sender.slice(-40)}`),
    decoded.nonce,
  ]);
  const txHash = keccak256(concat([toUtf8Bytes("loanbridge forged transaction"), packet]));
  const logIndex = receipts.reduce((sum, receipt) => sum + receipt.logs.length, 0);
  const log: LogJson = {
    address: endpoint.toLowerCase(),
    topics: event.topics,
    data: event.data,
    blockNumber: block.number,
    blockHash: realHash,
    transactionHash: txHash,
    transactionIndex: quantity(receipts.length),
    logIndex: quantity(logIndex),
    removed: false,
  };

  // The block made to agree: its receipts plus ours, and the header fields that commit to them.
  let forgedBlock:
    { hash: string; header: Json; receipts: ReceiptJson[]; receipt: ReceiptJson } | undefined;
  if (withBlock) {
    const last = receipts.at(-1);
    const cumulative = BigInt(last?.cumulativeGasUsed ?? "0x0") + FORGED_GAS;
    const bloom = logsBloom(log);
    const receipt: ReceiptJson = {
      transactionHash: txHash,
      transactionIndex: log.transactionIndex,
      blockHash: realHash,
      blockNumber: block.number,
      from: FORGER,
      to: endpoint.toLowerCase(),
      type: "0x2",
      status: "0x1",
      cumulativeGasUsed: quantity(cumulative),
      gasUsed: quantity(FORGED_GAS),
      effectiveGasPrice: block.baseFeePerGas ?? "0x0",
      contractAddress: null,
      logsBloom: bloom,
      logs: [log],
    };
    const all = [...receipts, receipt];
    const header: Json = {
      receiptsRoot: await receiptsRoot(receiptSchema.array().parse(all)),
      logsBloom: orBloom(block.logsBloom as string, bloom),
      gasUsed: quantity(cumulative),
    };
    const hash = headerHash(blockSchema.parse({ ...block, ...header, transactions: [] }));
    header.hash = hash;
    forgedBlock = {
      hash,
      header,
      receipts: all.map((r) => inBlock(r, hash)),
      receipt: inBlock(receipt, hash),
    };
  }
  const shownLog: LogJson =
    forgedBlock === undefined ? log : { ...log, blockHash: forgedBlock.hash };

  /** Block `real` (the forged height's) as the forgery shows it. */
  const asForged = (
    real: BlockJson,
    forged: NonNullable<typeof forgedBlock>,
    hydrated: boolean,
  ): BlockJson => {
    const transaction = hydrated
      ? {
          hash: txHash,
          blockHash: forged.hash,
          blockNumber: block.number,
          transactionIndex: log.transactionIndex,
          from: FORGER,
          to: log.address,
          type: "0x2",
          input: "0x",
          value: "0x0",
        }
      : txHash;
    return {
      ...real,
      ...forged.header,
      transactions: [...real.transactions, transaction],
    };
  };

  const rewrite = async (
    exchange: Exchange,
    call: RpcCall,
    answer: RpcAnswer,
  ): Promise<RpcAnswer | undefined> => {
    const result = resultOf(answer);
    const params = call.params ?? [];
    const ours = (value: unknown) =>
      typeof value === "string" && value.toLowerCase() === forgedBlock?.hash;
    const real = (value: unknown) => typeof value === "string" && value.toLowerCase() === realHash;
    switch (call.method) {
      case "eth_getLogs": {
        if (!Array.isArray(result)) return undefined;
        const logs = (result as LogJson[]).map((entry) =>
          forgedBlock !== undefined && real(entry.blockHash)
            ? { ...entry, blockHash: forgedBlock.hash }
            : entry,
        );
        if (!(await matches(exchange.upstream, params[0] as LogFilter | undefined, shownLog))) {
          return logs.some((entry, i) => entry !== result[i])
            ? { ...answer, result: logs }
            : undefined;
        }
        // After every log of an earlier block or an earlier place in this one.
        const at = logs.findIndex((entry) => {
          const number = BigInt(entry.blockNumber);
          return (
            number > height || (number === height && BigInt(entry.logIndex) > BigInt(logIndex))
          );
        });
        logs.splice(at < 0 ? logs.length : at, 0, shownLog);
        return { ...answer, result: logs };
      }
      case "eth_getBlockByNumber":
      case "eth_getBlockByHash": {
        if (forgedBlock === undefined) return undefined;
        const hydrated = params[1] === true;
        if (result === null && ours(params[0])) {
          // The node never saw our hash: show the real block as ours.
          const source = (await exchange.upstream.call("eth_getBlockByHash", [
            realHash,
            hydrated,
          ])) as BlockJson;
          return { ...answer, result: asForged(source, forgedBlock, hydrated) };
        }
        // Asked by number or by the real hash, the liar still shows its own block.
        const found = result as BlockJson | null | undefined;
        return found != null && real(found.hash)
          ? { ...answer, result: asForged(found, forgedBlock, hydrated) }
          : undefined;
      }
      case "eth_getBlockReceipts": {
        if (forgedBlock === undefined) return undefined;
        const list = result as ReceiptJson[] | null | undefined;
        const forBlock =
          ours(params[0]) ||
          real(params[0]) ||
          params[0] === block.number ||
          (list ?? []).some((r) => real(r.blockHash));
        return forBlock ? { ...answer, result: forgedBlock.receipts } : undefined;
      }
      case "eth_getTransactionReceipt": {
        if (forgedBlock === undefined) return undefined;
        if (typeof params[0] === "string" && params[0].toLowerCase() === txHash) {
          return { ...answer, result: forgedBlock.receipt };
        }
        const found = result as ReceiptJson | null | undefined;
        return found != null && real(found.blockHash)
          ? { ...answer, result: inBlock(found, forgedBlock.hash) }
          : undefined;
      }
      default:
        return undefined;
    }
  };
  return rewrite;
}

/** A receipt moved into block `hash` (its logs too). */
const inBlock = (receipt: ReceiptJson, hash: string): ReceiptJson => ({
  ...receipt,
  blockHash: hash,
  logs: receipt.logs.map((entry) => ({ ...entry, blockHash: hash })),
});

interface LogFilter {
  fromBlock?: string;
  toBlock?: string;
  blockHash?: string;
  address?: string | string[];
  topics?: (string | string[] | null)[];
}

/** Whether an `eth_getLogs` filter selects `log` (EIP-1474 filter semantics). */
async function matches(
  upstream: Upstream,
  filter: LogFilter | undefined,
  log: LogJson,
): Promise<boolean> {
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  if (filter === undefined) return false;
  const addresses = filter.address === undefined ? [] : [filter.address].flat();
  if (addresses.length > 0 && !addresses.some((address) => same(address, log.address)))
    return false;
  const topicsMatch = (filter.topics ?? []).every((wanted, i) => {
    const topic = log.topics[i];
    if (wanted === null) return true;
    return topic !== undefined && [wanted].flat().some((option) => same(option, topic));
  });
  if (!topicsMatch) return false;
  if (filter.blockHash !== undefined) return same(filter.blockHash, log.blockHash);
  const height = BigInt(log.blockNumber);
  const from = await heightOf(upstream, filter.fromBlock ?? "latest");
  const to = await heightOf(upstream, filter.toBlock ?? "latest");
  return from <= height && height <= to;
}

/** A block parameter as a height: a quantity, or a tag the node resolves. */
async function heightOf(upstream: Upstream, block: string): Promise<bigint> {
  if (block.startsWith("0x")) return BigInt(block);
  if (block === "earliest") return 0n;
  const found = (await upstream.call("eth_getBlockByNumber", [block, false])) as BlockJson | null;
  return found === null ? 0n : BigInt(found.number);
}

function hideLogs(answer: RpcAnswer, guids: readonly Hex[] | undefined): RpcAnswer | undefined {
  const logs = resultOf(answer);
  if (!Array.isArray(logs)) return undefined;
  const hidden = new Set(guids?.map((guid) => guid.toLowerCase()));
  const kept = (logs as LogJson[]).filter(
    (log) =>
      log.topics[0]?.toLowerCase() !== PACKET_SENT_TOPIC ||
      (guids !== undefined && !hidden.has(log.topics[1]?.toLowerCase() ?? "")),
  );
  return kept.length === logs.length ? undefined : { ...answer, result: kept };
}

/** Whether a call asks for the head: `eth_blockNumber`, or a block by a head tag. */
const asksHead = (call: RpcCall) =>
  call.method === "eth_blockNumber" ||
  (call.method === "eth_getBlockByNumber" && HEAD_TAGS.has(String(call.params?.[0])));

function headAhead(call: RpcCall, answer: RpcAnswer, blocks: bigint): RpcAnswer | undefined {
  const result = resultOf(answer);
  if (!asksHead(call) || result == null) return undefined;
  if (typeof result === "string") return { ...answer, result: quantity(BigInt(result) + blocks) };
  // A block that does not exist yet: number and time moved on, hash of the header as changed.
  const block = result as BlockJson;
  return {
    ...answer,
    result: rehashed({
      ...block,
      number: quantity(BigInt(block.number) + blocks),
      timestamp: quantity(BigInt(block.timestamp) + blocks),
    }),
  };
}

async function headBehind(
  exchange: Exchange,
  call: RpcCall,
  answer: RpcAnswer,
  height: (real: bigint) => bigint,
): Promise<RpcAnswer | undefined> {
  const result = resultOf(answer);
  if (!asksHead(call) || result == null) return undefined;
  if (typeof result === "string") {
    const behind = height(BigInt(result));
    return behind === BigInt(result) ? undefined : { ...answer, result: quantity(behind) };
  }
  // A lagging node shows the real, older block at its own head.
  const real = BigInt((result as BlockJson).number);
  const behind = height(real);
  if (behind === real) return undefined;
  const older = await exchange.upstream.call("eth_getBlockByNumber", [
    quantity(behind),
    call.params?.[1] === true,
  ]);
  return { ...answer, result: older };
}

function alterHeader(
  answer: RpcAnswer,
  field: HeaderField,
  rehash: boolean | undefined,
): RpcAnswer | undefined {
  const block = resultOf(answer) as BlockJson | null | undefined;
  if (block == null) return undefined;
  const value = getBytes(block[field] as string);
  value[value.length - 1] = (value[value.length - 1] ?? 0) ^ 0x01;
  const altered = { ...block, [field]: hexlify(value) };
  return { ...answer, result: rehash === true && field !== "hash" ? rehashed(altered) : altered };
}

/** The block with `hash` recomputed from its header fields (so it is self-consistent). */
function rehashed(block: BlockJson): BlockJson {
  return { ...block, hash: headerHash(blockSchema.parse({ ...block, transactions: [] })) };
}

const quantity = (value: bigint | number): string => `0x${value.toString(16)}`;

/** A log's 2048-bit bloom (yellow paper §4.3.1): 3 bits per address and topic. */
function logsBloom(log: { address: string; topics: readonly string[] }): string {
  const bloom = new Uint8Array(256);
  for (const item of [log.address, ...log.topics]) {
    const hash = toBytes(keccak256(item) as Hex);
    for (let i = 0; i < 6; i += 2) {
      const bit = (((hash[i] ?? 0) << 8) | (hash[i + 1] ?? 0)) & 2047;
      bloom[255 - (bit >> 3)] = (bloom[255 - (bit >> 3)] ?? 0) | (1 << (bit & 7));
    }
  }
  return hexlify(bloom);
}

function orBloom(a: string, b: string): string {
  const left = getBytes(a);
  const right = getBytes(b);
  return hexlify(left.map((byte, i) => byte | (right[i] ?? 0)));
}
