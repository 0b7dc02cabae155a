import { describe, expect, it } from "vitest";
import { settled } from "./settled.ts";

describe("settled", () => {
  it("fulfilled_isItsValue_rejected_throwsItsReason", async () => {
    const [ok, failed] = await Promise.allSettled([
      Promise.resolve(7),
      Promise.reject(new Error("no quorum")),
    ]);

    expect(settled(ok)).toBe(7);
    expect(() => settled(failed)).toThrow("no quorum");
  });
});
