// `make demo`: shows each part that is built today running on a local chain.
// Grows into the full two-way loan demo as the relayer lands.
import { createHash } from "node:crypto";
import { readArtifact, startHardhatNode } from "@loanbridge/evm-contracts";
import {
  PROGRAM_SO_PATH,
  readProgramBinary,
  startProgram,
  versionInstruction,
} from "@loanbridge/solana-program";
import { ContractFactory, formatUnits, type InterfaceAbi, JsonRpcProvider } from "ethers";

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

    const { abi, bytecode } = await readArtifact(
      "contracts/dev/DevStablecoin.sol",
      "DevStablecoin",
    );
    const deployer = await provider.getSigner(0);
    const token = await step("deploy DevStablecoin", async () => {
      const contract = await new ContractFactory(abi as InterfaceAbi, bytecode, deployer).deploy(
        deployer.address,
      );
      return contract.waitForDeployment();
    });
    const deployReceipt = await token.deploymentTransaction()?.wait();
    console.log(
      `  address ${await token.getAddress()}, tx ${deployReceipt?.hash}, gas ${deployReceipt?.gasUsed}`,
    );

    const mintReceipt = await step("mint 1,000 dUSD to the deployer", async () => {
      const tx = await token.getFunction("mint").send(deployer.address, 1_000_000_000n);
      const receipt = await tx.wait();
      if (receipt === null) throw new Error(`mint ${tx.hash} was not mined`);
      return receipt;
    });
    const balance = (await token.getFunction("balanceOf").staticCall(deployer.address)) as bigint;
    console.log(
      `  tx ${mintReceipt.hash}, gas ${mintReceipt.gasUsed}, balance ${formatUnits(balance, 6)} dUSD`,
    );
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
Ready: Solidity contracts compiled offline and deployed to a local node; the
Solana program built to SBF offline and executing in LiteSVM.
Not yet: wire format, loan contracts and program instructions, relayers.
Finished in ${elapsed(started)}.`);
