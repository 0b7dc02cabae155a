import idlJson from "../idl/loanbridge.json" with { type: "json" };

type ErrorEntry = (typeof idlJson.errors)[number];

/**
 * The program's custom error codes by name (`LoanbridgeError` in
 * solana-program/src/error.rs, through the IDL; a Rust test keeps the two
 * equal). Codes never change meaning once released.
 */
export const LoanbridgeProgramError: Readonly<Record<ErrorEntry["name"], number>> =
  Object.fromEntries(idlJson.errors.map((error) => [error.name, error.code]));

/** Wire-format errors (`crate::wire::WireError`), codes 100–108. */
export const WireProgramError = {
  PacketTooShort: 100,
  UnsupportedPacketVersion: 101,
  GuidMismatch: 102,
  MessageTooShort: 103,
  MessageTooLong: 104,
  UnsupportedMessageVersion: 105,
  UnknownMessageType: 106,
  UnknownRejectReason: 107,
  NotAnEvmAddress: 108,
} as const;

export type LoanbridgeProgramErrorName = keyof typeof LoanbridgeProgramError;
