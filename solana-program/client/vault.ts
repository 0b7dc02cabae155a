// Collateral vault instruction builders (src/processor/{initialize_vault,
// vault_admin,open}.rs, and the vault's Deliver accounts in
// src/vault/mod.rs). There is no timeout refund: the pool's CancelExpired
// (pool.ts) proves a request expired and its LOAN_REJECTED refunds.
import {
  type AccountMeta,
  type Address,
  getAddressEncoder,
  type Instruction,
  type TransactionSigner,
} from "@solana/kit";
import { solidityPackedKeccak256 } from "ethers";
import { bn, encodeInstruction } from "./idl.ts";
import {
  payerMeta,
  readonly,
  signer,
  SYSTEM_PROGRAM_ADDRESS,
  TOKEN_PROGRAM_ADDRESS,
  writable,
} from "./instructions.ts";
import { pda } from "./pda.ts";

/** What a loan id is computed from: the collateral chain's eid, its vault and the borrower as bytes32. */
export interface LoanKey {
  eid: number;
  vault: Uint8Array;
  borrower: Uint8Array;
  vaultNonce: bigint;
  expiresAt: bigint;
}

/**
 * `keccak256(eid ‖ vault ‖ borrower ‖ vaultNonce ‖ expiresAt)` (shared/LOANS.md
 * "Identifiers"), integers big-endian, addresses as bytes32: any chain's loan.
 */
export function loanIdOf(key: LoanKey): Uint8Array {
  const hex = solidityPackedKeccak256(
    ["uint32", "bytes32", "bytes32", "uint64", "uint64"],
    [key.eid, key.vault, key.borrower, key.vaultNonce, key.expiresAt],
  );
  return Uint8Array.from(Buffer.from(hex.slice(2), "hex"));
}

/** The loan id of a loan opened on this (Solana) vault. */
export function computeLoanId(
  localEid: number,
  vault: Address,
  borrower: Address,
  vaultNonce: bigint,
  expiresAt: bigint,
): Uint8Array {
  const encoder = getAddressEncoder();
  return loanIdOf({
    eid: localEid,
    vault: new Uint8Array(encoder.encode(vault)),
    borrower: new Uint8Array(encoder.encode(borrower)),
    vaultNonce,
    expiresAt,
  });
}

/** Vault loan states (`VaultLoan.state`). */
export const VaultLoanState = {
  None: 0,
  Requested: 1,
  Active: 2,
  Released: 3,
  Seized: 4,
  Refunded: 5,
} as const;

export async function initializeVaultInstruction(
  program: Address,
  input: {
    payer: TransactionSigner;
    admin: TransactionSigner;
    lendingEid: number;
    requestTtl: bigint;
  },
): Promise<Instruction> {
  return {
    programAddress: program,
    accounts: [
      payerMeta(input.payer),
      signer(input.admin),
      readonly(await pda.endpoint(program)),
      writable(await pda.vault(program)),
      readonly(SYSTEM_PROGRAM_ADDRESS),
    ],
    data: encodeInstruction("initialize_vault", {
      lending_eid: input.lendingEid,
      request_ttl: bn(input.requestTtl),
    }),
  };
}

export async function setRequestTtlInstruction(
  program: Address,
  admin: TransactionSigner,
  requestTtl: bigint,
): Promise<Instruction> {
  return {
    programAddress: program,
    accounts: [
      signer(admin),
      readonly(await pda.endpoint(program)),
      writable(await pda.vault(program)),
    ],
    data: encodeInstruction("set_request_ttl", { request_ttl: bn(requestTtl) }),
  };
}

export async function setAssetAllowedInstruction(
  program: Address,
  input: { payer: TransactionSigner; admin: TransactionSigner; mint: Address; allowed: boolean },
): Promise<Instruction> {
  return {
    programAddress: program,
    accounts: [
      payerMeta(input.payer),
      signer(input.admin),
      readonly(await pda.endpoint(program)),
      readonly(await pda.vault(program)),
      readonly(input.mint),
      writable(await pda.asset(program, input.mint)),
      writable(await pda.custody(program, input.mint)),
      readonly(TOKEN_PROGRAM_ADDRESS),
      readonly(SYSTEM_PROGRAM_ADDRESS),
    ],
    data: encodeInstruction("set_asset_allowed", { allowed: input.allowed }),
  };
}

export interface OpenInput {
  borrower: TransactionSigner;
  collateralAmount: bigint;
  principal: bigint;
  maxRateBps: number;
  termSeconds: bigint;
  /** Who receives the principal on the lending chain (`bytes32`). */
  recipient: Uint8Array;
  /**
   * The request's deadline (unix seconds), in `(now, now + requestTtl]` at execution; part of
   * the loan id. Use the cluster's clock + `Vault.request_ttl` (see `openNativeLoan`).
   */
  expiresAt: bigint;
  /**
   * Equal payments the loan is repaid in (shared/LOANS.md "Installments"); 1, the default, is a
   * bullet loan. The vault refuses 0 (`VaultZeroInstallments`); the pool answers `InvalidTerms`
   * above its `max_installments` or for a period it does not allow.
   */
  installments?: number;
  /** This chain's endpoint id (for the loan id). */
  localEid: number;
  lendingEid: number;
  /** The vault's next loan nonce (`Vault.loan_nonce + 1`). */
  vaultNonce: bigint;
  /** The vault's next packet nonce to the lending chain (`OutboundNonce.nonce + 1`). */
  packetNonce: bigint;
  /** For `OpenToken`: the mint and the borrower's token account. */
  token?: { mint: Address; borrowerTokens: Address };
}

/** `OpenNative` or `OpenToken` (when `input.token` is given), and the loan id it opens. */
export async function openInstruction(
  program: Address,
  input: OpenInput,
): Promise<{ instruction: Instruction; loanId: Uint8Array }> {
  const vault = await pda.vault(program);
  const loanId = computeLoanId(
    input.localEid,
    vault,
    input.borrower.address,
    input.vaultNonce,
    input.expiresAt,
  );
  const accounts: (AccountMeta | ReturnType<typeof payerMeta>)[] = [
    payerMeta(input.borrower),
    readonly(await pda.endpoint(program)),
    writable(vault),
    writable(await pda.vaultLoan(program, loanId)),
    readonly(await pda.peer(program, vault, input.lendingEid)),
    writable(await pda.nonce(program, vault, input.lendingEid)),
    writable(await pda.packet(program, vault, input.lendingEid, input.packetNonce)),
    readonly(SYSTEM_PROGRAM_ADDRESS),
  ];
  if (input.token) {
    accounts.push(
      readonly(input.token.mint),
      readonly(await pda.asset(program, input.token.mint)),
      writable(input.token.borrowerTokens),
      writable(await pda.custody(program, input.token.mint)),
      readonly(TOKEN_PROGRAM_ADDRESS),
    );
  }
  const data = encodeInstruction(input.token ? "open_token" : "open_native", {
    collateral_amount: bn(input.collateralAmount),
    principal: bn(input.principal),
    max_rate_bps: input.maxRateBps,
    term_seconds: bn(input.termSeconds),
    recipient: Array.from(input.recipient),
    expires_at: bn(input.expiresAt),
    installments: input.installments ?? 1,
  });
  return { instruction: { programAddress: program, accounts, data }, loanId };
}

/** Payout accounts for native collateral: the recipient itself. */
export const nativePayout = (recipient: Address): AccountMeta[] => [writable(recipient)];

/** Payout accounts for token collateral: custody, the recipient's token account, token program. */
export async function tokenPayout(
  program: Address,
  mint: Address,
  recipientTokens: Address,
): Promise<AccountMeta[]> {
  return [
    writable(await pda.custody(program, mint)),
    writable(recipientTokens),
    readonly(TOKEN_PROGRAM_ADDRESS),
  ];
}

/** The vault's accounts in `Deliver` (after the endpoint's six). */
export async function vaultReceiveAccounts(
  program: Address,
  loanId: Uint8Array,
  payout: AccountMeta[] = [],
): Promise<AccountMeta[]> {
  return [
    writable(await pda.vault(program)),
    writable(await pda.vaultLoan(program, loanId)),
    ...payout,
  ];
}
