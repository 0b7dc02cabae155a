// The real pipeline end to end on one anvil: two Endpoints (SRC → DST), and
// THREE relayers, each with its own PGlite store, verifier key and API server
// on an ephemeral loopback port, peered to each other; relayer 0 executes.
// A packet is observed, verified, attested by all, gathered (2 of 3) and
// delivered exactly once; with one relayer stopped the next packet still
// completes; an executor restarted after attesting, and one that died right
// after its delivery transaction was mined, never deliver twice.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodePacket, type Hex, wireToEvmAddress } from "@loanbridge/shared";
import { Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiServer, createApiServer } from "../api/server.ts";
import { type AnvilNode, startAnvil } from "../chains/evm/anvil.ts";
import { EvmPacketDeliverer } from "../chains/evm/deliverer.ts";
import { endpointInterface } from "../chains/evm/endpointAbi.ts";
import type { EvmFinality } from "../chains/evm/finality.ts";
import { NonceManager } from "../chains/evm/nonces.ts";
import { JsonRpc } from "../chains/rpc.ts";
import { EvmAttestationSigner } from "../chains/evm/signer.ts";
import {
  DST_EID,
  deployEndpointPair,
  devKey,
  type EndpointPair,
  mine,
  rpcCall,
  SRC_EID,
  VERIFIER_ADDRESSES,
  VERIFIER_KEYS,
} from "../chains/evm/testing.ts";
import { EvmPacketVerifier } from "../chains/evm/verifier.ts";
import { EvmPacketWatcher } from "../chains/evm/watcher.ts";
import type { PacketDeliverer } from "../chains/types.ts";
import { RelayerEvents } from "../observability/events.ts";
import { createMetrics } from "../observability/metrics.ts";
import { Store } from "../store/store.ts";
import { freshTestStore, seedTestDataDir } from "../store/testing.ts";
import type { PacketStatus } from "../store/types.ts";
import { attestBatch } from "./attest.ts";
import type { PipelineContext } from "./context.ts";
import { runIteration } from "./pipeline.ts";
import { ReadyTimes } from "./takeover.ts";
import { verifyBatch } from "./verify.ts";
import { watchAll } from "./watch.ts";

const FINALIZED: EvmFinality = { kind: "tag", tag: "finalized" };
const EXECUTOR_KEY = devKey(5);
const EXECUTOR = new Wallet(EXECUTOR_KEY).address;
const DELIVERED_TOPIC = endpointInterface.getEvent("PacketDelivered")?.topicHash ?? "";

let anvil: AnvilNode;
let pair: EndpointPair;
let startHeight: bigint;
let dataDir: string;

interface Relayer {
  index: number;
  context: PipelineContext;
  store: Store;
  api: ApiServer;
  url: string;
  errors: string[];
  running: boolean;
}

const relayers: Relayer[] = [];

/** One relayer's adapters; `wrap` lets a test interpose on the deliverer. */
function chainsFor(index: number, wrap?: (deliverer: PacketDeliverer) => PacketDeliverer) {
  const rpc = new JsonRpc({ chain: "anvil", urls: [anvil.url] });
  const deliverer = new EvmPacketDeliverer({
    eid: DST_EID,
    rpc,
    endpoint: pair.addresses.destination,
    senderKey: EXECUTOR_KEY,
    nonces: new NonceManager(rpc, EXECUTOR),
    fees: { maxFeePerGas: 100n * 10n ** 9n },
    pollIntervalMs: 25,
  });
  return {
    watchers: [
      new EvmPacketWatcher({
        eid: SRC_EID,
        rpc,
        endpoint: pair.addresses.source,
        finality: FINALIZED,
      }),
    ],
    verifiers: new Map([
      [
        SRC_EID,
        new EvmPacketVerifier({
          eid: SRC_EID,
          rpc,
          endpoint: pair.addresses.source,
          finality: FINALIZED,
        }),
      ],
    ]),
    deliverers: new Map([[DST_EID, wrap === undefined ? deliverer : wrap(deliverer)]]),
    signers: new Map([[DST_EID, new EvmAttestationSigner(VERIFIER_KEYS[index] as Hex)]]),
    kinds: new Map([
      [SRC_EID, "evm" as const],
      [DST_EID, "evm" as const],
    ]),
    // Test apps, no loan apps: nothing here speaks for a loan.
    loanApps: new Map(),
  };
}

async function startRelayer(
  index: number,
  store: Store,
  wrap?: (deliverer: PacketDeliverer) => PacketDeliverer,
): Promise<Relayer> {
  const errors: string[] = [];
  const api = createApiServer({
    config: { host: "127.0.0.1", port: 0, maxBodyBytes: 65_536 },
    store,
    registry: createMetrics({ defaultMetrics: false }).registry,
    attestationSigners: [VERIFIER_ADDRESSES[index] ?? ""],
  });
  const { url } = await api.listen();
  const context: PipelineContext = {
    relayerId: `relayer-${index}`,
    store,
    events: new RelayerEvents(),
    chains: chainsFor(index, wrap),
    settings: {
      batchSize: 10,
      maxAttempts: 5,
      leaseMs: 1_000,
      pollIntervalMs: 50,
      deliverConcurrency: 8,
      scheduleReadIntervalMs: 1_000,
      retryBackoff: { initialMs: 50, maxMs: 500, factor: 2 },
    },
    executor: index === 0,
    // Only relayer-0 delivers here; whatever its rank, it waits little.
    takeoverWindowMs: 50,
    readyTimes: new ReadyTimes(),
    peers: [],
    peerTimeoutMs: 1_000,
    startHeights: new Map([[SRC_EID, startHeight]]),
    onError: (error, where) => {
      errors.push(`${where}: ${String(error)}`);
    },
  };
  return { index, context, store, api, url, errors, running: true };
}

/** Each running relayer's peers are the other relayers' current API URLs. */
function wirePeers(): void {
  for (const relayer of relayers) {
    relayer.context.peers = relayers.filter((r) => r !== relayer).map((r) => r.url);
  }
}

async function stopRelayer(relayer: Relayer): Promise<void> {
  relayer.running = false;
  await relayer.api.close();
}

const statusOf = async (relayer: Relayer, guid: Hex): Promise<PacketStatus | undefined> =>
  (await relayer.store.getPacket(guid))?.status;

/** Runs pipeline iterations on the running relayers until `done`. */
async function roundsUntil(done: () => Promise<boolean>, limit = 60): Promise<void> {
  for (let round = 0; round < limit; round++) {
    if (await done()) return;
    for (const relayer of relayers.filter((r) => r.running)) await runIteration(relayer.context);
    await new Promise((resolve) => setTimeout(resolve, 60));
  }
  throw new Error(`not done after ${limit} rounds`);
}

async function deliveredLogs(guid: Hex) {
  const logs = await pair.provider.getLogs({
    address: pair.addresses.destination,
    topics: [DELIVERED_TOPIC, guid],
    fromBlock: 0,
    toBlock: "latest",
  });
  return logs.length;
}

const executorNonce = () => pair.provider.getTransactionCount(EXECUTOR, "latest");
/** Whether the destination marked the packet delivered (by path and nonce, read from its record). */
async function isDelivered(guid: Hex): Promise<boolean> {
  const record = await relayers[0]?.store.getPacket(guid);
  if (record === undefined) throw new Error(`no packet ${guid} in the executor's store`);
  const { receiver, srcEid, sender, nonce } = decodePacket(record.packet);
  const delivered = pair.destination.getFunction("delivered");
  return (await delivered.staticCall(wireToEvmAddress(receiver), srcEid, sender, nonce)) as boolean;
}

/** Sends a packet and makes it final; returns its guid. */
async function sendFinal(): Promise<Hex> {
  const { receipt } = await pair.send();
  const log = receipt.logs.find((entry) => entry.address === pair.addresses.source);
  await mine(anvil.url, 8);
  return log?.topics[1] as Hex;
}

beforeAll(async () => {
  anvil = await startAnvil({ slotsInAnEpoch: 4 });
  dataDir = await mkdtemp(join(tmpdir(), "loanbridge-executor-"));
  startHeight = BigInt((await rpcCall(anvil.url, "eth_blockNumber")) as string);
  pair = await deployEndpointPair(anvil.url, { threshold: 2 });
  // The executor's store on a data dir it restarts on, seeded from a migrated image (not initdb).
  await seedTestDataDir(dataDir);
  relayers.push(await startRelayer(0, await Store.open({ kind: "pglite", dataDir })));
  // The two others in memory, from one migrated image instead of initdb each.
  for (const index of [1, 2]) relayers.push(await startRelayer(index, await freshTestStore()));
  wirePeers();
});

afterAll(async () => {
  for (const relayer of relayers) {
    if (relayer.running) await relayer.api.close();
    await relayer.store.close().catch(() => undefined);
  }
  await anvil.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe("three relayers, one executor, one anvil", () => {
  it("packet_isObservedVerifiedAttestedByAll_gathered_deliveredExactlyOnce", async () => {
    const nonceBefore = await executorNonce();
    const guid = await sendFinal();
    const [executor, one, two] = relayers as [Relayer, Relayer, Relayer];
    await roundsUntil(async () => (await statusOf(executor, guid)) === "delivered");

    expect(await isDelivered(guid)).toBe(true);
    expect(await deliveredLogs(guid)).toBe(1);
    expect(await executorNonce()).toBe(nonceBefore + 1);
    const packet = await executor.store.getPacket(guid);
    expect(packet?.destTx).toMatch(/^0x[0-9a-f]{64}$/);
    // Every relayer signed it and has its own signature stored.
    for (const relayer of [one, two]) {
      const own = await relayer.store.listAttestations(guid, {
        signers: [VERIFIER_ADDRESSES[relayer.index] ?? ""],
      });
      expect(own).toHaveLength(1);
    }
    // The executor gathered peers' signatures: at least 2 of 3 in its store.
    expect((await executor.store.listAttestations(guid)).length).toBeGreaterThanOrEqual(2);
    // The others see it delivered on the destination and say so.
    await roundsUntil(async () => {
      const statuses = await Promise.all([one, two].map((r) => statusOf(r, guid)));
      return statuses.every((s) => s === "delivered");
    });
    expect(await deliveredLogs(guid)).toBe(1);
  });

  it("oneNonExecutorStopped_nextPacketCompletesWithTheRemainingTwo", async () => {
    const [executor, , two] = relayers as [Relayer, Relayer, Relayer];
    await stopRelayer(two);
    const nonceBefore = await executorNonce();
    const guid = await sendFinal();
    await roundsUntil(async () => (await statusOf(executor, guid)) === "delivered");
    expect(await statusOf(two, guid)).toBeUndefined();
    expect(await deliveredLogs(guid)).toBe(1);
    expect(await executorNonce()).toBe(nonceBefore + 1);
    const signers = (await executor.store.listAttestations(guid)).map((a) => a.signer).sort();
    expect(signers).toEqual([VERIFIER_ADDRESSES[0], VERIFIER_ADDRESSES[1]].sort());
    expect(executor.errors.join("\n")).toContain(`gather.peer ${two.url}`);
  });

  it("executorRestartedAfterAttesting_deliversOnce", async () => {
    const [executor, one] = relayers as [Relayer, Relayer, Relayer];
    const nonceBefore = await executorNonce();
    const guid = await sendFinal();
    // The executor watches, verifies and attests, then stops before delivering.
    await watchAll(executor.context);
    await verifyBatch(executor.context);
    await attestBatch(executor.context);
    expect(await statusOf(executor, guid)).toBe("attested");
    await runIteration(one.context);
    expect(await statusOf(one, guid)).toBe("attested");
    await stopRelayer(executor);
    await executor.store.close();

    // Restarted on the same data dir: it resumes from the stored status.
    const restarted = await startRelayer(0, await Store.open({ kind: "pglite", dataDir }));
    relayers[0] = restarted;
    wirePeers();
    await roundsUntil(async () => (await statusOf(restarted, guid)) === "delivered");
    expect(await deliveredLogs(guid)).toBe(1);
    expect(await executorNonce()).toBe(nonceBefore + 1);
  });

  it("executorDiesAfterItsDeliveryIsMined_restartMarksDeliveredWithoutResending", async () => {
    const executor = relayers[0] as Relayer;
    await stopRelayer(executor);
    await executor.store.close();
    // This executor's process "dies" right after its deliver transaction is mined:
    // the stage never learns the outcome and its lease is left behind.
    const progress = { mined: false };
    const minedYet = (): boolean => progress.mined;
    const dying = await startRelayer(0, await Store.open({ kind: "pglite", dataDir }), (real) => ({
      eid: real.eid,
      endpoint: real.endpoint,
      verifierSet: () => real.verifierSet(),
      isDelivered: (guid, packet) => real.isDelivered(guid, packet),
      walletBalance: () => real.walletBalance(),
      deliver: async (packet, attestations) => {
        await real.deliver(packet, attestations);
        progress.mined = true;
        return new Promise(() => undefined);
      },
    }));
    relayers[0] = dying;
    wirePeers();
    const nonceBefore = await executorNonce();
    const guid = await sendFinal();
    const iteration = (async () => {
      for (;;) await runIteration(dying.context);
    })();
    void iteration.catch(() => undefined);
    while (!minedYet()) {
      await runIteration((relayers[1] as Relayer).context);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await statusOf(dying, guid)).toBe("attested");
    await stopRelayer(dying);
    await dying.store.close();

    const restarted = await startRelayer(0, await Store.open({ kind: "pglite", dataDir }));
    relayers[0] = restarted;
    wirePeers();
    await roundsUntil(async () => (await statusOf(restarted, guid)) === "delivered");
    expect(await deliveredLogs(guid)).toBe(1);
    expect(await executorNonce()).toBe(nonceBefore + 1);
  });
});
