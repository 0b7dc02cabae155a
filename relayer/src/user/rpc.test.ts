// The RPC edge's pure parts: which URL parts never reach a message, how the
// deadline is read, and which failures mean "the node was not reached".
import { SOLANA_ERROR__RPC__TRANSPORT_HTTP_ERROR, SolanaError } from "@solana/kit";
import { makeError } from "ethers";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_RPC_TIMEOUT_MS,
  redactUrl,
  RPC_TIMEOUT_ENV,
  rpcTimeoutMs,
  unreachableMessage,
  unreachableOf,
} from "./rpc.ts";

describe("redactUrl", () => {
  it.each([
    ["http://127.0.0.1:8545", "http://127.0.0.1:8545"],
    ["https://rpc.example.com/", "https://rpc.example.com"],
    ["https://user:secret@rpc.example.com/path", "https://***@rpc.example.com/path"],
    ["https://rpc.example.com/?api-key=abc123", "https://***@rpc.example.com"],
    [
      "https://eth-mainnet.g.alchemy.com/v2/AbCdEfGhIjKlMnOpQrStUvWxYz012345",
      "https://eth-mainnet.g.alchemy.com/v2/***",
    ],
    ["not a url", "<invalid URL>"],
  ])("%s_shows_%s", (url, shown) => {
    expect(redactUrl(url)).toBe(shown);
  });
});

describe("rpcTimeoutMs", () => {
  it("defaultsTo10s_theFlagWinsOverTheEnvironment", () => {
    expect(rpcTimeoutMs(undefined, {})).toBe(DEFAULT_RPC_TIMEOUT_MS);
    expect(rpcTimeoutMs(undefined, { [RPC_TIMEOUT_ENV]: "2.5" })).toBe(2_500);
    expect(rpcTimeoutMs("1", { [RPC_TIMEOUT_ENV]: "30" })).toBe(1_000);
  });

  it.each([["0"], ["-1"], ["ten"], [""]])("refuses_%s", (value) => {
    expect(() => rpcTimeoutMs(value, {})).toThrow(/--rpc-timeout: expected a number of seconds/);
    expect(() => rpcTimeoutMs(undefined, { [RPC_TIMEOUT_ENV]: value })).toThrow(
      new RegExp(`${RPC_TIMEOUT_ENV}: expected a number of seconds`),
    );
  });
});

describe("unreachableOf", () => {
  const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), {
    code: "ECONNREFUSED",
  });

  it.each<[string, unknown, ReturnType<typeof unreachableOf>]>([
    ["ethers' timeout", makeError("request timeout", "TIMEOUT"), { kind: "timeout" }],
    [
      "an aborted fetch",
      new DOMException("The operation was aborted due to timeout", "TimeoutError"),
      { kind: "timeout" },
    ],
    ["a refused connection", refused, { kind: "unreachable", reason: "connection refused" }],
    [
      "fetch's failure with the refusal as its cause",
      new TypeError("fetch failed", { cause: refused }),
      { kind: "unreachable", reason: "connection refused" },
    ],
    [
      "kit's HTTP error",
      new SolanaError(SOLANA_ERROR__RPC__TRANSPORT_HTTP_ERROR, {
        headers: new Headers(),
        message: "Bad Gateway",
        statusCode: 502,
      }),
      { kind: "unreachable", reason: "HTTP 502" },
    ],
    [
      "ethers' HTTP error",
      // ethers' SERVER_ERROR for a bad HTTP status (its request and response objects left out).
      Object.assign(new Error("server response 503 Service Unavailable"), {
        code: "SERVER_ERROR",
        info: { responseStatus: "503 Service Unavailable" },
      }),
      { kind: "unreachable", reason: "HTTP 503 Service Unavailable" },
    ],
    ["a revert", makeError("execution reverted", "CALL_EXCEPTION"), undefined],
    ["an answer it did not like", new Error("invalid params"), undefined],
  ])("%s", (_name, error, expected) => {
    expect(unreachableOf(error)).toEqual(expected);
  });

  it("messages_nameTheChainTheRedactedUrlAndWhatToDo", () => {
    const endpoint = {
      chain: "evm" as const,
      url: "https://k:s@rpc.example.com/?key=1",
      timeoutMs: 10_000,
    };

    expect(unreachableMessage(endpoint, { kind: "timeout" })).toMatchInlineSnapshot(
      `"the evm RPC https://***@rpc.example.com did not answer within 10 s (--rpc-timeout or LOANBRIDGE_RPC_TIMEOUT_SECONDS waits longer)"`,
    );
    expect(
      unreachableMessage(
        { ...endpoint, chain: "solana" },
        { kind: "unreachable", reason: "connection refused" },
      ),
    ).toMatchInlineSnapshot(
      `"cannot reach the solana RPC https://***@rpc.example.com: connection refused (is the node up, and solana.rpcUrl in the network file right?)"`,
    );
  });
});
