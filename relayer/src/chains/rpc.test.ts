// JsonRpc against scripted endpoints (a fake fetch): timeouts, failover,
// error typing, metrics hook, labels without secrets, quorum rules; and the
// transport a relayer uses (undici) against local HTTP servers. The same
// client against real nodes is in rpc.chain-test.ts.
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { BaseError } from "@loanbridge/shared";
import { z } from "zod";
import { describe, expect, it } from "vitest";
import {
  canonicalJson,
  endpointLabel,
  JsonRpc,
  RpcConfigError,
  RpcError,
  isMethodUnsupported,
  type RpcCallEvent,
  type RpcDisagreementEvent,
  RpcDisagreementError,
  RpcQuorumError,
} from "./rpc.ts";

type Behaviour =
  | { result: unknown }
  | { error: { code: number; message: string; data?: unknown } }
  | { status: number; body?: string }
  | "hang"
  | "refuse";

/** A fetch that answers per URL from a script, recording the calls. */
function scripted(script: Record<string, (method: string, params: unknown[]) => Behaviour>) {
  const calls: { url: string; method: string }[] = [];
  const fake = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = input instanceof Request ? input.url : String(input);
    const { id, method, params } = JSON.parse(init?.body as string) as {
      id: number;
      method: string;
      params: unknown[];
    };
    calls.push({ url, method });
    const behave = script[url];
    if (behave === undefined) throw new Error(`unscripted ${url}`);
    const behaviour = behave(method, params);
    if (behaviour === "refuse") {
      throw new TypeError("fetch failed", { cause: { code: "ECONNREFUSED" } });
    }
    if (behaviour === "hang") {
      return new Promise<Response>((_resolve, reject) => {
        init?.signal?.addEventListener("abort", () => {
          reject(init.signal?.reason as Error);
        });
      });
    }
    if ("status" in behaviour) {
      return new Response(behaviour.body ?? "busy", { status: behaviour.status });
    }
    return new Response(JSON.stringify({ jsonrpc: "2.0", id, ...behaviour }));
  }) as typeof fetch;
  return { fetch: fake, calls };
}

const A = "https://a.example/v3/SECRET-KEY-A";
const B = "https://b.example/";
const C = "http://127.0.0.1:8545";

const ok = (result: unknown) => () => ({ result });

function client(
  script: Parameters<typeof scripted>[0],
  options: { quorum?: number; timeoutMs?: number; signal?: AbortSignal } = {},
) {
  const { fetch, calls } = scripted(script);
  const events: RpcCallEvent[] = [];
  const dissent: RpcDisagreementEvent[] = [];
  const rpc = new JsonRpc({
    chain: "test",
    urls: Object.keys(script),
    fetch,
    timeoutMs: options.timeoutMs ?? 50,
    onCall: (event) => events.push(event),
    onDisagreement: (event) => dissent.push(event),
    ...(options.quorum === undefined ? {} : { quorum: options.quorum }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  return { rpc, calls, events, dissent };
}

describe("labels", () => {
  it("pathAndQuery_areElided_soApiKeysNeverShow", () => {
    expect(endpointLabel(A)).toBe("a.example/…");
    expect(endpointLabel("https://x.example/?key=SECRET")).toBe("x.example/…");
    expect(endpointLabel(B)).toBe("b.example");
    expect(endpointLabel(C)).toBe("127.0.0.1:8545");
  });

  it("sameHostTwice_getsNumberedLabels", () => {
    const rpc = new JsonRpc({ chain: "t", urls: [C, `${C}/`], fetch: scripted({}).fetch });
    expect(rpc.endpoints.map((e) => e.label)).toEqual(["127.0.0.1:8545", "127.0.0.1:8545#2"]);
  });

  it("notAUrl_isAConfigErrorThatDoesNotEchoIt", () => {
    expect(() => new JsonRpc({ chain: "t", urls: ["SECRET nonsense"] })).toThrow(RpcConfigError);
    try {
      new JsonRpc({ chain: "t", urls: ["SECRET nonsense"] });
    } catch (error) {
      expect(String(error)).not.toContain("SECRET");
    }
  });
});

describe("request", () => {
  it("answer_isReturnedAndReportedToOnCall", async () => {
    const { rpc, events } = client({ [A]: ok("0x10") });
    expect(await rpc.request("eth_blockNumber")).toBe("0x10");
    expect(events).toEqual([
      {
        chain: "test",
        method: "eth_blockNumber",
        url: "a.example/…",
        outcome: "ok",
        seconds: expect.any(Number) as number,
      },
    ]);
  });

  it("timeout_failsOverToTheNextEndpoint", async () => {
    const { rpc, events } = client({ [A]: () => "hang", [B]: ok("0x1") });
    expect(await rpc.request("eth_chainId")).toBe("0x1");
    expect(events.map((e) => [e.url, e.outcome])).toEqual([
      ["a.example/…", "timeout"],
      ["b.example", "ok"],
    ]);
  });

  it("stopSignal_abandonsTheCallInFlightAtOnce_withoutFailover_andMakesNoNewCall", async () => {
    const stop = new AbortController();
    const { rpc, calls, events } = client(
      { [A]: () => "hang", [B]: ok("0x1") },
      { timeoutMs: 60_000, signal: stop.signal },
    );
    const pending = rpc.request("eth_chainId");
    setTimeout(() => {
      stop.abort();
    }, 20);
    const started = performance.now();
    const error = await pending.catch((e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(error).toBeInstanceOf(RpcError);
    expect((error as RpcError).kind).toBe("aborted");
    expect(calls.map((c) => c.url)).toEqual([A]);
    await expect(rpc.request("eth_chainId")).rejects.toMatchObject({ kind: "aborted" });
    expect(calls).toHaveLength(1);
    expect(events.map((e) => e.outcome)).toEqual(["aborted", "aborted"]);
  });

  it("allEndpointsDown_throwsTheLastTypedErrorWithoutTheUrlSecret", async () => {
    const { rpc } = client({ [A]: () => "refuse", [B]: () => ({ status: 503 }) });
    const error = await rpc.request("eth_chainId").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpcError);
    expect(error).toBeInstanceOf(BaseError);
    expect(error).toMatchObject({
      kind: "http_error",
      code: 503,
      url: "b.example",
      method: "eth_chainId",
    });
    const first = await client({ [A]: () => "refuse" })
      .rpc.request("x")
      .catch((e: unknown) => e);
    expect(first).toMatchObject({ kind: "transport_error", url: "a.example/…" });
    expect(String(first)).not.toContain("SECRET");
  });

  it("jsonRpcError_isAnAnswer_thrownWithoutFailover", async () => {
    const { rpc, calls } = client({
      [A]: () => ({ error: { code: 3, message: "execution reverted", data: "0xdeadbeef" } }),
      [B]: ok("0x"),
    });
    const error = await rpc.request("eth_call", [{}]).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: "rpc_error", code: 3, data: "0xdeadbeef" });
    expect(calls.map((c) => c.url)).toEqual([A]);
  });

  it("answerOfTheWrongShape_isInvalidResponse_andFailsOver", async () => {
    const { rpc, events } = client({ [A]: ok({ nope: 1 }), [B]: ok("0x2a") });
    expect(await rpc.request("eth_blockNumber", [], z.string())).toBe("0x2a");
    expect(events.map((e) => e.outcome)).toEqual(["invalid_response", "ok"]);
  });

  it("failingEndpoint_isTriedLastAfterwards", async () => {
    let aDown = true;
    const { rpc, calls } = client({
      [A]: () => (aDown ? "refuse" : { result: "0xa" }),
      [B]: ok("0xb"),
    });
    await rpc.request("eth_blockNumber");
    aDown = false;
    calls.length = 0;
    expect(await rpc.request("eth_blockNumber")).toBe("0xb");
    expect(calls.map((c) => c.url)).toEqual([B]);
  });
});

describe("quorum", () => {
  const block = (hash: string, extra: Record<string, unknown> = {}) => ({
    number: "0x1",
    hash,
    ...extra,
  });
  const schema = z.object({ number: z.string(), hash: z.string() });

  it("identicalAnswers_inAnyKeyOrderWithNodeExtras_agree", async () => {
    const { rpc } = client({
      [A]: ok(block("0xaa", { totalDifficulty: "0x0" })),
      [B]: ok({ hash: "0xaa", number: "0x1" }),
    });
    expect(await rpc.quorum("eth_getBlockByNumber", ["0x1", false], schema)).toEqual(block("0xaa"));
  });

  it("differentAnswers_throwRpcDisagreement_namingEachEndpoint", async () => {
    const { rpc } = client({ [A]: ok(block("0xaa")), [B]: ok(block("0xbb")) });
    const error = await rpc
      .quorum("eth_getBlockByNumber", ["0x1", false], schema)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpcDisagreementError);
    const answers = (error as RpcDisagreementError).answers;
    expect(answers.map((a) => a.url)).toEqual(["a.example/…", "b.example"]);
    expect(answers[0]?.fingerprint).not.toBe(answers[1]?.fingerprint);
  });

  it("oneOfTwoDown_withQuorumTwo_isRpcQuorumError_notAFailover", async () => {
    const { rpc } = client({ [A]: ok(block("0xaa")), [B]: () => "hang" });
    const error = await rpc
      .quorum("eth_getBlockByNumber", ["0x1", false], schema)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpcQuorumError);
    expect(error).toMatchObject({ needed: 2 });
  });

  it("twoOfThreeAgreeing_withTheThirdDown_isEnough", async () => {
    const { rpc } = client({ [A]: ok(block("0xaa")), [B]: () => "refuse", [C]: ok(block("0xaa")) });
    expect(await rpc.quorum("eth_getBlockByNumber", ["0x1", false], schema)).toEqual(block("0xaa"));
  });

  it("aThirdEndpointDisagreeing_isOutvotedAndReported_notAVeto", async () => {
    const { rpc, dissent } = client({
      [A]: ok(block("0xcc")),
      [B]: ok(block("0xaa")),
      [C]: ok(block("0xaa")),
    });
    expect(await rpc.quorum("eth_getBlockByNumber", ["0x1", false], schema)).toEqual(block("0xaa"));
    expect(dissent).toEqual([
      { chain: "test", method: "eth_getBlockByNumber", url: "a.example/…" },
    ]);
  });

  it("aStalledThirdEndpoint_doesNotHoldTheReadToItsTimeout", async () => {
    const { rpc } = client(
      { [A]: () => "hang", [B]: ok(block("0xaa")), [C]: ok(block("0xaa")) },
      { timeoutMs: 10_000 },
    );
    const started = performance.now();
    expect(await rpc.quorum("eth_getBlockByNumber", ["0x1", false], schema)).toEqual(block("0xaa"));
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it("aStalledEndpoint_isLeftOutOfAHeightOnceAQuorumAnswered", async () => {
    const { rpc } = client(
      { [A]: () => "hang", [B]: ok("0x10"), [C]: ok("0x11") },
      { timeoutMs: 10_000 },
    );
    const started = performance.now();
    const height = await rpc.quorumHeight("eth_blockNumber", async (endpoint) =>
      BigInt(await endpoint.call("eth_blockNumber", [], z.string())),
    );
    expect(height).toBe(0x10n);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it("aSlowDissenter_isReportedWhenItAnswers_afterTheQuorumDecided", async () => {
    const dissent: RpcDisagreementEvent[] = [];
    let reported: () => void = () => undefined;
    const lateReport = new Promise<void>((resolve) => (reported = resolve));
    const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
      const url = input instanceof Request ? input.url : String(input);
      const { id } = JSON.parse(init?.body as string) as { id: number };
      if (url === A) await new Promise((resolve) => setTimeout(resolve, 100));
      const result = block(url === A ? "0xcc" : "0xaa");
      return new Response(JSON.stringify({ jsonrpc: "2.0", id, result }));
    }) as typeof globalThis.fetch;
    const rpc = new JsonRpc({
      chain: "test",
      urls: [A, B, C],
      fetch,
      onDisagreement: (event) => {
        dissent.push(event);
        reported();
      },
    });

    expect(await rpc.quorum("eth_getBlockByNumber", ["0x1", false], schema)).toEqual(block("0xaa"));
    expect(dissent).toEqual([]);
    await lateReport;
    expect(dissent).toEqual([
      { chain: "test", method: "eth_getBlockByNumber", url: "a.example/…" },
    ]);
  });

  it("agreement_reportsNoDissent", async () => {
    const { rpc, dissent } = client({ [A]: ok(block("0xaa")), [B]: ok(block("0xaa")) });
    await rpc.quorum("eth_getBlockByNumber", ["0x1", false], schema);
    expect(dissent).toEqual([]);
  });

  it("threeDifferentAnswers_haveNoQuorum_andThrowDisagreement", async () => {
    const { rpc } = client({
      [A]: ok(block("0xaa")),
      [B]: ok(block("0xbb")),
      [C]: ok(block("0xcc")),
    });
    await expect(rpc.quorum("eth_getBlockByNumber", ["0x1", false], schema)).rejects.toBeInstanceOf(
      RpcDisagreementError,
    );
  });

  it("twoAnswersEachWithAQuorum_areAmbiguous_andThrowDisagreement", async () => {
    const { rpc } = client(
      {
        [A]: ok(block("0xaa")),
        [B]: ok(block("0xbb")),
        [C]: ok(block("0xbb")),
        [`${C}/x`]: ok(block("0xaa")),
      },
      { quorum: 2 },
    );
    await expect(rpc.quorum("eth_getBlockByNumber", ["0x1", false], schema)).rejects.toBeInstanceOf(
      RpcDisagreementError,
    );
  });

  it("defaultQuorum_isTwo_orOneForASingleEndpoint", () => {
    const { fetch } = scripted({});
    expect(new JsonRpc({ chain: "t", urls: [A, B, C], fetch }).quorumSize).toBe(2);
    expect(new JsonRpc({ chain: "t", urls: [A], fetch }).quorumSize).toBe(1);
    expect(() => new JsonRpc({ chain: "t", urls: [A], quorum: 2, fetch })).toThrow(RpcConfigError);
    expect(() => new JsonRpc({ chain: "t", urls: [], fetch })).toThrow(RpcConfigError);
  });
});

describe("broadcast", () => {
  it("reachesEveryEndpoint_andOneThatSwallowsItDoesNotHoldItUp", async () => {
    const { rpc, calls } = client(
      { [A]: () => "hang", [B]: ok("0xhash"), [C]: ok("0xhash") },
      { timeoutMs: 10_000 },
    );
    const started = performance.now();
    expect(await rpc.broadcast("eth_sendRawTransaction", ["0x02"], z.string())).toBe("0xhash");
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(calls.map((call) => call.url).sort()).toEqual([A, B, C].sort());
  });

  it("noEndpointTakingIt_throwsTheChainsVerdict_beforeTransportFailures", async () => {
    const { rpc } = client({
      [A]: () => "refuse",
      [B]: () => ({ error: { code: -32000, message: "nonce too low" } }),
    });
    const error = await rpc
      .broadcast("eth_sendRawTransaction", ["0x02"], z.string())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpcError);
    expect(error).toMatchObject({ kind: "rpc_error", url: "b.example" });
  });
});

describe("quorumHeight", () => {
  const height = (rpc: JsonRpc) =>
    rpc.quorumHeight("eth_blockNumber", async (endpoint) =>
      BigInt(await endpoint.call("eth_blockNumber", [], z.string())),
    );

  it("oneEndpointFarAhead_cannotRunUsAhead", async () => {
    const { rpc } = client({ [A]: ok("0xf4240"), [B]: ok("0x10"), [C]: ok("0x11") });
    expect(await height(rpc)).toBe(0x11n);
  });

  it("oneEndpointStuckBehind_cannotHoldUsBack", async () => {
    const { rpc } = client({ [A]: ok("0x0"), [B]: ok("0x10"), [C]: ok("0x11") });
    expect(await height(rpc)).toBe(0x10n);
  });

  it("tooFewAnswers_isRpcQuorumError", async () => {
    const { rpc } = client({ [A]: ok("0x10"), [B]: () => "refuse", [C]: () => "refuse" });
    await expect(height(rpc)).rejects.toBeInstanceOf(RpcQuorumError);
  });

  it("aSingleEndpoint_isItsOwnQuorum", async () => {
    const { rpc } = client({ [A]: ok("0x10") });
    expect(await height(rpc)).toBe(0x10n);
  });
});

describe("helpers", () => {
  it("canonicalJson_sortsKeysDeeply", () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: 3 } })).toBe(
      '{"a":{"c":3,"d":[2,{"e":0,"f":1}]},"b":1}',
    );
  });

  it("isMethodUnsupported_recognisesHardhatAndSpecAnswers", () => {
    const rpcError = (code: number, message: string) =>
      new RpcError(message, { method: "m", url: "u", kind: "rpc_error", code });
    expect(
      isMethodUnsupported(rpcError(-32004, "Method eth_getBlockReceipts is not supported")),
    ).toBe(true);
    expect(isMethodUnsupported(rpcError(-32601, "the method does not exist"))).toBe(true);
    expect(isMethodUnsupported(rpcError(3, "execution reverted"))).toBe(false);
    expect(isMethodUnsupported(new RpcError("t", { method: "m", url: "u", kind: "timeout" }))).toBe(
      false,
    );
  });
});

describe("over HTTP (undici, no fetch given)", () => {
  /** A local server answering each request by `answer`; its URL, and a way to close it. */
  async function serving(answer: (body: string, response: ServerResponse) => void) {
    const server = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk: Buffer) => (body += chunk.toString()));
      request.on("end", () => {
        answer(body, response);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}/`,
      close: () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => {
            resolve();
          });
        }),
    };
  }
  const rpcError = (call: Promise<unknown>) =>
    call.then(
      () => undefined,
      (error: unknown) => error as RpcError,
    );

  it("answer_isTheResult_ofTheRequestAsSent", async () => {
    const seen: unknown[] = [];
    const node = await serving((body, response) => {
      const request = JSON.parse(body) as { id: number };
      seen.push(request);
      response.setHeader("content-type", "application/json");
      response.end(JSON.stringify({ jsonrpc: "2.0", id: request.id, result: "0x2a" }));
    });
    try {
      const rpc = new JsonRpc({ chain: "t", urls: [node.url] });
      expect(await rpc.request("eth_chainId", [], z.string())).toBe("0x2a");
      expect(seen).toEqual([{ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }]);
    } finally {
      await node.close();
    }
  });

  it("refusedConnection_isATransportErrorNamingItsCode_andTheNextEndpointAnswers", async () => {
    const node = await serving((body, response) => {
      const { id } = JSON.parse(body) as { id: number };
      response.end(JSON.stringify({ jsonrpc: "2.0", id, result: 7 }));
    });
    const closed = await serving(() => undefined);
    await closed.close();
    try {
      const events: RpcCallEvent[] = [];
      const rpc = new JsonRpc({
        chain: "t",
        urls: [closed.url, node.url],
        onCall: (event) => events.push(event),
      });
      expect(await rpc.request("m", [])).toBe(7);
      expect(events.map((event) => event.outcome)).toEqual(["transport_error", "ok"]);
      const alone = new JsonRpc({ chain: "t", urls: [closed.url] });
      const error = await rpcError(alone.request("m", []));
      expect(error).toBeInstanceOf(RpcError);
      expect(error?.kind).toBe("transport_error");
      expect(error?.details).toBe("ECONNREFUSED");
    } finally {
      await node.close();
    }
  });

  it("httpStatusWithoutAJsonRpcBody_isAnHttpError_andOneWithIt_isTheRpcError", async () => {
    const node = await serving((body, response) => {
      const { id, method } = JSON.parse(body) as { id: number; method: string };
      response.statusCode = method === "overloaded" ? 503 : 500;
      response.end(
        method === "overloaded"
          ? "busy"
          : JSON.stringify({ jsonrpc: "2.0", id, error: { code: -32000, message: "reverted" } }),
      );
    });
    try {
      const rpc = new JsonRpc({ chain: "t", urls: [node.url] });
      expect(await rpcError(rpc.request("overloaded", []))).toMatchObject({
        kind: "http_error",
        code: 503,
      });
      expect(await rpcError(rpc.request("call", []))).toMatchObject({
        kind: "rpc_error",
        code: -32000,
        message: expect.stringContaining("reverted") as string,
      });
    } finally {
      await node.close();
    }
  });

  it("silentEndpoint_timesOut_andAStoppedClient_abandonsItsCall", async () => {
    const node = await serving(() => undefined);
    try {
      const rpc = new JsonRpc({ chain: "t", urls: [node.url], timeoutMs: 100 });
      expect(await rpcError(rpc.request("m", []))).toMatchObject({ kind: "timeout" });
      const stop = new AbortController();
      const stopping = new JsonRpc({ chain: "t", urls: [node.url], signal: stop.signal });
      const call = rpcError(stopping.request("m", []));
      setTimeout(() => {
        stop.abort();
      }, 50);
      expect(await call).toMatchObject({ kind: "aborted" });
    } finally {
      await node.close();
    }
  });
});
