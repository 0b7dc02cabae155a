import { readFile } from "node:fs/promises";
import { Contract, type ContractRunner, type InterfaceAbi } from "ethers";

export interface ContractArtifact {
  abi: unknown[];
  bytecode: string;
}

/**
 * Reads a compiled contract from Hardhat's artifacts, e.g.
 * `readArtifact("contracts/dev/DevStablecoin.sol", "DevStablecoin")`.
 */
export async function readArtifact(
  sourcePath: string,
  contractName: string,
): Promise<ContractArtifact> {
  const url = new URL(`../artifacts/${sourcePath}/${contractName}.json`, import.meta.url);
  let text: string;
  try {
    text = await readFile(url, "utf8");
  } catch (cause) {
    throw new Error(
      `no artifact for ${sourcePath}:${contractName}: run \`make setup\` to compile the contracts`,
      { cause },
    );
  }
  const { abi, bytecode } = JSON.parse(text) as ContractArtifact;
  return { abi, bytecode };
}

/** A deployed contract at `address`, with the ABI of its compiled artifact. */
export async function contractAt(
  address: string,
  sourcePath: string,
  contractName: string,
  runner: ContractRunner,
): Promise<Contract> {
  const { abi } = await readArtifact(sourcePath, contractName);
  return new Contract(address, abi as InterfaceAbi, runner);
}
