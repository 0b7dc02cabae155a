// Given the node, when a client creates and extends an address lookup table
// through the Address Lookup Table program and then sends v0 transactions
// that load accounts from it, then simulation, execution and history treat
// them as a cluster does (what padded-transaction tests need for room).
import {
  AddressLookupTableProgram,
  Connection,
  Keypair,
  LAMPORTS_PER_SOL,
  SystemProgram,
  SYSVAR_SLOT_HASHES_PUBKEY,
  TransactionMessage,
  VersionedTransaction,
  AddressLookupTableAccount,
  type TransactionInstruction,
} from "@solana/web3.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SvmNode, startSvmNode } from "./server.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("address lookup tables and v0 transactions", () => {
  let node: SvmNode;
  let connection: Connection;
  const payer = Keypair.generate();
  const recipients = Array.from({ length: 20 }, () => Keypair.generate().publicKey);
  let table: AddressLookupTableAccount;

  async function sendV0(
    instructions: TransactionInstruction[],
    tables: AddressLookupTableAccount[],
    on = connection,
  ): Promise<VersionedTransaction> {
    const { blockhash } = await on.getLatestBlockhash("confirmed");
    const message = new TransactionMessage({
      payerKey: payer.publicKey,
      recentBlockhash: blockhash,
      instructions,
    }).compileToV0Message(tables);
    const transaction = new VersionedTransaction(message);
    transaction.sign([payer]);
    return transaction;
  }

  async function land(transaction: VersionedTransaction, on = connection): Promise<string> {
    const signature = await on.sendTransaction(transaction);
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const { value } = await on.getSignatureStatuses([signature]);
      if (
        value[0]?.confirmationStatus === "confirmed" ||
        value[0]?.confirmationStatus === "finalized"
      ) {
        expect(value[0].err).toBeNull();
        return signature;
      }
      await sleep(20);
    }
    throw new Error(`${signature} did not land`);
  }

  const transfers = (lamports: number) =>
    recipients.map((toPubkey) =>
      SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey, lamports }),
    );

  beforeAll(async () => {
    node = await startSvmNode({ slotMs: 50, finalityDepth: 3 });
    connection = new Connection(node.url, "confirmed");
    await connection.requestAirdrop(payer.publicKey, 10 * LAMPORTS_PER_SOL);
  });

  afterAll(async () => {
    await node.stop();
  });

  it("recentSlotOfAnySlotTheNodeProduced_isInSlotHashes_newestFirst", async () => {
    while (node.slot() < 20n) await sleep(20);
    const slotHashes = await connection.getAccountInfo(SYSVAR_SLOT_HASHES_PUBKEY, "confirmed");
    if (slotHashes === null) throw new Error("no SlotHashes sysvar");
    // u64 count, then (slot u64, hash [32]) entries, newest first.
    const count = Number(slotHashes.data.readBigUInt64LE(0));
    const slots = Array.from({ length: count }, (_, i) =>
      slotHashes.data.readBigUInt64LE(8 + i * 40),
    );
    expect(slots[0]).toBe(node.slot() - 1n);
    // Every slot the node produced, each once, newest first to the end: the
    // program's binary search finds a slot only in a list so ordered.
    const newest = slots[0] ?? 0n;
    expect(slots).toEqual(Array.from({ length: slots.length }, (_, i) => newest - BigInt(i)));
    expect(slots.at(-1)).toBeLessThanOrEqual(1n);
  });

  it("everySlotTheNodeListed_createsATable_fromItsFirstSlotsOn", async () => {
    // A fresh node: its first slots are where a disordered list was missed.
    const fresh = await startSvmNode({ slotMs: 50, finalityDepth: 2 });
    try {
      const freshConnection = new Connection(fresh.url, "confirmed");
      await freshConnection.requestAirdrop(payer.publicKey, LAMPORTS_PER_SOL);
      while ((await freshConnection.getBalance(payer.publicKey)) === 0) await sleep(20);
      while (fresh.slot() < 12n) await sleep(20);
      for (let recentSlot = 1; recentSlot < 10; recentSlot++) {
        const [create] = AddressLookupTableProgram.createLookupTable({
          authority: payer.publicKey,
          payer: payer.publicKey,
          recentSlot,
        });
        await land(await sendV0([create], [], freshConnection), freshConnection);
      }
    } finally {
      await fresh.stop();
    }
  });

  it("createAndExtend_throughTheProgram_giveAnActiveTableWithTheAddresses", async () => {
    // A slot well after genesis: the program looks it up in SlotHashes.
    const recentSlot = await connection.getSlot("finalized");
    expect(recentSlot).toBeGreaterThan(10);
    const [create, address] = AddressLookupTableProgram.createLookupTable({
      authority: payer.publicKey,
      payer: payer.publicKey,
      recentSlot,
    });
    const extend = AddressLookupTableProgram.extendLookupTable({
      lookupTable: address,
      authority: payer.publicKey,
      payer: payer.publicKey,
      addresses: recipients,
    });
    await land(await sendV0([create, extend], []));
    // Extended addresses are usable from the next slot on.
    const extendedAt = node.slot();
    while (node.slot() <= extendedAt) await sleep(20);

    const { value } = await connection.getAddressLookupTable(address);
    if (value === null) throw new Error("no lookup table");
    expect(value.state.addresses.map(String)).toEqual(recipients.map(String));
    expect(value.state.authority?.toBase58()).toBe(payer.publicKey.toBase58());
    expect(value.isActive()).toBe(true);
    table = value;
  });

  it("v0WithTheTable_simulatesSendsAndIsReadBackWithItsLoadedAddresses", async () => {
    const transaction = await sendV0(transfers(1_000_000), [table]);
    // The twenty recipients come from the table, not the message's static keys.
    expect(transaction.message.addressTableLookups).toHaveLength(1);
    expect(transaction.message.staticAccountKeys.length).toBeLessThan(5);

    const simulated = await connection.simulateTransaction(transaction);
    expect(simulated.value.err).toBeNull();
    expect(simulated.value.logs?.filter((line) => line.endsWith("success"))).toHaveLength(20);

    const signature = await land(transaction);
    for (const recipient of recipients) {
      expect(await connection.getBalance(recipient, "confirmed")).toBe(1_000_000);
    }
    const landed = await connection.getTransaction(signature, {
      commitment: "confirmed",
      maxSupportedTransactionVersion: 0,
    });
    expect(landed?.version).toBe(0);
    expect(landed?.meta?.loadedAddresses?.writable.map(String)).toEqual(recipients.map(String));
    expect(landed?.meta?.loadedAddresses?.readonly).toEqual([]);
    expect(landed?.transaction.message.addressTableLookups[0]?.accountKey.toBase58()).toBe(
      table.key.toBase58(),
    );
    expect(landed?.meta?.postBalances.slice(-20)).toEqual(recipients.map(() => 1_000_000));
  });

  it("v0NamingATableThatDoesNotExist_isRejected_andNothingMoves", async () => {
    const missing = new AddressLookupTableAccount({
      key: Keypair.generate().publicKey,
      state: table.state,
    });
    const transaction = await sendV0(transfers(7), [missing]);
    const simulated = await connection.simulateTransaction(transaction);
    expect(simulated.value.err).not.toBeNull();
    await expect(connection.sendTransaction(transaction)).rejects.toThrow();
    for (const recipient of recipients) {
      expect(await connection.getBalance(recipient, "confirmed")).toBe(1_000_000);
    }
  });
});
