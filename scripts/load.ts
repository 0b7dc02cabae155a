// Load for the benchmark and the soak run: loans opened on the local system.
// ETH-collateral loans send OPEN_LOAN to the Solana pool, which answers
// LOAN_ACTIVE; SOL-collateral loans send OPEN_LOAN to the EVM pool, which
// answers the same way. ETH-collateral loans can be repaid too (the soak
// repays each a few minutes after it opens, so active loans level off).
import { decodeLoanMessage, type Hex, toHex } from "@loanbridge/shared";
import { addressBytes, airdrop, repayLoan, rpcSender } from "@loanbridge/solana-program";
import { generateKeyPairSigner } from "@solana/kit";
import {
  type ContractTransactionResponse,
  NonceManager,
  parseEther,
  Wallet,
  ZeroAddress,
} from "ethers";
import { decodePacketSent, PACKET_SENT_TOPIC } from "../relayer/src/chains/evm/proof.ts";
import { devKey, providerFor } from "../relayer/src/chains/evm/testing.ts";
import { mintToOwnerFor, openSolLoan } from "../test/e2e/support.ts";
import { contractAt, type Localnet } from "../test/localnet/index.ts";

export const mib = (bytes: number) =>
  Number.isNaN(bytes) ? "(killed)" : `${(bytes / 2 ** 20).toFixed(0)} MiB`;

export interface LoanLoad {
  /** Opens `count` loans; their loan ids. */
  open(count: number): Promise<Hex[]>;
}

export interface RepayableLoanLoad extends LoanLoad {
  /** Repays a loan in full on its lending chain (the pool answers REPAID). */
  repay(loanId: Hex): Promise<void>;
}

const SOL = 10n ** 9n;
const USDC = 10n ** 6n;
/** Collateral per SOL loan; the airdrop covers it and the fees. */
const SOL_COLLATERAL = 2n * SOL;
const ETH_LOAN_PRINCIPAL = 100n * USDC;
/** The ETH loans' recipient's own stablecoin, for the interest its repayments pay. */
const INTEREST_RESERVE = 1_000n * USDC;

/**
 * One borrower on Ethereum and one recipient on Solana; opens its loans all
 * at once (1 ETH for 100 USDC each). The recipient repays from the
 * principal it received, with stablecoin to spare for the interest.
 */
export async function ethLoanLoad(net: Localnet): Promise<RepayableLoanLoad> {
  const provider = providerFor(net.evm.url);
  const borrower = new NonceManager(new Wallet(devKey(1), provider));
  const vault = await contractAt(
    net.evm.deployment.contracts.collateralVault,
    "contracts/CollateralVault.sol",
    "CollateralVault",
    borrower,
  );
  const recipient = await generateKeyPairSigner();
  await airdrop(net.solana.rpc, recipient.address, 10n);
  console.log(
    `recipient account ${await mintToOwnerFor(net, recipient.address, INTEREST_RESERVE)}`,
  );
  const sendAsRecipient = rpcSender(net.solana.rpc, { feePayer: recipient });
  return {
    async repay(loanId) {
      // More than is owed: the pool takes the principal and the interest accrued.
      await repayLoan(net.solana.rpc, sendAsRecipient, net.solana.deployment.programId, {
        payer: recipient,
        loanId,
        amount: ETH_LOAN_PRINCIPAL + USDC,
      });
    },
    async open(count) {
      const sent = await Promise.all(
        Array.from({ length: count }, async () => {
          const tx = (await vault.getFunction("open")(
            ZeroAddress,
            parseEther("1"),
            ETH_LOAN_PRINCIPAL,
            1_000,
            30n * 86_400n,
            1,
            toHex(addressBytes(recipient.address)),
            { value: parseEther("1") },
          )) as ContractTransactionResponse;
          return tx.wait();
        }),
      );
      return sent.map((receipt) => {
        const log = receipt?.logs.find((entry) => entry.topics[0] === PACKET_SENT_TOPIC);
        if (log === undefined) throw new Error("open sent no packet");
        return decodeLoanMessage(decodePacketSent(log).packet.message).loanId;
      });
    },
  };
}

/**
 * One borrower on Solana and one recipient on Ethereum. Its loans (2 SOL for
 * 100 USDC each) open one after another: each open reads the vault's loan
 * and packet nonces, so two in flight at once would claim the same ones.
 */
export async function solLoanLoad(net: Localnet, maxLoans: number): Promise<LoanLoad> {
  const borrower = await generateKeyPairSigner();
  await airdrop(net.solana.rpc, borrower.address, (SOL_COLLATERAL / SOL) * BigInt(maxLoans) + 10n);
  const recipient = Wallet.createRandom().address;
  return {
    async open(count) {
      const ids: Hex[] = [];
      for (let i = 0; i < count; i++) {
        const { loanId } = await openSolLoan(net, borrower, {
          collateral: SOL_COLLATERAL,
          principal: 100n * USDC,
          recipient,
        });
        ids.push(loanId);
      }
      return ids;
    },
  };
}
