// JsonRpc against real nodes: two anvils with different histories disagree on
// the same block number, two endpoints to one anvil agree, and a listener
// that never answers times out and is failed over.
import { createServer, type Server, type Socket } from "node:net";
import { z } from "zod";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AnvilNode, startAnvil } from "./evm/anvil.ts";
import { JsonRpc, type RpcCallEvent, RpcDisagreementError, toQuantity } from "./rpc.ts";
import { blockSchema, receiptSchema } from "./evm/schemas.ts";
import { devKey, mine, providerFor } from "./evm/testing.ts";
import { Wallet } from "ethers";

let first: AnvilNode;
let second: AnvilNode;
let silent: Server;
let silentUrl: string;
const sockets = new Set<Socket>();

beforeAll(async () => {
  [first, second] = await Promise.all([startAnvil(), startAnvil()]);
  // Different histories: a transfer on the first, empty blocks on the second.
  const provider = providerFor(first.url);
  const wallet = new Wallet(devKey(0), provider);
  await (await wallet.sendTransaction({ to: wallet.address, value: 1n })).wait();
  provider.destroy();
  await mine(second.url, 3);

  silent = createServer((socket) => {
    sockets.add(socket); // accept and never answer
  });
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  const address = silent.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  silentUrl = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => silent.close(resolve));
  await Promise.all([first.stop(), second.stop()]);
});

describe("quorum against real nodes", () => {
  it("twoEndpointsToOneNode_agreeOnBlockAndReceipts", async () => {
    const rpc = new JsonRpc({ chain: "anvil", urls: [first.url, `${first.url}/`], quorum: 2 });
    const block = await rpc.quorum("eth_getBlockByNumber", [toQuantity(1), false], blockSchema);
    expect(block.number).toBe("0x1");
    expect(block.transactions).toHaveLength(1);
    const receipts = await rpc.quorum("eth_getBlockReceipts", [block.hash], z.array(receiptSchema));
    expect(receipts).toHaveLength(1);
  });

  it("twoNodesWithDifferentHistories_disagreeOnBlockOne", async () => {
    const rpc = new JsonRpc({ chain: "anvil", urls: [first.url, second.url], quorum: 2 });
    const error = await rpc
      .quorum("eth_getBlockByNumber", [toQuantity(1), false], blockSchema)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpcDisagreementError);
    expect((error as RpcDisagreementError).answers).toHaveLength(2);
  });

  it("disagreeingNodes_stillServeFailoverReads", async () => {
    const rpc = new JsonRpc({ chain: "anvil", urls: [first.url, second.url], quorum: 2 });
    expect(await rpc.request("eth_chainId", [], z.string())).toBe("0x7a69");
  });
});

describe("timeouts", () => {
  it("silentEndpoint_timesOutPerCall_andTheNextEndpointAnswers", async () => {
    const events: RpcCallEvent[] = [];
    const rpc = new JsonRpc({
      chain: "anvil",
      urls: [silentUrl, first.url],
      timeoutMs: 200,
      quorum: 1,
      onCall: (event) => events.push(event),
    });
    const started = performance.now();
    expect(await rpc.request("eth_chainId", [], z.string())).toBe("0x7a69");
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(events.map((e) => e.outcome)).toEqual(["timeout", "ok"]);
    expect(events[0]?.seconds).toBeGreaterThanOrEqual(0.19);
  });
});
