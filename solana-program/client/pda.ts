// Program-derived addresses of the program's accounts (src/pda.rs): the
// seeds here and there must agree, which the LiteSVM tests check by using
// these addresses against the program.
import { type Hex, toBytes } from "@loanbridge/shared";
import { LRUCache } from "lru-cache";
import {
  type Address,
  getAddressEncoder,
  getProgramDerivedAddress,
  type ReadonlyUint8Array,
} from "@solana/kit";

const addressBytes = (address: Address): ReadonlyUint8Array => getAddressEncoder().encode(address);

/** `value` as `size` little-endian bytes (the program's integer seeds). */
export function leBytes(value: bigint | number, size: 4 | 8): Uint8Array {
  const bytes = new Uint8Array(size);
  if (size === 4) new DataView(bytes.buffer).setUint32(0, Number(value), true);
  else new DataView(bytes.buffer).setBigUint64(0, BigInt(value), true);
  return bytes;
}

type Seed = string | ReadonlyUint8Array;

/** Nonces one `DeliveredNonces` account records (src/state/endpoint.rs). */
export const NONCES_PER_DELIVERED_ACCOUNT = 1024n;

/** A packet's path and nonce: what its delivered-nonces account is keyed by. */
export interface DeliveredNonceKey {
  receiver: Hex;
  srcEid: number;
  sender: Hex;
  nonce: bigint;
}

/** The seeds of the `DeliveredNonces` account holding `key`'s nonce: its path and range. */
export function deliveredNoncesSeeds(key: DeliveredNonceKey): Seed[] {
  return [
    "delivered",
    toBytes(key.receiver),
    leBytes(key.srcEid, 4),
    toBytes(key.sender),
    leBytes(key.nonce / NONCES_PER_DELIVERED_ACCOUNT, 8),
  ];
}

/**
 * Addresses already derived (a pure function of program and seeds): a
 * relayer derives the endpoint's, the apps' and each path's accounts for
 * every packet, and a derivation (sha256 and a curve check per bump tried,
 * in JavaScript) costs far more than a lookup. Bounded: per-loan and
 * per-packet addresses come and go.
 */
const derived = new LRUCache<string, Promise<Address>>({ max: 2_048 });

/** The canonical address of `seeds` under the program. */
export function findPda(programAddress: Address, seeds: Seed[]): Promise<Address> {
  const key = [
    programAddress,
    ...seeds.map((seed) =>
      typeof seed === "string" ? `s${seed}` : `b${Buffer.from(seed).toString("hex")}`,
    ),
  ].join(":");
  const known = derived.get(key);
  if (known !== undefined) return known;
  const address = getProgramDerivedAddress({ programAddress, seeds }).then(([found]) => found);
  derived.set(key, address);
  // A failed derivation (seeds too long) is not kept.
  address.catch(() => derived.delete(key));
  return address;
}

/** Every PDA the program uses, by name. `bytes32` arguments are raw 32 bytes. */
export const pda = {
  endpoint: (program: Address) => findPda(program, ["endpoint"]),
  peer: (program: Address, app: Address, remoteEid: number) =>
    findPda(program, ["peer", addressBytes(app), leBytes(remoteEid, 4)]),
  nonce: (program: Address, app: Address, dstEid: number) =>
    findPda(program, ["nonce", addressBytes(app), leBytes(dstEid, 4)]),
  packet: (program: Address, app: Address, dstEid: number, nonce: bigint) =>
    findPda(program, ["packet", addressBytes(app), leBytes(dstEid, 4), leBytes(nonce, 8)]),
  deliveredNonces: (program: Address, key: DeliveredNonceKey) =>
    findPda(program, deliveredNoncesSeeds(key)),
  vault: (program: Address) => findPda(program, ["vault"]),
  vaultLoan: (program: Address, loanId: ReadonlyUint8Array) =>
    findPda(program, ["vault_loan", loanId]),
  asset: (program: Address, mint: Address) => findPda(program, ["asset", addressBytes(mint)]),
  custody: (program: Address, mint: Address) => findPda(program, ["custody", addressBytes(mint)]),
  pool: (program: Address) => findPda(program, ["pool"]),
  poolLoan: (program: Address, loanId: ReadonlyUint8Array) =>
    findPda(program, ["pool_loan", loanId]),
  shares: (program: Address) => findPda(program, ["shares"]),
  liquidity: (program: Address) => findPda(program, ["liquidity"]),
  collateral: (program: Address, remoteEid: number, asset: ReadonlyUint8Array) =>
    findPda(program, ["collateral", leBytes(remoteEid, 4), asset]),
  price: (program: Address, priceId: ReadonlyUint8Array) => findPda(program, ["price", priceId]),
  beneficiary: (program: Address, remoteEid: number) =>
    findPda(program, ["beneficiary", leBytes(remoteEid, 4)]),
};
