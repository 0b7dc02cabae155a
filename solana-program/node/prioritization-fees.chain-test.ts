// Given the node, when transactions land with compute-unit prices, then
// getRecentPrioritizationFees answers as Agave does: per recent slot, the
// least price paid in it, raised to the least price paid by transactions
// writing the asked accounts (what a relayer's priority fee follows).
import {
  type Address,
  type Blockhash,
  generateKeyPairSigner,
  type KeyPairSigner,
} from "@solana/kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signV0Transaction } from "../client/index.ts";
import { rawCall, transferInstruction, waitFor } from "./fixture.ts";
import { type SvmNode, startSvmNode } from "./server.ts";

interface FeeEntry {
  slot: number;
  prioritizationFee: number;
}

describe("getRecentPrioritizationFees", () => {
  let node: SvmNode;
  let payer: KeyPairSigner;

  const call = async (params: unknown[]) =>
    rawCall(node.url, "getRecentPrioritizationFees", params);
  const fees = async (accounts: string[]) => (await call([accounts])).result as FeeEntry[];
  const at = (entries: FeeEntry[], slot: number) =>
    entries.find((entry) => entry.slot === slot)?.prioritizationFee;

  /** Sends a transfer to `to` at `microLamports` per unit; resolves with its slot. */
  async function transferAt(to: Address, microLamports: bigint): Promise<number> {
    const { value } = (await rawCall(node.url, "getLatestBlockhash", [])).result as {
      value: { blockhash: string; lastValidBlockHeight: number };
    };
    const { wire, signature } = await signV0Transaction({
      feePayer: payer,
      instructions: [transferInstruction(payer, to, 1_000_000n)],
      lifetime: {
        blockhash: value.blockhash as Blockhash,
        lastValidBlockHeight: BigInt(value.lastValidBlockHeight),
      },
      budget: { units: 10_000, microLamports },
    });
    const sent = await rawCall(node.url, "sendTransaction", [wire, { encoding: "base64" }]);
    expect(sent.error).toBeUndefined();
    const status = await waitFor(
      async () =>
        (
          (await rawCall(node.url, "getSignatureStatuses", [[signature]])).result as {
            value: ({ slot: number } | null)[];
          }
        ).value[0],
      (value) => value != null,
    );
    return status?.slot ?? -1;
  }

  beforeAll(async () => {
    node = await startSvmNode({ slotMs: 50, finalityDepth: 3 });
    payer = await generateKeyPairSigner();
    await rawCall(node.url, "requestAirdrop", [payer.address, 10_000_000_000]);
    // The airdrop paid no priority fee: let its slot pass.
    const airdropped = node.slot();
    await waitFor(
      () => Promise.resolve(node.slot()),
      (slot) => slot > airdropped + 1n,
    );
  });

  afterAll(async () => {
    await node.stop();
  });

  it("accountsWritten_reportTheLeastPriceTheirWritersPaid_perSlot", async () => {
    const a = (await generateKeyPairSigner()).address;
    const b = (await generateKeyPairSigner()).address;

    const slotA = await transferAt(a, 5_000n);
    const slotB = await transferAt(b, 2_000n);

    expect(at(await fees([a]), slotA)).toBe(5_000);
    expect(at(await fees([b]), slotB)).toBe(2_000);
    // Without accounts: the least any transaction in the slot paid.
    expect(at(await fees([]), slotB)).toBe(2_000);
  });

  it("answersTheRecentSlots_inOrder_withZeroForSlotsWithoutTransactions", async () => {
    const entries = await fees([]);

    expect(entries.length).toBeGreaterThan(0);
    expect(entries.length).toBeLessThanOrEqual(150);
    expect(entries.map((e) => e.slot)).toEqual(
      entries.map((_, index) => (entries[0]?.slot ?? 0) + index),
    );
    expect(entries.at(-1)?.slot).toBeLessThanOrEqual(Number(node.slot()));
    expect((await call([])).result).toBeInstanceOf(Array);
  });

  it("badAccounts_areInvalidParams", async () => {
    const many = await Promise.all(
      Array.from({ length: 129 }, async () => (await generateKeyPairSigner()).address),
    );

    for (const params of [["not an array"], [["not an address"]], [many]]) {
      const reply = await call(params);
      expect(reply.error?.code).toBe(-32602);
    }
  });
});
