// Each pipeline stage against a real in-memory PGlite store, real packets
// (shared's encoders), real secp256k1 signers and, for gather, real peer API
// servers. Only the chains are stand-ins: the in-memory doubles of
// testing.ts, which return what a chain would.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { type Hex, type LoanMessage, packetAttestationDigest } from "@loanbridge/shared";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createApiServer } from "../api/server.ts";
import { AlreadyDeliveredError, DeliveryPendingError } from "../chains/errors.ts";
import { EvmDeliveryError } from "../chains/evm/deliverer.ts";
import { RpcDisagreementError, RpcError, RpcQuorumError } from "../chains/rpc.ts";
import { ed25519AttestationSigner } from "../chains/solana/signer.ts";
import { EvmAttestationSigner, recoverSigner } from "../chains/evm/signer.ts";
import { VERIFIER_ADDRESSES, VERIFIER_KEYS } from "../chains/evm/testing.ts";
import type { ObservedPacket } from "../chains/types.ts";
import { type RelayerEventMap, RelayerEvents } from "../observability/events.ts";
import { createMetrics } from "../observability/metrics.ts";
import type { Store } from "../store/store.ts";
import { freshTestStore } from "../store/testing.ts";
import { attestBatch } from "./attest.ts";
import { FailureBackoff } from "./backoff.ts";
import { backoffMs, isChainUnavailable, leaseOwner, type PipelineContext } from "./context.ts";
import { deliverBatch } from "./deliver.ts";
import { acceptPushedAttestations, gatherAttestations, isValidAttestation } from "./gather.ts";
import { destinationSideUpdate, sourceSideUpdate } from "./loans.ts";
import { runIteration, startLoop } from "./pipeline.ts";
import { executorOrder, ReadyTimes } from "./takeover.ts";
import { verifyBatch } from "./verify.ts";
import {
  DST,
  ENDPOINT,
  EPOCH,
  ListWatcher,
  loanPacket,
  MemoryDestination,
  MemoryLoanApps,
  openLoan,
  POOL_APP,
  ScriptedVerifier,
  SRC,
  VAULT_APP,
  word,
} from "./testing.ts";
import { watchAll, watchSource } from "./watch.ts";

interface Harness {
  context: PipelineContext;
  store: Store;
  watcher: ListWatcher;
  verifier: ScriptedVerifier;
  destination: MemoryDestination;
  loanApps: MemoryLoanApps;
  events: { [K in keyof RelayerEventMap]?: RelayerEventMap[K][] };
  errors: string[];
}

const stores: Store[] = [];
const closers: (() => Promise<void>)[] = [];

async function harness(
  options: {
    signer?: number;
    executor?: boolean;
    peers?: string[];
    takeoverWindowMs?: number;
    deliverConcurrency?: number;
  } = {},
): Promise<Harness> {
  const store = await freshTestStore();
  stores.push(store);
  const bus = new RelayerEvents();
  const events: Harness["events"] = {};
  const names: (keyof RelayerEventMap)[] = [
    "packetObserved",
    "packetVerified",
    "verificationFailed",
    "claimContradicted",
    "packetAttested",
    "deliverySubmitted",
    "executorTakeover",
    "duplicateDelivery",
    "packetDelivered",
    "deliveryFailed",
    "cursorAdvanced",
    "nonceGapDetected",
    "closedPacketPassed",
    "nonceGapsCounted",
    "packetsCounted",
    "loansCounted",
  ];
  for (const name of names) {
    bus.on(name, (payload) => {
      ((events[name] ??= []) as unknown[]).push(payload);
    });
  }
  const watcher = new ListWatcher();
  const verifier = new ScriptedVerifier();
  const destination = new MemoryDestination();
  const loanApps = new MemoryLoanApps(DST);
  const errors: string[] = [];
  const signer = new EvmAttestationSigner(VERIFIER_KEYS[options.signer ?? 0] as Hex);
  const context: PipelineContext = {
    relayerId: `test-${options.signer ?? 0}`,
    store,
    events: bus,
    chains: {
      watchers: [watcher],
      verifiers: new Map([[SRC, verifier]]),
      deliverers: new Map([[DST, destination]]),
      signers: new Map([[DST, signer]]),
      kinds: new Map([
        [SRC, "evm"],
        [DST, "evm"],
      ]),
      loanApps: new Map([[DST, loanApps]]),
    },
    settings: {
      batchSize: 10,
      maxAttempts: 3,
      leaseMs: 60_000,
      pollIntervalMs: 50,
      scheduleReadIntervalMs: 1_000,
      retryBackoff: { initialMs: 150, maxMs: 300, factor: 2 },
      ...(options.deliverConcurrency !== undefined && {
        deliverConcurrency: options.deliverConcurrency,
      }),
    },
    executor: options.executor ?? true,
    // No wait for earlier ranks unless a test times the takeover.
    takeoverWindowMs: options.takeoverWindowMs ?? 0,
    readyTimes: new ReadyTimes(),
    peers: options.peers ?? [],
    peerTimeoutMs: 300,
    startHeights: new Map([[SRC, 99n]]),
    onError: (error, where) => {
      errors.push(`${where}: ${String(error)}`);
    },
  };
  return { context, store, watcher, verifier, destination, loanApps, events, errors };
}

/** Serves `store`'s attestations by `signer` the way a peer relayer does. */
async function peerApi(store: Store, signer: string): Promise<string> {
  const api = createApiServer({
    config: { host: "127.0.0.1", port: 0, maxBodyBytes: 65_536 },
    store,
    registry: createMetrics({ defaultMetrics: false }).registry,
    attestationSigners: [signer],
  });
  const { url } = await api.listen();
  closers.push(() => api.close());
  return url;
}

/** A peer relayer's URL that takes requests and never answers them. */
async function silentPeer(): Promise<string> {
  const silent = createServer(() => undefined);
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        silent.closeAllConnections();
        silent.close(() => {
          resolve();
        });
      }),
  );
  const { port } = silent.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

// Each test opens one to three PGlite stores: a few seconds on a loaded machine.
const SLOW = { timeout: 60_000 };

const never = (): never => {
  throw new Error("not stored");
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Past the harness's longest retry backoff (which is long enough that a busy machine never outruns it). */
async function waitUntilDue(): Promise<void> {
  await sleep(320);
}

beforeEach(() => {
  stores.length = 0;
  closers.length = 0;
});

afterEach(async () => {
  for (const close of closers) await close();
  for (const store of stores) await store.close();
});

/** Resolves once `event` has been emitted `count` times from now on. */
function emitted(h: Harness, event: "deliverySubmitted" | "packetDelivered", count: number) {
  return new Promise<void>((resolve) => {
    let seen = 0;
    h.context.events.on(event, () => {
      if (++seen === count) resolve();
    });
  });
}

function gate() {
  let open = (): void => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

describe("watch", SLOW, () => {
  it("watch_recordsPacketsThenAdvancesCursor_andIsIdempotentOnReplay", async () => {
    const h = await harness();
    const a = loanPacket(1n, openLoan(1));
    const b = loanPacket(2n, openLoan(2));
    const batch = { packets: [a, b], scannedTo: 150n, finalizedHead: 200n };
    h.watcher.batches = [batch, { ...batch }];

    const first = await watchSource(h.context, h.watcher);
    expect(first).toMatchObject({ observed: 2, cursor: 150n });
    expect(h.watcher.polls).toEqual([99n]);
    expect(await h.store.getCursor(SRC)).toBe(150n);
    const stored = await h.store.getPacket(a.guid);
    // Named by its loan only once proven to come from a loan app (verify).
    expect(stored).toMatchObject({ status: "observed", loanId: null });
    expect(h.events.packetObserved?.map((e) => e.guid)).toEqual([a.guid, b.guid]);
    // A claim does not speak for its loan until it is proven.
    expect(await h.store.getLoan(openLoan(1).loanId)).toBeUndefined();

    // The same blocks again (a restart before the cursor moved): nothing new.
    const again = await watchSource(h.context, h.watcher);
    expect(again.observed).toBe(0);
    expect(h.watcher.polls).toEqual([99n, 150n]);
    expect(h.events.packetObserved).toHaveLength(2);
  });

  it("watch_nonceGap_isRecordedOnce_countedUntilItsPacketTurnsUp_andPathCursorsPersist", async () => {
    const h = await harness();
    const path = { app: word(0xa), dstEid: DST, receiver: word(0xb) };
    const a = loanPacket(1n, openLoan(1));
    const c = loanPacket(3n, openLoan(3));
    const gap = { ...path, nonce: 2n, reason: "missing" };
    // A watcher reads nonces 1 and 3, nonce 2's packet is missing, twice.
    h.watcher.batches = [
      {
        packets: [a, c],
        scannedTo: 150n,
        finalizedHead: 150n,
        paths: [{ ...path, nonce: 3n }],
        gaps: [gap],
      },
      { packets: [], scannedTo: 160n, finalizedHead: 160n, paths: [], gaps: [gap] },
    ];
    await watchSource(h.context, h.watcher);
    await watchSource(h.context, h.watcher);

    expect(h.events.nonceGapDetected).toEqual([{ ...gap, chain: "evm", srcEid: SRC }]);
    expect(h.events.nonceGapsCounted?.map((e) => e.paths)).toEqual([
      [{ app: path.app, dstEid: DST, open: 1 }],
      [{ app: path.app, dstEid: DST, open: 1 }],
    ]);
    // The next poll hears the stored path cursor and the open gap.
    h.watcher.batches = [
      {
        packets: [loanPacket(2n, openLoan(2))],
        scannedTo: 170n,
        finalizedHead: 170n,
        paths: [],
        gaps: [],
      },
    ];
    await watchSource(h.context, h.watcher);
    expect(h.watcher.states[2]).toEqual({ paths: [{ ...path, nonce: 3n }], gaps: [gap] });
    expect(h.events.nonceGapsCounted?.at(-1)?.paths).toEqual([
      { app: path.app, dstEid: DST, open: 0 },
    ]);
    expect((await h.store.getWatchState(SRC)).gaps).toEqual([]);
  });

  it("watch_packetClosedBeforeItWasRead_isSaidOnce_neverAGap", async () => {
    const h = await harness();
    const path = { app: word(0xa), dstEid: DST, receiver: word(0xb) };
    h.watcher.batches = [
      {
        packets: [],
        scannedTo: 150n,
        finalizedHead: 150n,
        paths: [{ ...path, nonce: 2n }],
        closed: [{ ...path, nonce: 1n }],
      },
    ];
    await watchSource(h.context, h.watcher);
    expect(h.events.closedPacketPassed).toEqual([
      { ...path, nonce: 1n, chain: "evm", srcEid: SRC },
    ]);
    expect(h.events.nonceGapDetected).toBeUndefined();
    expect(h.events.nonceGapsCounted?.[0]?.paths).toEqual([
      { app: path.app, dstEid: DST, open: 0 },
    ]);
  });

  it("watch_gapWhosePacketIsAlreadyRecorded_isNoGap", async () => {
    const h = await harness();
    const path = { app: word(0xa), dstEid: DST, receiver: word(0xb) };
    const a = loanPacket(1n, openLoan(1));
    await h.store.recordObserved(a);
    h.watcher.batches = [
      {
        packets: [],
        scannedTo: 150n,
        finalizedHead: 150n,
        paths: [{ ...path, nonce: 1n }],
        gaps: [{ ...path, nonce: 1n, reason: "missing" }],
      },
    ];
    await watchSource(h.context, h.watcher);
    expect(h.events.nonceGapDetected).toBeUndefined();
    expect(h.events.nonceGapsCounted?.[0]?.paths).toEqual([
      { app: path.app, dstEid: DST, open: 0 },
    ]);
  });

  it("watchAll_aSourceThatKeepsFailing_isSkippedDuringItsPause_thenPolledAgain", async () => {
    const h = await harness();
    h.context.backoff = new FailureBackoff(200, 1_000);
    const poll = h.watcher.poll.bind(h.watcher);
    let down = true;
    let tries = 0;
    h.watcher.poll = (cursor, state) => {
      tries++;
      return down ? Promise.reject(new Error("connect ECONNREFUSED")) : poll(cursor, state);
    };
    await watchAll(h.context);
    await watchAll(h.context);
    await watchAll(h.context);
    // One try, then nothing until its pause is over (one warning, not three).
    expect(tries).toBe(1);
    expect(h.errors).toEqual([`watch.${SRC}: Error: connect ECONNREFUSED`]);
    await sleep(220);
    down = false;
    expect(await watchAll(h.context)).toHaveLength(1);
    expect(tries).toBe(2);
    // Back: polled at every iteration again.
    await watchAll(h.context);
    expect(tries).toBe(3);
  });

  it("watch_claimContradictingARecordedOne_isHeldAside_theBatchAndTheCursorGoOn", async () => {
    const h = await harness();
    // A forged log squats the real packet's guid (same header, other message) before it is sent.
    const squatter = loanPacket(1n, openLoan(9));
    h.watcher.batches = [{ packets: [squatter], scannedTo: 120n, finalizedHead: 120n }];
    await watchSource(h.context, h.watcher);
    const real = { ...loanPacket(1n, openLoan(1)), sourceTx: "0xreal", sourceIndex: 4 };
    const next = loanPacket(2n, openLoan(2));
    expect(real.guid).toBe(squatter.guid);
    h.watcher.batches = [{ packets: [real, next], scannedTo: 150n, finalizedHead: 150n }];

    const result = await watchSource(h.context, h.watcher);

    expect(result).toMatchObject({ observed: 1, cursor: 150n });
    expect(await h.store.getPacket(next.guid)).toMatchObject({ status: "observed" });
    expect(h.events.claimContradicted).toEqual([
      {
        chain: "evm",
        guid: real.guid,
        srcEid: SRC,
        sourceTx: "0xreal",
        sourceIndex: 4,
        outcome: "held",
      },
    ]);

    // The squatter's proof fails: the real claim takes its place and proves.
    h.verifier.result = { ok: false, reason: "receipt_missing", detail: "no such transaction" };
    await verifyBatch(h.context);
    expect(await h.store.getPacket(real.guid)).toMatchObject({
      status: "observed",
      sourceTx: "0xreal",
      attempts: 0,
    });
    expect(h.events.verificationFailed?.find((e) => e.guid === real.guid)).toMatchObject({
      final: false,
    });
    h.verifier.result = { ok: true };
    await verifyBatch(h.context);
    const proven = await h.store.getPacket(real.guid);
    expect(proven?.status).toBe("verified");
    expect(proven?.packet).toEqual(real.packet);
    expect(await h.store.getLoan(openLoan(1).loanId)).toMatchObject({ vaultState: "Requested" });
    expect(await h.store.getLoan(openLoan(9).loanId)).toBeUndefined();
  });
});

describe("verify", SLOW, () => {
  it("verify_ok_marksVerified_failureIsFinal_notFinalizedRetriesWithBackoff", async () => {
    const h = await harness();
    const [a, b] = [loanPacket(1n, openLoan(1)), loanPacket(2n, openLoan(2))];
    await h.store.recordObserved(a);
    expect(await verifyBatch(h.context)).toBe(1);
    expect((await h.store.getPacket(a.guid))?.status).toBe("verified");
    expect(h.events.packetVerified?.map((e) => e.guid)).toEqual([a.guid]);
    // Proven, the packet speaks for its loan's source side.
    expect(await h.store.getLoan(openLoan(1).loanId)).toMatchObject({
      vaultState: "Requested",
      poolState: null,
      collateralEid: SRC,
      lendingEid: DST,
      principal: 1_000_000n,
    });

    await h.store.recordObserved(b);
    h.verifier.result = { ok: false, reason: "wrong_emitter", detail: "log from 0x01" };
    await verifyBatch(h.context);
    expect(await h.store.getPacket(b.guid)).toMatchObject({
      status: "failed",
      lastError: "wrong_emitter: log from 0x01",
    });
    expect(h.events.verificationFailed?.[0]).toMatchObject({
      guid: b.guid,
      reason: "wrong_emitter",
      final: true,
    });
  });

  it("verify_notFinalized_releasesWithBackoff_untilAttemptsRunOut", async () => {
    const h = await harness();
    const a = loanPacket(1n, openLoan(1));
    await h.store.recordObserved(a);
    h.verifier.result = { ok: false, reason: "not_finalized", detail: "head 5" };
    await verifyBatch(h.context);
    const released = await h.store.getPacket(a.guid);
    expect(released).toMatchObject({ status: "observed", attempts: 1, leaseOwner: null });
    expect(released?.nextAttemptAt).not.toBeNull();
    // Backoff: nothing is leased before it is due.
    expect(await verifyBatch(h.context)).toBe(0);
    for (let i = 0; i < 2; i++) {
      await waitUntilDue();
      await verifyBatch(h.context);
    }
    expect((await h.store.getPacket(a.guid))?.status).toBe("failed");
    expect(h.events.verificationFailed?.map((e) => e.final)).toEqual([false, false, true]);
  });

  it("verify_rpcDisagreement_isWaitedOut_neverFailsThePacket", async () => {
    const h = await harness();
    const a = loanPacket(1n, openLoan(1));
    await h.store.recordObserved(a);
    h.verifier.result = { ok: false, reason: "rpc_disagreement", detail: "endpoints disagree" };
    for (let i = 0; i < h.context.settings.maxAttempts + 2; i++) {
      await waitUntilDue();
      await verifyBatch(h.context);
    }
    expect(await h.store.getPacket(a.guid)).toMatchObject({
      status: "observed",
      lastError: "rpc_disagreement: endpoints disagree",
    });
    expect(h.events.verificationFailed?.every((e) => !e.final)).toBe(true);

    h.verifier.result = { ok: true };
    await waitUntilDue();
    await verifyBatch(h.context);
    expect((await h.store.getPacket(a.guid))?.status).toBe("verified");
  });

  it("verify_verifierThrows_packetIsReleasedNotLost", async () => {
    const h = await harness();
    const a = loanPacket(1n, openLoan(1));
    await h.store.recordObserved(a);
    h.verifier.verify = () => Promise.reject(new Error("rpc down"));
    await verifyBatch(h.context);
    expect(await h.store.getPacket(a.guid)).toMatchObject({
      status: "observed",
      leaseOwner: null,
      lastError: "verify: Error: rpc down",
    });
    expect(h.errors).toEqual(["verify: Error: rpc down"]);
  });

  it("backoff_growsByFactor_andIsCapped", async () => {
    const h = await harness();
    expect([1, 2, 3, 4].map((n) => backoffMs(h.context.settings, n))).toEqual([150, 300, 300, 300]);
  });
});

describe("attest", SLOW, () => {
  it("attest_signsTheDestinationEpochDigest_andStoresIt", async () => {
    const h = await harness({ signer: 1 });
    const a = loanPacket(1n, openLoan(1));
    await h.store.recordObserved(a);
    await h.store.markVerified(a.guid);
    expect(await attestBatch(h.context)).toBe(1);
    const [stored] = await h.store.listAttestations(a.guid);
    const digest = packetAttestationDigest(ENDPOINT, EPOCH, a.packet);
    expect(stored).toMatchObject({ epoch: EPOCH, digest, signer: VERIFIER_ADDRESSES[1] });
    expect(recoverSigner(digest, stored?.signature ?? "0x")).toBe(VERIFIER_ADDRESSES[1]);
    expect((await h.store.getPacket(a.guid))?.status).toBe("attested");
    expect(h.events.packetAttested?.[0]).toMatchObject({ epoch: EPOCH });
  });

  it("attest_signatureStoredBeforeACrash_isReused_notSignedAgain", async () => {
    const h = await harness({ signer: 1 });
    const a = loanPacket(1n, openLoan(1));
    await h.store.recordObserved(a);
    await h.store.markVerified(a.guid);
    const key = new EvmAttestationSigner(VERIFIER_KEYS[1] as Hex);
    const digest = packetAttestationDigest(ENDPOINT, EPOCH, a.packet);
    const before = await key.sign(a.guid, EPOCH, digest);
    await h.store.putAttestation(before);
    // A signer that never signs the same way twice (a KMS) would meet the
    // store's refusal of a second signature; this one would fail outright.
    let signed = 0;
    const kms = {
      kind: key.kind,
      signer: key.signer,
      sign: () => {
        signed += 1;
        return Promise.reject(new Error("signed a second time"));
      },
    };
    const context = {
      ...h.context,
      chains: { ...h.context.chains, signers: new Map([[DST, kms]]) },
    };
    expect(await attestBatch(context)).toBe(1);
    expect(signed).toBe(0);
    expect(await h.store.listAttestations(a.guid)).toMatchObject([{ signature: before.signature }]);
    expect((await h.store.getPacket(a.guid))?.status).toBe("attested");
  });

  it("attest_unknownDestination_marksFailed", async () => {
    const h = await harness();
    const a = loanPacket(1n, openLoan(1), SRC, 999);
    await h.store.recordObserved(a);
    await h.store.markVerified(a.guid);
    await attestBatch(h.context);
    expect(await h.store.getPacket(a.guid)).toMatchObject({
      status: "failed",
      lastError: "destination eid 999 is not configured",
    });
  });
});

/** Relayer `index` verified and attested `observed` in its own store. */
async function attestedBy(h: Harness, observed: ObservedPacket): Promise<void> {
  await h.store.recordObserved(observed);
  await h.store.markVerified(observed.guid);
  await attestBatch(h.context);
}

describe("gather", SLOW, () => {
  it("gather_fetchesPeers_keepsOnlyValidCurrentEpochSignatures_andStoresThem", async () => {
    const a = loanPacket(1n, openLoan(1));
    const peer1 = await harness({ signer: 1 });
    const peer2 = await harness({ signer: 2 });
    await attestedBy(peer1, a);
    await attestedBy(peer2, a);
    // Peer 2 also holds junk under its own name: old epoch, wrong digest.
    const old = await new EvmAttestationSigner(VERIFIER_KEYS[2] as Hex).sign(
      a.guid,
      EPOCH - 1n,
      packetAttestationDigest(ENDPOINT, EPOCH - 1n, a.packet),
    );
    await peer2.store.putAttestation(old);
    const urls = [
      await peerApi(peer1.store, VERIFIER_ADDRESSES[1] ?? ""),
      await peerApi(peer2.store, VERIFIER_ADDRESSES[2] ?? ""),
    ];
    const h = await harness({ signer: 0, peers: urls });
    await attestedBy(h, a);
    const packet = await h.store.getPacket(a.guid);
    if (packet === undefined) throw new Error("not stored");
    const set = await h.destination.verifierSet();

    // Our own one is enough when the threshold is 1: no peer is asked.
    expect(await gatherAttestations(h.context, packet, { ...set, threshold: 1 })).toHaveLength(1);
    const gathered = await gatherAttestations(h.context, packet, set);
    expect(gathered.map((x) => x.signer).sort()).toEqual([...VERIFIER_ADDRESSES].sort());
    expect(gathered.every((x) => x.epoch === EPOCH)).toBe(true);
    expect(await h.store.listAttestations(a.guid)).toHaveLength(3);
  });

  it("isValidAttestation_rejectsWrongEpochDigestSignerOrSignature", async () => {
    const a = loanPacket(1n, openLoan(1));
    const digest = packetAttestationDigest(ENDPOINT, EPOCH, a.packet);
    const set = { epoch: EPOCH, threshold: 2, signers: VERIFIER_ADDRESSES };
    const expected = { guid: a.guid, digest, set };
    const good = await new EvmAttestationSigner(VERIFIER_KEYS[0] as Hex).sign(
      a.guid,
      EPOCH,
      digest,
    );
    const outsider = await new EvmAttestationSigner(word(0x77)).sign(a.guid, EPOCH, digest);
    const other = await new EvmAttestationSigner(VERIFIER_KEYS[1] as Hex).sign(
      a.guid,
      EPOCH,
      digest,
    );
    expect(isValidAttestation("evm", good, expected)).toBe(true);
    expect(isValidAttestation("evm", { ...good, epoch: EPOCH + 1n }, expected)).toBe(false);
    expect(isValidAttestation("evm", { ...good, digest: word(1) }, expected)).toBe(false);
    expect(isValidAttestation("evm", outsider, expected)).toBe(false);
    expect(isValidAttestation("evm", { ...good, signature: other.signature }, expected)).toBe(
      false,
    );
    // A secp256k1 attestation is no ed25519 one.
    expect(isValidAttestation("solana", good, expected)).toBe(false);

    const seeds = [1, 2].map((i) => new Uint8Array(32).fill(i));
    const [ours, stranger] = seeds.map((seed) => ed25519AttestationSigner(seed));
    if (ours === undefined || stranger === undefined) throw new Error("unreachable");
    const solanaSet = { epoch: EPOCH, threshold: 1, signers: [ours.signer] };
    const solanaExpected = { guid: a.guid, digest, set: solanaSet };
    const signed = await ours.sign(a.guid, EPOCH, digest);
    expect(isValidAttestation("solana", signed, solanaExpected)).toBe(true);
    const forged = { ...signed, signature: (await stranger.sign(a.guid, EPOCH, digest)).signature };
    expect(isValidAttestation("solana", forged, solanaExpected)).toBe(false);
    expect(
      isValidAttestation("solana", await stranger.sign(a.guid, EPOCH, digest), solanaExpected),
    ).toBe(false);
  });

  it("gather_dropsPeerAttestationsSignedForAnotherDeploymentsEndpoint", async () => {
    // A peer (or an attacker replaying signatures from a twin deployment with
    // the same eid and app addresses) serves valid verifier signatures over
    // the digest bound to another endpoint: they must not count here.
    const a = loanPacket(1n, openLoan(1));
    const twin = word(0x7a1);
    const peer = await harness({ signer: 1 });
    await peer.store.putAttestation(
      await new EvmAttestationSigner(VERIFIER_KEYS[1] as Hex).sign(
        a.guid,
        EPOCH,
        packetAttestationDigest(twin, EPOCH, a.packet),
      ),
    );
    const h = await harness({
      signer: 0,
      peers: [await peerApi(peer.store, VERIFIER_ADDRESSES[1] ?? "")],
    });
    await attestedBy(h, a);
    const packet = await h.store.getPacket(a.guid);
    if (packet === undefined) throw new Error("not stored");
    const gathered = await gatherAttestations(h.context, packet, await h.destination.verifierSet());
    expect(gathered.map((x) => x.signer)).toEqual([VERIFIER_ADDRESSES[0]]);
    expect(await h.store.listAttestations(a.guid)).toHaveLength(1);
  });

  it("attest_bindsTheDestinationAdaptersEndpoint", async () => {
    const h = await harness({ signer: 1 });
    const other = await harness({ signer: 1 });
    other.destination.endpoint = word(0x7a1);
    const a = loanPacket(1n, openLoan(1));
    await attestedBy(h, a);
    await attestedBy(other, a);
    const [ours] = await h.store.listAttestations(a.guid);
    const [theirs] = await other.store.listAttestations(a.guid);
    expect(ours?.digest).toBe(packetAttestationDigest(ENDPOINT, EPOCH, a.packet));
    expect(theirs?.digest).toBe(packetAttestationDigest(word(0x7a1), EPOCH, a.packet));
    expect(ours?.digest).not.toBe(theirs?.digest);
  });

  it("gather_peerThatNeverAnswers_timesOutAndCountsAsNone", async () => {
    const h = await harness({ peers: [await silentPeer()] });
    const a = loanPacket(1n, openLoan(1));
    await attestedBy(h, a);
    const packet = await h.store.getPacket(a.guid);
    if (packet === undefined) throw new Error("not stored");
    const started = Date.now();
    const gathered = await gatherAttestations(h.context, packet, await h.destination.verifierSet());
    expect(gathered).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(h.errors.join()).toMatch(/gather\.peer/);
  });
});

describe("deliver", SLOW, () => {
  async function threeAttested(executor = true) {
    const a = loanPacket(1n, openLoan(1));
    const peer = await harness({ signer: 1 });
    await attestedBy(peer, a);
    const url = await peerApi(peer.store, VERIFIER_ADDRESSES[1] ?? "");
    const h = await harness({ signer: 0, peers: [url], executor });
    await attestedBy(h, a);
    return { h, a };
  }

  /** A packet attested by two verifiers, seen by the one the executor order ranks `rank`. */
  async function attestedAtRank(rank: number, takeoverWindowMs: number) {
    const a = loanPacket(1n, openLoan(1));
    const order = executorOrder("evm", a.guid, VERIFIER_ADDRESSES);
    const index = (key: string | undefined) =>
      VERIFIER_ADDRESSES.findIndex((address) => address.toLowerCase() === key);
    const mine = index(order[rank]);
    const other = index(order[rank === 0 ? 1 : 0]);
    const peer = await harness({ signer: other });
    await attestedBy(peer, a);
    const url = await peerApi(peer.store, VERIFIER_ADDRESSES[other] ?? "");
    const h = await harness({ signer: mine, peers: [url], takeoverWindowMs });
    await attestedBy(h, a);
    return { h, a };
  }

  it("deliver_asksEachPeerOnceForTheWholeBatchsAttestations_thenDeliversEvery", async () => {
    const packets = [1n, 2n, 3n].map((nonce) => loanPacket(nonce, openLoan(Number(nonce))));
    const peer = await harness({ signer: 1 });
    for (const a of packets) await attestedBy(peer, a);
    const url = await peerApi(peer.store, VERIFIER_ADDRESSES[1] ?? "");
    const h = await harness({ signer: 0, peers: [url] });
    for (const a of packets) await attestedBy(h, a);
    const asked: string[] = [];
    h.context.fetch = (input, init) => {
      asked.push(input instanceof Request ? input.url : input.toString());
      return fetch(input, init);
    };

    await deliverBatch(h.context);

    expect(asked).toHaveLength(1);
    const guids = new URL(asked[0] ?? "").searchParams.get("guids")?.split(",") ?? [];
    expect(guids.sort()).toEqual(packets.map((a) => a.guid).sort());
    expect(h.destination.calls).toBe(3);
    for (const a of packets) {
      expect((await h.store.getPacket(a.guid))?.status).toBe("delivered");
      expect(await h.store.listAttestations(a.guid)).toHaveLength(2);
    }
  });

  it("deliver_packetsAlreadyHoldingAThreshold_areNotAskedFor", async () => {
    const { h, a } = await threeAttested();
    await gatherAttestations(
      h.context,
      (await h.store.getPacket(a.guid)) ?? never(),
      await h.destination.verifierSet(),
    );
    const asked: string[] = [];
    h.context.fetch = (input, init) => {
      asked.push(input instanceof Request ? input.url : input.toString());
      return fetch(input, init);
    };

    await deliverBatch(h.context);

    expect(asked).toEqual([]);
    expect((await h.store.getPacket(a.guid))?.status).toBe("delivered");
  });

  it("deliver_firstInTheExecutorOrder_deliversAtOnce", async () => {
    const { h, a } = await attestedAtRank(0, 60_000);
    await deliverBatch(h.context);
    expect(h.destination.calls).toBe(1);
    expect((await h.store.getPacket(a.guid))?.status).toBe("delivered");
    expect(h.events.executorTakeover).toBeUndefined();
  });

  it("deliver_secondInTheOrder_waitsOneWindow_thenTakesOverAndReportsIt", async () => {
    const { h, a } = await attestedAtRank(1, 300);
    await deliverBatch(h.context);
    expect(h.destination.calls).toBe(0);
    expect(await h.store.getPacket(a.guid)).toMatchObject({
      status: "attested",
      lastError: "awaiting its turn to deliver (rank 1)",
      attempts: 0,
    });
    // Its lease comes back when the window has passed, not before.
    expect(await deliverBatch(h.context)).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 320));
    await deliverBatch(h.context);
    expect(h.destination.calls).toBe(1);
    expect((await h.store.getPacket(a.guid))?.status).toBe("delivered");
    expect(h.events.executorTakeover).toEqual([expect.objectContaining({ guid: a.guid, rank: 1 })]);
    expect(h.events.executorTakeover?.[0]?.waitedMs).toBeGreaterThanOrEqual(300);
  });

  it("deliver_firstInTheOrder_preparesBeforeAskingTheDestination_andDeliversWithThatHandle", async () => {
    const { h, a } = await attestedAtRank(0, 60_000);
    await deliverBatch(h.context);
    expect(h.destination.asked).toEqual([
      `prepare ${a.guid}`,
      `isDelivered ${a.guid}`,
      `deliver ${a.guid}`,
    ]);
    expect(h.destination.handles).toEqual([expect.objectContaining({ guid: a.guid })]);
  });

  it("deliver_laterRank_preparesNothingBeforeItsTurn_thenPreparesTheTakeover", async () => {
    const { h, a } = await attestedAtRank(1, 300);
    await deliverBatch(h.context);
    expect(h.destination.asked).toEqual([`isDelivered ${a.guid}`]);
    await new Promise((resolve) => setTimeout(resolve, 320));
    await deliverBatch(h.context);
    expect(h.destination.asked.slice(1)).toEqual([
      `prepare ${a.guid}`,
      `isDelivered ${a.guid}`,
      `deliver ${a.guid}`,
    ]);
    expect(h.destination.handles).toEqual([expect.objectContaining({ guid: a.guid })]);
  });

  it("deliver_nonExecutor_preparesNothing", async () => {
    const { h, a } = await threeAttested(false);
    await deliverBatch(h.context);
    expect(h.destination.asked).toEqual([`isDelivered ${a.guid}`]);
  });

  it("deliver_predecessorDeliversWithinTheWindow_laterRankNeverSends", async () => {
    const { h, a } = await attestedAtRank(2, 200);
    await deliverBatch(h.context);
    h.destination.delivered.set(a.guid, []);
    await new Promise((resolve) => setTimeout(resolve, 420));
    await deliverBatch(h.context);
    expect(h.destination.calls).toBe(0);
    expect((await h.store.getPacket(a.guid))?.status).toBe("delivered");
    expect(h.events.executorTakeover).toBeUndefined();
  });

  it.each(["reverted", "already_delivered"] as const)(
    "deliver_ourTransactionLosesTheRace_%s_countsADuplicateDelivery",
    async (how) => {
      const { h, a } = await threeAttested();
      h.destination.loseRaceAfterSending = how;
      await deliverBatch(h.context);
      expect((await h.store.getPacket(a.guid))?.status).toBe("delivered");
      expect(h.events.duplicateDelivery).toEqual([
        expect.objectContaining({
          guid: a.guid,
          sentTxs: ["0xmine1"],
          ...(how === "reverted" && { deliveredTx: "0xtheirs" }),
        }),
      ]);
    },
  );

  it("deliver_anotherRelayersDeliveryPending_waitsWithoutUsingAttempts_thenConfirmsIt", async () => {
    const { h, a } = await threeAttested();
    h.destination.failNext = new DeliveryPendingError(a.guid);
    await deliverBatch(h.context);
    expect(await h.store.getPacket(a.guid)).toMatchObject({
      status: "attested",
      lastError: `DeliveryPendingError: a delivery of ${a.guid} is already pending`,
    });
    expect(h.events.deliveryFailed).toBeUndefined();
    h.destination.delivered.set(a.guid, []);
    await waitUntilDue();
    await deliverBatch(h.context);
    expect(h.destination.calls).toBe(1);
    expect((await h.store.getPacket(a.guid))?.status).toBe("delivered");
  });

  it("deliver_raceLostBeforeSending_isNoDuplicate", async () => {
    const { h, a } = await threeAttested();
    h.destination.failNext = new AlreadyDeliveredError(a.guid);
    await deliverBatch(h.context);
    expect((await h.store.getPacket(a.guid))?.status).toBe("delivered");
    expect(h.events.duplicateDelivery).toBeUndefined();
  });

  it("deliver_executor_gathersThresholdDeliversOnce_andMarksDelivered", async () => {
    const { h, a } = await threeAttested();
    await deliverBatch(h.context);
    expect(h.destination.calls).toBe(1);
    expect(await h.store.getPacket(a.guid)).toMatchObject({
      status: "delivered",
      destTx: "0xdead1",
    });
    expect(h.events.deliverySubmitted).toEqual([
      expect.objectContaining({ guid: a.guid, destTx: "0xdead1", dstEid: a.dstEid }),
    ]);
    expect(h.events.packetDelivered?.[0]).toMatchObject({ guid: a.guid, destTx: "0xdead1" });
    // Nothing is left to deliver.
    expect(await deliverBatch(h.context)).toBe(0);
    expect(h.destination.calls).toBe(1);
  });

  /** `count` packets attested by two verifiers, seen by an executor delivering `concurrency` at a time. */
  async function manyAttested(count: number, concurrency?: number) {
    const packets = Array.from({ length: count }, (_, i) =>
      loanPacket(BigInt(i + 1), openLoan(i + 1)),
    );
    const peer = await harness({ signer: 1 });
    for (const packet of packets) await attestedBy(peer, packet);
    const url = await peerApi(peer.store, VERIFIER_ADDRESSES[1] ?? "");
    const h = await harness({
      signer: 0,
      peers: [url],
      ...(concurrency !== undefined && { deliverConcurrency: concurrency }),
    });
    for (const packet of packets) await attestedBy(h, packet);
    return { h, packets };
  }

  it("deliver_slowConfirmationOfOnePacket_doesNotHoldBackTheOthers", async () => {
    const { h, packets } = await manyAttested(3, 3);
    const [slow, ...others] = packets.map((packet) => packet.guid);
    if (slow === undefined) throw new Error("no packets");
    const confirmation = gate();
    h.destination.confirmations.set(slow, confirmation.opened);
    const othersDelivered = emitted(h, "packetDelivered", 2);

    const batch = deliverBatch(h.context);
    await othersDelivered;
    for (const guid of others) expect((await h.store.getPacket(guid))?.status).toBe("delivered");
    // Sent, its lease still held, waiting for the destination.
    const pending = await h.store.getPacket(slow);
    expect(pending).toMatchObject({ status: "attested", leaseOwner: leaseOwner(h.context) });
    expect(pending?.submittedAt).toBeInstanceOf(Date);

    confirmation.open();
    expect(await batch).toBe(3);
    expect((await h.store.getPacket(slow))?.status).toBe("delivered");
    expect(h.destination.calls).toBe(3);
    expect(h.errors).toEqual([]);
  });

  it.each([
    { concurrency: undefined, most: 1 },
    { concurrency: 1, most: 1 },
    { concurrency: 2, most: 2 },
  ])("deliver_inFlightDeliveries_areBoundedByDeliverConcurrency ($concurrency)", async (bound) => {
    const { h, packets } = await manyAttested(5, bound.concurrency);
    const confirmation = gate();
    for (const { guid } of packets) h.destination.confirmations.set(guid, confirmation.opened);
    const full = emitted(h, "deliverySubmitted", bound.most);

    const batch = deliverBatch(h.context);
    await full;
    expect(h.destination.inFlight).toBe(bound.most);
    confirmation.open();
    expect(await batch).toBe(5);

    expect(h.destination.maxInFlight).toBe(bound.most);
    expect(h.destination.calls).toBe(5);
    for (const { guid } of packets) {
      expect((await h.store.getPacket(guid))?.status).toBe("delivered");
    }
  });

  it("deliver_recordsItsFirstSendAsSubmittedAt_aReplacementKeepsIt", async () => {
    const { h, a } = await threeAttested();
    // A replacement: the first transaction is sent, then another (the
    // double's own) 200 ms later, before the delivery is confirmed. The
    // time kept is the first send's.
    const deliver = h.destination.deliver.bind(h.destination);
    h.destination.deliver = async (packet, attestations, onProgress) => {
      onProgress?.("signed", "0xfirst");
      onProgress?.("sent", "0xfirst");
      await sleep(200);
      return deliver(packet, attestations, onProgress);
    };
    const attested = await h.store.getPacket(a.guid);
    await deliverBatch(h.context);
    const delivered = await h.store.getPacket(a.guid);

    expect(h.events.deliverySubmitted?.map((event) => event.destTx)).toEqual([
      "0xfirst",
      "0xdead1",
    ]);
    // The relayer's own time to its first send, once: the replacement has none.
    const [first, replacement] = h.events.deliverySubmitted ?? [];
    expect(first?.sinceReadyMs).toBeGreaterThanOrEqual(0);
    expect(first?.sinceReadyMs).toBeLessThan(200);
    expect(replacement).not.toHaveProperty("sinceReadyMs");
    const submitted = delivered?.submittedAt?.getTime() ?? NaN;
    expect(submitted).toBeGreaterThanOrEqual(attested?.attestedAt?.getTime() ?? NaN);
    // Ready (a threshold in hand) before the first send.
    const ready = delivered?.readyAt?.getTime() ?? NaN;
    expect(ready).toBeGreaterThanOrEqual(attested?.attestedAt?.getTime() ?? NaN);
    expect(ready).toBeLessThanOrEqual(submitted);
    // The first send, not the replacement 200 ms later (then it would be a
    // few milliseconds before the confirmation).
    expect((delivered?.deliveredAt?.getTime() ?? NaN) - submitted).toBeGreaterThanOrEqual(50);
    expect(h.errors).toEqual([]);
  });

  it("deliver_deliveredByAnotherRelayer_orRefusedBeforeSending_hasNoSubmittedAt", async () => {
    const { h, a } = await threeAttested();
    h.destination.failNext = new AlreadyDeliveredError(a.guid);
    await deliverBatch(h.context);
    const b = loanPacket(2n, openLoan(2));
    await attestedBy(h, b);
    h.destination.delivered.set(b.guid, []);
    await deliverBatch(h.context);

    for (const guid of [a.guid, b.guid]) {
      expect(await h.store.getPacket(guid)).toMatchObject({
        status: "delivered",
        submittedAt: null,
      });
    }
  });

  it("deliver_alreadyDeliveredOnChain_isNotSentAgain", async () => {
    const { h, a } = await threeAttested();
    h.destination.delivered.set(a.guid, []);
    await deliverBatch(h.context);
    expect(h.destination.calls).toBe(0);
    expect((await h.store.getPacket(a.guid))?.status).toBe("delivered");
  });

  it("deliver_raceLostToAnotherExecutor_AlreadyDeliveredCountsAsDelivered", async () => {
    const { h, a } = await threeAttested();
    h.destination.failNext = new AlreadyDeliveredError(a.guid);
    await deliverBatch(h.context);
    expect((await h.store.getPacket(a.guid))?.status).toBe("delivered");
  });

  it("deliver_belowThreshold_waitsWithoutUsingAttempts", async () => {
    const a = loanPacket(1n, openLoan(1));
    const h = await harness({ signer: 0 });
    await attestedBy(h, a);
    for (let round = 0; round < h.context.settings.maxAttempts + 2; round++) {
      await deliverBatch(h.context);
      await waitUntilDue();
    }
    expect(h.destination.calls).toBe(0);
    expect(await h.store.getPacket(a.guid)).toMatchObject({
      status: "attested",
      lastError: "1 of 2 attestations",
      attempts: 0,
    });
  });

  it("deliver_destinationUnreachable_isWaitedOutWithoutAttempts_thenDelivered", async () => {
    const { h, a } = await threeAttested();
    const unreachable = [
      new RpcError("connect ECONNREFUSED", {
        method: "eth_sendRawTransaction",
        url: "http://node-1",
        kind: "transport_error",
      }),
      new RpcError("no answer in 10000 ms", {
        method: "eth_estimateGas",
        url: "http://node-1",
        kind: "timeout",
      }),
      new EvmDeliveryError("gas estimate failed", {
        cause: new RpcError("HTTP 503", {
          method: "eth_estimateGas",
          url: "http://node-1",
          kind: "http_error",
          code: 503,
        }),
      }),
    ];
    for (let round = 0; round < h.context.settings.maxAttempts + 2; round++) {
      h.destination.failNext = unreachable[round % unreachable.length];
      await deliverBatch(h.context);
      expect(await h.store.getPacket(a.guid)).toMatchObject({ status: "attested", attempts: 0 });
      await waitUntilDue();
    }
    expect(h.events.deliveryFailed?.every((event) => !event.final)).toBe(true);
    await deliverBatch(h.context);
    expect((await h.store.getPacket(a.guid))?.status).toBe("delivered");
  });

  it("deliver_destinationRejects_usesAttempts_untilFailed", async () => {
    const { h, a } = await threeAttested();
    for (let round = 0; round < h.context.settings.maxAttempts; round++) {
      h.destination.failNext = new RpcError("execution reverted", {
        method: "eth_estimateGas",
        url: "http://node-1",
        kind: "rpc_error",
        code: 3,
      });
      await deliverBatch(h.context);
      await waitUntilDue();
    }
    expect((await h.store.getPacket(a.guid))?.status).toBe("failed");
    expect(h.events.deliveryFailed?.at(-1)).toMatchObject({ final: true });
  });

  it("isChainUnavailable_onlyForErrorsThatSayNothingAboutThePacket", () => {
    const call = { method: "eth_call", url: "http://node-1" };
    const http = (code: number) =>
      new RpcError(`HTTP ${code}`, { ...call, kind: "http_error", code });
    const cases: [unknown, boolean][] = [
      [new RpcError("refused", { ...call, kind: "transport_error" }), true],
      [new RpcError("slow", { ...call, kind: "timeout" }), true],
      [new RpcError("not JSON", { ...call, kind: "invalid_response" }), true],
      [http(429), true],
      [http(502), true],
      [http(400), false],
      [new RpcError("execution reverted", { ...call, kind: "rpc_error", code: 3 }), false],
      [new RpcError("stopping", { ...call, kind: "aborted" }), false],
      [new RpcDisagreementError("eth_call", [{ url: "http://node-1", fingerprint: "0xab" }]), true],
      [new RpcQuorumError("eth_call", 2, 1, [http(503)]), true],
      [new RpcQuorumError("eth_call", 2, 1, [http(400)]), false],
      [new EvmDeliveryError("wrapped", { cause: http(503) }), true],
      [new Error("nonce too low"), false],
      [undefined, false],
    ];
    for (const [error, unavailable] of cases) {
      expect(isChainUnavailable(error), String(error)).toBe(unavailable);
    }
  });

  it("deliver_sendFails_releasedWithBackoff_thenRetriedAndDelivered", async () => {
    const { h, a } = await threeAttested();
    h.destination.failNext = new Error("nonce too low");
    await deliverBatch(h.context);
    expect(await h.store.getPacket(a.guid)).toMatchObject({
      status: "attested",
      lastError: "deliver: Error: nonce too low",
    });
    expect(h.events.deliveryFailed?.[0]).toMatchObject({ final: false });
    await waitUntilDue();
    await deliverBatch(h.context);
    expect((await h.store.getPacket(a.guid))?.status).toBe("delivered");
    expect(h.destination.delivered.size).toBe(1);
  });

  it("deliver_nonExecutor_neverSends_confirmsOnceDelivered", async () => {
    const { h, a } = await threeAttested(false);
    await deliverBatch(h.context);
    expect(h.destination.calls).toBe(0);
    expect((await h.store.getPacket(a.guid))?.status).toBe("attested");
    h.destination.delivered.set(a.guid, []);
    await waitUntilDue();
    await deliverBatch(h.context);
    expect((await h.store.getPacket(a.guid))?.status).toBe("delivered");
  });

  it("deliver_loanActive_mirrorsPoolOnObserve_andVaultOnDelivery", async () => {
    const h = await harness({ signer: 0 });
    const loanId = word(0x1001);
    const active = loanPacket(5n, {
      type: "LOAN_ACTIVE",
      loanId,
      principal: 1_000_000n,
      rateBps: 800,
      startTime: 1n,
      dueTime: 2n,
    });
    h.watcher.batches = [{ packets: [active], scannedTo: 120n, finalizedHead: 120n }];
    h.context.settings = { ...h.context.settings };
    await h.store.upsertLoan({ ...sourceSideUpdate(openLoan(1), { srcEid: DST, dstEid: SRC }) });
    const peer = await harness({ signer: 2 });
    await attestedBy(peer, active);
    h.context.peers = [await peerApi(peer.store, VERIFIER_ADDRESSES[2] ?? "")];
    await runIteration(h.context);
    expect(await h.store.getLoan(loanId)).toMatchObject({
      poolState: "Active",
      vaultState: "Active",
    });
    expect((await h.store.getPacket(active.guid))?.status).toBe("delivered");
    // Each iteration ends with the gauges' snapshot.
    expect(h.events.packetsCounted?.at(-1)?.counts).toMatchObject({ delivered: 1 });
    expect(h.events.loansCounted?.at(-1)).toMatchObject({ disagreeing: 0 });
  });
});

/** One message of each type about `loanId`. */
function everyMessage(loanId: Hex): LoanMessage[] {
  const settlement = { loanId, outstanding: 0n, beneficiary: word(2) };
  return [
    { ...openLoan(1), loanId },
    { type: "LOAN_ACTIVE", loanId, principal: 1n, rateBps: 1, startTime: 1n, dueTime: 2n },
    { type: "LOAN_REJECTED", loanId, reason: "LtvTooHigh" },
    { type: "REPAID", loanId, amountRepaid: 5n },
    { type: "DEFAULTED", ...settlement },
    { type: "LIQUIDATED", ...settlement },
  ];
}

/** Runs `packets` through every stage to delivery, a second relayer attesting. */
async function relayed(h: Harness, packets: ObservedPacket[]): Promise<void> {
  h.watcher.batches = [{ packets, scannedTo: 200n, finalizedHead: 200n }];
  const peer = await harness({ signer: 2 });
  for (const packet of packets) await attestedBy(peer, packet);
  h.context.peers = [await peerApi(peer.store, VERIFIER_ADDRESSES[2] ?? "")];
  const delivered = async () => {
    const statuses = await Promise.all(packets.map((p) => h.store.getPacket(p.guid)));
    return statuses.every((packet) => packet?.status === "delivered");
  };
  // Batches of 10: as many iterations as that takes.
  for (let i = 0; i < Math.ceil(packets.length / 10) + 1 && !(await delivered()); i++) {
    await runIteration(h.context);
  }
  expect(await delivered()).toBe(true);
}

describe("loan apps", SLOW, () => {
  const ROGUE = word(0xe);
  const NOT_AN_APP = word(0xf);

  it("anotherAppsLoanBytes_ofEveryType_relayedAsAnyPacket_neverNamedOrMirrored", async () => {
    const h = await harness();
    const loanId = word(0x7001);
    // Each message from each kind of app that is not its sender: a stranger
    // to the receiving loan app, the loan app of the other role (the
    // receiver's own peer), and a loan app writing to a stranger.
    const packets = everyMessage(loanId).flatMap((message, index) => {
      const [role, peer] =
        message.type === "OPEN_LOAN" ? [VAULT_APP, POOL_APP] : [POOL_APP, VAULT_APP];
      const senders = [
        { sender: ROGUE, receiver: peer },
        { sender: peer, receiver: role },
        { sender: role, receiver: NOT_AN_APP },
      ];
      return senders.map((apps, k) =>
        loanPacket(BigInt(index * 3 + k + 1), message, SRC, DST, apps),
      );
    });

    await relayed(h, packets);

    expect(await h.store.getLoan(loanId)).toBeUndefined();
    for (const packet of packets) {
      expect((await h.store.getPacket(packet.guid))?.loanId).toBeNull();
    }
    expect(h.events.packetVerified?.map((event) => event.loanId)).toEqual(
      packets.map(() => undefined),
    );
    expect((await h.store.listPackets({ loanId, limit: 50 })).length).toBe(0);
  });

  it("forgedDefault_forAVictimsActiveLoan_leavesTheLoanAndItsPacketsAlone", async () => {
    const h = await harness();
    const loanId = word(0x7002);
    const [open, active, defaulted] = [
      everyMessage(loanId)[0],
      everyMessage(loanId)[1],
      everyMessage(loanId)[4],
    ] as [LoanMessage, LoanMessage, LoanMessage];
    // The victim's loan: opened on SRC, answered from DST.
    await relayed(h, [loanPacket(1n, open)]);
    await h.store.upsertLoan(sourceSideUpdate(active, { srcEid: DST, dstEid: SRC }));
    const before = await h.store.getLoan(loanId);
    expect(before).toMatchObject({ vaultState: "Requested", poolState: "Active" });

    const forged = loanPacket(2n, defaulted, SRC, DST, { sender: ROGUE, receiver: VAULT_APP });
    await relayed(h, [forged]);

    expect(await h.store.getLoan(loanId)).toEqual(before);
    expect((await h.store.listPackets({ loanId, limit: 10 })).map((p) => p.guid)).toEqual([
      loanPacket(1n, open).guid,
    ]);
  });

  it("loanAppsUnreadable_packetWaitsUnverified_withoutUsingAnAttempt_thenIsNamed", async () => {
    const h = await harness();
    const a = loanPacket(1n, openLoan(1));
    await h.store.recordObserved(a);
    h.loanApps.down = true;

    await verifyBatch(h.context);

    expect(await h.store.getPacket(a.guid)).toMatchObject({ status: "observed", attempts: 0 });
    expect(await h.store.getLoan(openLoan(1).loanId)).toBeUndefined();
    h.loanApps.down = false;
    await waitUntilDue();
    await verifyBatch(h.context);
    expect(await h.store.getPacket(a.guid)).toMatchObject({
      status: "verified",
      loanId: openLoan(1).loanId,
    });
    expect(await h.store.getLoan(openLoan(1).loanId)).toMatchObject({ vaultState: "Requested" });
  });

  it("sourceChainsOwnLoanApp_speaksForItsLoan_withoutAPeerRead", async () => {
    const h = await harness();
    const source = new MemoryLoanApps(SRC);
    h.context.chains = { ...h.context.chains, loanApps: new Map([[SRC, source]]) };
    const genuine = loanPacket(1n, openLoan(1), SRC, DST, { sender: VAULT_APP, receiver: ROGUE });
    const stranger = loanPacket(2n, openLoan(2), SRC, DST, { sender: ROGUE, receiver: POOL_APP });
    await h.store.recordObserved(genuine);
    await h.store.recordObserved(stranger);

    await verifyBatch(h.context);

    expect(await h.store.getPacket(genuine.guid)).toMatchObject({
      status: "verified",
      loanId: openLoan(1).loanId,
    });
    expect(await h.store.getLoan(openLoan(1).loanId)).toMatchObject({ vaultState: "Requested" });
    // The destination names no loan apps here: a stranger's bytes count for nothing.
    expect(await h.store.getPacket(stranger.guid)).toMatchObject({
      status: "verified",
      loanId: null,
    });
    expect(await h.store.getLoan(openLoan(2).loanId)).toBeUndefined();
    expect(source.peerReads).toBe(0);
  });
});

describe("loans", SLOW, () => {
  it("sourceAndDestinationSides_followTheMessageTable", () => {
    const route = { srcEid: DST, dstEid: SRC };
    const settlement = { loanId: word(1), outstanding: 0n, beneficiary: word(2) };
    const cases: [LoanMessage, string, string | undefined][] = [
      [{ ...openLoan(1) }, "vault:Requested", undefined],
      [
        {
          type: "LOAN_ACTIVE",
          loanId: word(1),
          principal: 1n,
          rateBps: 1,
          startTime: 1n,
          dueTime: 2n,
        },
        "pool:Active",
        "vault:Active",
      ],
      [
        { type: "LOAN_REJECTED", loanId: word(1), reason: "LtvTooHigh" },
        "pool:Rejected",
        "vault:Refunded",
      ],
      [{ type: "REPAID", loanId: word(1), amountRepaid: 5n }, "pool:Repaid", "vault:Released"],
      [{ type: "DEFAULTED", ...settlement }, "pool:Defaulted", "vault:Seized"],
      [{ type: "LIQUIDATED", ...settlement }, "pool:Liquidated", "vault:Seized"],
    ];
    for (const [message, source, destination] of cases) {
      const s = sourceSideUpdate(message, route);
      const d = destinationSideUpdate(message, route);
      expect(`${s.side}:${s.state}`).toBe(source);
      expect(d === undefined ? undefined : `${d.side}:${d.state}`).toBe(destination);
    }
  });
});

describe("pushed attestations", SLOW, () => {
  /** `packet` observed, verified and attested by `h`, waiting for a second attestation. */
  async function waitingForOne(h: Harness, packet: ObservedPacket): Promise<void> {
    // Waits for peers a poll interval: long here, so only a push makes it due.
    h.context.settings = { ...h.context.settings, pollIntervalMs: 60_000 };
    await attestedBy(h, packet);
    await deliverBatch(h.context);
    expect(await h.store.getPacket(packet.guid)).toMatchObject({
      status: "attested",
      lastError: "1 of 2 attestations",
    });
  }

  const signed = (key: number, packet: ObservedPacket, digest?: Hex) =>
    new EvmAttestationSigner(VERIFIER_KEYS[key] as Hex).sign(
      packet.guid,
      EPOCH,
      digest ?? packetAttestationDigest(ENDPOINT, EPOCH, packet.packet),
    );

  it("validPeerAttestation_isStored_andMakesThePacketDueNow", async () => {
    const h = await harness({ signer: 0 });
    const a = loanPacket(1n, openLoan(1));
    await waitingForOne(h, a);
    expect((await h.store.getPacket(a.guid))?.nextAttemptAt).toBeInstanceOf(Date);

    expect(await acceptPushedAttestations(h.context, [await signed(1, a)])).toBe(1);

    expect((await h.store.getPacket(a.guid))?.nextAttemptAt).toBeNull();
    expect((await h.store.listAttestations(a.guid)).map((x) => x.signer).sort()).toEqual(
      [VERIFIER_ADDRESSES[0], VERIFIER_ADDRESSES[1]].sort(),
    );
    // Again: nothing new.
    expect(await acceptPushedAttestations(h.context, [await signed(1, a)])).toBe(0);
  });

  it("invalidOrUnknown_isNeitherStoredNorMakesAnythingDue", async () => {
    const h = await harness({ signer: 0 });
    const a = loanPacket(1n, openLoan(1));
    await waitingForOne(h, a);
    const good = await signed(1, a);
    const unknown = loanPacket(9n, openLoan(9));
    const pushed = [
      // Another packet's digest, signed by a verifier.
      await signed(1, a, packetAttestationDigest(ENDPOINT, EPOCH, unknown.packet)),
      // A signer outside the destination's set.
      await new EvmAttestationSigner(`0x${"77".repeat(32)}`).sign(a.guid, EPOCH, good.digest),
      // A verifier named, another key's signature.
      { ...good, signature: (await signed(2, a)).signature },
      // Another epoch.
      { ...good, epoch: EPOCH + 1n },
      // A packet this relayer does not hold.
      await signed(1, unknown),
    ];

    expect(await acceptPushedAttestations(h.context, pushed)).toBe(0);

    expect((await h.store.getPacket(a.guid))?.nextAttemptAt).toBeInstanceOf(Date);
    expect((await h.store.listAttestations(a.guid)).map((x) => x.signer)).toEqual([
      VERIFIER_ADDRESSES[0],
    ]);
    expect(await h.store.getPacket(unknown.guid)).toBeUndefined();
  });
});

describe("running loop", SLOW, () => {
  it("heldConfirmation_doesNotHoldBackALaterPacketThroughEveryStage", async () => {
    const [first, second] = [loanPacket(1n, openLoan(1)), loanPacket(2n, openLoan(2))];
    const peer = await harness({ signer: 1 });
    for (const packet of [first, second]) await attestedBy(peer, packet);
    const h = await harness({
      signer: 0,
      peers: [await peerApi(peer.store, VERIFIER_ADDRESSES[1] ?? "")],
      deliverConcurrency: 4,
    });
    const confirmation = gate();
    h.destination.confirmations.set(first.guid, confirmation.opened);
    h.watcher.batches = [
      { packets: [first], scannedTo: 101n, finalizedHead: 101n },
      { packets: [second], scannedTo: 102n, finalizedHead: 102n },
    ];
    const firstSent = emitted(h, "deliverySubmitted", 1);
    const secondDelivered = emitted(h, "packetDelivered", 1);

    const loop = startLoop(h.context);
    await firstSent;
    // The second packet is watched, verified, attested and delivered while
    // the first still waits for its confirmation.
    await secondDelivered;
    expect((await h.store.getPacket(second.guid))?.status).toBe("delivered");
    expect(await h.store.getPacket(first.guid)).toMatchObject({
      status: "attested",
      leaseOwner: leaseOwner(h.context),
    });

    confirmation.open();
    await loop.stop();
    expect((await h.store.getPacket(first.guid))?.status).toBe("delivered");
    expect(h.destination.calls).toBe(2);
  });

  it("peerThatNeverAnswers_holdsNoPass_laterPacketsStillVerifiedAndAttested", async () => {
    const h = await harness({ peers: [await silentPeer()] });
    // Asking it (the deliveries' prefetch) and pushing to it each wait this long.
    h.context.peerTimeoutMs = 20_000;
    const stopping = new AbortController();
    h.context.signal = stopping.signal;
    const [first, second] = [loanPacket(1n, openLoan(1)), loanPacket(2n, openLoan(2))];
    h.watcher.batches = [
      { packets: [first], scannedTo: 101n, finalizedHead: 101n },
      { packets: [second], scannedTo: 102n, finalizedHead: 102n },
    ];
    const started = Date.now();

    const loop = startLoop(h.context);
    while ((await h.store.getPacket(second.guid))?.status !== "attested") {
      expect(Date.now() - started).toBeLessThan(10_000);
      await sleep(20);
    }
    // The first is still leased to its delivery, asking the silent peer.
    expect(await h.store.getPacket(first.guid)).toMatchObject({
      status: "attested",
      leaseOwner: leaseOwner(h.context),
    });
    // As the daemon stops: what is in flight is abandoned.
    stopping.abort();
    await loop.stop();
  });

  it("twoRelayers_pushTheirAttestations_packetDeliveredLongBeforeAPoll", async () => {
    const pollIntervalMs = 20_000;
    const relayers = await Promise.all([
      harness({ signer: 0 }),
      harness({ signer: 1, executor: false }),
    ]);
    const packet = loanPacket(1n, openLoan(1));
    const loops: { wake(): void }[] = [];
    const pushedTo = [0, 0];
    const urls = await Promise.all(
      relayers.map(async (h, index) => {
        h.context.settings = { ...h.context.settings, pollIntervalMs };
        h.watcher.batches = [{ packets: [packet], scannedTo: 101n, finalizedHead: 101n }];
        const api = createApiServer({
          config: { host: "127.0.0.1", port: 0, maxBodyBytes: 65_536 },
          store: h.store,
          registry: createMetrics({ defaultMetrics: false }).registry,
          attestationSigners: [VERIFIER_ADDRESSES[index] ?? ""],
          acceptAttestations: async (attestations) => {
            pushedTo[index] = (pushedTo[index] ?? 0) + attestations.length;
            const accepted = await acceptPushedAttestations(h.context, attestations);
            loops[index]?.wake();
            return accepted;
          },
        });
        closers.push(() => api.close());
        return (await api.listen()).url;
      }),
    );
    relayers.forEach((h, index) => {
      h.context.peers = [urls[1 - index] ?? ""];
    });
    const [executor] = relayers;
    const delivered = emitted(executor, "packetDelivered", 1);
    const started = Date.now();

    const running = relayers.map((h) => startLoop(h.context));
    loops.push(...running);
    await delivered;
    const elapsed = Date.now() - started;
    await Promise.all(running.map((loop) => loop.stop()));

    expect(elapsed).toBeLessThan(pollIntervalMs / 2);
    expect(executor.destination.delivered.has(packet.guid)).toBe(true);
    // Each relayer's attestation reached the other unasked.
    expect(pushedTo).toEqual([1, 1]);
  });

  it("gauges_refreshOncePerGaugeInterval_whileTheSourcesArePolledEveryPoll", async () => {
    const h = await harness();
    h.context.settings = { ...h.context.settings, pollIntervalMs: 50, gaugeIntervalMs: 60_000 };

    const loop = startLoop(h.context);
    await vi.waitFor(
      () => {
        expect(h.watcher.polls.length).toBeGreaterThanOrEqual(10);
      },
      {
        timeout: 5_000,
      },
    );
    await loop.stop();

    // The store's counts (every packet and loan) once, not once a poll.
    expect(h.events.packetsCounted).toHaveLength(1);
    expect(h.events.loansCounted).toHaveLength(1);
  });

  it("withoutAGaugeInterval_gaugesGoWithEveryPoll", async () => {
    const h = await harness();

    const loop = startLoop(h.context);
    await vi.waitFor(
      () => {
        expect(h.watcher.polls.length).toBeGreaterThanOrEqual(5);
      },
      {
        timeout: 5_000,
      },
    );
    await loop.stop();

    expect(h.events.packetsCounted?.length).toBeGreaterThanOrEqual(4);
  });
});

describe("loop", SLOW, () => {
  it("startLoop_runsIterations_andStopsAfterTheCurrentOne", async () => {
    const h = await harness();
    const a = loanPacket(1n, openLoan(1));
    h.watcher.batches = [{ packets: [a], scannedTo: 120n, finalizedHead: 120n }];
    let iterations = 0;
    const loop = startLoop(h.context, {
      onIteration: () => {
        iterations++;
      },
    });
    while (iterations < 2) await sleep(10);
    await loop.stop();
    const after = iterations;
    await sleep(120);
    expect(iterations).toBe(after);
    expect((await h.store.getPacket(a.guid))?.status).toBe("attested");
    expect(leaseOwner(h.context)).toBe("test-0:pipeline");
  });
});
