// The EVM pool reader's change detection on a real chain: anvil with real
// finalized tags, a full loanbridge deployment per side, three installment
// loans opened by delivering the vault's OPEN_LOAN to the pool (signed by the
// dev verifiers). A scan of the pool's repayment logs names only the loan
// that was repaid, in one log query whatever the number of loans; the
// installment mirror (a real store, the real reader) reads only that loan
// and, restarted, scans on from its stored cursor. Endpoints that lie, or
// refuse a range, are handled as the watcher handles them.
import { type EvmDeployment, contractAt, readArtifact } from "@loanbridge/evm-contracts";
import {
  addressToWire,
  annuityPayment,
  decodeLoanMessage,
  decodePacket,
  type Hex,
  packetAttestationDigest,
} from "@loanbridge/shared";
import {
  type Contract,
  Interface,
  type InterfaceAbi,
  NonceManager,
  parseEther,
  Wallet,
} from "ethers";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { RelayerEvents } from "../../observability/events.ts";
import type { PipelineContext } from "../../pipeline/context.ts";
import { syncSchedules } from "../../pipeline/schedules.ts";
import { ReadyTimes } from "../../pipeline/takeover.ts";
import type { Store } from "../../store/store.ts";
import { freshTestStore } from "../../store/testing.ts";
import { JsonRpc, RpcDisagreementError, RpcQuorumError } from "../rpc.ts";
import type { MirroredPoolLoan, ObservedPacket } from "../types.ts";
import { type AnvilNode, startAnvil } from "./anvil.ts";
import { EvmPacketDeliverer } from "./deliverer.ts";
import type { EvmFinality } from "./finality.ts";
import { NonceManager as RelayerNonces } from "./nonces.ts";
import { EvmPoolReader, POOL_READ_ABI } from "./pool-reader.ts";
import { decodePacketSent, PACKET_SENT_TOPIC } from "./proof.ts";
import { EvmAttestationSigner } from "./signer.ts";
import {
  COLLATERAL_EID,
  deployEvmLoanPair,
  devKey,
  LENDING_EID,
  mine,
  NATIVE_ASSET,
  providerFor,
  sendTx,
  USD,
  VERIFIER_KEYS,
} from "./testing.ts";
import { EvmPacketWatcher } from "./watcher.ts";

/** A request's JSON body and URL, as a test's fetch sees them. */
const bodyOf = (init?: RequestInit): string => (typeof init?.body === "string" ? init.body : "{}");
const urlOf = (input: string | URL | Request): string =>
  typeof input === "string" ? input : input instanceof URL ? input.href : input.url;

const FINALIZED: EvmFinality = { kind: "tag", tag: "finalized" };
const PRINCIPAL = 3_000n * USD;
const RATE_BPS = 1_000;
const DAY = 86_400n;

let anvil: AnvilNode;
let collateral: EvmDeployment;
let lending: EvmDeployment;
let pool: Contract;
let poolApp: Hex;
/** The three loans, each with the LOAN_ACTIVE its pool answered (as the lending watcher saw it). */
let loans: { loanId: Hex; active: ObservedPacket }[];
let payment: bigint;

/** Every JSON-RPC request the reader sends (method and params), through a real fetch. */
function recordingFetch(requests: { method: string; params: unknown[] }[]): typeof fetch {
  return async (input, init) => {
    const body = JSON.parse(bodyOf(init)) as { method: string; params: unknown[] };
    requests.push({ method: body.method, params: body.params });
    return fetch(input, init);
  };
}

/**
 * A fetch whose `eth_getLogs` answers are rewritten by `rewrite` (a lying or
 * broken endpoint); it asks anvil itself, whatever path the URL has.
 */
function rewritingFetch(rewrite: (answer: { result?: unknown[] }) => unknown): typeof fetch {
  return async (_input, init) => {
    const body = JSON.parse(bodyOf(init)) as { method: string; id: number };
    const response = await fetch(anvil.url, init);
    if (body.method !== "eth_getLogs") return response;
    const answer = (await response.json()) as { result?: unknown[] };
    return new Response(
      JSON.stringify({ jsonrpc: "2.0", id: body.id, ...(rewrite(answer) as object) }),
    );
  };
}

const twoEndpoints = () => [anvil.url, `${anvil.url}/`];
const known = (): MirroredPoolLoan[] =>
  loans.map(({ loanId }) => ({ loanId, outstandingPrincipal: PRINCIPAL, paidInstallments: 0 }));

function readerOver(rpc: JsonRpc, scan?: { range?: number; maxRanges?: number }): EvmPoolReader {
  return new EvmPoolReader({ eid: LENDING_EID, rpc, finality: FINALIZED, ...(scan && { scan }) });
}

async function finalizedBlock(): Promise<bigint> {
  const block = await providerFor(anvil.url).getBlock("finalized");
  return BigInt(block?.number ?? 0);
}

beforeAll(async () => {
  anvil = await startAnvil({ slotsInAnEpoch: 4 });
  const provider = providerFor(anvil.url);
  const deployer = new NonceManager(new Wallet(devKey(0), provider));
  ({ collateral, lending, pool } = await deployEvmLoanPair(deployer));
  poolApp = addressToWire(lending.contracts.lendingPool);

  // Three 3-installment loans: the vault's OPEN_LOAN delivered to the pool.
  const borrower = new Wallet(devKey(1), provider);
  const vault = await contractAt(
    collateral.contracts.collateralVault,
    "contracts/CollateralVault.sol",
    "CollateralVault",
    borrower,
  );
  const executorKey = devKey(5);
  const deliverer = new EvmPacketDeliverer({
    eid: LENDING_EID,
    rpc: new JsonRpc({ chain: "anvil", urls: [anvil.url] }),
    endpoint: lending.contracts.endpoint,
    senderKey: executorKey,
    nonces: new RelayerNonces(
      new JsonRpc({ chain: "anvil", urls: [anvil.url] }),
      new Wallet(executorKey).address,
    ),
    fees: { maxFeePerGas: 100n * 10n ** 9n },
    pollIntervalMs: 25,
  });
  const { epoch } = await deliverer.verifierSet();
  for (let i = 0; i < 3; i++) {
    const receipt = await sendTx(
      vault,
      "open",
      "0x0000000000000000000000000000000000000000",
      parseEther("4"),
      PRINCIPAL,
      RATE_BPS,
      3n * DAY,
      3,
      addressToWire(borrower.address),
      { value: parseEther("4") },
    );
    const log = receipt.logs.find((entry) => entry.topics[0] === PACKET_SENT_TOPIC);
    if (log === undefined) throw new Error("open sent no packet");
    const { packet, guid } = decodePacketSent(log).log;
    const digest = packetAttestationDigest(deliverer.endpoint, epoch, packet);
    const attestations = await Promise.all(
      VERIFIER_KEYS.slice(0, 2).map((key) =>
        new EvmAttestationSigner(key).sign(guid, epoch, digest),
      ),
    );
    expect((await deliverer.deliver(packet, attestations)).outcome).toBe("delivered");
  }
  await mine(anvil.url, 8);
  const watcher = new EvmPacketWatcher({
    eid: LENDING_EID,
    rpc: new JsonRpc({ chain: "anvil", urls: [anvil.url] }),
    endpoint: lending.contracts.endpoint,
    finality: FINALIZED,
  });
  const answers: ObservedPacket[] = [];
  let cursor = BigInt(lending.startBlock) - 1n;
  for (;;) {
    const batch = await watcher.poll(cursor);
    answers.push(...batch.packets);
    cursor = batch.scannedTo;
    if (cursor >= batch.finalizedHead) break;
  }
  loans = answers.map((active) => ({
    loanId: decodeLoanMessage(decodePacket(active.packet).message).loanId,
    active,
  }));
  expect(loans).toHaveLength(3);
  payment = annuityPayment({
    principal: PRINCIPAL,
    rateBps: BigInt(RATE_BPS),
    periodSeconds: DAY,
    installments: 3,
  });
}, 120_000);

afterAll(async () => {
  await anvil.stop();
});

async function repay(loanId: Hex, amount: bigint): Promise<void> {
  await sendTx(pool, "repay", loanId, amount);
  await mine(anvil.url, 8);
}

describe("the pool ABI the reader uses", () => {
  it("matchesTheCompiledLendingPool_functionsWithTheirOutputs_andEvents", async () => {
    const { abi } = await readArtifact("contracts/LendingPool.sol", "LendingPool");
    const compiled = new Interface(abi as InterfaceAbi);
    const ours = new Interface(POOL_READ_ABI);
    ours.forEachFunction((fn) => {
      const real = compiled.getFunction(fn.format());
      expect(real?.selector, fn.format()).toBe(fn.selector);
      // The outputs decode the answer: their types must be the contract's.
      expect(real?.format("full"), fn.format()).toBe(fn.format("full"));
    });
    ours.forEachEvent((event) => {
      expect(compiled.getEvent(event.format())?.topicHash, event.format()).toBe(event.topicHash);
    });
  });
});

describe("EvmPoolReader.changedLoans", () => {
  it("neverScanned_everyLoanIsRead_andTheScanStartsAtTheFinalizedHead", async () => {
    const reader = readerOver(new JsonRpc({ chain: "anvil", urls: twoEndpoints(), quorum: 2 }));
    const head = await finalizedBlock();
    const { changed, scannedTo } = await reader.changedLoans(poolApp, undefined, known());
    expect(changed).toEqual(loans.map((loan) => loan.loanId));
    expect(scannedTo).toBeGreaterThanOrEqual(head);
  });

  it("aRepayment_namesOnlyItsLoan_inOneLogQueryPerEndpoint_withNoLoanRead", async () => {
    const requests: { method: string; params: unknown[] }[] = [];
    const reader = readerOver(
      new JsonRpc({
        chain: "anvil",
        urls: twoEndpoints(),
        quorum: 2,
        fetch: recordingFetch(requests),
      }),
    );
    const from = await finalizedBlock();
    const [, repaid] = loans;
    if (repaid === undefined) throw new Error();
    await repay(repaid.loanId, payment);

    const scan = await reader.changedLoans(poolApp, from, known());

    expect(scan).toEqual({ changed: [repaid.loanId], scannedTo: await finalizedBlock() });
    // One head and one log query per endpoint: nothing per loan.
    expect(requests.map((request) => request.method).sort()).toEqual([
      "eth_getBlockByNumber",
      "eth_getBlockByNumber",
      "eth_getLogs",
      "eth_getLogs",
    ]);
    const unchanged = await reader.changedLoans(poolApp, scan.scannedTo, known());
    expect(unchanged.changed).toEqual([]);
  });

  it("bounded_aPoolFarBehindCatchesUpOverScans_andARefusedRangeIsHalved", async () => {
    const requests: { method: string; params: unknown[] }[] = [];
    const record = recordingFetch(requests);
    // The provider refuses more than 4 blocks per query.
    const limited: typeof fetch = async (input, init) => {
      const body = JSON.parse(bodyOf(init)) as {
        method: string;
        id: number;
        params: { fromBlock: string; toBlock: string }[];
      };
      const [filter] = body.params;
      if (body.method === "eth_getLogs" && filter !== undefined) {
        if (BigInt(filter.toBlock) - BigInt(filter.fromBlock) >= 4n) {
          return new Response(
            JSON.stringify({
              jsonrpc: "2.0",
              id: body.id,
              error: { code: -32005, message: "query exceeds max block range 4" },
            }),
          );
        }
      }
      return record(input, init);
    };
    const reader = readerOver(new JsonRpc({ chain: "anvil", urls: [anvil.url], fetch: limited }), {
      range: 16,
      maxRanges: 3,
    });
    const start = BigInt(lending.startBlock) - 1n;

    const first = await reader.changedLoans(poolApp, start, known());

    // 16 → 8 → 4 blocks a query; three ranges of 4 in this scan.
    expect(first.scannedTo).toBe(start + 12n);
    const ranges = requests
      .filter((request) => request.method === "eth_getLogs")
      .map((request) => {
        const [filter] = request.params as { fromBlock: string; toBlock: string }[];
        return [BigInt(filter?.fromBlock ?? 0), BigInt(filter?.toBlock ?? 0)];
      });
    expect(ranges).toEqual([
      [start + 1n, start + 4n],
      [start + 5n, start + 8n],
      [start + 9n, start + 12n],
    ]);
    // Scan on until the head: the loan repaid earlier is named on the way.
    const changed = new Set<Hex>(first.changed);
    let cursor = first.scannedTo;
    const head = await finalizedBlock();
    while (cursor < head) {
      const scan = await reader.changedLoans(poolApp, cursor, known());
      for (const loanId of scan.changed) changed.add(loanId);
      expect(scan.scannedTo).toBeGreaterThan(cursor);
      cursor = scan.scannedTo;
    }
    expect([...changed]).toEqual([loans[1]?.loanId]);
  });

  it("anEndpointThatAddsALoan_isOutvoted_oneThatAnswersGarbage_failsTheScan", async () => {
    const from = await finalizedBlock();
    const [forged] = loans;
    if (forged === undefined) throw new Error();
    const liar = rewritingFetch((answer) => ({
      result: [
        ...(answer.result ?? []),
        {
          address: lending.contracts.lendingPool.toLowerCase(),
          topics: [
            pool.interface.getEvent("LoanRepayment")?.topicHash,
            forged.loanId,
            NATIVE_ASSET,
          ],
          data: `0x${"00".repeat(128)}`,
          blockNumber: `0x${from.toString(16)}`,
          blockHash: `0x${"11".repeat(32)}`,
          transactionHash: `0x${"22".repeat(32)}`,
          transactionIndex: "0x0",
          logIndex: "0x0",
          removed: false,
        },
      ],
    }));
    const urls = [anvil.url, `${anvil.url}/`, `${anvil.url}//`];
    const honestOrLiar: typeof fetch = (input, init) =>
      urlOf(input).endsWith("//") ? liar(input, init) : fetch(input, init);
    const outvoted = readerOver(
      new JsonRpc({
        chain: "anvil",
        urls,
        quorum: 2,
        fetch: honestOrLiar,
      }),
    );
    await mine(anvil.url, 8);
    expect((await outvoted.changedLoans(poolApp, from, known())).changed).toEqual([]);

    // With two endpoints and a quorum of two, one liar stops the scan (its
    // cursor is not moved; the mirror tries again); so does a malformed answer.
    const stalled = readerOver(
      new JsonRpc({ chain: "anvil", urls: urls.slice(1), quorum: 2, fetch: honestOrLiar }),
    );
    await expect(stalled.changedLoans(poolApp, from, known())).rejects.toThrow(
      RpcDisagreementError,
    );
    const garbage = rewritingFetch(() => ({ result: [{ address: "not an address" }] }));
    const broken = readerOver(
      new JsonRpc({ chain: "anvil", urls: twoEndpoints(), quorum: 2, fetch: garbage }),
    );
    await expect(broken.changedLoans(poolApp, from, known())).rejects.toThrow(RpcQuorumError);
  });
});

describe("the installment mirror over the real EVM pool", () => {
  let store: Store;
  let errors: string[];

  afterEach(async () => {
    await store.close();
  });

  function contextOver(reader: EvmPoolReader): PipelineContext {
    return {
      relayerId: "pool-reader-chain-test",
      store,
      events: new RelayerEvents(),
      chains: {
        watchers: [],
        verifiers: new Map(),
        deliverers: new Map(),
        signers: new Map(),
        kinds: new Map(),
        loanApps: new Map(),
        poolReaders: new Map([[LENDING_EID, reader]]),
      },
      settings: {
        batchSize: 10,
        maxAttempts: 3,
        leaseMs: 60_000,
        pollIntervalMs: 50,
        scheduleReadIntervalMs: 0,
        retryBackoff: { initialMs: 150, maxMs: 300, factor: 2 },
      },
      executor: false,
      takeoverWindowMs: 0,
      readyTimes: new ReadyTimes(),
      peers: [],
      peerTimeoutMs: 300,
      startHeights: new Map(),
      onError: (error, where) => {
        errors.push(`${where}: ${String(error)}`);
      },
    };
  }

  /** The loans as the mirror holds them after OPEN_LOAN and the pool's delivered LOAN_ACTIVE. */
  async function mirror(): Promise<void> {
    for (const { loanId, active } of loans) {
      const ids = { loanId, collateralEid: COLLATERAL_EID, lendingEid: LENDING_EID };
      await store.upsertLoan({
        ...ids,
        side: "vault",
        state: "Requested",
        borrower: NATIVE_ASSET,
        recipient: NATIVE_ASSET,
        collateralAsset: NATIVE_ASSET,
        collateralAmount: parseEther("4"),
        principal: PRINCIPAL,
        installments: 3,
      });
      await store.upsertLoan({
        ...ids,
        side: "pool",
        state: "Active",
        principal: PRINCIPAL,
        rateBps: RATE_BPS,
      });
      await store.recordObserved(active);
      await store.markVerified(active.guid, { loanId });
      await store.markDelivered(active.guid, { destTx: active.sourceTx });
    }
  }

  it("readsOnlyTheRepaidLoan_andRestarted_scansOnFromItsStoredCursor", async () => {
    store = await freshTestStore();
    errors = [];
    await mirror();
    const calls: string[] = [];
    const rpc = () =>
      new JsonRpc({
        chain: "anvil",
        urls: twoEndpoints(),
        quorum: 2,
        onCall: (event) => calls.push(event.method),
      });
    const context = contextOver(readerOver(rpc()));
    expect(await syncSchedules(context)).toBe(3);
    expect(await syncSchedules(context)).toBe(0);
    expect(await syncSchedules(context)).toBe(0);

    const [repaid, , later] = loans;
    if (repaid === undefined || later === undefined) throw new Error();
    await repay(repaid.loanId, payment);
    calls.length = 0;
    expect(await syncSchedules(context)).toBe(1);
    // The scan (a head, the logs) and one loan's read: getLoan, and its
    // Payment logs with their block.
    expect(calls.filter((method) => method === "eth_call")).toHaveLength(2);
    expect((await store.listInstallments(repaid.loanId))[0]?.paidAt).not.toBeNull();
    expect((await store.getLoan(repaid.loanId))?.principal).toBeLessThan(PRINCIPAL);
    expect(await syncSchedules(context)).toBe(0);

    // A restart: a new reader, the same store. Its first log query starts
    // after the block the last scan ended at.
    const cursor = await finalizedBlock();
    await repay(later.loanId, payment);
    const requests: { method: string; params: unknown[] }[] = [];
    const restarted = contextOver(
      readerOver(
        new JsonRpc({
          chain: "anvil",
          urls: twoEndpoints(),
          quorum: 2,
          fetch: recordingFetch(requests),
        }),
      ),
    );
    expect(await syncSchedules(restarted)).toBe(1);
    const [firstQuery] = requests.filter((request) => request.method === "eth_getLogs");
    const [filter] = (firstQuery?.params ?? []) as { fromBlock: string }[];
    expect(BigInt(filter?.fromBlock ?? 0)).toBe(cursor + 1n);
    expect((await store.listInstallments(later.loanId))[0]?.paidAt).not.toBeNull();
    expect(errors).toEqual([]);
  });
});
