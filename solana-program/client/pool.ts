// Lending pool instruction builders (src/processor/{initialize_pool,
// pool_admin,lend,repay,settle,cancel_expired}.rs and the pool's Deliver
// accounts in src/pool/mod.rs).
import type {
  AccountMeta,
  Address,
  Instruction,
  ReadonlyUint8Array,
  TransactionSigner,
} from "@solana/kit";
import { accountSize, bn, decodeAccount, encodeInstruction, type InstructionName } from "./idl.ts";
import {
  payerMeta,
  readonly,
  signer,
  SYSTEM_PROGRAM_ADDRESS,
  TOKEN_PROGRAM_ADDRESS,
  writable,
} from "./instructions.ts";
import { pda } from "./pda.ts";
import { loanIdOf } from "./vault.ts";

/** Pool loan statuses (`PoolLoan.status`). */
export const PoolLoanStatus = {
  None: 0,
  Active: 1,
  Repaid: 2,
  Rejected: 3,
  Defaulted: 4,
  Liquidated: 5,
} as const;

export interface LoanTerms {
  rateBps: number;
  minTermSeconds: bigint;
  maxTermSeconds: bigint;
  gracePeriodSeconds: bigint;
}

const termsArgs = (terms: LoanTerms) => ({
  rate_bps: terms.rateBps,
  min_term_seconds: bn(terms.minTermSeconds),
  max_term_seconds: bn(terms.maxTermSeconds),
  grace_period_seconds: bn(terms.gracePeriodSeconds),
});

const ix = (program: Address, accounts: AccountMeta[], data: Uint8Array): Instruction => ({
  programAddress: program,
  accounts,
  data,
});

export async function initializePoolInstruction(
  program: Address,
  input: {
    payer: TransactionSigner;
    admin: TransactionSigner;
    stablecoin: Address;
    terms: LoanTerms;
    maxPriceAge: bigint;
    /** The due-bucket width W (3,600 s to a year), fixed for the pool's life. */
    dueBucketSeconds: bigint;
  },
): Promise<Instruction> {
  return ix(
    program,
    [
      payerMeta(input.payer),
      signer(input.admin),
      readonly(await pda.endpoint(program)),
      writable(await pda.pool(program)),
      readonly(input.stablecoin),
      writable(await pda.liquidity(program)),
      writable(await pda.shares(program)),
      readonly(TOKEN_PROGRAM_ADDRESS),
      readonly(SYSTEM_PROGRAM_ADDRESS),
    ],
    encodeInstruction("initialize_pool", {
      ...termsArgs(input.terms),
      max_price_age: bn(input.maxPriceAge),
      due_bucket_seconds: bn(input.dueBucketSeconds),
    }),
  );
}

async function poolSettings(
  program: Address,
  name: InstructionName,
  authority: TransactionSigner,
  args: Record<string, unknown> = {},
): Promise<Instruction> {
  return ix(
    program,
    [signer(authority), readonly(await pda.endpoint(program)), writable(await pda.pool(program))],
    encodeInstruction(name, args),
  );
}

export const setLoanTermsInstruction = (
  program: Address,
  admin: TransactionSigner,
  terms: LoanTerms,
) => poolSettings(program, "set_loan_terms", admin, termsArgs(terms));
export const setMaxPriceAgeInstruction = (
  program: Address,
  admin: TransactionSigner,
  maxPriceAge: bigint,
) => poolSettings(program, "set_max_price_age", admin, { max_price_age: bn(maxPriceAge) });
/** Pool installment settings (shared/LOANS.md "Installments"). */
export interface InstallmentTerms {
  /** 1 to 360 (`MAX_INSTALLMENTS`); 1 allows bullet loans only. */
  maxInstallments: number;
  /** Up to four allowed periods in seconds (0 = unused slot), each at most `maxTermSeconds`. */
  periods: readonly bigint[];
}

/** Most installments a pool may allow (`SetInstallmentTerms`). */
export const MAX_INSTALLMENTS = 360;
/** Allowed-period slots of `SetInstallmentTerms`. */
export const INSTALLMENT_PERIOD_SLOTS = 4;

/** `SetInstallmentTerms` (admin): the periods are padded with zeros to four slots. */
export function setInstallmentTermsInstruction(
  program: Address,
  admin: TransactionSigner,
  terms: InstallmentTerms,
): Promise<Instruction> {
  if (terms.periods.length > INSTALLMENT_PERIOD_SLOTS) {
    throw new Error(`at most ${INSTALLMENT_PERIOD_SLOTS} installment periods`);
  }
  const periods = Array.from({ length: INSTALLMENT_PERIOD_SLOTS }, (_, i) =>
    bn(terms.periods[i] ?? 0n),
  );
  return poolSettings(program, "set_installment_terms", admin, {
    max_installments: terms.maxInstallments,
    periods,
  });
}
export const pausePoolInstruction = (program: Address, authority: TransactionSigner) =>
  poolSettings(program, "pause_pool", authority);
export const unpausePoolInstruction = (program: Address, admin: TransactionSigner) =>
  poolSettings(program, "unpause_pool", admin);

async function setting(
  program: Address,
  name: InstructionName,
  input: { payer: TransactionSigner; admin: TransactionSigner },
  account: Address,
  args: Record<string, unknown>,
): Promise<Instruction> {
  return ix(
    program,
    [
      payerMeta(input.payer),
      signer(input.admin),
      readonly(await pda.endpoint(program)),
      writable(account),
      readonly(SYSTEM_PROGRAM_ADDRESS),
    ],
    encodeInstruction(name, args),
  );
}

export interface CollateralSetting {
  remoteEid: number;
  /** The asset on the remote chain (`bytes32`; zero = native coin). */
  asset: Uint8Array;
  maxLtvBps: number;
  liquidationLtvBps: number;
  priceId: Uint8Array;
}

export async function setCollateralInstruction(
  program: Address,
  input: { payer: TransactionSigner; admin: TransactionSigner } & CollateralSetting,
): Promise<Instruction> {
  return setting(
    program,
    "set_collateral",
    input,
    await pda.collateral(program, input.remoteEid, input.asset),
    {
      remote_eid: input.remoteEid,
      asset: Array.from(input.asset),
      max_ltv_bps: input.maxLtvBps,
      liquidation_ltv_bps: input.liquidationLtvBps,
      price_id: Array.from(input.priceId),
    },
  );
}

export async function setBeneficiaryInstruction(
  program: Address,
  input: {
    payer: TransactionSigner;
    admin: TransactionSigner;
    remoteEid: number;
    beneficiary: Uint8Array;
  },
): Promise<Instruction> {
  return setting(
    program,
    "set_beneficiary",
    input,
    await pda.beneficiary(program, input.remoteEid),
    {
      remote_eid: input.remoteEid,
      beneficiary: Array.from(input.beneficiary),
    },
  );
}

export async function setPriceInstruction(
  program: Address,
  input: { payer: TransactionSigner; admin: TransactionSigner; priceId: Uint8Array; price: bigint },
): Promise<Instruction> {
  return setting(program, "set_price", input, await pda.price(program, input.priceId), {
    price_id: Array.from(input.priceId),
    price: bn(input.price),
  });
}

export interface LendInput {
  lender: TransactionSigner;
  lenderStablecoin: Address;
  lenderShares: Address;
}

async function lend(
  program: Address,
  name: "deposit" | "redeem" | "withdraw",
  input: LendInput,
  args: Record<string, unknown>,
): Promise<Instruction> {
  return ix(
    program,
    [
      signer(input.lender),
      readonly(await pda.pool(program)),
      writable(await pda.liquidity(program)),
      writable(await pda.shares(program)),
      writable(input.lenderStablecoin),
      writable(input.lenderShares),
      readonly(TOKEN_PROGRAM_ADDRESS),
    ],
    encodeInstruction(name, args),
  );
}

export const depositInstruction = (program: Address, input: LendInput, assets: bigint) =>
  lend(program, "deposit", input, { assets: bn(assets) });
export const redeemInstruction = (program: Address, input: LendInput, shares: bigint) =>
  lend(program, "redeem", input, { shares: bn(shares) });
export const withdrawInstruction = (program: Address, input: LendInput, assets: bigint) =>
  lend(program, "withdraw", input, { assets: bn(assets) });

/** The pool's send accounts towards `srcEid` for its next packet `packetNonce`. */
async function sendAccounts(
  program: Address,
  srcEid: number,
  packetNonce: bigint,
): Promise<AccountMeta[]> {
  const pool = await pda.pool(program);
  return [
    readonly(await pda.endpoint(program)),
    readonly(await pda.peer(program, pool, srcEid)),
    writable(await pda.nonce(program, pool, srcEid)),
    writable(await pda.packet(program, pool, srcEid, packetNonce)),
    readonly(SYSTEM_PROGRAM_ADDRESS),
  ];
}

export interface PoolLoanRef {
  loanId: Uint8Array;
  /** The loan's collateral chain. */
  srcEid: number;
  /** The pool's next packet nonce to `srcEid` (`OutboundNonce.nonce + 1`). */
  packetNonce: bigint;
}

export async function repayInstruction(
  program: Address,
  input: PoolLoanRef & { payer: TransactionSigner; payerTokens: Address; amount: bigint },
): Promise<Instruction> {
  return ix(
    program,
    [
      payerMeta(input.payer),
      writable(input.payerTokens),
      writable(await pda.pool(program)),
      writable(await pda.poolLoan(program, input.loanId)),
      writable(await pda.liquidity(program)),
      readonly(TOKEN_PROGRAM_ADDRESS),
      ...(await sendAccounts(program, input.srcEid, input.packetNonce)),
    ],
    encodeInstruction("repay", { amount: bn(input.amount) }),
  );
}

/** The accounts `DeclareDefault` and `Liquidate` share, in the program's order. */
async function settlementAccounts(
  program: Address,
  input: PoolLoanRef & { payer: TransactionSigner },
): Promise<AccountMeta[]> {
  return [
    payerMeta(input.payer),
    writable(await pda.pool(program)),
    writable(await pda.poolLoan(program, input.loanId)),
    readonly(await pda.beneficiary(program, input.srcEid)),
    ...(await sendAccounts(program, input.srcEid, input.packetNonce)),
  ];
}

export async function declareDefaultInstruction(
  program: Address,
  input: PoolLoanRef & { payer: TransactionSigner },
): Promise<Instruction> {
  return ix(
    program,
    await settlementAccounts(program, input),
    encodeInstruction("declare_default", {}),
  );
}

export async function liquidateInstruction(
  program: Address,
  input: PoolLoanRef & { payer: TransactionSigner; asset: Uint8Array; priceId: Uint8Array },
): Promise<Instruction> {
  return ix(
    program,
    [
      ...(await settlementAccounts(program, input)),
      readonly(await pda.collateral(program, input.srcEid, input.asset)),
      readonly(await pda.price(program, input.priceId)),
    ],
    encodeInstruction("liquidate", {}),
  );
}

/**
 * The pool's accounts in `Deliver` for an `OPEN_LOAN` (after the endpoint's
 * six). The answer's packet account comes last, followed by the candidates
 * for `packetNonce + 1`, `+ 2`, …: `packetCandidates` in all (default 1).
 * The answer takes the pool's next nonce when the transaction runs, so a
 * delivery naming several lands even when other sends on the path took the
 * nonces before its (src/pool/mod.rs `receive`).
 */
export async function poolReceiveAccounts(
  program: Address,
  input: PoolLoanRef & {
    asset: Uint8Array;
    /** The collateral config's price id (any id when the config does not exist). */
    priceId: Uint8Array;
    recipientTokens: Address;
    packetCandidates?: number;
  },
): Promise<AccountMeta[]> {
  const candidates = input.packetCandidates ?? 1;
  if (!Number.isSafeInteger(candidates) || candidates < 1) {
    throw new RangeError(`packetCandidates must be a positive integer, not ${candidates}`);
  }
  const pool = await pda.pool(program);
  const packets = await Promise.all(
    Array.from({ length: candidates }, (_, index) =>
      pda.packet(program, pool, input.srcEid, input.packetNonce + BigInt(index)),
    ),
  );
  return [
    writable(pool),
    writable(await pda.poolLoan(program, input.loanId)),
    readonly(await pda.collateral(program, input.srcEid, input.asset)),
    readonly(await pda.price(program, input.priceId)),
    writable(await pda.liquidity(program)),
    writable(input.recipientTokens),
    readonly(TOKEN_PROGRAM_ADDRESS),
    writable(await pda.nonce(program, pool, input.srcEid)),
    ...packets.map(writable),
  ];
}

export interface CancelExpiredInput {
  payer: TransactionSigner;
  /** The collateral chain. */
  srcEid: number;
  /** The pool's peer vault on `srcEid` as bytes32 (the program computes the loan id from its peer). */
  remoteVault: Uint8Array;
  /** The borrower on the collateral chain, bytes32. */
  borrower: Uint8Array;
  vaultNonce: bigint;
  expiresAt: bigint;
  /** The pool's next packet nonce to `srcEid` (`OutboundNonce.nonce + 1`). */
  packetNonce: bigint;
}

/**
 * `CancelExpired` (anyone, after `expiresAt`): records the loan id as Rejected (Expired) and
 * answers LOAN_REJECTED(Expired); returns the loan id it cancels.
 */
export async function cancelExpiredInstruction(
  program: Address,
  input: CancelExpiredInput,
): Promise<{ instruction: Instruction; loanId: Uint8Array }> {
  const loanId = loanIdOf({
    eid: input.srcEid,
    vault: input.remoteVault,
    borrower: input.borrower,
    vaultNonce: input.vaultNonce,
    expiresAt: input.expiresAt,
  });
  const pool = await pda.pool(program);
  const instruction = ix(
    program,
    [
      payerMeta(input.payer),
      readonly(await pda.endpoint(program)),
      readonly(pool),
      writable(await pda.poolLoan(program, loanId)),
      readonly(await pda.peer(program, pool, input.srcEid)),
      writable(await pda.nonce(program, pool, input.srcEid)),
      writable(await pda.packet(program, pool, input.srcEid, input.packetNonce)),
      readonly(SYSTEM_PROGRAM_ADDRESS),
    ],
    encodeInstruction("cancel_expired", {
      src_eid: input.srcEid,
      borrower: Array.from(input.borrower),
      vault_nonce: bn(input.vaultNonce),
      expires_at: bn(input.expiresAt),
    }),
  );
  return { instruction, loanId };
}

/** One installment record of a pool loan (after its fixed fields; 24 bytes each). */
export interface InstallmentRecord {
  /** 1-based installment index. */
  index: number;
  /** Unix time of the repayment that completed it; 0 while unpaid. */
  paidAt: bigint;
  /** What it was paid out of the loan's cumulative repaid (saturating at u64::MAX). */
  amount: bigint;
  /** The loan's principal after that repayment. */
  remainingPrincipal: bigint;
}

/** A `PoolLoan` account: its fixed fields, its schedule and one record per installment. */
export interface PoolLoanAccount {
  status: number;
  rejectReason: number;
  srcEid: number;
  rateBps: number;
  startTime: bigint;
  /** The last installment's due time (sent in LOAN_ACTIVE). */
  dueTime: bigint;
  lastAccrual: bigint;
  principal: bigint;
  interest: bigint;
  repaid: bigint;
  collateralAmount: bigint;
  collateralAsset: Uint8Array;
  loanId: Uint8Array;
  borrower: Uint8Array;
  recipient: Address;
  schedule: {
    /** 1 = bullet; 0 for a rejected loan (no records). */
    installments: number;
    paidInstallments: number;
    periodSeconds: bigint;
    /** The schedule's equal payment. */
    installmentAmount: bigint;
    /** True once the first unpaid installment passed its due time (out of pool assets for good). */
    offBook: boolean;
  };
  /** One per installment, in order; unpaid ones have `paidAt` 0. */
  records: InstallmentRecord[];
}

/** Bytes of one `InstallmentRecord`. */
export const INSTALLMENT_RECORD_SIZE = 24;

/**
 * Decodes a `PoolLoan` account: the fixed fields with the IDL's coder, then the
 * `installments` records after them. Throws unless the data is a pool loan whose size is
 * the fixed part plus 24 bytes per installment.
 */
export function decodePoolLoan(account: Uint8Array | ReadonlyUint8Array): PoolLoanAccount {
  // A read-only view (LiteSVM's, an RPC decoder's) is a Uint8Array at run time.
  const data = account as Uint8Array;
  const fixed = accountSize("PoolLoan");
  if (data[0] !== POOL_LOAN_DISCRIMINATOR || data.length < fixed) {
    throw new Error("not a pool loan account");
  }
  const loan = decodeAccount("PoolLoan", data.subarray(0, fixed));
  const installments = loan.installments as number;
  if (data.length !== fixed + INSTALLMENT_RECORD_SIZE * installments) {
    throw new Error(
      `pool loan account of ${data.length} bytes, expected ${fixed + INSTALLMENT_RECORD_SIZE * installments} for ${installments} installments`,
    );
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const records = Array.from({ length: installments }, (_, i): InstallmentRecord => {
    const at = fixed + INSTALLMENT_RECORD_SIZE * i;
    return {
      index: i + 1,
      paidAt: view.getBigInt64(at, true),
      amount: view.getBigUint64(at + 8, true),
      remainingPrincipal: view.getBigUint64(at + 16, true),
    };
  });
  return {
    status: loan.status as number,
    rejectReason: loan.reject_reason as number,
    srcEid: loan.src_eid as number,
    rateBps: loan.rate_bps as number,
    startTime: loan.start_time as bigint,
    dueTime: loan.due_time as bigint,
    lastAccrual: loan.last_accrual as bigint,
    principal: loan.principal as bigint,
    interest: loan.interest as bigint,
    repaid: loan.repaid as bigint,
    collateralAmount: loan.collateral_amount as bigint,
    collateralAsset: loan.collateral_asset as Uint8Array,
    loanId: loan.loan_id as Uint8Array,
    borrower: loan.borrower as Uint8Array,
    recipient: loan.recipient as Address,
    schedule: {
      installments,
      paidInstallments: loan.paid_installments as number,
      periodSeconds: loan.period_seconds as bigint,
      installmentAmount: loan.installment_amount as bigint,
      offBook: (loan.off_book as number) !== 0,
    },
    records,
  };
}

/** Discriminator of the `PoolLoan` account (its first byte). */
export const POOL_LOAN_DISCRIMINATOR = 21;
