// SPL Token accounts in LiteSVM, written directly (tests and the CU report
// need mints and funded token accounts, not the token program's own setup
// instructions): the layouts are SPL Token's, 82-byte mints and 165-byte
// accounts.
import { type Address, generateKeyPairSigner, getAddressEncoder, lamports } from "@solana/kit";
import type { LiteSVM } from "litesvm";
import { TOKEN_PROGRAM_ADDRESS } from "./instructions.ts";

const MINT_SIZE = 82;
const TOKEN_ACCOUNT_SIZE = 165;

function put(svm: LiteSVM, address: Address, data: Uint8Array): void {
  svm.setAccount({
    address,
    data,
    executable: false,
    lamports: lamports(svm.minimumBalanceForRentExemption(BigInt(data.length))),
    programAddress: TOKEN_PROGRAM_ADDRESS,
    space: BigInt(data.length),
  });
}

/** Writes an initialized mint (no freeze authority) at a new address. */
export async function createMint(
  svm: LiteSVM,
  mintAuthority: Address,
  decimals: number,
  supply = 0n,
): Promise<Address> {
  const address = (await generateKeyPairSigner()).address;
  const data = new Uint8Array(MINT_SIZE);
  const view = new DataView(data.buffer);
  view.setUint32(0, 1, true);
  data.set(getAddressEncoder().encode(mintAuthority), 4);
  view.setBigUint64(36, supply, true);
  data[44] = decimals;
  data[45] = 1;
  put(svm, address, data);
  return address;
}

/**
 * Writes an initialized token account of `mint` owned by `owner`, holding
 * `amount`, at `at` (e.g. the owner's associated token account) or a new address.
 */
export async function createTokenAccount(
  svm: LiteSVM,
  mint: Address,
  owner: Address,
  amount = 0n,
  at?: Address,
): Promise<Address> {
  const address = at ?? (await generateKeyPairSigner()).address;
  const data = new Uint8Array(TOKEN_ACCOUNT_SIZE);
  data.set(getAddressEncoder().encode(mint), 0);
  data.set(getAddressEncoder().encode(owner), 32);
  new DataView(data.buffer).setBigUint64(64, amount, true);
  data[108] = 1;
  put(svm, address, data);
  // Keep the mint's supply consistent with what accounts hold.
  const mintAccount = svm.getAccount(mint);
  if (mintAccount.exists && amount > 0n) {
    const mintData = Uint8Array.from(mintAccount.data);
    const view = new DataView(mintData.buffer);
    view.setBigUint64(36, view.getBigUint64(36, true) + amount, true);
    put(svm, mint, mintData);
  }
  return address;
}

/** A token account's balance. */
export function tokenBalance(svm: LiteSVM, account: Address): bigint {
  const found = svm.getAccount(account);
  if (!found.exists) throw new Error(`no token account at ${account}`);
  return new DataView(found.data.buffer, found.data.byteOffset).getBigUint64(64, true);
}

/** A mint's supply. */
export function mintSupply(svm: LiteSVM, mint: Address): bigint {
  const found = svm.getAccount(mint);
  if (!found.exists) throw new Error(`no mint at ${mint}`);
  return new DataView(found.data.buffer, found.data.byteOffset).getBigUint64(36, true);
}
