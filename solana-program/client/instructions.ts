import type { Address, Instruction } from "@solana/kit";

/** Instruction discriminators: the first byte of instruction data. */
export const InstructionDiscriminator = {
  Version: 0,
} as const;

/** `Version`: logs the program version and returns it as return data. */
export function versionInstruction(programAddress: Address): Instruction {
  return { programAddress, accounts: [], data: Uint8Array.of(InstructionDiscriminator.Version) };
}
