// What both fault-injection files read back from a one-relayer localnet.
import type { Hex } from "@loanbridge/shared";
import type { JsonRpcProvider } from "ethers";
import { type Localnet, relayerMetric } from "../localnet/index.ts";
import {
  evmDeliveries,
  packetOfType,
  solanaDeliveries,
  waitForDeliveredPackets,
} from "../e2e/support.ts";

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
    await solanaDeliveries(net, packetOfType(seen, "OPEN_LOAN").guid),
    await evmDeliveries(net, provider, packetOfType(seen, "LOAN_ACTIVE").guid),
  ];
  return {
    deliveries,
    lost: deliveries.filter((count) => count === 0).length,
    duplicated: deliveries.reduce((sum, count) => sum + Math.max(0, count - 1), 0),
  };
}
