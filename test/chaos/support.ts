// What the fault-injection files open on a localnet and read back from it.
import type { Hex } from "@loanbridge/shared";
import { airdrop } from "@loanbridge/solana-program";
import { generateKeyPairSigner } from "@solana/kit";
import { type JsonRpcProvider, parseEther, Wallet } from "ethers";
import { type Localnet, relayerMetric } from "../localnet/index.ts";
import {
  type ApiPacket,
  evmDeliveries,
  mintToOwnerFor,
  openEthLoan,
  openSolLoan,
  packetOfType,
  solanaDeliveries,
  waitForDeliveredPackets,
} from "../e2e/support.ts";

const SOL = 10n ** 9n;

export type Chain = "evm" | "solana";

/** A loan opened by a fault case. */
export interface OpenedLoanCase {
  loanId: Hex;
  /** Where its OPEN_LOAN goes; its LOAN_ACTIVE comes back. */
  openTo: Chain;
}

/**
 * Readies an ETH-collateral loan while both chains are up (its recipient's
 * token account on Solana) and gives back what opens it, on Ethereum only.
 */
export async function readyEthLoan(
  net: Localnet,
  borrower: Wallet,
  principal: bigint,
): Promise<() => Promise<OpenedLoanCase>> {
  const recipient = await generateKeyPairSigner();
  await mintToOwnerFor(net, recipient.address, 0n);
  return async () => {
    const loan = await openEthLoan(net, borrower, {
      collateral: parseEther("2"),
      principal,
      recipient: recipient.address,
    });
    return { loanId: loan.loanId, openTo: "solana" };
  };
}

/**
 * Readies a SOL-collateral loan (a funded borrower) and gives back what
 * opens it, on Solana only.
 */
export async function readySolLoan(
  net: Localnet,
  principal: bigint,
): Promise<() => Promise<OpenedLoanCase>> {
  const borrower = await generateKeyPairSigner();
  await airdrop(net.solana.rpc, borrower.address, 20n);
  return async () => {
    const loan = await openSolLoan(net, borrower, {
      collateral: 10n * SOL,
      principal,
      recipient: Wallet.createRandom().address,
    });
    return { loanId: loan.loanId, openTo: "evm" };
  };
}

/** How often a packet landed on `chain`. */
export const deliveriesOn = (
  net: Localnet,
  provider: JsonRpcProvider,
  chain: Chain,
  packet: ApiPacket,
): Promise<number> =>
  chain === "solana" ? solanaDeliveries(net, packet) : evmDeliveries(net, provider, packet.guid);

/** Of packets' delivery counts: how many never landed, and how many extra landings. */
export function lostAndDuplicated(deliveries: readonly number[]): {
  lost: number;
  duplicated: number;
} {
  return {
    lost: deliveries.filter((count) => count === 0).length,
    duplicated: deliveries.reduce((sum, count) => sum + Math.max(0, count - 1), 0),
  };
}

/** relayer-0's total of a metric over the series whose line contains `having` (0 when none). */
export async function metricOf(net: Localnet, name: string, having = ""): Promise<number> {
  const [relayer] = net.relayers;
  if (relayer === undefined) throw new Error("no relayer");
  const value = await relayerMetric(relayer, name, having);
  return Number.isNaN(value) ? 0 : value;
}

/**
 * How often each packet of an ETH-collateral loan landed on its destination,
 * once relayer-0 saw both delivered: [OPEN_LOAN on Solana, LOAN_ACTIVE on
 * Ethereum], with how many were lost (never landed) and landed twice or more.
 */
export async function loanDeliveries(
  net: Localnet,
  provider: JsonRpcProvider,
  loanId: Hex,
): Promise<{ deliveries: number[]; lost: number; duplicated: number }> {
  const [relayer] = net.relayers;
  if (relayer === undefined) throw new Error("no relayer");
  const [seen = []] = await waitForDeliveredPackets([relayer], loanId, [
    "OPEN_LOAN",
    "LOAN_ACTIVE",
  ]);
  const deliveries = [
    await solanaDeliveries(net, packetOfType(seen, "OPEN_LOAN")),
    await evmDeliveries(net, provider, packetOfType(seen, "LOAN_ACTIVE").guid),
  ];
  return { deliveries, ...lostAndDuplicated(deliveries) };
}
