// The chain behind the RPC: LiteSVM executes; this module adds what a
// validator has and LiteSVM does not: slots on a timer, blockhashes that
// expire, commitment levels, the ledger of landed transactions and account
// history so reads at `finalized` see the state as of the finalized slot.
import {
  type Address,
  assertIsFullySignedTransaction,
  getAddressDecoder,
  getBase58Decoder,
  getTransactionDecoder,
  type Transaction,
} from "@solana/kit";
import {
  FailedTransactionMetadata,
  type LiteSVM,
  type SimulatedTransactionInfo,
  type TransactionMetadata,
} from "litesvm";
import { toTransactionError, type TransactionError } from "./transaction-error.ts";
import { isStaticWritable, type WireMessage, type WireTransaction } from "./wire.ts";

export type Commitment = "processed" | "confirmed" | "finalized";

export interface ChainOptions {
  /** Wall-clock length of a slot, in milliseconds. */
  slotMs: number;
  /** Slots between `confirmed` and `finalized`. */
  finalityDepth: number;
  /** Slots a blockhash stays usable after it is issued. */
  blockhashValiditySlots: number;
}

export interface AccountState {
  lamports: bigint;
  owner: Address;
  data: Uint8Array;
  executable: boolean;
}

export interface InnerInstructions {
  index: number;
  instructions: {
    programIdIndex: number;
    accounts: number[];
    data: string;
    stackHeight: number;
  }[];
}

export interface ReturnData {
  programId: Address;
  data: Uint8Array;
}

/** A transaction in a slot: executed, successfully or not, and its fee paid. */
export interface LandedTransaction {
  signature: string;
  slot: bigint;
  blockTime: bigint;
  wire: WireTransaction;
  /** Static keys, then the ones loaded from lookup tables (writable, then readonly). */
  accountKeys: Address[];
  loadedAddresses: { writable: Address[]; readonly: Address[] };
  err: TransactionError | null;
  logs: string[];
  computeUnitsConsumed: bigint;
  fee: bigint;
  preBalances: bigint[];
  postBalances: bigint[];
  innerInstructions: InnerInstructions[];
  returnData: ReturnData | null;
}

export interface Simulation {
  err: TransactionError | null;
  logs: string[];
  unitsConsumed: bigint;
  returnData: ReturnData | null;
}

export type Execution =
  | { landed: LandedTransaction }
  | { rejected: TransactionError; logs: string[]; unitsConsumed: bigint };

interface HistoryEntry {
  slot: bigint;
  account: AccountState | null;
}

const LAMPORTS_PER_SIGNATURE = 5_000n;
const LOOKUP_TABLE_META_SIZE = 56;
/** Entries the SlotHashes sysvar keeps (`MAX_ENTRIES` in solana-slot-hashes). */
const MAX_SLOT_HASHES = 512;
const COMPUTE_BUDGET_PROGRAM = "ComputeBudget111111111111111111111111111111";
const SIGNATURE_PRECOMPILES = new Set([
  "Ed25519SigVerify111111111111111111111111111",
  "KeccakSecp256k11111111111111111111111111111",
  "Secp256r1SigVerify1111111111111111111111111",
]);
const DEFAULT_INSTRUCTION_COMPUTE_UNITS = 200_000n;
/** Slots getRecentPrioritizationFees covers (Agave's prioritization fee cache). */
const RECENT_FEE_SLOTS = 150n;
const MAX_COMPUTE_UNITS = 1_400_000n;

export class Chain {
  readonly svm: LiteSVM;
  readonly options: ChainOptions;
  readonly genesisHash: string;
  private currentSlot = 0n;
  /** Blockhashes still usable, oldest first, with the slot that issued each. */
  private readonly blockhashes: { blockhash: string; slot: bigint }[] = [];
  private readonly blockhashSlots = new Map<string, bigint>();
  private readonly history = new Map<Address, HistoryEntry[]>();
  private readonly ledger: LandedTransaction[] = [];
  private readonly bySignature = new Map<string, LandedTransaction>();
  private readonly byAddress = new Map<Address, LandedTransaction[]>();
  /** Set by `setUnixTimestamp`: the clock in milliseconds, advanced per slot. */
  private timeOverrideMs: number | null = null;

  constructor(svm: LiteSVM, options: ChainOptions, nowMs: number) {
    this.svm = svm;
    this.options = options;
    this.svm.warpToSlot(0n);
    this.setClockTime(BigInt(Math.floor(nowMs / 1000)));
    this.genesisHash = this.issueBlockhash();
  }

  slot(): bigint {
    return this.currentSlot;
  }

  finalizedSlot(): bigint {
    const slot = this.currentSlot - BigInt(this.options.finalityDepth);
    return slot > 0n ? slot : 0n;
  }

  /** The slot whose state a read at `commitment` sees. */
  commitmentSlot(commitment: Commitment): bigint {
    return commitment === "finalized" ? this.finalizedSlot() : this.currentSlot;
  }

  transactionCount(): number {
    return this.ledger.length;
  }

  /**
   * getRecentPrioritizationFees as Agave answers it, for the newest
   * `RECENT_FEE_SLOTS` slots: per slot, the least compute-unit price any
   * transaction in it paid, raised to the least price paid by those writing
   * each of `accounts` (what a transaction locking them competed with); 0
   * for a slot without transactions.
   */
  recentPrioritizationFees(accounts: readonly Address[]): { slot: bigint; fee: bigint }[] {
    const newest = this.currentSlot;
    const count = newest < RECENT_FEE_SLOTS ? newest + 1n : RECENT_FEE_SLOTS;
    const oldest = newest - count + 1n;
    const slots = new Map<bigint, { block: bigint; byAccount: Map<Address, bigint> }>();
    for (let index = this.ledger.length - 1; index >= 0; index--) {
      const landed = this.ledger[index];
      if (landed === undefined || landed.slot < oldest) break;
      const price = computeUnitPriceOf(landed.wire.message);
      const entry = slots.get(landed.slot) ?? {
        block: price,
        byAccount: new Map<Address, bigint>(),
      };
      if (price < entry.block) entry.block = price;
      for (const account of writableKeys(landed)) {
        const least = entry.byAccount.get(account);
        if (least === undefined || price < least) entry.byAccount.set(account, price);
      }
      slots.set(landed.slot, entry);
    }
    return Array.from({ length: Number(count) }, (_, index) => {
      const slot = oldest + BigInt(index);
      const entry = slots.get(slot);
      if (entry === undefined) return { slot, fee: 0n };
      let fee = entry.block;
      for (const account of accounts) {
        const least = entry.byAccount.get(account);
        if (least !== undefined && least > fee) fee = least;
      }
      return { slot, fee };
    });
  }

  /** Moves to the next slot: clock, then a new blockhash. */
  advanceSlot(nowMs: number): void {
    this.recordSlotHash(this.currentSlot, this.blockhashes.at(-1)?.blockhash ?? this.genesisHash);
    this.currentSlot += 1n;
    this.svm.warpToSlot(this.currentSlot);
    if (this.timeOverrideMs === null) {
      this.setClockTime(BigInt(Math.floor(nowMs / 1000)));
    } else {
      this.timeOverrideMs += this.options.slotMs;
      this.setClockTime(BigInt(Math.floor(this.timeOverrideMs / 1000)));
    }
    this.svm.expireBlockhash();
    this.issueBlockhash();
    this.forgetExpiredBlockhashes();
  }

  /** Sets the clock's unix timestamp from now on; later slots advance it by `slotMs`. */
  setUnixTimestamp(seconds: bigint): void {
    this.timeOverrideMs = Number(seconds) * 1000;
    this.setClockTime(seconds);
  }

  unixTimestamp(): bigint {
    return this.svm.getClock().unixTimestamp;
  }

  /** The newest blockhash issued at or before the commitment's slot. */
  latestBlockhash(commitment: Commitment): { blockhash: string; lastValidBlockHeight: bigint } {
    const atSlot = this.commitmentSlot(commitment);
    const found = this.blockhashes.findLast((entry) => entry.slot <= atSlot) ?? this.blockhashes[0];
    if (!found) throw new Error("no blockhash issued");
    return {
      blockhash: found.blockhash,
      lastValidBlockHeight: found.slot + BigInt(this.options.blockhashValiditySlots),
    };
  }

  isBlockhashValid(blockhash: string): boolean {
    const issued = this.blockhashSlots.get(blockhash);
    return (
      issued !== undefined &&
      this.currentSlot <= issued + BigInt(this.options.blockhashValiditySlots)
    );
  }

  /** The account as of the commitment's slot, or null when it does not exist. */
  account(address: Address, commitment: Commitment): AccountState | null {
    const entries = this.history.get(address);
    if (commitment !== "finalized" || !entries) return this.currentAccount(address);
    const atSlot = this.finalizedSlot();
    return entries.findLast((entry) => entry.slot <= atSlot)?.account ?? null;
  }

  /** Accounts owned by `owner` as of the commitment's slot. */
  programAccounts(owner: Address, commitment: Commitment): [Address, AccountState][] {
    const found: [Address, AccountState][] = [];
    for (const { address } of this.svm.getProgramAccounts(owner)) {
      const account = this.account(address, commitment);
      if (account?.owner === owner) found.push([address, account]);
    }
    return found;
  }

  transaction(signature: string): LandedTransaction | undefined {
    return this.bySignature.get(signature);
  }

  /** Landed transactions that reference `address`, oldest first. */
  transactionsFor(address: Address): readonly LandedTransaction[] {
    return this.byAddress.get(address) ?? [];
  }

  /** Why the transaction cannot run now, before executing anything. */
  checkTransaction(wire: WireTransaction): TransactionError | null {
    if (!this.isBlockhashValid(wire.message.recentBlockhash)) return "BlockhashNotFound";
    if (this.bySignature.has(wire.signature)) return "AlreadyProcessed";
    return null;
  }

  /** Runs the transaction against the current state without committing it. */
  simulate(wire: WireTransaction, options: { sigVerify: boolean }): Simulation {
    const transaction = toKitTransaction(wire.bytes, options.sigVerify);
    if (!transaction)
      return { err: "SignatureFailure", logs: [], unitsConsumed: 0n, returnData: null };
    this.svm.withSigverify(options.sigVerify);
    let result: FailedTransactionMetadata | SimulatedTransactionInfo;
    try {
      result = this.svm.simulateTransaction(transaction);
    } finally {
      this.svm.withSigverify(true);
    }
    const meta = result.meta();
    return {
      err: result instanceof FailedTransactionMetadata ? toTransactionError(result.err()) : null,
      logs: meta.logs(),
      unitsConsumed: meta.computeUnitsConsumed(),
      returnData: returnDataOf(meta),
    };
  }

  /**
   * Executes the transaction in the current slot. It lands when LiteSVM
   * commits it (success, or a failure that charged the fee); otherwise it is
   * rejected and leaves no trace, as a validator drops it.
   */
  execute(wire: WireTransaction): Execution {
    const checked = this.checkTransaction(wire);
    if (checked) return { rejected: checked, logs: [], unitsConsumed: 0n };
    const transaction = toKitTransaction(wire.bytes, true);
    if (!transaction) return { rejected: "SignatureFailure", logs: [], unitsConsumed: 0n };

    const { keys, writable, loadedAddresses } = this.resolveKeys(wire.message);
    for (const key of keys) {
      if (!this.history.has(key))
        this.history.set(key, [{ slot: -1n, account: this.currentAccount(key) }]);
    }
    const preBalances = keys.map((key) => this.svm.getBalance(key) ?? 0n);
    const result = this.svm.sendTransaction(transaction);
    const postBalances = keys.map((key) => this.svm.getBalance(key) ?? 0n);

    const failed = result instanceof FailedTransactionMetadata;
    const meta = failed ? result.meta() : result;
    const err = failed ? toTransactionError(result.err()) : null;
    const feePaid = (preBalances[0] ?? 0n) - (postBalances[0] ?? 0n);
    if (failed && feePaid <= 0n) {
      return { rejected: err ?? "SanitizeFailure", logs: meta.logs(), unitsConsumed: 0n };
    }

    keys.forEach((key, index) => {
      if (writable[index]) this.record(key);
    });
    const landed: LandedTransaction = {
      signature: wire.signature,
      slot: this.currentSlot,
      blockTime: this.unixTimestamp(),
      wire,
      accountKeys: keys,
      loadedAddresses,
      err,
      logs: meta.logs(),
      computeUnitsConsumed: meta.computeUnitsConsumed(),
      fee: failed ? feePaid : feeForMessage(wire.message),
      preBalances,
      postBalances,
      innerInstructions: innerInstructionsOf(meta),
      returnData: returnDataOf(meta),
    };
    this.ledger.push(landed);
    this.bySignature.set(landed.signature, landed);
    for (const key of new Set(keys)) {
      const list = this.byAddress.get(key) ?? [];
      list.push(landed);
      this.byAddress.set(key, list);
    }
    return { landed };
  }

  private currentAccount(address: Address): AccountState | null {
    const account = this.svm.getAccount(address);
    if (!account.exists || account.lamports === 0n) return null;
    return {
      lamports: account.lamports,
      owner: account.programAddress,
      data: Uint8Array.from(account.data),
      executable: account.executable,
    };
  }

  /** Appends the account's current state at the current slot, dropping entries finality made unreachable. */
  private record(address: Address): void {
    const entries = this.history.get(address) ?? [];
    entries.push({ slot: this.currentSlot, account: this.currentAccount(address) });
    const finalized = this.finalizedSlot();
    while (entries.length >= 2 && (entries[1]?.slot ?? finalized + 1n) <= finalized) {
      entries.shift();
    }
    this.history.set(address, entries);
  }

  /** The message's account keys, with lookup-table addresses resolved from current state. */
  private resolveKeys(message: WireMessage): {
    keys: Address[];
    writable: boolean[];
    loadedAddresses: { writable: Address[]; readonly: Address[] };
  } {
    const loadedAddresses: { writable: Address[]; readonly: Address[] } = {
      writable: [],
      readonly: [],
    };
    const decoder = getAddressDecoder();
    for (const lookup of message.lookups) {
      const table = this.svm.getAccount(lookup.accountKey);
      if (!table.exists) continue;
      const at = (index: number): Address[] => {
        const start = LOOKUP_TABLE_META_SIZE + index * 32;
        return start + 32 <= table.data.length
          ? [decoder.decode(table.data.subarray(start, start + 32))]
          : [];
      };
      loadedAddresses.writable.push(...lookup.writableIndexes.flatMap(at));
      loadedAddresses.readonly.push(...lookup.readonlyIndexes.flatMap(at));
    }
    const keys = [...message.staticKeys, ...loadedAddresses.writable, ...loadedAddresses.readonly];
    const writable = keys.map((_, index) =>
      index < message.staticKeys.length
        ? isStaticWritable(message, index)
        : index < message.staticKeys.length + loadedAddresses.writable.length,
    );
    return { keys, writable, loadedAddresses };
  }

  private setClockTime(unixTimestamp: bigint): void {
    const clock = this.svm.getClock();
    clock.unixTimestamp = unixTimestamp;
    this.svm.setClock(clock);
  }

  /**
   * Puts the slot just finished at the front of the SlotHashes sysvar (newest
   * first, at most 512, as a validator keeps it): the Address Lookup Table
   * program only creates a table for a `recent_slot` found there. Only older
   * slots stay behind it: LiteSVM starts the list with an entry for a slot
   * far ahead, which left at its end broke the newest-first order the
   * program's binary search relies on, so it missed listed slots ("2 is not
   * a recent slot" at node slot 8).
   */
  private recordSlotHash(slot: bigint, hash: string): void {
    const previous = this.svm
      .getSlotHashes()
      .map((entry) => ({ slot: entry.slot, hash: entry.hash }));
    this.svm.setSlotHashes(
      // The native binding takes plain `{ slot, hash }` (litesvm's SlotHashInput);
      // the wrapper's type names the class it returns, which has no constructor.
      // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
      [{ slot, hash }, ...previous.filter((entry) => entry.slot < slot)].slice(0, MAX_SLOT_HASHES),
    );
  }

  private issueBlockhash(): string {
    const blockhash = this.svm.latestBlockhash();
    this.blockhashes.push({ blockhash, slot: this.currentSlot });
    this.blockhashSlots.set(blockhash, this.currentSlot);
    return blockhash;
  }

  private forgetExpiredBlockhashes(): void {
    const validity = BigInt(this.options.blockhashValiditySlots);
    while (this.blockhashes.length > 1) {
      const oldest = this.blockhashes[0];
      if (!oldest || oldest.slot + validity >= this.currentSlot) break;
      this.blockhashes.shift();
      this.blockhashSlots.delete(oldest.blockhash);
    }
  }
}

/** The keys a landed transaction wrote: writable static keys, then writable loaded ones. */
function writableKeys(landed: LandedTransaction): Address[] {
  const { header, staticKeys } = landed.wire.message;
  const signed = header.numRequiredSignatures;
  const writable = staticKeys.filter((_, index) =>
    index < signed
      ? index < signed - header.numReadonlySignedAccounts
      : index < staticKeys.length - header.numReadonlyUnsignedAccounts,
  );
  return [...writable, ...landed.loadedAddresses.writable];
}

/** The compute-unit price (micro-lamports) a message's SetComputeUnitPrice asks; 0 without one. */
export function computeUnitPriceOf(message: WireMessage): bigint {
  let price = 0n;
  for (const instruction of message.instructions) {
    if (message.staticKeys[instruction.programIdIndex] !== COMPUTE_BUDGET_PROGRAM) continue;
    const { data } = instruction;
    if (data[0] === 3 && data.byteLength >= 9) {
      price = new DataView(data.buffer, data.byteOffset, data.byteLength).getBigUint64(1, true);
    }
  }
  return price;
}

/**
 * The fee a validator charges: 5000 lamports per signature (the
 * transaction's and those its signature precompile instructions check) plus
 * the compute-unit price times the compute-unit limit.
 */
export function feeForMessage(message: WireMessage): bigint {
  let signatures = BigInt(message.header.numRequiredSignatures);
  let unitPrice = 0n;
  let unitLimit: bigint | null = null;
  let otherInstructions = 0n;
  for (const instruction of message.instructions) {
    const program = message.staticKeys[instruction.programIdIndex];
    const view = new DataView(
      instruction.data.buffer,
      instruction.data.byteOffset,
      instruction.data.byteLength,
    );
    if (program && SIGNATURE_PRECOMPILES.has(program)) {
      signatures += BigInt(instruction.data[0] ?? 0);
    }
    if (program === COMPUTE_BUDGET_PROGRAM) {
      if (instruction.data[0] === 2 && view.byteLength >= 5) {
        unitLimit = BigInt(view.getUint32(1, true));
      }
      if (instruction.data[0] === 3 && view.byteLength >= 9) unitPrice = view.getBigUint64(1, true);
    } else {
      otherInstructions += 1n;
    }
  }
  const limit = unitLimit ?? otherInstructions * DEFAULT_INSTRUCTION_COMPUTE_UNITS;
  const cappedLimit = limit < MAX_COMPUTE_UNITS ? limit : MAX_COMPUTE_UNITS;
  const priority = (unitPrice * cappedLimit + 999_999n) / 1_000_000n;
  return signatures * LAMPORTS_PER_SIGNATURE + priority;
}

/** The wire bytes as kit's transaction, or null when a signature is missing and signatures are checked. */
function toKitTransaction(bytes: Uint8Array, sigVerify: boolean): Transaction | null {
  const transaction = getTransactionDecoder().decode(bytes);
  if (!sigVerify) return transaction;
  try {
    assertIsFullySignedTransaction(transaction);
    return transaction;
  } catch {
    return null;
  }
}

function returnDataOf(meta: TransactionMetadata): ReturnData | null {
  const returned = meta.returnData();
  const data = returned.data();
  if (data.length === 0) return null;
  return { programId: getAddressDecoder().decode(returned.programId()), data };
}

function innerInstructionsOf(meta: TransactionMetadata): InnerInstructions[] {
  const base58 = getBase58Decoder();
  return meta
    .innerInstructions()
    .map((list, index) => ({
      index,
      instructions: list.map((inner) => {
        const instruction = inner.instruction();
        return {
          programIdIndex: instruction.programIdIndex(),
          accounts: Array.from(instruction.accounts()),
          data: base58.decode(instruction.data()),
          stackHeight: inner.stackHeight(),
        };
      }),
    }))
    .filter((entry) => entry.instructions.length > 0);
}
