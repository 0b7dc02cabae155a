// Load for the benchmark and the soak run: ETH-collateral loans opened on
// the local system (each sends OPEN_LOAN to the Solana pool, which answers
// LOAN_ACTIVE).
import { decodeLoanMessage, type Hex, toHex } from "@loanbridge/shared";
import { addressBytes } from "@loanbridge/solana-program";
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
import { mintToOwnerFor } from "../test/e2e/support.ts";
import { contractAt, type Localnet } from "../test/localnet/index.ts";

export const mib = (bytes: number) =>
  Number.isNaN(bytes) ? "(killed)" : `${(bytes / 2 ** 20).toFixed(0)} MiB`;

export interface LoanLoad {
  /** Opens `count` loans at once (1 ETH for 100 USDC each); their loan ids. */
  open(count: number): Promise<Hex[]>;
}

/** One borrower on Ethereum and one recipient on Solana, ready to open loans. */
export async function ethLoanLoad(net: Localnet): Promise<LoanLoad> {
  const provider = providerFor(net.evm.url);
  const borrower = new NonceManager(new Wallet(devKey(1), provider));
  const vault = await contractAt(
    net.evm.deployment.contracts.collateralVault,
    "contracts/CollateralVault.sol",
    "CollateralVault",
    borrower,
  );
  const recipient = await generateKeyPairSigner();
  console.log(`recipient account ${await mintToOwnerFor(net, recipient.address, 0n)}`);
  return {
    async open(count) {
      const sent = await Promise.all(
        Array.from({ length: count }, async () => {
          const tx = (await vault.getFunction("open")(
            ZeroAddress,
            parseEther("1"),
            100n * 10n ** 6n,
            1_000,
            30n * 86_400n,
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
