// Given the SBF build of the program loaded into LiteSVM,
// when the Version instruction runs, then it logs and returns the crate
// version; malformed instruction data is rejected with the program's codes.
import { readFile } from "node:fs/promises";
import { AccountRole } from "@solana/kit";
import { beforeAll, describe, expect, it } from "vitest";
import {
  InstructionDiscriminator,
  LoanbridgeProgramError,
  versionInstruction,
} from "../client/index.ts";
import {
  BuiltinInstructionError,
  loggedComputeUnits,
  type ProgramHarness,
  startProgram,
} from "../client/litesvm.ts";

const crateVersion = async () => {
  const manifest = await readFile(new URL("../Cargo.toml", import.meta.url), "utf8");
  const match = /^version = "([^"]+)"/m.exec(manifest);
  if (!match?.[1]) throw new Error("no version in solana-program/Cargo.toml");
  return match[1];
};

describe("Version instruction on the SBF program", () => {
  let program: ProgramHarness;
  let version: string;

  beforeAll(async () => {
    program = await startProgram();
    version = await crateVersion();
  });

  it("version_logsAndReturnsCrateVersion", async () => {
    const outcome = await program.send(versionInstruction(program.programAddress));

    expect(outcome.ok, outcome.logs.join("\n")).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.logs).toContain("Program log: loanbridge");
    expect(outcome.logs).toContain(`Program log: ${version}`);
    expect(new TextDecoder().decode(outcome.returnData)).toBe(version);
    // The metadata's figure is the one the runtime logged, and logging two
    // lines plus return data stays a few hundred CU.
    expect(outcome.computeUnits).toBe(loggedComputeUnits(outcome.logs, program.programAddress));
    expect(outcome.computeUnits).toBeGreaterThan(100n);
    expect(outcome.computeUnits).toBeLessThan(2_000n);
    console.log(`Version: ${outcome.computeUnits} CU`);
  });

  it.each([
    ["emptyData_failsWithUnknownInstruction", [], LoanbridgeProgramError.UnknownInstruction],
    [
      "unknownDiscriminator_failsWithUnknownInstruction",
      [0xff],
      LoanbridgeProgramError.UnknownInstruction,
    ],
    [
      "trailingBytes_failWithInvalidInstructionData",
      [InstructionDiscriminator.Version, 0],
      LoanbridgeProgramError.InvalidInstructionData,
    ],
  ])("%s", async (_name, data, code) => {
    const outcome = await program.send({
      ...versionInstruction(program.programAddress),
      data: Uint8Array.from(data),
    });

    expect(outcome).toMatchObject({ ok: false, error: { kind: "custom", code } });
  });

  it("unexpectedAccount_failsWithInvalidArgument", async () => {
    const outcome = await program.send({
      ...versionInstruction(program.programAddress),
      accounts: [{ address: program.payer.address, role: AccountRole.READONLY }],
    });

    expect(outcome).toMatchObject({
      ok: false,
      error: { kind: "builtin", code: BuiltinInstructionError.InvalidArgument },
    });
  });
});
