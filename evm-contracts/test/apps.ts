// Helpers for the collateral vault and lending pool tests: typed calls over
// ethers' untyped contracts, revert decoding, the SendRecorder's log, time.
import {
  decodeLoanMessage,
  encodeLoanMessage,
  type Hex,
  type LoanMessage,
} from "@loanbridge/shared";
import { Contract, hexlify, type Interface, type TransactionReceipt } from "ethers";
import { hre } from "./hre.ts";
import { revertData } from "./support/revertData.ts";

export type Connection = Awaited<ReturnType<typeof hre.network.create>>;
export type Ethers = Connection["ethers"];
export type Signer = Awaited<ReturnType<Ethers["getSigners"]>>[number];

/** Endpoint ids of the two sides in these tests. */
export const VAULT_EID = 40161;
export const LENDING_EID = 40168;

export const YEAR_SECONDS = 31_536_000n;
export const BPS = 10_000n;
export const PRICE_SCALE = 10n ** 18n;
export const ZERO_BYTES32: Hex = `0x${"00".repeat(32)}`;

/** A view (or a state-changing function simulated with eth_call). */
export async function call<T>(contract: Contract, fn: string, ...args: unknown[]): Promise<T> {
  return (await contract.getFunction(fn).staticCall(...args)) as T;
}

/** Sends a transaction and waits for its receipt. */
export async function send(
  contract: Contract,
  fn: string,
  ...args: unknown[]
): Promise<TransactionReceipt> {
  const tx = await contract.getFunction(fn).send(...args);
  const receipt = await tx.wait();
  if (receipt === null) throw new Error(`${fn}: no receipt`);
  return receipt;
}

/** The contract as another signer. */
export function as(contract: Contract, signer: Signer): Contract {
  return new Contract(contract.target, contract.interface, signer);
}

export interface DecodedError {
  name: string;
  args: unknown[];
}

/** Decodes custom-error revert data with the first interface that knows it. */
export function parseError(data: string, ...interfaces: Interface[]): DecodedError {
  for (const iface of interfaces) {
    const decoded = iface.parseError(data);
    if (decoded !== null) return { name: decoded.name, args: [...decoded.args] as unknown[] };
  }
  throw new Error(`unknown revert data ${data}`);
}

/** Awaits a call that must revert; returns the custom error's name and arguments. */
export async function expectRevert(
  pending: Promise<unknown>,
  ...interfaces: Interface[]
): Promise<DecodedError> {
  return parseError(await revertData(pending), ...interfaces);
}

/** A 4-byte selector of a custom error of `iface`. */
export function errorSelector(iface: Interface, name: string): string {
  const fragment = iface.getError(name);
  if (fragment === null) throw new Error(`no error ${name}`);
  return fragment.selector;
}

export interface SentMessage {
  app: string;
  dstEid: number;
  nonce: bigint;
  guid: string;
  message: LoanMessage;
}

/** The messages a SendRecorder recorded in a transaction, decoded. */
export function sentMessages(recorder: Contract, receipt: TransactionReceipt): SentMessage[] {
  const recorderAddress = (recorder.target as string).toLowerCase();
  const sent: SentMessage[] = [];
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== recorderAddress) continue;
    const parsed = recorder.interface.parseLog(log);
    if (parsed?.name !== "Sent") continue;
    const [app, dstEid, nonce, guid, message] = parsed.args.toArray() as [
      string,
      bigint,
      bigint,
      string,
      string,
    ];
    sent.push({
      app,
      dstEid: Number(dstEid),
      nonce,
      guid,
      message: decodeLoanMessage(message as Hex),
    });
  }
  return sent;
}

/** The only message a transaction sent. */
export function onlySent(recorder: Contract, receipt: TransactionReceipt): SentMessage {
  const sent = sentMessages(recorder, receipt);
  const [first] = sent;
  if (sent.length !== 1 || first === undefined) {
    throw new Error(`expected one message sent, got ${sent.length}`);
  }
  return first;
}

/** The events `contract` emitted in a transaction, by name, as plain argument lists. */
export function eventsOf(
  contract: Contract,
  receipt: TransactionReceipt,
  name: string,
): unknown[][] {
  const address = (contract.target as string).toLowerCase();
  const events: unknown[][] = [];
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== address) continue;
    const parsed = contract.interface.parseLog(log);
    if (parsed?.name === name) events.push(parsed.args.toArray() as unknown[]);
  }
  return events;
}

/** The one event `name` of a transaction. */
export function onlyEvent(contract: Contract, receipt: TransactionReceipt, name: string) {
  const events = eventsOf(contract, receipt, name);
  const [first] = events;
  if (events.length !== 1 || first === undefined) {
    throw new Error(`expected one ${name} event, got ${events.length}`);
  }
  return first;
}

/** A loan message as the bytes `onPacket` takes. */
export function encode(message: LoanMessage): Hex {
  return hexlify(encodeLoanMessage(message)) as Hex;
}

/** Chain time and snapshots over the network's provider. */
export function chain(ethers: Ethers) {
  const provider = ethers.provider;
  return {
    async now(): Promise<bigint> {
      const block = await provider.getBlock("latest");
      if (block === null) throw new Error("no latest block");
      return BigInt(block.timestamp);
    },
    /** The timestamp of the block a receipt is in. */
    async timeOf(receipt: TransactionReceipt): Promise<bigint> {
      const block = await provider.getBlock(receipt.blockNumber);
      if (block === null) throw new Error("no block for receipt");
      return BigInt(block.timestamp);
    },
    /** The next transaction's block gets this timestamp. */
    async setNextTimestamp(timestamp: bigint): Promise<void> {
      await provider.send("evm_setNextBlockTimestamp", [Number(timestamp)]);
    },
    async increaseTime(seconds: bigint): Promise<void> {
      await provider.send("evm_increaseTime", [Number(seconds)]);
      await provider.send("evm_mine", []);
    },
    async snapshot(): Promise<string> {
      return (await provider.send("evm_snapshot", [])) as string;
    },
    async revert(id: string): Promise<void> {
      const ok = (await provider.send("evm_revert", [id])) as boolean;
      if (!ok) throw new Error(`evm_revert ${id} failed`);
    },
    async balance(address: string): Promise<bigint> {
      return provider.getBalance(address);
    },
  };
}

/** Interest for `elapsed` seconds, as shared/LOANS.md defines it (one accrual, rounded down). */
export function interestFor(principal: bigint, rateBps: bigint, elapsed: bigint): bigint {
  return (principal * rateBps * elapsed) / (BPS * YEAR_SECONDS);
}

/** Collateral value at a price (stablecoin units per 10^18 collateral units), rounded down. */
export function valueOf(collateralAmount: bigint, price: bigint): bigint {
  return (collateralAmount * price) / PRICE_SCALE;
}

/** Transaction fee paid by a receipt's sender, in wei. */
export function feeOf(receipt: TransactionReceipt): bigint {
  return receipt.gasUsed * receipt.gasPrice;
}
