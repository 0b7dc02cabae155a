// cu-report.md (written by scripts/cu-report.ts) covers every instruction
// the IDL declares, so a new instruction cannot ship unmeasured.
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { IDL_INSTRUCTIONS } from "../client/idl.ts";

describe("cu-report.md", () => {
  it("listsEveryIdlInstruction", async () => {
    const report = await readFile(new URL("../cu-report.md", import.meta.url), "utf8");

    // Table cells are padded by Prettier.
    const missing = IDL_INSTRUCTIONS.filter(
      (name) => !new RegExp(`\\|\\s*\`${name}\`\\s*\\|`).test(report),
    );

    expect(missing, "run `node solana-program/scripts/cu-report.ts`").toEqual([]);
  });
});
