// Given a running node, when requests break JSON-RPC or HTTP rules, then it
// answers with the protocol's codes and statuses, and batches work.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawCall } from "./fixture.ts";
import { type SvmNode, startSvmNode } from "./server.ts";

describe("svm node HTTP and JSON-RPC framing", () => {
  let node: SvmNode;

  const post = (body: string) =>
    fetch(node.url, { method: "POST", headers: { "Content-Type": "application/json" }, body });

  beforeAll(async () => {
    node = await startSvmNode({
      slotMs: 100,
      finalityDepth: 2,
      maxBodyBytes: 4096,
      airdropCap: 1_000_000_000n,
    });
  });

  afterAll(async () => {
    await node.stop();
  });

  it("malformedJson_isParseError", async () => {
    const response = await post('{"jsonrpc":"2.0",');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      jsonrpc: "2.0",
      error: { code: -32700, message: "Parse error" },
      id: null,
    });
  });

  it("unknownMethod_isMethodNotFound", async () => {
    expect(await rawCall(node.url, "getEverything")).toMatchObject({
      error: { code: -32601, message: "Method not found" },
    });
  });

  it.each([
    ["getBalance", ["not-an-address"], "address must be a base58 address"],
    ["getBalance", [], "address must be a base58 address"],
    [
      "getBalance",
      ["11111111111111111111111111111111", { commitment: "soon" }],
      "commitment must be one of",
    ],
    ["getSignatureStatuses", ["abc"], "signatures must be an array"],
    ["getMinimumBalanceForRentExemption", [-1], "data length must be a non-negative integer"],
    ["sendTransaction", ["AAAA", { encoding: "base64" }], "invalid transaction"],
    ["sendTransaction", ["AAAA", { encoding: "hex" }], "unsupported encoding: hex"],
    [
      "getAccountInfo",
      ["11111111111111111111111111111111", { encoding: "jsonParsed" }],
      "unsupported encoding: jsonParsed",
    ],
    [
      "getSignaturesForAddress",
      ["11111111111111111111111111111111", { commitment: "processed" }],
      "does not support commitment below `confirmed`",
    ],
  ])("%s(%j)_isInvalidParams", async (method, params, message) => {
    const reply = await rawCall(node.url, method, params);
    expect(reply.error?.code).toBe(-32602);
    expect(reply.error?.message).toContain(message);
  });

  it("airdropOverCap_isInvalidParams", async () => {
    const to = "4vJ9JU1bJJE96FWSJKvHsmmFADCg4gpZQff4P3bkLKi";
    const reply = await rawCall(node.url, "requestAirdrop", [to, 1_000_000_001]);
    expect(reply.error?.code).toBe(-32602);
    expect(reply.error?.message).toContain("exceeds this node's cap of 1000000000");
    expect((await rawCall(node.url, "requestAirdrop", [to, 1_000_000_000])).result).toBeTypeOf(
      "string",
    );
  });

  it("objectParams_isInvalidParams", async () => {
    const response = await post('{"jsonrpc":"2.0","id":7,"method":"getSlot","params":{"a":1}}');
    expect(await response.json()).toMatchObject({ error: { code: -32602 }, id: 7 });
  });

  it("missingVersionOrMethod_isInvalidRequest", async () => {
    const noVersion = await post('{"id":1,"method":"getSlot"}');
    expect(await noVersion.json()).toMatchObject({ error: { code: -32600 }, id: 1 });
    const emptyBatch = await post("[]");
    expect(await emptyBatch.json()).toMatchObject({ error: { code: -32600 }, id: null });
  });

  it("batch_answersEachRequestAndSkipsNotifications", async () => {
    const response = await post(
      JSON.stringify([
        { jsonrpc: "2.0", id: 1, method: "getHealth" },
        { jsonrpc: "2.0", method: "getHealth" },
        { jsonrpc: "2.0", id: "two", method: "nope" },
        5,
      ]),
    );
    expect(await response.json()).toEqual([
      { jsonrpc: "2.0", result: "ok", id: 1 },
      { jsonrpc: "2.0", error: { code: -32601, message: "Method not found" }, id: "two" },
      { jsonrpc: "2.0", error: { code: -32600, message: "Invalid request" }, id: null },
    ]);
  });

  it("nonPost_is405", async () => {
    const response = await fetch(node.url, { method: "PUT", body: "{}" });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("POST");
    expect((await fetch(`${node.url}/health`)).status).toBe(200);
  });

  it("oversizedBody_is413", async () => {
    const response = await post(
      JSON.stringify({ jsonrpc: "2.0", id: 1, method: "x".repeat(5000) }),
    );
    expect(response.status).toBe(413);
    // The connection stays usable for the next request.
    expect(await rawCall(node.url, "getHealth")).toMatchObject({ result: "ok" });
  });

  it("u64Figures_areJsonNumbers", async () => {
    const response = await post(
      JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "getAccountInfo",
        params: [
          "11111111111111111111111111111111",
          { encoding: "base64", commitment: "confirmed" },
        ],
      }),
    );
    const text = await response.text();
    expect(text).toMatch(/"rentEpoch":18446744073709551615[,}]/);
    expect(text).toMatch(/"lamports":\d+[,}]/);
    expect(text).toMatch(/"slot":\d+[,}]/);
  });
});
