import { describe, expect, it } from "vitest";
import { RecentReads } from "./recent-reads.ts";

describe("RecentReads", () => {
  function counted(clock: { now: number }) {
    const reads = new RecentReads<number>(1_000, () => clock.now);
    let calls = 0;
    const read = () => Promise.resolve(++calls);
    return { reads, read, calls: () => calls };
  }

  it("aReadYoungerThanItsTtl_isShared_andAnOlderOneIsReadAgain", async () => {
    const clock = { now: 0 };
    const { reads, read, calls } = counted(clock);
    expect(await reads.get("k", read)).toBe(1);
    clock.now = 999;
    expect(await reads.get("k", read)).toBe(1);
    expect(await reads.get("other", read)).toBe(2);
    clock.now = 1_000;
    expect(await reads.get("k", read)).toBe(3);
    expect(calls()).toBe(3);
  });

  it("aFailedRead_isNotKept", async () => {
    const reads = new RecentReads<number>(1_000, () => 0);
    await expect(reads.get("k", () => Promise.reject(new Error("down")))).rejects.toThrow("down");
    expect(await reads.get("k", () => Promise.resolve(7))).toBe(7);
  });

  it("clear_forgetsEveryRead", async () => {
    const clock = { now: 0 };
    const { reads, read } = counted(clock);
    await reads.get("a", read);
    await reads.get("b", read);
    reads.clear();
    expect(await reads.get("a", read)).toBe(3);
    expect(await reads.get("b", read)).toBe(4);
  });
});
