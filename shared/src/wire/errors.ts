import { BaseError } from "../errors.ts";

/** Error names shared with the Solidity and Rust implementations (SPEC.md). */
export type WireErrorName =
  | "PacketTooShort"
  | "UnsupportedPacketVersion"
  | "GuidMismatch"
  | "MessageTooShort"
  | "MessageTooLong"
  | "UnsupportedMessageVersion"
  | "UnknownMessageType"
  | "UnknownRejectReason"
  | "NotAnEvmAddress"
  | "InvalidHeaderLength"
  // Encoder-only: a value that cannot be written in its field's width.
  | "ValueOutOfRange";

/** A wire-format violation; `code` is the name every implementation shares. */
export class WireError extends BaseError {
  override name = "WireError";
  readonly code: WireErrorName;

  constructor(code: WireErrorName, shortMessage: string, details?: string) {
    super(shortMessage, details === undefined ? {} : { details });
    this.code = code;
  }
}
