// Bad usage or input of the CLI: exit code 2 (see cli.ts).
export class UsageError extends Error {
  override name = "UsageError";
}
