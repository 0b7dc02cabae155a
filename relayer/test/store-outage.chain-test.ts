// Database outage (issue #18, item 6): the real pipeline stages over a real
// store, with the in-memory chain doubles of src/pipeline/testing.ts, while
// the store goes away in the middle of an iteration and comes back:
// - PostgreSQL (scripts/postgres.sh) killed with `pg_ctl stop -m immediate`
//   right after a delivery landed on the destination, kept down for seconds,
//   then started again on the same data and port;
// - the embedded PGlite store's data dir made unwritable (as root, where
//   permissions do not bind, with `chattr +i`: even root cannot write an
//   immutable file, open descriptors included), then writable again.
// While down the loop keeps running and nothing advances, `/readyz` says
// 503 with the store check failing; once back the relayer resumes on its
// own, every packet is delivered exactly once, the watcher's cursor skipped
// nothing, and no lease stays held.
import { execFile } from "node:child_process";
import { chmod, mkdtemp, readdir, rm } from "node:fs/promises";
import { getPriority, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { type Hex, packetAttestationDigest } from "@loanbridge/shared";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createApiServer } from "../src/api/server.ts";
import { EvmAttestationSigner } from "../src/chains/evm/signer.ts";
import { VERIFIER_KEYS } from "../src/chains/evm/testing.ts";
import type {
  Attestation,
  DeliveryProgress,
  DeliveryReceipt,
  ObservedPacket,
  PacketWatcher,
  WatchBatch,
} from "../src/chains/types.ts";
import type { StoreConfig } from "../src/config/schema.ts";
import { Secret } from "../src/config/secret.ts";
import { RelayerEvents } from "../src/observability/events.ts";
import { createMetrics } from "../src/observability/metrics.ts";
import { leaseOwner, type PipelineContext } from "../src/pipeline/context.ts";
import { startLoop } from "../src/pipeline/pipeline.ts";
import { ReadyTimes } from "../src/pipeline/takeover.ts";
import {
  DST,
  ENDPOINT,
  EPOCH,
  loanPacket,
  MemoryDestination,
  openLoan,
  ScriptedVerifier,
  SRC,
} from "../src/pipeline/testing.ts";
import { Store } from "../src/store/store.ts";
import { kernelNiceness, seedTestDataDir } from "../src/store/testing.ts";
import { startPostgres, type TestPostgres } from "./postgres.ts";

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

const PACKETS = 12;
/** Where the watcher starts (no cursor stored yet): packets sit at 101..112. */
const START = 99n;
/** How long the store stays away (longer than a hung embedded call is waited for). */
const OUTAGE_MS = 3_000;
/** The embedded store gives a hung PGlite call up after this (15 s by default). */
const QUERY_TIMEOUT_MS = 2_000;
/** The default lease: a lease left behind by the outage would hold its packet this long. */
const LEASE_MS = 60_000;
/** Everything must be delivered this soon after the store is back (well inside LEASE_MS). */
const RESUME_WITHIN_MS = 20_000;

/**
 * A source chain at a fixed head whose watcher reads a few heights per poll
 * from the cursor it is given, as a real watcher does: a poll repeated from
 * the same cursor returns the same packets again.
 */
class SourceChain implements PacketWatcher {
  readonly eid = SRC;
  /** Every cursor asked for, and every height reported scanned. */
  readonly polls: bigint[] = [];
  readonly scanned = new Set<bigint>([START]);
  readonly packets: readonly ObservedPacket[];
  readonly head: bigint;
  readonly span: bigint;
  constructor(packets: readonly ObservedPacket[], head: bigint, span = 3n) {
    this.packets = packets;
    this.head = head;
    this.span = span;
  }
  poll(cursor: bigint): Promise<WatchBatch> {
    this.polls.push(cursor);
    const to = cursor + this.span < this.head ? cursor + this.span : this.head;
    this.scanned.add(to);
    const packets = this.packets.filter((p) => p.sourceHeight > cursor && p.sourceHeight <= to);
    return Promise.resolve({ packets, scannedTo: to, finalizedHead: this.head });
  }
}

/** The destination's rules, counting what it took per guid and calling `onLanded` after the Nth. */
class OutageDestination extends MemoryDestination {
  readonly landed = new Map<Hex, number>();
  onLanded: ((count: number) => Promise<void>) | undefined;
  override async deliver(
    packet: Uint8Array,
    attestations: Attestation[],
    onProgress?: DeliveryProgress,
  ): Promise<DeliveryReceipt> {
    const receipt = await super.deliver(packet, attestations, onProgress);
    const guid = attestations[0]?.guid ?? "0x";
    this.landed.set(guid, (this.landed.get(guid) ?? 0) + 1);
    // The packet is on the destination; the store has not heard yet.
    await this.onLanded?.([...this.landed.values()].reduce((a, b) => a + b, 0));
    return receipt;
  }
}

/** Calls on the chains, to see that nothing moves while the store is away. */
interface ChainCalls {
  polls: number;
  verifies: number;
  delivers: number;
}

interface Rig {
  store: Store;
  context: PipelineContext;
  source: SourceChain;
  verifier: ScriptedVerifier & { calls: number };
  destination: OutageDestination;
  errors: { where: string; message: string }[];
  readyz(): Promise<{
    status: number;
    body: { ready: boolean; checks: Record<string, { ok: boolean; detail?: string }> };
  }>;
  calls(): ChainCalls;
  close(): Promise<void>;
}

async function rig(store: Store): Promise<Rig> {
  const packets = Array.from({ length: PACKETS }, (_, i) =>
    loanPacket(BigInt(i + 1), openLoan(i + 1)),
  );
  const source = new SourceChain(packets, START + 1n + BigInt(PACKETS));
  const verifier = Object.assign(new ScriptedVerifier(), { calls: 0 });
  const verify = verifier.verify.bind(verifier);
  verifier.verify = () => {
    verifier.calls++;
    return verify();
  };
  const destination = new OutageDestination();
  const errors: Rig["errors"] = [];
  // Two of the destination's three verifiers: this relayer alone has the threshold.
  const signer = new EvmAttestationSigner(VERIFIER_KEYS[0] as Hex);
  const second = new EvmAttestationSigner(VERIFIER_KEYS[1] as Hex);
  const context: PipelineContext = {
    relayerId: "outage",
    store,
    events: new RelayerEvents(),
    chains: {
      watchers: [source],
      verifiers: new Map([[SRC, verifier]]),
      deliverers: new Map([[DST, destination]]),
      signers: new Map([[DST, signer]]),
      kinds: new Map([
        [SRC, "evm"],
        [DST, "evm"],
      ]),
      // No loan mirror here: this rig is about packets.
      loanApps: new Map(),
    },
    settings: {
      batchSize: 4,
      maxAttempts: 10,
      leaseMs: LEASE_MS,
      pollIntervalMs: 50,
      scheduleReadIntervalMs: 1_000,
      retryBackoff: { initialMs: 10, maxMs: 40, factor: 2 },
    },
    executor: true,
    takeoverWindowMs: 0,
    readyTimes: new ReadyTimes(),
    peers: [],
    peerTimeoutMs: 300,
    startHeights: new Map([[SRC, START]]),
    onError: (error, where) => {
      errors.push({ where, message: error instanceof Error ? error.message : String(error) });
    },
  };
  // The destination's second verifier has signed every packet already (as
  // if fetched from its relayer): with ours, the threshold of two.
  for (const packet of packets) {
    const digest = packetAttestationDigest(ENDPOINT, EPOCH, packet.packet);
    await store.putAttestation(await second.sign(packet.guid, EPOCH, digest));
  }
  const api = createApiServer({
    config: { host: "127.0.0.1", port: 0, maxBodyBytes: 65_536 },
    store,
    registry: createMetrics({ defaultMetrics: false }).registry,
  });
  const { url } = await api.listen();
  return {
    store,
    context,
    source,
    verifier,
    destination,
    errors,
    async readyz() {
      const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(10_000) });
      return { status: response.status, body: (await response.json()) as never };
    },
    calls: () => ({
      polls: source.polls.length,
      verifies: verifier.calls,
      delivers: destination.calls,
    }),
    close: () => api.close(),
  };
}

/** Takes the store away and gives it back. */
interface Outage {
  begin(): Promise<void>;
  end(): Promise<void>;
}

async function until(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(100);
  }
}

/**
 * Runs the pipeline until the 5th packet lands on the destination, takes the
 * store away right then (the relayer has not recorded that delivery),
 * checks the relayer while it is away, gives it back and checks that
 * everything ends delivered exactly once with nothing skipped or held.
 */
async function throughOutage(r: Rig, outage: Outage): Promise<void> {
  let markDown: () => void = () => undefined;
  const down = new Promise<void>((resolve) => {
    markDown = resolve;
  });
  r.destination.onLanded = async (count) => {
    if (count !== 5) return;
    await outage.begin();
    markDown();
  };
  let iterations = 0;
  const loop = startLoop(r.context, {
    onIteration: () => {
      iterations++;
    },
  });
  let loopEnded = false;
  void loop.done.then(() => {
    loopEnded = true;
  });
  try {
    await Promise.race([
      down,
      sleep(30_000).then(() => {
        throw new Error("the outage never began");
      }),
    ]);
    const began = Date.now();
    // The iteration in flight runs into the outage and ends (an embedded
    // write that hung holds it up to QUERY_TIMEOUT_MS); the next one fails
    // at its start.
    const inFlight = r.errors.length;
    await until("an iteration failing at its start", 10_000, () =>
      Promise.resolve(r.errors.slice(inFlight).some((e) => e.where === "iteration")),
    );
    const calls = r.calls();
    const completed = iterations;
    const reported = r.errors.length;

    const ready = await r.readyz();
    expect(ready.status).toBe(503);
    expect(ready.body.ready).toBe(false);
    expect(ready.body.checks.store?.ok).toBe(false);
    expect(ready.body.checks.store?.detail).toMatch(/^store unreachable: /);

    await sleep(Math.max(2_000, OUTAGE_MS - (Date.now() - began)));
    // Still running, trying (and reporting) each poll, and nothing moved:
    // no chain was asked anything, no iteration completed.
    expect(loopEnded).toBe(false);
    expect(r.errors.length).toBeGreaterThan(reported + 5);
    expect(r.calls()).toEqual(calls);
    expect(iterations).toBe(completed);
    expect(r.destination.landed.size).toBe(5);
    expect((await r.readyz()).status).toBe(503);

    await outage.end();
    await until("every packet delivered after the store came back", RESUME_WITHIN_MS, async () => {
      const counts = await r.store.countPacketsByStatus();
      return counts.delivered === PACKETS;
    });
    expect(iterations).toBeGreaterThan(completed);
    expect((await r.readyz()).status).toBe(200);
  } finally {
    await loop.stop();
  }

  // Delivered exactly once: the destination took each packet once (the
  // one that landed as the store went away was recognised, not resent).
  expect(r.destination.landed.size).toBe(PACKETS);
  expect([...r.destination.landed.values()].every((times) => times === 1)).toBe(true);
  // …and was never even asked twice: no delivery was attempted again.
  expect(r.destination.calls).toBe(PACKETS);
  const stored = await r.store.listPackets({ limit: 100 });
  expect(stored).toHaveLength(PACKETS);
  expect(stored.every((p) => p.status === "delivered")).toBe(true);
  expect(new Set(stored.map((p) => p.guid))).toEqual(new Set(r.source.packets.map((p) => p.guid)));
  // No lease held, by this relayer or anyone.
  expect(stored.filter((p) => p.leaseOwner !== null || p.leaseUntil !== null)).toEqual([]);
  expect(await r.store.releaseAllLeases(leaseOwner(r.context))).toBe(0);
  // The cursor read every height: each poll started where a recorded one
  // ended (or at the start), never beyond, and it reached the head.
  expect(r.source.polls.every((cursor) => r.source.scanned.has(cursor))).toBe(true);
  expect(r.source.polls).toEqual([...r.source.polls].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
  expect(await r.store.getCursor(SRC)).toBe(r.source.head);
  // What the relayer reported while the store was away.
  expect(r.errors.some((e) => e.where === "iteration")).toBe(true);
}

describe("PostgreSQL stopped mid-iteration and restarted", () => {
  let postgres: TestPostgres;
  let r: Rig | undefined;
  beforeAll(async () => {
    postgres = await startPostgres();
    // The test cluster runs with synchronous_commit off (fast, scripts/postgres.sh):
    // an immediate stop then loses commits it had acknowledged, which a
    // production server does not. Commits here are durable, so "nothing
    // lost" is measured against what the relayer was told was stored.
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    try {
      await admin.query("ALTER DATABASE loanbridge SET synchronous_commit = on");
    } finally {
      await admin.end();
    }
  });
  afterAll(async () => {
    await postgres.stop();
  });
  afterEach(async () => {
    await r?.close();
    await r?.store.close();
  });

  it("storeOutage_postgres_loopKeepsRunning_notReady_resumesWithNothingLostOrHeld", async () => {
    const config: StoreConfig = {
      kind: "postgres",
      url: new Secret(postgres.url, "test"),
      poolSize: 4,
    };
    r = await rig(await Store.open(config));
    await throughOutage(r, {
      begin: () => postgres.halt(),
      end: () => postgres.resume(),
    });
  });
});

describe("the embedded store's data dir made unwritable", () => {
  let parent: string;
  let r: Rig | undefined;
  const root = process.getuid?.() === 0;
  /** Root ignores permissions: an immutable file refuses even root (and its open descriptors). */
  const lock = async (dir: string) => {
    if (root) await run("chattr", ["-R", "+i", dir]);
    else await run("chmod", ["-R", "a-w", dir]);
  };
  const unlock = async (dir: string) => {
    if (root) await run("chattr", ["-R", "-i", dir]);
    else await run("chmod", ["-R", "u+w", dir]);
  };
  beforeAll(async () => {
    parent = await mkdtemp(join(tmpdir(), "loanbridge-outage-"));
  });
  afterEach(async () => {
    await unlock(parent).catch(() => undefined);
    await r?.close();
    await r?.store.close();
  });
  afterAll(async () => {
    await unlock(parent).catch(() => undefined);
    await chmod(parent, 0o700);
    await rm(parent, { recursive: true, force: true });
  });

  it("storeOutage_pglite_loopKeepsRunning_notReady_resumesWithNothingLostOrHeld", async () => {
    const dataDir = join(parent, "store");
    const config: StoreConfig = { kind: "pglite", dataDir };
    // A migrated store's files, not initdb's (seconds on a data dir): the outage is the point.
    await seedTestDataDir(dataDir);
    r = await rig(await Store.open(config, { queryTimeoutMs: QUERY_TIMEOUT_MS }));
    await throughOutage(r, { begin: () => lock(dataDir), end: () => unlock(dataDir) });
    // PGlite's write failure was reported, not swallowed (nor did it freeze the thread).
    expect(r.errors.some((e) => /PGlite/.test(e.message))).toBe(true);
    expect(await readdir(dataDir)).toContain("pg_wal");
    // The store's thread now (one opened again after the failure, or the
    // first) still runs below this process's priority, as the kernel has it.
    const priority = r.store.threadPriority;
    const niceness = Math.min(19, getPriority(process.pid) + 10);
    expect(priority).toMatchObject({ niceness });
    const thread = priority !== undefined && "thread" in priority ? priority.thread : 0;
    expect(await kernelNiceness(thread)).toBe(niceness);

    // And it is all on disk: a store opened afresh on the directory has it.
    await r.close();
    await r.store.close();
    r = undefined;
    const reopened = await Store.open(config);
    try {
      const counts = await reopened.countPacketsByStatus();
      expect(counts.delivered).toBe(PACKETS);
      expect(await reopened.getCursor(SRC)).toBe(START + 1n + BigInt(PACKETS));
    } finally {
      await reopened.close();
    }
  });
});
