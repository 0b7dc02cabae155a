// The deliverer against a real Endpoint on hardhat node: hardhat lets the
// test switch automine off and mine by hand, which is how a stuck transaction
// and its replacement are staged.
import { type LocalNode, readArtifact, startHardhatNode } from "@loanbridge/evm-contracts";
import {
  addressToWire,
  decodePacket,
  encodePacket,
  type Hex,
  packetAttestationDigest,
} from "@loanbridge/shared";
import { Interface, type InterfaceAbi, toQuantity, Wallet } from "ethers";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { setTimeout as sleep } from "node:timers/promises";
import type { Attestation } from "../types.ts";
import {
  AlreadyDeliveredError,
  DeliveryPendingError,
  InsufficientAttestationsError,
} from "../errors.ts";
import {
  type DeliveryEvent,
  DeliveryTimeoutError,
  EndpointRevertError,
  EvmPacketDeliverer,
  type EvmDelivererOptions,
} from "./deliverer.ts";
import { ENDPOINT_ABI, endpointInterface } from "./endpointAbi.ts";
import { NonceManager } from "./nonces.ts";
import { hookedRpc, meetingPoint } from "../testing.ts";
import { JsonRpc } from "../rpc.ts";
import { EvmAttestationSigner } from "./signer.ts";
import {
  deployEndpointPair,
  devKey,
  DST_EID,
  type EndpointPair,
  rpcCall,
  sendTx,
  SRC_EID,
  VERIFIER_KEYS,
} from "./testing.ts";

const SENDER_KEY = devKey(5);
const GWEI = 10n ** 9n;

let node: LocalNode;
let pair: EndpointPair;
let rpc: JsonRpc;
const signers = VERIFIER_KEYS.map((key) => new EvmAttestationSigner(key));

beforeAll(async () => {
  node = await startHardhatNode();
  pair = await deployEndpointPair(node.url);
  rpc = new JsonRpc({ chain: "hardhat", urls: [node.url] });
});

afterAll(async () => {
  pair.provider.destroy();
  await node.stop();
});

beforeEach(async () => {
  await rpcCall(node.url, "evm_setAutomine", [true]);
});

function deliverer(overrides: Partial<EvmDelivererOptions> = {}) {
  return new EvmPacketDeliverer({
    eid: DST_EID,
    rpc,
    endpoint: pair.addresses.destination,
    senderKey: SENDER_KEY,
    fees: { maxFeePerGas: 100n * GWEI },
    pollIntervalMs: 25,
    receiptTimeoutMs: 10_000,
    ...overrides,
  });
}

async function attest(
  packet: Uint8Array,
  which = [0, 1, 2],
  epoch?: bigint,
): Promise<Attestation[]> {
  const target = deliverer();
  const set = await target.verifierSet();
  const at = epoch ?? set.epoch;
  const digest = packetAttestationDigest(target.endpoint, at, packet);
  const { guid } = decodePacket(packet);
  return Promise.all(which.map((i) => (signers[i] as EvmAttestationSigner).sign(guid, at, digest)));
}

const senderNonce = (tag: "latest" | "pending" = "latest") =>
  pair.provider.getTransactionCount(new Wallet(SENDER_KEY).address, tag);

async function waitForPendingTransactions(count: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const block = (await rpcCall(node.url, "eth_getBlockByNumber", ["pending", false])) as {
      transactions: string[];
    };
    if (block.transactions.length >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`fewer than ${count} pending transactions`);
}

describe("endpoint ABI", () => {
  it("matchesTheCompiledEndpoint_everyErrorAndEvent", async () => {
    const { abi } = await readArtifact("contracts/Endpoint.sol", "Endpoint");
    const compiled = new Interface(abi as InterfaceAbi);
    const ours = new Interface(ENDPOINT_ABI);
    const selectors = (iface: Interface, kind: "error" | "event") => {
      const out: string[] = [];
      iface.forEachError((e) => kind === "error" && out.push(`${e.format()} ${e.selector}`));
      iface.forEachEvent((e) => kind === "event" && out.push(`${e.format()} ${e.topicHash}`));
      return out.sort();
    };
    expect(selectors(ours, "error")).toEqual(selectors(compiled, "error"));
    for (const event of selectors(ours, "event")) {
      expect(selectors(compiled, "event")).toContain(event);
    }
    ours.forEachFunction((fn) => {
      expect(compiled.getFunction(fn.format())?.selector, fn.format()).toBe(fn.selector);
    });
  });
});

describe("verifierSet and isDelivered", () => {
  it("readTheEndpoint", async () => {
    const d = deliverer();
    expect(await d.verifierSet()).toEqual({
      epoch: 1n,
      threshold: 2,
      signers: signers.map((s) => s.signer),
    });
    const { packet } = await pair.send();
    expect(await d.isDelivered(decodePacket(packet).guid, packet)).toBe(false);
  });
});

describe("deliver", () => {
  it("deliversOnce_withThresholdSignatures_andIsIdempotent", async () => {
    const { packet } = await pair.send();
    const { guid } = decodePacket(packet);
    const events: DeliveryEvent[] = [];
    const d = deliverer({ onEvent: (e) => events.push(e) });
    const attestations = await attest(packet);
    // Noise the deliverer must drop: a stale epoch and a stranger's signature.
    const stranger = await new EvmAttestationSigner(devKey(9)).sign(
      guid,
      1n,
      packetAttestationDigest(d.endpoint, 1n, packet),
    );
    const stale = (await attest(packet, [0], 7n))[0] as Attestation;

    const progress: [string, string][] = [];
    const receipt = await d.deliver(
      packet,
      [stranger, stale, ...attestations.reverse()],
      (step, tx) => progress.push([step, tx]),
    );
    expect(receipt.outcome).toBe("delivered");
    expect(progress).toEqual([
      ["signed", receipt.tx],
      ["sent", receipt.tx],
    ]);
    expect(await d.isDelivered(guid, packet)).toBe(true);
    expect(await pair.destinationApp.getFunction("timesReceived").staticCall(guid)).toBe(1n);
    // Exactly the threshold's signatures went on chain.
    const tx = await pair.provider.getTransaction(receipt.tx);
    const [, signatures] = endpointInterface.decodeFunctionData(
      "deliver",
      tx?.data ?? "0x",
    ) as unknown as [Hex, Hex];
    expect((signatures.length - 2) / 2).toBe(2 * 65);
    expect(tx?.type).toBe(2);
    expect(events.map((e) => e.kind)).toEqual(["simulated", "sent", "mined"]);

    const nonceBefore = await senderNonce();
    const again = await d.deliver(packet, attestations);
    expect(again).toEqual(receipt);
    expect(await senderNonce()).toBe(nonceBefore);
  });

  it("belowThresholdAfterDroppingBadAttestations_throwsAndSendsNothing", async () => {
    const { packet } = await pair.send();
    const [good, other] = await attest(packet, [0, 1]);
    if (!good || !other) throw new Error();
    const forgedSignature = { ...other, signature: good.signature };
    const nonceBefore = await senderNonce();
    const error = await deliverer()
      .deliver(packet, [good, good, forgedSignature])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InsufficientAttestationsError);
    expect(error).toMatchObject({ usable: 1, threshold: 2 });
    expect(String(error)).toMatch(/does not recover/);
    expect(await senderNonce()).toBe(nonceBefore);
  });

  it("appThatReverts_isReportedAsStoredFailure", async () => {
    await sendTx(pair.destinationApp, "setRejecting", true);
    try {
      const { packet } = await pair.send();
      const receipt = await deliverer().deliver(packet, await attest(packet));
      expect(receipt.outcome).toBe("stored_failure");
      expect(
        await pair.destination
          .getFunction("failedPayloadHash")
          .staticCall(decodePacket(packet).guid),
      ).not.toBe(`0x${"00".repeat(32)}`);
    } finally {
      await sendTx(pair.destinationApp, "setRejecting", false);
    }
  });

  it("endpointRejection_isDecodedFromTheSimulation_andNothingIsSent", async () => {
    // Correctly signed, but from a sender the receiver has no peer for.
    const packet = encodePacket(
      {
        nonce: 1n,
        srcEid: SRC_EID,
        sender: addressToWire(new Wallet(devKey(8)).address),
        dstEid: DST_EID,
        receiver: addressToWire(pair.addresses.destinationApp),
      },
      "0x01",
    );
    const nonceBefore = await senderNonce();
    const error = await deliverer()
      .deliver(packet, await attest(packet))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EndpointRevertError);
    expect(error).toMatchObject({ errorName: "EndpointUnknownPeer" });
    expect(await senderNonce()).toBe(nonceBefore);
  });

  it("alreadyDeliveredBeyondTheLookback_isATypedError", async () => {
    const { packet } = await pair.send();
    const attestations = await attest(packet);
    await deliverer().deliver(packet, attestations);
    await rpcCall(node.url, "hardhat_mine", ["0x20"]);
    const error = await deliverer({ deliveredLookbackBlocks: 5 })
      .deliver(packet, attestations)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AlreadyDeliveredError);
  });
});

describe("another sender's delivery", () => {
  it("pendingInTheMempool_isNotSentAgain_DeliveryPendingError", async () => {
    const { packet } = await pair.send();
    const { guid } = decodePacket(packet);
    const attestations = await attest(packet);
    await rpcCall(node.url, "evm_setAutomine", [false]);
    // Another relayer's delivery sits in the mempool, not yet mined.
    const other = deliverer({ senderKey: devKey(6) });
    const pending = other.deliver(packet, attestations);
    const ours = deliverer();
    await waitForPendingTransactions(1);
    const nonceBefore = await senderNonce("pending");

    await expect(ours.deliver(packet, attestations)).rejects.toBeInstanceOf(DeliveryPendingError);
    expect(await senderNonce("pending")).toBe(nonceBefore);
    expect(await ours.isDelivered(guid, packet)).toBe(false);

    await rpcCall(node.url, "evm_mine");
    expect((await pending).outcome).toBe("delivered");
    expect(await ours.isDelivered(guid, packet)).toBe(true);
  });
});

describe("stuck transactions", () => {
  it("notMinedInTime_isReplacedWithHigherFees_andTheReplacementMines", async () => {
    const { packet } = await pair.send();
    await rpcCall(node.url, "evm_setAutomine", [false]);
    const sent: Extract<DeliveryEvent, { kind: "sent" }>[] = [];
    let mined = false;
    const d = deliverer({
      receiptTimeoutMs: 300,
      onEvent: (event) => {
        if (event.kind !== "sent") return;
        sent.push(event);
        // Let the first attempt sit; mine once the replacement is in the pool.
        if (sent.length === 2 && !mined) {
          mined = true;
          void rpcCall(node.url, "evm_mine");
        }
      },
    });
    const receipt = await d.deliver(packet, await attest(packet));

    const [first, second] = sent;
    if (!first || !second) throw new Error("expected two attempts");
    expect(second.nonce).toBe(first.nonce);
    expect(second.maxFeePerGas * 1000n).toBeGreaterThanOrEqual(first.maxFeePerGas * 1125n);
    expect(second.maxPriorityFeePerGas * 1000n).toBeGreaterThanOrEqual(
      first.maxPriorityFeePerGas * 1125n,
    );
    expect(receipt.tx).toBe(second.hash);
    expect(receipt.outcome).toBe("delivered");
    expect(await pair.provider.getTransactionReceipt(first.hash)).toBeNull();
  });

  it("baseFeeSpikeMidDelivery_theReplacementGoesToTheMarketFee_andMines", async () => {
    const { packet } = await pair.send();
    const before = (await pair.provider.getBlock("latest"))?.baseFeePerGas ?? 0n;
    await rpcCall(node.url, "evm_setAutomine", [false]);
    const sent: Extract<DeliveryEvent, { kind: "sent" }>[] = [];
    let spiked: bigint | undefined;
    const d = deliverer({
      receiptTimeoutMs: 300,
      onEvent: (event) => {
        if (event.kind !== "sent") return;
        sent.push(event);
        if (sent.length === 1) {
          // A spike: the next block's base fee ten times what the first attempt offers at most.
          spiked = event.maxFeePerGas * 10n;
          void (async () => {
            await rpcCall(node.url, "hardhat_setNextBlockBaseFeePerGas", [toQuantity(spiked)]);
            await rpcCall(node.url, "evm_mine");
          })();
        } else if (sent.length === 2) {
          void rpcCall(node.url, "evm_mine");
        }
      },
    });
    const receipt = await d.deliver(packet, await attest(packet));

    const [first, second] = sent;
    if (!first || !second || spiked === undefined)
      throw new Error("expected a spike and two attempts");
    expect(first.maxFeePerGas).toBeLessThan(spiked);
    // Not 12.5% more: the market's fee at once, above the spiked base fee.
    expect(second.maxFeePerGas).toBeGreaterThanOrEqual(spiked);
    expect(second.nonce).toBe(first.nonce);
    expect(receipt.tx).toBe(second.hash);
    expect(await pair.provider.getTransactionReceipt(first.hash)).toBeNull();

    // The spike passes: the next tests pay what they paid before it.
    await rpcCall(node.url, "hardhat_setNextBlockBaseFeePerGas", [toQuantity(before)]);
    await rpcCall(node.url, "evm_mine");
  });

  it("feeLadder_isCappedInBumpsAndFee_thenTimesOut", async () => {
    const { packet } = await pair.send();
    await rpcCall(node.url, "evm_setAutomine", [false]);
    const events: DeliveryEvent[] = [];
    // Fees start at 2 × base fee + a 1 gwei tip (≥ 1 gwei): ten 12.5% bumps would pass 3 gwei.
    const cap = 3n * GWEI;
    const d = deliverer({
      receiptTimeoutMs: 150,
      fees: { maxFeePerGas: cap, maxBumps: 10, minPriorityFeePerGas: 1n * GWEI },
      onEvent: (e) => events.push(e),
    });
    const error = await d.deliver(packet, await attest(packet)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryTimeoutError);
    const sent = events.filter((e) => e.kind === "sent");
    expect(sent.length).toBeGreaterThan(1);
    expect(sent.length).toBeLessThanOrEqual(11);
    for (const attempt of sent) expect(attempt.maxFeePerGas).toBeLessThanOrEqual(cap);
    expect(events.some((e) => e.kind === "fee_cap_reached")).toBe(true);

    // The last attempt is still in the pool and lands once blocks come.
    await rpcCall(node.url, "evm_mine");
    await rpcCall(node.url, "evm_setAutomine", [true]);
    expect(await d.isDelivered(decodePacket(packet).guid, packet)).toBe(true);
  });
});

describe("nonces", () => {
  it("externalTransactionFromTheSameKey_isReconciled_andDeliveryProceeds", async () => {
    const nonces = new NonceManager(rpc, new Wallet(SENDER_KEY).address);
    const d = deliverer({ nonces });
    const first = await pair.send();
    await d.deliver(first.packet, await attest(first.packet));
    const cached = nonces.next;
    if (cached === undefined) throw new Error("no nonce cached");

    // Someone else uses the key (an operator's manual transaction).
    const wallet = new Wallet(SENDER_KEY, pair.provider);
    await (
      await wallet.sendTransaction({ to: wallet.address, value: 0n, nonce: Number(cached) })
    ).wait();

    const events: DeliveryEvent[] = [];
    const second = await pair.send();
    const receipt = await deliverer({ nonces, onEvent: (e) => events.push(e) }).deliver(
      second.packet,
      await attest(second.packet),
    );
    expect(receipt.outcome).toBe("delivered");
    const sent = events.find((e) => e.kind === "sent");
    expect(sent?.nonce).toBe(cached + 1n);
    expect(nonces.next).toBe(cached + 2n);
  });

  it("aNewManager_startsFromThePendingCount", async () => {
    const address = new Wallet(SENDER_KEY).address;
    const nonces = new NonceManager(rpc, address);
    expect(nonces.next).toBeUndefined();
    expect(await nonces.reconcile()).toBe(BigInt(await senderNonce("pending")));
  });

  it("concurrentDeliveries_getDistinctNonces", async () => {
    const nonces = new NonceManager(rpc, new Wallet(SENDER_KEY).address);
    const packets = await Promise.all([0, 1, 2].map(async () => (await pair.send()).packet));
    const all = await Promise.all(packets.map(async (packet) => attest(packet)));
    const receipts = await Promise.all(
      packets.map((packet, i) => deliverer({ nonces }).deliver(packet, all[i] ?? [])),
    );
    expect(new Set(receipts.map((r) => r.tx)).size).toBe(3);
    expect(receipts.every((r) => r.outcome === "delivered")).toBe(true);
  });

  /** Three packets sent and attested, delivered at once by one deliverer whose RPC calls are listed. */
  async function threeAtOnce() {
    const packets = await Promise.all([0, 1, 2].map(async () => (await pair.send()).packet));
    const all = await Promise.all(packets.map(async (packet) => attest(packet)));
    const methods: string[] = [];
    const d = deliverer({
      rpc: new JsonRpc({
        chain: "hardhat",
        urls: [node.url],
        onCall: (event) => methods.push(event.method),
      }),
    });
    const receipts = await Promise.all(packets.map((packet, i) => d.deliver(packet, all[i] ?? [])));
    return { d, methods, receipts };
  }

  it("firstSendsAtOnce_shareOneFeeReading", async () => {
    const { methods, receipts } = await threeAtOnce();
    expect(receipts.every((r) => r.outcome === "delivered")).toBe(true);
    expect(methods.filter((method) => method === "eth_feeHistory")).toHaveLength(1);
    expect(methods.filter((method) => method === "eth_sendRawTransaction")).toHaveLength(3);
  });

  it("deliveriesAtOnce_shareOneVerifierSetRead_andOneASecondLaterReadsItAgain", async () => {
    const { d, methods, receipts } = await threeAtOnce();

    // One call reads the set; each delivery simulates with one more.
    expect(receipts.every((r) => r.outcome === "delivered")).toBe(true);
    expect(methods.filter((method) => method === "eth_call")).toHaveLength(1 + 3);
    const before = methods.length;
    expect((await d.verifierSet()).threshold).toBe(2);
    expect(methods.length).toBe(before);
    await sleep(1_100);
    await d.verifierSet();
    expect(methods.slice(before)).toEqual(["eth_call"]);
  });

  /**
   * A client to the node whose `eth_sendRawTransaction` calls pass through
   * `onSend` (their order, from 0) before they reach the node.
   */
  const sendHookedRpc = (onSend: (index: number) => Promise<void>) => {
    let sends = 0;
    return hookedRpc("hardhat", node.url, {
      before: (call) => (call.method === "eth_sendRawTransaction" ? onSend(sends++) : undefined),
    });
  };

  it("sendsFromOneKey_areInFlightTogether_eachStartedBeforeTheOneBeforeIsAnswered", async () => {
    const packets = await Promise.all([0, 1, 2].map(async () => (await pair.send()).packet));
    const all = await Promise.all(packets.map(async (packet) => attest(packet)));
    // Each send is held until all three have started, or for 2 s.
    const sends = meetingPoint(3);
    const d = deliverer({ rpc: sendHookedRpc(() => sends.arrive()) });

    const receipts = await Promise.all(packets.map((packet, i) => d.deliver(packet, all[i] ?? [])));

    expect(sends.released).toEqual(["with the others", "with the others", "with the others"]);
    expect(receipts.every((r) => r.outcome === "delivered")).toBe(true);
    expect(new Set(receipts.map((r) => r.tx)).size).toBe(3);
  });

  it("aFailedSendAmongSeveral_leavesNoNonceUnused_andEveryDeliveryLands", async () => {
    const packets = await Promise.all([0, 1, 2].map(async () => (await pair.send()).packet));
    const all = await Promise.all(packets.map(async (packet) => attest(packet)));
    const events: DeliveryEvent[] = [];
    const first = BigInt(await senderNonce("pending"));
    // The second send never reaches the node: the third names a nonce past
    // the next (an automining hardhat refuses it; a node that holds it
    // mines it once the nonce below is used).
    const d = deliverer({
      onEvent: (event) => events.push(event),
      rpc: sendHookedRpc((index) =>
        index === 1 ? Promise.reject(new TypeError("fetch failed")) : Promise.resolve(),
      ),
    });

    const outcomes = await Promise.allSettled(
      packets.map((packet, i) => d.deliver(packet, all[i] ?? [])),
    );
    const failed = outcomes.findIndex((outcome) => outcome.status === "rejected");
    expect(outcomes.filter((outcome) => outcome.status === "rejected")).toHaveLength(1);
    const retried = await d.deliver(packets[failed] ?? new Uint8Array(), all[failed] ?? []);

    expect(retried.outcome).toBe("delivered");
    expect(outcomes.filter((o) => o.status === "fulfilled").map((o) => o.value.outcome)).toEqual([
      "delivered",
      "delivered",
    ]);
    const nonces = events.flatMap((e) => (e.kind === "sent" ? [e.nonce] : []));
    expect(new Set(nonces)).toEqual(new Set([first, first + 2n, first + 1n]));
    expect(BigInt(await senderNonce())).toBe(first + 3n);
  }, 30_000);

  it("severalInFlightFromOneKey_takeConsecutiveNonces_andEachReplacementKeepsItsOwn", async () => {
    // As the pipeline delivers a batch: one deliverer, several packets at once.
    const packets = await Promise.all([0, 1, 2].map(async () => (await pair.send()).packet));
    const all = await Promise.all(packets.map(async (packet) => attest(packet)));
    const first = BigInt(await senderNonce("pending"));
    await rpcCall(node.url, "evm_setAutomine", [false]);
    const sent: Extract<DeliveryEvent, { kind: "sent" }>[] = [];
    let mined = false;
    const nonces = new NonceManager(rpc, new Wallet(SENDER_KEY).address);
    const d = deliverer({
      nonces,
      receiptTimeoutMs: 300,
      onEvent: (event) => {
        if (event.kind !== "sent") return;
        sent.push(event);
        // All three sit in the pool until each has been replaced once.
        const replaced = new Set(sent.filter((e) => e.attempt > 0).map((e) => e.guid));
        if (replaced.size === 3 && !mined) {
          mined = true;
          void rpcCall(node.url, "evm_mine");
        }
      },
    });

    const receipts = await Promise.all(packets.map((packet, i) => d.deliver(packet, all[i] ?? [])));

    const firstSends = sent.filter((e) => e.attempt === 0);
    const byNonce = firstSends.map((e) => e.nonce).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    expect(byNonce).toEqual([first, first + 1n, first + 2n]);
    for (const replacement of sent.filter((e) => e.attempt > 0)) {
      const original = firstSends.find((e) => e.guid === replacement.guid);
      expect(replacement.nonce).toBe(original?.nonce);
    }
    expect(receipts.map((r) => r.outcome)).toEqual(["delivered", "delivered", "delivered"]);
    expect(new Set(receipts.map((r) => r.height)).size).toBe(1);
    expect(nonces.next).toBe(first + 3n);
    expect(BigInt(await senderNonce())).toBe(first + 3n);
  });
});
