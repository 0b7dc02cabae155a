// Given the node running the loanbridge SBF program, when real RPC clients
// (@solana/kit and web3.js 1.x) use it, then balances, transactions,
// statuses and history behave as on a Solana cluster, commitment included.
import {
  AccountRole,
  createSolanaRpc,
  type Rpc,
  type SolanaRpcApi,
  getAddressEncoder,
  generateKeyPairSigner,
  isSolanaError,
  type KeyPairSigner,
  lamports,
  type Signature,
  SOLANA_ERROR__INSTRUCTION_ERROR__CUSTOM,
  SOLANA_ERROR__JSON_RPC__SERVER_ERROR_SEND_TRANSACTION_PREFLIGHT_FAILURE,
} from "@solana/kit";
import {
  Connection,
  Keypair,
  PublicKey,
  SystemProgram,
  TransactionMessage,
  VersionedTransaction,
} from "@solana/web3.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ed25519Instruction,
  IDL_PROGRAM_ADDRESS,
  LoanbridgeProgramError,
  readProgramBinary,
  signAttestation,
  SYSTEM_PROGRAM_ADDRESS,
  versionInstruction,
} from "../client/index.ts";
import { loggedComputeUnits } from "../client/litesvm.ts";
import { rawCall, signedTransaction, transferInstruction, waitFor } from "./fixture.ts";
import { type SvmNode, startSvmNode } from "./server.ts";

const SOL = 1_000_000_000n;
const FINALITY_DEPTH = 5;

describe("svm node over JSON-RPC", () => {
  let node: SvmNode;
  let rpc: Rpc<SolanaRpcApi>;
  let connection: Connection;
  let payer: KeyPairSigner;

  const latest = async () =>
    (await rpc.getLatestBlockhash({ commitment: "confirmed" }).send()).value;

  const fundedSigner = async (sol: bigint): Promise<KeyPairSigner> => {
    const signer = await generateKeyPairSigner();
    await rpc.requestAirdrop(signer.address, lamports(sol * SOL)).send();
    return signer;
  };

  const waitFinalized = (signature: string) =>
    waitFor(
      async () =>
        (await rpc.getSignatureStatuses([signature as Signature]).send()).value[0]
          ?.confirmationStatus,
      (status) => status === "finalized",
    );

  beforeAll(async () => {
    node = await startSvmNode({
      slotMs: 100,
      finalityDepth: FINALITY_DEPTH,
      programs: [{ id: IDL_PROGRAM_ADDRESS, elf: await readProgramBinary() }],
    });
    rpc = createSolanaRpc(node.url);
    connection = new Connection(node.url, "confirmed");
    payer = await fundedSigner(100n);
  });

  afterAll(async () => {
    await node.stop();
  });

  it("versionAndHealth_answerBothClients", async () => {
    expect(await rpc.getHealth().send()).toBe("ok");
    expect((await rpc.getVersion().send())["solana-core"]).toMatch(/^\d+\.\d+\.\d+$/);
    expect((await connection.getVersion())["solana-core"]).toMatch(/^\d+\.\d+\.\d+$/);
    expect(await rpc.getGenesisHash().send()).toMatch(/^[1-9A-HJ-NP-Za-km-z]{32,44}$/);
    // kit sends `confirmed` when no commitment is given; the node's own
    // default, like Solana's, is `finalized`.
    await waitFor(
      () => rpc.getSlot({ commitment: "confirmed" }).send(),
      (slot) => slot > 2n * BigInt(FINALITY_DEPTH),
    );
    const slots = await rawCall(node.url, "svm_status");
    const { slot, finalizedSlot } = slots.result as { slot: number; finalizedSlot: number };
    expect(slot - finalizedSlot).toBe(FINALITY_DEPTH);
    expect((await rawCall(node.url, "getSlot")).result).toBeLessThanOrEqual(finalizedSlot + 1);
  });

  it("airdrop_creditsAtConfirmedBeforeFinalized", async () => {
    const recipient = await generateKeyPairSigner();
    const signature = await rpc.requestAirdrop(recipient.address, lamports(2n * SOL)).send();

    const confirmed = await rpc.getBalance(recipient.address, { commitment: "confirmed" }).send();
    const finalized = await rpc.getBalance(recipient.address, { commitment: "finalized" }).send();
    expect(confirmed.value).toBe(2n * SOL);
    expect(finalized.value).toBe(0n);
    expect(await connection.getBalance(new PublicKey(recipient.address), "finalized")).toBe(0);

    await waitFinalized(signature);
    const later = await rpc.getBalance(recipient.address, { commitment: "finalized" }).send();
    expect(later.value).toBe(2n * SOL);
    expect(await connection.getBalance(new PublicKey(recipient.address), "finalized")).toBe(
      Number(2n * SOL),
    );
  });

  it("systemTransfer_statusProgressesToFinalized", async () => {
    const recipient = await generateKeyPairSigner();
    const sent = await signedTransaction(
      payer,
      [transferInstruction(payer, recipient.address, SOL)],
      await latest(),
    );

    const signature = await connection.sendRawTransaction(Buffer.from(sent.base64, "base64"));
    expect(signature).toBe(sent.signature);

    const first = await connection.getSignatureStatuses([signature]);
    expect(first.value[0]).toMatchObject({ err: null, confirmationStatus: "confirmed" });
    expect(first.value[0]?.confirmations).toBeTypeOf("number");
    await waitFinalized(signature);
    const last = await connection.getSignatureStatuses([signature], {
      searchTransactionHistory: true,
    });
    expect(last.value[0]).toMatchObject({
      err: null,
      confirmationStatus: "finalized",
      confirmations: null,
    });
    expect(await connection.getBalance(new PublicKey(recipient.address))).toBe(Number(SOL));
  });

  it("web3Transaction_simulatesSendsAndReadsBack", async () => {
    const from = Keypair.generate();
    const to = Keypair.generate().publicKey;
    const airdrop = await connection.requestAirdrop(from.publicKey, Number(2n * SOL));
    const lifetime = await connection.getLatestBlockhash("confirmed");
    const message = new TransactionMessage({
      payerKey: from.publicKey,
      recentBlockhash: lifetime.blockhash,
      instructions: [
        SystemProgram.transfer({ fromPubkey: from.publicKey, toPubkey: to, lamports: Number(SOL) }),
      ],
    }).compileToV0Message();
    const transaction = new VersionedTransaction(message);
    transaction.sign([from]);

    const simulated = await connection.simulateTransaction(transaction, { sigVerify: true });
    expect(simulated.value.err).toBeNull();
    expect(simulated.value.logs).toContain("Program 11111111111111111111111111111111 success");
    const fee = await connection.getFeeForMessage(message, "confirmed");
    expect(fee.value).toBe(5000);

    const signature = await connection.sendRawTransaction(transaction.serialize());
    const found = await connection.getTransaction(signature, {
      commitment: "confirmed",
      maxSupportedTransactionVersion: 0,
    });
    expect(found?.meta?.err).toBeNull();
    expect(await connection.getBalance(to, "confirmed")).toBe(Number(SOL));
    expect(await connection.getBalance(from.publicKey, "confirmed")).toBe(Number(SOL) - 5000);
    const history = await connection.getSignaturesForAddress(from.publicKey, {}, "confirmed");
    expect(history.map((entry) => entry.signature)).toEqual([signature, airdrop]);
  });

  it("signaturesForAddress_newestFirstWithBeforeUntilLimit", async () => {
    const sender = await fundedSigner(10n);
    const sink = (await generateKeyPairSigner()).address;
    const signatures: string[] = [];
    for (let index = 0; index < 4; index += 1) {
      const sent = await signedTransaction(
        sender,
        [transferInstruction(sender, sink, SOL + BigInt(index))],
        await latest(),
      );
      signatures.push(
        await rpc.sendTransaction(sent.base64 as never, { encoding: "base64" }).send(),
      );
    }
    const newestFirst = [...signatures].reverse();

    const all = await rpc.getSignaturesForAddress(sink, { commitment: "confirmed" }).send();
    expect(all.map((entry) => entry.signature)).toEqual(newestFirst);
    expect(all[0]).toMatchObject({ err: null, memo: null, confirmationStatus: "confirmed" });
    expect(all[0]?.blockTime).toBeGreaterThan(1_600_000_000n);

    const page = await rpc
      .getSignaturesForAddress(sink, {
        commitment: "confirmed",
        limit: 2,
        before: newestFirst[0] as Signature,
      })
      .send();
    expect(page.map((entry) => entry.signature)).toEqual(newestFirst.slice(1, 3));
    const until = await rpc
      .getSignaturesForAddress(sink, {
        commitment: "confirmed",
        until: newestFirst[2] as Signature,
      })
      .send();
    expect(until.map((entry) => entry.signature)).toEqual(newestFirst.slice(0, 2));
    // The airdrop and the four transfers reference the sender.
    const senders = await connection.getSignaturesForAddress(
      new PublicKey(sender.address),
      {},
      "confirmed",
    );
    expect(senders).toHaveLength(5);

    const atFinalized = { commitment: "finalized" } as const;
    expect(await rpc.getSignaturesForAddress(sink, atFinalized).send()).toEqual([]);
    const lastSignature = newestFirst[0] ?? "";
    await waitFinalized(lastSignature);
    expect(await rpc.getSignaturesForAddress(sink, atFinalized).send()).toHaveLength(4);
  });

  it("getTransaction_base64RoundTripsAndJsonDescribesIt", async () => {
    const recipient = (await generateKeyPairSigner()).address;
    const sent = await signedTransaction(
      payer,
      [transferInstruction(payer, recipient, 3n * SOL)],
      await latest(),
      "legacy",
    );
    const signature = sent.signature as Signature;
    await rpc.sendTransaction(sent.base64 as never, { encoding: "base64" }).send();

    expect(
      await rpc.getTransaction(signature, { encoding: "base64", commitment: "finalized" }).send(),
    ).toBeNull();
    const wire = await rpc
      .getTransaction(signature, { encoding: "base64", commitment: "confirmed" })
      .send();
    expect(wire?.transaction[0]).toBe(sent.base64);
    expect(wire?.meta?.err).toBeNull();

    const json = await connection.getTransaction(sent.signature, {
      commitment: "confirmed",
      maxSupportedTransactionVersion: 0,
    });
    expect(json?.version).toBe("legacy");
    expect(json?.transaction.signatures).toEqual([sent.signature]);
    const keys = json?.transaction.message.staticAccountKeys.map((key) => key.toBase58());
    expect(keys).toEqual([payer.address, recipient, "11111111111111111111111111111111"]);
    const [instruction] = json?.transaction.message.compiledInstructions ?? [];
    expect(instruction?.programIdIndex).toBe(2);
    expect(instruction?.accountKeyIndexes).toEqual([0, 1]);
    expect(json?.meta?.fee).toBe(5000);
    expect(json?.meta?.postBalances[1]).toBe(Number(3n * SOL));
    const preBalance = json?.meta?.preBalances[0] ?? 0;
    expect(json?.meta?.postBalances[0]).toBe(preBalance - Number(3n * SOL) - 5000);
    expect(json?.meta?.logMessages).toContain("Program 11111111111111111111111111111111 success");
    expect(json?.meta?.loadedAddresses).toEqual({ writable: [], readonly: [] });
  });

  it("programTransaction_logsVersionAndComputeUnits", async () => {
    const sent = await signedTransaction(
      payer,
      [versionInstruction(IDL_PROGRAM_ADDRESS)],
      await latest(),
    );
    const signature = await rpc
      .sendTransaction(sent.base64 as never, { encoding: "base64" })
      .send();

    const found = await rpc
      .getTransaction(signature, {
        commitment: "confirmed",
        maxSupportedTransactionVersion: 0,
        encoding: "json",
      })
      .send();
    const logs = found?.meta?.logMessages ?? [];
    expect(logs).toContain("Program log: loanbridge");
    expect(found?.meta?.computeUnitsConsumed).toBe(
      loggedComputeUnits([...logs], IDL_PROGRAM_ADDRESS),
    );
    expect(found?.meta?.returnData?.data[0]).toBe(Buffer.from("0.1.0").toString("base64"));
    expect(found?.version).toBe(0);

    // A v0 transaction needs maxSupportedTransactionVersion, as on Solana.
    const refused = await rawCall(node.url, "getTransaction", [
      signature,
      { commitment: "confirmed" },
    ]);
    expect(refused.error?.code).toBe(-32015);
  });

  it("failingInstruction_reportsCustomErrorOnSimulateAndSend", async () => {
    const sent = await signedTransaction(
      payer,
      [{ ...versionInstruction(IDL_PROGRAM_ADDRESS), data: Uint8Array.from([0xff]) }],
      await latest(),
    );
    const code = Number(LoanbridgeProgramError.UnknownInstruction);

    const simulated = await rawCall(node.url, "simulateTransaction", [
      sent.base64,
      { encoding: "base64" },
    ]);
    expect(simulated.result).toMatchObject({
      value: { err: { InstructionError: [0, { Custom: code }] }, accounts: null },
    });

    const refused = await rawCall(node.url, "sendTransaction", [
      sent.base64,
      { encoding: "base64" },
    ]);
    expect(refused.error).toMatchObject({
      code: -32002,
      message: `Transaction simulation failed: Error processing Instruction 0: custom program error: 0x${code.toString(16)}`,
      data: { err: { InstructionError: [0, { Custom: code }] }, accounts: null, returnData: null },
    });
    expect((refused.error?.data as { logs: string[] }).logs.length).toBeGreaterThan(0);

    // kit decodes the same answer into its own error chain.
    const error: unknown = await rpc
      .sendTransaction(sent.base64 as never, { encoding: "base64" })
      .send()
      .catch((caught: unknown) => caught);
    expect(
      isSolanaError(error, SOLANA_ERROR__JSON_RPC__SERVER_ERROR_SEND_TRANSACTION_PREFLIGHT_FAILURE),
    ).toBe(true);
    const cause = (error as Error).cause;
    expect(isSolanaError(cause, SOLANA_ERROR__INSTRUCTION_ERROR__CUSTOM)).toBe(true);

    // Preflight refused it, so it never landed.
    expect(await rawCall(node.url, "getSignatureStatuses", [[sent.signature]])).toMatchObject({
      result: { value: [null] },
    });
  });

  it("skipPreflight_landsFailingTransactionAndChargesFee", async () => {
    const before = await rpc.getBalance(payer.address, { commitment: "confirmed" }).send();
    const sent = await signedTransaction(
      payer,
      [{ ...versionInstruction(IDL_PROGRAM_ADDRESS), data: Uint8Array.from([0xfe]) }],
      await latest(),
    );
    const signature = await rpc
      .sendTransaction(sent.base64 as never, { encoding: "base64", skipPreflight: true })
      .send();

    const statuses = await rawCall(node.url, "getSignatureStatuses", [[signature]]);
    expect(statuses.result).toMatchObject({
      value: [
        { err: { InstructionError: [0, { Custom: LoanbridgeProgramError.UnknownInstruction }] } },
      ],
    });
    const after = await rpc.getBalance(payer.address, { commitment: "confirmed" }).send();
    expect(before.value - after.value).toBe(5000n);
  });

  it("sameTransactionTwice_isAlreadyProcessed", async () => {
    const sent = await signedTransaction(
      payer,
      [transferInstruction(payer, (await generateKeyPairSigner()).address, SOL)],
      await latest(),
    );
    const first = await rawCall(node.url, "sendTransaction", [sent.base64, { encoding: "base64" }]);
    expect(first.result).toBe(sent.signature);

    const second = await rawCall(node.url, "sendTransaction", [
      sent.base64,
      { encoding: "base64" },
    ]);
    expect(second.error).toMatchObject({ code: -32002, data: { err: "AlreadyProcessed" } });
    const simulated = await rawCall(node.url, "simulateTransaction", [
      sent.base64,
      { encoding: "base64" },
    ]);
    expect(simulated.result).toMatchObject({ value: { err: "AlreadyProcessed" } });
    // Without preflight a validator drops the duplicate: same signature, one landing.
    const skipped = await rawCall(node.url, "sendTransaction", [
      sent.base64,
      { encoding: "base64", skipPreflight: true },
    ]);
    expect(skipped.result).toBe(sent.signature);
  });

  it("badSignature_failsVerification", async () => {
    const sent = await signedTransaction(
      payer,
      [transferInstruction(payer, (await generateKeyPairSigner()).address, SOL)],
      await latest(),
    );
    const bytes = Buffer.from(sent.base64, "base64");
    bytes[10] = (bytes[10] ?? 0) ^ 1;
    const tampered = bytes.toString("base64");

    const refused = await rawCall(node.url, "sendTransaction", [tampered, { encoding: "base64" }]);
    expect(refused.error?.code).toBe(-32003);
    const simulated = await rawCall(node.url, "simulateTransaction", [
      tampered,
      { encoding: "base64", sigVerify: true },
    ]);
    expect(simulated.result).toMatchObject({ value: { err: "SignatureFailure" } });
    // Without sigVerify, simulation ignores the signature, as Solana's does.
    const unchecked = await rawCall(node.url, "simulateTransaction", [
      tampered,
      { encoding: "base64" },
    ]);
    expect(unchecked.result).toMatchObject({ value: { err: null } });
  });

  it("accountHistory_finalizedReadsStateAsOfFinalizedSlot", async () => {
    const owner = await fundedSigner(1n);
    const created = await generateKeyPairSigner();
    const space = 8n;
    const rent = await rpc.getMinimumBalanceForRentExemption(space).send();
    // System CreateAccount(lamports, space, owner = loanbridge program).
    const data = new Uint8Array(52);
    const view = new DataView(data.buffer);
    view.setUint32(0, 0, true);
    view.setBigUint64(4, rent, true);
    view.setBigUint64(12, space, true);
    data.set(getAddressEncoder().encode(IDL_PROGRAM_ADDRESS), 20);
    const sent = await signedTransaction(
      owner,
      [
        {
          programAddress: SYSTEM_PROGRAM_ADDRESS,
          accounts: [
            { address: owner.address, role: AccountRole.WRITABLE_SIGNER, signer: owner },
            { address: created.address, role: AccountRole.WRITABLE_SIGNER, signer: created },
          ] as never,
          data,
        },
      ],
      await latest(),
    );
    await rpc.sendTransaction(sent.base64 as never, { encoding: "base64" }).send();

    const confirmed = await rpc
      .getAccountInfo(created.address, { commitment: "confirmed", encoding: "base64" })
      .send();
    expect(confirmed.value?.owner).toBe(IDL_PROGRAM_ADDRESS);
    expect(confirmed.value?.space).toBe(space);
    expect(confirmed.value?.data).toEqual([Buffer.alloc(8).toString("base64"), "base64"]);
    const atFinalized = { commitment: "finalized", encoding: "base64" } as const;
    const finalized = await rpc.getAccountInfo(created.address, atFinalized).send();
    expect(finalized.value).toBeNull();
    const both = await rpc
      .getMultipleAccounts([created.address, owner.address], atFinalized)
      .send();
    expect(both.value).toEqual([null, null]);
    const bothConfirmed = await rpc
      .getMultipleAccounts([created.address, owner.address], {
        commitment: "confirmed",
        encoding: "base64",
      })
      .send();
    expect(bothConfirmed.value[0]?.lamports).toBe(rent);
    expect(bothConfirmed.value[1]?.lamports).toBe(SOL - rent - 10_000n);

    await waitFinalized(sent.signature);
    const later = await rpc.getAccountInfo(created.address, atFinalized).send();
    expect(later.value?.owner).toBe(IDL_PROGRAM_ADDRESS);
    const web3Info = await connection.getAccountInfo(new PublicKey(created.address), "finalized");
    expect(web3Info?.data.length).toBe(8);
  });

  it("ed25519Precompile_verifiesAndChargesPerSignature", async () => {
    const verifiers = [await generateKeyPairSigner(), await generateKeyPairSigner()];
    const digest = new Uint8Array(32).fill(7);
    const attestations = await Promise.all(verifiers.map((key) => signAttestation(key, digest)));
    const sent = await signedTransaction(
      payer,
      [ed25519Instruction(attestations, digest)],
      await latest(),
    );
    const signature = await rpc
      .sendTransaction(sent.base64 as never, { encoding: "base64" })
      .send();

    const found = await rpc
      .getTransaction(signature, {
        commitment: "confirmed",
        encoding: "json",
        maxSupportedTransactionVersion: 0,
      })
      .send();
    const [before] = found?.meta?.preBalances ?? [];
    const [after] = found?.meta?.postBalances ?? [];
    // One transaction signature plus two checked by the precompile.
    expect(found?.meta?.fee).toBe(15_000n);
    expect((before ?? 0n) - (after ?? 0n)).toBe(15_000n);

    const forged = attestations.map((attestation) => ({
      ...attestation,
      signature: attestation.signature.map((byte, index) => (index === 0 ? byte ^ 1 : byte)),
    }));
    const bad = await signedTransaction(
      payer,
      [ed25519Instruction(forged, digest)],
      await latest(),
    );
    const refused = await rawCall(node.url, "sendTransaction", [
      bad.base64,
      { encoding: "base64" },
    ]);
    expect(refused.error).toMatchObject({
      code: -32002,
      data: { err: { InstructionError: [0, { Custom: 2 }] } },
    });
  });

  it("feeForMessage_andPrioritizationFees", async () => {
    const sent = await signedTransaction(
      payer,
      [versionInstruction(IDL_PROGRAM_ADDRESS)],
      await latest(),
    );
    const bytes = Buffer.from(sent.base64, "base64");
    const message = bytes.subarray(1 + 64).toString("base64");
    const fee = await rawCall(node.url, "getFeeForMessage", [message, { commitment: "confirmed" }]);
    expect(fee.result).toMatchObject({ value: 5000 });
    const fees = await rawCall(node.url, "getRecentPrioritizationFees", []);
    expect(Array.isArray(fees.result)).toBe(true);
  });
});
