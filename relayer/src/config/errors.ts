import { BaseError } from "@loanbridge/shared";

/** One problem in the relayer config: where (`chains.evm.rpcUrls[1]`) and why. */
export interface ConfigIssue {
  path: string;
  message: string;
}

/**
 * The relayer config (file, environment, or a secret it references) is
 * unusable. The message names the field path and the reason, never a
 * secret's value: `chains.evm.rpcUrls[1]: Invalid URL`. With several
 * problems the first is the message and `details` lists them all.
 */
export class ConfigError extends BaseError {
  override name = "ConfigError";
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], options: { source?: string; cause?: unknown } = {}) {
    const lines = issues.map(formatIssue);
    const first = lines[0] ?? "invalid relayer config";
    const shortMessage = lines.length > 1 ? `${first} (and ${lines.length - 1} more)` : first;
    const details = [
      ...(options.source === undefined ? [] : [`in ${options.source}`]),
      ...(lines.length > 1 ? lines : []),
    ].join("\n");
    super(shortMessage, { ...(details === "" ? {} : { details }), cause: options.cause });
    this.issues = issues;
  }
}

const formatIssue = (issue: ConfigIssue): string =>
  issue.path === "" ? issue.message : `${issue.path}: ${issue.message}`;
