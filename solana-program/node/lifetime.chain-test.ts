// Given a node with short slots, when transactions use old or unknown
// blockhashes, then they fail as on Solana; the clock cheat moves block
// time; SPL Token transfers read back per commitment.
import {
  AccountRole,
  createSolanaRpc,
  type Rpc,
  type SolanaRpcApi,
  generateKeyPairSigner,
  type KeyPairSigner,
  lamports,
} from "@solana/kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createMint,
  createTokenAccount,
  IDL_PROGRAM_ADDRESS,
  readProgramBinary,
  TOKEN_PROGRAM_ADDRESS,
  versionInstruction,
} from "../client/index.ts";
import { rawCall, signedTransaction, transferInstruction, waitFor } from "./fixture.ts";
import { type SvmNode, startSvmNode } from "./server.ts";

const VALIDITY = 12;
const CLOCK_SYSVAR = "SysvarC1ock11111111111111111111111111111111";

describe("svm node blockhash lifetime, clock and tokens", () => {
  let node: SvmNode;
  let rpc: Rpc<SolanaRpcApi>;
  let payer: KeyPairSigner;

  const latest = async () =>
    (await rpc.getLatestBlockhash({ commitment: "confirmed" }).send()).value;

  beforeAll(async () => {
    node = await startSvmNode({
      slotMs: 40,
      finalityDepth: 5,
      blockhashValiditySlots: VALIDITY,
      programs: [{ id: IDL_PROGRAM_ADDRESS, elf: await readProgramBinary() }],
    });
    rpc = createSolanaRpc(node.url);
    payer = await generateKeyPairSigner();
    await rpc.requestAirdrop(payer.address, lamports(10_000_000_000n)).send();
  });

  afterAll(async () => {
    await node.stop();
  });

  it("expiredBlockhash_isBlockhashNotFound", async () => {
    const lifetime = await latest();
    expect(lifetime.lastValidBlockHeight).toBeGreaterThanOrEqual(node.slot());
    const sent = await signedTransaction(
      payer,
      [versionInstruction(IDL_PROGRAM_ADDRESS)],
      lifetime,
    );
    await waitFor(
      () => rpc.getBlockHeight({ commitment: "confirmed" }).send(),
      (height) => height > lifetime.lastValidBlockHeight,
    );

    expect(
      await rpc.isBlockhashValid(lifetime.blockhash, { commitment: "confirmed" }).send(),
    ).toMatchObject({
      value: false,
    });
    const simulated = await rawCall(node.url, "simulateTransaction", [
      sent.base64,
      { encoding: "base64" },
    ]);
    expect(simulated.result).toMatchObject({ value: { err: "BlockhashNotFound", logs: [] } });
    const refused = await rawCall(node.url, "sendTransaction", [
      sent.base64,
      { encoding: "base64" },
    ]);
    expect(refused.error).toMatchObject({
      code: -32002,
      message: "Transaction simulation failed: Blockhash not found",
      data: { err: "BlockhashNotFound" },
    });
    // Without preflight the RPC answers and the validator drops it.
    const skipped = await rawCall(node.url, "sendTransaction", [
      sent.base64,
      { encoding: "base64", skipPreflight: true },
    ]);
    expect(skipped.result).toBe(sent.signature);
    expect(await rawCall(node.url, "getSignatureStatuses", [[sent.signature]])).toMatchObject({
      result: { value: [null] },
    });

    // replaceRecentBlockhash simulates it with a live blockhash instead.
    const replaced = await rawCall(node.url, "simulateTransaction", [
      sent.base64,
      { encoding: "base64", replaceRecentBlockhash: true, commitment: "confirmed" },
    ]);
    expect(replaced.result).toMatchObject({
      value: { err: null, replacementBlockhash: { blockhash: expect.any(String) as string } },
    });
  });

  it("unknownBlockhash_isBlockhashNotFound", async () => {
    const sent = await signedTransaction(payer, [versionInstruction(IDL_PROGRAM_ADDRESS)], {
      blockhash: "4vJ9JU1bJJE96FWSJKvHsmmFADCg4gpZQff4P3bkLKi",
      lastValidBlockHeight: 0n,
    });
    const refused = await rawCall(node.url, "sendTransaction", [
      sent.base64,
      { encoding: "base64" },
    ]);
    expect(refused.error).toMatchObject({ code: -32002, data: { err: "BlockhashNotFound" } });
  });

  it("setUnixTimestamp_movesClockAndBlockTime", async () => {
    const target = 2_000_000_000;
    expect(await rawCall(node.url, "svm_setUnixTimestamp", [target])).toMatchObject({
      result: target,
    });
    const sent = await signedTransaction(
      payer,
      [versionInstruction(IDL_PROGRAM_ADDRESS)],
      await latest(),
    );
    await rpc.sendTransaction(sent.base64 as never, { encoding: "base64" }).send();

    const statuses = await rawCall(node.url, "getSignaturesForAddress", [
      payer.address,
      { commitment: "confirmed", limit: 1 },
    ]);
    const [entry] = statuses.result as { blockTime: number }[];
    expect(entry?.blockTime).toBeGreaterThanOrEqual(target);
    expect(entry?.blockTime).toBeLessThan(target + 60);

    const slotBefore = node.slot();
    const clock = await rpc
      .getAccountInfo(CLOCK_SYSVAR as never, { commitment: "confirmed", encoding: "base64" })
      .send();
    const data = Buffer.from(clock.value?.data[0] ?? "", "base64");
    expect(data.readBigInt64LE(32)).toBeGreaterThanOrEqual(BigInt(target));
    // The sysvar's slot is the node's: slots move on while the call is in flight.
    expect(data.readBigUInt64LE(0)).toBeGreaterThanOrEqual(slotBefore);
    expect(data.readBigUInt64LE(0)).toBeLessThanOrEqual(node.slot());
  });

  it("splTokenTransfer_readsBackPerCommitment", async () => {
    const mint = await createMint(node.svm, payer.address, 6);
    const source = await createTokenAccount(node.svm, mint, payer.address, 5_000_000n);
    const destination = await createTokenAccount(node.svm, mint, payer.address);
    const data = new Uint8Array(9);
    data[0] = 3; // SPL Token Transfer
    new DataView(data.buffer).setBigUint64(1, 1_250_000n, true);
    const sent = await signedTransaction(
      payer,
      [
        {
          programAddress: TOKEN_PROGRAM_ADDRESS,
          accounts: [
            { address: source, role: AccountRole.WRITABLE },
            { address: destination, role: AccountRole.WRITABLE },
            { address: payer.address, role: AccountRole.READONLY_SIGNER, signer: payer },
          ] as never,
          data,
        },
      ],
      await latest(),
    );
    await rpc.sendTransaction(sent.base64 as never, { encoding: "base64" }).send();

    const confirmed = await rawCall(node.url, "getTokenAccountBalance", [
      destination,
      { commitment: "confirmed" },
    ]);
    expect(confirmed.result).toMatchObject({
      value: { amount: "1250000", decimals: 6, uiAmount: 1.25, uiAmountString: "1.25" },
    });
    const finalized = await rpc
      .getTokenAccountBalance(destination, { commitment: "finalized" })
      .send();
    expect(finalized.value.amount).toBe("0");

    await waitFor(
      () => rpc.getTokenAccountBalance(destination, { commitment: "finalized" }).send(),
      (balance) => balance.value.amount === "1250000",
    );
    const source_ = await rpc.getTokenAccountBalance(source, { commitment: "finalized" }).send();
    expect(source_.value.uiAmountString).toBe("3.75");

    const owned = await rawCall(node.url, "getProgramAccounts", [
      TOKEN_PROGRAM_ADDRESS,
      {
        encoding: "base64",
        commitment: "confirmed",
        filters: [{ dataSize: 165 }, { memcmp: { offset: 0, bytes: mint } }],
      },
    ]);
    expect((owned.result as { pubkey: string }[]).map((entry) => entry.pubkey).sort()).toEqual(
      [source, destination].sort(),
    );
  });

  it("transferToNewAccount_belowRent_landsWithRentError", async () => {
    const sent = await signedTransaction(
      payer,
      [transferInstruction(payer, (await generateKeyPairSigner()).address, 1n)],
      await latest(),
    );
    const refused = await rawCall(node.url, "sendTransaction", [
      sent.base64,
      { encoding: "base64" },
    ]);
    expect(refused.error).toMatchObject({
      code: -32002,
      data: { err: { InsufficientFundsForRent: { account_index: 1 } } },
    });
  });

  it("stopRpc_refusesClientsWhileSlotsGoOn_startRpcServesTheSameChainOnItsPort", async () => {
    const before = (await rpc.getBalance(payer.address).send()).value;
    const slotAtStop = node.slot();
    await node.stopRpc();
    const refused = await rpc
      .getSlot()
      .send()
      .then(
        () => "answered",
        (error: unknown) => String(error),
      );
    expect(refused).not.toBe("answered");
    // The chain does not wait for its RPC server.
    await waitFor(
      () => Promise.resolve(node.slot()),
      (slot) => slot >= slotAtStop + 5n,
    );
    await node.startRpc();
    expect((await rpc.getBalance(payer.address).send()).value).toBe(before);
    expect(await rpc.getSlot({ commitment: "confirmed" }).send()).toBeGreaterThanOrEqual(
      slotAtStop + 5n,
    );
  });
});
