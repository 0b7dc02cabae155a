import { describe, expect, it } from "vitest";
import { FailureBackoff } from "./backoff.ts";

describe("FailureBackoff", () => {
  it("consecutiveFailures_doubleThePause_upToTheCap_perKey", () => {
    const backoff = new FailureBackoff(500, 3_000);
    const pauses: number[] = [];
    let now = 0;
    for (let failure = 0; failure < 5; failure++) {
      backoff.failed("watch.1", now);
      let waited = 0;
      while (!backoff.due("watch.1", now + waited)) waited += 100;
      pauses.push(waited);
      now += waited;
    }
    expect(pauses).toEqual([500, 1_000, 2_000, 3_000, 3_000]);
    expect(backoff.due("watch.2", now)).toBe(true);
  });

  it("aSuccess_endsThePause_andTheNextFailureStartsOver", () => {
    const backoff = new FailureBackoff(500, 3_000);
    backoff.failed("k", 0);
    backoff.failed("k", 500);
    expect(backoff.due("k", 1_000)).toBe(false);
    backoff.succeeded("k");
    expect(backoff.due("k", 1_000)).toBe(true);
    backoff.failed("k", 1_000);
    expect(backoff.due("k", 1_499)).toBe(false);
    expect(backoff.due("k", 1_500)).toBe(true);
  });
});
