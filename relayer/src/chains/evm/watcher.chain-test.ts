// The watcher on real nodes: anvil with --slots-in-an-epoch 4 (a real
// `finalized` tag, latest − 8) and hardhat node (whose `finalized` is
// `latest`, so it is watched with confirmations).
import { type LocalNode, startHardhatNode } from "@loanbridge/evm-contracts";
import { toHex } from "@loanbridge/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ObservedPacket } from "../types.ts";
import { type AnvilNode, startAnvil } from "./anvil.ts";
import { JsonRpc } from "../rpc.ts";
import { deployEndpointPair, DST_EID, type EndpointPair, mine, SRC_EID } from "./testing.ts";
import { EvmPacketWatcher } from "./watcher.ts";

let anvil: AnvilNode;
let hardhat: LocalNode;
let anvilPair: EndpointPair;
let hardhatPair: EndpointPair;

beforeAll(async () => {
  [anvil, hardhat] = await Promise.all([startAnvil({ slotsInAnEpoch: 4 }), startHardhatNode()]);
  [anvilPair, hardhatPair] = await Promise.all([
    deployEndpointPair(anvil.url),
    deployEndpointPair(hardhat.url),
  ]);
});

afterAll(async () => {
  anvilPair.provider.destroy();
  hardhatPair.provider.destroy();
  await Promise.all([anvil.stop(), hardhat.stop()]);
});

async function pollUntilCaughtUp(watcher: EvmPacketWatcher, from: bigint) {
  const seen: ObservedPacket[] = [];
  let cursor = from;
  let polls = 0;
  for (;;) {
    const batch = await watcher.poll(cursor);
    polls++;
    seen.push(...batch.packets);
    if (batch.scannedTo >= batch.finalizedHead) return { seen, cursor: batch.scannedTo, polls };
    cursor = batch.scannedTo;
  }
}

describe("anvil, finalized tag", () => {
  const watcher = () =>
    new EvmPacketWatcher({
      eid: SRC_EID,
      rpc: new JsonRpc({ chain: "anvil", urls: [anvil.url] }),
      endpoint: anvilPair.addresses.source,
      finality: { kind: "tag", tag: "finalized" },
    });

  it("packet_isReturnedOnlyOnceItsBlockIsFinalized_withItsSourceCoordinates", async () => {
    const w = watcher();
    const start = BigInt(await anvilPair.provider.getBlockNumber());
    const { receipt, packet } = await anvilPair.send();

    const early = await pollUntilCaughtUp(w, start);
    expect(early.seen).toEqual([]);
    expect(early.cursor).toBeLessThan(BigInt(receipt.blockNumber));

    await mine(anvil.url, 8);
    const late = await pollUntilCaughtUp(w, early.cursor);
    expect(late.seen).toHaveLength(1);
    const [observed] = late.seen;
    const log = receipt.logs.find((entry) => entry.address === anvilPair.addresses.source);
    expect(observed).toMatchObject({
      guid: log?.topics[1],
      srcEid: SRC_EID,
      dstEid: DST_EID,
      sourceTx: receipt.hash,
      sourceHeight: BigInt(receipt.blockNumber),
      sourceIndex: log?.index,
    });
    expect(toHex(observed?.packet ?? new Uint8Array())).toBe(toHex(packet));
  });

  it("catchUpAfterDowntime_takesSeveralPolls_andReturnsEveryPacketInOrder", async () => {
    const start = BigInt(await anvilPair.provider.getBlockNumber());
    const guids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { receipt } = await anvilPair.send();
      guids.push(
        receipt.logs.find((entry) => entry.address === anvilPair.addresses.source)?.topics[1] ?? "",
      );
      await mine(anvil.url, 120);
    }
    const w = new EvmPacketWatcher({
      eid: SRC_EID,
      rpc: new JsonRpc({ chain: "anvil", urls: [anvil.url] }),
      endpoint: anvilPair.addresses.source,
      finality: { kind: "tag", tag: "finalized" },
      range: { initial: 50, max: 100 },
    });
    const { seen, polls } = await pollUntilCaughtUp(w, start);
    expect(polls).toBeGreaterThanOrEqual(6);
    expect(seen.map((p) => p.guid)).toEqual(guids);
  });

  it("otherEndpointsLogs_areNotReturned", async () => {
    // The destination endpoint emits no PacketSent: watching it sees nothing.
    const start = BigInt(await anvilPair.provider.getBlockNumber());
    await anvilPair.send();
    await mine(anvil.url, 10);
    const w = new EvmPacketWatcher({
      eid: DST_EID,
      rpc: new JsonRpc({ chain: "anvil", urls: [anvil.url] }),
      endpoint: anvilPair.addresses.destination,
      finality: { kind: "tag", tag: "finalized" },
    });
    expect((await pollUntilCaughtUp(w, start)).seen).toEqual([]);
  });
});

describe("hardhat node, confirmations", () => {
  it("finalizedTagIsLatestThere_soConfirmationsHoldThePacketBack", async () => {
    const rpc = new JsonRpc({ chain: "hardhat", urls: [hardhat.url] });
    const start = BigInt(await hardhatPair.provider.getBlockNumber());
    await hardhatPair.send();

    const byTag = new EvmPacketWatcher({
      eid: SRC_EID,
      rpc,
      endpoint: hardhatPair.addresses.source,
      finality: { kind: "tag", tag: "finalized" },
    });
    // hardhat's `finalized` is `latest`: the tag would hand out the packet at once.
    expect((await byTag.poll(start)).packets).toHaveLength(1);

    const byConfirmations = new EvmPacketWatcher({
      eid: SRC_EID,
      rpc,
      endpoint: hardhatPair.addresses.source,
      finality: { kind: "confirmations", confirmations: 3 },
    });
    expect((await pollUntilCaughtUp(byConfirmations, start)).seen).toEqual([]);
    await mine(hardhat.url, 3);
    expect((await pollUntilCaughtUp(byConfirmations, start)).seen).toHaveLength(1);
  });
});
