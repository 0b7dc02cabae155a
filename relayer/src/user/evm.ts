// What borrowers, lenders and keepers do on the EVM side: the vault, the
// pool and the stablecoin through ethers, with the compiled ABIs. Every
// request has the RPC deadline, and every method fails explained
// (chain-call.ts): unreachable, a decoded revert, or no contract.
import { contractAt } from "@loanbridge/evm-contracts";
import { decodeLoanMessage, type Hex } from "@loanbridge/shared";
import {
  type BaseContractMethod,
  type ContractTransactionReceipt,
  type ContractTransactionResponse,
  NonceManager,
  type Overrides,
  Wallet,
  ZeroAddress,
} from "ethers";
import { decodePacketSent, PACKET_SENT_TOPIC } from "../chains/evm/proof.ts";
import { UsageError } from "../usage.ts";
import { type ChainCallContext, onChain } from "./chain-call.ts";
import type { Network } from "./network.ts";
import { evmProvider, type RpcEndpoint } from "./rpc.ts";

/** Vault loan states, by number: `ICollateralVault.LoanState` and `VaultLoan.state` alike. */
export const VAULT_STATE_NAMES = ["None", "Requested", "Active", "Released", "Seized", "Refunded"];
/** Pool loan statuses, by number: `ILendingPool.LoanStatus` and `PoolLoan.status` alike. */
export const POOL_STATUS_NAMES = [
  "None",
  "Active",
  "Repaid",
  "Rejected",
  "Defaulted",
  "Liquidated",
];

export interface EvmSent {
  hash: Hex;
  block: number;
}

/** Gas sent over the estimate, in basis points of it. */
const GAS_HEADROOM_BPS = 2_500n;

/**
 * Sends `method(...args)` (the last may be overrides, as ethers takes them)
 * with a quarter more gas than estimated: a pool call's cost depends on the
 * block's time (interest accrued, due buckets flushed), which moves between
 * the estimate and the block it lands in (seen: a repay estimated at 174,649
 * gas, and out of gas there, that used 174,810 in another run).
 */
export async function sendWithGasHeadroom(
  method: BaseContractMethod,
  ...args: unknown[]
): Promise<ContractTransactionResponse> {
  const overrides = (args.length > method.fragment.inputs.length ? args.pop() : {}) as Overrides;
  const estimate = await method.estimateGas(...args, overrides);
  const gasLimit = estimate + (estimate * GAS_HEADROOM_BPS) / 10_000n;
  return method.send(...args, { ...overrides, gasLimit });
}

/** `sendWithGasHeadroom`, waited for until mined. */
async function mined(
  method: BaseContractMethod,
  ...args: unknown[]
): Promise<ContractTransactionReceipt> {
  const tx = await sendWithGasHeadroom(method, ...args);
  const receipt = await tx.wait();
  if (receipt === null) throw new Error(`transaction ${tx.hash} was dropped`);
  return receipt;
}

const sent = (receipt: ContractTransactionReceipt): EvmSent => ({
  hash: receipt.hash as Hex,
  block: receipt.blockNumber,
});

/** The vault's record of a loan (`ICollateralVault.Loan`). */
export interface EvmVaultLoan {
  state: string;
  borrower: string;
  expiresAt: bigint;
  asset: string;
  dueTime: bigint;
  rateBps: number;
  collateralAmount: bigint;
  principal: bigint;
}

/** The pool's record of a loan (`ILendingPool.Loan`). */
export interface EvmPoolLoan {
  status: string;
  srcEid: number;
  rateBps: number;
  dueTime: bigint;
  principal: bigint;
  interest: bigint;
  repaid: bigint;
  collateralAmount: bigint;
  collateralAsset: Hex;
  installments: number;
  paidInstallments: number;
  periodSeconds: bigint;
  installmentAmount: bigint;
}

/** One account's view of the EVM deployment; requests time out after `timeoutMs`. */
export async function evmSide(network: Network["evm"], timeoutMs: number, privateKey?: string) {
  const endpoint: RpcEndpoint = { chain: "evm", url: network.rpcUrl, timeoutMs };
  const base: ChainCallContext = {
    endpoint,
    contracts: {
      "evm.vault": network.vault,
      "evm.pool": network.pool,
      "evm.stablecoin": network.stablecoin,
    },
  };
  const provider = await onChain(base, "connect", () => evmProvider(endpoint));
  const context = { ...base, provider };
  /** A method's body, failing explained; `loanId` fills the hints. */
  const call = <T>(action: string, run: () => Promise<T>, loanId?: Hex) =>
    onChain({ ...context, ...(loanId !== undefined && { loanId }) }, action, run);
  const signer =
    privateKey === undefined ? undefined : new NonceManager(new Wallet(privateKey, provider));
  const runner = signer ?? provider;
  const vault = await contractAt(
    network.vault,
    "contracts/CollateralVault.sol",
    "CollateralVault",
    runner,
  );
  const pool = await contractAt(network.pool, "contracts/LendingPool.sol", "LendingPool", runner);
  const stablecoin = await contractAt(
    network.stablecoin,
    "contracts/dev/DevStablecoin.sol",
    "DevStablecoin",
    runner,
  );
  const account = async () => {
    if (signer === undefined) {
      throw new UsageError("this command needs an EVM key (--evm-key-env/--evm-key-file)");
    }
    return signer.getAddress();
  };
  const approve = async (amount: bigint) => {
    await mined(stablecoin.getFunction("approve"), network.pool, amount);
  };
  return {
    provider,
    account,
    stablecoinDecimals: (): Promise<number> =>
      call("read the stablecoin's decimals", async () =>
        Number(await stablecoin.getFunction("decimals")()),
      ),
    stablecoinSymbol: (): Promise<string> =>
      call("read the stablecoin's symbol", async () =>
        String(await stablecoin.getFunction("symbol")()),
      ),
    /** Locks native ETH and asks the lending chain for a loan. */
    openNativeLoan: (input: {
      wei: bigint;
      principal: bigint;
      maxRateBps: number;
      termSeconds: bigint;
      installments: number;
      recipient: Hex;
    }): Promise<EvmSent & { loanId: Hex; guid: Hex }> =>
      call("borrow", async () => {
        await account();
        const receipt = await mined(
          vault.getFunction("open"),
          ZeroAddress,
          input.wei,
          input.principal,
          input.maxRateBps,
          input.termSeconds,
          input.installments,
          input.recipient,
          { value: input.wei },
        );
        const log = receipt.logs.find((entry) => entry.topics[0] === PACKET_SENT_TOPIC);
        if (log === undefined) throw new Error("open sent no packet");
        const { packet } = decodePacketSent(log);
        const { loanId } = decodeLoanMessage(packet.message);
        return { ...sent(receipt), loanId, guid: packet.guid };
      }),
    repay: (loanId: Hex, amount: bigint): Promise<EvmSent> =>
      call(
        "repay",
        async () => {
          await account();
          await approve(amount);
          return sent(await mined(pool.getFunction("repay"), loanId, amount));
        },
        loanId,
      ),
    debt: (loanId: Hex): Promise<bigint> =>
      call(
        "read the debt",
        async () => {
          const [principal, interest] = (await pool.getFunction("debtOf")(loanId)) as [
            bigint,
            bigint,
          ];
          return principal + interest;
        },
        loanId,
      ),
    declareDefault: (loanId: Hex): Promise<EvmSent> =>
      call(
        "default",
        async () => {
          await account();
          return sent(await mined(pool.getFunction("declareDefault"), loanId));
        },
        loanId,
      ),
    liquidate: (loanId: Hex): Promise<EvmSent> =>
      call(
        "liquidate",
        async () => {
          await account();
          return sent(await mined(pool.getFunction("liquidate"), loanId));
        },
        loanId,
      ),
    deposit: (amount: bigint): Promise<EvmSent> =>
      call("deposit", async () => {
        const owner = await account();
        await approve(amount);
        return sent(await mined(pool.getFunction("deposit"), amount, owner));
      }),
    withdraw: (amount: bigint): Promise<EvmSent> =>
      call("withdraw", async () => {
        const owner = await account();
        return sent(await mined(pool.getFunction("withdraw"), amount, owner, owner));
      }),
    /**
     * What the pool needs to cancel a request (its loan id's preimage): the
     * borrower, the vault's nonce and the deadline, from the vault's
     * `LoanRequested` event (the loan record has no nonce).
     */
    vaultRequest: (
      loanId: Hex,
    ): Promise<{ borrower: string; vaultNonce: bigint; expiresAt: bigint } | undefined> =>
      call(
        "read the loan request",
        async () => {
          const filter = vault.getEvent("LoanRequested")(loanId);
          const [event] = await vault.queryFilter(filter, 0, "latest");
          if (event === undefined || !("args" in event)) return undefined;
          const args = event.args as unknown as {
            borrower: string;
            expiresAt: bigint;
            nonce: bigint;
          };
          return { borrower: args.borrower, vaultNonce: args.nonce, expiresAt: args.expiresAt };
        },
        loanId,
      ),
    /** The latest block's timestamp: the pool's clock. */
    chainTime: (): Promise<bigint> =>
      call("read the chain's time", async () => {
        const block = await provider.getBlock("latest");
        if (block === null) throw new Error("no latest block");
        return BigInt(block.timestamp);
      }),
    /** The pool's `cancelExpired` (anyone, after `expiresAt`): answers LOAN_REJECTED(Expired). */
    cancelExpired: (input: {
      srcEid: number;
      borrower: Hex;
      vaultNonce: bigint;
      expiresAt: bigint;
    }): Promise<EvmSent> =>
      call("cancel", async () => {
        await account();
        return sent(
          await mined(
            pool.getFunction("cancelExpired"),
            input.srcEid,
            input.borrower,
            input.vaultNonce,
            input.expiresAt,
          ),
        );
      }),
    /** The vault's record, null when it has none (state None). */
    vaultLoan: (loanId: Hex): Promise<EvmVaultLoan | null> =>
      call(
        "read the vault's loan",
        async () => {
          const loan = (await vault.getFunction("getLoan")(loanId)) as Omit<
            EvmVaultLoan,
            "state" | "rateBps"
          > & { state: bigint; rateBps: bigint };
          const state = VAULT_STATE_NAMES[Number(loan.state)] ?? "Unknown";
          if (state === "None") return null;
          return {
            state,
            borrower: loan.borrower,
            expiresAt: loan.expiresAt,
            asset: loan.asset,
            dueTime: loan.dueTime,
            rateBps: Number(loan.rateBps),
            collateralAmount: loan.collateralAmount,
            principal: loan.principal,
          };
        },
        loanId,
      ),
    /** The pool's record, null when it has none (status None). */
    poolLoan: (loanId: Hex): Promise<EvmPoolLoan | null> =>
      call(
        "read the pool's loan",
        async () => {
          const loan = (await pool.getFunction("getLoan")(loanId)) as Omit<
            EvmPoolLoan,
            "status" | "srcEid" | "rateBps" | "installments" | "paidInstallments"
          > & {
            status: bigint;
            srcEid: bigint;
            rateBps: bigint;
            installments: bigint;
            paidInstallments: bigint;
          };
          const status = POOL_STATUS_NAMES[Number(loan.status)] ?? "Unknown";
          if (status === "None") return null;
          return {
            status,
            srcEid: Number(loan.srcEid),
            rateBps: Number(loan.rateBps),
            dueTime: loan.dueTime,
            principal: loan.principal,
            interest: loan.interest,
            repaid: loan.repaid,
            collateralAmount: loan.collateralAmount,
            collateralAsset: loan.collateralAsset,
            installments: Number(loan.installments),
            paidInstallments: Number(loan.paidInstallments),
            periodSeconds: loan.periodSeconds,
            installmentAmount: loan.installmentAmount,
          };
        },
        loanId,
      ),
  };
}

export type EvmSide = Awaited<ReturnType<typeof evmSide>>;
