import { readFile } from "node:fs/promises";

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
