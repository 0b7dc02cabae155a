// proof.ts against real blocks: captured in the test from anvil (a block
// holding legacy, EIP-2930 and EIP-1559 transactions, two of them sending
// packets) and from hardhat node, then checked as captured and as tampered
// copies. The functions under test are pure; only the capture needs nodes.
import { type LocalNode, startHardhatNode } from "@loanbridge/evm-contracts";
import { type Hex, toBytes, toHex } from "@loanbridge/shared";
import { Wallet } from "ethers";
import { z } from "zod";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AnvilNode, startAnvil } from "./anvil.ts";
import {
  decodePacketSent,
  encodeReceipt,
  headerHash,
  PACKET_SENT_TOPIC,
  receiptsRoot,
  verifyPacketInBlock,
} from "./proof.ts";
import { JsonRpc, toQuantity } from "../rpc.ts";
import {
  blockSchema,
  type EvmBlock,
  type EvmBlockHeader,
  type EvmReceipt,
  receiptSchema,
} from "./schemas.ts";
import { deployEndpointPair, devKey, DST_EID, type EndpointPair, rpcCall } from "./testing.ts";

interface Captured {
  block: EvmBlock;
  receipts: EvmReceipt[];
}

async function capture(rpc: JsonRpc, number: bigint | "latest"): Promise<Captured> {
  const tag = number === "latest" ? number : toQuantity(number);
  const block = await rpc.request("eth_getBlockByNumber", [tag, false], blockSchema);
  const receipts = await Promise.all(
    block.transactions.map((hash) =>
      rpc.request("eth_getTransactionReceipt", [hash], receiptSchema),
    ),
  );
  return { block, receipts };
}

/** Every PacketSent of a block: its transaction index, block-wide log index and packet. */
function packetsIn({ receipts }: Captured) {
  return receipts.flatMap((receipt, txIndex) =>
    receipt.logs
      .filter((log) => log.topics[0] === PACKET_SENT_TOPIC)
      .map((log) => ({
        txIndex,
        logIndex: Number(BigInt(log.logIndex)),
        endpoint: log.address,
        packet: decodePacketSent(log).log.packet,
      })),
  );
}

const clone = <T>(value: T): T => structuredClone(value);

/** Position of the mixed block's plain transfer (the transaction without logs). */
const transferIndex = () => mixed.receipts.findIndex((receipt) => receipt.logs.length === 0);

function flipHexByte(hex: string, byteIndex: number): string {
  const bytes = toBytes(hex as Hex);
  bytes[byteIndex] = (bytes[byteIndex] ?? 0) ^ 0xff;
  return toHex(bytes);
}

let anvil: AnvilNode;
let hardhat: LocalNode;
let anvilRpc: JsonRpc;
let hardhatRpc: JsonRpc;
let anvilPair: EndpointPair;
/** The anvil block with four transactions of three types. */
let mixed: Captured;
/** A hardhat block with one packet. */
let hardhatBlock: Captured;

beforeAll(async () => {
  [anvil, hardhat] = await Promise.all([startAnvil({ slotsInAnEpoch: 4 }), startHardhatNode()]);
  anvilRpc = new JsonRpc({ chain: "anvil", urls: [anvil.url] });
  hardhatRpc = new JsonRpc({ chain: "hardhat", urls: [hardhat.url] });

  anvilPair = await deployEndpointPair(anvil.url);
  await rpcCall(anvil.url, "evm_setAutomine", [false]);
  const [legacySender, accessListSender, dynamicSender, secondSender] = [1, 2, 3, 4].map(
    (i) => new Wallet(devKey(i), anvilPair.provider),
  );
  if (!legacySender || !accessListSender || !dynamicSender || !secondSender) throw new Error();
  const sendPacket = (wallet: Wallet, message: string, overrides: Record<string, unknown>) =>
    anvilPair.sourceApp
      .connect(wallet)
      .getFunction("sendPacket")
      .send(DST_EID, message, { gasLimit: 300_000n, ...overrides });
  const feeData = await anvilPair.provider.getFeeData();
  const sent = [
    await sendPacket(legacySender, "0x01", { type: 0, gasPrice: feeData.gasPrice }),
    await accessListSender.sendTransaction({
      type: 1,
      to: legacySender.address,
      value: 1n,
      gasPrice: feeData.gasPrice,
      accessList: [],
    }),
    await sendPacket(dynamicSender, "0x0202", { type: 2 }),
    await sendPacket(secondSender, "0x030303", { type: 2 }),
  ];
  await rpcCall(anvil.url, "evm_mine");
  await rpcCall(anvil.url, "evm_setAutomine", [true]);
  const minedIn = new Set(
    (await Promise.all(sent.map((tx) => tx.wait()))).map((receipt) => receipt?.blockNumber),
  );
  expect(minedIn.size).toBe(1);
  mixed = await capture(anvilRpc, BigInt([...minedIn][0] ?? 0));

  const hardhatPair = await deployEndpointPair(hardhat.url);
  const { receipt } = await hardhatPair.send("0x0a0b");
  hardhatBlock = await capture(hardhatRpc, BigInt(receipt.blockNumber));
});

afterAll(async () => {
  anvilPair.provider.destroy();
  await Promise.all([anvil.stop(), hardhat.stop()]);
});

describe("captured blocks", () => {
  it("mixedBlock_holdsLegacyAccessListAndDynamicFeeTransactionsWithTwoPackets", () => {
    // anvil orders a block's transactions by fee, so look them up by type.
    expect(mixed.receipts.map((receipt) => receipt.type).sort()).toEqual([
      "0x0",
      "0x1",
      "0x2",
      "0x2",
    ]);
    expect(packetsIn(mixed)).toHaveLength(3);
    // The legacy receipt's trie value is bare RLP, a typed one starts with its type.
    const ofType = (type: string) => mixed.receipts.find((receipt) => receipt.type === type);
    expect(encodeReceipt(ofType("0x0") as EvmReceipt)[0]).toBeGreaterThanOrEqual(0xc0);
    expect(encodeReceipt(ofType("0x1") as EvmReceipt)[0]).toBe(1);
    expect(encodeReceipt(ofType("0x2") as EvmReceipt)[0]).toBe(2);
  });
});

describe("headerHash", () => {
  it.each(["anvil", "hardhat"])("everyBlockOn_%s_hashesToItsBlockHash", async (which) => {
    const rpc = which === "anvil" ? anvilRpc : hardhatRpc;
    const latest = BigInt(await rpc.request("eth_blockNumber", [], z.string()));
    for (let number = 0n; number <= latest; number++) {
      const { block } = await capture(rpc, number);
      expect(headerHash(block), `block ${number}`).toBe(block.hash);
    }
  });

  it("pragueHeader_includesRequestsHash", () => {
    expect(mixed.block.requestsHash).toMatch(/^0x[0-9a-f]{64}$/);
    const cancun: EvmBlockHeader = { ...mixed.block };
    delete cancun.requestsHash;
    expect(headerHash(cancun)).not.toBe(mixed.block.hash);
  });

  it("laterForkFieldWithoutAnEarlierOne_throws", () => {
    const broken: EvmBlockHeader = { ...mixed.block };
    delete broken.baseFeePerGas;
    expect(() => headerHash(broken)).toThrow(/baseFeePerGas/);
  });
});

describe("receiptsRoot", () => {
  it("rebuildsTheHeaderRoot_onAnvilAndHardhat", async () => {
    expect(await receiptsRoot(mixed.receipts)).toBe(mixed.block.receiptsRoot);
    expect(await receiptsRoot(hardhatBlock.receipts)).toBe(hardhatBlock.block.receiptsRoot);
  });

  it("emptyBlock_isTheEmptyTrieRoot", async () => {
    expect(await receiptsRoot([])).toBe(
      "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421",
    );
  });

  it("receiptsOutOfOrder_throw", async () => {
    const swapped = [
      mixed.receipts[1],
      mixed.receipts[0],
      ...mixed.receipts.slice(2),
    ] as EvmReceipt[];
    await expect(receiptsRoot(swapped)).rejects.toThrow(/transactionIndex/);
  });
});

describe("verifyPacketInBlock", () => {
  const proveNth = (captured: Captured, n: number, patch: Partial<{ endpoint: string }> = {}) => {
    const found = packetsIn(captured)[n];
    if (!found) throw new Error(`no packet ${n}`);
    return {
      header: captured.block,
      receipts: captured.receipts,
      txIndex: found.txIndex,
      logIndex: found.logIndex,
      endpoint: found.endpoint,
      packet: found.packet,
      ...patch,
    };
  };

  it("everyPacketInTheRealBlocks_verifies", async () => {
    for (let n = 0; n < 3; n++) {
      expect(await verifyPacketInBlock(proveNth(mixed, n))).toEqual({ ok: true });
    }
    expect(await verifyPacketInBlock(proveNth(hardhatBlock, 0))).toEqual({ ok: true });
  });

  it("oneLogDataByteFlipped_isReceiptsRootMismatch", async () => {
    const input = proveNth(mixed, 1);
    const receipts = clone(mixed.receipts);
    const log = receipts[input.txIndex]?.logs[0];
    if (!log) throw new Error("no log");
    log.data = flipHexByte(log.data, 100);
    const result = await verifyPacketInBlock({ ...input, receipts });
    expect(result).toMatchObject({ ok: false, reason: "receipts_root_mismatch" });
  });

  it("otherReceiptTampered_isReceiptsRootMismatchToo", async () => {
    const receipts = clone(mixed.receipts);
    const transfer = receipts[transferIndex()];
    if (!transfer) throw new Error("no receipt");
    transfer.cumulativeGasUsed = toQuantity(BigInt(transfer.cumulativeGasUsed) + 1n);
    const result = await verifyPacketInBlock({ ...proveNth(mixed, 0), receipts });
    expect(result).toMatchObject({ ok: false, reason: "receipts_root_mismatch" });
  });

  it("receiptDropped_isReceiptsRootMismatch", async () => {
    const receipts = clone(mixed.receipts).slice(0, 3);
    const result = await verifyPacketInBlock({ ...proveNth(mixed, 0), receipts });
    expect(result).toMatchObject({ ok: false, reason: "receipts_root_mismatch" });
  });

  it.each([
    [
      "timestamp",
      (block: EvmBlock) => ({ ...block, timestamp: toQuantity(BigInt(block.timestamp) + 1n) }),
    ],
    [
      "receiptsRoot",
      (block: EvmBlock) => ({ ...block, receiptsRoot: flipHexByte(block.receiptsRoot, 0) }),
    ],
    ["hash", (block: EvmBlock) => ({ ...block, hash: flipHexByte(block.hash, 31) })],
    ["requestsHash", (block: EvmBlock) => ({ ...block, requestsHash: flipHexByte(block.hash, 5) })],
  ] as const)("headerFieldChanged_%s_isHeaderHashMismatch", async (_field, tamper) => {
    const result = await verifyPacketInBlock({
      ...proveNth(mixed, 0),
      header: tamper(mixed.block),
    });
    expect(result).toMatchObject({ ok: false, reason: "header_hash_mismatch" });
  });

  it("receiptsRootReplacedToMatchForgedReceipts_isStillHeaderHashMismatch", async () => {
    // A forger who rewrites a receipt and the header's root to match is caught by the hash.
    const input = proveNth(mixed, 1);
    const receipts = clone(mixed.receipts);
    const log = receipts[input.txIndex]?.logs[0];
    if (!log) throw new Error("no log");
    log.data = flipHexByte(log.data, 100);
    const header = { ...mixed.block, receiptsRoot: await receiptsRoot(receipts) };
    const result = await verifyPacketInBlock({ ...input, header, receipts });
    expect(result).toMatchObject({ ok: false, reason: "header_hash_mismatch" });
  });

  it("logFromAnotherAddressThanTheConfiguredEndpoint_isWrongEmitter", async () => {
    // A genuine PacketSent, but the relayer is configured for the other endpoint.
    const other = await anvilPair.destination.getAddress();
    const result = await verifyPacketInBlock(proveNth(mixed, 0, { endpoint: other }));
    expect(result).toMatchObject({ ok: false, reason: "wrong_emitter" });
  });

  it("anotherRealPacket_isPacketHashMismatch", async () => {
    const [first, second] = packetsIn(mixed);
    if (!first || !second) throw new Error("need two packets");
    const result = await verifyPacketInBlock({ ...proveNth(mixed, 0), packet: second.packet });
    expect(result).toMatchObject({ ok: false, reason: "packet_hash_mismatch" });
  });

  it("logIndexOfAnotherTransaction_isLogMissing", async () => {
    const [first, second] = packetsIn(mixed);
    if (!first || !second) throw new Error("need two packets");
    const result = await verifyPacketInBlock({ ...proveNth(mixed, 0), logIndex: second.logIndex });
    expect(result).toMatchObject({ ok: false, reason: "log_missing" });
  });

  it("transactionWithoutLogs_isLogMissing", async () => {
    const txIndex = transferIndex();
    const before = mixed.receipts.slice(0, txIndex).reduce((n, r) => n + r.logs.length, 0);
    const result = await verifyPacketInBlock({
      ...proveNth(mixed, 0),
      txIndex,
      logIndex: before,
    });
    expect(result).toMatchObject({ ok: false, reason: "log_missing" });
  });

  it("txIndexPastTheBlock_isReceiptMissing", async () => {
    const result = await verifyPacketInBlock({ ...proveNth(mixed, 0), txIndex: 4 });
    expect(result).toMatchObject({ ok: false, reason: "receipt_missing" });
  });
});
