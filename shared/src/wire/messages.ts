// Loan messages (SPEC.md "Loan messages"): a version byte, a type byte, then
// fixed-width big-endian fields. One layout table drives encode and decode.
import { type Hex, readUint, toBytes, toHex, writeBytes32, writeUint } from "./bytes.ts";
import { WireError } from "./errors.ts";

export const MESSAGE_VERSION = 2;

export const RejectReason = {
  InsufficientLiquidity: 1,
  LtvTooHigh: 2,
  RateAboveMax: 3,
  UnsupportedCollateral: 4,
  Expired: 5,
  Paused: 6,
  InvalidTerms: 7,
} as const;
export type RejectReasonName = keyof typeof RejectReason;

/** What a field holds in memory: hex bytes, an integer, or a reason name. */
type FieldValue = string | bigint | number;
type FieldKind = "bytes32" | "uint128" | "uint64" | "uint32" | "uint16" | "rejectReason";
type Field = readonly [name: string, kind: FieldKind];

const FIELD_SIZE: Record<FieldKind, number> = {
  bytes32: 32,
  uint128: 16,
  uint64: 8,
  uint32: 4,
  uint16: 2,
  rejectReason: 1,
};

const settlementFields = [
  ["loanId", "bytes32"],
  ["outstanding", "uint128"],
  ["beneficiary", "bytes32"],
] as const satisfies readonly Field[];

/** Type code and field order of every message type; never reorder. */
export const MESSAGE_LAYOUTS = {
  OPEN_LOAN: {
    code: 1,
    fields: [
      ["loanId", "bytes32"],
      ["borrower", "bytes32"],
      ["recipient", "bytes32"],
      ["collateralAsset", "bytes32"],
      ["collateralAmount", "uint128"],
      ["principal", "uint128"],
      ["maxRateBps", "uint32"],
      ["termSeconds", "uint64"],
      ["expiresAt", "uint64"],
      ["installments", "uint16"],
    ],
  },
  LOAN_ACTIVE: {
    code: 2,
    fields: [
      ["loanId", "bytes32"],
      ["principal", "uint128"],
      ["rateBps", "uint32"],
      ["startTime", "uint64"],
      ["dueTime", "uint64"],
    ],
  },
  LOAN_REJECTED: {
    code: 3,
    fields: [
      ["loanId", "bytes32"],
      ["reason", "rejectReason"],
    ],
  },
  REPAID: {
    code: 4,
    fields: [
      ["loanId", "bytes32"],
      ["amountRepaid", "uint128"],
    ],
  },
  DEFAULTED: { code: 5, fields: settlementFields },
  LIQUIDATED: { code: 6, fields: settlementFields },
} as const satisfies Record<string, { code: number; fields: readonly Field[] }>;

export type MessageTypeName = keyof typeof MESSAGE_LAYOUTS;

type ValueOf<K extends FieldKind> = K extends "bytes32"
  ? Hex
  : K extends "rejectReason"
    ? RejectReasonName
    : K extends "uint32" | "uint16"
      ? number
      : bigint;

type FieldsOf<F extends readonly Field[]> = {
  [E in F[number] as E[0]]: ValueOf<E[1]>;
};

/** A decoded loan message: `type` plus that type's fields. */
export type LoanMessage = {
  [T in MessageTypeName]: { type: T } & FieldsOf<(typeof MESSAGE_LAYOUTS)[T]["fields"]>;
}[MessageTypeName];

export type LoanMessageOf<T extends MessageTypeName> = Extract<LoanMessage, { type: T }>;

const HEADER_LENGTH = 2;

/** Encoded length of each message type. */
export const messageLength = (type: MessageTypeName): number =>
  MESSAGE_LAYOUTS[type].fields.reduce(
    (length, [, kind]) => length + FIELD_SIZE[kind],
    HEADER_LENGTH,
  );

const typeByCode = new Map<number, MessageTypeName>(
  Object.entries(MESSAGE_LAYOUTS).map(([name, { code }]) => [code, name as MessageTypeName]),
);
const reasonByCode = new Map<number, RejectReasonName>(
  Object.entries(RejectReason).map(([name, code]) => [code, name as RejectReasonName]),
);

export function encodeLoanMessage(message: LoanMessage): Uint8Array {
  const layout = MESSAGE_LAYOUTS[message.type];
  const bytes = new Uint8Array(messageLength(message.type));
  bytes[0] = MESSAGE_VERSION;
  bytes[1] = layout.code;
  const values = message as unknown as Record<string, FieldValue>;
  let offset = HEADER_LENGTH;
  for (const [name, kind] of layout.fields) {
    writeField(bytes, offset, kind, values[name], name);
    offset += FIELD_SIZE[kind];
  }
  return bytes;
}

/** Decodes a loan message, checking in SPEC.md's order. */
export function decodeLoanMessage(input: Hex | Uint8Array): LoanMessage {
  const bytes = toBytes(input);
  if (bytes.length < HEADER_LENGTH) {
    throw new WireError("MessageTooShort", `message is ${bytes.length} bytes, at least 2 needed`);
  }
  const [version = 0, code = 0] = bytes;
  if (version !== MESSAGE_VERSION) {
    throw new WireError("UnsupportedMessageVersion", `message version ${version} is not 1`);
  }
  const type = typeByCode.get(code);
  if (type === undefined) {
    throw new WireError("UnknownMessageType", `message type ${code} is unknown`);
  }
  const length = messageLength(type);
  if (bytes.length !== length) {
    throw new WireError(
      bytes.length < length ? "MessageTooShort" : "MessageTooLong",
      `${type} is ${length} bytes, got ${bytes.length}`,
    );
  }
  const message: Record<string, unknown> = { type };
  let offset = HEADER_LENGTH;
  for (const [name, kind] of MESSAGE_LAYOUTS[type].fields) {
    message[name] = readField(bytes, offset, kind);
    offset += FIELD_SIZE[kind];
  }
  return message as LoanMessage;
}

function readField(bytes: Uint8Array, offset: number, kind: FieldKind): FieldValue {
  const size = FIELD_SIZE[kind];
  switch (kind) {
    case "bytes32":
      return toHex(bytes.subarray(offset, offset + size));
    case "uint32":
    case "uint16":
      return Number(readUint(bytes, offset, size));
    case "rejectReason": {
      const code = bytes[offset] ?? 0;
      const reason = reasonByCode.get(code);
      if (reason === undefined) {
        throw new WireError("UnknownRejectReason", `reject reason ${code} is unknown`);
      }
      return reason;
    }
    case "uint64":
    case "uint128":
      return readUint(bytes, offset, size);
  }
}

function writeField(
  bytes: Uint8Array,
  offset: number,
  kind: FieldKind,
  value: FieldValue | undefined,
  name: string,
): void {
  const size = FIELD_SIZE[kind];
  switch (kind) {
    case "bytes32":
      writeBytes32(bytes, offset, value as Hex, name);
      return;
    case "rejectReason": {
      const code = RejectReason[value as RejectReasonName] as number | undefined;
      if (code === undefined) {
        throw new WireError("UnknownRejectReason", `reject reason ${String(value)} is unknown`);
      }
      bytes[offset] = code;
      return;
    }
    case "uint16":
    case "uint32":
    case "uint64":
    case "uint128":
      writeUint(bytes, offset, size, BigInt(value as bigint | number), name);
  }
}
