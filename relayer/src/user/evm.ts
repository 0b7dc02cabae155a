// What borrowers, lenders and keepers do on the EVM side: the vault, the
// pool and the stablecoin through ethers, with the compiled ABIs.
import { contractAt } from "@loanbridge/evm-contracts";
import { decodeLoanMessage, type Hex } from "@loanbridge/shared";
import {
  type ContractTransactionReceipt,
  type ContractTransactionResponse,
  JsonRpcProvider,
  NonceManager,
  Wallet,
  ZeroAddress,
} from "ethers";
import { decodePacketSent, PACKET_SENT_TOPIC } from "../chains/evm/proof.ts";
import type { Network } from "./network.ts";

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

async function mined(response: Promise<unknown>): Promise<ContractTransactionReceipt> {
  const tx = (await response) as ContractTransactionResponse;
  const receipt = await tx.wait();
  if (receipt === null) throw new Error(`transaction ${tx.hash} was dropped`);
  return receipt;
}

const sent = (receipt: ContractTransactionReceipt): EvmSent => ({
  hash: receipt.hash as Hex,
  block: receipt.blockNumber,
});

/** One account's view of the EVM deployment. */
export async function evmSide(network: Network["evm"], privateKey?: string) {
  const provider = new JsonRpcProvider(network.rpcUrl, undefined, { staticNetwork: true });
  provider.pollingInterval = 250;
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
    if (signer === undefined)
      throw new Error("this command needs an EVM key (--evm-key-env/--evm-key-file)");
    return signer.getAddress();
  };
  const approve = async (amount: bigint) => {
    await mined(stablecoin.getFunction("approve")(network.pool, amount));
  };
  return {
    provider,
    account,
    async stablecoinDecimals(): Promise<number> {
      return Number(await stablecoin.getFunction("decimals")());
    },
    async stablecoinBalance(owner: string): Promise<bigint> {
      return (await stablecoin.getFunction("balanceOf")(owner)) as bigint;
    },
    /** Locks native ETH and asks the lending chain for a loan. */
    async openNativeLoan(input: {
      wei: bigint;
      principal: bigint;
      maxRateBps: number;
      termSeconds: bigint;
      recipient: Hex;
    }): Promise<EvmSent & { loanId: Hex; guid: Hex }> {
      await account();
      const receipt = await mined(
        vault.getFunction("open")(
          ZeroAddress,
          input.wei,
          input.principal,
          input.maxRateBps,
          input.termSeconds,
          input.recipient,
          { value: input.wei },
        ),
      );
      const log = receipt.logs.find((entry) => entry.topics[0] === PACKET_SENT_TOPIC);
      if (log === undefined) throw new Error("open sent no packet");
      const { packet } = decodePacketSent(log);
      const { loanId } = decodeLoanMessage(packet.message);
      return { ...sent(receipt), loanId, guid: packet.guid };
    },
    async repay(loanId: Hex, amount: bigint): Promise<EvmSent> {
      await account();
      await approve(amount);
      return sent(await mined(pool.getFunction("repay")(loanId, amount)));
    },
    async debt(loanId: Hex): Promise<bigint> {
      const [principal, interest] = (await pool.getFunction("debtOf")(loanId)) as [bigint, bigint];
      return principal + interest;
    },
    async declareDefault(loanId: Hex): Promise<EvmSent> {
      await account();
      return sent(await mined(pool.getFunction("declareDefault")(loanId)));
    },
    async liquidate(loanId: Hex): Promise<EvmSent> {
      await account();
      return sent(await mined(pool.getFunction("liquidate")(loanId)));
    },
    async deposit(amount: bigint): Promise<EvmSent> {
      const owner = await account();
      await approve(amount);
      return sent(await mined(pool.getFunction("deposit")(amount, owner)));
    },
    async withdraw(amount: bigint): Promise<EvmSent> {
      const owner = await account();
      return sent(await mined(pool.getFunction("withdraw")(amount, owner, owner)));
    },
    /**
     * What the pool needs to cancel a request (its loan id's preimage): the
     * borrower, the vault's nonce and the deadline, from the vault's
     * `LoanRequested` event (the loan record has no nonce).
     */
    async vaultRequest(
      loanId: Hex,
    ): Promise<{ borrower: string; vaultNonce: bigint; expiresAt: bigint } | undefined> {
      const filter = vault.getEvent("LoanRequested")(loanId);
      const [event] = await vault.queryFilter(filter, 0, "latest");
      if (event === undefined || !("args" in event)) return undefined;
      const args = event.args as unknown as { borrower: string; expiresAt: bigint; nonce: bigint };
      return { borrower: args.borrower, vaultNonce: args.nonce, expiresAt: args.expiresAt };
    },
    /** The latest block's timestamp: the pool's clock. */
    async chainTime(): Promise<bigint> {
      const block = await provider.getBlock("latest");
      if (block === null) throw new Error("no latest block");
      return BigInt(block.timestamp);
    },
    /** The pool's `cancelExpired` (anyone, after `expiresAt`): answers LOAN_REJECTED(Expired). */
    async cancelExpired(input: {
      srcEid: number;
      borrower: Hex;
      vaultNonce: bigint;
      expiresAt: bigint;
    }): Promise<EvmSent> {
      await account();
      return sent(
        await mined(
          pool.getFunction("cancelExpired")(
            input.srcEid,
            input.borrower,
            input.vaultNonce,
            input.expiresAt,
          ),
        ),
      );
    },
    async vaultLoan(loanId: Hex) {
      const loan = (await vault.getFunction("getLoan")(loanId)) as {
        state: bigint;
        borrower: string;
        collateralAmount: bigint;
        principal: bigint;
      };
      return { ...loan, stateName: VAULT_STATE_NAMES[Number(loan.state)] ?? "Unknown" };
    },
    async poolLoan(loanId: Hex) {
      const loan = (await pool.getFunction("getLoan")(loanId)) as {
        status: bigint;
        principal: bigint;
        interest: bigint;
        repaid: bigint;
        dueTime: bigint;
      };
      return { ...loan, statusName: POOL_STATUS_NAMES[Number(loan.status)] ?? "Unknown" };
    },
  };
}

export type EvmSide = Awaited<ReturnType<typeof evmSide>>;
