import { computeGuid, type Hex } from "@loanbridge/shared";
import { Wallet } from "ethers";
import { describe, expect, it } from "vitest";
import { executorOrder, executorRank, ReadyTimes } from "./takeover.ts";

const word = (n: number): Hex => `0x${n.toString(16).padStart(64, "0")}`;
const guidOf = (nonce: number): Hex =>
  computeGuid({
    nonce: BigInt(nonce),
    srcEid: 1,
    sender: word(0xa),
    dstEid: 2,
    receiver: word(0xb),
  });
const relayers = Array.from({ length: 3 }, (_, index) => new Wallet(word(index + 1)).address);

describe("executor order", () => {
  it("executorOrder_isTheSameWhateverTheSignerListsOrderOrCase", () => {
    const guid = guidOf(1);
    const order = executorOrder("evm", guid, relayers);
    expect(order).toHaveLength(3);
    expect(executorOrder("evm", guid, [...relayers].reverse())).toEqual(order);
    expect(
      executorOrder(
        "evm",
        guid,
        relayers.map((r) => r.toUpperCase().replace("0X", "0x")),
      ),
    ).toEqual(order);
    // Every relayer computes its own rank from the same order.
    expect(relayers.map((r) => executorRank("evm", guid, relayers, r)).sort()).toEqual([0, 1, 2]);
  });

  it("executorOrder_spreadsFirstPlaceEvenlyAcrossRelayers", () => {
    const first = new Map<string, number>();
    const packets = 3_000;
    for (let nonce = 0; nonce < packets; nonce++) {
      const [leader] = executorOrder("evm", guidOf(nonce), relayers);
      first.set(leader ?? "", (first.get(leader ?? "") ?? 0) + 1);
    }
    expect(first.size).toBe(3);
    for (const count of first.values()) {
      // 1,000 expected each; 5 standard deviations (≈ 26 each) either side.
      expect(count).toBeGreaterThan(1_000 - 130);
      expect(count).toBeLessThan(1_000 + 130);
    }
  });

  it("executorOrder_aRelayerLeaving_changesNoOtherRelayersRelativeOrder", () => {
    for (let nonce = 0; nonce < 50; nonce++) {
      const guid = guidOf(nonce);
      const all = executorOrder("evm", guid, relayers);
      const gone = relayers[1]?.toLowerCase();
      expect(executorOrder("evm", guid, relayers.slice(0, 1).concat(relayers.slice(2)))).toEqual(
        all.filter((key) => key !== gone),
      );
    }
  });

  it("executorRank_notAVerifier_isUndefined", () => {
    expect(executorRank("evm", guidOf(1), relayers, new Wallet(word(99)).address)).toBeUndefined();
    // Solana keys are compared as they are (base58 is case-sensitive).
    const keys = [
      "4Nd1mBQtrMJVYVfKf2PJy9NZUZdTAsp7D4xWLs4gDB4T",
      "4nd1mBQtrMJVYVfKf2PJy9NZUZdTAsp7D4xWLs4gDB4T",
    ];
    expect(executorOrder("solana", guidOf(1), keys)).toHaveLength(2);
  });

  it("readyTimes_keepTheFirstTime_untilForgotten", () => {
    const times = new ReadyTimes();
    const guid = guidOf(1);
    expect(times.since(guid, 100)).toBe(100);
    expect(times.since(guid, 900)).toBe(100);
    times.forget(guid);
    expect(times.size).toBe(0);
    expect(times.since(guid, 900)).toBe(900);
  });

  it("aTakeoverCountsOncePerPacket_howeverManyAttemptsItTakes", () => {
    const times = new ReadyTimes();
    const guid = guidOf(1);
    expect(times.firstTakeover(guid)).toBe(true);
    expect(times.firstTakeover(guid)).toBe(false);
    expect(times.firstTakeover(guidOf(2))).toBe(true);
    times.forget(guid);
    expect(times.firstTakeover(guid)).toBe(true);
  });
});
