// The HTTP protocol of a remote signer, in the style of Consensys
// web3signer's REST API:
//
//   GET  {url}/upcheck                              200 "OK"
//   GET  {url}/api/v1/{scheme}/publicKeys           200 ["0x…", …]
//   POST {url}/api/v1/{scheme}/sign/{identifier}    { "data": "0x…" } → 200 text "0x…"
//
// `eth1` is web3signer's own secp256k1 scheme, which signs keccak256(data).
// `ed25519` is ours (web3signer has no raw ed25519 signing): the same shapes,
// signing `data` itself. With a token, every request but /upcheck carries
// `Authorization: Bearer <token>`.
import { type Hex, toHex } from "@loanbridge/shared";
import { redactUrl, type Secret } from "../config/secret.ts";
import { RemoteSignerError } from "./errors.ts";

export type SignerScheme = "eth1" | "ed25519";

export interface RemoteSignerClientOptions {
  /** Base URL; paths are appended to it. */
  url: string;
  token?: Secret | undefined;
  /** Per request. */
  timeoutMs: number;
}

/** Longest answer read: a list of keys or one signature is far shorter. */
const MAX_BODY_BYTES = 1_048_576;
const HEX = /^0x(?:[0-9a-fA-F]{2})*$/;

export class RemoteSignerClient {
  readonly #base: string;
  readonly #token: Secret | undefined;
  readonly #timeoutMs: number;
  /** The signer as it may be printed: scheme, host and port. */
  readonly label: string;

  constructor(options: RemoteSignerClientOptions) {
    this.#base = options.url.replace(/\/+$/, "");
    this.#token = options.token;
    this.#timeoutMs = options.timeoutMs;
    this.label = redactUrl(options.url);
  }

  /** Resolves when the signer answers its health check. */
  async upcheck(): Promise<void> {
    await this.#request("GET", "/upcheck", undefined, { auth: false });
  }

  /** The identifiers of the keys the signer holds for `scheme`, lower-cased. */
  async publicKeys(scheme: SignerScheme): Promise<string[]> {
    const text = await this.#request("GET", `/api/v1/${scheme}/publicKeys`);
    let keys: unknown;
    try {
      keys = JSON.parse(text);
    } catch {
      keys = undefined;
    }
    if (!Array.isArray(keys) || !keys.every((key) => typeof key === "string")) {
      throw this.#malformed(`${scheme}/publicKeys is not a JSON array of strings`);
    }
    return keys.map((key: string) => key.toLowerCase());
  }

  /** What the signer answers for `data` under `identifier`: hex bytes, unchecked. */
  async sign(scheme: SignerScheme, identifier: string, data: Uint8Array): Promise<Hex> {
    const path = `/api/v1/${scheme}/sign/${encodeURIComponent(identifier)}`;
    const text = (await this.#request("POST", path, { data: toHex(data) })).trim();
    // web3signer answers text/plain; a JSON string is tolerated.
    const value = text.startsWith('"') && text.endsWith('"') ? text.slice(1, -1) : text;
    if (!HEX.test(value)) throw this.#malformed(`${scheme} sign answer is not 0x-hex`);
    return value.toLowerCase() as Hex;
  }

  async #request(
    method: "GET" | "POST",
    path: string,
    body?: unknown,
    { auth = true }: { auth?: boolean } = {},
  ): Promise<string> {
    const headers: Record<string, string> = { accept: "application/json, text/plain" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (auth && this.#token !== undefined) {
      headers.authorization = `Bearer ${this.#token.reveal()}`;
    }
    const what = `${method} ${this.label}${path.replace(/\/sign\/.*/, "/sign/…")}`;
    let response: Response;
    try {
      response = await fetch(`${this.#base}${path}`, {
        method,
        headers,
        ...(body !== undefined && { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.#timeoutMs),
        redirect: "error",
      });
    } catch (cause) {
      throw this.#transportError(what, cause);
    }
    let text: string;
    try {
      text = await response.text();
    } catch (cause) {
      throw this.#transportError(what, cause);
    }
    if (response.status === 401 || response.status === 403) {
      throw new RemoteSignerError(
        "unauthorized",
        `remote signer refused ${what}: ${response.status} (check the token)`,
        { status: response.status },
      );
    }
    if (response.status === 404 && method === "POST") {
      throw new RemoteSignerError("unknown_key", `remote signer has no such key: ${what} 404`, {
        status: 404,
      });
    }
    if (response.status < 200 || response.status > 299) {
      throw new RemoteSignerError("http", `remote signer answered ${what} ${response.status}`, {
        status: response.status,
      });
    }
    if (text.length > MAX_BODY_BYTES) throw this.#malformed(`${what} answer is too long`);
    return text;
  }

  #transportError(what: string, cause: unknown): RemoteSignerError {
    const name = cause instanceof Error ? cause.name : "";
    if (name === "TimeoutError") {
      return new RemoteSignerError(
        "timeout",
        `remote signer did not answer ${what} within ${this.#timeoutMs} ms`,
      );
    }
    // undici puts the errno (ECONNREFUSED, …) on the cause; the message is only "fetch failed".
    const code = (cause as { cause?: { code?: unknown } } | undefined)?.cause?.code;
    const why = typeof code === "string" ? code : cause instanceof Error ? cause.message : "error";
    return new RemoteSignerError("unreachable", `remote signer unreachable: ${what}: ${why}`);
  }

  #malformed(what: string): RemoteSignerError {
    return new RemoteSignerError("malformed", `remote signer at ${this.label}: ${what}`);
  }
}
