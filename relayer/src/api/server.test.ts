// The API against a real (in-memory) PGlite store, on an ephemeral port.
import { randomBytes } from "node:crypto";
import { request as httpRequest } from "node:http";
import { type AddressInfo, createServer as createNetServer } from "node:net";
import { PassThrough } from "node:stream";
import { computeGuid, encodeLoanMessage, encodePacket, type Hex } from "@loanbridge/shared";
import { encodeBase58, Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Attestation } from "../chains/types.ts";
import { Secret } from "../config/secret.ts";
import { RelayerEvents } from "../observability/events.ts";
import { createLogger } from "../observability/logger.ts";
import { attachMetrics, createMetrics } from "../observability/metrics.ts";
import { Store } from "../store/store.ts";
import { ChainDirectory } from "./chains.ts";
import { bytes32FromNative } from "./format.ts";
import { pushedAttestationsBody } from "./params.ts";
import type { ChainProgress } from "./present.ts";
import {
  ApiPortInUseError,
  type ApiServer,
  type CheckResult,
  createApiServer,
  recentPolls,
} from "./server.ts";

const TOKEN = "test-admin-token-0123456789";
const OWN_SIGNER = "0xOwnSigner";
/** A peer relayer's signer, as pushed attestations name it. */
const PEER_SIGNER = Wallet.createRandom().address;
const hex32 = (): Hex => `0x${randomBytes(32).toString("hex")}`;

const EVM_USDC = "0x00000000000000000000000000000000000000Cc";
const SOLANA_USDC = "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB";
/** Two chains as a demo relayer config gives them: stablecoins and explorers. */
const TEST_CHAINS = ChainDirectory.fromConfig({
  evm: {
    eid: 40161,
    assets: [{ asset: EVM_USDC, symbol: "USDC", decimals: 6, principal: true }],
    explorer: {
      tx: "https://evm.example/tx/{tx}",
      address: "https://evm.example/address/{address}",
    },
  },
  solana: {
    eid: 40168,
    assets: [{ asset: SOLANA_USDC, symbol: "USDC", decimals: 6, principal: true }],
    explorer: {
      tx: "https://solana.example/tx/{tx}",
      address: "https://solana.example/account/{address}",
    },
  },
});

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: Record<string, unknown>;
}

/** One HTTP request with exactly these headers (chunked when `chunks` is given). */
function request(
  base: string,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: string; chunks?: string[] } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      new URL(path, base),
      { method, headers: options.headers ?? {} },
      (res) => {
        let text = "";
        res.on("data", (chunk: Buffer) => (text += chunk.toString()));
        res.on("end", () => {
          let json: Record<string, unknown> = {};
          try {
            json = JSON.parse(text) as Record<string, unknown>;
          } catch {
            // not JSON (metrics, HEAD)
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on("error", (error: NodeJS.ErrnoException) => {
      // The server may close after refusing a body mid-upload.
      if (error.code === "EPIPE" || error.code === "ECONNRESET") return;
      reject(error);
    });
    if (options.chunks !== undefined) {
      for (const chunk of options.chunks) req.write(chunk);
      req.end();
    } else {
      req.end(options.body);
    }
  });
}

const admin = (body?: unknown) => ({
  headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
  ...(body !== undefined && { body: JSON.stringify(body) }),
});

describe("HTTP API", () => {
  let store: Store;
  let api: ApiServer;
  let base: string;
  let chains: Record<string, CheckResult> = { evm: { ok: true } };
  const progress = new Map<number, ChainProgress>([
    [40161, { head: 130n, finalized: 100n, lastPollAt: Date.UTC(2026, 0, 2, 3, 4, 5) }],
  ]);
  const events = new RelayerEvents();
  const actions: string[] = [];
  const pushed: Attestation[][] = [];
  let logText = "";

  beforeAll(async () => {
    store = await Store.open({ kind: "pglite", dataDir: "memory://" });
    const metrics = createMetrics({ defaultMetrics: false });
    attachMetrics(events, metrics);
    events.on("operatorAction", ({ action, guid, actor }) =>
      actions.push(`${action} ${guid} ${actor}`),
    );
    const stream = new PassThrough();
    stream.on("data", (chunk: Buffer) => (logText += chunk.toString()));
    api = createApiServer({
      config: { host: "127.0.0.1", port: 0, maxBodyBytes: 1_024 },
      store,
      registry: metrics.registry,
      adminToken: new Secret(TOKEN, "test"),
      readiness: () => chains,
      attestationSigners: [OWN_SIGNER],
      events,
      logger: createLogger({ level: "debug", relayerId: "test", stream }),
      relayerId: "relayer-test",
      chains: TEST_CHAINS,
      status: () => progress,
      acceptAttestations: (attestations) => {
        pushed.push(attestations);
        // As the pipeline judges them: here, those by the peer signer only.
        return Promise.resolve(attestations.filter((a) => a.signer === PEER_SIGNER).length);
      },
    });
    ({ url: base } = await api.listen());
  });

  afterAll(async () => {
    await api.close();
    await store.close();
  });

  /** A packet in `status`; with `loanId`, verified first (a loan app's packet is named then). */
  async function packetIn(
    status: "observed" | "verified" | "failed" | "delivered",
    loanId?: Hex,
  ): Promise<Hex> {
    const guid = hex32();
    await store.recordObserved({
      packet: Uint8Array.from([1, 2, 3, 255]),
      guid,
      srcEid: 40161,
      dstEid: 40168,
      nonce: 2n ** 64n - 1n,
      sourceTx: hex32(),
      sourceHeight: 2n ** 60n,
      sourceIndex: 0,
    });
    if (loanId !== undefined || status === "verified") {
      await store.markVerified(guid, { ...(loanId !== undefined && { loanId }) });
    }
    if (status === "failed") await store.markFailed(guid, "receipts_root_mismatch");
    if (status === "delivered") await store.markDelivered(guid, { destTx: "0xdest" });
    return guid;
  }

  it("listen_bindsTheConfiguredLoopbackHost", () => {
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  describe("health, readiness, metrics", () => {
    it("healthz_isOk", async () => {
      const reply = await request(base, "GET", "/healthz");

      expect(reply.status).toBe(200);
      expect(reply.json).toEqual({ status: "ok" });
      expect(reply.headers["content-type"]).toBe("application/json; charset=utf-8");
    });

    it("readyz_mergesStoreAndChainChecks", async () => {
      chains = { evm: { ok: true }, solana: { ok: true } };
      const ready = await request(base, "GET", "/readyz");
      chains = { evm: { ok: true }, solana: { ok: false, detail: "last poll 90000 ms ago" } };
      const stale = await request(base, "GET", "/readyz");

      expect(ready.status).toBe(200);
      expect(ready.json).toEqual({
        ready: true,
        checks: { store: { ok: true }, evm: { ok: true }, solana: { ok: true } },
      });
      expect(stale.status).toBe(503);
      expect(stale.json).toMatchObject({
        ready: false,
        checks: { store: { ok: true }, solana: { ok: false, detail: "last poll 90000 ms ago" } },
      });
      chains = { evm: { ok: true } };
    });

    it("readyz_storeDownOrCallbackThrowing_isNotReady", async () => {
      const broken = createApiServer({
        config: { host: "127.0.0.1", port: 0, maxBodyBytes: 1_024 },
        store: { ping: () => Promise.reject(new Error("connection refused")) } as unknown as Store,
        registry: createMetrics({ defaultMetrics: false }).registry,
        readiness: () => {
          throw new Error("watcher crashed");
        },
      });
      const { url } = await broken.listen();
      try {
        const reply = await request(url, "GET", "/readyz");

        expect(reply.status).toBe(503);
        expect(reply.json).toEqual({
          ready: false,
          checks: {
            store: { ok: false, detail: "store unreachable: connection refused" },
            readiness: { ok: false, detail: "watcher crashed" },
          },
        });
      } finally {
        await broken.close();
      }
    });

    it("recentPolls_judgesEachChainByItsLastPoll", () => {
      const check = recentPolls(
        () => ({ evm: 1_000, solana: undefined, old: 0 }),
        500,
        () => 1_200,
      );

      expect(check()).toEqual({
        evm: { ok: true },
        solana: { ok: false, detail: "not polled yet" },
        old: { ok: false, detail: "last poll 1200 ms ago (limit 500 ms)" },
      });
    });

    it("recentPolls_aChainNotReady_saysItsLastErrorSinceItsLastPoll", () => {
      const check = recentPolls(
        () => ({ down: undefined, stale: 0, recovered: 1_100 }),
        500,
        () => 1_200,
        () => ({
          down: { message: "connect ECONNREFUSED 127.0.0.1:8545", at: 1_150 },
          stale: { message: "HTTP 503", at: 900 },
          recovered: { message: "timed out", at: 1_000 },
        }),
      );

      expect(check()).toEqual({
        down: {
          ok: false,
          detail: "not polled yet; last error 50 ms ago: connect ECONNREFUSED 127.0.0.1:8545",
        },
        stale: {
          ok: false,
          detail: "last poll 1200 ms ago (limit 500 ms); last error 300 ms ago: HTTP 503",
        },
        recovered: { ok: true },
      });
    });

    it("metrics_isPrometheusText", async () => {
      events.emit("headAdvanced", { chain: "evm", eid: 40161, height: 77n });

      const reply = await request(base, "GET", "/metrics");

      expect(reply.status).toBe(200);
      expect(reply.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(reply.text).toContain('loanbridge_head_height{chain="evm",eid="40161"} 77');
      expect(reply.text).toContain("# HELP loanbridge_delivery_seconds");
    });
  });

  describe("packets", () => {
    it("getPacket_returnsExactNumbersAndHexBytes", async () => {
      const loanId = hex32();
      const guid = await packetIn("verified", loanId);

      const reply = await request(
        base,
        "GET",
        `/v1/packets/${guid.toUpperCase().replace("0X", "0x")}`,
      );

      expect(reply.status).toBe(200);
      const packet = await store.getPacket(guid);
      expect(reply.json).toEqual({
        guid,
        loanId,
        messageType: null,
        srcChain: { name: "evm", eid: 40161 },
        dstChain: { name: "solana", eid: 40168 },
        nonce: "18446744073709551615",
        status: "verified",
        attempts: 0,
        lastError: null,
        sourceTx: packet?.sourceTx,
        sourceKind: "transaction",
        sourceHeight: String(2n ** 60n),
        destTx: null,
        observedAt: packet?.observedAt.toISOString(),
        verifiedAt: packet?.verifiedAt?.toISOString(),
        attestedAt: null,
        readyAt: null,
        submittedAt: null,
        deliveredAt: null,
        updatedAt: packet?.updatedAt.toISOString(),
        nextAttemptAt: null,
        leaseOwner: null,
        leaseUntil: null,
        packet: "0x010203ff",
        links: {
          self: `/v1/packets/${guid}`,
          loan: `/v1/loans/${loanId}`,
          sourceTx: `https://evm.example/tx/${packet?.sourceTx}`,
          // Nothing is delivered yet.
          destTx: null,
        },
      });
    });

    it("getPacket_showsWhenThisRelayerFirstSentItsDelivery", async () => {
      const guid = await packetIn("observed");
      const submitted = await store.markSubmitted(guid, new Date());
      await store.markDelivered(guid, { destTx: "0xdest" });

      const reply = await request(base, "GET", `/v1/packets/${guid}`);

      expect(reply.status).toBe(200);
      expect(reply.json).toMatchObject({
        status: "delivered",
        submittedAt: submitted.submittedAt?.toISOString(),
      });
    });

    it("getPacket_ofALoanMessage_namesItsType", async () => {
      const header = {
        nonce: 7n,
        srcEid: 40168,
        sender: hex32(),
        dstEid: 40161,
        receiver: hex32(),
      };
      const message = { type: "LOAN_REJECTED", loanId: hex32(), reason: "LtvTooHigh" } as const;
      const guid = computeGuid(header);
      await store.recordObserved({
        packet: encodePacket(header, encodeLoanMessage(message)),
        guid,
        srcEid: 40168,
        dstEid: 40161,
        nonce: 7n,
        // A Solana packet is named by its account (the watcher reads state).
        sourceTx: "7Y1wB3TbrcKAwbXrgBnvEzLDQzbYmjU4FF7CZxJ6C3Wg",
        sourceHeight: 9n,
        sourceIndex: 0,
      });
      await store.markVerified(guid, { loanId: message.loanId });
      await store.markDelivered(guid, { destTx: `0x${"AB".repeat(32)}` });

      const reply = await request(base, "GET", `/v1/packets/${guid}`);

      expect(reply.json).toMatchObject({
        messageType: "LOAN_REJECTED",
        srcChain: { name: "solana", eid: 40168 },
        sourceKind: "account",
        status: "delivered",
        links: {
          sourceTx: "https://solana.example/account/7Y1wB3TbrcKAwbXrgBnvEzLDQzbYmjU4FF7CZxJ6C3Wg",
          destTx: `https://evm.example/tx/0x${"AB".repeat(32)}`,
        },
      });
    });

    it("getPacket_unknownIs404_badGuidIs400", async () => {
      const unknown = hex32();
      const missing = await request(base, "GET", `/v1/packets/${unknown}`);
      const bad = await request(base, "GET", "/v1/packets/0x1234");
      const query = await request(base, "GET", `/v1/packets/${unknown}?verbose=1`);

      expect(missing.status).toBe(404);
      expect(missing.json).toEqual({
        error: { code: "not_found", message: `packet ${unknown} is not recorded` },
      });
      expect(bad.status).toBe(400);
      expect(bad.json).toEqual({
        error: {
          code: "invalid_parameter",
          message: "guid must be 0x followed by 64 hex digits",
          parameter: "guid",
        },
      });
      expect(query.json).toEqual({
        error: {
          code: "invalid_parameter",
          message: "unknown query parameter verbose",
          parameter: "verbose",
        },
      });
    });

    it("listPackets_filtersByStatusLoanAndLimit", async () => {
      const loanId = hex32();
      const [a, b, c] = [
        await packetIn("verified", loanId),
        await packetIn("failed", loanId),
        await packetIn("failed", loanId),
      ];

      const failed = await request(base, "GET", `/v1/packets?status=failed&loanId=${loanId}`);
      const limited = await request(base, "GET", `/v1/packets?loanId=${loanId}&limit=1`);
      const all = await request(base, "GET", `/v1/packets?loanId=${loanId}`);

      const guids = (reply: Reply) =>
        (reply.json.packets as { guid: string }[]).map((packet) => packet.guid);
      expect(failed.status).toBe(200);
      expect(guids(failed).sort()).toEqual([b, c].sort());
      expect(guids(limited)).toHaveLength(1);
      expect(guids(all).sort()).toEqual([a, b, c].sort());
    });

    it("listPackets_byTx_matchesSourceOrDestination_hexInAnyCase", async () => {
      const guid = await packetIn("delivered");
      const packet = await store.getPacket(guid);
      const sourceTx = packet?.sourceTx ?? "";

      const bySource = await request(
        base,
        "GET",
        `/v1/packets?tx=${sourceTx.toUpperCase().replace("0X", "0x")}`,
      );
      const byDest = await request(base, "GET", "/v1/packets?tx=0xdest&limit=500");
      const none = await request(base, "GET", `/v1/packets?tx=${hex32()}`);

      const guids = (reply: Reply) => (reply.json.packets as { guid: string }[]).map((p) => p.guid);
      expect(guids(bySource)).toEqual([guid]);
      expect(guids(byDest)).toContain(guid);
      expect(none.json).toEqual({ packets: [], nextCursor: null });
    });

    it("listPackets_cursorPages_coverEveryPacketOnce_evenWhenOneChangesBetweenPages", async () => {
      const loanId = hex32();
      const created: Hex[] = [];
      for (let i = 0; i < 5; i++) created.push(await packetIn("verified", loanId));

      const first = await request(base, "GET", `/v1/packets?loanId=${loanId}&limit=3`);
      const firstGuids = (first.json.packets as { guid: Hex }[]).map((p) => p.guid);
      // A packet of the first page changes: it moves to the front, behind the cursor.
      await store.markFailed(firstGuids[0] ?? hex32(), "changed between pages");
      const second = await request(
        base,
        "GET",
        `/v1/packets?loanId=${loanId}&limit=3&cursor=${String(first.json.nextCursor)}`,
      );

      const secondGuids = (second.json.packets as { guid: Hex }[]).map((p) => p.guid);
      expect(first.json.nextCursor).toEqual(expect.any(String));
      expect(second.json.nextCursor).toBeNull();
      expect([...firstGuids, ...secondGuids].sort()).toEqual([...created].sort());
    });

    it("listPackets_badTxOrCursor_is400", async () => {
      const cursor = Buffer.from(JSON.stringify(["yesterday", hex32()])).toString("base64url");
      const replies = await Promise.all(
        ["tx=a%20b", `tx=${"a".repeat(129)}`, "cursor=%2F%2F", `cursor=${cursor}`].map((query) =>
          request(base, "GET", `/v1/packets?${query}`),
        ),
      );

      expect(replies.map((reply) => [reply.status, reply.json.error])).toEqual([
        [400, expect.objectContaining({ parameter: "tx" })],
        [400, expect.objectContaining({ parameter: "tx" })],
        [
          400,
          expect.objectContaining({
            parameter: "cursor",
            message: "cursor is not one a list gave out",
          }),
        ],
        [400, expect.objectContaining({ parameter: "cursor" })],
      ]);
    });

    it("listPackets_badQuery_namesTheParameter", async () => {
      const cases = [
        "status=lost",
        "limit=0",
        "limit=501",
        "limit=abc",
        "limit=-1",
        "loanId=0x12",
        "statuss=failed",
        "status=failed&status=observed",
      ];
      const replies = await Promise.all(
        cases.map((query) => request(base, "GET", `/v1/packets?${query}`)),
      );

      expect(replies.map((reply) => reply.status)).toEqual(cases.map(() => 400));
      expect(Object.fromEntries(cases.map((query, index) => [query, replies[index]?.json.error])))
        .toMatchInlineSnapshot(`
        {
          "limit=-1": {
            "code": "invalid_parameter",
            "message": "limit must be a whole number",
            "parameter": "limit",
          },
          "limit=0": {
            "code": "invalid_parameter",
            "message": "limit must be from 1 to 500",
            "parameter": "limit",
          },
          "limit=501": {
            "code": "invalid_parameter",
            "message": "limit must be from 1 to 500",
            "parameter": "limit",
          },
          "limit=abc": {
            "code": "invalid_parameter",
            "message": "limit must be a whole number",
            "parameter": "limit",
          },
          "loanId=0x12": {
            "code": "invalid_parameter",
            "message": "loanId must be 0x followed by 64 hex digits",
            "parameter": "loanId",
          },
          "status=failed&status=observed": {
            "code": "invalid_parameter",
            "message": "status is given more than once",
            "parameter": "status",
          },
          "status=lost": {
            "code": "invalid_parameter",
            "message": "status must be one of observed, verified, attested, delivering, delivered, failed, denied",
            "parameter": "status",
          },
          "statuss=failed": {
            "code": "invalid_parameter",
            "message": "unknown query parameter statuss",
            "parameter": "statuss",
          },
        }
      `);
    });
  });

  describe("attestations", () => {
    it("attestations_areThisRelayersOnly", async () => {
      const guid = hex32();
      const signature: Hex = `0x${"ab".repeat(65)}`;
      await store.putAttestation({
        guid,
        signer: OWN_SIGNER,
        epoch: 2n ** 64n - 1n,
        digest: hex32(),
        signature,
      });
      await store.putAttestation({ guid, signer: "0xPeer", epoch: 1n, digest: hex32(), signature });

      const reply = await request(base, "GET", `/v1/attestations/${guid}`);
      const none = await request(base, "GET", `/v1/attestations/${hex32()}`);
      const bad = await request(base, "GET", "/v1/attestations/nope");

      expect(reply.status).toBe(200);
      expect(reply.json).toMatchObject({
        guid,
        attestations: [{ guid, signer: OWN_SIGNER, epoch: "18446744073709551615", signature }],
      });
      expect(reply.json.attestations).toHaveLength(1);
      expect(none.json).toMatchObject({ attestations: [] });
      expect(bad.status).toBe(400);
      expect((bad.json.error as { parameter: string }).parameter).toBe("guid");
    });

    it("attestationBatch_everyGuidAskedFor_thisRelayersOnly", async () => {
      const [first, second, unknown] = [hex32(), hex32(), hex32()];
      const signature: Hex = `0x${"cd".repeat(65)}`;
      for (const guid of [first, second]) {
        await store.putAttestation({
          guid,
          signer: OWN_SIGNER,
          epoch: 3n,
          digest: hex32(),
          signature,
        });
        await store.putAttestation({
          guid,
          signer: "0xPeer",
          epoch: 3n,
          digest: hex32(),
          signature,
        });
      }

      const reply = await request(
        base,
        "GET",
        `/v1/attestations?guids=${first},${second.toUpperCase().replace("0X", "0x")},${unknown}`,
      );

      expect(reply.status).toBe(200);
      const attestations = reply.json.attestations as { guid: string; signer: string }[];
      expect(attestations.map((a) => [a.guid, a.signer]).sort()).toEqual(
        [
          [first, OWN_SIGNER],
          [second, OWN_SIGNER],
        ].sort(),
      );
    });

    it("attestationBatch_badInput_is400NamingTheQuery", async () => {
      const cases: Record<string, string> = {
        missing: "/v1/attestations",
        empty: "/v1/attestations?guids=",
        notAGuid: "/v1/attestations?guids=nope",
        emptyItem: `/v1/attestations?guids=${hex32()},,${hex32()}`,
        tooMany: `/v1/attestations?guids=${Array.from({ length: 101 }, () => hex32()).join(",")}`,
        unknownParameter: `/v1/attestations?guids=${hex32()}&x=1`,
      };
      const answers: Record<string, unknown> = {};
      for (const [name, path] of Object.entries(cases)) {
        const reply = await request(base, "GET", path);
        answers[name] = [reply.status, (reply.json.error as { message: string }).message];
      }
      expect(answers).toMatchInlineSnapshot(`
        {
          "empty": [
            400,
            "each guid must be 0x followed by 64 hex digits",
          ],
          "emptyItem": [
            400,
            "each guid must be 0x followed by 64 hex digits",
          ],
          "missing": [
            400,
            "guids: list the packet guids, comma-separated",
          ],
          "notAGuid": [
            400,
            "each guid must be 0x followed by 64 hex digits",
          ],
          "tooMany": [
            400,
            "guids must list at most 100",
          ],
          "unknownParameter": [
            400,
            "unknown query parameter x",
          ],
        }
      `);
    });
  });

  describe("pushed attestations", () => {
    const attestation = (overrides: Record<string, unknown> = {}) => ({
      guid: hex32(),
      signer: PEER_SIGNER,
      epoch: "18446744073709551615",
      digest: hex32(),
      signature: `0x${"ab".repeat(65)}`,
      ...overrides,
    });
    const post = (body: unknown, path = "/v1/attestations") =>
      request(base, "POST", path, {
        headers: { "content-type": "application/json" },
        body: typeof body === "string" ? body : JSON.stringify(body),
      });

    it("push_handsEachToThePipeline_withExactNumbers_andSaysHowManyItKept", async () => {
      pushed.length = 0;
      const [peer, stranger] = [
        attestation(),
        attestation({ signer: Wallet.createRandom().address }),
      ];
      const guid = peer.guid.toUpperCase().replace("0X", "0x");

      const reply = await post({ attestations: [{ ...peer, guid }, stranger] });

      expect(reply.status).toBe(200);
      expect(reply.json).toEqual({ received: 2, accepted: 1 });
      expect(pushed).toEqual([
        [
          { ...peer, epoch: 2n ** 64n - 1n },
          { ...stranger, epoch: 2n ** 64n - 1n },
        ],
      ]);
    });

    it("push_badInput_is400NamingTheBody_andNothingReachesThePipeline", async () => {
      pushed.length = 0;
      const cases: Record<string, unknown> = {
        notJson: "{",
        noList: {},
        emptyList: { attestations: [] },
        tooMany: { attestations: Array.from({ length: 101 }, () => attestation()) },
        badGuid: { attestations: [attestation({ guid: "0x12" })] },
        badSigner: { attestations: [attestation({ signer: "not a signer!" })] },
        epochNotDecimal: { attestations: [attestation({ epoch: "0x10" })] },
        epochNumber: { attestations: [attestation({ epoch: 3 })] },
        shortSignature: { attestations: [attestation({ signature: "0xabcd" })] },
        unknownField: { attestations: [attestation()], extra: 1 },
      };
      const answers: Record<string, unknown> = {};
      for (const [name, body] of Object.entries(cases)) {
        const reply = await post(body);
        answers[name] = [reply.status, (reply.json.error as { message: string }).message];
      }
      const withQuery = await post({ attestations: [attestation()] }, "/v1/attestations?x=1");
      // Past the body limit of this server; the limit of 100 holds below it.
      const hundredAndOne = pushedAttestationsBody.safeParse({
        attestations: Array.from({ length: 101 }, () => attestation()),
      });

      expect(withQuery.status).toBe(400);
      expect(hundredAndOne.error?.issues[0]?.message).toBe("attestations must list at most 100");
      expect(pushed).toEqual([]);
      expect(answers).toMatchInlineSnapshot(`
        {
          "badGuid": [
            400,
            "guid must be 0x followed by 64 hex digits",
          ],
          "badSigner": [
            400,
            "signer must be an EVM address or a base58 key",
          ],
          "emptyList": [
            400,
            "attestations must list at least one",
          ],
          "epochNotDecimal": [
            400,
            "epoch must be a whole number, in decimal",
          ],
          "epochNumber": [
            400,
            "epoch must be a whole number, in decimal",
          ],
          "noList": [
            400,
            "attestations must be a list of attestations",
          ],
          "notJson": [
            400,
            "the body is not valid JSON",
          ],
          "shortSignature": [
            400,
            "signature must be 0x followed by 128 or 130 hex digits",
          ],
          "tooMany": [
            413,
            "the body is larger than 1024 bytes",
          ],
          "unknownField": [
            400,
            "unknown field extra",
          ],
        }
      `);
    });

    it("push_toARelayerThatTakesNone_is404", async () => {
      const other = createApiServer({
        config: { host: "127.0.0.1", port: 0, maxBodyBytes: 1_024 },
        store,
        registry: createMetrics({ defaultMetrics: false }).registry,
      });
      const { url } = await other.listen();
      try {
        const reply = await request(url, "POST", "/v1/attestations", {
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ attestations: [attestation()] }),
        });
        expect(reply.status).toBe(404);
        expect((reply.json.error as { message: string }).message).toBe(
          "this relayer takes no pushed attestations",
        );
      } finally {
        await other.close();
      }
    });
  });

  describe("loans", () => {
    const borrower = Wallet.createRandom().address;
    const recipient = encodeBase58(randomBytes(32));

    /** A loan from EVM collateral to a Solana pool, as the mirror records it. */
    async function loanOf(options: { collateralAsset?: string; borrower?: string } = {}) {
      const loanId = hex32();
      const ids = { loanId, collateralEid: 40161, lendingEid: 40168 };
      await store.upsertLoan({
        ...ids,
        side: "vault",
        state: "Requested",
        borrower: bytes32FromNative(options.borrower ?? borrower) ?? "",
        recipient: bytes32FromNative(recipient) ?? "",
        collateralAsset: options.collateralAsset ?? `0x${"00".repeat(32)}`,
        collateralAmount: 15n * 10n ** 17n,
        principal: 1_234_500_000n,
      });
      await store.upsertLoan({
        ...ids,
        side: "pool",
        state: "Active",
        principal: 1_234_500_000n,
        rateBps: 800,
        dueAt: new Date("2027-01-02T03:04:05Z"),
      });
      return loanId;
    }

    it("getLoan_isTheLoanView_nativeAddressesAmountsWithDecimalsLowerCaseStates", async () => {
      const loanId = await loanOf();

      const reply = await request(base, "GET", `/v1/loans/${loanId}`);

      const loan = await store.getLoan(loanId);
      expect(reply.status).toBe(200);
      expect(reply.json).toEqual({
        loanId,
        borrower,
        recipient,
        collateralChain: { name: "evm", eid: 40161 },
        lendingChain: { name: "solana", eid: 40168 },
        vaultState: "requested",
        poolState: "active",
        agrees: false,
        collateral: { units: "1500000000000000000", decimals: 18, symbol: "ETH", formatted: "1.5" },
        principal: { units: "1234500000", decimals: 6, symbol: "USDC", formatted: "1234.5" },
        rateBps: 800,
        dueAt: "2027-01-02T03:04:05.000Z",
        installments: 1,
        updatedAt: loan?.updatedAt.toISOString(),
        vaultUpdatedAt: loan?.vaultUpdatedAt?.toISOString(),
        poolUpdatedAt: loan?.poolUpdatedAt?.toISOString(),
        links: {
          self: `/v1/loans/${loanId}`,
          packets: `/v1/packets?loanId=${loanId}`,
          schedule: `/v1/loans/${loanId}/schedule`,
        },
      });
    });

    it("getSchedule_eachInstallmentWithItsAmountsAndState_paidLateDueOverdue", async () => {
      const loanId = await loanOf();
      const day = (n: number) => new Date(Date.UTC(2026, 0, n));
      const far = new Date(Date.now() + 86_400_000);
      await store.recordLoanSchedule(loanId, {
        installments: 4,
        periodSeconds: 86_400n,
        installmentAmount: 310_000_000n,
        startAt: day(1),
        dues: [
          { dueAt: day(2), amountDue: 310_000_000n },
          { dueAt: day(3), amountDue: 310_000_000n },
          { dueAt: day(4), amountDue: 310_000_000n },
          { dueAt: far, amountDue: 309_999_000n },
        ],
      });
      await store.recordInstallmentPayments(loanId, [
        { index: 1, amount: 310_000_000n, paidAt: day(2), remainingPrincipal: 930_000_000n },
        { index: 2, amount: 310_000_000n, paidAt: day(5), remainingPrincipal: 620_000_000n },
      ]);

      const reply = await request(base, "GET", `/v1/loans/${loanId}/schedule`);

      expect(reply.status).toBe(200);
      expect(reply.json).toMatchObject({
        loanId,
        installments: 4,
        periodSeconds: "86400",
        installmentAmount: { units: "310000000", decimals: 6, symbol: "USDC", formatted: "310" },
        startAt: day(1).toISOString(),
      });
      const items = (reply.json as { items: { state: string; paid: unknown }[] }).items;
      expect(items.map((item) => item.state)).toEqual(["paid", "paid_late", "overdue", "due"]);
      expect(items[0]).toEqual({
        index: 1,
        dueAt: day(2).toISOString(),
        amountDue: { units: "310000000", decimals: 6, symbol: "USDC", formatted: "310" },
        paid: { units: "310000000", decimals: 6, symbol: "USDC", formatted: "310" },
        paidAt: day(2).toISOString(),
        remainingPrincipal: { units: "930000000", decimals: 6, symbol: "USDC", formatted: "930" },
        state: "paid",
      });
      expect(items[2]?.paid).toBeNull();
    });

    it("getSchedule_badIdUnknownLoanOrNotReadYet_400And404", async () => {
      const loanId = await loanOf();
      expect((await request(base, "GET", "/v1/loans/0x12/schedule")).status).toBe(400);
      expect((await request(base, "GET", `/v1/loans/${loanId}/schedule?x=1`)).status).toBe(400);
      expect((await request(base, "GET", `/v1/loans/${hex32()}/schedule`)).status).toBe(404);
      const notRead = await request(base, "GET", `/v1/loans/${loanId}/schedule`);
      expect(notRead.status).toBe(404);
      expect(JSON.stringify(notRead.json)).toContain("not recorded yet");
    });

    it("getLoan_unknownAsset_hasNoDecimals_neverAGuess", async () => {
      const loanId = await loanOf({ collateralAsset: hex32() });

      const reply = await request(base, "GET", `/v1/loans/${loanId}`);

      expect(reply.json.collateral).toEqual({
        units: "1500000000000000000",
        decimals: null,
        symbol: null,
        formatted: null,
      });
    });

    it("listLoans_byLowerCaseStateAndBorrowerInAnyForm", async () => {
      const own = Wallet.createRandom().address;
      const loanId = await loanOf({ borrower: own });
      await store.upsertLoan({
        loanId,
        collateralEid: 40161,
        lendingEid: 40168,
        side: "vault",
        state: "Active",
      });
      const ids = (reply: Reply) => (reply.json.loans as { loanId: string }[]).map((l) => l.loanId);

      const active = await request(base, "GET", `/v1/loans?state=active&borrower=${own}`);
      const lower = await request(base, "GET", `/v1/loans?borrower=${own.toLowerCase()}`);
      const requested = await request(base, "GET", `/v1/loans?state=requested&borrower=${own}`);
      const byRecipient = await request(base, "GET", `/v1/loans?borrower=${recipient}&limit=500`);

      expect(ids(active)).toEqual([loanId]);
      expect(active.json.nextCursor).toBeNull();
      expect(ids(lower)).toEqual([loanId]);
      expect(ids(requested)).toEqual([]);
      expect(ids(byRecipient)).toContain(loanId);
    });

    it("listLoans_cursorPages_coverEveryLoanOnce", async () => {
      const own = Wallet.createRandom().address;
      const created = new Set<string>();
      for (let i = 0; i < 5; i++) created.add(await loanOf({ borrower: own }));

      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = cursor === null ? "" : `&cursor=${cursor}`;
        const reply = await request(base, "GET", `/v1/loans?borrower=${own}&limit=2${query}`);
        expect(reply.status).toBe(200);
        seen.push(...(reply.json.loans as { loanId: string }[]).map((loan) => loan.loanId));
        cursor = reply.json.nextCursor as string | null;
        pages += 1;
      } while (cursor !== null);

      expect(pages).toBe(3);
      expect(seen).toHaveLength(5);
      expect(new Set(seen)).toEqual(created);
    });

    it("loans_badInput_is400NamingTheParameter_unknownIs404", async () => {
      const cases = [
        "state=Active",
        "state=happy",
        "borrower=0x1234",
        "borrower=not-an-address",
        "cursor=abc",
        "limit=0",
        "owner=x",
      ];
      const replies = await Promise.all(
        cases.map((query) => request(base, "GET", `/v1/loans?${query}`)),
      );
      const id = await request(base, "GET", "/v1/loans/0xnothex");
      const missing = await request(base, "GET", `/v1/loans/${hex32()}`);

      expect(replies.map((reply) => reply.status)).toEqual(cases.map(() => 400));
      expect(Object.fromEntries(cases.map((query, index) => [query, replies[index]?.json.error])))
        .toMatchInlineSnapshot(`
        {
          "borrower=0x1234": {
            "code": "invalid_parameter",
            "message": "borrower must be an EVM address (0x + 40 hex digits) or a Solana address (base58)",
            "parameter": "borrower",
          },
          "borrower=not-an-address": {
            "code": "invalid_parameter",
            "message": "borrower must be an EVM address (0x + 40 hex digits) or a Solana address (base58)",
            "parameter": "borrower",
          },
          "cursor=abc": {
            "code": "invalid_parameter",
            "message": "cursor is not one a list gave out",
            "parameter": "cursor",
          },
          "limit=0": {
            "code": "invalid_parameter",
            "message": "limit must be from 1 to 500",
            "parameter": "limit",
          },
          "owner=x": {
            "code": "invalid_parameter",
            "message": "unknown query parameter owner",
            "parameter": "owner",
          },
          "state=Active": {
            "code": "invalid_parameter",
            "message": "state must be one of requested, active, released, refunded, seized, repaid, rejected, defaulted, liquidated",
            "parameter": "state",
          },
          "state=happy": {
            "code": "invalid_parameter",
            "message": "state must be one of requested, active, released, refunded, seized, repaid, rejected, defaulted, liquidated",
            "parameter": "state",
          },
        }
      `);
      expect(id.status).toBe(400);
      expect((id.json.error as { parameter: string }).parameter).toBe("loanId");
      expect(missing.status).toBe(404);
    });
  });

  describe("status", () => {
    it("status_chainsFromTheDaemonAndTheStore_packetCounts", async () => {
      await store.setCursor(40161, 99n);

      const reply = await request(base, "GET", "/v1/status");

      expect(reply.status).toBe(200);
      expect(reply.json).toEqual({
        relayerId: "relayer-test",
        chains: [
          {
            chain: { name: "evm", eid: 40161 },
            head: "130",
            finalized: "100",
            cursor: "99",
            finalityLag: "30",
            lastPollAt: "2026-01-02T03:04:05.000Z",
            explorer: {
              tx: "https://evm.example/tx/{tx}",
              address: "https://evm.example/address/{address}",
            },
          },
          {
            chain: { name: "solana", eid: 40168 },
            head: null,
            finalized: null,
            cursor: null,
            finalityLag: null,
            lastPollAt: null,
            explorer: {
              tx: "https://solana.example/tx/{tx}",
              address: "https://solana.example/account/{address}",
            },
          },
        ],
        packets: await store.countPacketsByStatus(),
      });
      const bad = await request(base, "GET", "/v1/status?verbose=1");
      expect(bad.status).toBe(400);
    });
  });

  describe("admin actions", () => {
    it("retry_withoutOrWithWrongToken_is401", async () => {
      const guid = await packetIn("failed");

      const none = await request(base, "POST", `/v1/packets/${guid}/retry`);
      const wrong = await request(base, "POST", `/v1/packets/${guid}/retry`, {
        headers: { authorization: `Bearer ${TOKEN}x` },
      });
      const basic = await request(base, "POST", `/v1/packets/${guid}/retry`, {
        headers: { authorization: `Basic ${Buffer.from(`a:${TOKEN}`).toString("base64")}` },
      });

      for (const reply of [none, wrong, basic]) {
        expect(reply.status).toBe(401);
        expect(reply.headers["www-authenticate"]).toBe('Bearer realm="loanbridge"');
        expect(reply.json.error).toEqual({
          code: "unauthorized",
          message: "a valid `Authorization: Bearer <admin token>` header is required",
        });
      }
      expect((await store.getPacket(guid))?.status).toBe("failed");
    });

    it("retry_requeuesAFailedPacket_andAudits", async () => {
      const guid = await packetIn("failed");

      const reply = await request(
        base,
        "POST",
        `/v1/packets/${guid}/retry`,
        admin({ actor: "alice", reason: "rpc fixed" }),
      );

      expect(reply.status).toBe(200);
      expect(reply.json).toMatchObject({ guid, status: "observed", attempts: 0 });
      const [entry] = await store.listAudit({ subject: guid, limit: 5 });
      expect(entry).toMatchObject({
        actor: "alice",
        action: "packet.retry",
        subject: guid,
        detail: { from: "failed", reason: "rpc fixed", remoteAddress: "127.0.0.1" },
      });
      expect(actions).toContain(`retry ${guid} alice`);
    });

    it("retry_emptyBody_isAllowed", async () => {
      const guid = await packetIn("failed");

      const reply = await request(base, "POST", `/v1/packets/${guid}/retry`, admin());

      expect(reply.status).toBe(200);
      expect((await store.listAudit({ subject: guid, limit: 1 }))[0]?.actor).toBe("admin");
    });

    it("retry_ofDeliveredPacket_is409_unknownIs404_badGuidIs400", async () => {
      const delivered = await packetIn("delivered");
      const unknown = hex32();

      const conflict = await request(base, "POST", `/v1/packets/${delivered}/retry`, admin({}));
      const missing = await request(base, "POST", `/v1/packets/${unknown}/retry`, admin({}));
      const bad = await request(base, "POST", "/v1/packets/0xabc/retry", admin({}));

      expect(conflict.status).toBe(409);
      expect(conflict.json.error).toEqual({
        code: "invalid_transition",
        message: `packet ${delivered} is delivered and cannot become observed`,
      });
      expect(missing.status).toBe(404);
      expect(bad.status).toBe(400);
      expect(await store.listAudit({ subject: delivered, limit: 5 })).toEqual([]);
    });

    it("deny_needsAReason_thenDeniesAndAudits", async () => {
      const guid = await packetIn("observed");

      const noReason = await request(base, "POST", `/v1/packets/${guid}/deny`, admin({}));
      const extra = await request(
        base,
        "POST",
        `/v1/packets/${guid}/deny`,
        admin({ reason: "x", force: true }),
      );
      const denied = await request(
        base,
        "POST",
        `/v1/packets/${guid}/deny`,
        admin({ reason: "suspicious sender" }),
      );

      expect(noReason.status).toBe(400);
      expect(noReason.json.error).toEqual({
        code: "invalid_parameter",
        message: "reason is required: say why the packet is denied",
        parameter: "reason",
      });
      expect(extra.json.error).toMatchObject({
        message: "unknown field force",
        parameter: "force",
      });
      expect(denied.status).toBe(200);
      expect(denied.json).toMatchObject({
        status: "denied",
        lastError: "denied: suspicious sender",
      });
      expect((await store.listAudit({ subject: guid, limit: 5 }))[0]).toMatchObject({
        action: "packet.deny",
        detail: { from: "observed", reason: "suspicious sender" },
      });
    });

    it("bodyTooLarge_is413_declaredOrStreamed", async () => {
      const guid = await packetIn("failed");
      const big = JSON.stringify({ reason: "x".repeat(2_000) });

      const declared = await request(
        base,
        "POST",
        `/v1/packets/${guid}/retry`,
        admin({ reason: "x".repeat(2_000) }),
      );
      const streamed = await request(base, "POST", `/v1/packets/${guid}/retry`, {
        headers: { authorization: `Bearer ${TOKEN}`, "transfer-encoding": "chunked" },
        chunks: [big.slice(0, 600), big.slice(600)],
      });

      expect(declared.status).toBe(413);
      expect(declared.json.error).toEqual({
        code: "body_too_large",
        message: "the body is larger than 1024 bytes",
      });
      expect(streamed.status).toBe(413);
      expect((await store.getPacket(guid))?.status).toBe("failed");
    });

    it("badJsonBody_is400", async () => {
      const guid = await packetIn("failed");

      const reply = await request(base, "POST", `/v1/packets/${guid}/retry`, {
        headers: { authorization: `Bearer ${TOKEN}` },
        body: "{reason:",
      });

      expect(reply.status).toBe(400);
      expect(reply.json.error).toEqual({
        code: "invalid_parameter",
        message: "the body is not valid JSON",
        parameter: "body",
      });
    });

    it("noTokenConfigured_adminEndpointsAre403", async () => {
      const readOnly = createApiServer({
        config: { host: "127.0.0.1", port: 0, maxBodyBytes: 1_024 },
        store,
        registry: createMetrics({ defaultMetrics: false }).registry,
      });
      const { url } = await readOnly.listen();
      try {
        const guid = await packetIn("failed");
        const reply = await request(url, "POST", `/v1/packets/${guid}/retry`, admin({}));

        expect(reply.status).toBe(403);
        expect(reply.json.error).toEqual({
          code: "admin_disabled",
          message: "admin endpoints are disabled: no api.adminToken is configured",
        });
      } finally {
        await readOnly.close();
      }
    });

    it("token_neverAppearsInLogs", async () => {
      await request(base, "POST", `/v1/packets/${hex32()}/retry`, admin({}));

      expect(logText).toContain('"message":"api request"');
      expect(logText).not.toContain(TOKEN);
    });
  });

  describe("routing", () => {
    it("unknownRoute_is404_wrongMethod_is405WithAllow", async () => {
      const unknown = await request(base, "GET", "/v2/packets");
      const trailing = await request(base, "GET", "/healthz/");
      const postHealth = await request(base, "POST", "/healthz");
      const getRetry = await request(base, "GET", `/v1/packets/${hex32()}/retry`);
      const deletePacket = await request(base, "DELETE", `/v1/packets/${hex32()}`);
      const head = await request(base, "HEAD", "/healthz");

      expect(unknown.status).toBe(404);
      expect(unknown.json.error).toEqual({
        code: "not_found",
        message: "no route for /v2/packets",
      });
      expect(trailing.status).toBe(404);
      expect(postHealth.status).toBe(405);
      expect(postHealth.headers.allow).toBe("GET, HEAD");
      expect(postHealth.json.error).toEqual({
        code: "method_not_allowed",
        message: "POST is not allowed here; use GET, HEAD",
      });
      expect(getRetry.status).toBe(405);
      expect(getRetry.headers.allow).toBe("POST");
      expect(deletePacket.status).toBe(405);
      expect(head.status).toBe(200);
      expect(head.text).toBe("");
    });
  });
});

describe("listen", () => {
  it("portInUse_isAnApiPortInUseErrorNamingTheSetting", async () => {
    const squatter = createNetServer();
    await new Promise<void>((resolve) => squatter.listen(0, "127.0.0.1", resolve));
    const { port } = squatter.address() as AddressInfo;
    const api = createApiServer({
      config: { host: "127.0.0.1", port, maxBodyBytes: 1_024 },
      store: {} as unknown as Store,
      registry: createMetrics({ defaultMetrics: false }).registry,
    });
    try {
      const error: unknown = await api.listen().then(
        () => undefined,
        (caught: unknown) => caught,
      );

      expect(error).toBeInstanceOf(ApiPortInUseError);
      expect((error as ApiPortInUseError).shortMessage).toBe(
        `api.port ${port} on 127.0.0.1 is in use (set api.port or LOANBRIDGE_API_PORT)`,
      );
      expect(api.server.listening).toBe(false);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });
});
