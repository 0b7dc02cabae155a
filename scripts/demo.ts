// `make demo`: shows each part that is built today running on a local chain.
// Grows into the full two-way loan demo as the relayer lands.
import { createHash } from "node:crypto";
import { DEV_DEFAULTS, deployLoanbridge, startHardhatNode } from "@loanbridge/evm-contracts";
import {
  PROGRAM_SO_PATH,
  readProgramBinary,
  startProgram,
  versionInstruction,
} from "@loanbridge/solana-program";
import { JsonRpcProvider } from "ethers";

const started = performance.now();
const elapsed = (since: number) => `${Math.round(performance.now() - since)} ms`;

async function step<T>(title: string, run: () => Promise<T>): Promise<T> {
  process.stdout.write(`- ${title} ... `);
  const since = performance.now();
  const result = await run();
  console.log(`done (${elapsed(since)})`);
  return result;
}

async function evmDemo(): Promise<void> {
  console.log("\nEthereum side (Hardhat node)");
  const node = await step("start hardhat node on 127.0.0.1", () => startHardhatNode());
  const stopOnSignal = () => void node.stop().then(() => process.exit(130));
  process.once("SIGINT", stopOnSignal);
  const provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true });
  try {
    const chainId = BigInt((await provider.send("eth_chainId", [])) as string);
    console.log(`  rpc ${node.url}, chain id ${chainId}`);

    // Hardhat's dev accounts #1..#3 stand in for three relayers' verifier keys.
    const accounts = (await provider.send("eth_accounts", [])) as string[];
    const deployer = await provider.getSigner(0);
    console.log("- deploy and configure the EVM contracts");
    const since = performance.now();
    const deployment = await deployLoanbridge(
      deployer,
      {
        localEid: 40161,
        remoteEid: 40168,
        verifiers: accounts.slice(1, 4),
        threshold: 2,
        ...DEV_DEFAULTS,
      },
      (what, detail) => {
        console.log(`    ${what}: ${detail}`);
      },
    );
    console.log(`  done (${elapsed(since)})`);
    console.log(`  verifiers (2 of 3): ${deployment.verifiers.join(", ")}`);
  } finally {
    provider.destroy();
    process.off("SIGINT", stopOnSignal);
    await step("stop hardhat node", () => node.stop());
  }
}

async function solanaDemo(): Promise<void> {
  console.log("\nSolana side (SBF program in LiteSVM)");
  const binary = await readProgramBinary();
  const digest = createHash("sha256").update(binary).digest("hex");
  console.log(`  ${PROGRAM_SO_PATH}: ${binary.length} bytes, sha256 ${digest}`);
  const program = await step("load the program into LiteSVM", () => startProgram());
  console.log(`  program id ${program.programAddress}`);
  const outcome = await step("send Version", () =>
    program.send(versionInstruction(program.programAddress)),
  );
  if (!outcome.ok) {
    throw new Error(`Version failed: ${JSON.stringify(outcome.error)}\n${outcome.logs.join("\n")}`);
  }
  console.log(
    `  version ${new TextDecoder().decode(outcome.returnData)}, ${outcome.computeUnits} compute units`,
  );
  for (const line of outcome.logs) console.log(`    ${line}`);
}

console.log("loanbridge demo: what is built and running today");
await evmDemo();
await solanaDemo();
console.log(`
Ready: the wire format in TS, Solidity and Rust; the EVM endpoint, vault and
pool deployed to a local node; the Solana endpoint, vault and pool built to SBF
offline and running in LiteSVM; the relayer pipeline for EVM packets (2 of 3).
Not yet: the relayer's Solana adapters and the two-way loan demo.
Finished in ${elapsed(started)}.`);
