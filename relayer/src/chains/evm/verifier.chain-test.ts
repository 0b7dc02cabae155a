// The verifier on real nodes: anvil (finalized tag, eth_getBlockReceipts)
// and hardhat node (confirmations, receipts one transaction at a time), a
// poisoned endpoint that forges the packet in its receipts, and two nodes
// whose histories differ.
import { type LocalNode, startHardhatNode } from "@loanbridge/evm-contracts";
import { decodePacket, encodePacket, type Hex, toBytes } from "@loanbridge/shared";
import { AbiCoder } from "ethers";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { ObservedPacket } from "../types.ts";
import { type AnvilNode, startAnvil } from "./anvil.ts";
import type { EvmFinality } from "./finality.ts";
import { PACKET_SENT_TOPIC } from "./proof.ts";
import { JsonRpc, type RpcCallEvent, type RpcDisagreementHook, RpcQuorumError } from "../rpc.ts";
import { deployEndpointPair, type EndpointPair, mine, SRC_EID } from "./testing.ts";
import { EvmPacketVerifier } from "./verifier.ts";
import { EvmPacketWatcher } from "./watcher.ts";

const TAG: EvmFinality = { kind: "tag", tag: "finalized" };

let anvil: AnvilNode;
let otherAnvil: AnvilNode;
let hardhat: LocalNode;
let anvilPair: EndpointPair;
let hardhatPair: EndpointPair;
/** A finalized packet on anvil, as the watcher reported it. */
let observed: ObservedPacket;
/** A finalized packet on hardhat (3 confirmations). */
let hardhatObserved: ObservedPacket;

async function observe(url: string, pair: EndpointPair, finality: EvmFinality) {
  const start = BigInt(await pair.provider.getBlockNumber());
  await pair.send();
  await mine(url, 10);
  const watcher = new EvmPacketWatcher({
    eid: SRC_EID,
    rpc: new JsonRpc({ chain: "t", urls: [url] }),
    endpoint: pair.addresses.source,
    finality,
  });
  const [packet] = (await watcher.poll(start)).packets;
  if (!packet) throw new Error("watcher saw no packet");
  return packet;
}

beforeAll(async () => {
  [anvil, otherAnvil, hardhat] = await Promise.all([
    startAnvil({ slotsInAnEpoch: 4 }),
    startAnvil({ slotsInAnEpoch: 4 }),
    startHardhatNode(),
  ]);
  [anvilPair, hardhatPair] = await Promise.all([
    deployEndpointPair(anvil.url),
    deployEndpointPair(hardhat.url),
  ]);
  // Some other transactions in the packet's neighbourhood.
  await anvilPair.send();
  observed = await observe(anvil.url, anvilPair, TAG);
  hardhatObserved = await observe(hardhat.url, hardhatPair, {
    kind: "confirmations",
    confirmations: 3,
  });
  await mine(otherAnvil.url, 100);
});

afterAll(async () => {
  anvilPair.provider.destroy();
  hardhatPair.provider.destroy();
  await Promise.all([anvil.stop(), otherAnvil.stop(), hardhat.stop()]);
});

function verifier(options: {
  urls: string[];
  quorum?: number;
  endpoint?: string;
  finality?: EvmFinality;
  fetch?: typeof fetch;
  onCall?: (event: RpcCallEvent) => void;
  onDisagreement?: RpcDisagreementHook;
}) {
  return new EvmPacketVerifier({
    eid: SRC_EID,
    rpc: new JsonRpc({
      chain: "t",
      urls: options.urls,
      ...(options.quorum === undefined ? {} : { quorum: options.quorum }),
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      ...(options.onCall === undefined ? {} : { onCall: options.onCall }),
      ...(options.onDisagreement === undefined ? {} : { onDisagreement: options.onDisagreement }),
    }),
    endpoint: options.endpoint ?? anvilPair.addresses.source,
    finality: options.finality ?? TAG,
  });
}

/** A fetch that forwards to the node, but rewrites PacketSent data in receipts for `url`. */
function poisoned(url: string, forge: (packet: Uint8Array) => Uint8Array): typeof fetch {
  return async (input: string | URL | Request, init?: RequestInit) => {
    const target = input instanceof Request ? input.url : String(input);
    const response = await fetch(input, init);
    if (target !== url) return response;
    const body = (await response.json()) as { result?: unknown };
    const tamper = (receipt: { logs: { topics: string[]; data: string }[] }) => {
      for (const log of receipt.logs) {
        if (log.topics[0] !== PACKET_SENT_TOPIC) continue;
        const abi = AbiCoder.defaultAbiCoder();
        const [packet, nonce] = abi.decode(["bytes", "uint64"], log.data) as unknown as [
          Hex,
          bigint,
        ];
        log.data = abi.encode(["bytes", "uint64"], [forge(toBytes(packet)), nonce]);
      }
    };
    if (Array.isArray(body.result)) body.result.forEach(tamper);
    return new Response(JSON.stringify(body));
  };
}

/** The same packet with another message: a forgery with a consistent guid. */
function forgeMessage(packet: Uint8Array): Uint8Array {
  const decoded = decodePacket(packet);
  return encodePacket(decoded, "0xdeadbeef");
}

describe("genuine packets", () => {
  it("anvil_twoEndpointsAgreeing_verifiesThroughEthGetBlockReceipts", async () => {
    const events: RpcCallEvent[] = [];
    const result = await verifier({
      urls: [anvil.url, `${anvil.url}/`],
      quorum: 2,
      onCall: (e) => events.push(e),
    }).verify(observed);
    expect(result).toEqual({ ok: true });
    const methods = new Set(events.map((e) => e.method));
    expect(methods.has("eth_getBlockReceipts")).toBe(true);
    expect(methods.has("eth_getTransactionReceipt")).toBe(false);
    expect(events.filter((e) => e.method === "eth_getBlockByNumber").length).toBeGreaterThanOrEqual(
      4,
    );
  });

  it("hardhat_withoutEthGetBlockReceipts_verifiesReceiptByReceipt", async () => {
    const events: RpcCallEvent[] = [];
    const v = verifier({
      urls: [hardhat.url],
      endpoint: hardhatPair.addresses.source,
      finality: { kind: "confirmations", confirmations: 3 },
      onCall: (e) => events.push(e),
    });
    expect(await v.verify(hardhatObserved)).toEqual({ ok: true });
    expect(await v.verify(hardhatObserved)).toEqual({ ok: true });
    // Asked once, remembered as unsupported.
    expect(events.filter((e) => e.method === "eth_getBlockReceipts")).toHaveLength(1);
    expect(events.some((e) => e.method === "eth_getTransactionReceipt")).toBe(true);
  });
});

describe("one proof per block", () => {
  it("verifiedAtOnce_sharesTheProofInFlight_readingTheBlockAndItsReceiptsOnce", async () => {
    const events: RpcCallEvent[] = [];
    const v = verifier({ urls: [anvil.url], onCall: (e) => events.push(e) });
    expect(await Promise.all([v.verify(observed), v.verify(observed)])).toEqual([
      { ok: true },
      { ok: true },
    ]);
    const reads = (method: string) => events.filter((e) => e.method === method).length;
    expect(reads("eth_getBlockReceipts")).toBe(1);
    // The finalized head for each (neither knew it yet), the block once.
    expect(reads("eth_getBlockByNumber")).toBe(2 + 1);
  });

  it("verifiedAgain_readsNothing_belowAKnownFinalizedHead", async () => {
    const events: RpcCallEvent[] = [];
    const v = verifier({ urls: [anvil.url], onCall: (e) => events.push(e) });
    expect(await v.verify(observed)).toEqual({ ok: true });
    const first = events.length;
    expect(await v.verify(observed)).toEqual({ ok: true });
    expect(await v.verify(observed)).toEqual({ ok: true });
    expect(events.slice(first)).toEqual([]);
  });

  it("falseClaimsAgainstAProvenBlock_areStillEachCaught", async () => {
    const v = verifier({ urls: [anvil.url] });
    expect(await v.verify(observed)).toEqual({ ok: true });
    const forged = forgeMessage(observed.packet);
    const claims = [
      [{ ...observed, packet: forged, guid: decodePacket(forged).guid }, "packet_hash_mismatch"],
      [{ ...observed, sourceTx: `0x${"ab".repeat(32)}` }, "receipt_missing"],
      [{ ...observed, sourceIndex: observed.sourceIndex + 1 }, "log_missing"],
    ] as const;
    for (const [claim, reason] of claims) {
      expect(await v.verify(claim)).toMatchObject({ ok: false, reason });
    }
    const other = verifier({ urls: [anvil.url], endpoint: anvilPair.addresses.destination });
    expect(await other.verify(observed)).toMatchObject({ ok: false, reason: "wrong_emitter" });
    expect(await other.verify(observed)).toMatchObject({ ok: false, reason: "wrong_emitter" });
  });

  it("aBlockThatFailedItsProof_isNotKept_andProvesOnceTheEndpointAnswersHonestly", async () => {
    let lying = true;
    const forging = poisoned(anvil.url, forgeMessage);
    const v = verifier({
      urls: [anvil.url],
      fetch: (input, init) => (lying ? forging(input, init) : fetch(input, init)),
    });
    expect(await v.verify(observed)).toMatchObject({
      ok: false,
      reason: "receipts_root_mismatch",
    });
    lying = false;
    expect(await v.verify(observed)).toEqual({ ok: true });
  });

  it("aBlockWhoseReadFailed_isNotKept", async () => {
    let down = true;
    const v = verifier({
      urls: [anvil.url],
      fetch: async (input, init) => {
        const body = typeof init?.body === "string" ? init.body : "";
        if (down && body.includes("eth_getBlockReceipts")) throw new TypeError("fetch failed");
        return fetch(input, init);
      },
    });
    await expect(v.verify(observed)).rejects.toThrow();
    down = false;
    expect(await v.verify(observed)).toEqual({ ok: true });
  });
});

describe("not yet final", () => {
  it("packetAboveTheFinalizedHead_isNotFinalized", async () => {
    const { receipt, packet } = await anvilPair.send();
    const decoded = decodePacket(packet);
    const fresh: ObservedPacket = {
      packet,
      guid: decoded.guid,
      srcEid: decoded.srcEid,
      dstEid: decoded.dstEid,
      nonce: decoded.nonce,
      sourceTx: receipt.hash,
      sourceHeight: BigInt(receipt.blockNumber),
      sourceIndex: receipt.logs.find((l) => l.topics[0] === PACKET_SENT_TOPIC)?.index ?? -1,
    };
    const v = verifier({ urls: [anvil.url] });
    // A packet below the head makes the verifier remember that head.
    expect(await v.verify(observed)).toEqual({ ok: true });
    expect(await v.verify(fresh)).toMatchObject({ ok: false, reason: "not_finalized" });
    expect(await v.verify(fresh)).toMatchObject({ ok: false, reason: "not_finalized" });
    await mine(anvil.url, 8);
    expect(await v.verify(fresh)).toEqual({ ok: true });
  });
});

describe("poisoned and disagreeing RPCs", () => {
  it("oneEndpointForgingTheReceipt_alone_isCaughtByTheReceiptsRoot", async () => {
    const forged = forgeMessage(observed.packet);
    const v = verifier({ urls: [anvil.url], fetch: poisoned(anvil.url, () => forged) });
    // The forged observation matches the forged receipt, but not the header.
    const claim = { ...observed, packet: forged, guid: decodePacket(forged).guid };
    expect(await v.verify(claim)).toMatchObject({ ok: false, reason: "receipts_root_mismatch" });
  });

  it("oneEndpointForgingTheReceipt_besideAnHonestOne_isRpcDisagreement", async () => {
    const v = verifier({
      urls: [anvil.url, `${anvil.url}/`],
      quorum: 2,
      fetch: poisoned(`${anvil.url}/`, forgeMessage),
    });
    expect(await v.verify(observed)).toMatchObject({ ok: false, reason: "rpc_disagreement" });
  });

  it("oneEndpointForgingTheReceipt_besideTwoHonestOnes_isOutvoted_andTheRealPacketProves", async () => {
    const dissent: string[] = [];
    const v = verifier({
      urls: [`${anvil.url}/`, anvil.url, `${anvil.url}/?second`],
      quorum: 2,
      fetch: poisoned(`${anvil.url}/`, forgeMessage),
      onDisagreement: ({ method }) => dissent.push(method),
    });
    expect(await v.verify(observed)).toEqual({ ok: true });
    // Two honest answers decide the read; the forger's may come after it
    // returned, and is judged (and reported) when it does.
    await vi.waitFor(() => {
      expect(dissent).toContain("block receipts");
    });
  });

  it("twoNodesWithDifferentHistories_isRpcDisagreement", async () => {
    const v = verifier({ urls: [anvil.url, otherAnvil.url], quorum: 2 });
    expect(await v.verify(observed)).toMatchObject({ ok: false, reason: "rpc_disagreement" });
  });

  it("quorumUnreachable_throwsForARetry_ratherThanAVerdict", async () => {
    const v = verifier({ urls: [anvil.url, "http://127.0.0.1:9"], quorum: 2 });
    await expect(v.verify(observed)).rejects.toBeInstanceOf(RpcQuorumError);
  });
});

describe("false claims", () => {
  const v = () => verifier({ urls: [anvil.url] });

  it("anotherPacketClaimedAtARealLog_isPacketHashMismatch", async () => {
    const forged = forgeMessage(observed.packet);
    const claim = { ...observed, packet: forged, guid: decodePacket(forged).guid };
    expect(await v().verify(claim)).toMatchObject({ ok: false, reason: "packet_hash_mismatch" });
  });

  it("verifierConfiguredForAnotherEndpoint_isWrongEmitter", async () => {
    const other = verifier({ urls: [anvil.url], endpoint: anvilPair.addresses.destination });
    expect(await other.verify(observed)).toMatchObject({ ok: false, reason: "wrong_emitter" });
  });

  it("transactionNotInTheBlock_isReceiptMissing", async () => {
    const claim = { ...observed, sourceTx: `0x${"ab".repeat(32)}` };
    expect(await v().verify(claim)).toMatchObject({ ok: false, reason: "receipt_missing" });
  });

  it("wrongLogIndex_isLogMissing", async () => {
    const claim = { ...observed, sourceIndex: observed.sourceIndex + 1 };
    expect(await v().verify(claim)).toMatchObject({ ok: false, reason: "log_missing" });
  });

  it("undecodablePacket_orFieldsThatContradictIt_areMalformed", async () => {
    expect(await v().verify({ ...observed, packet: new Uint8Array(50) })).toMatchObject({
      ok: false,
      reason: "malformed_packet",
    });
    expect(await v().verify({ ...observed, nonce: observed.nonce + 1n })).toMatchObject({
      ok: false,
      reason: "malformed_packet",
    });
    const otherEid = new EvmPacketVerifier({
      eid: SRC_EID + 1,
      rpc: new JsonRpc({ chain: "t", urls: [anvil.url] }),
      endpoint: anvilPair.addresses.source,
      finality: TAG,
    });
    expect(await otherEid.verify(observed)).toMatchObject({
      ok: false,
      reason: "malformed_packet",
    });
  });
});
