// The address lookup table `Deliver` transactions load their static accounts
// from (endpoint, peers, pool and vault state, custody, programs, sysvars):
// each address there costs a one-byte index instead of 32 bytes, which is
// what lets an accepted OPEN_LOAN carry 3 signatures and both compute-budget
// instructions within Solana's 1,232 bytes. Instructions of the Address
// Lookup Table program (create, extend), the table's account layout, and the
// addresses a deployment puts in it.
import {
  type Address,
  address,
  getAddressDecoder,
  getAddressEncoder,
  getProgramDerivedAddress,
  type Instruction,
  type TransactionSigner,
} from "@solana/kit";
import { BaseError } from "@loanbridge/shared";
import {
  INSTRUCTIONS_SYSVAR_ADDRESS,
  payerMeta,
  readonly,
  signer,
  SYSTEM_PROGRAM_ADDRESS,
  TOKEN_PROGRAM_ADDRESS,
  writable,
} from "./instructions.ts";
import { leBytes, pda } from "./pda.ts";

export const ADDRESS_LOOKUP_TABLE_PROGRAM_ADDRESS = address(
  "AddressLookupTab1e1111111111111111111111111",
);

/** Bytes before the addresses (`LOOKUP_TABLE_META_SIZE` in the program). */
const META_SIZE = 56;
/** The account type tag of an initialized table (`ProgramState::LookupTable`). */
const LOOKUP_TABLE_TAG = 1;
/** `deactivation_slot` of a table in use. */
const ACTIVE = 0xffff_ffff_ffff_ffffn;

/** The account is not a usable lookup table. */
export class LookupTableError extends BaseError {
  override name = "LookupTableError";
}

export interface LookupTable {
  /** `u64::MAX` while active; the slot it was deactivated at otherwise. */
  deactivationSlot: bigint;
  /** The slot of the last extension: its addresses are usable from the next slot. */
  lastExtendedSlot: bigint;
  /** Index of the first address the last extension added. */
  lastExtendedStartIndex: number;
  authority: Address | null;
  addresses: Address[];
}

/** Decodes a lookup table account's data; throws `LookupTableError` for anything else. */
export function decodeLookupTable(data: Uint8Array): LookupTable {
  if (data.length < META_SIZE || (data.length - META_SIZE) % 32 !== 0) {
    throw new LookupTableError(`not a lookup table: ${data.length} bytes`);
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const tag = view.getUint32(0, true);
  if (tag !== LOOKUP_TABLE_TAG) throw new LookupTableError(`not a lookup table: type ${tag}`);
  const decoder = getAddressDecoder();
  const addresses: Address[] = [];
  for (let offset = META_SIZE; offset < data.length; offset += 32) {
    addresses.push(decoder.decode(data.subarray(offset, offset + 32)));
  }
  return {
    deactivationSlot: view.getBigUint64(4, true),
    lastExtendedSlot: view.getBigUint64(12, true),
    lastExtendedStartIndex: data[20] ?? 0,
    authority: data[21] === 1 ? decoder.decode(data.subarray(22, 54)) : null,
    addresses,
  };
}

/**
 * The addresses a transaction landing after `slot` may load from the table:
 * none once it is deactivated, and not those the last extension added in
 * `slot` itself (the runtime serves them from the next slot on).
 */
export function usableLookupTableAddresses(table: LookupTable, slot: bigint): Address[] {
  if (table.deactivationSlot !== ACTIVE) return [];
  return table.lastExtendedSlot >= slot
    ? table.addresses.slice(0, table.lastExtendedStartIndex)
    : table.addresses;
}

/** The table `authority` creates with `recentSlot` (a slot still in SlotHashes). */
export async function lookupTableAddress(
  authority: Address,
  recentSlot: bigint,
): Promise<{ table: Address; bump: number }> {
  const [table, bump] = await getProgramDerivedAddress({
    programAddress: ADDRESS_LOOKUP_TABLE_PROGRAM_ADDRESS,
    seeds: [getAddressEncoder().encode(authority), leBytes(recentSlot, 8)],
  });
  return { table, bump };
}

/** `CreateLookupTable` (instruction 0): an empty table owned by `authority`. */
export async function createLookupTableInstruction(input: {
  authority: TransactionSigner;
  payer: TransactionSigner;
  recentSlot: bigint;
}): Promise<{ instruction: Instruction; table: Address }> {
  const { table, bump } = await lookupTableAddress(input.authority.address, input.recentSlot);
  const data = new Uint8Array(13);
  const view = new DataView(data.buffer);
  view.setUint32(0, 0, true);
  view.setBigUint64(4, input.recentSlot, true);
  data[12] = bump;
  return {
    table,
    instruction: {
      programAddress: ADDRESS_LOOKUP_TABLE_PROGRAM_ADDRESS,
      accounts: [
        writable(table),
        signer(input.authority),
        payerMeta(input.payer),
        readonly(SYSTEM_PROGRAM_ADDRESS),
      ],
      data,
    },
  };
}

/** `ExtendLookupTable` (instruction 2): appends `addresses`. */
export function extendLookupTableInstruction(input: {
  table: Address;
  authority: TransactionSigner;
  payer: TransactionSigner;
  addresses: readonly Address[];
}): Instruction {
  const data = new Uint8Array(12 + 32 * input.addresses.length);
  const view = new DataView(data.buffer);
  view.setUint32(0, 2, true);
  view.setBigUint64(4, BigInt(input.addresses.length), true);
  const encoder = getAddressEncoder();
  input.addresses.forEach((entry, index) => {
    data.set(encoder.encode(entry), 12 + 32 * index);
  });
  return {
    programAddress: ADDRESS_LOOKUP_TABLE_PROGRAM_ADDRESS,
    accounts: [
      writable(input.table),
      signer(input.authority),
      payerMeta(input.payer),
      readonly(SYSTEM_PROGRAM_ADDRESS),
    ],
    data,
  };
}

export interface DeliverTableInput {
  /** The remote chain whose packets are delivered here. */
  remoteEid: number;
  /** The price id of the remote native coin's collateral config. */
  priceId: Uint8Array;
  /** Token mints the vault pays out (their custody accounts); none at deploy. */
  vaultAssets?: readonly Address[];
}

/**
 * The accounts every `Deliver` from `remoteEid` names whatever the packet:
 * the endpoint's (endpoint, both apps' peers, instructions sysvar, System),
 * the pool's (pool, collateral config and price of the remote native coin,
 * liquidity, outbound nonce, SPL Token) and the vault's (vault, custody of
 * each token asset). Per-packet accounts (the delivered nonces of the
 * packet's range, loan, answer packet, payee tokens) and the programs a transaction invokes (which the
 * runtime wants among its static keys) are not in it.
 */
export async function deliverLookupTableAddresses(
  program: Address,
  input: DeliverTableInput,
): Promise<Address[]> {
  const pool = await pda.pool(program);
  const vault = await pda.vault(program);
  return [
    await pda.endpoint(program),
    await pda.peer(program, pool, input.remoteEid),
    await pda.peer(program, vault, input.remoteEid),
    INSTRUCTIONS_SYSVAR_ADDRESS,
    SYSTEM_PROGRAM_ADDRESS,
    pool,
    await pda.collateral(program, input.remoteEid, new Uint8Array(32)),
    await pda.price(program, input.priceId),
    await pda.liquidity(program),
    await pda.nonce(program, pool, input.remoteEid),
    TOKEN_PROGRAM_ADDRESS,
    vault,
    ...(await Promise.all((input.vaultAssets ?? []).map((mint) => pda.custody(program, mint)))),
  ];
}
