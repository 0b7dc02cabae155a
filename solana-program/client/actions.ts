// What borrowers, lenders and keepers do on the Solana side, over JSON-RPC:
// each action reads the nonces and accounts it needs from the chain, builds
// the instruction and sends it. Used by the `loanbridge` user commands, the
// demo and the end-to-end tests.
import { type Hex, toBytes, toHex } from "@loanbridge/shared";
import { getCreateAssociatedTokenIdempotentInstructionAsync } from "@solana-program/token";
import { type Address, address, type KeyPairSigner } from "@solana/kit";
import { associatedTokenAccount } from "./deliver.ts";
import { decodeAccount, type Plain } from "./idl.ts";
import { outboundPacketBytes } from "./outbound.ts";
import { pda } from "./pda.ts";
import {
  decodePoolLoan,
  type PoolLoanAccount,
  cancelExpiredInstruction,
  declareDefaultInstruction,
  depositInstruction,
  liquidateInstruction,
  repayInstruction,
  withdrawInstruction,
} from "./pool.ts";
import type { SendInstructions, SentSolanaTransaction, SolanaRpc } from "./rpc.ts";
import { openInstruction } from "./vault.ts";

/** An account's data at `commitment` (default `confirmed`), or null. */
export async function readAccount(
  rpc: SolanaRpc,
  account: Address,
  commitment: "processed" | "confirmed" | "finalized" = "confirmed",
): Promise<Uint8Array | null> {
  const { value } = await rpc.getAccountInfo(account, { commitment, encoding: "base64" }).send();
  return value === null ? null : new Uint8Array(Buffer.from(value.data[0], "base64"));
}

/**
 * The packet `app` sent to `dstEid` with `nonce`, read from its packet account at `finalized`
 * (checked by `outboundPacketBytes`), or null while there is none: how a relayer learns
 * outbound packets from state, walking nonces from its cursor.
 */
export async function readOutboundPacket(
  rpc: SolanaRpc,
  program: Address,
  route: { app: Address; dstEid: number; nonce: bigint },
  commitment: "confirmed" | "finalized" = "finalized",
): Promise<Uint8Array | null> {
  const account = await pda.packet(program, route.app, route.dstEid, route.nonce);
  const data = await readAccount(rpc, account, commitment);
  return data === null ? null : outboundPacketBytes(data);
}

/** The Clock sysvar. */
const CLOCK_SYSVAR = address("SysvarC1ock11111111111111111111111111111111");

/** The cluster's unix time at `confirmed` (`Clock.unix_timestamp`). */
export async function clusterTime(rpc: SolanaRpc): Promise<bigint> {
  const data = await readAccount(rpc, CLOCK_SYSVAR);
  if (data === null) throw new Error("no Clock sysvar");
  // slot, epoch_start_timestamp, epoch, leader_schedule_epoch, then unix_timestamp (i64 LE).
  return new DataView(data.buffer, data.byteOffset, data.byteLength).getBigInt64(32, true);
}

async function nextPacketNonce(
  rpc: SolanaRpc,
  program: Address,
  app: Address,
  remoteEid: number,
): Promise<bigint> {
  const data = await readAccount(rpc, await pda.nonce(program, app, remoteEid));
  return (data === null ? 0n : (decodeAccount("OutboundNonce", data).nonce as bigint)) + 1n;
}

/** The vault's record of a loan, or null when it has none. */
export async function vaultLoanOf(
  rpc: SolanaRpc,
  program: Address,
  loanId: Hex,
): Promise<Record<string, Plain> | null> {
  const data = await readAccount(rpc, await pda.vaultLoan(program, toBytes(loanId)));
  return data === null ? null : decodeAccount("VaultLoan", data);
}

/** The pool's record of a loan, or null when it has none. */
export async function poolLoanOf(
  rpc: SolanaRpc,
  program: Address,
  loanId: Hex,
): Promise<Record<string, Plain> | null> {
  const data = await readAccount(rpc, await pda.poolLoan(program, toBytes(loanId)));
  return data === null ? null : decodeAccount("PoolLoan", data);
}

/** The pool's loan with its schedule and installment records (`decodePoolLoan`), or null. */
export async function poolLoanAccountOf(
  rpc: SolanaRpc,
  program: Address,
  loanId: Hex,
): Promise<PoolLoanAccount | null> {
  const data = await readAccount(rpc, await pda.poolLoan(program, toBytes(loanId)));
  return data === null ? null : decodePoolLoan(data);
}

export interface OpenNativeLoan {
  borrower: KeyPairSigner;
  lamports: bigint;
  principal: bigint;
  maxRateBps: number;
  termSeconds: bigint;
  /** Who receives the principal on the lending chain, as bytes32. */
  recipient: Hex;
  /** Equal payments the loan is repaid in (shared/LOANS.md "Installments"); default 1 (bullet). */
  installments?: number;
}

/**
 * Locks SOL in the vault and asks the lending chain for a loan; returns the loan id, the
 * packet's nonce and the request's deadline (the cluster's clock + the vault's request TTL,
 * which the program accepts while it is in `(now, now + requestTtl]`).
 */
export async function openNativeLoan(
  rpc: SolanaRpc,
  send: SendInstructions,
  program: Address,
  input: OpenNativeLoan,
): Promise<SentSolanaTransaction & { loanId: Hex; packetNonce: bigint; expiresAt: bigint }> {
  const vaultAddress = await pda.vault(program);
  const vaultData = await readAccount(rpc, vaultAddress);
  const endpointData = await readAccount(rpc, await pda.endpoint(program));
  if (vaultData === null || endpointData === null) {
    throw new Error("the vault is not initialized on this program");
  }
  const vault = decodeAccount("Vault", vaultData);
  const lendingEid = vault.lending_eid as number;
  const packetNonce = await nextPacketNonce(rpc, program, vaultAddress, lendingEid);
  const expiresAt = (await clusterTime(rpc)) + (vault.request_ttl as bigint);
  const { instruction, loanId } = await openInstruction(program, {
    borrower: input.borrower,
    collateralAmount: input.lamports,
    principal: input.principal,
    maxRateBps: input.maxRateBps,
    termSeconds: input.termSeconds,
    recipient: toBytes(input.recipient),
    expiresAt,
    installments: input.installments ?? 1,
    localEid: decodeAccount("Endpoint", endpointData).local_eid as number,
    lendingEid,
    vaultNonce: (vault.loan_nonce as bigint) + 1n,
    packetNonce,
  });
  return { ...(await send(instruction)), loanId: toHex(loanId), packetNonce, expiresAt };
}

/**
 * Cancels, on this (lending) chain, a loan request from `srcEid` that expired unanswered
 * (anyone may, once the cluster's clock is past `expiresAt`): the pool records the loan id
 * Rejected (Expired) and answers LOAN_REJECTED(Expired), which refunds the collateral.
 * Returns the cancelled loan id.
 */
export async function cancelExpiredLoan(
  rpc: SolanaRpc,
  send: SendInstructions,
  program: Address,
  input: {
    payer: KeyPairSigner;
    srcEid: number;
    borrower: Hex;
    vaultNonce: bigint;
    expiresAt: bigint;
  },
): Promise<SentSolanaTransaction & { loanId: Hex }> {
  const pool = await pda.pool(program);
  const peer = await readAccount(rpc, await pda.peer(program, pool, input.srcEid));
  if (peer === null) throw new Error(`the pool has no peer on eid ${input.srcEid}`);
  const { instruction, loanId } = await cancelExpiredInstruction(program, {
    payer: input.payer,
    srcEid: input.srcEid,
    remoteVault: decodeAccount("Peer", peer).remote_app as Uint8Array,
    borrower: toBytes(input.borrower),
    vaultNonce: input.vaultNonce,
    expiresAt: input.expiresAt,
    packetNonce: await nextPacketNonce(rpc, program, pool, input.srcEid),
  });
  return { ...(await send(instruction)), loanId: toHex(loanId) };
}

async function poolLoanRef(rpc: SolanaRpc, program: Address, loanId: Hex) {
  const loan = await poolLoanOf(rpc, program, loanId);
  if (loan === null) throw new Error(`the pool has no loan ${loanId}`);
  const srcEid = loan.src_eid as number;
  return {
    loan,
    ref: {
      loanId: toBytes(loanId),
      srcEid,
      packetNonce: await nextPacketNonce(rpc, program, await pda.pool(program), srcEid),
    },
  };
}

async function stablecoinOf(rpc: SolanaRpc, program: Address): Promise<Address> {
  const data = await readAccount(rpc, await pda.pool(program));
  if (data === null) throw new Error("the pool is not initialized on this program");
  return decodeAccount("Pool", data).stablecoin_mint as Address;
}

/** Repays `amount` of a loan from the payer's stablecoin account (in full: the pool answers REPAID). */
export async function repayLoan(
  rpc: SolanaRpc,
  send: SendInstructions,
  program: Address,
  input: { payer: KeyPairSigner; loanId: Hex; amount: bigint },
): Promise<SentSolanaTransaction> {
  const { ref } = await poolLoanRef(rpc, program, input.loanId);
  const stablecoin = await stablecoinOf(rpc, program);
  return send(
    await repayInstruction(program, {
      ...ref,
      payer: input.payer,
      payerTokens: await associatedTokenAccount(input.payer.address, stablecoin),
      amount: input.amount,
    }),
  );
}

/** Writes off a loan past due + grace (anyone may); the pool answers DEFAULTED. */
export async function declareLoanDefault(
  rpc: SolanaRpc,
  send: SendInstructions,
  program: Address,
  input: { payer: KeyPairSigner; loanId: Hex },
): Promise<SentSolanaTransaction> {
  const { ref } = await poolLoanRef(rpc, program, input.loanId);
  return send(await declareDefaultInstruction(program, { ...ref, payer: input.payer }));
}

/** Liquidates a loan under the liquidation threshold (anyone may); the pool answers LIQUIDATED. */
export async function liquidateLoan(
  rpc: SolanaRpc,
  send: SendInstructions,
  program: Address,
  input: { payer: KeyPairSigner; loanId: Hex },
): Promise<SentSolanaTransaction> {
  const { loan, ref } = await poolLoanRef(rpc, program, input.loanId);
  const asset = loan.collateral_asset as Uint8Array;
  const config = await readAccount(rpc, await pda.collateral(program, ref.srcEid, asset));
  if (config === null) throw new Error("no collateral setting for this loan's asset");
  const priceId = decodeAccount("CollateralConfig", config).price_id as Uint8Array;
  return send(await liquidateInstruction(program, { ...ref, payer: input.payer, asset, priceId }));
}

async function lenderAccounts(
  send: SendInstructions,
  rpc: SolanaRpc,
  program: Address,
  lender: KeyPairSigner,
) {
  const stablecoin = await stablecoinOf(rpc, program);
  const shares = await pda.shares(program);
  await send(
    await getCreateAssociatedTokenIdempotentInstructionAsync({
      payer: lender,
      owner: lender.address,
      mint: shares,
    }),
  );
  return {
    lender,
    lenderStablecoin: await associatedTokenAccount(lender.address, stablecoin),
    lenderShares: await associatedTokenAccount(lender.address, shares),
  };
}

/** Deposits stablecoin into the pool for shares (associated token accounts). */
export async function depositLiquidity(
  rpc: SolanaRpc,
  send: SendInstructions,
  program: Address,
  input: { lender: KeyPairSigner; amount: bigint },
): Promise<SentSolanaTransaction> {
  const accounts = await lenderAccounts(send, rpc, program, input.lender);
  return send(await depositInstruction(program, accounts, input.amount));
}

/** Withdraws stablecoin from the pool, burning the shares it is worth. */
export async function withdrawLiquidity(
  rpc: SolanaRpc,
  send: SendInstructions,
  program: Address,
  input: { lender: KeyPairSigner; amount: bigint },
): Promise<SentSolanaTransaction> {
  const accounts = await lenderAccounts(send, rpc, program, input.lender);
  return send(await withdrawInstruction(program, accounts, input.amount));
}
