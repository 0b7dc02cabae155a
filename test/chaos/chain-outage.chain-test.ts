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
//
// And a lossy Solana endpoint (every relayer's only one, through the fault
// proxy): it first drops every transaction sent (answering success), so
// the LOAN_ACTIVE delivery's blockhash expires unconfirmed; the relayer says
// so (log, `loanbridge_delivery_expired_total`) and signs it again with a
// fresh blockhash, which lands once the endpoint passes one send in two.
// The transaction that landed carries a compute-unit limit and price (the
// priority fee).
import { readFile } from "node:fs/promises";
import type { Hex } from "@loanbridge/shared";
import { getBase58Encoder } from "@solana/kit";
import { type JsonRpcProvider, Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devKey, providerFor } from "../../relayer/src/chains/evm/testing.ts";
import { type RpcProxy, type SolanaMode, startRpcProxy } from "../faults/rpc-proxy.ts";
import { type Localnet, relayerMetric, startLocalnet } from "../localnet/index.ts";
import {
  packetOfType,
  packetsOfLoan,
  rpcCall,
  waitFor,
  waitForDeliveredPackets,
  waitForMirroredLoan,
} from "../e2e/support.ts";
import {
  type Chain,
  deliveriesOn,
  lostAndDuplicated,
  type OpenedLoanCase,
  readyEthLoan,
  readySolLoan,
} from "./support.ts";

const USDC = 10n ** 6n;
const COMPUTE_BUDGET_PROGRAM = "ComputeBudget111111111111111111111111111111";
const OUTAGE_MS = process.env.LOANBRIDGE_CHAOS === "full" ? 60_000 : 10_000;
/** After the node is back: the retry backoff stays short (waiting uses no attempts). */
const RECOVERY_MS = 45_000;

let net: Localnet;
let provider: JsonRpcProvider;
/** Every relayer's one Solana endpoint (passing through but for the lossy case). */
let lossy: RpcProxy<SolanaMode> | undefined;

beforeAll(async () => {
  net = await startLocalnet({
    rpcUrls: async (chain, node) => {
      if (chain === "evm") return [node];
      lossy ??= await startRpcProxy({ chain, upstream: node });
      return [lossy.url];
    },
  });
  provider = providerFor(net.evm.url);
}, 300_000);

afterAll(async () => {
  await net.stop();
  await lossy?.close();
});

/**
 * Readies a loan while both chains are up (its accounts on the other chain)
 * and gives back what opens it, which needs only its collateral's chain.
 */
type ReadyLoan = (index: number) => Promise<() => Promise<OpenedLoanCase>>;

const readyEth: ReadyLoan = (index) =>
  readyEthLoan(net, new Wallet(devKey(3), provider), BigInt(600 + index) * USDC);

const readySol: ReadyLoan = (index) => readySolLoan(net, BigInt(200 + index) * USDC);

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
    fromFailing: readyEth,
    toFailing: readySol,
  },
  {
    chain: "solana",
    stop: () => net.solana.node.stopRpc(),
    start: () => net.solana.node.startRpc(),
    fromFailing: readySol,
    toFailing: readyEth,
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
      let second: OpenedLoanCase;
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
          await deliveriesOn(net, provider, loan.openTo, packetOfType(seen, "OPEN_LOAN")),
          await deliveriesOn(net, provider, answerTo, packetOfType(seen, "LOAN_ACTIVE")),
        );
      }
      const recoveredMs = Date.now() - backAt;
      const { lost, duplicated } = lostAndDuplicated(counts);
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
        await waitForMirroredLoan(net.relayers, loan.loanId, "active", "active");
      }
    },
  );
});

/** The compute-budget instructions of a landed Solana transaction: [tag, value] (2: limit, 3: price). */
async function computeBudgetOf(signature: string): Promise<[number, bigint][]> {
  const tx = (await rpcCall(net.solana.url, "getTransaction", [
    signature,
    { encoding: "json", commitment: "confirmed", maxSupportedTransactionVersion: 0 },
  ])) as {
    transaction: {
      message: {
        accountKeys: string[];
        instructions: { programIdIndex: number; data: string }[];
      };
    };
  };
  const { accountKeys, instructions } = tx.transaction.message;
  return instructions
    .filter((ix) => accountKeys[ix.programIdIndex] === COMPUTE_BUDGET_PROGRAM)
    .map((ix) => {
      const data = Buffer.from(getBase58Encoder().encode(ix.data));
      const tag = data[0] ?? -1;
      return [tag, tag === 3 ? data.readBigUInt64LE(1) : BigInt(data.readUInt32LE(1))];
    });
}

describe("a lossy Solana endpoint: deliveries outlive their blockhash", () => {
  it("sendsDroppedPastTheBlockhashLifetime_signedAgainWithAFreshOne_landsOnceWithItsPriorityFee", async () => {
    const proxy = lossy;
    if (proxy === undefined) throw new Error("no Solana proxy");
    const expiredBefore = await total("loanbridge_delivery_expired_total");
    const open = await readySol(9);
    await proxy.setMode({
      mode: "drop",
      fraction: 1,
      how: "swallow",
      methods: ["sendTransaction"],
    });
    try {
      const loan = await open();
      const expired = await waitFor(
        "a relayer to see its LOAN_ACTIVE delivery expire",
        async () => {
          const seen = await expiredTxs(loan.loanId);
          return seen.length > 0 ? seen : undefined;
        },
        90_000,
      );
      // One send in two now reaches the node.
      await proxy.setMode({
        mode: "drop",
        fraction: 0.5,
        how: "swallow",
        methods: ["sendTransaction"],
      });
      const lists = await waitForDeliveredPackets(
        net.relayers,
        loan.loanId,
        ["OPEN_LOAN", "LOAN_ACTIVE"],
        60_000,
      );
      const [seen = []] = lists;
      const active = packetOfType(seen, "LOAN_ACTIVE");
      const deliveries = [
        await deliveriesOn(net, provider, "evm", packetOfType(seen, "OPEN_LOAN")),
        await deliveriesOn(net, provider, "solana", active),
      ];
      // The relayer whose transaction landed recorded it (the others only saw the guid delivered).
      const landed = lists
        .map((list) => packetOfType(list, "LOAN_ACTIVE").destTx)
        .find((tx) => tx !== null);
      if (landed === undefined) throw new Error("no relayer recorded the landed transaction");
      const budget = await computeBudgetOf(landed);
      const { lost, duplicated } = lostAndDuplicated(deliveries);
      const expiredCount = (await total("loanbridge_delivery_expired_total")) - expiredBefore;
      console.log(
        `fault=lossy-sends chain=solana expected="re-signed with a fresh blockhash, lands with a priority fee" ` +
          `observed="${expiredCount} expired, landed ${landed.slice(0, 12)}…, budget ${JSON.stringify(
            budget.map(([tag, value]) => `${tag === 3 ? "price" : "limit"}=${value}`),
          )}, dropped ${proxy.applied("drop")}x" ` +
          `lost=${lost} duplicated=${duplicated}`,
      );
      expect(deliveries).toEqual([1, 1]);
      expect(expiredCount).toBeGreaterThanOrEqual(1);
      expect(expired).not.toContain(landed);
      expect(budget.find(([tag]) => tag === 3)?.[1]).toBe(1_000n);
      expect(budget.find(([tag]) => tag === 2)?.[1]).toBeGreaterThan(0n);
      await waitForMirroredLoan(net.relayers, loan.loanId, "active", "active");
    } finally {
      await proxy.setMode({ mode: "pass" });
    }
  });
});

/** The transactions relayers logged as expired for a loan's packets. */
async function expiredTxs(loanId: Hex): Promise<string[]> {
  const guids = new Set<string>();
  for (const relayer of net.relayers) {
    for (const packet of await packetsOfLoan(relayer.apiUrl, loanId)) guids.add(packet.guid);
  }
  const expired: string[] = [];
  for (const relayer of net.relayers) {
    for (const line of (await readFile(relayer.logFile, "utf8")).split("\n")) {
      if (!line.includes('"delivery expired before it landed')) continue;
      const entry = JSON.parse(line) as { guid: string; expiredTx: string };
      if (guids.has(entry.guid)) expired.push(entry.expiredTx);
    }
  }
  return expired;
}
