// Solana's transaction wire format (legacy and v0), read field by field in
// wire order: the node needs the signatures, the blockhash's offset and the
// account keys, which kit's typed decoders spread over several types.
import { type Address, getAddressDecoder, getBase58Decoder } from "@solana/kit";
import { BaseError } from "@loanbridge/shared";

export class WireError extends BaseError {
  override name = "WireError";
}

export interface MessageHeader {
  numRequiredSignatures: number;
  numReadonlySignedAccounts: number;
  numReadonlyUnsignedAccounts: number;
}

export interface WireInstruction {
  programIdIndex: number;
  accounts: number[];
  data: Uint8Array;
}

export interface WireLookup {
  accountKey: Address;
  writableIndexes: number[];
  readonlyIndexes: number[];
}

export interface WireMessage {
  version: "legacy" | 0;
  header: MessageHeader;
  staticKeys: Address[];
  recentBlockhash: string;
  /** Where the blockhash starts in the message bytes. */
  blockhashOffset: number;
  instructions: WireInstruction[];
  lookups: WireLookup[];
}

export interface WireTransaction {
  bytes: Uint8Array;
  signatures: Uint8Array[];
  /** The first signature in base58: the transaction's id. */
  signature: string;
  messageBytes: Uint8Array;
  message: WireMessage;
}

const SIGNATURE_LENGTH = 64;
const VERSION_PREFIX_MASK = 0x80;

class Reader {
  offset = 0;
  private readonly bytes: Uint8Array;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  u8(): number {
    const value = this.bytes[this.offset];
    if (value === undefined) throw new WireError("transaction is truncated");
    this.offset += 1;
    return value;
  }

  /** Solana's compact-u16 length prefix. */
  shortVec(): number {
    let value = 0;
    for (let shift = 0; shift < 21; shift += 7) {
      const byte = this.u8();
      value |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return value;
    }
    throw new WireError("compact-u16 length is too long");
  }

  take(length: number): Uint8Array {
    if (this.offset + length > this.bytes.length) throw new WireError("transaction is truncated");
    const slice = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return slice;
  }

  bytesVec(): number[] {
    return Array.from(this.take(this.shortVec()));
  }

  done(): boolean {
    return this.offset === this.bytes.length;
  }
}

/** Decodes a signed transaction: signatures, then the message. */
export function fromWireTransaction(bytes: Uint8Array): WireTransaction {
  const reader = new Reader(bytes);
  const count = reader.shortVec();
  const signatures = Array.from({ length: count }, () => reader.take(SIGNATURE_LENGTH));
  const messageBytes = bytes.subarray(reader.offset);
  const message = fromWireMessage(messageBytes);
  const first = signatures[0];
  if (!first) throw new WireError("transaction has no signatures");
  if (count !== message.header.numRequiredSignatures) {
    throw new WireError("signature count does not match the message header", {
      details: `${count} signatures, header requires ${message.header.numRequiredSignatures}`,
    });
  }
  return { bytes, signatures, signature: getBase58Decoder().decode(first), messageBytes, message };
}

/** Decodes a message: version prefix, header, keys, blockhash, instructions, lookups. */
export function fromWireMessage(bytes: Uint8Array): WireMessage {
  const reader = new Reader(bytes);
  const addresses = getAddressDecoder();
  let version: "legacy" | 0 = "legacy";
  const first = bytes[0];
  if (first !== undefined && (first & VERSION_PREFIX_MASK) !== 0) {
    const number = reader.u8() & ~VERSION_PREFIX_MASK;
    if (number !== 0) throw new WireError(`unsupported transaction version ${number}`);
    version = 0;
  }
  const header: MessageHeader = {
    numRequiredSignatures: reader.u8(),
    numReadonlySignedAccounts: reader.u8(),
    numReadonlyUnsignedAccounts: reader.u8(),
  };
  const staticKeys = Array.from({ length: reader.shortVec() }, () =>
    addresses.decode(reader.take(32)),
  );
  const blockhashOffset = reader.offset;
  const recentBlockhash = getBase58Decoder().decode(reader.take(32));
  const instructions = Array.from({ length: reader.shortVec() }, () => ({
    programIdIndex: reader.u8(),
    accounts: reader.bytesVec(),
    data: reader.take(reader.shortVec()),
  }));
  const lookups =
    version === 0
      ? Array.from({ length: reader.shortVec() }, () => ({
          accountKey: addresses.decode(reader.take(32)),
          writableIndexes: reader.bytesVec(),
          readonlyIndexes: reader.bytesVec(),
        }))
      : [];
  if (!reader.done()) throw new WireError("message has trailing bytes");
  if (header.numRequiredSignatures === 0 || header.numRequiredSignatures > staticKeys.length) {
    throw new WireError("message header does not fit its account keys");
  }
  return {
    version,
    header,
    staticKeys,
    recentBlockhash,
    blockhashOffset,
    instructions,
    lookups,
  };
}

/** Whether the static key at `index` is writable according to the header. */
export function isStaticWritable(message: WireMessage, index: number): boolean {
  const { numRequiredSignatures, numReadonlySignedAccounts, numReadonlyUnsignedAccounts } =
    message.header;
  if (index < numRequiredSignatures)
    return index < numRequiredSignatures - numReadonlySignedAccounts;
  return index < message.staticKeys.length - numReadonlyUnsignedAccounts;
}
