// Shapes of the JSON-RPC answers the EVM adapters rely on. Parsing keeps only
// the fields named here, so a quorum compares what a proof depends on and not
// node-specific extras (`totalDifficulty`, `size`, field order).
import { z } from "zod";
import type { Hex } from "@loanbridge/shared";

const hex = z.string().regex(/^0x[0-9a-fA-F]*$/, "expected 0x-prefixed hex");
const bytes = (length: number) =>
  z.string().regex(new RegExp(`^0x[0-9a-fA-F]{${length * 2}}$`), `expected ${length} bytes hex`);
/** A JSON-RPC quantity: 0x-hex without leading zeros ("0x0" for zero). */
const quantity = z.string().regex(/^0x(0|[1-9a-fA-F][0-9a-fA-F]*)$/, "expected a quantity");
const hash = bytes(32);
const address = bytes(20);

/** A block as `eth_getBlockByNumber(n, false)` returns it: header fields and tx hashes. */
export const blockSchema = z.object({
  hash,
  parentHash: hash,
  sha3Uncles: hash,
  miner: address,
  stateRoot: hash,
  transactionsRoot: hash,
  receiptsRoot: hash,
  logsBloom: bytes(256),
  difficulty: quantity,
  number: quantity,
  gasLimit: quantity,
  gasUsed: quantity,
  timestamp: quantity,
  extraData: hex,
  mixHash: hash,
  nonce: bytes(8),
  // London (EIP-1559), Shanghai (EIP-4895), Cancun (EIP-4844, EIP-4788), Prague (EIP-7685).
  baseFeePerGas: quantity.optional(),
  withdrawalsRoot: hash.optional(),
  blobGasUsed: quantity.optional(),
  excessBlobGas: quantity.optional(),
  parentBeaconBlockRoot: hash.optional(),
  requestsHash: hash.optional(),
  transactions: z.array(hash),
});
export type EvmBlock = z.infer<typeof blockSchema>;
/** The header fields alone (a block without its transaction list). */
export type EvmBlockHeader = Omit<EvmBlock, "transactions">;

export const logSchema = z.object({
  address,
  topics: z.array(hash),
  data: hex,
  logIndex: quantity,
  blockNumber: quantity,
  blockHash: hash,
  transactionHash: hash,
  transactionIndex: quantity,
  removed: z.boolean().optional(),
});
export type EvmLog = z.infer<typeof logSchema>;

/** A receipt's log: the consensus fields plus its block-wide index. */
const receiptLogSchema = z.object({
  address,
  topics: z.array(hash),
  data: hex,
  logIndex: quantity,
});

export const receiptSchema = z.object({
  transactionHash: hash,
  transactionIndex: quantity,
  blockHash: hash,
  blockNumber: quantity,
  /** Absent on pre-Berlin nodes: legacy. */
  type: quantity.optional(),
  /** Byzantium on; earlier receipts carry `root` instead. */
  status: quantity.optional(),
  root: hash.optional(),
  cumulativeGasUsed: quantity,
  logsBloom: bytes(256),
  logs: z.array(receiptLogSchema),
});
export type EvmReceipt = z.infer<typeof receiptSchema>;

export const feeHistorySchema = z.object({
  oldestBlock: quantity,
  baseFeePerGas: z.array(quantity),
  reward: z.array(z.array(quantity)).optional(),
});

/** Receipt fields the deliverer reads after sending. */
export const txReceiptSchema = z.object({
  transactionHash: hash,
  blockNumber: quantity,
  blockHash: hash,
  status: quantity,
  logs: z.array(receiptLogSchema),
});
export type EvmTxReceipt = z.infer<typeof txReceiptSchema>;

export const quantitySchema = quantity;
export const hexSchema = hex;

export const asHex = (value: string): Hex => value.toLowerCase() as Hex;
