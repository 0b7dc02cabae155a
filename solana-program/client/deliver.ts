// The receiving app's accounts for `Deliver`, resolved from the packet and
// the chain's state: what a relayer needs to deliver a packet it did not
// build. The account lists are the vault's and the pool's receive hooks
// (src/vault/mod.rs, src/pool/mod.rs); payouts go to the payee's associated
// token account, so borrowers, recipients and beneficiaries of token
// collateral or stablecoin need one.
import {
  BaseError,
  decodeLoanMessage,
  decodePacket,
  type LoanMessage,
  toBytes,
} from "@loanbridge/shared";
import { findAssociatedTokenPda } from "@solana-program/token";
import type { AccountMeta, Address } from "@solana/kit";
import { decodeAccount } from "./idl.ts";
import { addressFromBytes32, TOKEN_PROGRAM_ADDRESS } from "./instructions.ts";
import { pda } from "./pda.ts";
import { poolReceiveAccounts } from "./pool.ts";
import { nativePayout, tokenPayout, vaultReceiveAccounts } from "./vault.ts";

/** An account's data, or null when it does not exist (LiteSVM, or RPC at some commitment). */
export type AccountReader = (address: Address) => Promise<Uint8Array | null>;

/**
 * `Deliver`'s app accounts; for the pool, the first nonce whose answer
 * packet account they name and how many (the candidates, last in `accounts`).
 */
export interface DeliverAppAccounts {
  accounts: AccountMeta[];
  answerNonce?: bigint;
  answerCandidates?: number;
}

/** The packet cannot be delivered to this program as the chain stands. */
export class DeliverAccountsError extends BaseError {
  override name = "DeliverAccountsError";
}

const ZERO_ASSET = new Uint8Array(32);

/** The stablecoin/collateral token account of `owner` for `mint`: its associated token account. */
export async function associatedTokenAccount(owner: Address, mint: Address): Promise<Address> {
  const [address] = await findAssociatedTokenPda({
    owner,
    mint,
    tokenProgram: TOKEN_PROGRAM_ADDRESS,
  });
  return address;
}

async function poolAccounts(
  program: Address,
  srcEid: number,
  message: Extract<LoanMessage, { type: "OPEN_LOAN" }>,
  read: AccountReader,
  { answerNonceAtLeast, answerCandidates }: Required<AnswerOptions>,
): Promise<DeliverAppAccounts> {
  const pool = await pda.pool(program);
  const asset = toBytes(message.collateralAsset);
  // Each address follows from the packet alone: the three reads go at once.
  const [poolData, config, nonceData] = await Promise.all([
    read(pool),
    pda.collateral(program, srcEid, asset).then(read),
    pda.nonce(program, pool, srcEid).then(read),
  ]);
  if (poolData === null) throw new DeliverAccountsError("the pool is not initialized");
  const stablecoin = decodeAccount("Pool", poolData).stablecoin_mint as Address;
  // An unknown collateral is rejected by the pool, which then reads no price.
  const priceId =
    config === null
      ? ZERO_ASSET
      : (decodeAccount("CollateralConfig", config).price_id as Uint8Array);
  const sent =
    nonceData === null ? 0n : (decodeAccount("OutboundNonce", nonceData).nonce as bigint);
  const answerNonce = sent + 1n > answerNonceAtLeast ? sent + 1n : answerNonceAtLeast;
  const accounts = await poolReceiveAccounts(program, {
    loanId: toBytes(message.loanId),
    srcEid,
    packetNonce: answerNonce,
    packetCandidates: answerCandidates,
    asset,
    priceId,
    recipientTokens: await associatedTokenAccount(
      addressFromBytes32(toBytes(message.recipient)),
      stablecoin,
    ),
  });
  return { accounts, answerNonce, answerCandidates };
}

async function vaultAccounts(
  program: Address,
  message: Exclude<LoanMessage, { type: "OPEN_LOAN" }>,
  read: AccountReader,
): Promise<DeliverAppAccounts> {
  const loanId = toBytes(message.loanId);
  const loanAddress = await pda.vaultLoan(program, loanId);
  const loanData = await read(loanAddress);
  if (loanData === null) throw new DeliverAccountsError(`no vault loan ${message.loanId}`);
  const loan = decodeAccount("VaultLoan", loanData);
  const payee =
    message.type === "LOAN_ACTIVE"
      ? undefined
      : message.type === "DEFAULTED" || message.type === "LIQUIDATED"
        ? addressFromBytes32(toBytes(message.beneficiary))
        : (loan.borrower as Address);
  if (payee === undefined) return { accounts: await vaultReceiveAccounts(program, loanId) };
  const asset = loan.asset as Address;
  const native = asset === addressFromBytes32(ZERO_ASSET);
  const payout = native
    ? nativePayout(payee)
    : await tokenPayout(program, asset, await associatedTokenAccount(payee, asset));
  return { accounts: await vaultReceiveAccounts(program, loanId, payout) };
}

/**
 * How many packet accounts a relayer's delivery to the pool names for its
 * answer: the nonce it expects the answer to take and the two after. Other
 * relayers' deliveries on the path (and borrowers' sends from the pool) that
 * land first take nonces this relayer has not seen; with three, up to two of
 * them do not make its delivery fail. Three fit 1,232 bytes with the lookup
 * table and 3 signatures (cu-report.md), 33 bytes each; a transaction with
 * no room for them drops the spare ones.
 */
export const ANSWER_PACKET_CANDIDATES = 3;

/** How a delivery to the pool names its answer's packet account (see {@link deliverAppAccounts}). */
export interface AnswerOptions {
  answerNonceAtLeast?: bigint;
  answerCandidates?: number;
}

/**
 * The accounts after `Deliver`'s six for delivering `packet` to `program`:
 * the pool's for `OPEN_LOAN`, the vault's (with the payout accounts the
 * message needs) for the answers. Reads the pool, collateral config and
 * outbound nonce, or the vault loan, through `read`.
 *
 * The pool answers an `OPEN_LOAN` with a packet whose account is named by
 * the pool's next outbound nonce (`answerNonce`): the counter read + 1, or
 * `answerNonceAtLeast` when that is higher, for a sender whose own answer
 * on that nonce is on its way and not yet in what it read. With
 * `answerCandidates` above 1 (default 1), the accounts of the nonces after
 * follow it: any sends on the path landing first, up to one fewer than the
 * candidates, do not make the delivery fail.
 */
export async function deliverAppAccounts(
  program: Address,
  packet: Uint8Array,
  read: AccountReader,
  { answerNonceAtLeast = 0n, answerCandidates = 1 }: AnswerOptions = {},
): Promise<DeliverAppAccounts> {
  const decoded = decodePacket(packet);
  const receiver = addressFromBytes32(toBytes(decoded.receiver));
  const message = decodeLoanMessage(decoded.message);
  if (receiver === (await pda.pool(program))) {
    if (message.type !== "OPEN_LOAN") {
      throw new DeliverAccountsError(`the pool receives OPEN_LOAN only, not ${message.type}`);
    }
    return poolAccounts(program, decoded.srcEid, message, read, {
      answerNonceAtLeast,
      answerCandidates,
    });
  }
  if (receiver === (await pda.vault(program))) {
    if (message.type === "OPEN_LOAN") {
      throw new DeliverAccountsError("the vault does not receive OPEN_LOAN");
    }
    return vaultAccounts(program, message, read);
  }
  throw new DeliverAccountsError(`receiver ${receiver} is neither the vault nor the pool`);
}
