import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createHardhatRuntimeEnvironment, importUserConfig } from "hardhat/hre";

// `import hre from "hardhat"` looks for the config upwards from the cwd, and
// vitest runs from the repo root, so build the runtime for this project here.
const configPath = fileURLToPath(new URL("../hardhat.config.ts", import.meta.url));

export const hre = await createHardhatRuntimeEnvironment(
  await importUserConfig(configPath),
  { config: configPath },
  dirname(configPath),
);

/** Compiles the contracts if sources changed, so tests never run stale artifacts. */
export async function buildContracts(): Promise<void> {
  await hre.tasks.getTask("build").run({ quiet: true });
}
