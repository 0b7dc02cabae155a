// JSON text for RPC responses. Solana's RPC sends u64 figures (lamports,
// slots, rent epochs) as plain JSON numbers, so bigints are written as
// numbers rather than strings; clients such as @solana/kit read them back as
// bigints.

export type JsonValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue | undefined };

/** `JSON.stringify` with bigints as numbers; `undefined` fields are left out. */
export function toJson(value: JsonValue): string {
  if (value === null) return "null";
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "null";
  if (typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (isArray(value)) return `[${value.map(toJson).join(",")}]`;
  const fields: string[] = [];
  for (const [key, field] of Object.entries(value)) {
    if (field !== undefined) fields.push(`${JSON.stringify(key)}:${toJson(field)}`);
  }
  return `{${fields.join(",")}}`;
}

function isArray(value: JsonValue): value is readonly JsonValue[] {
  return Array.isArray(value);
}
