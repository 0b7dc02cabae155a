// Issue 13, "any relayer can execute": every relayer takes its turn in each
// packet's executor order (relayer/src/pipeline/takeover.ts), paying from its
// own keys. A relayer killed with SIGKILL at each point of a delivery
// (LOANBRIDGE_CRASH_AT: with the attestations in hand, right after sending,
// after the destination confirmed; test/chaos/crash-points has every point) is replaced by the next in the order
// within its window, and every packet is delivered exactly once. When a
// delivery takes longer than the windows (here: Ethereum stops producing
// blocks; as with skewed clocks or a partition) every relayer sends: the
// destination still takes the guid once, and the losers count their double
// sends.
import type { Hex } from "@loanbridge/shared";
import { readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { type JsonRpcProvider, keccak256, Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devKey, providerFor } from "../../relayer/src/chains/evm/testing.ts";
import {
  type Localnet,
  loggedTakeovers,
  type RelayerProcess,
  relayerMetric,
  startLocalnet,
} from "../localnet/index.ts";
import {
  ethLoanToFreshRecipient,
  evmDeliveries,
  packetOfType,
  solanaDeliveries,
  waitEthLoanActive,
  waitFor,
  waitForDeliveredPackets,
} from "./support.ts";

const USDC = 10n ** 6n;
const TAKEOVER_WINDOW_MS = 3_000;

let net: Localnet;
let provider: JsonRpcProvider;

beforeAll(async () => {
  net = await startLocalnet({ takeoverWindowMs: TAKEOVER_WINDOW_MS });
  provider = providerFor(net.evm.url);
}, 300_000);

afterAll(async () => {
  await net.stop();
});

/** Each packet of an ETH-collateral loan landed exactly once on its destination. */
async function expectEachPacketDeliveredOnce(
  network: Localnet,
  provider: JsonRpcProvider,
  loanId: Hex,
): Promise<void> {
  const [seen] = await waitForDeliveredPackets(network.relayers.slice(0, 1), loanId, [
    "OPEN_LOAN",
    "LOAN_ACTIVE",
  ]);
  if (seen === undefined) throw new Error("no relayer");
  expect(await solanaDeliveries(network, packetOfType(seen, "OPEN_LOAN"))).toBe(1);
  expect(await evmDeliveries(network, provider, packetOfType(seen, "LOAN_ACTIVE").guid)).toBe(1);
}

describe("any relayer executes: takeover after a crash at each point (3 relayers, 2 of 3)", () => {
  it.each(["gathered", "submitted", "confirmed"] as const)(
    "relayerKilledAt_%s_nextInOrderFinishes_eachPacketDeliveredOnce",
    async (point) => {
      const network = net;
      const evm = provider;
      const victim = network.relayers[1];
      if (victim === undefined) throw new Error("no relayer-1");
      const survivors = network.relayers.filter((relayer) => relayer !== victim);
      const takeoversBefore = await Promise.all(
        survivors.map((relayer) => relayerMetric(relayer, "loanbridge_executor_takeovers_total")),
      );
      await victim.stop();
      await victim.start({ LOANBRIDGE_CRASH_AT: point });

      // Loans until one of the victim's turns comes up and kills it (each
      // packet has a 1 in 3 chance of ranking it first).
      const borrower = new Wallet(devKey(2), evm);
      const loans = [];
      for (let attempt = 0; attempt < 8 && victim.running; attempt++) {
        const loan = await ethLoanToFreshRecipient(network, borrower, 1_000n * USDC);
        loans.push(loan);
        await waitEthLoanActive(network, evm, loan, 60_000);
      }
      expect(victim.running, `relayer-1 never reached "${point}"`).toBe(false);

      for (const loan of loans) await expectEachPacketDeliveredOnce(network, evm, loan.loanId);
      const takeovers = (
        await Promise.all(
          survivors.map((relayer) => relayerMetric(relayer, "loanbridge_executor_takeovers_total")),
        )
      ).reduce((sum, total, index) => sum + total - (takeoversBefore[index] ?? 0), 0);
      if (point === "gathered") {
        // Nothing was sent: the next relayer in the order took over, one
        // window after it had the attestations.
        expect(takeovers).toBeGreaterThanOrEqual(1);
        const waits = (await Promise.all(survivors.map(loggedTakeovers))).flat();
        for (const { guid, waitedMs } of waits) {
          console.log(`takeover of ${guid} after ${waitedMs} ms`);
          expect(waitedMs).toBeGreaterThanOrEqual(TAKEOVER_WINDOW_MS);
        }
      }

      // Restarted without the fault, it catches up without sending again.
      await victim.start();
      for (const loan of loans) {
        await waitForDeliveredPackets([victim], loan.loanId, ["OPEN_LOAN", "LOAN_ACTIVE"]);
        await expectEachPacketDeliveredOnce(network, evm, loan.loanId);
      }
    },
  );
});

/**
 * A JSON-RPC proxy that holds each `eth_sendRawTransaction` for `holdMs`
 * before passing it on, answering its hash at once: relayers cut off from
 * the chain's mempool, whose deliveries others cannot see in time.
 */
async function holdingProxy(target: string, holdMs: number) {
  const forward = (body: string) =>
    fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body });
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      void (async () => {
        const body = Buffer.concat(chunks).toString();
        const call = JSON.parse(body) as { id?: unknown; method?: string; params?: unknown[] };
        if (call.method === "eth_sendRawTransaction" && typeof call.params?.[0] === "string") {
          setTimeout(() => void forward(body), holdMs);
          response.setHeader("content-type", "application/json");
          response.end(
            JSON.stringify({ jsonrpc: "2.0", id: call.id, result: keccak256(call.params[0]) }),
          );
          return;
        }
        const answer = await forward(body);
        response.writeHead(answer.status, { "content-type": "application/json" });
        response.end(await answer.text());
      })();
    });
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => {
          done();
        });
      }),
  };
}

/** Rewrites a relayer's EVM RPC URLs in its config file and restarts it. */
async function restartWithEvmRpc(relayer: RelayerProcess, url: string): Promise<void> {
  const config = JSON.parse(await readFile(relayer.configFile, "utf8")) as {
    chains: { evm: { rpcUrls: string[] } };
  };
  config.chains.evm.rpcUrls = [url];
  await writeFile(relayer.configFile, JSON.stringify(config, null, 2));
  await relayer.stop();
  await relayer.start();
}

describe("relayers cut off from the destination's mempool: more than one sends", () => {
  it("partitionedRelayers_bothSend_destinationTakesTheGuidOnce_theLoserCountsItsDoubleSend", async () => {
    const network = net;
    const doubleSends = async () =>
      (
        await Promise.all(
          network.relayers.map((relayer) =>
            relayerMetric(relayer, "loanbridge_duplicate_deliveries_total"),
          ),
        )
      ).reduce((sum, total) => sum + total, 0);
    const before = await doubleSends();
    // Each relayer's transactions reach Ethereum only 5 s after it sent them,
    // longer than a takeover window: the next relayer in the order sees no
    // delivery, pending or mined, and sends its own.
    const proxy = await holdingProxy(network.evm.url, TAKEOVER_WINDOW_MS + 2_000);
    try {
      for (const relayer of network.relayers) await restartWithEvmRpc(relayer, proxy.url);
      const loan = await ethLoanToFreshRecipient(
        network,
        new Wallet(devKey(3), provider),
        500n * USDC,
      );
      await waitEthLoanActive(network, provider, loan, 90_000);
      await expectEachPacketDeliveredOnce(network, provider, loan.loanId);
      const counted = await waitFor("a double send counted", async () => {
        const total = (await doubleSends()) - before;
        return total >= 1 ? total : undefined;
      });
      console.log(`double sends counted: ${counted}`);
    } finally {
      for (const relayer of network.relayers) await restartWithEvmRpc(relayer, network.evm.url);
      await proxy.close();
    }
  });
});
