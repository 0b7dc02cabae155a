// Learns every outbound packet from chain state, never from logs: a sending
// transaction's logs can be truncated by whoever builds it (issue 12, finding
// 1), but the program stores each packet whole in its account
// `[b"packet", app, dstEid, nonce]` and the last nonce used in
// `[b"nonce", app, dstEid]`. Each poll, for every (app ∈ {vault, pool},
// dstEid):
//
//   1. reads the nonce counters at the configured commitment from every RPC
//      endpoint and takes the highest a quorum of them reaches, so one
//      endpoint that lags or hides a packet cannot hold a nonce back and one
//      that invents nonces cannot make us look for them;
//   2. walks the nonces after the path's cursor up to the counter (and the
//      open gaps again), reading the packet accounts with batched
//      `getMultipleAccounts` by quorum, no older than the counters' slot;
//   3. keeps a packet only when its account is the program's, status SENT,
//      bytes that hash to the stored hash (the client's decoder), and a
//      header on this very path and nonce; every other nonce is a gap.
//
// Closed packets (shared/LOANS.md "On Solana", rent): `ClosePacket` closes
// a packet account once its loan is final on Solana and it is 30 days old,
// and raises the path's `close_horizon` (read with the counter, in the same
// account) to at least that nonce. A relayer that keeps up has read every
// packet long before. One that lagged longer finds the account gone: at or
// below the horizon that nonce is reported as closed (a warning, never a
// packet nor a gap, and not looked for again: nonces are sent in order, so
// its packet is older than any relayer may lag, and no send reuses a nonce);
// above the horizon a missing account was never closed, and stays the
// "missing" gap of a hidden packet, looked for again each poll.
//
// The verifier proves each packet again against the same account before
// anything is signed.
import { decodePacket, toHex } from "@loanbridge/shared";
import {
  addressBytes,
  decodeAccount,
  OUTBOUND_PACKET_SENT,
  outboundPacketBytes,
  pda,
} from "@loanbridge/solana-program";
import { type Address, address } from "@solana/kit";
import { z } from "zod";
import type { JsonRpc } from "../rpc.ts";
import {
  ANY_RECEIVER,
  type NonceGap,
  type ObservedPacket,
  type OutboundPath,
  type PacketWatcher,
  type PathCursor,
  type WatchBatch,
  type WatchState,
} from "../types.ts";
import { SolanaChainError } from "./errors.ts";
import { accountData, accountSchema, type Commitment, slotSchema } from "./schemas.ts";

export interface SolanaWatcherOptions {
  eid: number;
  rpc: JsonRpc;
  /** The loanbridge program. */
  programId: string;
  /** `finalized` in production; `confirmed` only on dev chains. */
  commitment: Commitment;
  /** The remote chains the vault and the pool send to. */
  remoteEids: readonly number[];
  /** Most packet accounts read per poll (gaps first, then new nonces). Default 100. */
  maxPackets?: number;
}

/** The most addresses one `getMultipleAccounts` takes. */
const MULTIPLE_ACCOUNTS_LIMIT = 100;

/** The system program: a closed account's owner once lamports are sent to it again. */
const SYSTEM_PROGRAM = "11111111111111111111111111111111";

/** A nonce at or below its path's close horizon with no packet account: closed, not hidden. */
const CLOSED = Symbol("closed");

/** A path's nonce counter and close horizon, as its `OutboundNonce` account holds them. */
interface Counter {
  nonce: bigint;
  horizon: bigint;
}

const multipleAccountsSchema = z.object({
  context: z.object({ slot: slotSchema }),
  value: z.array(accountSchema),
});

type Account = z.output<typeof accountSchema>;

interface Path extends OutboundPath {
  appAddress: Address;
}

interface Wanted {
  path: Path;
  nonce: bigint;
  account: Address;
}

const pathKey = (path: OutboundPath) => `${path.app}:${path.dstEid}:${path.receiver}`;

export class SolanaPacketWatcher implements PacketWatcher {
  readonly eid: number;
  readonly #rpc: JsonRpc;
  readonly #programId: Address;
  readonly #commitment: Commitment;
  readonly #remoteEids: readonly number[];
  readonly #maxPackets: number;
  #paths: Promise<Path[]> | undefined;

  constructor(options: SolanaWatcherOptions) {
    this.eid = options.eid;
    this.#rpc = options.rpc;
    this.#programId = address(options.programId);
    this.#commitment = options.commitment;
    this.#remoteEids = [...new Set(options.remoteEids)].filter((eid) => eid !== options.eid);
    this.#maxPackets = options.maxPackets ?? 100;
    if (!Number.isInteger(this.#maxPackets) || this.#maxPackets < 1) {
      throw new RangeError("maxPackets must be a positive integer");
    }
  }

  /** Every (app, dstEid) this watcher walks. */
  paths(): Promise<Path[]> {
    this.#paths ??= (async () => {
      const apps = [await pda.vault(this.#programId), await pda.pool(this.#programId)];
      return apps.flatMap((appAddress) =>
        this.#remoteEids.map((dstEid) => ({
          app: toHex(addressBytes(appAddress)),
          appAddress,
          dstEid,
          receiver: ANY_RECEIVER,
        })),
      );
    })();
    return this.#paths;
  }

  async poll(cursor: bigint, state?: WatchState): Promise<WatchBatch> {
    const head = await this.#rpc.quorumHeight("getSlot", (endpoint) =>
      endpoint.call("getSlot", [{ commitment: this.#commitment }], slotSchema),
    );
    const paths = await this.paths();
    const { counters, slot } = await this.#counters(paths);
    const counterOf = (path: OutboundPath): Counter =>
      counters.get(pathKey(path)) ?? { nonce: 0n, horizon: 0n };
    const stored = new Map((state?.paths ?? []).map((p) => [pathKey(p), p.nonce]));

    // Open gaps first (bounded), so a packet that turns up is recorded; then new nonces.
    const wanted: Wanted[] = [];
    const known = new Map(paths.map((path) => [pathKey(path), path]));
    for (const gap of state?.gaps ?? []) {
      const path = known.get(pathKey(gap));
      if (path === undefined || wanted.length >= this.#maxPackets) continue;
      // At or below the horizon the packet is older than any relayer may lag: never refilled.
      if (gap.nonce <= counterOf(path).horizon) continue;
      wanted.push({ path, nonce: gap.nonce, account: await this.#packetAddress(path, gap.nonce) });
    }
    const moved: PathCursor[] = [];
    for (const path of paths) {
      const from = stored.get(pathKey(path)) ?? 0n;
      const counter = counterOf(path).nonce;
      let last = from;
      for (let nonce = from + 1n; nonce <= counter && wanted.length < this.#maxPackets; nonce++) {
        wanted.push({ path, nonce, account: await this.#packetAddress(path, nonce) });
        last = nonce;
      }
      // A path seen for the first time is stored even at nonce 0, so its gap gauge exists.
      if (last > from || !stored.has(pathKey(path))) moved.push({ ...pathOf(path), nonce: last });
    }

    const packets: ObservedPacket[] = [];
    const gaps: NonceGap[] = [];
    const closed: NonNullable<WatchBatch["closed"]> = [];
    for (let i = 0; i < wanted.length; i += MULTIPLE_ACCOUNTS_LIMIT) {
      const chunk = wanted.slice(i, i + MULTIPLE_ACCOUNTS_LIMIT);
      const accounts = await this.#readPackets(
        chunk.map((w) => w.account),
        slot,
      );
      chunk.forEach((want, index) => {
        const result = this.#packetOf(
          want,
          accounts[index] ?? null,
          slot,
          counterOf(want.path).horizon,
        );
        if (result === CLOSED) {
          closed.push({ ...pathOf(want.path), nonce: want.nonce });
        } else if (typeof result === "string") {
          gaps.push({ ...pathOf(want.path), nonce: want.nonce, reason: result });
        } else {
          packets.push(result);
        }
      });
    }
    return {
      packets,
      scannedTo: head > cursor ? head : cursor,
      finalizedHead: head,
      paths: moved,
      gaps,
      closed,
    };
  }

  /**
   * The nonce counters and close horizons by path and the slot they were
   * read at, each the highest that a quorum of endpoints reaches (the
   * quorum-th highest answer): an endpoint that lags or hides a packet
   * cannot hold a nonce back, and one that invents nonces, horizons or
   * slots cannot run us ahead.
   */
  async #counters(
    paths: readonly Path[],
  ): Promise<{ counters: Map<string, Counter>; slot: bigint }> {
    if (paths.length === 0) return { counters: new Map(), slot: 0n };
    const addresses = await Promise.all(
      paths.map((path) => pda.nonce(this.#programId, path.appAddress, path.dstEid)),
    );
    const { answers, errors } = await this.#rpc.readAll((endpoint) =>
      endpoint.call(
        "getMultipleAccounts",
        [addresses, { commitment: this.#commitment, encoding: "base64" }],
        multipleAccountsSchema,
      ),
    );
    const quorum = this.#rpc.quorumSize;
    if (answers.length < quorum) {
      throw new SolanaChainError(
        `nonce counters: ${answers.length} of the ${quorum} endpoints needed answered`,
        { details: errors.map((e) => e.shortMessage).join("; ") },
      );
    }
    // A quorum answered, so each value is reached by one.
    const reached = (values: bigint[]): bigint => this.#rpc.reachedByQuorum(values) ?? 0n;
    const counters = new Map(
      paths.map((path, i) => {
        const read = answers.map(({ value }) => this.#counterOf(value.value[i] ?? null));
        const counter: Counter = {
          nonce: reached(read.map((c) => c.nonce)),
          horizon: reached(read.map((c) => c.horizon)),
        };
        return [pathKey(path), counter];
      }),
    );
    return { counters, slot: reached(answers.map(({ value }) => value.context.slot)) };
  }

  #counterOf(account: Account): Counter {
    // Only the program can write its PDA's data; anything else counts as no packet sent.
    const none = { nonce: 0n, horizon: 0n };
    if (account === null || account.owner !== this.#programId) return none;
    try {
      const record = decodeAccount("OutboundNonce", accountData(account));
      return { nonce: record.nonce as bigint, horizon: record.close_horizon as bigint };
    } catch {
      return none;
    }
  }

  /** Packet accounts by quorum, from endpoints at least at `minContextSlot`. */
  async #readPackets(accounts: readonly Address[], minContextSlot: bigint): Promise<Account[]> {
    return this.#rpc.quorumRead("getMultipleAccounts", async (endpoint) => {
      const answer = await endpoint.call(
        "getMultipleAccounts",
        [
          accounts,
          {
            commitment: this.#commitment,
            encoding: "base64",
            minContextSlot: Number(minContextSlot),
          },
        ],
        multipleAccountsSchema,
      );
      // Context slots differ between endpoints; packet accounts never change once written.
      return answer.value;
    });
  }

  #packetAddress(path: Path, nonce: bigint): Promise<Address> {
    return pda.packet(this.#programId, path.appAddress, path.dstEid, nonce);
  }

  /** The observed packet, or why this nonce is a gap. */
  #packetOf(
    want: Wanted,
    account: Account,
    slot: bigint,
    horizon: bigint,
  ): ObservedPacket | typeof CLOSED | string {
    // Gone: never created there, or closed (and maybe sent lamports again since).
    const gone =
      account === null || (account.owner === SYSTEM_PROGRAM && accountData(account).length === 0);
    if (gone && want.nonce <= horizon) return CLOSED;
    if (account === null) return "missing";
    if (account.owner !== this.#programId) return `owned by ${account.owner}`;
    let bytes: Uint8Array;
    let packet: ReturnType<typeof decodePacket>;
    let storedGuid: string;
    try {
      const data = accountData(account);
      const record = decodeAccount("OutboundPacket", data);
      if (record.status !== OUTBOUND_PACKET_SENT) return "status is not SENT";
      storedGuid = toHex(record.guid as Uint8Array);
      bytes = outboundPacketBytes(data);
      packet = decodePacket(bytes);
    } catch (error) {
      return `invalid: ${error instanceof Error ? error.message : String(error)}`;
    }
    const { path, nonce } = want;
    if (packet.guid !== storedGuid) return "stored guid is not the packet's";
    if (
      packet.srcEid !== this.eid ||
      packet.sender.toLowerCase() !== path.app ||
      packet.dstEid !== path.dstEid ||
      packet.nonce !== nonce
    ) {
      return "header is not this path's";
    }
    return {
      packet: bytes,
      guid: packet.guid,
      srcEid: packet.srcEid,
      dstEid: packet.dstEid,
      nonce: packet.nonce,
      // State has no transaction id: the packet account names the packet's source.
      sourceTx: want.account,
      sourceHeight: slot,
      sourceIndex: 0,
    };
  }
}

const pathOf = (path: Path): OutboundPath => ({
  app: path.app,
  dstEid: path.dstEid,
  receiver: path.receiver,
});
