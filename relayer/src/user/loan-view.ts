// What `loanbridge status <loanId>` and `borrow --wait` print, from what the
// two chains hold: the API's LoanView field names and shapes (views.ts) for
// what means the same (amounts with their decimals and symbol, ISO times,
// lower-case states, native addresses), and the records only the chains
// have under `vault` and `pool`. Pure: the commands read, this maps.
import type { Hex } from "@loanbridge/shared";
import type { Plain } from "@loanbridge/solana-program";
import { ZeroAddress } from "ethers";
import { amountOf, apiLoanState, isoFromUnixSeconds, nativeAddress } from "../api/format.ts";
import type { Amount, ApiLoanState, ChainName, ChainRef, LoanView } from "../api/views.ts";
import {
  AGREEING_STATES,
  POOL_STATES,
  type PoolState,
  VAULT_STATES,
  type VaultState,
} from "../store/types.ts";
import type { EvmPoolLoan, EvmVaultLoan } from "./evm.ts";

/** A vault's record of a loan, either chain's, in common terms. */
export interface VaultRecord {
  state: VaultState;
  /** Native form on the vault's chain. */
  borrower: string;
  /** Who receives the principal, native on the lending chain; null when this chain does not keep it. */
  recipient: string | null;
  /** Whether the collateral is the chain's native coin. */
  nativeCollateral: boolean;
  collateral: bigint;
  principal: bigint;
  /** 0 until the loan is active. */
  rateBps: number;
  expiresAt: bigint;
  /** 0 until the loan is active. */
  dueTime: bigint;
}

/** A pool's record of a loan, either chain's, in common terms. */
export interface PoolRecord {
  state: PoolState;
  /** Native form on the collateral chain; null when this chain does not keep it. */
  borrower: string | null;
  /** Native form on the pool's chain; null when this chain does not keep it. */
  recipient: string | null;
  rateBps: number;
  /** null when this chain does not keep it. */
  startTime: bigint | null;
  dueTime: bigint;
  /** Outstanding principal. */
  principal: bigint;
  /** Interest accrued up to the pool's last accrual and not yet paid. */
  interest: bigint;
  repaid: bigint;
  /** Its plan (LOANS.md "Installments"): 1 installment for a bullet loan. */
  installments: number;
  paidInstallments: number;
  periodSeconds: bigint;
  installmentAmount: bigint;
}

export interface Asset {
  decimals: number;
  /** null when the chain names none (an SPL mint) and the network file gives none. */
  symbol: string | null;
}

export const NATIVE_COINS: Readonly<Record<ChainName, Asset>> = {
  evm: { decimals: 18, symbol: "ETH" },
  solana: { decimals: 9, symbol: "SOL" },
};

/** Vault states by number (`ICollateralVault.LoanState`, `VaultLoan.state`); 0 is none. */
const VAULT_STATE_NUMBERS = [
  null,
  "Requested",
  "Active",
  "Released",
  "Seized",
  "Refunded",
] as const;
/** Pool statuses by number (`ILendingPool.LoanStatus`, `PoolLoan.status`); 0 is none. */
const POOL_STATE_NUMBERS = [
  null,
  "Active",
  "Repaid",
  "Rejected",
  "Defaulted",
  "Liquidated",
] as const;

export function vaultStateOf(value: number | string): VaultState | null {
  if (typeof value === "string") {
    return (VAULT_STATES as readonly string[]).includes(value) ? (value as VaultState) : null;
  }
  return VAULT_STATE_NUMBERS[value] ?? null;
}

export function poolStateOf(value: number | string): PoolState | null {
  if (typeof value === "string") {
    return (POOL_STATES as readonly string[]).includes(value) ? (value as PoolState) : null;
  }
  return POOL_STATE_NUMBERS[value] ?? null;
}

/** The Solana program's native-coin asset: the zero key. */
const SOLANA_NATIVE_ASSET = "11111111111111111111111111111111";

const hexOf = (bytes: Plain): Hex => `0x${Buffer.from(bytes as Uint8Array).toString("hex")}`;

/** The EVM vault's record (no recipient: only its `LoanRequested` event names it). */
export function vaultFromEvm(loan: EvmVaultLoan | null): VaultRecord | null {
  const state = loan === null ? null : vaultStateOf(loan.state);
  if (loan === null || state === null) return null;
  return {
    state,
    borrower: loan.borrower,
    recipient: null,
    nativeCollateral: loan.asset === ZeroAddress,
    collateral: loan.collateralAmount,
    principal: loan.principal,
    rateBps: loan.rateBps,
    expiresAt: loan.expiresAt,
    dueTime: loan.dueTime,
  };
}

/** The EVM pool's record (it keeps neither borrower nor recipient). */
export function poolFromEvm(loan: EvmPoolLoan | null): PoolRecord | null {
  const state = loan === null ? null : poolStateOf(loan.status);
  if (loan === null || state === null) return null;
  return {
    state,
    borrower: null,
    recipient: null,
    rateBps: loan.rateBps,
    startTime: null,
    dueTime: loan.dueTime,
    principal: loan.principal,
    interest: loan.interest,
    repaid: loan.repaid,
    installments: loan.installments,
    paidInstallments: loan.paidInstallments,
    periodSeconds: loan.periodSeconds,
    installmentAmount: loan.installmentAmount,
  };
}

/** The Solana vault's `VaultLoan` account, decoded; its recipient is on EVM. */
export function vaultFromSolana(loan: Record<string, Plain> | null): VaultRecord | null {
  const state = loan === null ? null : vaultStateOf(Number(loan.state));
  if (loan === null || state === null) return null;
  return {
    state,
    borrower: loan.borrower as string,
    recipient: nativeAddress("evm", hexOf(loan.recipient ?? new Uint8Array(32))),
    nativeCollateral: loan.asset === SOLANA_NATIVE_ASSET,
    collateral: loan.collateral_amount as bigint,
    principal: loan.principal as bigint,
    rateBps: Number(loan.rate_bps),
    expiresAt: loan.expires_at as bigint,
    dueTime: loan.due_time as bigint,
  };
}

/** The Solana pool's `PoolLoan` account, decoded; its borrower is on EVM. */
export function poolFromSolana(loan: Record<string, Plain> | null): PoolRecord | null {
  const state = loan === null ? null : poolStateOf(Number(loan.status));
  if (loan === null || state === null) return null;
  return {
    state,
    borrower: nativeAddress("evm", hexOf(loan.borrower ?? new Uint8Array(32))),
    recipient: loan.recipient as string,
    rateBps: Number(loan.rate_bps),
    startTime: loan.start_time as bigint,
    dueTime: loan.due_time as bigint,
    principal: loan.principal as bigint,
    interest: loan.interest as bigint,
    repaid: loan.repaid as bigint,
    installments: Number(loan.installments),
    paidInstallments: Number(loan.paid_installments),
    periodSeconds: loan.period_seconds as bigint,
    installmentAmount: loan.installment_amount as bigint,
  };
}

/** Which chain holds the collateral: the one whose vault knows the loan, else the other side of a pool that does. */
export function collateralChainOf(
  vaults: Readonly<Record<ChainName, VaultRecord | null>>,
  pools: Readonly<Record<ChainName, PoolRecord | null>>,
): ChainName | undefined {
  if (vaults.evm !== null) return "evm";
  if (vaults.solana !== null) return "solana";
  if (pools.solana !== null) return "evm";
  if (pools.evm !== null) return "solana";
  return undefined;
}

export const otherChain = (chain: ChainName): ChainName => (chain === "evm" ? "solana" : "evm");

/** Base units with decimals and symbol (`Amount`); a null symbol stays null. */
export function amountWith(units: bigint, asset: Asset): Amount {
  return { ...amountOf(units, { decimals: asset.decimals, symbol: "" }), symbol: asset.symbol };
}

export type LoanStatusView = Pick<
  LoanView,
  | "loanId"
  | "borrower"
  | "recipient"
  | "collateralChain"
  | "lendingChain"
  | "vaultState"
  | "poolState"
  | "agrees"
  | "collateral"
  | "principal"
  | "rateBps"
  | "dueAt"
> & {
  /** The collateral chain's vault record; null when it has none. */
  vault: {
    chain: ChainName;
    state: ApiLoanState;
    expiresAt: string | null;
    requestedPrincipal: Amount;
  } | null;
  /** The lending chain's pool record; null when it has none. */
  pool: {
    chain: ChainName;
    state: ApiLoanState;
    startedAt: string | null;
    interest: Amount;
    repaid: Amount;
    /** Its plan and how far it is paid; `loanbridge schedule` shows each installment. */
    installments: { count: number; paid: number; amount: Amount; periodSeconds: string };
  } | null;
};

export interface LoanStatusInput {
  loanId: Hex;
  collateralChain: ChainName;
  eids: Readonly<Record<ChainName, number>>;
  vault: VaultRecord | null;
  pool: PoolRecord | null;
  /** The lending chain's stablecoin. */
  stablecoin: Asset;
}

/** The loan as both chains hold it, in the API's terms. */
export function loanStatusView(input: LoanStatusInput): LoanStatusView {
  const { loanId, collateralChain, eids, vault, pool, stablecoin } = input;
  const lendingChain = otherChain(collateralChain);
  const chainRef = (name: ChainName): ChainRef => ({ name, eid: eids[name] });
  const agrees = AGREEING_STATES.some(
    ([vaultState, poolState]) => vault?.state === vaultState && (pool?.state ?? null) === poolState,
  );
  const collateral =
    vault === null
      ? null
      : vault.nativeCollateral
        ? amountWith(vault.collateral, NATIVE_COINS[collateralChain])
        : amountOf(vault.collateral);
  const principal = pool?.principal ?? vault?.principal;
  const rateBps = pool?.rateBps ?? (vault !== null && vault.rateBps > 0 ? vault.rateBps : null);
  const dueTime = pool?.dueTime ?? vault?.dueTime ?? 0n;
  return {
    loanId,
    borrower: vault?.borrower ?? pool?.borrower ?? null,
    recipient: pool?.recipient ?? vault?.recipient ?? null,
    collateralChain: chainRef(collateralChain),
    lendingChain: chainRef(lendingChain),
    vaultState: vault === null ? null : apiLoanState(vault.state),
    poolState: pool === null ? null : apiLoanState(pool.state),
    agrees,
    collateral,
    principal: principal === undefined ? null : amountWith(principal, stablecoin),
    rateBps,
    dueAt: isoFromUnixSeconds(dueTime),
    vault:
      vault === null
        ? null
        : {
            chain: collateralChain,
            state: apiLoanState(vault.state),
            expiresAt: isoFromUnixSeconds(vault.expiresAt),
            requestedPrincipal: amountWith(vault.principal, stablecoin),
          },
    pool:
      pool === null
        ? null
        : {
            chain: lendingChain,
            state: apiLoanState(pool.state),
            startedAt: pool.startTime === null ? null : isoFromUnixSeconds(pool.startTime),
            interest: amountWith(pool.interest, stablecoin),
            repaid: amountWith(pool.repaid, stablecoin),
            installments: {
              count: pool.installments,
              paid: pool.paidInstallments,
              amount: amountWith(pool.installmentAmount, stablecoin),
              periodSeconds: pool.periodSeconds.toString(),
            },
          },
  };
}

/** Whether `borrow --wait` is done: the collateral chain's vault has left `requested`. */
export function answered(view: LoanStatusView): boolean {
  return view.vaultState !== null && view.vaultState !== "requested";
}

/** Which stage a loan `borrow --wait` waits on is in, in words. */
export function waitingStage(view: LoanStatusView): string {
  const vaultOn = view.collateralChain.name;
  const poolOn = view.lendingChain.name;
  if (view.vaultState === null) return `the vault on ${vaultOn} does not show the loan yet`;
  if (view.poolState === null) {
    return `collateral locked on ${vaultOn} (requested); the lending pool on ${poolOn} has not answered yet`;
  }
  if (view.poolState === "active") {
    return `pool on ${poolOn} active (principal sent); waiting for the vault on ${vaultOn} to see LOAN_ACTIVE`;
  }
  if (view.poolState === "rejected") {
    return `pool on ${poolOn} rejected the loan; waiting for the vault on ${vaultOn} to see LOAN_REJECTED and refund`;
  }
  return `pool on ${poolOn} is ${view.poolState}; waiting for the vault on ${vaultOn}`;
}

/** The `borrow --wait` progress line: the stage, and how long it has waited. */
export const waitingLine = (stage: string, seconds: number): string =>
  `waiting (${Math.round(seconds)} s): ${stage}`;
