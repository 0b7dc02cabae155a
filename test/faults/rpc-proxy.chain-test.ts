// The fault proxy against real nodes: anvil with two peered Endpoints, and
// the local Solana node with the program deployed and peered. Each mode is
// shown applied (its counter moves, the answer differs from upstream's as
// meant and only as meant) and, where the relayer reads it, judged by the
// relayer's own code: its watchers and verifiers pointed at the proxy, its
// proof functions, its RPC client's failure kinds.
import { addressToWire, computeGuid, decodePacket, type Hex, toHex } from "@loanbridge/shared";
import {
  addressBytes,
  airdrop,
  decodeAccount,
  deploySolana,
  IDL_PROGRAM_ADDRESS,
  openNativeLoan,
  outboundPacketBytes,
  outboundPacketRent,
  pda,
  readAccount,
  readProgramBinary,
  rpcSender,
  SOLANA_DEV_DEFAULTS,
  type SolanaDeployment,
  type SolanaRpc,
  setSolanaPeers,
  solanaRpc,
} from "@loanbridge/solana-program";
import { type SvmNode, startSvmNode } from "@loanbridge/solana-program/node";
import { createKeyPairSignerFromBytes, type KeyPairSigner } from "@solana/kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AnvilNode, startAnvil } from "../../relayer/src/chains/evm/anvil.ts";
import { finalizedHead } from "../../relayer/src/chains/evm/finality.ts";
import {
  decodePacketSent,
  headerHash,
  PACKET_SENT_TOPIC,
  receiptsRoot,
  verifyPacketInBlock,
} from "../../relayer/src/chains/evm/proof.ts";
import { blockSchema, receiptSchema } from "../../relayer/src/chains/evm/schemas.ts";
import {
  deployEndpointPair,
  DST_EID,
  type EndpointPair,
  mine,
  rpcCall,
  SRC_EID,
} from "../../relayer/src/chains/evm/testing.ts";
import { EvmPacketVerifier } from "../../relayer/src/chains/evm/verifier.ts";
import { EvmPacketWatcher } from "../../relayer/src/chains/evm/watcher.ts";
import { JsonRpc, RpcError, toQuantity } from "../../relayer/src/chains/rpc.ts";
import { SolanaPacketVerifier } from "../../relayer/src/chains/solana/verifier.ts";
import { SolanaPacketWatcher } from "../../relayer/src/chains/solana/watcher.ts";
import { ANY_RECEIVER, type ObservedPacket } from "../../relayer/src/chains/types.ts";
import { solanaKeypair } from "../localnet/index.ts";
import { type EvmMode, type RpcProxy, type SolanaMode, startRpcProxy } from "./rpc-proxy.ts";
import { outboundPacketAccount } from "./solana-faults.ts";

const FINALIZED = { kind: "tag", tag: "finalized" } as const;
const SOLANA_EID = 40168;
const EVM_EID = 40161;
const REMOTE_POOL = addressToWire("0x2222222222222222222222222222222222222222");

interface Evm {
  anvil: AnvilNode;
  pair: EndpointPair;
  proxy: RpcProxy<EvmMode>;
  /** Where the pair's app sends: its path's receiver. */
  receiver: Hex;
  /** A finalized block holding a real packet, and that packet's guid. */
  sent: { height: bigint; guid: Hex; nonce: bigint };
}

interface Solana {
  node: SvmNode;
  rpc: SolanaRpc;
  deployment: SolanaDeployment;
  proxy: RpcProxy<SolanaMode>;
  borrower: KeyPairSigner;
}

let evm: Evm;
let solana: Solana;

async function startEvm(): Promise<Evm> {
  // Automine: blocks only when we send, so heights hold still while a test compares.
  const anvil = await startAnvil({ slotsInAnEpoch: 2 });
  const pair = await deployEndpointPair(anvil.url);
  await pair.send();
  const { receipt, packet } = await pair.send();
  await mine(anvil.url, 10);
  const decoded = decodePacket(packet);
  return {
    anvil,
    pair,
    proxy: await startRpcProxy({ chain: "evm", upstream: anvil.url }),
    receiver: addressToWire(pair.addresses.destinationApp),
    sent: { height: BigInt(receipt.blockNumber), guid: decoded.guid, nonce: decoded.nonce },
  };
}

async function startSolana(): Promise<Solana> {
  const node = await startSvmNode({
    programs: [{ id: IDL_PROGRAM_ADDRESS, elf: await readProgramBinary() }],
    slotMs: 50,
    finalityDepth: 4,
  });
  const rpc = solanaRpc(node.url);
  const admin = await createKeyPairSignerFromBytes(solanaKeypair());
  const borrower = await createKeyPairSignerFromBytes(solanaKeypair());
  await airdrop(rpc, admin.address, 1_000n);
  await airdrop(rpc, borrower.address, 100n);
  const send = rpcSender(rpc, { feePayer: admin, pollIntervalMs: 20 });
  const verifier = await createKeyPairSignerFromBytes(solanaKeypair());
  const deployment = await deploySolana(rpc, send, admin, {
    localEid: SOLANA_EID,
    remoteEid: EVM_EID,
    verifiers: [verifier.address],
    threshold: 1,
    vault: SOLANA_DEV_DEFAULTS.vault,
    pool: SOLANA_DEV_DEFAULTS.pool,
    collateral: {
      priceId: new Uint8Array(32).fill(0xe7),
      price: 3_000n * 10n ** 6n,
      maxLtvBps: 7_000,
      liquidationLtvBps: 8_000,
    },
    stablecoinDecimals: SOLANA_DEV_DEFAULTS.stablecoinDecimals,
    initialLiquidity: 0n,
  });
  await setSolanaPeers(send, admin, deployment, {
    vault: addressToWire("0x1111111111111111111111111111111111111111"),
    pool: REMOTE_POOL,
    beneficiary: addressToWire("0x4444444444444444444444444444444444444444"),
  });
  const proxy = await startRpcProxy({ chain: "solana", upstream: node.url });
  return { node, rpc, deployment, proxy, borrower };
}

beforeAll(async () => {
  [evm, solana] = await Promise.all([startEvm(), startSolana()]);
});

afterAll(async () => {
  evm.pair.provider.destroy();
  await Promise.all([evm.proxy.close(), solana.proxy.close()]);
  await Promise.all([evm.anvil.stop(), solana.node.stop()]);
});

/** A raw JSON-RPC POST: status, headers and body text exactly as they came. */
async function post(url: string, body: unknown) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

const call = (method: string, params: unknown[] = [], id = 1) => ({
  jsonrpc: "2.0",
  id,
  method,
  params,
});

const evmRpc = (...urls: string[]) =>
  new JsonRpc({ chain: "evm", urls, quorum: Math.min(2, urls.length) });

const watcher = (url: string) =>
  new EvmPacketWatcher({
    eid: SRC_EID,
    rpc: evmRpc(url),
    endpoint: evm.pair.addresses.source,
    finality: FINALIZED,
  });

const verifier = (...urls: string[]) =>
  new EvmPacketVerifier({
    eid: SRC_EID,
    rpc: evmRpc(...urls),
    endpoint: evm.pair.addresses.source,
    finality: FINALIZED,
  });

/** PacketSent logs of the source endpoint over `url`, from block 0 to the latest. */
async function packetLogs(url: string) {
  const logs = (await rpcCall(url, "eth_getLogs", [
    { address: evm.pair.addresses.source, topics: [PACKET_SENT_TOPIC], fromBlock: "0x0" },
  ])) as { topics: string[]; data: string; blockHash: string; logIndex: string }[];
  return logs.map((log) => ({ ...log, ...decodePacketSent(log).packet }));
}

/** A forged packet's path on the pair: the app's path to the destination app. */
const evmPath = (message: Hex) => ({
  app: evm.pair.addresses.sourceApp,
  dstEid: DST_EID,
  receiver: evm.receiver,
  message,
});

describe("evm", () => {
  it("pass_answersWithUpstreamsExactBytes_singleAndBatch", async () => {
    await evm.proxy.setMode({ mode: "pass" });
    const single = call("eth_getBlockByNumber", [toQuantity(evm.sent.height), true]);
    const batch = [single, call("eth_getBlockReceipts", [toQuantity(evm.sent.height)], 2)];
    for (const body of [single, batch]) {
      const [direct, proxied] = await Promise.all([
        post(evm.anvil.url, body),
        post(evm.proxy.url, body),
      ]);
      expect(proxied).toMatchObject({ status: direct.status, text: direct.text });
    }
  });

  it("forge_showsAWellFormedPacketSentLog_thatTheWatcherTakes_andTheVerifierRejects", async () => {
    const nonce = 900n;
    await evm.proxy.setMode({
      mode: "forge",
      endpoint: evm.pair.addresses.source,
      packet: { ...evmPath("0x0bad"), nonce },
      block: evm.sent.height,
    });
    const before = evm.proxy.applied("forge");
    const { packets } = await watcher(evm.proxy.url).poll(0n);
    const guid = computeGuid({
      nonce,
      srcEid: SRC_EID,
      sender: addressToWire(evm.pair.addresses.sourceApp),
      dstEid: DST_EID,
      receiver: evm.receiver,
    });
    const forged = packets.find((packet) => packet.guid === guid);
    expect(forged).toMatchObject({ nonce, sourceHeight: evm.sent.height });
    expect(decodePacket(forged?.packet ?? new Uint8Array()).message).toBe("0x0bad");
    expect(packets.map((packet) => packet.guid)).toContain(evm.sent.guid);
    expect(evm.proxy.applied("forge")).toBeGreaterThan(before);
    // Upstream never saw it.
    expect((await packetLogs(evm.anvil.url)).map((log) => log.guid)).not.toContain(guid);
    // The block does not hold the forged transaction: the relayer's proof says so.
    expect(await verifier(evm.proxy.url).verify(forged as ObservedPacket)).toMatchObject({
      ok: false,
      reason: "receipt_missing",
    });
  });

  it("squat_carriesTheGuidOfThePathsNextRealPacket_withOtherMessageBytes", async () => {
    await evm.proxy.setMode({
      mode: "squat",
      endpoint: evm.pair.addresses.source,
      packet: evmPath("0x5a5a"),
    });
    const squatted = (await packetLogs(evm.proxy.url)).find((log) => log.message === "0x5a5a");
    expect(squatted?.nonce).toBe(evm.sent.nonce + 1n);

    // With its block forged too, a lone liar gets the guid's other bytes past the relayer's proof.
    await evm.proxy.setMode({
      mode: "squat",
      endpoint: evm.pair.addresses.source,
      packet: evmPath("0x5a5a"),
      forgeBlock: true,
      block: evm.sent.height,
    });
    const { packets } = await watcher(evm.proxy.url).poll(0n);
    const observed = packets.find((packet) => packet.guid === squatted?.guid);
    expect(observed?.sourceHeight).toBe(evm.sent.height);
    expect(await verifier(evm.proxy.url).verify(observed as ObservedPacket)).toEqual({ ok: true });

    const { packet } = await evm.pair.send("0x00c0ffee");
    await evm.proxy.setMode({ mode: "pass" });
    const real = decodePacket(packet);
    expect(real.guid).toBe(squatted?.guid);
    expect(real.message).not.toBe(squatted?.message);
    expect(evm.proxy.applied("squat")).toBeGreaterThan(0);
  });

  it("forgeBlock_aloneConvincesTheRelayersProof_butHonestEndpointsBesideItDisagree", async () => {
    await mine(evm.anvil.url, 10);
    await evm.proxy.setMode({
      mode: "forge-block",
      endpoint: evm.pair.addresses.source,
      packet: { ...evmPath("0xf0f0"), nonce: 901n },
      block: evm.sent.height,
    });
    const { packets } = await watcher(evm.proxy.url).poll(0n);
    const forged = packets.find((packet) => decodePacket(packet.packet).message === "0xf0f0");
    const real = packets.find((packet) => packet.guid === evm.sent.guid);
    if (forged === undefined || real === undefined) throw new Error("packets not seen");

    // The header, receipts and log all agree, by proof.ts's own functions.
    const at = toQuantity(evm.sent.height);
    const block = blockSchema.parse(
      await rpcCall(evm.proxy.url, "eth_getBlockByNumber", [at, false]),
    );
    const receipts = receiptSchema
      .array()
      .parse(await rpcCall(evm.proxy.url, "eth_getBlockReceipts", [block.hash]));
    const honest = blockSchema.parse(
      await rpcCall(evm.anvil.url, "eth_getBlockByNumber", [at, false]),
    );
    expect(block.hash).not.toBe(honest.hash);
    expect(headerHash(block)).toBe(block.hash);
    expect(await receiptsRoot(receipts)).toBe(block.receiptsRoot);
    expect(block.transactions).toContain(forged.sourceTx);
    expect(await rpcCall(evm.proxy.url, "eth_getBlockByHash", [block.hash, false])).toEqual(
      await rpcCall(evm.proxy.url, "eth_getBlockByNumber", [at, false]),
    );
    expect(
      await rpcCall(evm.proxy.url, "eth_getTransactionReceipt", [forged.sourceTx]),
    ).toMatchObject({ blockHash: block.hash, transactionHash: forged.sourceTx });
    expect(
      await verifyPacketInBlock({
        header: block,
        receipts,
        txIndex: receipts.length - 1,
        logIndex: forged.sourceIndex,
        endpoint: evm.pair.addresses.source,
        packet: forged.packet,
      }),
    ).toEqual({ ok: true });

    // The relayer's verifier with the proxy as its only endpoint believes it (and the real one).
    expect(await verifier(evm.proxy.url).verify(forged)).toEqual({ ok: true });
    expect(await verifier(evm.proxy.url).verify(real)).toEqual({ ok: true });
    // Beside two honest endpoints the honest block carries the vote: no such transaction.
    const outvoted = verifier(evm.proxy.url, evm.anvil.url, evm.anvil.url);
    expect(await outvoted.verify(forged)).toMatchObject({ ok: false, reason: "receipt_missing" });
    expect(await outvoted.verify(real)).toEqual({ ok: true });
    expect(evm.proxy.applied("forge-block")).toBeGreaterThan(0);
  });

  it("hide_dropsPacketSentLogs_ofAGuidOrAll_andTheWatcherSeesAGap", async () => {
    const path = {
      app: addressToWire(evm.pair.addresses.sourceApp),
      dstEid: DST_EID,
      receiver: evm.receiver,
    };
    const all = (await packetLogs(evm.anvil.url)).map((log) => log.guid);
    expect(all.length).toBeGreaterThan(1);

    await evm.proxy.setMode({ mode: "hide", guids: [evm.sent.guid] });
    expect((await packetLogs(evm.proxy.url)).map((log) => log.guid)).toEqual(
      all.filter((guid) => guid !== evm.sent.guid),
    );
    const batch = await watcher(evm.proxy.url).poll(0n, {
      paths: [{ ...path, nonce: 0n }],
      gaps: [],
    });
    expect(batch.gaps).toEqual([expect.objectContaining({ nonce: evm.sent.nonce }) as unknown]);

    await evm.proxy.setMode({ mode: "hide" });
    expect(await packetLogs(evm.proxy.url)).toEqual([]);
    // In a batch only the targeted call's answer changes, and only its PacketSent logs.
    const filter = { address: evm.pair.addresses.source, fromBlock: "0x0" };
    const body = [call("eth_chainId", [], 7), call("eth_getLogs", [filter], 8)];
    const [direct, proxied] = (
      await Promise.all([post(evm.anvil.url, body), post(evm.proxy.url, body)])
    ).map(({ text }) => {
      const answers = JSON.parse(text) as { id: number; result: unknown }[];
      return new Map(answers.map((answer) => [answer.id, answer.result]));
    });
    const isPacketSent = (log: { topics: string[] }) => log.topics[0] === PACKET_SENT_TOPIC;
    const logs = direct?.get(8) as { topics: string[] }[];
    expect(proxied?.get(7)).toEqual(direct?.get(7));
    expect(logs.filter(isPacketSent)).toHaveLength(all.length);
    expect(proxied?.get(8)).toEqual(logs.filter((log) => !isPacketSent(log)));
    expect(evm.proxy.applied("hide")).toBeGreaterThanOrEqual(4);
  });

  it("headAhead_reportsASelfConsistentHeadNBlocksAhead_thatTheLowestAnswerOverrules", async () => {
    await evm.proxy.setMode({ mode: "head-ahead", blocks: 50 });
    const latest = BigInt((await rpcCall(evm.anvil.url, "eth_blockNumber")) as string);
    expect(BigInt((await rpcCall(evm.proxy.url, "eth_blockNumber")) as string)).toBe(latest + 50n);
    const real = blockSchema.parse(
      await rpcCall(evm.anvil.url, "eth_getBlockByNumber", ["finalized", false]),
    );
    const ahead = blockSchema.parse(
      await rpcCall(evm.proxy.url, "eth_getBlockByNumber", ["finalized", false]),
    );
    expect(BigInt(ahead.number)).toBe(BigInt(real.number) + 50n);
    expect(headerHash(ahead)).toBe(ahead.hash);
    expect(ahead.parentHash).toBe(real.parentHash);

    expect(await finalizedHead(evmRpc(evm.proxy.url), FINALIZED)).toBe(BigInt(real.number) + 50n);
    expect(await finalizedHead(evmRpc(evm.proxy.url, evm.anvil.url), FINALIZED)).toBe(
      BigInt(real.number),
    );
  });

  it("headBehind_stuckOrLagging_showsTheRealOlderBlocks", async () => {
    await evm.proxy.setMode({ mode: "head-behind", stuckAt: evm.sent.height });
    expect(await rpcCall(evm.proxy.url, "eth_blockNumber")).toBe(toQuantity(evm.sent.height));
    expect(await rpcCall(evm.proxy.url, "eth_getBlockByNumber", ["latest", false])).toEqual(
      await rpcCall(evm.anvil.url, "eth_getBlockByNumber", [toQuantity(evm.sent.height), false]),
    );

    await evm.proxy.setMode({ mode: "head-behind", blocks: 3 });
    const real = blockSchema.parse(
      await rpcCall(evm.anvil.url, "eth_getBlockByNumber", ["finalized", false]),
    );
    expect(await finalizedHead(evmRpc(evm.proxy.url), FINALIZED)).toBe(BigInt(real.number) - 3n);
    expect(evm.proxy.applied("head-behind")).toBeGreaterThanOrEqual(3);
  });

  it("alterHeaders_changesOneField_caughtByTheHeaderHash_orRehashed_byTheQuorum", async () => {
    const at = toQuantity(evm.sent.height);
    const honest = blockSchema.parse(
      await rpcCall(evm.anvil.url, "eth_getBlockByNumber", [at, false]),
    );
    const { packets } = await watcher(evm.anvil.url).poll(0n);
    const real = packets.find((packet) => packet.guid === evm.sent.guid) as ObservedPacket;

    await evm.proxy.setMode({ mode: "alter-headers", field: "stateRoot" });
    const altered = blockSchema.parse(
      await rpcCall(evm.proxy.url, "eth_getBlockByHash", [honest.hash, false]),
    );
    expect({ ...altered, stateRoot: honest.stateRoot }).toEqual(honest);
    expect(altered.stateRoot).not.toBe(honest.stateRoot);
    expect(await verifier(evm.proxy.url).verify(real)).toMatchObject({
      ok: false,
      reason: "header_hash_mismatch",
    });

    // Rehashed, the header is self-consistent: only an honest endpoint beside it tells.
    await evm.proxy.setMode({ mode: "alter-headers", field: "receiptsRoot", rehash: true });
    const rehashed = blockSchema.parse(
      await rpcCall(evm.proxy.url, "eth_getBlockByNumber", [at, false]),
    );
    expect(headerHash(rehashed)).toBe(rehashed.hash);
    expect(rehashed.hash).not.toBe(honest.hash);
    expect(await verifier(evm.anvil.url, evm.proxy.url).verify(real)).toMatchObject({
      ok: false,
      reason: "rpc_disagreement",
    });
    expect(evm.proxy.applied("alter-headers")).toBeGreaterThanOrEqual(3);
  });
});

describe("transport faults (both chains)", () => {
  /** One call through the relayer's own RPC client: its answer, or how it failed. */
  const outcome = async (url: string, method: string, timeoutMs = 2_000) => {
    try {
      await new JsonRpc({ chain: "t", urls: [url], timeoutMs }).request(method, []);
      return "ok";
    } catch (error) {
      return error instanceof RpcError ? error.kind : String(error);
    }
  };

  it("stall_holdsTheAnswer_andCloseCutsAHeldOne", async () => {
    await evm.proxy.setMode({ mode: "stall", ms: 400, methods: ["eth_blockNumber"] });
    const started = performance.now();
    expect(await outcome(evm.proxy.url, "eth_blockNumber")).toBe("ok");
    expect(performance.now() - started).toBeGreaterThanOrEqual(390);
    expect(evm.proxy.applied("stall")).toBe(1);

    const doomed = await startRpcProxy({ chain: "solana", upstream: solana.node.url });
    await doomed.setMode({ mode: "stall", ms: 60_000 });
    const held = outcome(doomed.url, "getSlot", 30_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closing = performance.now();
    await doomed.close();
    expect(await held).toBe("transport_error");
    expect(performance.now() - closing).toBeLessThan(1_000);
  });

  it.each([
    ["invalid-json", "invalid_response"],
    ["wrong-id", "invalid_response"],
    ["wrong-shape", "invalid_response"],
  ] as const)("malformed_%s_isAnInvalidResponseToTheRelayer", async (shape, kind) => {
    await evm.proxy.setMode({ mode: "malformed", shape });
    const answer = await post(evm.proxy.url, call("eth_blockNumber"));
    const direct = await post(evm.anvil.url, call("eth_blockNumber"));
    expect(answer.text).not.toBe(direct.text);
    const schema = blockSchema.pick({ number: true }).shape.number;
    await expect(
      evmRpc(evm.proxy.url).request("eth_blockNumber", [], schema),
    ).rejects.toMatchObject({
      kind,
    });
    expect(evm.proxy.applied("malformed")).toBeGreaterThan(0);
  });

  it("httpError_answersItsStatusWithRetryAfter_onlyForTheTargetedMethods", async () => {
    await solana.proxy.setMode({
      mode: "http-error",
      status: 429,
      retryAfterSeconds: 7,
      methods: ["getSlot"],
    });
    const refused = await post(solana.proxy.url, call("getSlot"));
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("7");
    expect(await outcome(solana.proxy.url, "getSlot")).toBe("http_error");
    expect(await outcome(solana.proxy.url, "getBlockHeight")).toBe("ok");
    for (const status of [500, 503] as const) {
      await solana.proxy.setMode({ mode: "http-error", status });
      expect((await post(solana.proxy.url, call("getBlockHeight"))).status).toBe(status);
    }
    expect(solana.proxy.applied("http-error")).toBe(4);
    await solana.proxy.setMode({ mode: "pass" });
  });

  it("drop_losesTheGivenShareOfRequests_beforeOrAfterTheNodeHadThem", async () => {
    await evm.proxy.setMode({ mode: "drop", fraction: 0.25, how: "reset" });
    const results = [];
    for (let i = 0; i < 12; i++) results.push(await outcome(evm.proxy.url, "eth_chainId"));
    expect(results.filter((result) => result === "transport_error")).toHaveLength(3);
    expect(results.filter((result) => result === "ok")).toHaveLength(9);

    await evm.proxy.setMode({ mode: "drop", fraction: 1, how: "silence" });
    expect(await outcome(evm.proxy.url, "eth_chainId", 300)).toBe("timeout");

    // The node mined the block; only the answer was lost.
    const height = BigInt((await rpcCall(evm.anvil.url, "eth_blockNumber")) as string);
    await evm.proxy.setMode({ mode: "drop", fraction: 1, how: "reset", afterUpstream: true });
    expect(await outcome(evm.proxy.url, "evm_mine")).toBe("transport_error");
    expect(BigInt((await rpcCall(evm.anvil.url, "eth_blockNumber")) as string)).toBe(height + 1n);
    expect(evm.proxy.applied("drop")).toBe(5);

    // Swallowed: a success answer for a transaction the node never saw.
    await evm.proxy.setMode({ mode: "drop", fraction: 1, how: "swallow" });
    const pending = await rpcCall(evm.anvil.url, "eth_getBlockByNumber", ["pending", false]);
    expect(await rpcCall(evm.proxy.url, "eth_sendRawTransaction", ["0x02"])).toBe(
      `0x${"ee".repeat(32)}`,
    );
    expect(await rpcCall(evm.anvil.url, "eth_getBlockByNumber", ["pending", false])).toEqual(
      pending,
    );
    await evm.proxy.setMode({ mode: "pass" });
  });
});

describe("solana", () => {
  const vaultPath = () => ({
    app: toHex(addressBytes(solana.deployment.vault)),
    dstEid: EVM_EID,
    receiver: ANY_RECEIVER,
  });
  const solanaRpcOf = (...urls: string[]) =>
    new JsonRpc({ chain: "solana", urls, quorum: Math.min(2, urls.length) });
  const solanaWatcher = (url: string) =>
    new SolanaPacketWatcher({
      eid: SOLANA_EID,
      rpc: solanaRpcOf(url),
      programId: IDL_PROGRAM_ADDRESS,
      commitment: "confirmed",
      remoteEids: [EVM_EID],
    });
  const solanaVerifier = (...urls: string[]) =>
    new SolanaPacketVerifier({
      eid: SOLANA_EID,
      rpc: solanaRpcOf(...urls),
      programId: IDL_PROGRAM_ADDRESS,
      commitment: "confirmed",
    });
  const counterAddress = () => pda.nonce(IDL_PROGRAM_ADDRESS, solana.deployment.vault, EVM_EID);
  const counterVia = async (url: string) => {
    const data = await readAccount(solanaRpc(url), await counterAddress());
    return decodeAccount("OutboundNonce", data ?? new Uint8Array()).nonce as bigint;
  };
  const packetVia = async (url: string, nonce: bigint) => {
    const account = await pda.packet(IDL_PROGRAM_ADDRESS, solana.deployment.vault, EVM_EID, nonce);
    const data = await readAccount(solanaRpc(url), account);
    return data === null ? null : decodePacket(outboundPacketBytes(data));
  };
  const openLoan = () =>
    openNativeLoan(
      solana.rpc,
      rpcSender(solana.rpc, { feePayer: solana.borrower, pollIntervalMs: 20 }),
      IDL_PROGRAM_ADDRESS,
      {
        borrower: solana.borrower,
        lamports: 2n * 10n ** 9n,
        principal: 100n * 10n ** 6n,
        maxRateBps: 800,
        termSeconds: 30n * 86_400n,
        recipient: addressToWire("0x3333333333333333333333333333333333333333"),
      },
    );

  it("pass_answersWithUpstreamsExactBytes", async () => {
    await solana.proxy.setMode({ mode: "pass" });
    const body = [call("getGenesisHash"), call("getMinimumBalanceForRentExemption", [365], 2)];
    const [direct, proxied] = await Promise.all([
      post(solana.node.url, body),
      post(solana.proxy.url, body),
    ]);
    expect(proxied.text).toBe(direct.text);
  });

  it("forge_aWellFormedPacketAccount_andABumpedCounter_convinceTheRelayerAlone_notBesideAnHonestNode", async () => {
    const counter = await counterVia(solana.node.url);
    const nonce = counter + 2n;
    await solana.proxy.setMode({
      mode: "forge",
      packet: {
        programId: IDL_PROGRAM_ADDRESS,
        app: solana.deployment.vault,
        dstEid: EVM_EID,
        receiver: REMOTE_POOL,
        message: "0x0bad",
        nonce,
      },
    });
    expect(await counterVia(solana.proxy.url)).toBe(nonce);
    expect(await counterVia(solana.node.url)).toBe(counter);
    expect((await packetVia(solana.proxy.url, nonce))?.message).toBe("0x0bad");
    expect(await packetVia(solana.node.url, nonce)).toBeNull();

    const batch = await solanaWatcher(solana.proxy.url).poll(0n, {
      paths: [{ ...vaultPath(), nonce: counter }],
      gaps: [],
    });
    const forged = batch.packets.find((packet) => packet.nonce === nonce);
    expect(forged).toBeDefined();
    expect(batch.gaps).toEqual([
      expect.objectContaining({ nonce: counter + 1n, reason: "missing" }) as unknown,
    ]);
    expect(await solanaVerifier(solana.proxy.url).verify(forged as ObservedPacket)).toEqual({
      ok: true,
    });
    expect(
      await solanaVerifier(solana.node.url, solana.proxy.url).verify(forged as ObservedPacket),
    ).toMatchObject({ ok: false, reason: "rpc_disagreement" });
    expect(solana.proxy.applied("forge")).toBeGreaterThan(0);
  });

  it("forge_givenBytes_makeAMissingAccountAppear_asTheClientReadsIt", async () => {
    const stranger = (await createKeyPairSignerFromBytes(solanaKeypair())).address;
    const data = new Uint8Array([1, 2, 3, 4]);
    await solana.proxy.setMode({
      mode: "forge",
      accounts: [{ address: stranger, data, owner: IDL_PROGRAM_ADDRESS }],
    });
    const shown = await solanaRpc(solana.proxy.url)
      .getAccountInfo(stranger, { encoding: "base64", commitment: "confirmed" })
      .send();
    expect(shown.value).toMatchObject({
      owner: IDL_PROGRAM_ADDRESS,
      data: [Buffer.from(data).toString("base64"), "base64"],
    });
    expect(await readAccount(solana.rpc, stranger)).toBeNull();
    // Rewritten answers keep u64 figures exact: rentEpoch is u64::MAX, beyond a double's integers.
    const { text } = await post(
      solana.proxy.url,
      call("getMultipleAccounts", [[stranger, solana.deployment.vault], { encoding: "base64" }]),
    );
    expect(text.match(/"rentEpoch":18446744073709551615\b/g)).toHaveLength(2);
  });

  it("squat_isThePathsNextRealGuid_withOtherBytes_andOutboundPacketAccountIsTheProgramsLayout", async () => {
    const counter = await counterVia(solana.node.url);
    await solana.proxy.setMode({
      mode: "squat",
      packet: {
        programId: IDL_PROGRAM_ADDRESS,
        app: solana.deployment.vault,
        dstEid: EVM_EID,
        receiver: REMOTE_POOL,
        message: "0x5a5a",
      },
    });
    const squatted = await packetVia(solana.proxy.url, counter + 1n);
    expect(squatted?.message).toBe("0x5a5a");

    const opened = await openLoan();
    expect(opened.packetNonce).toBe(counter + 1n);
    const real = await packetVia(solana.node.url, counter + 1n);
    expect(real?.guid).toBe(squatted?.guid);
    expect(real?.message).not.toBe(squatted?.message);

    // Built like the program builds it: same address, and byte for byte but the packet.
    const account = await pda.packet(
      IDL_PROGRAM_ADDRESS,
      solana.deployment.vault,
      EVM_EID,
      counter + 1n,
    );
    const realData = await readAccount(solana.rpc, account);
    const realPacket = outboundPacketBytes(realData ?? new Uint8Array());
    const rebuilt = await outboundPacketAccount(
      IDL_PROGRAM_ADDRESS,
      realPacket,
      outboundPacketRent(realData ?? new Uint8Array()),
    );
    expect(rebuilt.address).toBe(account);
    expect(toHex(rebuilt.data)).toBe(toHex(realData ?? new Uint8Array()));
    expect(solana.proxy.applied("squat")).toBeGreaterThan(0);
  });

  it("hide_nullsPacketAccounts_andLowersCounters", async () => {
    const counter = await counterVia(solana.node.url);
    expect(counter).toBeGreaterThan(0n);
    const account = await pda.packet(
      IDL_PROGRAM_ADDRESS,
      solana.deployment.vault,
      EVM_EID,
      counter,
    );
    await solana.proxy.setMode({ mode: "hide", accounts: [account] });
    expect(await packetVia(solana.proxy.url, counter)).toBeNull();
    expect(await packetVia(solana.node.url, counter)).not.toBeNull();
    const batch = await solanaWatcher(solana.proxy.url).poll(0n, {
      paths: [{ ...vaultPath(), nonce: counter - 1n }],
      gaps: [],
    });
    expect(batch.packets.filter((packet) => packet.nonce === counter)).toEqual([]);
    expect(batch.gaps).toEqual([
      expect.objectContaining({ nonce: counter, reason: "missing" }) as unknown,
    ]);

    await solana.proxy.setMode({
      mode: "hide",
      counters: [{ address: await counterAddress(), nonce: counter - 1n }],
    });
    expect(await counterVia(solana.proxy.url)).toBe(counter - 1n);
    expect(solana.proxy.applied("hide")).toBeGreaterThanOrEqual(3);
  });

  it("headAhead_andHeadBehind_moveEverySlotTheNodeReports", async () => {
    const slot = (url: string) => solanaRpc(url).getSlot({ commitment: "confirmed" }).send();
    await solana.proxy.setMode({ mode: "head-ahead", slots: 1_000 });
    const before = await slot(solana.node.url);
    const ahead = await slot(solana.proxy.url);
    expect(ahead - before).toBeGreaterThanOrEqual(1_000n);
    expect(ahead - before).toBeLessThan(1_100n);
    const blockhash = await solanaRpc(solana.proxy.url)
      .getLatestBlockhash({ commitment: "confirmed" })
      .send();
    const honest = await solana.rpc.getLatestBlockhash({ commitment: "confirmed" }).send();
    expect(blockhash.context.slot - honest.context.slot).toBeGreaterThan(900n);
    expect(blockhash.value.lastValidBlockHeight - blockhash.context.slot).toBe(
      honest.value.lastValidBlockHeight - honest.context.slot,
    );

    await solana.proxy.setMode({ mode: "head-behind", stuckAt: 5n });
    expect(await slot(solana.proxy.url)).toBe(5n);
    expect(await solanaRpc(solana.proxy.url).getBlockHeight().send()).toBe(5n);
    const info = await solanaRpc(solana.proxy.url)
      .getAccountInfo(solana.deployment.vault, { encoding: "base64" })
      .send();
    expect(info.context.slot).toBe(5n);
    expect(solana.proxy.applied("head-ahead")).toBe(2);
    expect(solana.proxy.applied("head-behind")).toBe(3);
  });
});
