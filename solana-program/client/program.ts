import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

/** Where `make setup` (scripts/setup.sh → sbf-link) writes the SBF build. */
export const PROGRAM_SO_PATH = fileURLToPath(
  new URL("../build/loanbridge_program.so", import.meta.url),
);

/** Reads the built program, with a hint when it has not been built yet. */
export async function readProgramBinary(path: string = PROGRAM_SO_PATH): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (cause) {
    throw new Error(`cannot read the SBF program at ${path}: run \`make setup\` to build it`, {
      cause,
    });
  }
}
