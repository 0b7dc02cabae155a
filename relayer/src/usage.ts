// Bad usage or input of the CLI: exit code 2 (see cli.ts), and the flag
// helpers that raise it.
import type { SecretRef } from "./config/secret.ts";

export class UsageError extends Error {
  override name = "UsageError";
}

/** A key given as `--<flag>-env` or `--<flag>-file` (not both), as a secret reference. */
export function secretRefFromFlags(
  env: string | undefined,
  file: string | undefined,
  flag: string,
): SecretRef | undefined {
  if (env !== undefined && file !== undefined) {
    throw new UsageError(`give one of --${flag}-env, --${flag}-file`);
  }
  if (env !== undefined) return { env };
  if (file !== undefined) return { file };
  return undefined;
}
