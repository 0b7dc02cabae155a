import { BaseError } from "@loanbridge/shared";
import type { JsonValue } from "./json.ts";

/** JSON-RPC error codes: the protocol's own and the ones Solana's RPC adds. */
export const RpcErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  /** `sendTransaction` preflight simulation failed. */
  SendTransactionPreflightFailure: -32002,
  /** A signature does not verify. */
  TransactionSignatureVerificationFailure: -32003,
  /** The transaction is not (yet) at the requested commitment's slot. */
  TransactionHistoryNotAvailable: -32011,
  /** A v0 transaction asked for without `maxSupportedTransactionVersion`. */
  UnsupportedTransactionVersion: -32015,
  MinContextSlotNotReached: -32016,
} as const;

/** An error the RPC answers with: `{ code, message, data }`. */
export class RpcError extends BaseError {
  override name = "RpcError";
  readonly code: number;
  readonly data: JsonValue | undefined;

  constructor(code: number, message: string, data?: JsonValue) {
    super(message);
    this.code = code;
    this.data = data;
  }
}

export const invalidParams = (message: string): RpcError =>
  new RpcError(RpcErrorCode.InvalidParams, `Invalid params: ${message}`);
