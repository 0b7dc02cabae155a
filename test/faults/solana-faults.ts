// Solana faults, aimed at what the relayer reads (relayer/src/chains/solana):
// the outbound nonce counters `[b"nonce", app, dstEid]` and packet accounts
// `[b"packet", app, dstEid, nonce]` through `getMultipleAccounts` (watcher)
// and `getAccountInfo` (verifier), and the slot. Account faults are
// overrides: a function per address from upstream's account to the one shown.
import { decodePacket, encodePacket, type Hex, toBytes, toHex } from "@loanbridge/shared";
import {
  accountSize,
  addressBytes,
  decodeAccount,
  leBytes,
  OUTBOUND_PACKET_CAPACITY,
  OUTBOUND_PACKET_DISCRIMINATOR,
  OUTBOUND_PACKET_SENT,
  pda,
} from "@loanbridge/solana-program";
import { type Address, getProgramDerivedAddress } from "@solana/kit";
import { keccak256 } from "ethers";
import {
  type CommonMode,
  commonMode,
  type Mode,
  resultOf,
  rewriteCalls,
  type Targeted,
} from "./faults.ts";
import { type RpcAnswer, type RpcCall, stringifyJson, type Upstream } from "./json-rpc.ts";

/** A packet on one of the program's outbound paths (srcEid is read from the endpoint account). */
export interface SolanaPacketPath {
  programId: Address;
  /** The sending app (the vault or pool PDA). */
  app: Address;
  dstEid: number;
  /** bytes32 of the receiving app. */
  receiver: Hex;
  message: Hex | Uint8Array;
}

/** Account bytes to show at an address, owned by `owner`. */
export interface ForgedAccount {
  address: Address;
  data: Uint8Array;
  owner: Address;
}

export type SolanaMode =
  | CommonMode
  /**
   * A well-formed OutboundPacket account for a packet never sent at the
   * path's `nonce` (replacing the real one if any), and the path's counter
   * raised to it to announce it.
   */
  | ({ mode: "forge"; packet: SolanaPacketPath & { nonce: bigint } } & Targeted)
  /** Given bytes at given addresses (missing accounts appear). */
  | ({ mode: "forge"; accounts: readonly ForgedAccount[] } & Targeted)
  /** `forge` at the path's next nonce (counter + 1 when set): the next real packet's guid. */
  | ({ mode: "squat"; packet: SolanaPacketPath } & Targeted)
  /** These accounts answered as missing; these counters reporting at most `nonce`. */
  | ({
      mode: "hide";
      accounts?: readonly Address[];
      counters?: readonly { address: Address; nonce: bigint }[];
    } & Targeted)
  /** Slots (getSlot, getBlockHeight, getEpochInfo, every answer's context) `slots` ahead. */
  | ({ mode: "head-ahead"; slots: number } & Targeted)
  /** The same `slots` behind, or stuck at `stuckAt`. */
  | ({ mode: "head-behind"; slots: number } & Targeted)
  | ({ mode: "head-behind"; stuckAt: bigint } & Targeted);

/** An account as `getAccountInfo` shows it with `encoding: "base64"`. */
interface AccountJson {
  data: [string, string];
  executable: boolean;
  lamports: number | bigint;
  owner: string;
  rentEpoch: number | bigint;
  space: number | bigint;
}

type Override = (real: AccountJson | null) => AccountJson | null;

/** `LAYOUT_VERSION` of the program's accounts (src/state/mod.rs). */
const LAYOUT_VERSION = 1;
/** `OutboundNonce.nonce`: after discriminator, version, bump, dst_eid (u32) and app (32). */
const COUNTER_NONCE_OFFSET = 39;
/** What a rent-exempt account's `rentEpoch` reads (u64::MAX), as the node writes it. */
const RENT_EXEMPT_EPOCH = 2n ** 64n - 1n;

export async function solanaMode(spec: SolanaMode, upstream: Upstream): Promise<Mode> {
  const aimed = (defaults: readonly string[] | undefined, fault: Mode["fault"]): Mode => {
    const methods = (spec.mode === "pass" ? undefined : spec.methods) ?? defaults;
    return methods === undefined ? { fault } : { methods: new Set(methods), fault };
  };
  const accountsMode = (overrides: Map<string, Override>) =>
    aimed(["getAccountInfo", "getMultipleAccounts"], (exchange) =>
      rewriteCalls(exchange, (call, answer) => overrideAccounts(call, answer, overrides)),
    );
  switch (spec.mode) {
    case "forge":
      return accountsMode(
        "accounts" in spec
          ? await forgedAccounts(upstream, spec.accounts)
          : await forgedPacket(upstream, spec.packet),
      );
    case "squat":
      return accountsMode(await forgedPacket(upstream, spec.packet));
    case "hide": {
      const overrides = new Map<string, Override>();
      for (const account of spec.accounts ?? []) overrides.set(account, () => null);
      for (const { address, nonce } of spec.counters ?? []) {
        overrides.set(address, (real) =>
          withCounter(real, (stored) => (stored < nonce ? stored : nonce)),
        );
      }
      return accountsMode(overrides);
    }
    case "head-ahead":
      return aimed(undefined, (exchange) =>
        rewriteCalls(exchange, (call, answer) =>
          shiftSlots(call, answer, (slot) => slot + BigInt(spec.slots)),
        ),
      );
    case "head-behind": {
      const behind = (slot: bigint) => {
        if ("stuckAt" in spec) return slot < spec.stuckAt ? slot : spec.stuckAt;
        const lower = slot - BigInt(spec.slots);
        return lower < 0n ? 0n : lower;
      };
      return aimed(undefined, (exchange) =>
        rewriteCalls(exchange, (call, answer) => shiftSlots(call, answer, behind)),
      );
    }
    default:
      return commonMode(spec);
  }
}

/**
 * The data of a well-formed OutboundPacket account holding `packet` at its
 * PDA (the layout `outboundPacketBytes` in the client reads: discriminator,
 * version, bump, status SENT, keccak256 of the packet, guid, length, the
 * packet zero-padded to capacity, then who paid its rent and when it was
 * sent; a forger's own, or none, unless `rent` gives them).
 */
export async function outboundPacketAccount(
  programId: Address,
  packet: Uint8Array,
  rent?: { payer: Address; sentAt: bigint },
): Promise<{ address: Address; data: Uint8Array }> {
  const { sender, dstEid, nonce, guid } = decodePacket(packet);
  if (packet.length > OUTBOUND_PACKET_CAPACITY) {
    throw new RangeError(`packet of ${packet.length} bytes exceeds ${OUTBOUND_PACKET_CAPACITY}`);
  }
  const [address, bump] = await getProgramDerivedAddress({
    programAddress: programId,
    seeds: ["packet", toBytes(sender), leBytes(dstEid, 4), leBytes(nonce, 8)],
  });
  const data = new Uint8Array(accountSize("OutboundPacket"));
  data.set([OUTBOUND_PACKET_DISCRIMINATOR, LAYOUT_VERSION, bump, OUTBOUND_PACKET_SENT]);
  data.set(toBytes(keccak256(packet) as Hex), 4);
  data.set(toBytes(guid), 36);
  const view = new DataView(data.buffer);
  view.setUint16(68, packet.length, true);
  data.set(packet, 70);
  if (rent !== undefined) {
    const payerAt = 70 + OUTBOUND_PACKET_CAPACITY;
    data.set(addressBytes(rent.payer), payerAt);
    view.setBigUint64(payerAt + 32, rent.sentAt, true);
  }
  return { address, data };
}

/** A forged packet on `path` (at its next nonce unless given) and its counter raised to it. */
async function forgedPacket(
  upstream: Upstream,
  path: SolanaPacketPath & { nonce?: bigint },
): Promise<Map<string, Override>> {
  const counter = await pda.nonce(path.programId, path.app, path.dstEid);
  const stored = await readAccount(upstream, counter);
  if (stored === null) throw new Error(`no nonce counter ${counter}: the path has no peer`);
  const nonce = path.nonce ?? counterOf(stored) + 1n;
  const endpoint = await readAccount(upstream, await pda.endpoint(path.programId));
  if (endpoint === null) throw new Error("the program has no endpoint account");
  const srcEid = decodeAccount("Endpoint", endpoint).local_eid as number;
  const packet = encodePacket(
    {
      nonce,
      srcEid,
      sender: toHex(addressBytes(path.app)),
      dstEid: path.dstEid,
      receiver: path.receiver,
    },
    path.message,
  );
  const { address, data } = await outboundPacketAccount(path.programId, packet);
  const overrides = await forgedAccounts(upstream, [{ address, data, owner: path.programId }]);
  overrides.set(counter, (real) => withCounter(real, (value) => (value > nonce ? value : nonce)));
  return overrides;
}

/** Overrides showing `accounts` as rent-exempt accounts of their owners. */
async function forgedAccounts(
  upstream: Upstream,
  accounts: readonly ForgedAccount[],
): Promise<Map<string, Override>> {
  const overrides = new Map<string, Override>();
  for (const { address, data, owner } of accounts) {
    const lamports = (await upstream.call("getMinimumBalanceForRentExemption", [
      data.length,
    ])) as number;
    const shown: AccountJson = {
      data: [Buffer.from(data).toString("base64"), "base64"],
      executable: false,
      lamports,
      owner,
      rentEpoch: RENT_EXEMPT_EPOCH,
      space: data.length,
    };
    overrides.set(address, () => shown);
  }
  return overrides;
}

/** The account as is, its nonce counter replaced by `change(stored)`. */
function withCounter(
  real: AccountJson | null,
  change: (stored: bigint) => bigint,
): AccountJson | null {
  if (real === null) return null;
  const data = Buffer.from(real.data[0], "base64");
  data.writeBigUInt64LE(change(data.readBigUInt64LE(COUNTER_NONCE_OFFSET)), COUNTER_NONCE_OFFSET);
  return { ...real, data: [data.toString("base64"), "base64"] };
}

const counterOf = (data: Uint8Array): bigint =>
  decodeAccount("OutboundNonce", data).nonce as bigint;

async function readAccount(upstream: Upstream, address: Address): Promise<Uint8Array | null> {
  const { value } = (await upstream.call("getAccountInfo", [
    address,
    { encoding: "base64", commitment: "confirmed" },
  ])) as { value: AccountJson | null };
  return value === null ? null : new Uint8Array(Buffer.from(value.data[0], "base64"));
}

/** Applies `overrides` to a base64 getAccountInfo / getMultipleAccounts answer. */
function overrideAccounts(
  call: RpcCall,
  answer: RpcAnswer,
  overrides: ReadonlyMap<string, Override>,
): RpcAnswer | undefined {
  const result = resultOf(answer) as
    { context: unknown; value: AccountJson | null | (AccountJson | null)[] } | undefined;
  const [asked, config] = (call.params ?? []) as [unknown, { encoding?: string } | undefined];
  // Forged bytes are written base64: the encoding the relayer asks for.
  if (result === undefined || config?.encoding !== "base64") return undefined;
  const addresses = call.method === "getMultipleAccounts" ? (asked as string[]) : [asked as string];
  const values = Array.isArray(result.value) ? result.value : [result.value];
  const shown = values.map((value, i) => {
    const override = overrides.get(addresses[i] ?? "");
    return override === undefined ? value : override(value);
  });
  if (shown.every((value, i) => stringifyJson(value) === stringifyJson(values[i])))
    return undefined;
  return {
    ...answer,
    result: { ...result, value: Array.isArray(result.value) ? shown : shown[0] },
  };
}

/** Moves every slot and block height in an answer by `shift` (a head ahead or behind). */
function shiftSlots(
  call: RpcCall,
  answer: RpcAnswer,
  shift: (slot: bigint) => bigint,
): RpcAnswer | undefined {
  const result = resultOf(answer);
  const moved = (value: unknown) => shown(shift(BigInt(value as number | bigint)));
  const unmoved = (value: unknown) =>
    shift(BigInt(value as number | bigint)) === BigInt(value as number | bigint);
  if (call.method === "getSlot" || call.method === "getBlockHeight") {
    if (typeof result !== "number" && typeof result !== "bigint") return undefined;
    return unmoved(result) ? undefined : { ...answer, result: moved(result) };
  }
  if (typeof result !== "object" || result === null) return undefined;
  const fields = result as Record<string, unknown>;
  if (call.method === "getEpochInfo") {
    if (unmoved(fields.absoluteSlot)) return undefined;
    return {
      ...answer,
      result: {
        ...fields,
        absoluteSlot: moved(fields.absoluteSlot),
        blockHeight: moved(fields.blockHeight),
      },
    };
  }
  const context = fields.context as { slot: number | bigint } | undefined;
  if (context === undefined || unmoved(context.slot)) return undefined;
  const delta = shift(BigInt(context.slot)) - BigInt(context.slot);
  let value = fields.value;
  // The node's own blockhash expires in its own (shifted) block heights.
  if (call.method === "getLatestBlockhash" && typeof value === "object" && value !== null) {
    const blockhash = value as { lastValidBlockHeight: number | bigint };
    value = {
      ...blockhash,
      lastValidBlockHeight: shown(BigInt(blockhash.lastValidBlockHeight) + delta),
    };
  }
  return {
    ...answer,
    result: { ...fields, context: { ...context, slot: moved(context.slot) }, value },
  };
}

/** A u64 as the node writes it: a number while exact, else a bigint. */
const shown = (value: bigint): number | bigint =>
  Number.isSafeInteger(Number(value)) ? Number(value) : value;
