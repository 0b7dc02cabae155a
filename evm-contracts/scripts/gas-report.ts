// `make gas-report`: measures and writes evm-contracts/gas-report.md.
import { writeFile } from "node:fs/promises";
import { measureGas, renderGasReport } from "../bench/gas.ts";
import { buildContracts } from "../test/hre.ts";

await buildContracts();
const report = renderGasReport(await measureGas());
await writeFile(new URL("../gas-report.md", import.meta.url), report);
console.log(report);
