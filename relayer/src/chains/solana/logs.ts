// Which `Program data:` lines of a transaction's logs a given program wrote
// itself: the runtime prints every invoke and its end, so a stack of the
// programs on the call path attributes each line (a CPI'd program's data is
// not ours).

const INVOKE = /^Program (\S+) invoke \[\d+\]$/;
const END = /^Program (\S+) (success|failed: .*)$/;
const DATA = "Program data: ";

/** The `sol_log_data` payloads `program` logged (first field of each line), in order. */
export function programData(logs: readonly string[], program: string): Uint8Array[] {
  const stack: string[] = [];
  const found: Uint8Array[] = [];
  for (const line of logs) {
    const invoke = INVOKE.exec(line);
    if (invoke?.[1] !== undefined) {
      stack.push(invoke[1]);
      continue;
    }
    if (END.test(line)) {
      stack.pop();
      continue;
    }
    if (line.startsWith(DATA) && stack.at(-1) === program) {
      const [first = ""] = line.slice(DATA.length).split(" ");
      found.push(new Uint8Array(Buffer.from(first, "base64")));
    }
  }
  return found;
}
