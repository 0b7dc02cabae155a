// Delivers attested packets to the Solana program: the Ed25519 precompile
// instruction carrying a threshold of verifier signatures, then `Deliver`
// with the receiving app's accounts resolved from chain state. The static
// accounts load from the deployment's address lookup table (read by quorum,
// used only for the addresses it holds), which is what lets 3 signatures and
// both compute-budget instructions fit 1,232 bytes. The first delivery of
// each kind (receiving app, message type, signature count) simulates first:
// simulated units + margin become the compute-unit limit. Later ones of the
// kind ask for the most units their kind simulated at + margin, and are sent
// with the RPC's own preflight simulation, which refuses them as the
// simulation did (nothing is sent, no fee paid); one that needs more units
// than its kind's most is simulated and its kind's figure raised. A kind's
// figure serves a minute (KIND_UNITS_MAX_AGE_MS); then the next delivery
// of the kind is sent at it and simulated beside its send (asked first, not
// waited for), which starts the figure afresh, and a figure no refresh
// renewed in two minutes is simulated before the send again: one
// simulation's answer, a lying endpoint's included, does not set what every
// later one pays. The
// priority fee follows getRecentPrioritizationFees for the writable accounts,
// within the configured floor and cap. Each attempt sends, rebroadcasts
// until confirmed, and on blockhash expiry checks the destination and tries
// again with a fresh blockhash.
//
// What every delivery reads alike (the verifier set, a blockhash, the lookup
// table, the priority fee paid to reach an app's accounts, and to the pool
// the pool and its collateral configs) is read once a second at most and
// shared, and read while the packet's own accounts are (the vault loan, or
// the pool's outbound nonce). A relayer whose turn to deliver has come
// begins those reads (`prepare`) while it checks the destination and
// gathers the attestations: once they are in, a delivery waits for its turn
// on the path and one send (with its preflight simulation), no read.
//
// Deliveries to the pool take turns per path, from naming the packet account
// of the pool's answer to the start of their first send: the account is
// named by the pool's next outbound nonce, so two built on the same nonce
// cannot both land. Each reads the state before its turn; in its turn it
// names the nonce after the last answer this relayer sent on the path, when
// that is past the counter it read, so it waits for the sends before it to
// start, not for their answers nor for the state to show them (a node that
// runs what it receives in order, ours, lands them in order). Other
// relayers' deliveries and borrowers' sends on the path take nonces this
// relayer does not see coming, so it names the two nonces after too
// (ANSWER_PACKET_CANDIDATES): the pool answers in the account of the nonce
// its answer takes. Where all three went to others, or an answer before it
// did not land, its simulation or transaction is refused and it is derived
// again from the state then.
import {
  decodeLoanMessage,
  decodePacket,
  type Hex,
  packetAttestationDigest,
  toBytes,
  toHex,
} from "@loanbridge/shared";
import {
  type AccountReader,
  ADDRESS_LOOKUP_TABLE_PROGRAM_ADDRESS,
  addressBytes,
  addressFromBytes32,
  ANSWER_PACKET_CANDIDATES,
  type CompiledTransaction,
  type ComputeBudget,
  decodeAccount,
  decodeLookupTable,
  deliverAppAccounts,
  type DeliverAppAccounts,
  LookupTableError,
  deliverInstructions,
  isNonceDelivered,
  PACKET_DATA_SIZE,
  pda,
  signV0Transaction,
  usableLookupTableAddresses,
} from "@loanbridge/solana-program";
import {
  type Address,
  address,
  type AddressesByLookupTableAddress,
  type Blockhash,
  type Instruction,
  isWritableRole,
  type TransactionPartialSigner,
} from "@solana/kit";
import { AlreadyDeliveredError, InsufficientAttestationsError } from "../errors.ts";
import { settled } from "../settled.ts";
import { z } from "zod";
import { type JsonRpc, RpcDisagreementError, RpcError, RpcQuorumError } from "../rpc.ts";
import {
  type Attestation,
  type DeliveryProgress,
  type DeliveryReceipt,
  type PacketDeliverer,
  PREPARED_READS_MAX_AGE_MS,
  type PreparedDelivery,
  type VerifierSet,
} from "../types.ts";
import {
  type ComputeUnitMargin,
  computeUnitLimit,
  UnitsByKind,
  MAX_COMPUTE_UNIT_LIMIT,
  priorityFee,
  type PriorityFeePolicy,
} from "./budget.ts";
import {
  SolanaDeliveryError,
  SolanaDeliveryRefusedError,
  SolanaTransactionTooLargeError,
} from "./errors.ts";
import {
  accountData,
  accountInfoSchema,
  balanceSchema,
  latestBlockhashSchema,
  prioritizationFeesSchema,
  signatureStatusesSchema,
  type SolanaAccount,
  simulationSchema,
  slotSchema,
} from "./schemas.ts";
import {
  ed25519TransactionSigner,
  localEd25519Key,
  publicKeyBytes,
  verifyEd25519,
} from "./signer.ts";
import { RecentReads } from "../recent-reads.ts";
import { type Turn, Turns } from "../turns.ts";

/** The most bytes a Solana transaction may have on the wire. */
export const MAX_TRANSACTION_SIZE = PACKET_DATA_SIZE;
const LAMPORTS_PER_SOL = 1_000_000_000;

/**
 * How long a read that every delivery makes alike is shared. A blockhash a
 * second old has most of its ~60 s ahead of it (a delivery that outlives it
 * tries again with a fresh one, read anew); a verifier set replaced within
 * the second costs a refused simulation and a retry, like any rotation
 * mid-delivery; the lookup table changes only when its authority extends
 * it (an address added meanwhile goes inline) or closes it (a transaction
 * naming it is refused, and tried again after a fresh read); and what
 * recently landed writing an app's shared accounts (its state, its token
 * vaults) changes from slot to slot, not from one delivery to the next.
 */
export const SHARED_READ_MAX_AGE_MS = 1_000;

/**
 * How long a kind's compute units serve without a simulation: then one
 * delivery of the kind simulates beside its send and the figure starts
 * afresh (UnitsByKind).
 */
export const KIND_UNITS_MAX_AGE_MS = 60_000;

type Lifetime = { blockhash: Blockhash; lastValidBlockHeight: bigint };

/** What the relayer could make of its lookup table, the last time it read it. */
export type LookupTableState =
  { table: Address; usable: number } | { table: Address; error: string };

export type SolanaDeliveryEvent =
  | { kind: "simulated"; guid: Hex; units: bigint }
  | {
      kind: "sent";
      guid: Hex;
      signature: string;
      attempt: number;
      computeUnitLimit: number;
      /** Micro-lamports per compute unit. */
      computeUnitPrice: bigint;
      /** The signed transaction's bytes on the wire. */
      size: number;
      /** The lookup table it loaded accounts from; null when sent without one. */
      lookupTable: Address | null;
    }
  /** The lookup table was read for the first time, or what it offers changed. */
  | ({ kind: "lookup_table" } & LookupTableState)
  | { kind: "expired"; guid: Hex; signature: string; attempt: number }
  /** Refused, then derived again from the chain as it is now: other accounts, tried again. */
  | { kind: "accounts_moved"; guid: Hex; rebuilds: number }
  | { kind: "confirmed"; guid: Hex; signature: string; slot: bigint };

/** A delivery transaction as a quorum sees it. */
type SignatureStatus = "pending" | { slot: bigint; err: unknown };

export interface SolanaDelivererOptions {
  eid: number;
  rpc: JsonRpc;
  programId: string;
  /** The fee payer's 64-byte keypair (solana-keygen JSON bytes). */
  payerKeypair: Uint8Array;
  /**
   * The address lookup table holding the accounts every `Deliver` names (the
   * deploy scripts create it). Read before each delivery and used only for
   * the addresses it holds; unreadable, deliveries go without it if they fit.
   */
  lookupTable?: string;
  /**
   * The priority fee: this percentile of getRecentPrioritizationFees for the
   * delivery's writable accounts, within [floor, cap] micro-lamports per
   * unit. Default 75th, [1,000, 1,000,000].
   */
  priorityFee?: PriorityFeePolicy;
  /** Added to the simulated compute units. Default 10% + 1,000. */
  computeUnitMargin?: ComputeUnitMargin;
  /** Fresh blockhashes tried before giving up. Default 3. */
  maxAttempts?: number;
  /** Status polls. Default 250 ms. */
  pollIntervalMs?: number;
  /** Re-sends of an unconfirmed transaction. Default 2 s. */
  rebroadcastMs?: number;
  /** How long a kind's compute units serve before a refresh (see UnitsByKind). Default 60 s. */
  kindUnitsMaxAgeMs?: number;
  onEvent?: (event: SolanaDeliveryEvent) => void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What one packet candidate adds to a transaction: its address and its index in Deliver. */
const CANDIDATE_BYTES = 33;

/**
 * `instructions` with the fewest of Deliver's trailing answer packet
 * candidates dropped that makes up `excess` bytes, keeping at least one;
 * undefined when dropping every spare one would not.
 */
export function withoutSpareCandidates(
  instructions: readonly Instruction[],
  candidates: number | undefined,
  excess: number,
): Instruction[] | undefined {
  const drop = Math.ceil(excess / CANDIDATE_BYTES);
  const deliver = instructions.at(-1);
  if (candidates === undefined || drop > candidates - 1 || deliver?.accounts === undefined) {
    return undefined;
  }
  return [...instructions.slice(0, -1), { ...deliver, accounts: deliver.accounts.slice(0, -drop) }];
}

/**
 * How often one delivery may be derived again after a refusal: every time,
 * another delivery to the same app took the state it was derived from, so
 * about as many as the deliveries to one app in flight at once, across
 * relayers.
 */
const MAX_ACCOUNT_REBUILDS = 32;

/** Whether two `Deliver` transactions' instructions name the same accounts in the same roles. */
function sameAccounts(a: readonly Instruction[], b: readonly Instruction[]): boolean {
  const names = (list: readonly Instruction[]) =>
    list.flatMap((ix) => (ix.accounts ?? []).map((meta) => `${meta.address}:${meta.role}`)).join();
  return names(a) === names(b);
}

export class SolanaPacketDeliverer implements PacketDeliverer {
  readonly eid: number;
  /** The program id as `bytes32`: what digests bind. */
  readonly endpoint: Hex;
  readonly #rpc: JsonRpc;
  readonly #programId: Address;
  readonly #payer: TransactionPartialSigner;
  readonly #lookupTable: Address | undefined;
  readonly #priorityFee: PriorityFeePolicy;
  readonly #margin: ComputeUnitMargin;
  /** The last state read, to report changes only. */
  #lookupTableState: LookupTableState | undefined;
  readonly #maxAttempts: number;
  readonly #pollIntervalMs: number;
  readonly #rebroadcastMs: number;
  readonly #onEvent: NonNullable<SolanaDelivererOptions["onEvent"]>;
  /** The `onProgress` of each delivery in progress, by guid. */
  readonly #progress = new Map<Hex, DeliveryProgress>();
  readonly #verifierSets = new RecentReads<VerifierSet>(SHARED_READ_MAX_AGE_MS);
  readonly #lifetimes = new RecentReads<Lifetime>(SHARED_READ_MAX_AGE_MS);
  readonly #lookupTableReads = new RecentReads<AddressesByLookupTableAddress | undefined>(
    SHARED_READ_MAX_AGE_MS,
  );
  /** By receiving app: its deliveries differ only in accounts no other transaction writes. */
  readonly #priorityFees = new RecentReads<bigint>(SHARED_READ_MAX_AGE_MS);
  /** By receiving app: the writable accounts of its last delivery, for its next fee reading. */
  readonly #feeAccounts = new Map<Hex, Address[]>();
  /**
   * The most compute units each kind of delivery simulated at (see the top
   * of this file); a few kinds: two apps, a handful of message types, the
   * threshold.
   */
  readonly #unitsByKind: UnitsByKind;
  /** Pool deliveries in their turn, by source eid (see the top of this file). */
  readonly #answerTurns = new Turns();
  /**
   * By source eid: the pool's answer nonce after the one this relayer's last
   * pool delivery named once sent, the least the next one names.
   */
  readonly #answerNonceFloors = new Map<string, bigint>();
  /** The pool's accounts its deliveries' accounts follow from, but its outbound nonces (see #stateReader). */
  readonly #poolStates = new RecentReads<Uint8Array | null>(SHARED_READ_MAX_AGE_MS);
  /** Prepared deliveries' reads, by handle: one dropped unused takes its reads with it. */
  readonly #prepared = new WeakMap<PreparedDelivery, Promise<Reads>>();

  constructor(options: SolanaDelivererOptions) {
    this.eid = options.eid;
    this.#rpc = options.rpc;
    this.#programId = address(options.programId);
    this.endpoint = toHex(addressBytes(this.#programId));
    this.#payer = ed25519TransactionSigner(localEd25519Key(options.payerKeypair));
    this.#lookupTable =
      options.lookupTable === undefined ? undefined : address(options.lookupTable);
    this.#priorityFee = options.priorityFee ?? { percentile: 75, floor: 1_000n, cap: 1_000_000n };
    this.#margin = options.computeUnitMargin ?? { bps: 1_000, units: 1_000 };
    this.#maxAttempts = options.maxAttempts ?? 3;
    this.#pollIntervalMs = options.pollIntervalMs ?? 250;
    this.#rebroadcastMs = options.rebroadcastMs ?? 2_000;
    this.#onEvent = options.onEvent ?? (() => undefined);
    this.#unitsByKind = new UnitsByKind(options.kindUnitsMaxAgeMs ?? KIND_UNITS_MAX_AGE_MS);
  }

  /** Read at most once per SHARED_READ_MAX_AGE_MS; callers within it share the read. */
  verifierSet(): Promise<VerifierSet> {
    return this.#verifierSets.get("endpoint", () => this.#readVerifierSet());
  }

  async #readVerifierSet(): Promise<VerifierSet> {
    const data = await this.#read(await pda.endpoint(this.#programId));
    if (data === null) throw new SolanaDeliveryError("the endpoint is not initialized");
    const endpoint = decodeAccount("Endpoint", data);
    const count = endpoint.verifier_count as number;
    return {
      epoch: endpoint.epoch as bigint,
      threshold: endpoint.threshold as number,
      signers: (endpoint.verifiers as string[]).slice(0, count),
    };
  }

  /** Whether the packet's nonce is set in its path's delivered nonces (the guid follows from them). */
  async isDelivered(_guid: Hex, packet: Uint8Array): Promise<boolean> {
    const key = decodePacket(packet);
    const account = await this.#account(await pda.deliveredNonces(this.#programId, key));
    return (
      account !== null &&
      account.owner === this.#programId &&
      isNonceDelivered(accountData(account), key.nonce)
    );
  }

  async walletBalance(): Promise<{ account: string; balance: number }> {
    const { value } = await this.#rpc.request(
      "getBalance",
      [this.#payer.address, { commitment: "confirmed" }],
      balanceSchema,
    );
    return { account: this.#payer.address, balance: Number(value) / LAMPORTS_PER_SOL };
  }

  /** Begins the packet's reads (see PacketDeliverer.prepare): the ones `#deliver` waits for before its turn. */
  prepare(packet: Uint8Array): PreparedDelivery {
    const at = Date.now();
    let guid: Hex;
    try {
      guid = decodePacket(packet).guid;
    } catch {
      // Nothing to read ahead for: `deliver` reports what is wrong with it.
      return { guid: toHex(new Uint8Array(32)), at };
    }
    const handle: PreparedDelivery = { guid, at };
    const reads = this.#reads(packet);
    // Waited for, or dropped with the handle: a failure is never unhandled.
    reads.catch(() => undefined);
    this.#prepared.set(handle, reads);
    return handle;
  }

  async deliver(
    packet: Uint8Array,
    attestations: Attestation[],
    onProgress?: DeliveryProgress,
    prepared?: PreparedDelivery,
  ): Promise<DeliveryReceipt> {
    const { guid } = decodePacket(packet);
    const reads = this.#preparedReads(guid, prepared) ?? this.#reads(packet);
    if (onProgress === undefined) return this.#deliver(guid, packet, attestations, reads);
    this.#progress.set(guid, onProgress);
    try {
      return await this.#deliver(guid, packet, attestations, reads);
    } finally {
      this.#progress.delete(guid);
    }
  }

  /** `prepared`'s reads, once, if they are this packet's, begun here and fresh; otherwise none. */
  #preparedReads(
    guid: Hex,
    prepared: PreparedDelivery | undefined,
  ): Promise<Reads | undefined> | undefined {
    if (prepared === undefined) return undefined;
    const reads = this.#prepared.get(prepared);
    this.#prepared.delete(prepared);
    if (reads === undefined || prepared.guid !== guid) return undefined;
    if (Date.now() - prepared.at > PREPARED_READS_MAX_AGE_MS) return undefined;
    // A failed head start is read again, as if there had been none.
    return reads.catch(() => undefined);
  }

  #emit(event: SolanaDeliveryEvent): void {
    this.#onEvent(event);
    if (event.kind === "sent") this.#progress.get(event.guid)?.("sent", event.signature);
  }

  /**
   * Independent reads at once, before the turn: a delivery waits for the
   * slowest, not their sum, and not behind the turns of others. Whether the
   * packet was delivered meanwhile is not among them: the caller asked just
   * before (or beside a prepared delivery's reads), and a transaction for a
   * delivered packet fails its simulation, which then asks. The first
   * attempt's blockhash, lookup table and priority fee start now too, and
   * wait in their memos.
   */
  async #reads(packet: Uint8Array): Promise<Reads> {
    const path = await this.#answerPath(packet);
    void Promise.allSettled([this.#lifetime(1), this.#lookupTables()]);
    this.#readPriorityFeeAhead(packet);
    const state = this.#stateReader(path);
    const [set, accounts] = await Promise.allSettled([
      this.verifierSet(),
      this.#appAccounts(packet, path, state),
    ]);
    return { path, state, set, accounts };
  }

  async #deliver(
    guid: Hex,
    packet: Uint8Array,
    attestations: Attestation[],
    reading: Promise<Reads | undefined>,
  ): Promise<DeliveryReceipt> {
    const {
      path,
      state,
      set: setRead,
      accounts: accountsRead,
    } = (await reading) ?? (await this.#reads(packet));
    // A packet already delivered is that, whatever else failed (its
    // accounts may no longer derive: the loan moved on).
    if (
      (setRead.status === "rejected" || accountsRead.status === "rejected") &&
      (await this.isDelivered(guid, packet))
    ) {
      throw new AlreadyDeliveredError(guid);
    }
    const set = settled(setRead);
    let accounts = settled(accountsRead);
    // Held from naming the answer nonce to the start of the first send, and again to derive anew.
    const turn = await this.#answerTurns.take(path);
    try {
      // Past the answers this relayer sent while it waited, from the same state.
      const floor = path === undefined ? undefined : this.#answerNonceFloors.get(path);
      if (
        floor !== undefined &&
        accounts.answerNonce !== undefined &&
        floor > accounts.answerNonce
      ) {
        accounts = await this.#appAccounts(packet, path, state);
      }
      return await this.#deliverInTurn({ guid, packet, attestations, set, path, accounts }, turn);
    } finally {
      turn.release();
    }
  }

  /**
   * What a delivery derives the receiving app's accounts from: each account
   * read once per delivery; to the pool, the pool and its collateral
   * configs as shared for a second (they change only by its admin, and a
   * delivery refused for what changed reads them afresh), its outbound
   * nonce read anew.
   */
  #stateReader(path: string | undefined): AccountReader {
    // Each account once: what is derived from it again sees the same state.
    const reads = new RecentReads<Uint8Array | null>(Number.POSITIVE_INFINITY);
    const fresh: AccountReader = (account) => reads.get(account, () => this.#read(account));
    if (path === undefined) return fresh;
    const counter = this.#answerCounter(path);
    return async (account) =>
      account === (await counter)
        ? fresh(account)
        : this.#poolStates.get(account, () => this.#read(account));
  }

  /** The pool's outbound nonce account on the path to `path` (a source eid). */
  async #answerCounter(path: string): Promise<Address> {
    return pda.nonce(this.#programId, await pda.pool(this.#programId), Number(path));
  }

  /**
   * The receiving app's accounts, read through `read`; to the pool, naming
   * an answer nonce past the last this relayer sent on the path.
   */
  #appAccounts(
    packet: Uint8Array,
    path: string | undefined,
    read: AccountReader,
  ): Promise<DeliverAppAccounts> {
    const answerNonceAtLeast = path === undefined ? undefined : this.#answerNonceFloors.get(path);
    return deliverAppAccounts(this.#programId, packet, read, {
      answerCandidates: ANSWER_PACKET_CANDIDATES,
      ...(answerNonceAtLeast !== undefined && { answerNonceAtLeast }),
    });
  }

  async #deliverInTurn(
    resolved: {
      guid: Hex;
      packet: Uint8Array;
      attestations: Attestation[];
      set: VerifierSet;
      /** The pool's answer path; none to the vault. */
      path: string | undefined;
      accounts: DeliverAppAccounts;
    },
    turn: Turn,
  ): Promise<DeliveryReceipt> {
    const { guid, packet, attestations, set, path } = resolved;
    const digest = toBytes(packetAttestationDigest(this.endpoint, set.epoch, packet));
    const selected = selectEd25519Attestations(guid, digest, set, attestations);
    const { receiver, message } = decodePacket(packet);
    const kind = `${receiver}:${decodeLoanMessage(message).type}:${selected.length}`;
    const build = (app: DeliverAppAccounts) =>
      deliverInstructions(this.#programId, {
        payer: this.#payer,
        packet,
        appAccounts: app.accounts,
        attestations: selected,
        digest,
      });
    let accounts = resolved.accounts;
    let instructions = await build(accounts);
    let rebuilds = 0;
    // Whether the destination was asked for the packet since the last try.
    let asked = true;
    for (let attempt = 1; attempt <= this.#maxAttempts;) {
      if (!asked && (await this.isDelivered(guid, packet))) throw new AlreadyDeliveredError(guid);
      asked = false;
      let receipt: DeliveryReceipt | undefined;
      try {
        receipt = await this.#attempt(
          {
            guid,
            packet,
            kind,
            instructions,
            attempt,
            path,
            answerNonce: accounts.answerNonce,
            answerCandidates: accounts.answerCandidates,
          },
          turn,
        );
      } catch (error) {
        // Another delivery to the same app may have moved the state these
        // accounts were derived from (the pool's outbound nonce names the
        // packet account of its answer), or an answer of ours named before
        // this one's may not have landed: derived again from the state now,
        // different accounts are a new transaction, tried without using an
        // attempt; the same accounts mean the refusal stands. A packet
        // delivered meanwhile is only that: asked beside the new reads, so a
        // delivery whose accounts moved waits for one round trip, not two.
        if (!(error instanceof SolanaDeliveryRefusedError)) throw error;
        const [delivered, derived] = await Promise.allSettled([
          this.isDelivered(guid, packet),
          rebuilds < MAX_ACCOUNT_REBUILDS
            ? this.#accountsAfterRefusal(packet, path, turn)
            : Promise.resolve(undefined),
        ]);
        if (settled(delivered)) throw new AlreadyDeliveredError(guid);
        const fresh = settled(derived);
        if (fresh === undefined) throw error;
        const rebuilt = await build(fresh);
        if (sameAccounts(rebuilt, instructions)) throw error;
        accounts = fresh;
        instructions = rebuilt;
        rebuilds += 1;
        this.#onEvent({ kind: "accounts_moved", guid, rebuilds });
        continue;
      }
      if (receipt !== undefined) return receipt;
      attempt += 1;
    }
    if (await this.isDelivered(guid, packet)) throw new AlreadyDeliveredError(guid);
    throw new SolanaDeliveryError(
      `deliver of ${guid} not confirmed within ${this.#maxAttempts} blockhashes`,
    );
  }

  /** The app's accounts from the state after a refusal, in the path's turn again. */
  async #accountsAfterRefusal(
    packet: Uint8Array,
    path: string | undefined,
    turn: Turn,
  ): Promise<DeliverAppAccounts> {
    await turn.retake();
    if (path !== undefined) this.#answerNonceFloors.delete(path);
    this.#poolStates.clear();
    return this.#appAccounts(packet, path, this.#stateReader(path));
  }

  /**
   * One blockhash's worth: size the compute budget (by the kind's most units,
   * or a simulation), send (letting go of `turn` once the send starts), rebroadcast;
   * undefined when it expired.
   */
  async #attempt(delivery: Delivery, turn: Turn): Promise<DeliveryReceipt | undefined> {
    const { guid, packet, kind, attempt } = delivery;
    let { instructions } = delivery;
    const [lifetime, lookupTables, microLamports] = await Promise.all([
      this.#lifetime(attempt),
      this.#lookupTables(),
      this.#priorityFeeFor(packet, instructions),
    ]);
    const build = (budget: ComputeBudget) =>
      signV0Transaction({
        feePayer: this.#payer,
        instructions,
        lifetime,
        budget,
        ...(lookupTables && { lookupTables }),
      });
    const figure = delivery.simulate === true ? undefined : this.#unitsByKind.get(kind);
    const known = figure?.units;
    // The limit's and the price's sizes are fixed, so this size is the final
    // size. Too large, it drops the answer's spare packet candidates it must
    // (each one an address and an index), keeping the first.
    let units =
      known === undefined ? MAX_COMPUTE_UNIT_LIMIT : computeUnitLimit(known, this.#margin);
    let transaction = await build({ units, microLamports });
    const excess = transaction.size - MAX_TRANSACTION_SIZE;
    const fitted =
      excess > 0
        ? withoutSpareCandidates(instructions, delivery.answerCandidates, excess)
        : undefined;
    if (fitted !== undefined) {
      instructions = fitted;
      transaction = await build({ units, microLamports });
    }
    if (transaction.size > MAX_TRANSACTION_SIZE) {
      throw new SolanaTransactionTooLargeError(guid, transaction.size, this.#lookupTableState);
    }
    if (known === undefined) {
      // Simulated as it will be sent (the compute-budget instructions use
      // units too), at the most units a transaction may have.
      const used = await this.#simulate(guid, packet, transaction);
      this.#unitsByKind.simulated(kind, used);
      units = computeUnitLimit(used, this.#margin);
      transaction = await build({ units, microLamports });
    }
    const { wire, signature } = transaction;
    this.#progress.get(guid)?.("signed", signature);
    let sentAt = 0;
    for (;;) {
      if (Date.now() - sentAt >= this.#rebroadcastMs) {
        // To every endpoint: one that drops it must not keep it from the
        // leader. The first send of a transaction not simulated here is
        // simulated by each endpoint first (at the state its reads saw).
        const preflight = known !== undefined && sentAt === 0;
        // Asked before the send, so the node simulates it before it lands.
        if (preflight && figure?.refresh === true) this.#refreshUnits(guid, kind, wire);
        const sending = this.#rpc.broadcast(
          "sendTransaction",
          [
            wire,
            preflight
              ? { encoding: "base64", preflightCommitment: "confirmed", maxRetries: 0 }
              : { encoding: "base64", skipPreflight: true, maxRetries: 0 },
          ],
          z.string(),
        );
        if (sentAt === 0) {
          // The next in turn names the answer nonce after this one's and
          // sends once this send has started, not once it is answered: the
          // node takes them in the order they come.
          this.#answered(delivery);
          turn.release();
        }
        try {
          await sending;
        } catch (error) {
          const refusal = preflight ? preflightRefusal(error) : undefined;
          if (refusal === undefined) throw error;
          if (isBudgetExceeded(refusal)) {
            // More units than its kind needed so far: simulated, and the kind's figure raised.
            return this.#attempt({ ...delivery, simulate: true }, turn);
          }
          throw refusedError(guid, refusal);
        }
        if (sentAt === 0) {
          this.#emit({
            kind: "sent",
            guid,
            signature,
            attempt,
            computeUnitLimit: units,
            computeUnitPrice: microLamports,
            size: transaction.size,
            lookupTable: lookupTables === undefined ? null : (this.#lookupTable ?? null),
          });
        }
        sentAt = Date.now();
      }
      await sleep(this.#pollIntervalMs);
      const status = await this.#status(signature);
      if (status !== "pending") {
        if (status.err !== null) {
          throw new SolanaDeliveryRefusedError(`deliver of ${guid} failed on chain`, {
            details: JSON.stringify(status.err),
          });
        }
        this.#onEvent({ kind: "confirmed", guid, signature, slot: status.slot });
        return { tx: signature, height: status.slot, outcome: "delivered" };
      }
      const height = await this.#rpc.request(
        "getBlockHeight",
        [{ commitment: "confirmed" }],
        slotSchema,
      );
      if (height > lifetime.lastValidBlockHeight) {
        this.#onEvent({ kind: "expired", guid, signature, attempt });
        return undefined;
      }
    }
  }

  /** A pool delivery is sent: the next on its path names the answer nonce after its. */
  #answered({ path, answerNonce }: Delivery): void {
    if (path === undefined || answerNonce === undefined) return;
    const floor = this.#answerNonceFloors.get(path) ?? 0n;
    if (answerNonce + 1n > floor) this.#answerNonceFloors.set(path, answerNonce + 1n);
  }

  /**
   * Simulates a transaction about to be sent at its kind's aging figure, not
   * waited for: its units start the figure afresh. One that fails (it ran
   * after its transaction landed, say) is no answer: the figure stays due.
   */
  #refreshUnits(guid: Hex, kind: string, wire: string): void {
    this.#simulation(wire)
      .then((value) => {
        if (value.err !== null || value.unitsConsumed === undefined) return;
        this.#unitsByKind.simulated(kind, value.unitsConsumed);
        this.#onEvent({ kind: "simulated", guid, units: value.unitsConsumed });
      })
      .catch(() => undefined);
  }

  /** The node's simulation of a signed transaction (`wire`, base64), signatures checked. */
  async #simulation(wire: string): Promise<z.infer<typeof simulationSchema>["value"]> {
    const { value } = await this.#rpc.request(
      "simulateTransaction",
      [wire, { encoding: "base64", commitment: "confirmed", sigVerify: true }],
      simulationSchema,
    );
    return value;
  }

  /** Compute units used; throws what the program said when simulation fails. */
  async #simulate(
    guid: Hex,
    packet: Uint8Array,
    transaction: CompiledTransaction,
  ): Promise<bigint> {
    const value = await this.#simulation(transaction.wire);
    if (value.err !== null) throw refusedError(guid, value);
    const used = value.unitsConsumed ?? 200_000n;
    this.#onEvent({ kind: "simulated", guid, units: used });
    return used;
  }

  /**
   * The path whose next outbound nonce the packet's delivery names: the
   * pool's to the source chain, for it answers every OPEN_LOAN with a
   * packet; undefined for the vault, whose deliveries name no nonce.
   */
  async #answerPath(packet: Uint8Array): Promise<string | undefined> {
    const { receiver, srcEid } = decodePacket(packet);
    const pool = await pda.pool(this.#programId);
    return addressFromBytes32(toBytes(receiver)) === pool ? String(srcEid) : undefined;
  }

  /**
   * The blockhash for attempt `attempt`: the first shares a recent read,
   * the later ones (the previous blockhash expired) read a fresh one.
   */
  #lifetime(attempt: number): Promise<Lifetime> {
    const read = async (): Promise<Lifetime> => {
      const { value } = await this.#rpc.request(
        "getLatestBlockhash",
        [{ commitment: "confirmed" }],
        latestBlockhashSchema,
      );
      return {
        blockhash: value.blockhash as Blockhash,
        lastValidBlockHeight: value.lastValidBlockHeight,
      };
    };
    return attempt === 1 ? this.#lifetimes.get("latest", read) : read();
  }

  /**
   * The priority fee for a transaction of `instructions` to the packet's
   * receiver: what recently landed writing the same accounts paid, shared by
   * the receiver's deliveries for a second. A fee hint, asked of one
   * endpoint: the floor and cap bound what a wrong answer can do.
   */
  #priorityFeeFor(packet: Uint8Array, instructions: readonly Instruction[]): Promise<bigint> {
    const { receiver } = decodePacket(packet);
    const writable = [
      ...new Set(
        instructions.flatMap((ix) =>
          (ix.accounts ?? []).filter((meta) => isWritableRole(meta.role)).map((m) => m.address),
        ),
      ),
    ];
    this.#feeAccounts.set(receiver, writable);
    return this.#priorityFees.get(receiver, () => this.#readPriorityFee(writable));
  }

  /**
   * Starts the receiver's fee reading, if none is recent, with the accounts
   * its last delivery wrote (the next one's differ only in accounts no other
   * transaction writes): read beside the packet's own accounts, not after.
   */
  #readPriorityFeeAhead(packet: Uint8Array): void {
    const { receiver } = decodePacket(packet);
    const writable = this.#feeAccounts.get(receiver);
    if (writable === undefined) return;
    this.#priorityFees.get(receiver, () => this.#readPriorityFee(writable)).catch(() => undefined);
  }

  async #readPriorityFee(writable: readonly Address[]): Promise<bigint> {
    const recent = await this.#rpc.request(
      "getRecentPrioritizationFees",
      // The RPC takes at most 128 accounts.
      [writable.slice(0, 128)],
      prioritizationFeesSchema,
    );
    return priorityFee(
      recent.map((entry) => entry.prioritizationFee),
      this.#priorityFee,
    );
  }

  /**
   * Reads the lookup table (by quorum: it decides which accounts a signed
   * transaction names) and reports what changed. A table that cannot be
   * read is reported and left out; a table missing an account leaves that
   * account inline.
   */
  async refreshLookupTable(): Promise<LookupTableState | undefined> {
    return (await this.#readLookupTable())?.state;
  }

  async #readLookupTable(): Promise<{ state: LookupTableState; usable: Address[] } | undefined> {
    const table = this.#lookupTable;
    if (table === undefined) return undefined;
    let read: TableRead;
    try {
      read = await this.#rpc.quorumRead("getAccountInfo", async (endpoint) => {
        const { context, value } = await endpoint.call(
          "getAccountInfo",
          [table, { commitment: "confirmed", encoding: "base64" }],
          accountInfoSchema,
        );
        // The next transaction lands after the slot read: usable from it on.
        return tableRead(table, value, context.slot + 1n);
      });
    } catch (error) {
      if (!isRpcFailure(error)) throw error;
      read = { error: `cannot read ${table}: ${(error as Error).message}` };
    }
    const state: LookupTableState =
      "error" in read ? { table, error: read.error } : { table, usable: read.usable.length };
    if (JSON.stringify(state) !== JSON.stringify(this.#lookupTableState)) {
      this.#onEvent({ kind: "lookup_table", ...state });
    }
    this.#lookupTableState = state;
    return { state, usable: "error" in read ? [] : read.usable };
  }

  /**
   * The table and its usable addresses for the next transaction; undefined
   * without any. Shared for SHARED_READ_MAX_AGE_MS: a table only grows, and
   * an address it gained since is sent inline meanwhile.
   */
  #lookupTables(): Promise<AddressesByLookupTableAddress | undefined> {
    return this.#lookupTableReads.get("table", async () => {
      const read = await this.#readLookupTable();
      if (read === undefined || read.usable.length === 0) return undefined;
      return { [read.state.table]: read.usable };
    });
  }

  /**
   * Accounts a delivery is built from or judged by (the verifier set, the
   * receiving app's state, the path's delivered nonces) are read by quorum:
   * one endpoint must not steer what is sent or make a packet look delivered.
   */
  async #account(account: Address) {
    return this.#rpc.quorumRead("getAccountInfo", async (endpoint) => {
      const { value } = await endpoint.call(
        "getAccountInfo",
        [account, { commitment: "confirmed", encoding: "base64" }],
        accountInfoSchema,
      );
      return value;
    });
  }

  /**
   * Whether a quorum of endpoints shows the transaction confirmed (or failed);
   * "pending" while they do not agree on it.
   */
  async #status(signature: string): Promise<SignatureStatus> {
    try {
      return await this.#rpc.quorumRead(
        "getSignatureStatuses",
        async (endpoint) => {
          const { value } = await endpoint.call(
            "getSignatureStatuses",
            [[signature], { searchTransactionHistory: false }],
            signatureStatusesSchema,
          );
          const status = value[0];
          if (status == null || status.confirmationStatus === "processed") return "pending";
          return { slot: status.slot, err: status.err };
        },
        // Endpoints see a confirmation at different slots: they agree on its outcome.
        (status) => (status === "pending" ? "pending" : JSON.stringify(status.err)),
      );
    } catch (error) {
      if (error instanceof RpcDisagreementError || error instanceof RpcQuorumError) {
        return "pending";
      }
      throw error;
    }
  }

  async #read(account: Address): Promise<Uint8Array | null> {
    const value = await this.#account(account);
    return value === null ? null : accountData(value);
  }
}

type TableRead = { usable: Address[] } | { error: string };

/** One delivery's transaction as an attempt sends it. */
interface Delivery {
  guid: Hex;
  packet: Uint8Array;
  /** Receiving app, message type and signature count: what its compute units follow. */
  kind: string;
  instructions: Instruction[];
  attempt: number;
  /**
   * The pool's answer path (source eid), the first answer nonce its accounts
   * name and how many packet candidates (last in Deliver's accounts); none
   * to the vault.
   */
  path: string | undefined;
  answerNonce: bigint | undefined;
  answerCandidates: number | undefined;
  /** Simulated even if its kind's units are known. */
  simulate?: boolean;
}

/** What a delivery reads before its turn (#reads): a rejected read is the delivery's to judge. */
interface Reads {
  /** The pool's answer path; none to the vault. */
  path: string | undefined;
  state: AccountReader;
  set: PromiseSettledResult<VerifierSet>;
  accounts: PromiseSettledResult<DeliverAppAccounts>;
}

/** A simulation's verdict: its error (null: none) and the program's logs. */
type Simulation = Pick<z.infer<typeof simulationSchema>["value"], "err" | "logs">;

/** sendTransaction's preflight failure (JSON-RPC -32002), with the simulation it ran. */
const PREFLIGHT_FAILURE = -32002;
const preflightFailureSchema = z.object({
  err: z.unknown().refine((err) => err !== null && err !== undefined),
  logs: z.array(z.string()).nullable().optional(),
});

/** The simulation an endpoint's preflight refused the transaction with, if that is the error. */
function preflightRefusal(error: unknown): Simulation | undefined {
  if (!(error instanceof RpcError) || error.kind !== "rpc_error") return undefined;
  if (error.code !== PREFLIGHT_FAILURE) return undefined;
  const parsed = preflightFailureSchema.safeParse(error.data);
  return parsed.success ? { err: parsed.data.err, logs: parsed.data.logs } : undefined;
}

/** The transaction ran out of the units it asked for. */
/**
 * A failed simulation (ours or an endpoint's preflight), with the program's
 * last words; whether the packet was delivered meanwhile is asked where it
 * is caught (#deliverInTurn).
 */
function refusedError(guid: Hex, simulation: Simulation): SolanaDeliveryRefusedError {
  return new SolanaDeliveryRefusedError(`deliver of ${guid} fails in simulation`, {
    details: `${JSON.stringify(simulation.err)}; ${(simulation.logs ?? []).slice(-4).join(" | ")}`,
  });
}

function isBudgetExceeded(simulation: Simulation): boolean {
  return JSON.stringify(simulation.err).includes("ComputationalBudgetExceeded");
}

/** What a table account (as read at some slot) offers a transaction landing at `slot`. */
function tableRead(table: Address, account: SolanaAccount, slot: bigint): TableRead {
  if (account === null) return { error: `no account at ${table}` };
  if (account.owner !== ADDRESS_LOOKUP_TABLE_PROGRAM_ADDRESS) {
    return { error: `${table} is owned by ${account.owner}, not the Address Lookup Table program` };
  }
  try {
    return { usable: usableLookupTableAddresses(decodeLookupTable(accountData(account)), slot) };
  } catch (error) {
    if (error instanceof LookupTableError) return { error: `${table}: ${error.shortMessage}` };
    throw error;
  }
}

/** The endpoints could not (or would not agree to) answer: the table is unusable for now. */
function isRpcFailure(error: unknown): boolean {
  return (
    error instanceof RpcError ||
    error instanceof RpcDisagreementError ||
    error instanceof RpcQuorumError
  );
}

/**
 * The signatures `deliver` will carry: for this packet's digest under the
 * current set, from distinct current verifiers, valid ed25519 signatures,
 * the threshold's worth. Throws `InsufficientAttestationsError` naming what
 * was dropped and why.
 */
export function selectEd25519Attestations(
  guid: Hex,
  digest: Uint8Array,
  set: { epoch: bigint; threshold: number; signers: readonly string[] },
  attestations: readonly Attestation[],
): { publicKey: Uint8Array; signature: Uint8Array }[] {
  const members = new Set(set.signers);
  const chosen = new Map<string, { publicKey: Uint8Array; signature: Uint8Array }>();
  const dropped: string[] = [];
  for (const attestation of attestations) {
    const signature = toBytes(attestation.signature);
    const reason =
      attestation.epoch !== set.epoch
        ? `epoch ${attestation.epoch}, current ${set.epoch}`
        : attestation.guid.toLowerCase() !== guid
          ? "another guid"
          : !members.has(attestation.signer)
            ? "not in the current verifier set"
            : chosen.has(attestation.signer)
              ? "duplicate"
              : !verifyEd25519(attestation.signer, digest, signature)
                ? "not a valid signature of the digest"
                : undefined;
    if (reason !== undefined) {
      dropped.push(`${attestation.signer}: ${reason}`);
      continue;
    }
    chosen.set(attestation.signer, {
      publicKey: publicKeyBytes(attestation.signer),
      signature,
    });
  }
  if (chosen.size < set.threshold) {
    throw new InsufficientAttestationsError(guid, chosen.size, set.threshold, dropped);
  }
  return [...chosen.values()].slice(0, set.threshold);
}
