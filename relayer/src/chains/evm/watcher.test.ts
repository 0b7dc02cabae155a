// The watcher's range logic against a scripted chain (a fake fetch that
// serves eth_getLogs with a provider-style block-range limit). Real nodes,
// finality and reorgs are in watcher.chain-test.ts.
import { addressToWire, decodePacket, encodePacket } from "@loanbridge/shared";
import { AbiCoder, getAddress, id, toBeHex, zeroPadValue } from "ethers";
import { beforeEach, describe, expect, it } from "vitest";
import type { ObservedPacket, PathCursor } from "../types.ts";
import { endpointInterface } from "./endpointAbi.ts";
import { PACKET_SENT_TOPIC } from "./proof.ts";
import { JsonRpc, RpcError, RpcQuorumError, toQuantity } from "../rpc.ts";
import type { EvmLog } from "./schemas.ts";
import { EvmPacketWatcher, isRangeLimitError } from "./watcher.ts";

const ENDPOINT = "0x00000000000000000000000000000000000000e1";
const APP = "0x00000000000000000000000000000000000000a1";
const PEER = "0x00000000000000000000000000000000000000b2";
const URL_ = "http://chain.test";

let nonce = 0n;
// Each test's packets are nonces 1, 2, 3… of one path, as the endpoint numbers them.
beforeEach(() => {
  nonce = 0n;
});
function packetSentLog(block: bigint, logIndex: number, address = ENDPOINT): EvmLog {
  nonce++;
  const packet = encodePacket(
    {
      nonce,
      srcEid: 40161,
      sender: addressToWire(APP),
      dstEid: 40168,
      receiver: addressToWire(PEER),
    },
    "0x01",
  );
  return {
    address,
    topics: [
      PACKET_SENT_TOPIC,
      decodePacket(packet).guid,
      zeroPadValue(toBeHex(40168), 32),
      zeroPadValue(APP, 32),
    ],
    data: AbiCoder.defaultAbiCoder().encode(["bytes", "uint64"], [packet, nonce]),
    logIndex: toQuantity(logIndex),
    blockNumber: toQuantity(block),
    blockHash: id(`block ${block}`),
    transactionHash: id(`tx ${block} ${logIndex}`),
    transactionIndex: "0x0",
    removed: false,
  };
}

interface Chain {
  latest: bigint;
  finalized: bigint | null;
  logs: EvmLog[];
  /** Largest block span eth_getLogs accepts. */
  limit: number;
  /** Spans asked for, in order. */
  asked: number[];
  /** What eth_getLogs returns instead of the filtered logs, if set. */
  override?: (from: bigint, to: bigint) => EvmLog[];
  /** Blocks `outboundNonce` was read at. */
  counterReads: bigint[];
  /** The node keeps no state for old blocks: `eth_call` there answers "0x". */
  stateless?: boolean;
}

/** The endpoint's `outboundNonce` at `block`: the highest nonce of the chain's real logs by then. */
function counterAt(state: Chain, block: bigint): bigint {
  let highest = 0n;
  for (const log of state.logs) {
    if (BigInt(log.blockNumber) > block || log.removed === true) continue;
    const [, logNonce] = AbiCoder.defaultAbiCoder().decode(
      ["bytes", "uint64"],
      log.data,
    ) as unknown as [string, bigint];
    if (logNonce > highest) highest = logNonce;
  }
  return highest;
}

function chain(partial: Partial<Chain> = {}): Chain {
  return {
    latest: 0n,
    finalized: 0n,
    logs: [],
    limit: Infinity,
    asked: [],
    counterReads: [],
    ...partial,
  };
}

/** A node answering from `state`. */
function nodeOf(state: Chain): typeof fetch {
  return (_input: string | URL | Request, init?: RequestInit) => {
    const {
      id: requestId,
      method,
      params,
    } = JSON.parse(init?.body as string) as {
      id: number;
      method: string;
      params: unknown[];
    };
    const answer = (body: object) =>
      Promise.resolve(new Response(JSON.stringify({ jsonrpc: "2.0", id: requestId, ...body })));
    if (method === "eth_blockNumber") return answer({ result: toQuantity(state.latest) });
    if (method === "eth_getBlockByNumber") {
      return answer({
        result: state.finalized === null ? null : { number: toQuantity(state.finalized) },
      });
    }
    if (method === "eth_getLogs") {
      const filter = params[0] as { fromBlock: string; toBlock: string; address: string };
      const from = BigInt(filter.fromBlock);
      const to = BigInt(filter.toBlock);
      const span = Number(to - from + 1n);
      state.asked.push(span);
      if (span > state.limit) {
        return answer({
          error: { code: -32005, message: `query exceeds max block range ${state.limit}` },
        });
      }
      const logs =
        state.override?.(from, to) ??
        state.logs.filter(
          (log) => BigInt(log.blockNumber) >= from && BigInt(log.blockNumber) <= to,
        );
      return answer({ result: logs });
    }
    if (method === "eth_call") {
      const [call, block] = params as [{ to: string; data: string }, string];
      const [app, dstEid, receiver] = endpointInterface.decodeFunctionData(
        "outboundNonce",
        call.data,
      );
      expect([call.to.toLowerCase(), app, dstEid, receiver]).toEqual([
        ENDPOINT,
        getAddress(APP),
        40168n,
        addressToWire(PEER),
      ]);
      state.counterReads.push(BigInt(block));
      if (state.stateless === true) return answer({ result: "0x" });
      const counter = counterAt(state, BigInt(block));
      return answer({
        result: endpointInterface.encodeFunctionResult("outboundNonce", [counter]),
      });
    }
    return answer({ error: { code: -32601, message: `no ${method}` } });
  };
}

function rpcFor(state: Chain): JsonRpc {
  return new JsonRpc({ chain: "test", urls: [URL_], fetch: nodeOf(state) });
}

/** One endpoint per state (`http://node0.test`, …), default quorum (2), dissent recorded. */
function rpcOver(states: readonly Chain[], dissent: string[] = []): JsonRpc {
  const urls = states.map((_, i) => `http://node${i}.test/`);
  const nodes = states.map(nodeOf);
  const route = ((input: string | URL | Request, init?: RequestInit) => {
    const url = input instanceof Request ? input.url : input.toString();
    const node = nodes[urls.indexOf(url)];
    if (node === undefined) throw new TypeError(`no node at ${url}`);
    return node(input, init);
  }) as typeof fetch;
  return new JsonRpc({
    chain: "test",
    urls,
    fetch: route,
    onDisagreement: ({ method, url }) => dissent.push(`${method}@${url}`),
  });
}

const watcherFor = (
  state: Chain,
  options: Partial<ConstructorParameters<typeof EvmPacketWatcher>[0]> = {},
) =>
  new EvmPacketWatcher({
    eid: 40161,
    rpc: rpcFor(state),
    endpoint: ENDPOINT,
    finality: { kind: "tag", tag: "finalized" },
    ...options,
  });

/** Polls until the cursor stops, keeping path cursors as the store does (never backwards). */
async function drain(watcher: EvmPacketWatcher, cursor: bigint) {
  const seen: ObservedPacket[] = [];
  const paths = new Map<string, PathCursor>();
  let polls = 0;
  for (;;) {
    const batch = await watcher.poll(cursor, { paths: [...paths.values()], gaps: [] });
    polls++;
    for (const moved of batch.paths ?? []) {
      const key = `${moved.app}:${moved.dstEid}:${moved.receiver}`;
      if (moved.nonce >= (paths.get(key)?.nonce ?? 0n)) paths.set(key, moved);
    }
    seen.push(...batch.packets);
    if (batch.scannedTo === cursor) return { seen, polls, cursor };
    expect(batch.scannedTo).toBeGreaterThan(cursor);
    cursor = batch.scannedTo;
  }
}

describe("poll", () => {
  it("cursorAtTheFinalizedHead_returnsAnEmptyBatchWithoutReadingLogs", async () => {
    const state = chain({ latest: 100n, finalized: 90n });
    expect(await watcherFor(state).poll(90n)).toEqual({
      packets: [],
      scannedTo: 90n,
      finalizedHead: 90n,
    });
    expect(state.asked).toEqual([]);
  });

  it("readsOnlyUpToTheFinalizedHead_neverLatest", async () => {
    const state = chain({
      latest: 100n,
      finalized: 90n,
      logs: [packetSentLog(90n, 0), packetSentLog(95n, 0)],
    });
    const batch = await watcherFor(state).poll(0n);
    expect(batch.scannedTo).toBe(90n);
    expect(batch.packets.map((p) => p.sourceHeight)).toEqual([90n]);
  });

  it("chainTooYoungForAFinalizedBlock_headIsGenesis", async () => {
    const state = chain({ latest: 3n, finalized: null });
    expect(await watcherFor(state).poll(0n)).toMatchObject({
      packets: [],
      scannedTo: 0n,
      finalizedHead: 0n,
    });
  });

  it("confirmationsMode_headIsLatestMinusConfirmations", async () => {
    const state = chain({
      latest: 100n,
      finalized: 100n,
      logs: [packetSentLog(94n, 0), packetSentLog(95n, 0)],
    });
    const batch = await watcherFor(state, {
      finality: { kind: "confirmations", confirmations: 6 },
    }).poll(0n);
    expect(batch).toMatchObject({ scannedTo: 94n, finalizedHead: 94n });
    expect(batch.packets).toHaveLength(1);
  });

  it("packets_comeInBlockAndLogOrder_withTheirSourceCoordinates", async () => {
    const logs = [packetSentLog(7n, 3), packetSentLog(5n, 1), packetSentLog(7n, 0)];
    const state = chain({ latest: 10n, finalized: 10n, override: () => logs });
    const batch = await watcherFor(state).poll(0n);
    expect(batch.packets.map((p) => [p.sourceHeight, p.sourceIndex])).toEqual([
      [5n, 1],
      [7n, 0],
      [7n, 3],
    ]);
    const [first] = batch.packets;
    expect(first).toMatchObject({
      srcEid: 40161,
      dstEid: 40168,
      sourceTx: logs[1]?.transactionHash,
    });
    expect(decodePacket(first?.packet ?? new Uint8Array()).guid).toBe(first?.guid);
  });

  it("logsALyingProviderAddsOutsideTheFilter_areIgnored", async () => {
    const removed = { ...packetSentLog(4n, 1), removed: true };
    const logs = [
      packetSentLog(4n, 0),
      packetSentLog(4n, 2, "0x00000000000000000000000000000000000000ff"),
      packetSentLog(50n, 0),
      removed,
    ];
    const state = chain({ latest: 10n, finalized: 10n, override: () => logs });
    const batch = await watcherFor(state).poll(0n);
    expect(batch.packets.map((p) => [p.sourceHeight, p.sourceIndex])).toEqual([[4n, 0]]);
  });

  it("packetSentWhoseTopicsContradictItsData_isSkippedAndReported", async () => {
    const bad = packetSentLog(4n, 0);
    bad.topics[1] = id("another guid");
    const skipped: string[] = [];
    const state = chain({ latest: 10n, finalized: 10n, logs: [bad, packetSentLog(5n, 0)] });
    const batch = await watcherFor(state, {
      onSkippedLog: (_log, reason) => skipped.push(reason),
    }).poll(0n);
    expect(batch.packets).toHaveLength(1);
    expect(skipped).toEqual([expect.stringMatching(/topics do not match/) as string]);
  });
});

describe("nonce gaps", () => {
  const path = { app: addressToWire(APP), dstEid: 40168, receiver: addressToWire(PEER) };
  beforeEach(() => {
    // Each chain here starts from the endpoint's first nonce.
    nonce = 0n;
  });

  it("everyLogThere_noGap_andThePathCursorMovesToTheEndpointsCounterAtTheRangeEnd", async () => {
    const logs = [packetSentLog(3n, 0), packetSentLog(5n, 0)];
    const state = chain({ latest: 10n, finalized: 10n, logs });
    const batch = await watcherFor(state).poll(0n);
    expect(batch.gaps).toEqual([]);
    expect(batch.paths).toEqual([{ ...path, nonce: nonce }]);
    expect(state.counterReads).toEqual([10n]);
  });

  it("providerHidingALog_isAGapAtThatNonce", async () => {
    const logs = [packetSentLog(3n, 0), packetSentLog(5n, 0), packetSentLog(7n, 0)];
    const hidden = nonce - 1n;
    const state = chain({
      latest: 10n,
      finalized: 10n,
      logs,
      override: () => [logs[0], logs[2]].filter((log) => log !== undefined),
    });
    const batch = await watcherFor(state).poll(0n);
    expect(batch.packets).toHaveLength(2);
    expect(batch.gaps).toEqual([
      { ...path, nonce: hidden, reason: "no PacketSent log up to block 10" },
    ]);
    // Neither cursor passes the hidden packet: its block (5) is read again next poll.
    expect(batch.paths).toEqual([{ ...path, nonce: hidden - 1n }]);
    expect(batch.scannedTo).toBe(4n);
  });

  it("aPathFirstSeenMidChain_itsEarlierNoncesAreGaps_butDoNotHoldTheCursor", async () => {
    // Nonces 1 and 2 were sent before the cursor (blocks 3, 5): reading on cannot find them.
    const logs = [packetSentLog(3n, 0), packetSentLog(5n, 0), packetSentLog(7n, 0)];
    const state = chain({ latest: 10n, finalized: 10n, logs });
    const batch = await watcherFor(state).poll(5n);
    expect(batch.gaps?.map((gap) => gap.nonce)).toEqual([1n, 2n]);
    expect(batch).toMatchObject({ scannedTo: 10n, paths: [{ ...path, nonce: 3n }] });
  });

  it("providerHidingALog_holdsTheCursorBeforeItsBlock_untilTheLogShows", async () => {
    const logs = [packetSentLog(3n, 0), packetSentLog(5n, 0), packetSentLog(7n, 0)];
    let hiding = true;
    const state = chain({
      latest: 10n,
      finalized: 10n,
      logs,
      override: (from, to) =>
        logs.filter((log) => {
          const block = BigInt(log.blockNumber);
          return block >= from && block <= to && !(hiding && log === logs[1]);
        }),
    });
    const watcher = watcherFor(state);
    const first = await watcher.poll(0n);
    const again = await watcher.poll(first.scannedTo, { paths: first.paths ?? [], gaps: [] });
    expect(again).toMatchObject({ scannedTo: 4n, paths: [{ ...path, nonce: 1n }] });
    expect(again.gaps?.map((gap) => gap.nonce)).toEqual([2n]);

    hiding = false;
    const shown = await watcher.poll(again.scannedTo, { paths: again.paths ?? [], gaps: [] });
    expect(shown.packets.map((p) => p.nonce)).toEqual([2n, 3n]);
    expect(shown).toMatchObject({ scannedTo: 10n, gaps: [], paths: [{ ...path, nonce: 3n }] });
  });

  it("providerHidingTheLastLogOfAPathItKnows_isAGapToo_theCounterIsAhead", async () => {
    const first = packetSentLog(3n, 0);
    const last = packetSentLog(8n, 0);
    const state = chain({ latest: 10n, finalized: 10n, logs: [first, last] });
    state.override = () => [];
    const known = [{ ...path, nonce: nonce - 1n }];
    const batch = await watcherFor(state).poll(5n, { paths: known, gaps: [] });
    expect(batch.packets).toEqual([]);
    expect(batch.gaps?.map((gap) => gap.nonce)).toEqual([nonce]);
    expect(batch.paths).toEqual([{ ...path, nonce: nonce - 1n }]);
    expect(batch.scannedTo).toBe(7n);
  });

  it("nodeWithoutTheBlocksState_logsAloneTell_aSkippedNonceIsStillAGap", async () => {
    const logs = [packetSentLog(3n, 0), packetSentLog(5n, 0), packetSentLog(7n, 0)];
    const state = chain({
      latest: 10n,
      finalized: 10n,
      logs,
      stateless: true,
      override: () => [logs[0], logs[2]].filter((log) => log !== undefined),
    });
    const batch = await watcherFor(state).poll(0n);
    expect(batch.gaps?.map((gap) => gap.nonce)).toEqual([2n]);
    // Without the counter's history the gap's block is unknown: the cursors move on.
    expect(batch.paths).toEqual([{ ...path, nonce: 3n }]);
    expect(batch.scannedTo).toBe(10n);
  });

  it("nothingNewOnAKnownPath_readsItsCounter_andReportsNothing", async () => {
    const logs = [packetSentLog(3n, 0)];
    const state = chain({ latest: 10n, finalized: 10n, logs });
    const batch = await watcherFor(state).poll(5n, { paths: [{ ...path, nonce }], gaps: [] });
    expect(batch).toMatchObject({ packets: [], gaps: [], paths: [] });
    expect(state.counterReads).toEqual([10n]);
  });
});

describe("adaptive range", () => {
  it("providerLimit_halvesTheRangeUntilAccepted_thenGrowsBack", async () => {
    const state = chain({ latest: 100_000n, finalized: 100_000n, limit: 500 });
    const watcher = watcherFor(state);
    const first = await watcher.poll(0n);
    expect(state.asked).toEqual([2_000, 1_000, 500]);
    expect(first.scannedTo).toBe(500n);
    expect(watcher.range).toBe(625);
    await watcher.poll(first.scannedTo);
    expect(state.asked.slice(3)).toEqual([625, 312]);
  });

  it("catchUpAfterDowntime_takesSeveralBoundedPolls_andLosesOrRepeatsNothing", async () => {
    const logs: EvmLog[] = [];
    for (let block = 1n; block <= 20_000n; block += 137n)
      logs.push(packetSentLog(block, 0), packetSentLog(block, 1));
    const state = chain({ latest: 20_000n, finalized: 20_000n, logs, limit: 3_000 });
    const { seen, polls, cursor } = await drain(watcherFor(state, { range: { max: 4_000 } }), 0n);
    expect(cursor).toBe(20_000n);
    expect(polls).toBeGreaterThan(5);
    expect(seen.map((p) => p.guid)).toEqual(logs.map((log) => log.topics[1]));
    expect(Math.max(...state.asked)).toBeLessThanOrEqual(4_000);
  });

  it("growth_stopsAtMax", async () => {
    const state = chain({ latest: 1_000_000n, finalized: 1_000_000n });
    const watcher = watcherFor(state, { range: { initial: 100, max: 300 } });
    let cursor = 0n;
    for (let i = 0; i < 10; i++) cursor = (await watcher.poll(cursor)).scannedTo;
    expect(watcher.range).toBe(300);
    expect(Math.max(...state.asked)).toBe(300);
  });

  it("refusedEvenAtTheMinimum_throwsTheProviderError", async () => {
    const state = chain({ latest: 100n, finalized: 100n, limit: 0 });
    const error = await watcherFor(state, { range: { initial: 4, min: 1 } })
      .poll(0n)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpcQuorumError);
    expect((error as RpcQuorumError).errors[0]).toBeInstanceOf(RpcError);
    expect(state.asked).toEqual([4, 2, 1]);
  });

  it("isRangeLimitError_readsCommonProviderWording", () => {
    const rpcError = (code: number, message: string) =>
      new RpcError(message, { method: "eth_getLogs", url: "u", kind: "rpc_error", code });
    for (const message of [
      "query returned more than 10000 results",
      "block range is too large",
      "exceed maximum block range: 2000",
      "Log response size exceeded.",
    ]) {
      expect(isRangeLimitError(rpcError(-32000, message)), message).toBe(true);
    }
    expect(
      isRangeLimitError(rpcError(-32000, "invalid argument 0: hex string without 0x prefix")),
    ).toBe(false);
    expect(
      isRangeLimitError(new RpcError("t", { method: "eth_getLogs", url: "u", kind: "timeout" })),
    ).toBe(true);
  });

  it("badRangeConfig_isRejected", () => {
    expect(() => watcherFor(chain(), { range: { initial: 10, min: 20 } })).toThrow(RangeError);
    expect(() =>
      watcherFor(chain(), { finality: { kind: "confirmations", confirmations: -1 } }),
    ).toThrow(RangeError);
  });
});

describe("three providers, one lying", () => {
  const watcherOver = (rpc: JsonRpc) =>
    new EvmPacketWatcher({
      eid: 40161,
      rpc,
      endpoint: ENDPOINT,
      finality: { kind: "tag", tag: "finalized" },
    });

  it("aLiarHidingALog_isOutvoted_theLogIsSeenAndNoGap", async () => {
    const logs = [packetSentLog(3n, 0), packetSentLog(5n, 0)];
    const honest = () => chain({ latest: 10n, finalized: 10n, logs });
    const liar = chain({ latest: 10n, finalized: 10n, logs, override: () => logs.slice(0, 1) });
    const dissent: string[] = [];
    const batch = await watcherOver(rpcOver([liar, honest(), honest()], dissent)).poll(0n);
    expect(batch.packets.map((p) => p.nonce)).toEqual([nonce - 1n, nonce]);
    expect(batch.gaps).toEqual([]);
    expect(dissent).toEqual(["eth_getLogs@node0.test"]);
  });

  it("aLiarAddingALog_isOutvoted_theForgeryNeverReachesTheBatch", async () => {
    const real = packetSentLog(3n, 0);
    const forged = packetSentLog(4n, 0);
    const honest = () => chain({ latest: 10n, finalized: 10n, logs: [real] });
    const liar = chain({
      latest: 10n,
      finalized: 10n,
      logs: [real],
      override: () => [real, forged],
    });
    const batch = await watcherOver(rpcOver([honest(), liar, honest()])).poll(0n);
    expect(batch.packets.map((p) => p.sourceTx)).toEqual([real.transactionHash]);
  });

  it("aLiarReportingTheHeadFarAhead_cannotMoveUsPastTheQuorumsFinality", async () => {
    const honest = () => chain({ latest: 10n, finalized: 10n });
    const liar = chain({ latest: 10n, finalized: 1_000_000n });
    const batch = await watcherOver(rpcOver([liar, honest(), honest()])).poll(0n);
    expect(batch.finalizedHead).toBe(10n);
    expect(batch.scannedTo).toBe(10n);
  });

  it("aLiarReportingTheHeadStuckBehind_cannotHoldUsBack", async () => {
    const honest = () => chain({ latest: 10n, finalized: 10n });
    const liar = chain({ latest: 10n, finalized: 0n });
    const batch = await watcherOver(rpcOver([liar, honest(), honest()])).poll(0n);
    expect(batch.scannedTo).toBe(10n);
  });

  it("twoProvidersDisagreeingWithNoThird_holdTheCursor", async () => {
    const log = packetSentLog(3n, 0);
    const honest = chain({ latest: 10n, finalized: 10n, logs: [log] });
    const liar = chain({ latest: 10n, finalized: 10n, logs: [log], override: () => [] });
    await expect(watcherOver(rpcOver([liar, honest])).poll(0n)).rejects.toThrow(/disagree/);
  });
});
