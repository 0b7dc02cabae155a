// Keyset pages over lists ordered newest change first: a cursor is the last
// row's (updated_at, key), opaque to callers (base64url of JSON). The time is
// PostgreSQL's own text of the timestamp, so the microseconds a JS Date would
// drop survive the round trip and no row is skipped or repeated at a page
// boundary.

/** Where the previous page ended. */
export interface PageKey {
  /** `updated_at` as PostgreSQL writes it (`2026-12-06 02:13:12.123456+00`). */
  at: string;
  /** The row's key (loan id, guid). */
  id: string;
}

/** One page and the cursor of the next; null on the last. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([+-]\d{2}(:?\d{2})?|Z)$/;
const KEY = /^0x[0-9a-f]{64}$/;

export function encodeCursor(key: PageKey): string {
  return Buffer.from(JSON.stringify([key.at, key.id])).toString("base64url");
}

/** The key a cursor holds; undefined when it is not one `encodeCursor` made. */
export function decodeCursor(cursor: string): PageKey | undefined {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
  if (!Array.isArray(value) || value.length !== 2) return undefined;
  const [at, id] = value as unknown[];
  if (typeof at !== "string" || typeof id !== "string") return undefined;
  if (!TIMESTAMP.test(at) || !KEY.test(id)) return undefined;
  return { at, id };
}
