import type { Hex } from "@loanbridge/shared";
import { describe, expect, it } from "vitest";
import { noPeerIfZero, PeerCache } from "./peer-cache.ts";

const APP: Hex = `0x${"11".repeat(32)}`;
const PEER: Hex = `0x${"22".repeat(32)}`;
const OTHER: Hex = `0x${"33".repeat(32)}`;

/** A cache on a clock the test moves, and a reader that counts its reads. */
function setup() {
  const clock = { now: 1_000 };
  const cache = new PeerCache(60_000, () => clock.now);
  const reads: number[] = [];
  const reader = (answer: () => Promise<Hex | undefined>) => (): Promise<Hex | undefined> => {
    reads.push(clock.now);
    return answer();
  };
  return { clock, cache, reads, reader };
}

describe("PeerCache", () => {
  it("readWithinTheTtl_isReused_andReadAgainAfterIt", async () => {
    const { clock, cache, reads, reader } = setup();
    let answer = PEER;
    const read = reader(() => Promise.resolve(answer));

    expect(await cache.peerOf(APP, 30101, read)).toBe(PEER);
    clock.now += 59_999;
    answer = OTHER;
    expect(await cache.peerOf(APP.toUpperCase() as Hex, 30101, read)).toBe(PEER);
    expect(reads).toHaveLength(1);

    clock.now += 1;
    expect(await cache.peerOf(APP, 30101, read)).toBe(OTHER);
    expect(reads).toHaveLength(2);
  });

  it("eachAppAndEid_hasItsOwnRead", async () => {
    const { cache, reads, reader } = setup();
    const read = reader(() => Promise.resolve(PEER));

    await cache.peerOf(APP, 30101, read);
    await cache.peerOf(APP, 30102, read);
    await cache.peerOf(OTHER, 30101, read);

    expect(reads).toHaveLength(3);
  });

  it("concurrentCalls_shareOneRead", async () => {
    const { cache, reads, reader } = setup();
    const read = reader(() => Promise.resolve(PEER));

    const answers = await Promise.all([1, 2, 3].map(() => cache.peerOf(APP, 30101, read)));

    expect(answers).toEqual([PEER, PEER, PEER]);
    expect(reads).toHaveLength(1);
  });

  it("failedRead_isNotKept_theNextCallReadsAgain", async () => {
    const { cache, reads, reader } = setup();
    const failing = reader(() => Promise.reject(new Error("no quorum")));

    await expect(cache.peerOf(APP, 30101, failing)).rejects.toThrow("no quorum");
    expect(
      await cache.peerOf(
        APP,
        30101,
        reader(() => Promise.resolve(PEER)),
      ),
    ).toBe(PEER);
    expect(reads).toHaveLength(2);
  });
});

describe("noPeerIfZero", () => {
  it("zeroIsNoPeer_anythingElseIsThePeer", () => {
    expect(noPeerIfZero(`0x${"00".repeat(32)}`)).toBeUndefined();
    expect(noPeerIfZero(PEER)).toBe(PEER);
    expect(noPeerIfZero(`0x${"00".repeat(31)}01`)).toBe(`0x${"00".repeat(31)}01`);
  });
});
