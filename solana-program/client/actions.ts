// What borrowers, lenders and keepers do on the Solana side, over JSON-RPC:
// each action reads the nonces and accounts it needs from the chain, builds
// the instruction and sends it. Used by the `loanbridge` user commands, the
// demo and the end-to-end tests.
import { type Hex, toBytes, toHex } from "@loanbridge/shared";
import { getCreateAssociatedTokenIdempotentInstructionAsync } from "@solana-program/token";
import { type Address, address, type Instruction, type KeyPairSigner } from "@solana/kit";
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
import {
  type SendInstructions,
  type SentSolanaTransaction,
  type SolanaRpc,
  SolanaTransactionError,
} from "./rpc.ts";
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

/**
 * How many times a send is built on its path's next packet nonce. Another
 * send on the path (a delivery the pool answers, another borrower's open)
 * may take that nonce between the read and the send; the program then
 * refuses this one, nothing done, and it is built again on the nonce then.
 */
const SEND_ON_PATH_TRIES = 4;

/**
 * Sends what `build` makes for the next packet nonce of `app` towards
 * `remoteEid`; built and sent again (up to SEND_ON_PATH_TRIES in all) when
 * it was refused and the path's nonce moved past the one it named. Any other
 * failure, or one that may yet land, is thrown as it came.
 */
async function sendOnPath<T extends object>(
  rpc: SolanaRpc,
  send: SendInstructions,
  path: { program: Address; app: Address; remoteEid: number },
  build: (packetNonce: bigint) => Promise<{ instruction: Instruction } & T>,
): Promise<SentSolanaTransaction & Omit<T, "instruction"> & { packetNonce: bigint }> {
  const next = () => nextPacketNonce(rpc, path.program, path.app, path.remoteEid);
  for (let tries = 1; ; tries++) {
    const packetNonce = await next();
    const { instruction, ...built } = await build(packetNonce);
    try {
      return { ...built, ...(await send(instruction)), packetNonce };
    } catch (error) {
      const taken =
        error instanceof SolanaTransactionError &&
        error.refused &&
        tries < SEND_ON_PATH_TRIES &&
        (await next()) > packetNonce;
      if (!taken) throw error;
    }
  }
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
  const lendingEid = decodeAccount("Vault", vaultData).lending_eid as number;
  const localEid = decodeAccount("Endpoint", endpointData).local_eid as number;
  const path = { program, app: vaultAddress, remoteEid: lendingEid };
  // Another borrower's open takes the vault's loan nonce with its packet
  // nonce: each try reads the vault again.
  return sendOnPath(rpc, send, path, async (packetNonce) => {
    const current = await readAccount(rpc, vaultAddress);
    if (current === null) throw new Error("the vault is not initialized on this program");
    const vault = decodeAccount("Vault", current);
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
      localEid,
      lendingEid,
      vaultNonce: (vault.loan_nonce as bigint) + 1n,
      packetNonce,
    });
    return { instruction, loanId: toHex(loanId), expiresAt };
  });
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
  const path = { program, app: pool, remoteEid: input.srcEid };
  return sendOnPath(rpc, send, path, async (packetNonce) => {
    const { instruction, loanId } = await cancelExpiredInstruction(program, {
      payer: input.payer,
      srcEid: input.srcEid,
      remoteVault: decodeAccount("Peer", peer).remote_app as Uint8Array,
      borrower: toBytes(input.borrower),
      vaultNonce: input.vaultNonce,
      expiresAt: input.expiresAt,
      packetNonce,
    });
    return { instruction, loanId: toHex(loanId) };
  });
}

/** A pool loan's record and where its answers go (the pool's path to its collateral chain). */
async function poolLoanPath(rpc: SolanaRpc, program: Address, loanId: Hex) {
  const loan = await poolLoanOf(rpc, program, loanId);
  if (loan === null) throw new Error(`the pool has no loan ${loanId}`);
  const srcEid = loan.src_eid as number;
  return {
    loan,
    path: { program, app: await pda.pool(program), remoteEid: srcEid },
    ref: (packetNonce: bigint) => ({ loanId: toBytes(loanId), srcEid, packetNonce }),
  };
}

/** `sendOnPath` for a pool action whose build makes the instruction alone. */
function sendPoolAction(
  rpc: SolanaRpc,
  send: SendInstructions,
  path: { program: Address; app: Address; remoteEid: number },
  build: (packetNonce: bigint) => Promise<Instruction>,
): Promise<SentSolanaTransaction> {
  return sendOnPath(rpc, send, path, async (packetNonce) => ({
    instruction: await build(packetNonce),
  }));
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
  const { path, ref } = await poolLoanPath(rpc, program, input.loanId);
  const stablecoin = await stablecoinOf(rpc, program);
  const payerTokens = await associatedTokenAccount(input.payer.address, stablecoin);
  return sendPoolAction(rpc, send, path, (packetNonce) =>
    repayInstruction(program, {
      ...ref(packetNonce),
      payer: input.payer,
      payerTokens,
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
  const { path, ref } = await poolLoanPath(rpc, program, input.loanId);
  return sendPoolAction(rpc, send, path, (packetNonce) =>
    declareDefaultInstruction(program, { ...ref(packetNonce), payer: input.payer }),
  );
}

/** Liquidates a loan under the liquidation threshold (anyone may); the pool answers LIQUIDATED. */
export async function liquidateLoan(
  rpc: SolanaRpc,
  send: SendInstructions,
  program: Address,
  input: { payer: KeyPairSigner; loanId: Hex },
): Promise<SentSolanaTransaction> {
  const { loan, path, ref } = await poolLoanPath(rpc, program, input.loanId);
  const asset = loan.collateral_asset as Uint8Array;
  const config = await readAccount(rpc, await pda.collateral(program, path.remoteEid, asset));
  if (config === null) throw new Error("no collateral setting for this loan's asset");
  const priceId = decodeAccount("CollateralConfig", config).price_id as Uint8Array;
  return sendPoolAction(rpc, send, path, (packetNonce) =>
    liquidateInstruction(program, { ...ref(packetNonce), payer: input.payer, asset, priceId }),
  );
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
