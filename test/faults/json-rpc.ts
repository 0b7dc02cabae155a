// JSON-RPC 2.0 as the fault proxy sees it: the calls a client sent, the
// answers a node gave, JSON text that keeps integers beyond 2^53 exact, and a
// client of the upstream node for the reads a fault needs of its own.
//
// Integers: the Solana node writes u64 fields as plain JSON numbers (e.g.
// `rentEpoch` = u64::MAX), which `JSON.parse` would round. A proxy that
// rewrites an answer must not change what it does not mean to, so unsafe
// integers are read as bigints and written back digit for digit.

export type JsonRpcId = string | number | bigint | null;

/** One call as a client sent it. */
export interface RpcCall {
  jsonrpc: "2.0";
  id?: JsonRpcId;
  method: string;
  params?: unknown[];
}

/** One answer: a result or an error. */
export interface RpcAnswer {
  jsonrpc: "2.0";
  id: JsonRpcId;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

/** Marks an unsafe integer inside JSON text while `JSON.parse` reads it. */
const BIG = "$proxy_bigint";
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** `JSON.parse`, with integers beyond `Number.MAX_SAFE_INTEGER` as bigints. */
export function parseJson(text: string): unknown {
  let marked = "";
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text.charAt(i);
    if (inString) {
      marked += char;
      if (char === "\\") marked += text.charAt(++i);
      else if (char === '"') inString = false;
      continue;
    }
    if (char === '"') inString = true;
    NUMBER.lastIndex = i;
    const number =
      char === "-" || (char >= "0" && char <= "9") ? NUMBER.exec(text)?.[0] : undefined;
    if (number === undefined) {
      marked += char;
      continue;
    }
    const integer = /^-?\d+$/.test(number) && !Number.isSafeInteger(Number(number));
    marked += integer ? `{"${BIG}":"${number}"}` : number;
    i += number.length - 1;
  }
  return JSON.parse(marked, (_key, value: unknown) =>
    typeof value === "object" && value !== null && BIG in value
      ? BigInt((value as Record<string, string>)[BIG] ?? "")
      : value,
  );
}

/** `JSON.stringify`, with bigints written as plain JSON integers. */
export function stringifyJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    typeof item === "bigint" ? { [BIG]: item.toString() } : item,
  ).replace(new RegExp(`\\{"\\${BIG}":"(-?\\d+)"\\}`, "g"), "$1");
}

/** Whether `value` is a JSON-RPC call (a method name, params an array when present). */
export function isRpcCall(value: unknown): value is RpcCall {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const call = value as Record<string, unknown>;
  return (
    typeof call.method === "string" && (call.params === undefined || Array.isArray(call.params))
  );
}

/** The upstream node, for the reads a fault makes on its own (headers, receipts, accounts). */
export class Upstream {
  readonly url: string;
  #nextId = 1;

  constructor(url: string) {
    this.url = url;
  }

  /** `method(params)`'s result; throws on an error answer. */
  async call(method: string, params: unknown[] = []): Promise<unknown> {
    const response = await fetch(this.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: stringifyJson({ jsonrpc: "2.0", id: this.#nextId++, method, params }),
    });
    const answer = parseJson(await response.text()) as RpcAnswer;
    if (answer.error !== undefined) {
      throw new Error(`upstream ${method}: ${answer.error.message}`);
    }
    return answer.result;
  }
}
