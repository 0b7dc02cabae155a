// The program's Anchor-format IDL (idl/loanbridge.json) and coders built on
// it: instruction data is encoded, and accounts decoded, by Anchor's Borsh
// coders from the IDL alone, so the tests that run them against the program
// keep IDL and program from drifting apart.
import anchor, { BorshAccountsCoder, BorshInstructionCoder, type Idl } from "@coral-xyz/anchor";
import { type Address, address, getAddressDecoder } from "@solana/kit";
import idlJson from "../idl/loanbridge.json" with { type: "json" };

export const idl = idlJson as unknown as Idl;
/** The program id the IDL names (tests deploy the program there). */
export const IDL_PROGRAM_ADDRESS = address(idlJson.address);

const instructionCoder = new BorshInstructionCoder(idl);
const accountsCoder = new BorshAccountsCoder(idl);

/** Anchor's big-number class (bn.js, which ships no types here). */
interface BigNumber {
  toString(base?: number): string;
}
const BN = anchor.BN as unknown as {
  new (value: string): BigNumber;
  isBN(value: unknown): boolean;
};
export const PublicKey = anchor.web3.PublicKey;

/** A `pubkey` argument for the coder. */
export const pubkey = (value: Address): InstanceType<typeof PublicKey> => new PublicKey(value);
/** A `u64`/`u128` argument for the coder. */
export const bn = (value: bigint | number): BigNumber => new BN(value.toString());

export type InstructionName = (typeof idlJson.instructions)[number]["name"];
export type AccountName = (typeof idlJson.accounts)[number]["name"];

/** Instruction data: the IDL discriminator, then the Borsh-encoded arguments. */
export function encodeInstruction(
  name: InstructionName,
  args: Record<string, unknown>,
): Uint8Array {
  return new Uint8Array(instructionCoder.encode(name, args));
}

/** A decoded value with Anchor's types replaced: BN → bigint, PublicKey → Address. */
export type Plain =
  number | bigint | boolean | string | Address | Uint8Array | Plain[] | { [field: string]: Plain };

function toPlain(value: unknown): Plain {
  if (BN.isBN(value)) return BigInt((value as BigNumber).toString());
  if (value instanceof PublicKey) return getAddressDecoder().decode(value.toBytes());
  if (Array.isArray(value)) {
    const items: unknown[] = value;
    if (items.every((item) => typeof item === "number")) return Uint8Array.from(items);
    return items.map(toPlain);
  }
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "string") {
    return value;
  }
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, toPlain(item)]));
  }
  throw new Error(`cannot convert a decoded ${typeof value}`);
}

/** Decodes account data by its IDL name (checks the discriminator). */
export function decodeAccount(name: AccountName, data: Uint8Array): Record<string, Plain> {
  const decoded: unknown = accountsCoder.decode(name, Buffer.from(data));
  return toPlain(decoded) as Record<string, Plain>;
}

/** The data size of an account, from its IDL layout (discriminator included). */
export function accountSize(name: AccountName): number {
  return accountsCoder.size(name);
}

/** The IDL's error name for a custom error code, if it names one. */
export function errorName(code: number): string | undefined {
  return idlJson.errors.find((error) => error.code === code)?.name;
}

/** The IDL layout of one account type, as Anchor's coder builds it. */
interface AccountLayout {
  layout: { encode(value: unknown, buffer: Buffer): number };
}

/**
 * Decodes account data with the IDL's coder and encodes the result again:
 * equal bytes mean the IDL describes every byte the program wrote.
 * Encodes with the coder's own layout into a buffer of the account's size:
 * `BorshAccountsCoder.encode` writes into a fixed 1,000-byte buffer, and the
 * pool (with its ring of due buckets) is larger.
 */
export function reencodeAccount(name: AccountName, data: Uint8Array): Uint8Array {
  const decoded: unknown = accountsCoder.decode(name, Buffer.from(data));
  const layouts = (accountsCoder as unknown as { accountLayouts: Map<string, AccountLayout> })
    .accountLayouts;
  const account = layouts.get(name);
  if (!account) throw new Error(`the IDL has no account ${name}`);
  const discriminator = accountsCoder.accountDiscriminator(name);
  const body = Buffer.alloc(accountSize(name) - discriminator.length);
  const written = account.layout.encode(decoded, body);
  return new Uint8Array(Buffer.concat([discriminator, body.subarray(0, written)]));
}

/** The IDL instruction name of instruction data (its 1-byte discriminator). */
export function instructionName(data: ArrayLike<number>): InstructionName | undefined {
  return idlJson.instructions.find((instruction) => instruction.discriminator[0] === data[0])?.name;
}

/** Every instruction the IDL declares. */
export const IDL_INSTRUCTIONS: readonly InstructionName[] = idlJson.instructions.map((i) => i.name);
/** Every account type the IDL declares. */
export const IDL_ACCOUNTS: readonly AccountName[] = idlJson.accounts.map((a) => a.name);
