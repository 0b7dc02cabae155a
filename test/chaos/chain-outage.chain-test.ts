// Issue 18, "chain outage": a chain's node goes away for a while and comes
// back, with loans in flight both ways. Ethereum: anvil stops (its chain
// saved, its mempool lost) and starts again on the same port and chain.
// Solana: the node's RPC server goes down while its chain keeps producing
// slots (the relayers' only endpoint unreachable), then serves again.
//
// A loan is opened on the failing chain just before it goes (its packet not
// yet final, so the watcher must pick it up from its cursor afterwards), and
// another on the healthy chain during the outage (its packet must wait to be
// delivered to the failing one). Every packet ends delivered exactly once,
// none is failed (an unreachable chain uses up no attempts: it says nothing
// about a packet), and no relayer records a nonce gap. One line per case:
// fault, chain, expected, observed, packets lost/duplicated.
//
// The outage lasts a minute under `make chaos`, 10 s in the test run.
import type { Hex } from "@loanbridge/shared";
import { airdrop } from "@loanbridge/solana-program";
import { generateKeyPairSigner } from "@solana/kit";
import { type JsonRpcProvider, parseEther, Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devKey, providerFor } from "../../relayer/src/chains/evm/testing.ts";
import { type Localnet, relayerMetric, startLocalnet } from "../localnet/index.ts";
import {
  evmDeliveries,
  mintToOwnerFor,
  openEthLoan,
  openSolLoan,
  packetOfType,
  solanaDeliveries,
  waitForDeliveredPackets,
  waitForMirroredLoan,
} from "../e2e/support.ts";

const USDC = 10n ** 6n;
const SOL = 10n ** 9n;
const OUTAGE_MS = process.env.LOANBRIDGE_CHAOS === "full" ? 60_000 : 10_000;
/** After the node is back: the retry backoff stays short (waiting uses no attempts). */
const RECOVERY_MS = 45_000;

let net: Localnet;
let provider: JsonRpcProvider;

beforeAll(async () => {
  net = await startLocalnet();
  provider = providerFor(net.evm.url);
}, 300_000);

afterAll(async () => {
  await net.stop();
});

type Chain = "evm" | "solana";

interface Opened {
  loanId: Hex;
  /** Where its OPEN_LOAN goes; its LOAN_ACTIVE comes back. */
  openTo: Chain;
}

/**
 * Readies a loan while both chains are up (its accounts on the other chain)
 * and gives back what opens it, which needs only its collateral's chain.
 */
type ReadyLoan = (index: number) => Promise<() => Promise<Opened>>;

const readyEthLoan: ReadyLoan = async (index) => {
  const recipient = await generateKeyPairSigner();
  await mintToOwnerFor(net, recipient.address, 0n);
  return async () => {
    const borrower = new Wallet(devKey(3), provider);
    const loan = await openEthLoan(net, borrower, {
      collateral: parseEther("2"),
      principal: BigInt(600 + index) * USDC,
      recipient: recipient.address,
    });
    return { loanId: loan.loanId, openTo: "solana" };
  };
};

const readySolLoan: ReadyLoan = async (index) => {
  const borrower = await generateKeyPairSigner();
  await airdrop(net.solana.rpc, borrower.address, 20n);
  return async () => {
    const loan = await openSolLoan(net, borrower, {
      collateral: 10n * SOL,
      principal: BigInt(200 + index) * USDC,
      recipient: Wallet.createRandom().address,
    });
    return { loanId: loan.loanId, openTo: "evm" };
  };
};

const deliveriesOn = (chain: Chain, guid: Hex) =>
  chain === "solana" ? solanaDeliveries(net, guid) : evmDeliveries(net, provider, guid);

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Every relayer's total of a metric (its series whose line contains `having`). */
const total = async (name: string, having = "") =>
  (
    await Promise.all(
      net.relayers.map(async (relayer) => {
        const value = await relayerMetric(relayer, name, having);
        return Number.isNaN(value) ? 0 : value;
      }),
    )
  ).reduce((sum, value) => sum + value, 0);

const CASES: readonly {
  chain: Chain;
  stop: () => Promise<void>;
  start: () => Promise<void>;
  /** A loan whose OPEN_LOAN leaves from the failing chain. */
  fromFailing: ReadyLoan;
  /** A loan whose OPEN_LOAN goes to the failing chain. */
  toFailing: ReadyLoan;
}[] = [
  {
    chain: "evm",
    stop: () => net.evm.stopNode(),
    start: () => net.evm.startNode(),
    fromFailing: readyEthLoan,
    toFailing: readySolLoan,
  },
  {
    chain: "solana",
    stop: () => net.solana.node.stopRpc(),
    start: () => net.solana.node.startRpc(),
    fromFailing: readySolLoan,
    toFailing: readyEthLoan,
  },
];

describe("a chain's node down and back (3 relayers, 2 of 3)", () => {
  it.each(CASES.map((outage, index) => ({ ...outage, index })))(
    "$chain nodeDownThenBack_watchersResumeFromTheirCursors_eachPacketDeliveredOnce_noAttemptsUsed",
    async ({ chain, stop, start, fromFailing, toFailing, index }) => {
      const gapsBefore = await total("loanbridge_nonce_gaps_total");
      const failedBefore = await total("loanbridge_packets", 'status="failed"');
      const openFirst = await fromFailing(index);
      const openSecond = await toFailing(index);
      const first = await openFirst();
      await stop();
      let second: Opened;
      try {
        second = await openSecond();
        await sleep(OUTAGE_MS);
        for (const relayer of net.relayers) {
          expect(relayer.running, `relayer-${relayer.index} died in the outage`).toBe(true);
        }
      } finally {
        await start();
      }
      const backAt = Date.now();

      const counts: number[] = [];
      for (const loan of [first, second]) {
        const lists = await waitForDeliveredPackets(
          net.relayers,
          loan.loanId,
          ["OPEN_LOAN", "LOAN_ACTIVE"],
          RECOVERY_MS,
        );
        const answerTo: Chain = loan.openTo === "solana" ? "evm" : "solana";
        const [seen = []] = lists;
        counts.push(
          await deliveriesOn(loan.openTo, packetOfType(seen, "OPEN_LOAN").guid),
          await deliveriesOn(answerTo, packetOfType(seen, "LOAN_ACTIVE").guid),
        );
      }
      const recoveredMs = Date.now() - backAt;
      const lost = counts.filter((count) => count === 0).length;
      const duplicated = counts.reduce((sum, count) => sum + Math.max(0, count - 1), 0);
      const gaps = (await total("loanbridge_nonce_gaps_total")) - gapsBefore;
      const failed = (await total("loanbridge_packets", 'status="failed"')) - failedBefore;
      console.log(
        `fault=node-down chain=${chain} expected="resume from the cursors once the node is back" ` +
          `observed="down ${OUTAGE_MS / 1000} s, all delivered ${recoveredMs} ms after, ` +
          `gaps ${gaps}, failed ${failed}" lost=${lost} duplicated=${duplicated}`,
      );
      expect(counts).toEqual([1, 1, 1, 1]);
      expect(gaps).toBe(0);
      expect(failed).toBe(0);
      for (const loan of [first, second]) {
        await waitForMirroredLoan(net.relayers, loan.loanId, "Active", "Active");
      }
    },
  );
});
