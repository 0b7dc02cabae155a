import { BaseError } from "@loanbridge/shared";

/**
 * Why a remote signer's answer was not used:
 * - `unreachable`: no HTTP answer (refused, reset, DNS);
 * - `timeout`: no answer within the configured `timeoutMs`;
 * - `unauthorized`: 401/403, the bearer token is missing or wrong;
 * - `http`: another non-2xx status;
 * - `malformed`: a 2xx answer that is not what the protocol says;
 * - `unknown_key`: the signer does not hold the configured key (absent from its list, or 404);
 * - `wrong_key`: the startup probe was signed, but not by the configured key;
 * - `bad_signature`: a signature that does not verify against the configured key;
 * - `preimage_required`: an EVM digest without its preimage (the signer hashes what it signs).
 */
export type RemoteSignerFailure =
  | "unreachable"
  | "timeout"
  | "unauthorized"
  | "http"
  | "malformed"
  | "unknown_key"
  | "wrong_key"
  | "bad_signature"
  | "preimage_required";

/**
 * A remote signer failed or answered wrongly. Nothing it returned was used:
 * the packet being attested stays where it was and is retried. The message
 * names the signer by scheme, host and port only, never its token.
 */
export class RemoteSignerError extends BaseError {
  override name = "RemoteSignerError";
  readonly reason: RemoteSignerFailure;
  /** The HTTP status, for `unauthorized`, `http` and `unknown_key`. */
  readonly status: number | undefined;

  constructor(
    reason: RemoteSignerFailure,
    shortMessage: string,
    options: { status?: number; cause?: unknown } = {},
  ) {
    super(shortMessage, { cause: options.cause });
    this.reason = reason;
    this.status = options.status;
  }
}
