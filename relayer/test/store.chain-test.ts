// The store's repository suite, run against real PGlite and a real
// PostgreSQL 15 (scripts/postgres.sh), plus what only PostgreSQL can show:
// several Store instances (processes) leasing from one database.
import { randomBytes } from "node:crypto";
import { mkdtemp, readlink, rm } from "node:fs/promises";
import { getPriority, tmpdir } from "node:os";
import { join } from "node:path";
import type { Hex } from "@loanbridge/shared";
import type { ObservedPacket } from "../src/chains/types.ts";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Secret } from "../src/config/secret.ts";
import {
  MAX_HELD_CLAIMS,
  PACKET_STATUSES,
  type PacketStatus,
  Store,
  type StoredAttestation,
  StoreError,
} from "../src/store/index.ts";
import { sourceSideUpdate } from "../src/pipeline/loans.ts";
import { postgresPool } from "../src/store/store.ts";
import { freshTestStore, kernelNiceness, seedTestDataDir } from "../src/store/testing.ts";
import { startPostgres, type TestPostgres } from "./postgres.ts";

const U64_MAX = 2n ** 64n - 1n;
const U256_MAX = 2n ** 256n - 1n;

const hex32 = (): Hex => `0x${randomBytes(32).toString("hex")}`;
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

let sourceIndex = 0;
function observed(overrides: Partial<ObservedPacket> = {}): ObservedPacket {
  sourceIndex += 1;
  return {
    packet: Uint8Array.from([1, 0, 0, 255, ...randomBytes(100)]),
    guid: hex32(),
    srcEid: 40161,
    dstEid: 40168,
    nonce: BigInt(sourceIndex),
    sourceTx: `0x${randomBytes(32).toString("hex")}`,
    sourceHeight: 1_000n + BigInt(sourceIndex),
    sourceIndex: sourceIndex % 7,
    ...overrides,
  };
}

async function errorCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "ok";
  } catch (error) {
    if (error instanceof StoreError) return error.code;
    throw error;
  }
}

// --- backends ----------------------------------------------------------------

interface Backend {
  name: "pglite" | "postgres";
  /** A store on an empty database of its own. */
  fresh(): Promise<Store>;
}

let postgres: TestPostgres | undefined;
let databases = 0;
const opened: Store[] = [];

/** A new, empty PostgreSQL database in the test cluster; its URL. */
async function createDatabase(): Promise<string> {
  if (postgres === undefined) throw new Error("PostgreSQL is not started");
  databases += 1;
  const name = `t${databases}`;
  const admin = new pg.Client({ connectionString: postgres.url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return postgres.url.replace(/\/loanbridge$/, `/${name}`);
}

const openPostgres = async (url: string): Promise<Store> =>
  track(await Store.open({ kind: "postgres", url: new Secret(url, "test"), poolSize: 8 }));

function track(store: Store): Store {
  opened.push(store);
  return store;
}

const backends: Backend[] = [
  {
    name: "pglite",
    fresh: async () => track(await freshTestStore()),
  },
  { name: "postgres", fresh: async () => openPostgres(await createDatabase()) },
];

let suiteStarted = 0;
beforeAll(async () => {
  suiteStarted = Date.now();
  postgres = await startPostgres();
});

afterAll(async () => {
  await Promise.allSettled(opened.map((store) => store.close()));
  await postgres?.stop();
  console.info(`store suite (both backends): ${Date.now() - suiteStarted} ms`);
});

// --- the shared suite ----------------------------------------------------------

describe.each(backends)("Store on $name", (backend) => {
  let store: Store;
  beforeAll(async () => {
    const started = Date.now();
    store = await backend.fresh();
    console.info(`${backend.name}: opened and migrated in ${Date.now() - started} ms`);
  });

  describe("packets", () => {
    it("recordObserved_roundTripsEveryFieldExactly", async () => {
      const input = observed({
        nonce: U64_MAX,
        sourceHeight: 2n ** 63n - 1n,
        srcEid: 0xffff_ffff,
        packet: Uint8Array.from([0, 0, 1, 0, 255, 0]),
      });

      const { outcome, packet } = await store.recordObserved(input);
      const read = await store.getPacket(input.guid);

      expect(outcome).toBe("created");
      expect(read).toEqual(packet);
      expect(read).toMatchObject({
        guid: input.guid,
        srcEid: 0xffff_ffff,
        dstEid: 40168,
        nonce: U64_MAX,
        packet: Uint8Array.from([0, 0, 1, 0, 255, 0]),
        // Named by its loan only once proven (markVerified).
        loanId: null,
        sourceTx: input.sourceTx,
        sourceHeight: 2n ** 63n - 1n,
        sourceIndex: input.sourceIndex,
        status: "observed",
        attempts: 0,
        lastError: null,
        leaseOwner: null,
      });
      expect(read?.packet).toBeInstanceOf(Uint8Array);
      expect(read?.observedAt).toBeInstanceOf(Date);
    });

    it("recordObserved_samePacketTwice_isOneRow", async () => {
      const input = observed();

      const first = await store.recordObserved(input);
      const second = await store.recordObserved({ ...input });

      expect(first.outcome).toBe("created");
      expect(second.outcome).toBe("known");
      expect(second.packet).toEqual(first.packet);
    });

    it("recordObserved_upperCaseGuid_isStoredLowerCase", async () => {
      const input = observed();
      await store.recordObserved({
        ...input,
        guid: input.guid.toUpperCase().replace("0X", "0x") as Hex,
      });

      expect((await store.getPacket(input.guid))?.guid).toBe(input.guid);
    });

    it("recordObserved_sameGuidOtherBytes_isHeldAside_theRowKeepsTheFirstClaim", async () => {
      const input = observed();
      await store.recordObserved(input);
      const other = { ...input, packet: Uint8Array.from([9, 9, 9]) };

      const { outcome, packet } = await store.recordObserved(other);

      expect(outcome).toBe("held");
      expect(packet.packet).toEqual(input.packet);
      expect(await store.listHeldClaims(input.guid)).toEqual([
        expect.objectContaining({ packet: other.packet, sourceTx: input.sourceTx }),
      ]);
      expect((await store.recordObserved(other)).outcome).toBe("held");
      expect(await store.listHeldClaims(input.guid)).toHaveLength(1);
    });

    it("recordObserved_sameBytesAtAnotherSourcePosition_isHeldAside", async () => {
      const input = observed();
      await store.recordObserved(input);

      const moved = await store.recordObserved({ ...input, sourceTx: hex32(), sourceIndex: 3 });

      expect(moved.outcome).toBe("held");
      expect(moved.packet.sourceTx).toBe(input.sourceTx);
    });

    it("recordObserved_otherGuidAtSameSourcePosition_isItsOwnRow", async () => {
      // A forged log can claim a real log's position; it must not keep the real packet out.
      const input = observed();
      await store.recordObserved(input);
      const squatted = { ...input, guid: hex32() };

      expect((await store.recordObserved(squatted)).outcome).toBe("created");
      expect(await store.getPacket(squatted.guid)).toMatchObject({ sourceTx: input.sourceTx });
      expect(await store.getPacket(input.guid)).toMatchObject({ sourceTx: input.sourceTx });
    });

    it("recordObserved_holdsAtMostMaxHeldClaimsPerGuid_thenDrops", async () => {
      const input = observed();
      await store.recordObserved(input);
      for (let i = 0; i < MAX_HELD_CLAIMS; i++) {
        const claim = { ...input, packet: Uint8Array.from([i]) };
        expect((await store.recordObserved(claim)).outcome).toBe("held");
      }

      const extra = await store.recordObserved({ ...input, packet: Uint8Array.from([0xee]) });

      expect(extra.outcome).toBe("dropped");
      expect(await store.listHeldClaims(input.guid)).toHaveLength(MAX_HELD_CLAIMS);
    });

    it("disprove_withAHeldClaim_putsItInTheRowsPlace_toBeVerifiedFromTheStart", async () => {
      const store = await backend.fresh();
      const forged = observed();
      const real = {
        ...forged,
        packet: Uint8Array.from([7, 7]),
        sourceTx: hex32(),
        sourceIndex: 2,
      };
      await store.recordObserved(forged);
      await store.recordObserved(real);
      const [leased] = await store.leaseWork("w", ["observed"], 10, 60_000);
      expect(leased?.guid).toBe(forged.guid);

      const { replaced, packet } = await store.disprove(
        forged.guid,
        "receipt_missing: no such log",
        {
          owner: "w",
        },
      );

      expect(replaced).toBe(true);
      expect(packet).toMatchObject({
        status: "observed",
        attempts: 0,
        sourceTx: real.sourceTx,
        sourceIndex: 2,
        leaseOwner: null,
        lastError: "replaced: receipt_missing: no such log",
      });
      expect(packet.packet).toEqual(real.packet);
      expect(await store.listHeldClaims(forged.guid)).toEqual([]);
    });

    it("disprove_withNothingHeld_failsThePacket_andALaterClaimReplacesIt", async () => {
      const store = await backend.fresh();
      const forged = observed();
      await store.recordObserved(forged);
      await store.leaseWork("w", ["observed"], 10, 60_000);

      const { replaced, packet } = await store.disprove(forged.guid, "log_missing: gone", {
        owner: "w",
      });
      expect(replaced).toBe(false);
      expect(packet).toMatchObject({ status: "failed", lastError: "log_missing: gone" });

      const real = { ...forged, packet: Uint8Array.from([5]), sourceTx: hex32() };
      const later = await store.recordObserved(real);
      expect(later.outcome).toBe("replaced");
      expect(later.packet).toMatchObject({ status: "observed", sourceTx: real.sourceTx });
    });

    it("aFailedPacketNotDisproved_isNotReplaced_theClaimIsHeld", async () => {
      const store = await backend.fresh();
      // Attempts running out (a chain behind) say nothing against the claim.
      const input = observed();
      await store.recordObserved(input);
      await store.leaseWork("w", ["observed"], 10, 60_000);
      await store.markFailed(input.guid, "not_finalized: attempts used up", { owner: "w" });

      const other = await store.recordObserved({ ...input, packet: Uint8Array.from([4]) });

      expect(other.outcome).toBe("held");
      expect(other.packet.packet).toEqual(input.packet);
    });

    it("disprove_byAWorkerWithoutTheLease_isLeaseLost", async () => {
      const store = await backend.fresh();
      const input = observed();
      await store.recordObserved(input);
      await store.recordObserved({ ...input, packet: Uint8Array.from([1]) });
      await store.leaseWork("w", ["observed"], 10, 60_000);

      expect(await errorCode(store.disprove(input.guid, "x", { owner: "other" }))).toBe(
        "LeaseLost",
      );
    });

    it("badGuid_isInvalidInput", async () => {
      expect(await errorCode(store.getPacket("0x1234"))).toBe("InvalidInput");
      expect(await errorCode(store.recordObserved(observed({ guid: "0xzz" })))).toBe(
        "InvalidInput",
      );
    });

    it("happyPath_movesThroughEveryStage_withTimestamps", async () => {
      const input = observed();
      await store.recordObserved(input);

      const verified = await store.markVerified(input.guid);
      const attested = await store.markAttested(input.guid);
      const delivering = await store.markDelivering(input.guid, { destTx: "0xsent" });
      const replaced = await store.markDelivering(input.guid, { destTx: "0xbumped" });
      const delivered = await store.markDelivered(input.guid, { destTx: "0xbumped" });

      expect(verified.status).toBe("verified");
      expect(verified.verifiedAt).toBeInstanceOf(Date);
      expect(attested.attestedAt).toBeInstanceOf(Date);
      expect(delivering.destTx).toBe("0xsent");
      expect(replaced.destTx).toBe("0xbumped");
      expect(delivered).toMatchObject({ status: "delivered", destTx: "0xbumped" });
      expect(delivered.deliveredAt?.getTime()).toBeGreaterThanOrEqual(
        delivered.observedAt.getTime(),
      );
    });

    it("markSubmitted_keepsTheFirstSend_acrossReplacementsAndARequeue", async () => {
      const input = observed();
      await store.recordObserved(input);
      await store.markVerified(input.guid);
      const attested = await store.markAttested(input.guid);
      expect(attested.submittedAt).toBeNull();

      const sentAt = new Date(Date.now() - 5_000);
      const first = await store.markSubmitted(input.guid, sentAt);
      const replacement = await store.markSubmitted(input.guid, new Date());
      const failed = await store.markFailed(input.guid, "deliver: reverted");
      await store.requeue(input.guid);
      const resent = await store.markSubmitted(input.guid, new Date(Date.now() + 1_000));
      const delivered = await store.markDelivered(input.guid, { destTx: "0xsent" });

      // The sender's time, not the write's.
      expect(first.submittedAt).toEqual(sentAt);
      expect(first.status).toBe("attested");
      for (const later of [replacement, failed, resent, delivered]) {
        expect(later.submittedAt).toEqual(sentAt);
      }
      expect(await store.getPacket(input.guid)).toMatchObject({ submittedAt: sentAt });
    });

    it("markReady_keepsTheFirstTime_theCallersNotTheWrites", async () => {
      const input = observed();
      await store.recordObserved(input);
      const readyAt = new Date(Date.now() - 3_000);
      await store.markReady(input.guid, readyAt);
      await store.markReady(input.guid, new Date());
      expect((await store.getPacket(input.guid))?.readyAt).toEqual(readyAt);
      expect(await errorCode(store.markReady(hex32(), new Date()))).toBe("NotFound");
      expect(await errorCode(store.markReady("0x12", new Date()))).toBe("InvalidInput");
    });

    it("markSubmitted_unknownGuid_isNotFound_badGuid_isInvalidInput", async () => {
      expect(await errorCode(store.markSubmitted(hex32(), new Date()))).toBe("NotFound");
      expect(await errorCode(store.markSubmitted("0x12", new Date()))).toBe("InvalidInput");
    });

    it("aDisprovedRowReplacedByItsHeldClaim_hasNoSubmittedTime", async () => {
      const store = await backend.fresh();
      const forged = observed();
      await store.recordObserved(forged);
      await store.recordObserved({ ...forged, packet: Uint8Array.from([9]), sourceIndex: 3 });
      await store.markSubmitted(forged.guid, new Date());
      await store.leaseWork("w", ["observed"], 10, 60_000);

      const { replaced, packet } = await store.disprove(forged.guid, "receipt_missing", {
        owner: "w",
      });

      expect(replaced).toBe(true);
      expect(packet.submittedAt).toBeNull();
    });

    it("transitions_followTheTable", async () => {
      // Brings a new packet to `status` the ordinary way.
      async function packetIn(status: PacketStatus): Promise<Hex> {
        const { guid } = observed();
        await store.recordObserved({ ...observed(), guid });
        const path: Partial<Record<PacketStatus, () => Promise<unknown>>> = {
          verified: () => store.markVerified(guid),
          attested: () => store.markAttested(guid),
          delivering: () => store.markDelivering(guid),
          delivered: () => store.markDelivered(guid),
        };
        const order: PacketStatus[] = ["verified", "attested", "delivering", "delivered"];
        if (status === "failed") await store.markFailed(guid, "gave up");
        else if (status === "denied") await store.deny(guid, "operator");
        else for (const step of order.slice(0, order.indexOf(status) + 1)) await path[step]?.();
        return guid;
      }
      const move: Record<PacketStatus, (guid: Hex) => Promise<unknown>> = {
        observed: (guid) => store.requeue(guid),
        verified: (guid) => store.markVerified(guid),
        attested: (guid) => store.markAttested(guid),
        delivering: (guid) => store.markDelivering(guid),
        delivered: (guid) => store.markDelivered(guid),
        failed: (guid) => store.markFailed(guid, "x"),
        denied: (guid) => store.deny(guid, "x"),
      };

      const results: Record<string, string[]> = {};
      for (const from of PACKET_STATUSES) {
        for (const to of PACKET_STATUSES) {
          const outcome = await errorCode(move[to](await packetIn(from)));
          (results[outcome] ??= []).push(`${from}→${to}`);
        }
      }

      expect(results.ok).toEqual([
        "observed→verified",
        "observed→delivered",
        "observed→failed",
        "observed→denied",
        "verified→attested",
        "verified→delivered",
        "verified→failed",
        "verified→denied",
        "attested→delivering",
        "attested→delivered",
        "attested→failed",
        "attested→denied",
        "delivering→delivering",
        "delivering→delivered",
        "delivering→failed",
        "failed→observed",
        "failed→delivered",
        "failed→denied",
        "denied→observed",
      ]);
      expect(results.InvalidTransition).toContain("delivered→observed");
      expect(results.InvalidTransition).toHaveLength(49 - (results.ok?.length ?? 0));
    });

    it("invalidTransition_namesBothStatuses", async () => {
      const input = observed();
      await store.recordObserved(input);
      await store.markVerified(input.guid);
      await store.markAttested(input.guid);
      await store.markDelivering(input.guid);
      await store.markDelivered(input.guid);

      const error = (await store
        .requeue(input.guid)
        .catch((caught: unknown) => caught)) as StoreError;

      expect(error).toBeInstanceOf(StoreError);
      expect(error.code).toBe("InvalidTransition");
      expect(error.message).toBe(
        `packet ${input.guid} is delivered and cannot become observed\n\nDetails: observed is reached from: failed, denied`,
      );
    });

    it("unknownGuid_isNotFound", async () => {
      expect(await errorCode(store.markVerified(hex32()))).toBe("NotFound");
      expect(await store.getPacket(hex32())).toBeUndefined();
    });

    it("failedAndRequeued_keepsReasonAndAttemptsThenResets", async () => {
      const input = observed();
      await store.recordObserved(input);
      await store.leaseWork("w", ["observed"], 1_000, 60_000);

      const failed = await store.markFailed(input.guid, "receipts_root_mismatch: block 9");
      const requeued = await store.requeue(input.guid);

      expect(failed).toMatchObject({
        status: "failed",
        lastError: "receipts_root_mismatch: block 9",
      });
      expect(failed.attempts).toBeGreaterThanOrEqual(1);
      expect(failed.leaseOwner).toBeNull();
      expect(requeued).toMatchObject({ status: "observed", attempts: 0 });
    });

    it("operatorAction_withAudit_writesBothOrNeither", async () => {
      const input = observed();
      await store.recordObserved(input);
      const audit = {
        actor: "admin",
        action: "packet.deny",
        subject: input.guid,
        detail: { reason: "spam" },
      };

      const denied = await store.deny(input.guid, "spam", { audit });
      const again = await errorCode(store.deny(input.guid, "again", { audit }));
      const entries = await store.listAudit({ subject: input.guid, limit: 10 });

      expect(denied).toMatchObject({ status: "denied", lastError: "denied: spam" });
      expect(again).toBe("InvalidTransition");
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ ...audit, id: expect.any(Number) as number });
    });

    it("listPackets_filtersByStatusAndLoan_newestFirst", async () => {
      const loanId = hex32();
      const [a, b, c, untagged] = [observed(), observed(), observed(), observed()];
      for (const input of [a, b, c, untagged]) await store.recordObserved(input);
      // A packet is named by its loan once verify finds a loan app sent it.
      for (const input of [a, c]) {
        await store.markVerified(input.guid, { loanId });
        await store.markAttested(input.guid);
      }
      await store.markVerified(untagged.guid);
      // updated_at ties (same clock tick) fall back to guid order; let the
      // database clock move on so b is strictly the newest.
      await new Promise((resolve) => setTimeout(resolve, 20));
      await store.markVerified(b.guid, { loanId });

      const all = await store.listPackets({ loanId, limit: 10 });
      const verified = await store.listPackets({ loanId, status: "verified", limit: 10 });
      const limited = await store.listPackets({ loanId, limit: 2 });

      expect(all.map((packet) => packet.guid)).toHaveLength(3);
      expect(all[0]?.guid).toBe(b.guid);
      expect(verified.map((packet) => packet.guid)).toEqual([b.guid]);
      expect(limited).toHaveLength(2);
    });
  });

  describe("leases", () => {
    it("leaseWork_takesOldestDueOfTheStatuses_andCountsAttempts", async () => {
      const own = await backend.fresh();
      const inputs = [observed(), observed(), observed()];
      for (const input of inputs) {
        await own.recordObserved(input);
        // observed_at ties (same clock tick) fall back to guid order; keep
        // the insertion order strict so "oldest first" is what is tested.
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await own.markVerified(inputs[2]?.guid ?? "0x");

      const observedOnes = await own.leaseWork("w1", ["observed"], 10, 60_000);
      const nothingLeft = await own.leaseWork("w2", ["observed"], 10, 60_000);
      const verifiedOnes = await own.leaseWork("w2", ["verified", "attested"], 10, 60_000);

      expect(observedOnes.map((packet) => packet.guid)).toEqual([inputs[0]?.guid, inputs[1]?.guid]);
      expect(
        observedOnes.every((packet) => packet.leaseOwner === "w1" && packet.attempts === 1),
      ).toBe(true);
      expect(observedOnes[0]?.leaseUntil?.getTime()).toBeGreaterThan(Date.now() + 50_000);
      expect(nothingLeft).toEqual([]);
      expect(verifiedOnes.map((packet) => packet.guid)).toEqual([inputs[2]?.guid]);
    });

    it("markWithOwner_refusesWhenLeaseIsAnotherWorkers", async () => {
      const own = await backend.fresh();
      const input = observed();
      await own.recordObserved(input);
      await own.leaseWork("w1", ["observed"], 1, 60_000);

      expect(await errorCode(own.markVerified(input.guid, { owner: "w2" }))).toBe("LeaseLost");
      expect(await errorCode(own.release(input.guid, "w2"))).toBe("LeaseLost");
      expect((await own.markVerified(input.guid, { owner: "w1" })).leaseOwner).toBeNull();
    });

    it("release_withBackoff_hidesPacketUntilDue", async () => {
      const own = await backend.fresh();
      const input = observed();
      await own.recordObserved(input);
      await own.leaseWork("w1", ["observed"], 1, 60_000);

      const released = await own.release(input.guid, "w1", {
        error: "rpc timeout",
        retryInMs: 400,
      });
      const during = await own.leaseWork("w2", ["observed"], 10, 60_000);
      await sleep(500);
      const after = await own.leaseWork("w2", ["observed"], 10, 60_000);

      expect(released).toMatchObject({ leaseOwner: null, lastError: "rpc timeout" });
      expect(during).toEqual([]);
      expect(after.map((packet) => packet.guid)).toEqual([input.guid]);
      expect(after[0]?.attempts).toBe(2);
    });

    it("crashedWorker_leaseIsTakenAgainAfterExpiry", async () => {
      const own = await backend.fresh();
      const inputs = [observed(), observed(), observed()];
      for (const input of inputs) await own.recordObserved(input);

      const crashed = await own.leaseWork("crashed", ["observed"], 10, 1_000);
      const whileHeld = await own.leaseWork("survivor", ["observed"], 10, 60_000);
      await sleep(1_100);
      const afterExpiry = await own.leaseWork("survivor", ["observed"], 10, 60_000);

      expect(crashed).toHaveLength(3);
      expect(whileHeld).toEqual([]);
      expect(afterExpiry.map((packet) => packet.guid).sort()).toEqual(
        inputs.map((input) => input.guid).sort(),
      );
      expect(afterExpiry.every((packet) => packet.attempts === 2)).toBe(true);
      // The crashed worker's late result is refused.
      expect(await errorCode(own.markVerified(inputs[0]?.guid ?? "0x", { owner: "crashed" }))).toBe(
        "LeaseLost",
      );
    });

    it("releaseAllLeases_restartedRelayerTakesItsOwnPacketsBackAtOnce", async () => {
      const own = await backend.fresh();
      const inputs = [observed(), observed(), observed()];
      for (const input of inputs) await own.recordObserved(input);
      await own.leaseWork("restarted", ["observed"], 2, 60_000);
      await own.leaseWork("other", ["observed"], 1, 60_000);

      const released = await own.releaseAllLeases("restarted");
      const retaken = await own.leaseWork("restarted", ["observed"], 10, 60_000);

      expect(released).toBe(2);
      expect(retaken).toHaveLength(2);
      // Another owner's lease is untouched.
      expect(await own.releaseAllLeases("nobody")).toBe(0);
      expect(
        (await own.listPackets({ limit: 10 })).filter((packet) => packet.leaseOwner === "other"),
      ).toHaveLength(1);
    });

    it("releaseAllLeases_exceptThoseInUse_keepsThemLeased", async () => {
      const own = await backend.fresh();
      const inputs = [observed(), observed(), observed()];
      for (const input of inputs) await own.recordObserved(input);
      const leased = await own.leaseWork("loop", ["observed"], 3, 60_000);
      const inUse = leased[1]?.guid ?? "0x";

      expect(
        await own.releaseAllLeases("loop", {
          except: [inUse.toUpperCase().replace("0X", "0x") as Hex],
        }),
      ).toBe(2);

      const held = (await own.listPackets({ limit: 10 })).filter((p) => p.leaseOwner === "loop");
      expect(held.map((packet) => packet.guid)).toEqual([inUse]);
    });
  });

  describe("cursors", () => {
    it("setCursor_isMonotonic_andRoundTripsLargeHeights", async () => {
      const eid = 1_000 + Math.floor(Math.random() * 1_000_000);

      const first = await store.getCursor(eid);
      const set = await store.setCursor(eid, 2n ** 63n + 5n);
      const back = await store.setCursor(eid, 7n);
      const forward = await store.setCursor(eid, U64_MAX);

      expect(first).toBeUndefined();
      expect(set).toBe(2n ** 63n + 5n);
      expect(back).toBe(2n ** 63n + 5n);
      expect(forward).toBe(U64_MAX);
      expect(await store.getCursor(eid)).toBe(U64_MAX);
      expect((await store.listCursors()).find((cursor) => cursor.eid === eid)?.height).toBe(
        U64_MAX,
      );
    });
  });

  describe("attestations", () => {
    const attestation = (
      guid: Hex,
      signer: string,
      epoch = 1n,
    ): Omit<StoredAttestation, "createdAt"> => ({
      guid,
      signer,
      epoch,
      digest: hex32(),
      signature: `0x${randomBytes(65).toString("hex")}`,
    });

    it("putAttestation_isIdempotent_andListsBySigner", async () => {
      const guid = hex32();
      const mine = attestation(guid, "0xSignerA", U64_MAX);
      const theirs = attestation(guid, "0xSignerB");

      const first = await store.putAttestation(mine);
      const again = await store.putAttestation(mine);
      await store.putAttestation(theirs);
      const all = await store.listAttestations(guid);
      const onlyMine = await store.listAttestations(guid, { signers: ["0xSignerA"] });

      expect(first.created).toBe(true);
      expect(again.created).toBe(false);
      expect(all.map((stored) => stored.signer)).toEqual(["0xSignerB", "0xSignerA"]);
      expect(onlyMine).toEqual([{ ...mine, createdAt: expect.any(Date) as Date }]);
      expect(await store.listAttestations(guid, { signers: [] })).toEqual([]);
    });

    it("putAttestations_storesABatchInOneGo_countsTheNew_andReportsEachContradictionWithoutLosingTheRest", async () => {
      const guid = hex32();
      const stored = attestation(guid, "0xSignerA");
      await store.putAttestation(stored);
      const sameGuid = attestation(guid, "0xSignerB");
      const otherGuid = attestation(hex32(), "0xSignerA");
      const contradicting = attestation(guid, "0xSignerA");

      const result = await store.putAttestations([
        stored,
        sameGuid,
        otherGuid,
        contradicting,
        sameGuid,
      ]);

      expect(result.created).toBe(2);
      expect(result.conflicts).toHaveLength(1);
      expect(result.conflicts[0]?.guid).toBe(guid);
      expect(result.conflicts[0]?.error).toMatchObject({ code: "Conflict" });
      expect(result.conflicts[0]?.error.message).toContain("0xSignerA already attested");
      const kept = await store.listAttestationsOf([guid, otherGuid.guid]);
      expect(kept).toEqual(
        expect.arrayContaining(
          [stored, sameGuid, otherGuid].map((a) => ({ ...a, createdAt: expect.any(Date) as Date })),
        ),
      );
      expect(kept).toHaveLength(3);
      expect(await store.putAttestations([])).toEqual({ created: 0, conflicts: [] });
    });

    it("putAttestations_twoContradictingInOneBatch_storesTheFirst_andReportsTheSecond", async () => {
      // A key no row holds yet: the batch's own first one is what the second contradicts.
      const guid = hex32();
      const first = attestation(guid, "0xSignerA");
      const second = attestation(guid, "0xSignerA");

      const result = await store.putAttestations([first, second, first]);

      expect(result.created).toBe(1);
      expect(result.conflicts.map((conflict) => conflict.guid)).toEqual([guid]);
      expect(result.conflicts[0]?.error).toMatchObject({ code: "Conflict" });
      expect(await store.listAttestations(guid)).toEqual([
        { ...first, createdAt: expect.any(Date) as Date },
      ]);
    });

    it("putAttestation_differentSignatureSameKey_isConflict", async () => {
      const guid = hex32();
      await store.putAttestation(attestation(guid, "signer"));

      expect(await errorCode(store.putAttestation(attestation(guid, "signer")))).toBe("Conflict");
      expect(await errorCode(store.putAttestation(attestation(guid, "signer", 2n)))).toBe("ok");
    });
  });

  describe("loans", () => {
    it("upsertLoan_mergesBothSides_andKeepsBigAmountsExact", async () => {
      const loanId = hex32();
      const base = { loanId, collateralEid: 40161, lendingEid: 40168 };

      await store.upsertLoan({
        ...base,
        side: "vault",
        state: "Requested",
        borrower: "0xborrower",
        collateralAsset: `0x${"00".repeat(32)}`,
        collateralAmount: U256_MAX,
        principal: 1_000_000n,
      });
      await store.upsertLoan({ ...base, side: "pool", state: "Active", principal: U256_MAX - 1n });
      const loan = await store.upsertLoan({ ...base, side: "vault", state: "Active" });

      expect(loan).toMatchObject({
        loanId,
        collateralEid: 40161,
        lendingEid: 40168,
        vaultState: "Active",
        poolState: "Active",
        borrower: "0xborrower",
        collateralAmount: U256_MAX,
        principal: U256_MAX - 1n,
      });
      expect(await store.getLoan(loanId)).toEqual(loan);
    });

    it("upsertLoan_replayedOlderState_isIgnored_conflictingOutcome_isRefused", async () => {
      const base = { loanId: hex32(), collateralEid: 1, lendingEid: 2 };
      await store.upsertLoan({ ...base, side: "vault", state: "Requested" });
      await store.upsertLoan({ ...base, side: "vault", state: "Released" });

      const replayed = await store.upsertLoan({ ...base, side: "vault", state: "Active" });
      const conflicting = await errorCode(
        store.upsertLoan({ ...base, side: "vault", state: "Seized" }),
      );
      const otherChains = await errorCode(
        store.upsertLoan({ ...base, lendingEid: 3, side: "pool", state: "Active" }),
      );

      expect(replayed.vaultState).toBe("Released");
      expect(conflicting).toBe("InvalidTransition");
      expect(otherChains).toBe("Conflict");
    });

    it("disagreeingLoans_followsLoansMdTable_afterTheDelay", async () => {
      const own = await backend.fresh();
      const ids = { agree: hex32(), vaultAhead: hex32(), poolOnly: hex32(), mismatch: hex32() };
      const base = { collateralEid: 1, lendingEid: 2 };
      await own.upsertLoan({ ...base, loanId: ids.agree, side: "vault", state: "Active" });
      await own.upsertLoan({ ...base, loanId: ids.agree, side: "pool", state: "Active" });
      await own.upsertLoan({ ...base, loanId: ids.vaultAhead, side: "vault", state: "Active" });
      await own.upsertLoan({ ...base, loanId: ids.poolOnly, side: "pool", state: "Active" });
      await own.upsertLoan({ ...base, loanId: ids.mismatch, side: "vault", state: "Refunded" });
      await own.upsertLoan({ ...base, loanId: ids.mismatch, side: "pool", state: "Active" });
      await sleep(300);

      const late = await own.disagreeingLoans(200);
      const notYet = await own.disagreeingLoans(60_000);

      expect(late.map((loan) => loan.loanId).sort()).toEqual(
        [ids.vaultAhead, ids.poolOnly, ids.mismatch].sort(),
      );
      expect(notYet).toEqual([]);
    });

    it("listLoans_byEitherSidesState_andTotals", async () => {
      const own = await backend.fresh();
      const base = { collateralEid: 40161, lendingEid: 40168 };
      const native = `0x${"00".repeat(32)}`;
      const [a, b, c] = [hex32(), hex32(), hex32()];
      await own.upsertLoan({
        ...base,
        loanId: a,
        side: "vault",
        state: "Active",
        collateralAsset: native,
        collateralAmount: 10n ** 30n,
      });
      await own.upsertLoan({
        ...base,
        loanId: a,
        side: "pool",
        state: "Active",
        principal: 2n ** 200n,
      });
      await own.upsertLoan({
        ...base,
        loanId: b,
        side: "vault",
        state: "Requested",
        collateralAsset: native,
        collateralAmount: 5n,
      });
      await own.upsertLoan({
        ...base,
        loanId: c,
        side: "vault",
        state: "Released",
        collateralAsset: native,
        collateralAmount: 7n,
      });
      await own.upsertLoan({ ...base, loanId: c, side: "pool", state: "Repaid", principal: 0n });

      const active = await own.listLoans({ state: "Active", limit: 10 });
      const repaid = await own.listLoans({ state: "Repaid", limit: 10 });
      const totals = await own.loanTotals();

      expect(active.map((loan) => loan.loanId)).toEqual([a]);
      expect(repaid.map((loan) => loan.loanId)).toEqual([c]);
      expect(totals.outstandingPrincipal).toEqual([{ lendingEid: 40168, amount: 2n ** 200n }]);
      expect(totals.lockedCollateral).toEqual([
        { collateralEid: 40161, asset: native, amount: 10n ** 30n + 5n },
      ]);
      expect(totals.bySideAndState).toEqual(
        expect.arrayContaining([
          { side: "vault", state: "Active", count: 1 },
          { side: "vault", state: "Requested", count: 1 },
          { side: "vault", state: "Released", count: 1 },
          { side: "pool", state: "Active", count: 1 },
          { side: "pool", state: "Repaid", count: 1 },
        ]),
      );
    });
  });

  describe("pages and filters", () => {
    /** Every item of a list, walked page by page; the number of pages. */
    async function walk<T>(
      page: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor: string | null }>,
    ): Promise<{ items: T[]; pages: number }> {
      const items: T[] = [];
      let cursor: string | undefined;
      let pages = 0;
      for (;;) {
        const next = await page(cursor);
        items.push(...next.items);
        pages += 1;
        if (next.nextCursor === null) return { items, pages };
        cursor = next.nextCursor;
      }
    }

    it("upsertLoan_recordsRecipientRateAndDueTime_fromTheMirroredMessages", async () => {
      const loanId = hex32();
      const recipient = hex32();
      const route = { srcEid: 40161, dstEid: 40168 };
      await store.upsertLoan(
        sourceSideUpdate(
          {
            type: "OPEN_LOAN",
            loanId,
            borrower: hex32(),
            recipient,
            collateralAsset: `0x${"00".repeat(32)}`,
            collateralAmount: 10n,
            principal: 5n,
            maxRateBps: 900,
            termSeconds: 3_600n,
            expiresAt: 1n,
            installments: 1,
          },
          route,
        ),
      );
      const active = sourceSideUpdate(
        {
          type: "LOAN_ACTIVE",
          loanId,
          principal: 5n,
          rateBps: 850,
          startTime: 1_800_000_000n,
          dueTime: 1_800_003_600n,
        },
        { srcEid: 40168, dstEid: 40161 },
      );

      const loan = await store.upsertLoan(active);

      expect(loan).toMatchObject({
        recipient,
        rateBps: 850,
        dueAt: new Date(1_800_003_600_000),
        vaultState: "Requested",
        poolState: "Active",
      });
      expect(await store.getLoan(loanId)).toEqual(loan);
    });

    it("loanPage_walksEveryLoanOnce_byBorrowerOrRecipient", async () => {
      const own = await backend.fresh();
      const [alice, bob] = [hex32(), hex32()];
      const ids: Hex[] = [];
      for (let i = 0; i < 7; i++) {
        const loanId = hex32();
        ids.push(loanId);
        await own.upsertLoan({
          loanId,
          collateralEid: 40161,
          lendingEid: 40168,
          side: "vault",
          state: i % 2 === 0 ? "Requested" : "Active",
          borrower: i < 5 ? alice : bob,
          recipient: i === 6 ? alice : bob,
        });
      }

      const all = await walk((cursor) => own.loanPage({ limit: 2, cursor }));
      const ofAlice = await walk((cursor) => own.loanPage({ limit: 3, cursor, borrower: alice }));
      const activeOfAlice = await own.loanPage({ limit: 10, borrower: alice, state: "Active" });
      const bad = await errorCode(own.loanPage({ limit: 2, cursor: "not-a-cursor" }));

      expect(all.pages).toBe(4);
      expect(all.items.map((loan) => loan.loanId).sort()).toEqual([...ids].sort());
      const updated = all.items.map((loan) => loan.updatedAt.getTime());
      expect(updated).toEqual([...updated].sort((x, y) => y - x));
      expect(ofAlice.items.map((loan) => loan.loanId).sort()).toEqual(
        [ids[0], ids[1], ids[2], ids[3], ids[4], ids[6]].sort(),
      );
      expect(activeOfAlice.items.map((loan) => loan.loanId).sort()).toEqual(
        [ids[1], ids[3]].sort(),
      );
      expect(bad).toBe("InvalidInput");
    });

    it("packetPage_walksEveryPacketOnce_whileOthersArrive_andFiltersByTx", async () => {
      const loanId = hex32();
      const inputs = Array.from({ length: 6 }, () => observed());
      for (const input of inputs) {
        await store.recordObserved(input);
        await store.markVerified(input.guid, { loanId });
      }

      const first = await store.packetPage({ loanId, limit: 4 });
      // A packet verified after the first page is newer than its cursor: not in later pages.
      const late = observed();
      await store.recordObserved(late);
      await store.markVerified(late.guid, { loanId });
      const rest = await walk((cursor) =>
        store.packetPage({ loanId, limit: 4, cursor: cursor ?? first.nextCursor ?? "" }),
      );
      await store.markDelivered(inputs[2]?.guid ?? hex32(), { destTx: "5DestSignature" });
      const bySource = await store.packetPage({
        tx: (inputs[0]?.sourceTx ?? "").toUpperCase().replace("0X", "0x"),
        limit: 10,
      });
      const byDest = await store.packetPage({ tx: "5DestSignature", limit: 10 });

      const walked = [...first.items, ...rest.items].map((packet) => packet.guid);
      expect(walked.sort()).toEqual(inputs.map((input) => input.guid).sort());
      expect(bySource.items.map((packet) => packet.guid)).toEqual([inputs[0]?.guid]);
      expect(byDest.items.map((packet) => packet.guid)).toEqual([inputs[2]?.guid]);
      expect(byDest.nextCursor).toBeNull();
    });
  });

  describe("audit and counts", () => {
    it("appendAudit_keepsJsonDetail_newestFirst", async () => {
      const subject = hex32();
      await store.appendAudit({
        actor: "a",
        action: "x",
        subject,
        detail: { n: 1, nested: { ok: true } },
      });
      await store.appendAudit({ actor: "b", action: "y", subject });

      const entries = await store.listAudit({ subject, limit: 10 });

      expect(entries.map((entry) => entry.action)).toEqual(["y", "x"]);
      expect(entries[1]?.detail).toEqual({ n: 1, nested: { ok: true } });
      expect(entries[0]?.detail).toEqual({});
    });

    it("countPacketsByStatus_countsEveryStatus", async () => {
      const own = await backend.fresh();
      const [a, b] = [observed(), observed()];
      await own.recordObserved(a);
      await own.recordObserved(b);
      await own.markFailed(b.guid, "x");

      expect(await own.countPacketsByStatus()).toEqual({
        observed: 1,
        verified: 0,
        attested: 0,
        delivering: 0,
        delivered: 0,
        failed: 1,
        denied: 0,
      });
    });

    it("oldestPacketAges_perActiveStatus_fromObservedAt_zeroWhenNone", async () => {
      const own = await backend.fresh();
      expect(await own.oldestPacketAges()).toEqual({
        observed: 0,
        verified: 0,
        attested: 0,
        delivering: 0,
      });
      const [a, b, c, d] = [observed(), observed(), observed(), observed()];
      await own.recordObserved(a);
      await own.recordObserved(b);
      await sleep(300);
      await own.recordObserved(c);
      await own.recordObserved(d);
      // a: verified; b: done; c, d: still observed (c the older).
      await own.markVerified(a.guid);
      await own.markFailed(b.guid, "x");
      await sleep(200);

      const ages = await own.oldestPacketAges();

      // Measured from observed_at: a's move to verified does not reset it.
      expect(ages.verified).toBeGreaterThanOrEqual(0.5);
      expect(ages.verified).toBeLessThan(30);
      expect(ages.observed).toBeGreaterThanOrEqual(0.2);
      expect(ages.observed).toBeLessThan(ages.verified);
      expect(ages.attested).toBe(0);
      expect(ages.delivering).toBe(0);
      // Failed packets are not counted; c leaving leaves d, observed after it.
      await own.markVerified(c.guid);
      const later = await own.oldestPacketAges();
      expect(later.observed).toBeGreaterThan(0);
      expect(later.observed).toBeLessThanOrEqual(later.verified);
    });
  });
});

// --- restarts and several processes --------------------------------------------

describe("a PostgreSQL connection lost", () => {
  it("whileCheckedOutBetweenQueries_isHeard_notAnUncaughtError", async () => {
    if (postgres === undefined) throw new Error("PostgreSQL is not started");
    const heard: Error[] = [];
    const pool = postgresPool(
      { url: new Secret(await createDatabase(), "test"), poolSize: 2 },
      (error) => heard.push(error),
    );
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    try {
      // Checked out and between queries, as inside a transaction.
      const held = await pool.connect();
      const { rows } = await held.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
      await admin.query("SELECT pg_terminate_backend($1)", [rows[0]?.pid]);
      const deadline = Date.now() + 10_000;
      while (heard.length === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      // Unheard, the client's `error` event would have ended the test process.
      expect(heard.map((error) => error.message).join()).toMatch(/terminat/i);
      await expect(held.query("SELECT 1")).rejects.toThrow();
      held.release(true);
      // The pool goes on with a new connection.
      expect((await pool.query<{ one: number }>("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
    } finally {
      await admin.end();
      await pool.end();
    }
  });
});

/** Runs `test` on an empty directory of its own, removed after it. */
async function inPgliteDir(test: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "loanbridge-pglite-"));
  try {
    await test(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe("restart", () => {
  it("pglite_sameDataDir_keepsEverything", async () => {
    await inPgliteDir(async (dir) => {
      const input = observed();
      const first = await Store.open({ kind: "pglite", dataDir: dir });
      await first.recordObserved(input);
      await first.markVerified(input.guid);
      await first.setCursor(40161, 99n);
      await first.close();

      const second = await Store.open({ kind: "pglite", dataDir: dir });
      try {
        expect((await second.getPacket(input.guid))?.status).toBe("verified");
        expect(await second.getCursor(40161)).toBe(99n);
      } finally {
        await second.close();
      }
    });
  });

  it("pglite_secondStoreOnOneDataDir_isRefused", async () => {
    await inPgliteDir(async (dir) => {
      // An existing store's files (the test above creates one from an empty dir).
      await seedTestDataDir(dir);
      const first = await Store.open({ kind: "pglite", dataDir: dir });
      try {
        const error = await Store.open({ kind: "pglite", dataDir: dir }).catch(
          (caught: unknown) => caught,
        );

        expect(error).toBeInstanceOf(StoreError);
        expect((error as StoreError).code).toBe("Unavailable");
      } finally {
        await first.close();
      }
      // Closed: the next process may open it.
      await (await Store.open({ kind: "pglite", dataDir: dir })).close();
    });
  });

  it("pglite_onADataDir_runsPGliteInAThreadOfLowerPriority_theRelayersThreadUnchanged", async () => {
    const base = getPriority(process.pid);
    for (const [threadNiceness, expected] of [
      [undefined, Math.min(19, base + 10)],
      [3, Math.min(19, base + 3)],
      [19, 19],
    ] as const) {
      await inPgliteDir(async (dir) => {
        await seedTestDataDir(dir);
        const store = await Store.open({
          kind: "pglite",
          dataDir: dir,
          ...(threadNiceness !== undefined && { threadNiceness }),
        });
        try {
          const priority = store.threadPriority;
          if (priority === undefined || !("thread" in priority)) {
            throw new Error(`the store's thread priority was not set: ${JSON.stringify(priority)}`);
          }
          const own = Number((await readlink("/proc/thread-self")).split("/").at(-1));
          expect(priority.thread).not.toBe(own);
          expect(priority.niceness).toBe(expected);
          expect(await kernelNiceness(priority.thread)).toBe(expected);
          expect(getPriority(process.pid)).toBe(base);
          expect(await kernelNiceness(own)).toBe(base);
          // And it serves.
          await store.setCursor(40161, 7n);
          expect(await store.getCursor(40161)).toBe(7n);
        } finally {
          await store.close();
        }
      });
    }
  });

  it("pglite_inMemory_hasNoThreadOfItsOwn", async () => {
    const store = await freshTestStore();
    try {
      expect(store.threadPriority).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it("postgres_newStoreSameDatabase_keepsEverything", async () => {
    const url = await createDatabase();
    const input = observed();
    const first = await openPostgres(url);
    await first.recordObserved(input);
    await first.leaseWork("w", ["observed"], 1, 60_000);
    await first.setCursor(40168, 12_345n);
    await first.close();

    const second = await openPostgres(url);

    expect(await second.getPacket(input.guid)).toMatchObject({ leaseOwner: "w", attempts: 1 });
    expect(await second.getCursor(40168)).toBe(12_345n);
    expect(await second.leaseWork("w2", ["observed"], 1, 60_000)).toEqual([]);
  });
});

describe("several relayer processes on one PostgreSQL", () => {
  it("concurrentLeases_neverShareAPacket", async () => {
    const url = await createDatabase();
    const [a, b] = [await openPostgres(url), await openPostgres(url)];
    const inputs = Array.from({ length: 300 }, () => observed());
    for (const input of inputs) await a.recordObserved(input);

    const taken: { owner: string; guid: Hex }[] = [];
    async function worker(store: Store, owner: string): Promise<void> {
      for (;;) {
        const leased = await store.leaseWork(owner, ["observed"], 7, 60_000);
        if (leased.length === 0) return;
        for (const packet of leased) taken.push({ owner, guid: packet.guid });
      }
    }
    const started = Date.now();
    await Promise.all(
      [a, b].flatMap((store, index) =>
        Array.from({ length: 6 }, (_, worker_) => worker(store, `store${index}-w${worker_}`)),
      ),
    );
    const elapsed = Date.now() - started;

    const guids = taken.map((entry) => entry.guid);
    expect(new Set(guids).size).toBe(guids.length);
    expect(guids.sort()).toEqual(inputs.map((input) => input.guid).sort());
    // Both processes did some of the work.
    expect(new Set(taken.map((entry) => entry.owner.slice(0, 6))).size).toBe(2);
    console.info(`300 packets leased by 12 workers in 2 stores in ${elapsed} ms`);
  });

  it("concurrentRecordObserved_ofOnePacket_isOneRow", async () => {
    const url = await createDatabase();
    const [a, b] = [await openPostgres(url), await openPostgres(url)];
    const input = observed();

    const results = await Promise.all(
      Array.from({ length: 10 }, (_, index) => (index % 2 === 0 ? a : b).recordObserved(input)),
    );

    expect(results.filter((result) => result.outcome === "created")).toHaveLength(1);
    expect(results.filter((result) => result.outcome === "known")).toHaveLength(9);
    expect((await a.countPacketsByStatus()).observed).toBe(1);
  });

  it("crashedProcess_leaseIsTakenByAnotherAfterExpiry", async () => {
    const url = await createDatabase();
    const crashed = await Store.open({
      kind: "postgres",
      url: new Secret(url, "test"),
      poolSize: 2,
    });
    const survivor = await openPostgres(url);
    const input = observed();
    await survivor.recordObserved(input);

    expect(await crashed.leaseWork("crashed", ["observed"], 10, 1_000)).toHaveLength(1);
    await crashed.close(); // the process dies holding the lease
    const whileHeld = await survivor.leaseWork("survivor", ["observed"], 10, 60_000);
    await sleep(1_100);
    const afterExpiry = await survivor.leaseWork("survivor", ["observed"], 10, 60_000);

    expect(whileHeld).toEqual([]);
    expect(afterExpiry.map((packet) => packet.guid)).toEqual([input.guid]);
  });

  it("unreachablePostgres_isUnavailable_withoutThePassword", async () => {
    const error = await Store.open({
      kind: "postgres",
      url: new Secret("postgresql://lb:hunter2@127.0.0.1:1/lb", "test"),
      poolSize: 1,
    }).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe("Unavailable");
    expect((error as StoreError).shortMessage).toBe(
      "cannot reach PostgreSQL at postgresql://127.0.0.1:1/…",
    );
    expect((error as StoreError).message).not.toContain("hunter2");
  });
});
