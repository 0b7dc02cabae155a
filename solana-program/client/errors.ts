/**
 * The program's custom error codes (`LoanbridgeError` in
 * solana-program/src/error.rs). Codes never change meaning once released.
 */
export const LoanbridgeProgramError = {
  UnknownInstruction: 0,
  InvalidInstructionData: 1,
} as const;

export type LoanbridgeProgramErrorName = keyof typeof LoanbridgeProgramError;
