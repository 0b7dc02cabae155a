// Gas snapshots: the committed report must equal a fresh measurement, so every
// gas change shows up in review (run `make gas-report` to accept it).
import { readFile } from "node:fs/promises";
import { expect, it } from "vitest";
import { measureGas, renderGasReport } from "../bench/gas.ts";
import { buildContracts } from "./hre.ts";

it("gasReport_matchesAFreshMeasurement", async () => {
  await buildContracts();
  const fresh = renderGasReport(await measureGas());
  const committed = await readFile(new URL("../gas-report.md", import.meta.url), "utf8");
  expect(committed, "gas changed: run `make gas-report` and commit gas-report.md").toBe(fresh);
});
