/**
 * The one error base of loanbridge's TypeScript code.
 *
 * `shortMessage` is the one-line cause a user acts on; `details` carries the
 * offending value or the underlying library's words; `cause` keeps the
 * original error for logs. Each module throws its own subclass, named after
 * the module, so callers can branch on `instanceof` and never on text.
 */
export type BaseErrorOptions = {
  details?: string;
  cause?: unknown;
};

export class BaseError extends Error {
  override name = "BaseError";
  readonly shortMessage: string;
  readonly details: string | undefined;

  constructor(shortMessage: string, options: BaseErrorOptions = {}) {
    const details = options.details ?? detailsOf(options.cause);
    super(details ? `${shortMessage}\n\nDetails: ${details}` : shortMessage, {
      cause: options.cause,
    });
    this.shortMessage = shortMessage;
    this.details = details;
  }
}

function detailsOf(cause: unknown): string | undefined {
  if (cause instanceof BaseError) return cause.shortMessage;
  if (cause instanceof Error) return cause.message;
  return undefined;
}
