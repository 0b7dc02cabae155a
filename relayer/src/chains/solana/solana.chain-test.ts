// The Solana adapters against a real JSON-RPC node (LiteSVM behind
// solana-program/node, the SBF program deployed and configured over RPC):
// the watcher reads only finalized packets in whole slots, the verifier
// proves them against the outbound packet account by quorum (a poisoned RPC
// behind a real HTTP proxy is caught), and the deliverer lands attested
// packets once, with a compute budget, across a lost send and an expired
// blockhash.
import { createServer, type Server } from "node:http";
import {
  addressToWire,
  computeGuid,
  decodeLoanMessage,
  decodePacket,
  encodeLoanMessage,
  encodePacket,
  type Hex,
  type LoanMessage,
  packetAttestationDigest,
  toBytes,
  toHex,
} from "@loanbridge/shared";
import {
  addressBytes,
  airdrop,
  closePacketInstruction,
  clusterTime,
  createLookupTable,
  decodeAccount,
  decodeLookupTable,
  deliveriesOf,
  extendLookupTableInstruction,
  IDL_PROGRAM_ADDRESS,
  MIN_PACKET_AGE_SECONDS,
  mintToOwner,
  openInstruction,
  outboundPacketRent,
  pda,
  PoolLoanStatus,
  repayLoan,
  rpcSender,
  type SendInstructions,
  setPeerInstruction,
  SolanaTransactionError,
} from "@loanbridge/solana-program";
import { getTransferSolInstruction } from "@solana-program/system";
import {
  type Address,
  appendTransactionMessageInstructions,
  createKeyPairSignerFromBytes,
  createTransactionMessage,
  getBase58Decoder,
  getBase58Encoder,
  getBase64EncodedWireTransaction,
  getSignatureFromTransaction,
  type Instruction,
  type KeyPairSigner,
  lamports,
  pipe,
  setTransactionMessageFeePayerSigner,
  setTransactionMessageLifetimeUsingBlockhash,
  signTransactionMessageWithSigners,
} from "@solana/kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { AlreadyDeliveredError, InsufficientAttestationsError } from "../errors.ts";
import { JsonRpc, RpcDisagreementError } from "../rpc.ts";
import { SolanaDeliveryError, SolanaTransactionTooLargeError } from "./errors.ts";
import {
  ANY_RECEIVER,
  type Attestation,
  type ObservedPacket,
  PREPARED_READS_MAX_AGE_MS,
  type WatchBatch,
  type WatchState,
} from "../types.ts";
import {
  MAX_TRANSACTION_SIZE,
  type SolanaDeliveryEvent,
  SHARED_READ_MAX_AGE_MS,
  SolanaPacketDeliverer,
} from "./deliverer.ts";
import { accountData, accountInfoSchema } from "./schemas.ts";
import { SolanaLoanApps } from "./loan-apps.ts";
import { ed25519AttestationSigner } from "./signer.ts";
import {
  EVM_EID,
  REMOTE_POOL,
  REMOTE_VAULT,
  SOLANA_EID,
  solanaKeypair,
  type SolanaTestChain,
  startSolanaTestChain,
  USDC,
} from "./testing.ts";
import { SolanaPacketVerifier } from "./verifier.ts";
import { SolanaPacketWatcher } from "./watcher.ts";
import { hookedRpc, meetingPoint } from "../testing.ts";

const SOL = 1_000_000_000n;
const COMPUTE_BUDGET = "ComputeBudget111111111111111111111111111111";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}

type Chain = SolanaTestChain;
const startChain = startSolanaTestChain;

async function readAccount(chain: Chain, account: Address): Promise<Uint8Array | null> {
  const { value } = await chain.jsonRpc.request(
    "getAccountInfo",
    [account, { commitment: "confirmed", encoding: "base64" }],
    accountInfoSchema,
  );
  return value === null ? null : accountData(value);
}

/** The vault's next loan and packet nonces, read over RPC. */
async function nextNonces(chain: Chain): Promise<{ vaultNonce: bigint; packetNonce: bigint }> {
  const vault = await readAccount(chain, chain.deployment.vault);
  if (vault === null) throw new Error("no vault");
  const nonce = await readAccount(
    chain,
    await pda.nonce(chain.programId, chain.deployment.vault, EVM_EID),
  );
  return {
    vaultNonce: (decodeAccount("Vault", vault).loan_nonce as bigint) + 1n,
    packetNonce: nonce === null ? 1n : (decodeAccount("OutboundNonce", nonce).nonce as bigint) + 1n,
  };
}

async function fundedBorrower(chain: Chain): Promise<KeyPairSigner> {
  const borrower = await createKeyPairSignerFromBytes(solanaKeypair());
  await airdrop(chain.rpc, borrower.address, 20n);
  return borrower;
}

async function openNative(
  chain: Chain,
  borrower: KeyPairSigner,
  nonces: { vaultNonce: bigint; packetNonce: bigint },
) {
  return openInstruction(chain.programId, {
    borrower,
    collateralAmount: 2n * SOL,
    principal: 100n * USDC,
    maxRateBps: 800,
    termSeconds: 30n * 86_400n,
    recipient: toBytes(addressToWire("0x3333333333333333333333333333333333333333")),
    localEid: SOLANA_EID,
    lendingEid: EVM_EID,
    expiresAt: (await clusterTime(chain.rpc)) + 3_600n,
    ...nonces,
  });
}

interface Opened {
  signature: string;
  slot: bigint;
  loanId: Uint8Array;
  packetNonce: bigint;
}

/** A vault `open` (native SOL) by a fresh borrower, confirmed. */
async function openLoan(chain: Chain): Promise<Opened> {
  const borrower = await fundedBorrower(chain);
  const nonces = await nextNonces(chain);
  const { instruction, loanId } = await openNative(chain, borrower, nonces);
  const { signature, slot } = await rpcSender(chain.rpc, {
    feePayer: borrower,
    pollIntervalMs: 20,
  })(instruction);
  return { signature, slot, loanId, packetNonce: nonces.packetNonce };
}

/** Signed, base64 wire transactions of `instructions` paid by `payer`, not sent. */
async function signedWire(
  chain: Chain,
  payer: KeyPairSigner,
  instructions: Instruction[],
): Promise<{ wire: string; signature: string }> {
  const { value: lifetime } = await chain.rpc
    .getLatestBlockhash({ commitment: "confirmed" })
    .send();
  const transaction = await pipe(
    createTransactionMessage({ version: 0 }),
    (message) => setTransactionMessageFeePayerSigner(payer, message),
    (message) => setTransactionMessageLifetimeUsingBlockhash(lifetime, message),
    (message) => appendTransactionMessageInstructions(instructions, message),
    (message) => signTransactionMessageWithSigners(message),
  );
  return {
    wire: getBase64EncodedWireTransaction(transaction),
    signature: getSignatureFromTransaction(transaction),
  };
}

const statusSchema = z.object({
  value: z.array(z.object({ slot: z.number(), err: z.unknown() }).nullable()),
});

async function landedSlot(
  chain: Chain,
  signature: string,
): Promise<{ slot: bigint; err: unknown }> {
  let found: { slot: number; err: unknown } | null | undefined;
  await until(`${signature} to land`, async () => {
    const { value } = await chain.jsonRpc.request(
      "getSignatureStatuses",
      [[signature]],
      statusSchema,
    );
    found = value[0];
    return found != null;
  });
  if (found == null) throw new Error("unreachable");
  return { slot: BigInt(found.slot), err: found.err };
}

const waitFinalized = (chain: Chain, slot: bigint) =>
  until(`slot ${slot} to finalize`, () => chain.node.finalizedSlot() >= slot);

/** The vault's path to the EVM chain, as the watcher and the store name it. */
const vaultPath = (chain: Chain) => ({
  app: toHex(addressBytes(chain.deployment.vault)),
  dstEid: EVM_EID,
  receiver: ANY_RECEIVER,
});

/** The vault's outbound packet for `opened`, as the watcher reports it from state. */
async function observedOf(chain: Chain, opened: Opened): Promise<ObservedPacket> {
  const watcher = new SolanaPacketWatcher({
    eid: SOLANA_EID,
    rpc: chain.jsonRpc,
    programId: chain.programId,
    commitment: "confirmed",
    remoteEids: [EVM_EID],
  });
  const { packets } = await watcher.poll(0n, {
    paths: [{ ...vaultPath(chain), nonce: opened.packetNonce - 1n }],
    gaps: [],
  });
  const found = packets.find(
    (p) => p.nonce === opened.packetNonce && decodePacket(p.packet).sender === vaultPath(chain).app,
  );
  if (found === undefined) throw new Error(`no packet from ${opened.signature}`);
  return found;
}

function observed(packet: Uint8Array): ObservedPacket {
  const decoded = decodePacket(packet);
  return {
    packet,
    guid: decoded.guid,
    srcEid: decoded.srcEid,
    dstEid: decoded.dstEid,
    nonce: decoded.nonce,
    sourceTx: "none",
    sourceHeight: 0n,
    sourceIndex: 0,
  };
}

/** A real HTTP proxy to `upstream` that may answer or rewrite JSON-RPC calls itself. */
interface RpcProxy {
  url: string;
  close(): Promise<void>;
}

async function startProxy(
  upstream: string,
  hooks: {
    /** An answer instead of forwarding, or undefined to forward (after the promise, if one). */
    intercept?: (call: { id: unknown; method: string; params: unknown[] }) => unknown;
    /** Rewrites the upstream answer. */
    rewrite?: (method: string, reply: { result?: unknown }, params: unknown[]) => void;
  },
): Promise<RpcProxy> {
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      void (async () => {
        const body = Buffer.concat(chunks).toString("utf8");
        const call = JSON.parse(body) as { id: unknown; method: string; params: unknown[] };
        let reply: unknown = await hooks.intercept?.(call);
        if (reply === undefined) {
          const answer = await fetch(upstream, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body,
          });
          const parsed = (await answer.json()) as { result?: unknown };
          hooks.rewrite?.(call.method, parsed, call.params);
          reply = parsed;
        }
        response.writeHead(200, { "content-type": "application/json" });
        response.end(JSON.stringify(reply));
      })().catch((error: unknown) => {
        response.writeHead(502);
        response.end(String(error));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

let inboundNonce = 0n;
/** A packet from the remote chain to a local app, with a fresh nonce. */
function inbound(receiver: Address, sender: Hex, message: LoanMessage): Uint8Array {
  inboundNonce += 1n;
  return encodePacket(
    {
      nonce: inboundNonce,
      srcEid: EVM_EID,
      sender,
      dstEid: SOLANA_EID,
      receiver: toHex(addressBytes(receiver)),
    },
    encodeLoanMessage(message),
  );
}

async function attest(
  keys: readonly Uint8Array[],
  packet: Uint8Array,
  epoch: bigint,
  endpoint: Hex = toHex(addressBytes(IDL_PROGRAM_ADDRESS)),
): Promise<Attestation[]> {
  const { guid } = decodePacket(packet);
  const digest = packetAttestationDigest(endpoint, epoch, packet);
  return Promise.all(keys.map((key) => ed25519AttestationSigner(key).sign(guid, epoch, digest)));
}

/** An OPEN_LOAN from the remote vault to the pool, for a recipient with a stablecoin account. */
async function openLoanPacket(chain: Chain): Promise<{ packet: Uint8Array; loanId: Hex }> {
  const recipient = await createKeyPairSignerFromBytes(solanaKeypair());
  await mintToOwner(chain.send, chain.admin, chain.deployment.stablecoin, recipient.address, 0n);
  const loanId = toHex(crypto.getRandomValues(new Uint8Array(32)));
  const now = BigInt(Math.floor(Date.now() / 1_000));
  const packet = inbound(chain.deployment.pool, REMOTE_VAULT, {
    type: "OPEN_LOAN",
    loanId,
    borrower: addressToWire("0x5555555555555555555555555555555555555555"),
    recipient: toHex(addressBytes(recipient.address)),
    collateralAsset: toHex(new Uint8Array(32)),
    collateralAmount: 10n ** 18n,
    principal: 1_000n * USDC,
    maxRateBps: 800,
    termSeconds: 30n * 86_400n,
    expiresAt: now + 3_600n,
    installments: 1,
  });
  return { packet, loanId };
}

function loanActivePacket(chain: Chain, loanId: Uint8Array): Uint8Array {
  const now = BigInt(Math.floor(Date.now() / 1_000));
  return inbound(chain.deployment.vault, REMOTE_POOL, {
    type: "LOAN_ACTIVE",
    loanId: toHex(loanId),
    principal: 100n * USDC,
    rateBps: 500,
    startTime: now,
    dueTime: now + 30n * 86_400n,
  });
}

async function deliverer(
  chain: Chain,
  options: {
    url?: string;
    /** Instead of `url`: this client (to count its calls). */
    rpc?: JsonRpc;
    sol?: bigint;
    events?: SolanaDeliveryEvent[];
    rebroadcastMs?: number;
    kindUnitsMaxAgeMs?: number;
    margin?: { bps: number; units: number };
    priorityFee?: { percentile: number; floor: bigint; cap: bigint };
    /** Default the chain's table; null for none. */
    lookupTable?: string | null;
  } = {},
): Promise<SolanaPacketDeliverer> {
  const payerKeypair = solanaKeypair();
  const payer = await createKeyPairSignerFromBytes(payerKeypair);
  await airdrop(chain.rpc, payer.address, options.sol ?? 10n);
  const events = options.events;
  return new SolanaPacketDeliverer({
    eid: SOLANA_EID,
    rpc:
      options.rpc ??
      (options.url === undefined
        ? chain.jsonRpc
        : new JsonRpc({ chain: "solana", urls: [options.url] })),
    programId: chain.programId,
    payerKeypair,
    pollIntervalMs: 25,
    ...(options.rebroadcastMs === undefined ? {} : { rebroadcastMs: options.rebroadcastMs }),
    ...(options.kindUnitsMaxAgeMs === undefined
      ? {}
      : { kindUnitsMaxAgeMs: options.kindUnitsMaxAgeMs }),
    ...(options.margin === undefined ? {} : { computeUnitMargin: options.margin }),
    ...(options.priorityFee === undefined ? {} : { priorityFee: options.priorityFee }),
    ...(options.lookupTable === null
      ? {}
      : { lookupTable: options.lookupTable ?? chain.lookupTable }),
    ...(events === undefined ? {} : { onEvent: (event) => events.push(event) }),
  });
}

const transactionSchema = z.object({
  transaction: z.object({
    message: z.object({
      accountKeys: z.array(z.string()),
      instructions: z.array(
        z.object({ programIdIndex: z.number(), accounts: z.array(z.number()), data: z.string() }),
      ),
      addressTableLookups: z.array(z.object({ accountKey: z.string() })).optional(),
    }),
  }),
  version: z.union([z.literal(0), z.literal("legacy")]),
  meta: z
    .object({
      computeUnitsConsumed: z.number().optional(),
      loadedAddresses: z.object({ writable: z.array(z.string()), readonly: z.array(z.string()) }),
    })
    .nullable(),
});

/**
 * The landed transaction's compute-budget instruction tags (2 = limit, 3 =
 * price), wire size, version, the tables it loaded from, how many accounts
 * it loaded and how many its last instruction (Deliver) names.
 */
async function landed(chain: Chain, signature: string) {
  const json = await chain.jsonRpc.request(
    "getTransaction",
    [signature, { commitment: "confirmed", encoding: "json", maxSupportedTransactionVersion: 0 }],
    transactionSchema,
  );
  const { accountKeys, instructions } = json.transaction.message;
  const budgetTags = instructions
    .filter((ix) => accountKeys[ix.programIdIndex] === COMPUTE_BUDGET)
    .map((ix) => getBase58Encoder().encode(ix.data)[0]);
  const raw = await chain.jsonRpc.request(
    "getTransaction",
    [signature, { commitment: "confirmed", encoding: "base64", maxSupportedTransactionVersion: 0 }],
    z.object({ transaction: z.tuple([z.string(), z.literal("base64")]) }),
  );
  const loaded = json.meta?.loadedAddresses;
  return {
    budgetTags,
    size: Buffer.from(raw.transaction[0], "base64").length,
    units: json.meta?.computeUnitsConsumed,
    version: json.version,
    tables: (json.transaction.message.addressTableLookups ?? []).map((l) => l.accountKey),
    loadedAccounts: (loaded?.writable.length ?? 0) + (loaded?.readonly.length ?? 0),
    deliverAccounts: instructions.at(-1)?.accounts.length,
  };
}

let chain: Chain;

/** `count` new OPEN_LOANs delivered to the pool by `by`, one after another. */
async function openLoansDelivered(
  by: SolanaPacketDeliverer,
  epoch: bigint,
  count: number,
): Promise<{ loanId: Hex }[]> {
  const opened: { loanId: Hex }[] = [];
  for (let i = 0; i < count; i++) {
    const next = await openLoanPacket(chain);
    await by.deliver(next.packet, await attest(chain.verifierKeys.slice(0, 2), next.packet, epoch));
    opened.push(next);
  }
  return opened;
}

beforeAll(async () => {
  chain = await startChain();
});

afterAll(async () => {
  await chain.node.stop();
});

describe("SolanaPacketWatcher", () => {
  const watcher = (rpc: JsonRpc = chain.jsonRpc, maxPackets?: number) =>
    new SolanaPacketWatcher({
      eid: SOLANA_EID,
      rpc,
      programId: chain.programId,
      commitment: "finalized",
      remoteEids: [EVM_EID],
      ...(maxPackets === undefined ? {} : { maxPackets }),
    });
  /** The state a restarted relayer would hand in: the vault path read up to `nonce`. */
  const readUpTo = (nonce: bigint): WatchState => ({
    paths: [{ ...vaultPath(chain), nonce }],
    gaps: [],
  });
  const ofVault = (batch: WatchBatch) =>
    batch.packets.filter((p) => decodePacket(p.packet).sender === vaultPath(chain).app);

  it("open_isNotReturnedBeforeFinality_andIsReturnedAfter_fromItsPacketAccount", async () => {
    const opened = await openLoan(chain);
    const state = readUpTo(opened.packetNonce - 1n);

    const early = await watcher().poll(0n, state);
    expect(early.finalizedHead).toBeLessThan(opened.slot);
    expect(ofVault(early)).toEqual([]);
    expect(early.gaps).toEqual([]);

    await waitFinalized(chain, opened.slot);
    const batch = await watcher().poll(0n, state);
    const vault = vaultPath(chain).app;
    const guid = computeGuid({
      nonce: opened.packetNonce,
      srcEid: SOLANA_EID,
      sender: vault,
      dstEid: EVM_EID,
      receiver: REMOTE_POOL,
    });
    const account = await pda.packet(
      chain.programId,
      chain.deployment.vault,
      EVM_EID,
      opened.packetNonce,
    );
    expect(ofVault(batch)).toHaveLength(1);
    expect(ofVault(batch)[0]).toMatchObject({
      guid,
      srcEid: SOLANA_EID,
      dstEid: EVM_EID,
      nonce: opened.packetNonce,
      sourceTx: account,
      sourceIndex: 0,
    });
    expect(ofVault(batch)[0]?.sourceHeight).toBeGreaterThanOrEqual(opened.slot);
    const message = decodeLoanMessage(
      decodePacket(ofVault(batch)[0]?.packet ?? new Uint8Array()).message,
    );
    expect(message).toMatchObject({ type: "OPEN_LOAN", loanId: toHex(opened.loanId) });
    expect(batch.paths).toContainEqual({ ...vaultPath(chain), nonce: opened.packetNonce });
    expect(batch.gaps).toEqual([]);
  });

  it("fromNonceOne_findsEveryPacketOfThePath_andAgainFromItsCursor_nothing", async () => {
    const opened = await openLoan(chain);
    await waitFinalized(chain, opened.slot);

    const first = await watcher().poll(0n);
    expect(ofVault(first).map((p) => p.nonce)).toEqual(
      Array.from({ length: Number(opened.packetNonce) }, (_, i) => BigInt(i + 1)),
    );
    const cursors = first.paths ?? [];
    const again = await watcher().poll(first.scannedTo, { paths: cursors, gaps: [] });

    expect(again.packets).toEqual([]);
    expect(again.paths).toEqual([]);
    expect(again.scannedTo).toBeGreaterThanOrEqual(first.scannedTo);
  });

  it("maxPacketsOne_walksOneNonceAPoll_andCoversEveryPacketOnce", async () => {
    const opened = await openLoan(chain);
    const second = await openLoan(chain);
    await waitFinalized(chain, second.slot);

    let state = readUpTo(opened.packetNonce - 1n);
    const seen: ObservedPacket[] = [];
    for (let poll = 0; poll < 2; poll++) {
      const batch = await watcher(chain.jsonRpc, 1).poll(0n, state);
      expect(batch.packets).toHaveLength(1);
      seen.push(...batch.packets);
      state = {
        paths: [
          ...state.paths.filter((p) => p.app !== vaultPath(chain).app),
          ...(batch.paths ?? []),
        ],
        gaps: [],
      };
    }
    expect(seen.map((p) => p.nonce)).toEqual([opened.packetNonce, second.packetNonce]);
    expect(ofVault(await watcher(chain.jsonRpc, 1).poll(0n, state))).toEqual([]);
  });

  it("failedTransaction_loggingAPacket_leavesNoPacketAndNoGap", async () => {
    // Given an open followed by a transfer the borrower cannot pay: the
    // transaction fails after the program logged the packet.
    const borrower = await fundedBorrower(chain);
    const nonces = await nextNonces(chain);
    const { instruction } = await openNative(chain, borrower, nonces);
    const { wire, signature } = await signedWire(chain, borrower, [
      instruction,
      getTransferSolInstruction({
        source: borrower,
        destination: chain.admin.address,
        amount: lamports(1_000_000n * SOL),
      }),
    ]);
    await chain.jsonRpc.request("sendTransaction", [
      wire,
      { encoding: "base64", skipPreflight: true },
    ]);
    const { slot, err } = await landedSlot(chain, signature);
    expect(err).not.toBeNull();
    const logs = await chain.jsonRpc.request(
      "getTransaction",
      [signature, { commitment: "confirmed", encoding: "json", maxSupportedTransactionVersion: 0 }],
      z.object({ meta: z.object({ logMessages: z.array(z.string()) }) }),
    );
    expect(logs.meta.logMessages.some((line) => line.startsWith("Program data: "))).toBe(true);
    await waitFinalized(chain, slot);

    const batch = await watcher().poll(0n, readUpTo(nonces.packetNonce - 1n));

    expect(ofVault(batch)).toEqual([]);
    expect(batch.gaps).toEqual([]);
  });

  it.each<[string, (data: Buffer) => Buffer | null, RegExp]>([
    ["missing", () => null, /^missing$/],
    ["hashNotTheBytes", (data) => flipped(data, 80), /^invalid: .*packet_hash/],
    ["guidNotThePackets", (data) => flipped(data, 40), /^stored guid/],
  ])("packetAccountBelowTheCounter_%s_isAGap_neverAPacket", async (_name, spoil, reason) => {
    const opened = await openLoan(chain);
    await waitFinalized(chain, opened.slot);
    const account = await pda.packet(
      chain.programId,
      chain.deployment.vault,
      EVM_EID,
      opened.packetNonce,
    );
    const lying = await startProxy(chain.node.url, {
      rewrite: (method, reply, params) => {
        rewriteAccount({ method, reply, params }, account, spoil);
      },
    });
    try {
      const rpc = new JsonRpc({ chain: "solana", urls: [lying.url], quorum: 1 });
      const batch = await watcher(rpc).poll(0n, readUpTo(opened.packetNonce - 1n));
      expect(ofVault(batch)).toEqual([]);
      expect(batch.gaps).toEqual([
        {
          ...vaultPath(chain),
          nonce: opened.packetNonce,
          reason: expect.stringMatching(reason) as string,
        },
      ]);
      // The path moves on; the gap is read again from the store's open gaps.
      expect(batch.paths).toContainEqual({ ...vaultPath(chain), nonce: opened.packetNonce });
      const healed = await watcher().poll(0n, {
        paths: batch.paths ?? [],
        gaps: batch.gaps ?? [],
      });
      expect(ofVault(healed).map((p) => p.nonce)).toEqual([opened.packetNonce]);
      expect(healed.gaps).toEqual([]);
    } finally {
      await lying.close();
    }
  });

  it("endpointInventingANonce_isNotLookedFor_andOneHidingThePacket_cannotOutvoteTheHonestOne", async () => {
    const opened = await openLoan(chain);
    await waitFinalized(chain, opened.slot);
    const counter = await pda.nonce(chain.programId, chain.deployment.vault, EVM_EID);
    const packet = await pda.packet(
      chain.programId,
      chain.deployment.vault,
      EVM_EID,
      opened.packetNonce,
    );
    // One endpoint says the vault sent one more packet than it did.
    const inventing = await startProxy(chain.node.url, {
      rewrite: (method, reply, params) => {
        rewriteAccount({ method, reply, params }, counter, (data) => {
          // OutboundNonce: ... nonce (u64), close_horizon (u64).
          data.writeBigUInt64LE(opened.packetNonce + 1n, data.length - 16);
          return data;
        });
      },
    });
    // Another hides the packet account (answers null).
    const hiding = await startProxy(chain.node.url, {
      rewrite: (method, reply, params) => {
        rewriteAccount({ method, reply, params }, packet, () => null);
      },
    });
    try {
      const state = readUpTo(opened.packetNonce - 1n);
      const invented = await watcher(
        new JsonRpc({ chain: "solana", urls: [chain.node.url, inventing.url], quorum: 2 }),
      ).poll(0n, state);
      // A counter counts once a quorum reaches it: the invented nonce is no gap to chase.
      expect(ofVault(invented).map((p) => p.nonce)).toEqual([opened.packetNonce]);
      expect(invented.gaps).toEqual([]);

      const hidden = watcher(
        new JsonRpc({ chain: "solana", urls: [chain.node.url, hiding.url], quorum: 2 }),
      ).poll(0n, state);
      await expect(hidden).rejects.toBeInstanceOf(RpcDisagreementError);
    } finally {
      await Promise.all([inventing.close(), hiding.close()]);
    }
  });

  it("packetClosedAfterItsLoanIsFinal_isReportedClosedToALaggingRelayer_neverAPacketNorAGap_andNotLookedForAgain", async () => {
    // Given an open whose loan the lending chain rejected (Refunded: final here).
    const opened = await openLoan(chain);
    const target = await deliverer(chain);
    const { epoch } = await target.verifierSet();
    const rejected = inbound(chain.deployment.vault, REMOTE_POOL, {
      type: "LOAN_REJECTED",
      loanId: toHex(opened.loanId),
      reason: "LtvTooHigh",
    });
    await target.deliver(rejected, await attest(chain.verifierKeys.slice(0, 2), rejected, epoch));
    const account = await pda.packet(
      chain.programId,
      chain.deployment.vault,
      EVM_EID,
      opened.packetNonce,
    );
    const data = await readAccount(chain, account);
    if (data === null) throw new Error("no OPEN_LOAN packet account");
    // And, 30 days on, its OPEN_LOAN packet account closed to the borrower who paid it.
    const sentAt = outboundPacketRent(data).sentAt;
    await chain.jsonRpc.request("svm_setUnixTimestamp", [Number(sentAt + MIN_PACKET_AGE_SECONDS)]);
    try {
      const { slot } = await chain.send(
        await closePacketInstruction(chain.programId, { packet: account, data }),
      );
      await waitFinalized(chain, slot);
      expect(await readAccount(chain, account)).toBeNull();

      // A relayer that had not read that far.
      const batch = await watcher().poll(0n, readUpTo(opened.packetNonce - 1n));

      expect(ofVault(batch)).toEqual([]);
      expect(batch.gaps).toEqual([]);
      expect(batch.closed).toEqual([{ ...vaultPath(chain), nonce: opened.packetNonce }]);
      expect(batch.paths).toContainEqual({ ...vaultPath(chain), nonce: opened.packetNonce });
      // The closed nonce is not read again (it never fills), so it takes no poll's budget.
      const again = await watcher(chain.jsonRpc, 1).poll(0n, {
        paths: batch.paths ?? [],
        gaps: batch.gaps ?? [],
      });
      expect(again.gaps).toEqual([]);
      expect(again.closed).toEqual([]);
      expect(ofVault(again)).toEqual([]);

      // Above the horizon a missing account was never closed: a hidden packet, not a closed one.
      const next = await openLoan(chain);
      await waitFinalized(chain, next.slot);
      const nextAccount = await pda.packet(
        chain.programId,
        chain.deployment.vault,
        EVM_EID,
        next.packetNonce,
      );
      const hiding = await startProxy(chain.node.url, {
        rewrite: (method, reply, params) => {
          rewriteAccount({ method, reply, params }, nextAccount, () => null);
        },
      });
      try {
        const rpc = new JsonRpc({ chain: "solana", urls: [hiding.url], quorum: 1 });
        const hidden = await watcher(rpc).poll(0n, readUpTo(opened.packetNonce));
        expect(hidden.gaps).toEqual([
          { ...vaultPath(chain), nonce: next.packetNonce, reason: "missing" },
        ]);
      } finally {
        await hiding.close();
      }
    } finally {
      // Later tests date their packets by the wall clock.
      await chain.jsonRpc.request("svm_setUnixTimestamp", [Math.floor(Date.now() / 1_000)]);
    }
  });
});

/** `data` with byte `index` flipped. */
function flipped(data: Buffer, index: number): Buffer {
  data[index] = (data[index] ?? 0) ^ 0x01;
  return data;
}

/** Rewrites `account` in a getAccountInfo or getMultipleAccounts answer (null removes it). */
function rewriteAccount(
  call: { method: string; reply: { result?: unknown }; params: unknown[] },
  account: Address,
  spoil: (data: Buffer) => Buffer | null,
): void {
  if (call.method !== "getMultipleAccounts") return;
  const result = call.reply.result as { value: ({ data: [string, string] } | null)[] } | undefined;
  const asked = (call.params[0] ?? []) as string[];
  result?.value.forEach((value, i) => {
    if (asked[i] !== account || value === null) return;
    const spoiled = spoil(Buffer.from(value.data[0], "base64"));
    if (spoiled === null) result.value[i] = null;
    else value.data[0] = spoiled.toString("base64");
  });
}

describe("SolanaLoanApps", () => {
  const registry = (peerCacheMs?: number) =>
    new SolanaLoanApps({
      eid: SOLANA_EID,
      rpc: chain.jsonRpc,
      programId: chain.programId,
      commitment: "finalized",
      ...(peerCacheMs !== undefined && { peerCacheMs }),
    });
  const hexOf = (account: Address) => toHex(addressBytes(account));

  it("vaultAndPool_areTheProgramsLoanApps_inAnyHexCase_andNothingElseIs", async () => {
    const apps = registry();
    const vault = hexOf(chain.deployment.vault);
    expect(await apps.roleOf(vault)).toBe("vault");
    expect(await apps.roleOf(vault.toUpperCase().replace("0X", "0x") as Hex)).toBe("vault");
    expect(await apps.roleOf(hexOf(chain.deployment.pool))).toBe("pool");
    expect(await apps.roleOf(REMOTE_VAULT)).toBeUndefined();
    expect(await apps.roleOf(hexOf(chain.admin.address))).toBeUndefined();
  });

  it("peers_areWhatTheAdminRegistered_noneForAnUnknownEid", async () => {
    const apps = registry(0);
    // Set when the chain started: read once final.
    await until("the peers to finalize", async () => {
      return (await apps.peerOf(hexOf(chain.deployment.vault), EVM_EID)) === REMOTE_POOL;
    });
    expect(await apps.peerOf(hexOf(chain.deployment.pool), EVM_EID)).toBe(REMOTE_VAULT);
    expect(await apps.peerOf(hexOf(chain.deployment.pool), 40_999)).toBeUndefined();
    // Not a loan app: no peer account of the program's.
    expect(await apps.peerOf(REMOTE_VAULT, EVM_EID)).toBeUndefined();
  });

  it("newPeer_isSeenOnceFinal_andAfterTheCacheOnly", async () => {
    const remoteEid = 40_998;
    const fresh = registry(0);
    const cached = registry(600_000);
    const pool = hexOf(chain.deployment.pool);
    expect(await cached.peerOf(pool, remoteEid)).toBeUndefined();
    const remoteVault = addressToWire("0x5555555555555555555555555555555555555555");
    await chain.send(
      await setPeerInstruction(chain.programId, {
        payer: chain.admin,
        admin: chain.admin,
        app: chain.deployment.pool,
        remoteEid,
        remoteApp: toBytes(remoteVault),
      }),
    );

    await until("the new peer to finalize", async () => {
      return (await fresh.peerOf(pool, remoteEid)) === remoteVault;
    });
    expect(await cached.peerOf(pool, remoteEid)).toBeUndefined();
  });
});

describe("SolanaPacketVerifier", () => {
  const verifier = (rpc: JsonRpc = chain.jsonRpc) =>
    new SolanaPacketVerifier({
      eid: SOLANA_EID,
      rpc,
      programId: chain.programId,
      commitment: "finalized",
    });
  let opened: Opened;
  let real: ObservedPacket;

  beforeAll(async () => {
    opened = await openLoan(chain);
    real = await observedOf(chain, opened);
    await waitFinalized(chain, opened.slot);
  });

  it("finalizedPacket_verifies", async () => {
    expect(await verifier().verify(real)).toEqual({ ok: true });
  });

  it("flippedMessageByte_withTheGuidKept_isAHashMismatch", async () => {
    const packet = Uint8Array.from(real.packet);
    packet[packet.length - 1] = (packet.at(-1) ?? 0) ^ 0xff;

    const result = await verifier().verify({ ...real, packet });

    expect(result).toMatchObject({ ok: false, reason: "packet_hash_mismatch" });
  });

  it("nonceNeverSent_isNotFinalized", async () => {
    const header = decodePacket(real.packet);
    const packet = encodePacket({ ...header, nonce: 9_999n }, header.message);

    expect(await verifier().verify(observed(packet))).toMatchObject({
      ok: false,
      reason: "not_finalized",
    });
  });

  it("openNotYetFinalized_isNotFinalized", async () => {
    const fresh = await openLoan(chain);
    const packet = await observedOf(chain, fresh);

    const result = await verifier().verify(packet);

    expect(chain.node.finalizedSlot()).toBeLessThan(fresh.slot);
    expect(result).toMatchObject({ ok: false, reason: "not_finalized" });
    await waitFinalized(chain, fresh.slot);
    expect(await verifier().verify(packet)).toEqual({ ok: true });
  });

  it("packetFromAnotherChain_isMalformed", async () => {
    const header = decodePacket(real.packet);
    const packet = encodePacket({ ...header, srcEid: EVM_EID }, header.message);

    expect(await verifier().verify(observed(packet))).toMatchObject({
      ok: false,
      reason: "malformed_packet",
    });
  });

  it("poisonedRpcRewritingTheAccount_isRpcDisagreement_withQuorumTwo", async () => {
    const poisoned = await startProxy(chain.node.url, {
      rewrite: (method, reply) => {
        const value = (reply.result as { value?: { data?: [string, string] } | null } | undefined)
          ?.value;
        if (method !== "getAccountInfo" || value?.data === undefined) return;
        const data = Buffer.from(value.data[0], "base64");
        data[data.length - 1] = (data.at(-1) ?? 0) ^ 0x01;
        value.data[0] = data.toString("base64");
      },
    });
    const honest = await startProxy(chain.node.url, {});
    try {
      const agreeing = new JsonRpc({
        chain: "solana",
        urls: [chain.node.url, honest.url],
        quorum: 2,
      });
      expect(await verifier(agreeing).verify(real)).toEqual({ ok: true });

      const rpc = new JsonRpc({ chain: "solana", urls: [chain.node.url, poisoned.url], quorum: 2 });
      expect(await verifier(rpc).verify(real)).toMatchObject({
        ok: false,
        reason: "rpc_disagreement",
      });
    } finally {
      await Promise.all([poisoned.close(), honest.close()]);
    }
  });
});

describe("SolanaPacketDeliverer", () => {
  it("verifierSet_isTheDeployedSet", async () => {
    const set = await (await deliverer(chain, { sol: 1n })).verifierSet();

    expect(set.threshold).toBe(2);
    expect(set.signers).toEqual(chain.deployment.verifiers);
    expect(set.epoch).toBeTypeOf("bigint");
  });

  it("walletBalance_reportsThePayerInSol", async () => {
    const target = await deliverer(chain, { sol: 3n });

    const { account, balance } = await target.walletBalance();

    expect(balance).toBe(3);
    expect(account).toMatch(/^[1-9A-HJ-NP-Za-km-z]{32,44}$/);
  });

  it("openLoan_withTwoOfThreeAttestations_createsThePoolLoanOnce", async () => {
    const events: SolanaDeliveryEvent[] = [];
    const target = await deliverer(chain, { events });
    const { epoch } = await target.verifierSet();
    const { packet, loanId } = await openLoanPacket(chain);
    const { guid } = decodePacket(packet);
    const attestations = await attest(chain.verifierKeys.slice(0, 2), packet, epoch);
    expect(await target.isDelivered(guid, packet)).toBe(false);

    const progress: [string, string][] = [];
    const receipt = await target.deliver(packet, attestations, (step, tx) =>
      progress.push([step, tx]),
    );

    expect(receipt.tx).toMatch(/^[1-9A-HJ-NP-Za-km-z]{64,88}$/);
    expect(progress).toEqual([
      ["signed", receipt.tx],
      ["sent", receipt.tx],
    ]);
    expect(receipt.outcome).toBe("delivered");
    const loan = await readAccount(chain, await pda.poolLoan(chain.programId, toBytes(loanId)));
    expect(loan).not.toBeNull();
    expect(decodeAccount("PoolLoan", loan ?? new Uint8Array()).status).toBe(1);
    expect(await target.isDelivered(guid, packet)).toBe(true);
    const again = await target.deliver(packet, attestations).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(AlreadyDeliveredError);
    // The range's delivered-nonces account exists now; the path's next packet is still not delivered.
    const { packet: next } = await openLoanPacket(chain);
    expect(await target.isDelivered(decodePacket(next).guid, next)).toBe(false);

    // The static accounts load from the deploy's lookup table: with both
    // compute-budget instructions it fits, as a v0 transaction.
    const { budgetTags, size, units, version, tables, loadedAccounts } = await landed(
      chain,
      receipt.tx,
    );
    const sent = events.find((e) => e.kind === "sent");
    console.log(`OPEN_LOAN deliver (2 signatures, table): ${units} CU, ${size} bytes landed`);
    expect(version).toBe(0);
    expect(tables).toEqual([chain.lookupTable]);
    expect(loadedAccounts).toBeGreaterThanOrEqual(10);
    expect(size).toBeLessThanOrEqual(MAX_TRANSACTION_SIZE);
    expect(budgetTags).toEqual([2, 3]);
    expect(sent).toMatchObject({
      kind: "sent",
      guid,
      size,
      lookupTable: chain.lookupTable,
      // The node reports no recent fees: the floor.
      computeUnitPrice: 1_000n,
    });
    // Simulated units + 10% + 1,000 (the default margin).
    expect(sent?.kind === "sent" && sent.computeUnitLimit).toBe(
      (units ?? 0) + Math.ceil((units ?? 0) / 10) + 1_000,
    );
    expect(events.find((e) => e.kind === "lookup_table")).toEqual({
      kind: "lookup_table",
      table: chain.lookupTable,
      usable: 12,
    });
  });

  it("attestationsFromNonMembersOrAnotherEpoch_areInsufficient", async () => {
    const target = await deliverer(chain, { sol: 1n });
    const { epoch } = await target.verifierSet();
    const { packet } = await openLoanPacket(chain);
    const outsiders = [solanaKeypair(), solanaKeypair(), solanaKeypair()];

    for (const [attestations, reason] of [
      [await attest(outsiders, packet, epoch), "not in the current verifier set"],
      [await attest(chain.verifierKeys, packet, epoch + 1n), `epoch ${epoch + 1n}`],
    ] as const) {
      const error = await target.deliver(packet, attestations).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InsufficientAttestationsError);
      expect(error).toMatchObject({ usable: 0, threshold: 2 });
      expect((error as InsufficientAttestationsError).details).toContain(reason);
    }
    expect(await target.isDelivered(decodePacket(packet).guid, packet)).toBe(false);
  });

  it("loanActive_toTheVault_activatesAnOpenedLoan_withAComputeBudget", async () => {
    const events: SolanaDeliveryEvent[] = [];
    const target = await deliverer(chain, { events });
    const { epoch } = await target.verifierSet();
    const opened = await openLoan(chain);
    const packet = loanActivePacket(chain, opened.loanId);

    const receipt = await target.deliver(
      packet,
      await attest(chain.verifierKeys.slice(1), packet, epoch),
    );

    const loan = await readAccount(chain, await pda.vaultLoan(chain.programId, opened.loanId));
    expect(decodeAccount("VaultLoan", loan ?? new Uint8Array())).toMatchObject({
      principal: 100n * USDC,
      rate_bps: 500,
    });
    const { budgetTags, size, units } = await landed(chain, receipt.tx);
    const simulated = events.find((e) => e.kind === "simulated");
    console.log(
      `LOAN_ACTIVE deliver (2 signatures): ${units} CU (simulated ${simulated?.kind === "simulated" ? simulated.units : "?"}), ${size} bytes`,
    );
    expect(budgetTags).toEqual([2, 3]);
  });

  it("handlerFailure_isASimulationError_andNothingIsSent", async () => {
    // Given a loan already active, a second LOAN_ACTIVE (another guid) fails in the vault.
    const events: SolanaDeliveryEvent[] = [];
    const target = await deliverer(chain, { events });
    const { epoch } = await target.verifierSet();
    const opened = await openLoan(chain);
    const first = loanActivePacket(chain, opened.loanId);
    await target.deliver(first, await attest(chain.verifierKeys.slice(0, 2), first, epoch));
    events.length = 0;
    const second = loanActivePacket(chain, opened.loanId);

    const error = await target
      .deliver(second, await attest(chain.verifierKeys.slice(0, 2), second, epoch))
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(SolanaDeliveryError);
    expect((error as SolanaDeliveryError).shortMessage).toContain("fails in simulation");
    expect(events.map((e) => e.kind)).toEqual([]);
    expect(await target.isDelivered(decodePacket(second).guid, second)).toBe(false);
  });

  it("zeroMargin_stillCoversTheComputeBudgetInstructionsOwnUnits", async () => {
    // The limit comes from simulating the transaction as it is sent: the
    // compute-budget instructions cost units too.
    const events: SolanaDeliveryEvent[] = [];
    const target = await deliverer(chain, { events, margin: { bps: 0, units: 0 } });
    const { epoch } = await target.verifierSet();
    const opened = await openLoan(chain);
    const packet = loanActivePacket(chain, opened.loanId);

    const receipt = await target.deliver(
      packet,
      await attest(chain.verifierKeys.slice(0, 2), packet, epoch),
    );

    const { budgetTags, units } = await landed(chain, receipt.tx);
    const simulated = events.find((e) => e.kind === "simulated");
    expect(budgetTags).toEqual([2, 3]);
    expect(simulated?.kind === "simulated" && simulated.units).toBe(BigInt(units ?? 0));
  });
});

describe("SolanaPacketDeliverer's compute units by kind", () => {
  async function loanActive(target: SolanaPacketDeliverer, events: SolanaDeliveryEvent[]) {
    const { epoch } = await target.verifierSet();
    const packet = loanActivePacket(chain, (await openLoan(chain)).loanId);
    const before = events.length;
    const receipt = await target.deliver(
      packet,
      await attest(chain.verifierKeys.slice(0, 2), packet, epoch),
    );
    const own = events.slice(before);
    return {
      receipt,
      simulated: own.flatMap((e) => (e.kind === "simulated" ? [e.units] : [])),
      limits: own.flatMap((e) => (e.kind === "sent" ? [e.computeUnitLimit] : [])),
    };
  }

  it("laterDeliveriesOfAKind_areNotSimulatedHere_butSentWithPreflightAtItsMostUnits", async () => {
    const events: SolanaDeliveryEvent[] = [];
    const calls: { method: string; params: unknown[] }[] = [];
    const proxy = await startProxy(chain.node.url, {
      intercept: (call) => {
        calls.push(call);
        return undefined;
      },
    });
    try {
      const target = await deliverer(chain, { url: proxy.url, events });

      const first = await loanActive(target, events);
      const sendsBefore = calls.length;
      const second = await loanActive(target, events);

      // The first simulated and was sent without preflight; the second asked
      // for the first's units plus the margin, and its send was simulated by
      // the endpoint at confirmed.
      expect(first.simulated).toHaveLength(1);
      // Simulated units + 10% + 1,000 (the default margin).
      const units = Number(first.simulated[0]);
      expect(first.limits).toEqual([units + Math.ceil(units / 10) + 1_000]);
      expect(second.simulated).toEqual([]);
      expect(second.limits).toEqual(first.limits);
      const later = calls.slice(sendsBefore);
      expect(later.filter((c) => c.method === "simulateTransaction")).toEqual([]);
      const sends = later.filter((c) => c.method === "sendTransaction");
      expect(sends).toHaveLength(1);
      expect(sends[0]?.params[1]).toMatchObject({ preflightCommitment: "confirmed" });
      expect(sends[0]?.params[1]).not.toHaveProperty("skipPreflight");
      expect((await landed(chain, second.receipt.tx)).units).toBeLessThanOrEqual(
        second.limits[0] ?? 0,
      );
    } finally {
      await proxy.close();
    }
  });

  it("oneNeedingMoreUnitsThanItsKindSoFar_isSimulated_raisesTheKind_andLands", async () => {
    // Given a relayer with no margin that learned LOAN_ACTIVE's units from a
    // delivery into an existing range of delivered nonces.
    const warm = await deliverer(chain);
    await loanActive(warm, []);
    const events: SolanaDeliveryEvent[] = [];
    const target = await deliverer(chain, { events, margin: { bps: 0, units: 0 } });
    const light = await loanActive(target, events);

    // When the next one is the first of a new range: it creates the range's
    // account, which costs more units than the kind has needed so far.
    inboundNonce = (inboundNonce / 1_024n + 3n) * 1_024n - 1n;
    const heavy = await loanActive(target, events);

    // Then its preflight refused it for its budget, nothing was paid, and it
    // was simulated, sent at its own units and landed; the kind is raised.
    expect(heavy.receipt.outcome).toBe("delivered");
    expect(heavy.simulated).toHaveLength(1);
    expect(heavy.simulated[0] ?? 0n).toBeGreaterThan(light.simulated[0] ?? 0n);
    expect(heavy.limits).toEqual([Number(heavy.simulated[0])]);
    const next = await loanActive(target, events);
    expect(next.simulated).toEqual([]);
    expect(next.limits).toEqual(heavy.limits);
  });
  it("aKindsAgingFigure_isSentAtWithPreflight_andSimulatedBesideTheSend_whichStartsItAfresh", async () => {
    // Given a kind whose figure is older than its age (half a second here),
    // and a node that holds its answers to simulations, once armed, until a
    // send is asked for (or for 2 s).
    const node = holdingUntilAsked("simulateTransaction", "sendTransaction");
    const events: SolanaDeliveryEvent[] = [];
    const target = await deliverer(chain, { events, kindUnitsMaxAgeMs: 500, rpc: node.rpc });
    const first = await loanActive(target, events);
    await sleep(600);

    // When the next delivery of the kind goes
    node.state.armed = true;
    const second = await loanActive(target, events);
    const simulated = () => events.filter((e) => e.kind === "simulated").length;
    await until("the refresh's units", () => simulated() === 2);
    node.state.armed = false;
    const third = await loanActive(target, events);

    // then it was sent at the aging figure without waiting for a simulation,
    // the one beside its send started the figure afresh, and the delivery
    // after it was not simulated.
    expect(second.receipt.outcome).toBe("delivered");
    expect(node.state.released).toEqual(["answered once sendTransaction was asked for"]);
    expect(first.simulated).toHaveLength(1);
    expect(second.limits).toEqual(first.limits);
    expect(third.simulated).toEqual([]);
    expect(simulated()).toBe(2);
    expect(third.limits).toHaveLength(1);
  });
});

describe("SolanaPacketDeliverer's lookup table", () => {
  async function deliverLoanActive(target: SolanaPacketDeliverer) {
    const { epoch } = await target.verifierSet();
    const opened = await openLoan(chain);
    const packet = loanActivePacket(chain, opened.loanId);
    const receipt = await target.deliver(
      packet,
      await attest(chain.verifierKeys.slice(0, 2), packet, epoch),
    );
    return landed(chain, receipt.tx);
  }

  it("tableWithoutAnAccount_isReported_andDeliveriesGoWithoutIt", async () => {
    const events: SolanaDeliveryEvent[] = [];
    const missing = (await createKeyPairSignerFromBytes(solanaKeypair())).address;
    const target = await deliverer(chain, { events, lookupTable: missing });

    expect(await target.refreshLookupTable()).toEqual({
      table: missing,
      error: `no account at ${missing}`,
    });
    const { tables, budgetTags } = await deliverLoanActive(target);

    expect(tables).toEqual([]);
    expect(budgetTags).toEqual([2, 3]);
    expect(events.filter((e) => e.kind === "lookup_table")).toHaveLength(1);
    expect(events.find((e) => e.kind === "sent")).toMatchObject({ lookupTable: null });
  });

  it("accountThatIsNotATable_isReported_andLeftOut", async () => {
    const events: SolanaDeliveryEvent[] = [];
    const target = await deliverer(chain, { events, lookupTable: chain.deployment.pool });

    const state = await target.refreshLookupTable();

    expect(state).toEqual({
      table: chain.deployment.pool,
      error: `${chain.deployment.pool} is owned by ${chain.programId}, not the Address Lookup Table program`,
    });
    expect((await deliverLoanActive(target)).tables).toEqual([]);
  });

  it("tableMissingAccounts_loadsWhatItHas_andTheRestGoInline", async () => {
    const partial = await createLookupTable(chain.rpc, chain.send, chain.admin, [
      await pda.endpoint(chain.programId),
      chain.deployment.vault,
    ]);
    const target = await deliverer(chain, { lookupTable: partial });

    const { tables, loadedAccounts } = await deliverLoanActive(target);

    expect(tables).toEqual([partial]);
    expect(loadedAccounts).toBe(2);
  });

  it("twoTablesCreatedInARow_areTwo_eachHoldingItsOwnAddresses", async () => {
    // The table's address follows from its authority and a finalized slot:
    // the second must not land in the first.
    const endpoint = await pda.endpoint(chain.programId);
    const first = await createLookupTable(chain.rpc, chain.send, chain.admin, [endpoint]);
    const second = await createLookupTable(chain.rpc, chain.send, chain.admin, [
      chain.deployment.vault,
    ]);

    expect(second).not.toBe(first);
    const held = async (table: Address) =>
      decodeLookupTable((await readAccount(chain, table)) ?? new Uint8Array()).addresses;
    expect(await held(first)).toEqual([endpoint]);
    expect(await held(second)).toEqual([chain.deployment.vault]);
  });

  it("tableExtendedAfterStart_isReadAgain_beforeTheNextDelivery", async () => {
    const events: SolanaDeliveryEvent[] = [];
    const endpoint = await pda.endpoint(chain.programId);
    const growing = await createLookupTable(chain.rpc, chain.send, chain.admin, [endpoint]);
    const target = await deliverer(chain, { events, lookupTable: growing });
    expect(await target.refreshLookupTable()).toEqual({ table: growing, usable: 1 });

    const { slot } = await chain.send(
      extendLookupTableInstruction({
        table: growing,
        authority: chain.admin,
        payer: chain.admin,
        addresses: [chain.deployment.vault],
      }),
    );
    await until("the extension is usable", () => chain.node.slot() > slot);
    const { loadedAccounts } = await deliverLoanActive(target);

    expect(loadedAccounts).toBe(2);
    expect(events.filter((e) => e.kind === "lookup_table")).toEqual([
      { kind: "lookup_table", table: growing, usable: 1 },
      { kind: "lookup_table", table: growing, usable: 2 },
    ]);
  });
});

describe("SolanaPacketDeliverer's priority fee", () => {
  it("followsWhatRecentWritersOfItsAccountsPaid_withinTheFloorAndCap", async () => {
    // Given two LOAN_ACTIVE packets (both write the vault) for loans opened
    // before, and a first delivery paying 7,000 micro-lamports a unit.
    const opened = [await openLoan(chain), await openLoan(chain)];
    const packets = opened.map((loan) => loanActivePacket(chain, loan.loanId));
    const openedAt = chain.node.slot();
    await until("the opens' slot is past", () => chain.node.slot() > openedAt);
    const events: SolanaDeliveryEvent[] = [];
    const dear = await deliverer(chain, {
      priorityFee: { percentile: 50, floor: 7_000n, cap: 7_000n },
    });
    const { epoch } = await dear.verifierSet();
    const signed = (packet: Uint8Array) => attest(chain.verifierKeys.slice(0, 2), packet, epoch);
    await dear.deliver(packets[0] as Uint8Array, await signed(packets[0] as Uint8Array));

    // When a relayer with a lower floor delivers the second.
    const market = await deliverer(chain, {
      events,
      priorityFee: { percentile: 100, floor: 1_000n, cap: 1_000_000n },
    });
    const receipt = await market.deliver(
      packets[1] as Uint8Array,
      await signed(packets[1] as Uint8Array),
    );

    // Then it offers what the vault's last writer paid, and the cap bounds it.
    expect(events.find((e) => e.kind === "sent")).toMatchObject({
      computeUnitPrice: 7_000n,
      signature: receipt.tx,
    });
    const third = await openLoan(chain);
    const packet = loanActivePacket(chain, third.loanId);
    const cappedEvents: SolanaDeliveryEvent[] = [];
    const cappedTarget = await deliverer(chain, {
      events: cappedEvents,
      priorityFee: { percentile: 100, floor: 1_000n, cap: 5_000n },
    });
    await cappedTarget.deliver(packet, await signed(packet));
    expect(cappedEvents.find((e) => e.kind === "sent")).toMatchObject({ computeUnitPrice: 5_000n });
  });
});

/**
 * A client to the node that, once `armed`, holds its answers to `held` calls
 * until an `awaited` call is asked for (or 2 s), and lists how each held
 * answer came back in `released`.
 */
function holdingUntilAsked(held: string, awaited: string) {
  const state = { armed: false, released: [] as string[] };
  let asked: () => void = () => undefined;
  const askedFor = new Promise<void>((resolve) => (asked = resolve));
  const rpc = hookedRpc("solana", chain.node.url, {
    before: (call) => {
      if (state.armed && call.method === awaited) asked();
    },
    after: async (call) => {
      if (!state.armed || call.method !== held) return;
      state.released.push(
        await Promise.race([
          askedFor.then(() => `answered once ${awaited} was asked for`),
          sleep(2_000).then(() => "held for 2 s"),
        ]),
      );
    },
  });
  return { rpc, state };
}

/** A client to the node that lists the methods it calls into `methods`, as each answers. */
const listingRpc = (methods: string[]) =>
  new JsonRpc({
    chain: "solana",
    urls: [chain.node.url],
    onCall: (event) => methods.push(event.method),
  });

describe("SolanaPacketDeliverer's shared reads", () => {
  it("deliveriesAtOnce_shareOneBlockhashTableFeeAndSetRead_eachReadsItsOwnAccounts", async () => {
    // Given three LOAN_ACTIVE packets (all to the vault) for loans opened before.
    const opened = [await openLoan(chain), await openLoan(chain), await openLoan(chain)];
    const packets = opened.map((loan) => loanActivePacket(chain, loan.loanId));
    const { epoch } = await (await deliverer(chain)).verifierSet();
    const attestations = await Promise.all(
      packets.map((packet) => attest(chain.verifierKeys.slice(0, 2), packet, epoch)),
    );
    const methods: string[] = [];
    const target = await deliverer(chain, {
      rpc: listingRpc(methods),
    });

    // When one relayer delivers them at once.
    const receipts = await Promise.all(
      packets.map((packet, i) => target.deliver(packet, attestations[i] ?? [])),
    );

    // Then each is its own transaction, simulated and sent once, built on one
    // blockhash, one lookup-table read, one fee reading and one verifier-set
    // read; the account each packet names (its loan) is read per packet:
    // 3 of the 5 account reads. Whether each was delivered is not asked: the
    // caller did, and a delivered packet's simulation fails, which asks.
    expect(new Set(receipts.map((receipt) => receipt.tx)).size).toBe(3);
    const count = (method: string) => methods.filter((m) => m === method).length;
    expect(count("simulateTransaction")).toBe(3);
    expect(count("sendTransaction")).toBe(3);
    expect(count("getLatestBlockhash")).toBe(1);
    expect(count("getRecentPrioritizationFees")).toBe(1);
    expect(count("getAccountInfo")).toBe(1 + 1 + 3);
  });

  it("afterASecondsPause_theFeeIsReadBesideTheAccountReads_notAfterThem", async () => {
    // Given a relayer that delivered to the vault a second ago, and a node
    // whose answers to account reads are held, once armed, until the fee
    // reading is asked for (or for 2 s).
    const node = holdingUntilAsked("getAccountInfo", "getRecentPrioritizationFees");
    const target = await deliverer(chain, { rpc: node.rpc });
    const deliverLoanActive = async (arm: boolean) => {
      const packet = loanActivePacket(chain, (await openLoan(chain)).loanId);
      const { epoch } = await target.verifierSet();
      const attestations = await attest(chain.verifierKeys.slice(0, 2), packet, epoch);
      node.state.armed = arm;
      return target.deliver(packet, attestations);
    };
    await deliverLoanActive(false);
    await sleep(SHARED_READ_MAX_AGE_MS + 100);

    // When it delivers again
    const receipt = await deliverLoanActive(true);

    // then the fee was asked for beside the reads the delivery waits for.
    expect(receipt.outcome).toBe("delivered");
    expect(node.state.released.length).toBeGreaterThan(0);
    expect(new Set(node.state.released)).toEqual(
      new Set(["answered once getRecentPrioritizationFees was asked for"]),
    );
  });

  it("verifierSetAndBlockhash_areReadAgain_onceASecondHasPassed", async () => {
    const methods: string[] = [];
    const target = await deliverer(chain, {
      rpc: listingRpc(methods),
    });
    const deliverLoanActive = async () => {
      const packet = loanActivePacket(chain, (await openLoan(chain)).loanId);
      const { epoch } = await target.verifierSet();
      return target.deliver(packet, await attest(chain.verifierKeys.slice(0, 2), packet, epoch));
    };

    await deliverLoanActive();
    await sleep(SHARED_READ_MAX_AGE_MS + 100);
    const before = methods.length;
    await deliverLoanActive();

    const later = methods.slice(before);
    expect(later.filter((m) => m === "getLatestBlockhash")).toHaveLength(1);
    expect(later.filter((m) => m === "getRecentPrioritizationFees")).toHaveLength(1);
    // The verifier set, the lookup table and the loan.
    expect(later.filter((m) => m === "getAccountInfo")).toHaveLength(3);
  });
});

describe("SolanaPacketDeliverer's prepared deliveries", () => {
  const count = (methods: readonly string[], method: string) =>
    methods.filter((m) => m === method).length;

  /** A LOAN_ACTIVE to the vault prepared by a fresh relayer (its reads done), then attested. */
  async function preparedLoanActive() {
    const packet = loanActivePacket(chain, (await openLoan(chain)).loanId);
    const methods: string[] = [];
    const target = await deliverer(chain, { rpc: listingRpc(methods) });
    const prepared = target.prepare(packet);
    // The verifier set, the lookup table and the loan.
    await until("the prepared reads", () => count(methods, "getAccountInfo") === 3);
    const { epoch } = await target.verifierSet();
    const attestations = await attest(chain.verifierKeys.slice(0, 2), packet, epoch);
    return { packet, methods, target, prepared, attestations };
  }

  it("prepared_readsItsAccountsBeforeTheAttestationsAreIn_andItsDeliveryReadsNoneAgain", async () => {
    // Given a LOAN_ACTIVE to the vault, prepared before it is attested.
    const { packet, methods, target, prepared, attestations } = await preparedLoanActive();
    const before = methods.length;

    // When it is delivered with its attestations
    const receipt = await target.deliver(packet, attestations, undefined, prepared);

    // then it waited for no account read: the prepared ones serve.
    expect(receipt.outcome).toBe("delivered");
    expect(count(methods.slice(before), "getAccountInfo")).toBe(0);
    expect(count(methods.slice(before), "sendTransaction")).toBe(1);
  });

  it("preparedReadsOlderThanTheirMaxAge_areReadAgain_andTheDeliveryLands", async () => {
    const { packet, methods, target, prepared, attestations } = await preparedLoanActive();
    await sleep(PREPARED_READS_MAX_AGE_MS + 100);
    const before = methods.length;

    const receipt = await target.deliver(packet, attestations, undefined, prepared);

    // The verifier set, the lookup table and the loan, read afresh.
    expect(receipt.outcome).toBe("delivered");
    expect(count(methods.slice(before), "getAccountInfo")).toBe(3);
  });

  it("handleOfAnotherPacketOrAnotherDeliverer_isIgnored_eachDeliveryReadsItsOwnAccounts", async () => {
    // Given two LOAN_ACTIVE packets and handles prepared for the wrong ones:
    // one relayer's handle of the first given with the second, and another
    // relayer's handle of the first given with the first.
    const loans = [await openLoan(chain), await openLoan(chain)];
    const [first, second] = loans.map((loan) => loanActivePacket(chain, loan.loanId));
    if (first === undefined || second === undefined) throw new Error("two packets");
    const methods: string[] = [];
    const events: SolanaDeliveryEvent[] = [];
    const target = await deliverer(chain, { events, rpc: listingRpc(methods) });
    const other = await deliverer(chain);
    const { epoch } = await target.verifierSet();
    const ofFirst = target.prepare(first);
    const othersOfFirst = other.prepare(first);
    await until("the prepared reads", () => count(methods, "getAccountInfo") >= 2);

    // When each is delivered with the wrong handle
    const receipts = [
      await target.deliver(
        second,
        await attest(chain.verifierKeys.slice(0, 2), second, epoch),
        undefined,
        ofFirst,
      ),
      await target.deliver(
        first,
        await attest(chain.verifierKeys.slice(0, 2), first, epoch),
        undefined,
        othersOfFirst,
      ),
    ];

    // then each named its own loan's accounts from the start (none was
    // refused and derived again), and both loans are active.
    expect(receipts.map((receipt) => receipt.outcome)).toEqual(["delivered", "delivered"]);
    expect(events.filter((e) => e.kind === "accounts_moved")).toEqual([]);
    for (const loan of loans) {
      const vaultLoan = await readAccount(chain, await pda.vaultLoan(chain.programId, loan.loanId));
      expect(decodeAccount("VaultLoan", vaultLoan ?? new Uint8Array())).toMatchObject({
        principal: 100n * USDC,
        rate_bps: 500,
      });
    }
  });

  /**
   * An OPEN_LOAN to the pool prepared by one relayer (its answer packet
   * accounts named from the pool's next outbound nonce), then `others`
   * OPEN_LOANs delivered by another relayer, taking that many nonces, then
   * the first delivered on what was prepared.
   */
  async function deliveredAfterOthers(others: number) {
    const events: SolanaDeliveryEvent[] = [];
    const methods: string[] = [];
    const slow = await deliverer(chain, { events, rpc: listingRpc(methods) });
    const fast = await deliverer(chain);
    const { epoch } = await fast.verifierSet();
    const first = await openLoanPacket(chain);
    const prepared = slow.prepare(first.packet);
    await until("the prepared reads", () => count(methods, "getAccountInfo") >= 4);
    const taken = await openLoansDelivered(fast, epoch, others);
    const reads = count(methods, "getAccountInfo");
    const receipt = await slow.deliver(
      first.packet,
      await attest(chain.verifierKeys.slice(0, 2), first.packet, epoch),
      undefined,
      prepared,
    );
    for (const { loanId } of [first, ...taken]) {
      const loan = await readAccount(chain, await pda.poolLoan(chain.programId, toBytes(loanId)));
      expect(decodeAccount("PoolLoan", loan ?? new Uint8Array()).status).toBe(1);
    }
    return {
      receipt,
      moved: events.filter((e) => e.kind === "accounts_moved"),
      readsAfter: count(methods, "getAccountInfo") - reads,
      guid: decodePacket(first.packet).guid,
    };
  }

  it("poolNoncesTakenAfterPreparing_byFewerThanItsCandidates_itLandsOnWhatWasPrepared", async () => {
    const { receipt, moved, readsAfter } = await deliveredAfterOthers(2);

    expect(receipt.outcome).toBe("delivered");
    expect(moved).toEqual([]);
    expect(readsAfter).toBe(0);
  });

  it("poolNoncesTakenAfterPreparing_forEveryCandidate_accountsAreDerivedAgain_andAllLoansOpen", async () => {
    const { receipt, moved, guid } = await deliveredAfterOthers(3);

    expect(receipt.outcome).toBe("delivered");
    expect(moved).toEqual([{ kind: "accounts_moved", guid, rebuilds: 1 }]);
  });

  it("malformedPacket_preparesNothing_andItsDeliveryFailsAsWithoutAHandle", async () => {
    const target = await deliverer(chain);
    const malformed = new Uint8Array([1, 2, 3]);

    const prepared = target.prepare(malformed);

    const without = await target.deliver(malformed, []).catch((error: unknown) => error);
    const withHandle = await target
      .deliver(malformed, [], undefined, prepared)
      .catch((error: unknown) => error);
    expect(without).toBeInstanceOf(Error);
    expect(withHandle).toBeInstanceOf((without as Error).constructor);
    expect((withHandle as Error).message).toBe((without as Error).message);
  });
});

describe("SolanaPacketDeliverer with 3 signatures (threshold 3 of 3)", () => {
  let strict: Chain;

  beforeAll(async () => {
    strict = await startChain({ threshold: 3 });
  });

  afterAll(async () => {
    await strict.node.stop();
  });

  it("openLoan_withTheTable_fitsWithTheComputeBudget_andLands", async () => {
    const events: SolanaDeliveryEvent[] = [];
    const target = await deliverer(strict, { events });
    const { epoch } = await target.verifierSet();
    const { packet, loanId } = await openLoanPacket(strict);

    const receipt = await target.deliver(packet, await attest(strict.verifierKeys, packet, epoch));

    const { budgetTags, size, version, tables, units, deliverAccounts } = await landed(
      strict,
      receipt.tx,
    );
    console.log(`OPEN_LOAN deliver (3 signatures, table): ${units} CU, ${size} bytes landed`);
    expect(version).toBe(0);
    expect(tables).toEqual([strict.lookupTable]);
    expect(budgetTags).toEqual([2, 3]);
    expect(size).toBeLessThan(MAX_TRANSACTION_SIZE);
    // Deliver's six, the pool's nine and two spare answer packet candidates.
    expect(deliverAccounts).toBe(6 + 9 + 2);
    const loan = await readAccount(strict, await pda.poolLoan(strict.programId, toBytes(loanId)));
    expect(decodeAccount("PoolLoan", loan ?? new Uint8Array()).status).toBe(1);
  });

  it("openLoan_throughATableMissingAccounts_dropsSpareAnswerCandidatesToFit_andLands", async () => {
    // Given a table without three of the accounts an OPEN_LOAN's delivery
    // names: inline, they take the room of the spare answer candidates
    const table = await readAccount(strict, strict.lookupTable);
    const inline = [
      strict.deployment.pool,
      await pda.liquidity(strict.programId),
      await pda.nonce(strict.programId, strict.deployment.pool, EVM_EID),
    ];
    const partial = await createLookupTable(
      strict.rpc,
      strict.send,
      strict.admin,
      decodeLookupTable(table ?? new Uint8Array()).addresses.filter((a) => !inline.includes(a)),
    );
    const events: SolanaDeliveryEvent[] = [];
    const target = await deliverer(strict, { events, lookupTable: partial });
    const { epoch } = await target.verifierSet();
    const { packet, loanId } = await openLoanPacket(strict);

    const receipt = await target.deliver(packet, await attest(strict.verifierKeys, packet, epoch));

    // then it went with as many candidates as fit, at least the first.
    const { size, tables, deliverAccounts } = await landed(strict, receipt.tx);
    console.log(`OPEN_LOAN deliver (3 signatures, 3 accounts inline): ${size} bytes landed`);
    expect(tables).toEqual([partial]);
    expect(size).toBeLessThanOrEqual(MAX_TRANSACTION_SIZE);
    expect(size + 33).toBeGreaterThan(MAX_TRANSACTION_SIZE);
    expect(deliverAccounts).toBeGreaterThanOrEqual(6 + 9);
    expect(deliverAccounts).toBeLessThan(6 + 9 + 2);
    const loan = await readAccount(strict, await pda.poolLoan(strict.programId, toBytes(loanId)));
    expect(decodeAccount("PoolLoan", loan ?? new Uint8Array()).status).toBe(1);
  });

  it("openLoan_withoutATable_isTooLarge_andNothingIsSent", async () => {
    const events: SolanaDeliveryEvent[] = [];
    const target = await deliverer(strict, { events, lookupTable: null });
    const { epoch } = await target.verifierSet();
    const { packet } = await openLoanPacket(strict);

    const error = await target
      .deliver(packet, await attest(strict.verifierKeys, packet, epoch))
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(SolanaTransactionTooLargeError);
    expect((error as SolanaTransactionTooLargeError).details).toBe(
      "no lookup table configured (chains.solana.lookupTable)",
    );
    expect(events.map((e) => e.kind)).not.toContain("sent");
    expect(await target.isDelivered(decodePacket(packet).guid, packet)).toBe(false);
  });
});

/**
 * A chain whose blockhashes last `validitySlots` slots, behind a proxy that
 * loses the next `sendTransaction` when told to (answering with its
 * signature, never forwarding it).
 */
function lossyChain(validitySlots: number) {
  const state: {
    chain?: Chain;
    proxy?: RpcProxy;
    /** Whether the proxy loses the next `sendTransaction`, and the signature it lost. */
    swallowNext: boolean;
    swallowed?: string;
  } = { swallowNext: false };
  beforeAll(async () => {
    state.chain = await startChain({ blockhashValiditySlots: validitySlots });
    state.proxy = await startProxy(state.chain.node.url, {
      intercept: (call) => {
        if (call.method !== "sendTransaction" || !state.swallowNext) return undefined;
        state.swallowNext = false;
        const wire = Buffer.from(String(call.params[0]), "base64");
        state.swallowed = getBase58Decoder().decode(wire.subarray(1, 65));
        return { jsonrpc: "2.0", id: call.id, result: state.swallowed };
      },
    });
  });
  afterAll(async () => {
    await state.proxy?.close();
    await state.chain?.node.stop();
  });
  return state;
}

describe("SolanaPacketDeliverer when another delivery moves the receiving app's state", () => {
  /**
   * A relayer whose first simulation is held until another relayer delivered
   * `others` OPEN_LOANs to the pool: the held one's answer packet accounts
   * (from the pool's next outbound nonce) were derived before the others
   * took those nonces. Returns its events once it is delivered.
   */
  async function heldWhileOthersDeliver(others: number) {
    let release: (() => void) | undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let held = false;
    const proxy = await startProxy(chain.node.url, {
      intercept: async (call) => {
        if (call.method !== "simulateTransaction" || held) return undefined;
        held = true;
        await gate;
        return undefined;
      },
    });
    try {
      const events: SolanaDeliveryEvent[] = [];
      const slow = await deliverer(chain, { url: proxy.url, events });
      const fast = await deliverer(chain);
      const { epoch } = await fast.verifierSet();
      const first = await openLoanPacket(chain);
      const pending = slow.deliver(
        first.packet,
        await attest(chain.verifierKeys.slice(0, 2), first.packet, epoch),
      );
      await until("the slow relayer to simulate", () => held);
      const taken = await openLoansDelivered(fast, epoch, others);
      const before = decodeAccount(
        "OutboundNonce",
        (await readAccount(
          chain,
          await pda.nonce(chain.programId, chain.deployment.pool, EVM_EID),
        )) ?? new Uint8Array(),
      ).nonce as bigint;

      // (its simulation runs on the chain as it is now)
      release?.();
      const receipt = await pending;

      expect(receipt.outcome).toBe("delivered");
      for (const { loanId } of [first, ...taken]) {
        const loan = await readAccount(chain, await pda.poolLoan(chain.programId, toBytes(loanId)));
        expect(decodeAccount("PoolLoan", loan ?? new Uint8Array()).status).toBe(1);
      }
      const answer = await readAccount(
        chain,
        await pda.packet(chain.programId, chain.deployment.pool, EVM_EID, before + 1n),
      );
      return { events, guid: decodePacket(first.packet).guid, loanId: first.loanId, answer };
    } finally {
      release?.();
      await proxy.close();
    }
  }

  it("answerNoncesTakenMeanwhile_byFewerThanItsCandidates_itLandsAtTheNextWithoutDerivingAgain", async () => {
    const { events, guid, loanId, answer } = await heldWhileOthersDeliver(2);

    expect(events.filter((e) => e.kind === "accounts_moved")).toEqual([]);
    expect(events.filter((e) => e.kind === "sent")).toMatchObject([{ attempt: 1 }]);
    expect(answer).not.toBeNull();
    const { packet } = decodeAccount("OutboundPacket", answer ?? new Uint8Array());
    const { packet_len: length } = decodeAccount("OutboundPacket", answer ?? new Uint8Array());
    const bytes = (packet as Uint8Array).subarray(0, Number(length));
    const carried = decodeLoanMessage(decodePacket(bytes).message);
    expect(carried).toMatchObject({ type: "LOAN_ACTIVE", loanId });
    expect(events.find((e) => e.kind === "sent")).toMatchObject({ guid });
  });

  it("answerNoncesTakenMeanwhile_forEveryCandidate_accountsAreDerivedAgain_andAllLoansOpen", async () => {
    const { events, guid } = await heldWhileOthersDeliver(3);

    // Refused once, derived again (no attempt used) and delivered.
    expect(events.filter((e) => e.kind === "accounts_moved")).toEqual([
      { kind: "accounts_moved", guid, rebuilds: 1 },
    ]);
    expect(events.filter((e) => e.kind === "sent")).toMatchObject([{ attempt: 1 }]);
  });
});

describe("a borrower's send on the pool's path, racing deliveries", () => {
  /**
   * A funded borrower repaying a new loan through a send whose first call a
   * relayer's OPEN_LOAN delivery overtakes (taking the pool's next nonce,
   * which the repay's answer account was named by) unless `first` is
   * "no_race", and which then answers "not confirmed in time" for
   * "unknown_outcome", else sends.
   */
  async function repayOvertaken(
    first: "forward" | "unknown_outcome" | "no_race",
    amount = 2_000n * USDC,
  ) {
    const fast = await deliverer(chain);
    const { epoch } = await fast.verifierSet();
    const [loan] = await openLoansDelivered(fast, epoch, 1);
    if (loan === undefined) throw new Error("no loan opened");
    const payer = await createKeyPairSignerFromBytes(solanaKeypair());
    await airdrop(chain.rpc, payer.address, 1n);
    await mintToOwner(chain.send, chain.admin, chain.deployment.stablecoin, payer.address, amount);
    const sender = rpcSender(chain.rpc, { feePayer: payer });
    let sends = 0;
    const overtaken: SendInstructions = async (...instructions) => {
      sends += 1;
      if (sends === 1 && first !== "no_race") {
        await openLoansDelivered(fast, epoch, 1);
        if (first === "unknown_outcome") {
          throw new SolanaTransactionError("not confirmed in time", { refused: false });
        }
      }
      return sender(...instructions);
    };
    const outcome = await repayLoan(chain.rpc, overtaken, chain.programId, {
      payer,
      loanId: loan.loanId,
      amount,
    }).catch((error: unknown) => error);
    const status = decodeAccount(
      "PoolLoan",
      (await readAccount(chain, await pda.poolLoan(chain.programId, toBytes(loan.loanId)))) ??
        new Uint8Array(),
    ).status;
    return { outcome, sends, status };
  }

  it("nonceTakenBeforeItLands_isBuiltAgainOnTheNextNonce_andTheLoanIsRepaid", async () => {
    const { outcome, sends, status } = await repayOvertaken("forward");

    expect(outcome).toMatchObject({ signature: expect.any(String) as unknown });
    expect(sends).toBe(2);
    expect(status).toBe(PoolLoanStatus.Repaid);
  });

  it("aSendThatMayStillLand_isNotSentAgain", async () => {
    const { outcome, sends, status } = await repayOvertaken("unknown_outcome");

    expect(outcome).toBeInstanceOf(SolanaTransactionError);
    expect((outcome as SolanaTransactionError).refused).toBe(false);
    expect(sends).toBe(1);
    expect(status).toBe(PoolLoanStatus.Active);
  });

  it("refusedWithItsNonceStillNext_isNotSentAgain", async () => {
    // A zero repayment is refused whatever the nonce.
    const { outcome, sends, status } = await repayOvertaken("no_race", 0n);

    expect(outcome).toBeInstanceOf(SolanaTransactionError);
    expect((outcome as SolanaTransactionError).refused).toBe(true);
    expect(sends).toBe(1);
    expect(status).toBe(PoolLoanStatus.Active);
  });
});

describe("SolanaPacketDeliverer delivering to the pool at once", () => {
  it("openLoansAtOnce_takeTurnsOnThePoolsNonce_noneIsDerivedAgain_andEveryLoanOpens", async () => {
    // Given three OPEN_LOAN packets to the pool, all answered on one path.
    const events: SolanaDeliveryEvent[] = [];
    const methods: string[] = [];
    const target = await deliverer(chain, { events, rpc: listingRpc(methods) });
    const { epoch } = await target.verifierSet();
    const packets = [
      await openLoanPacket(chain),
      await openLoanPacket(chain),
      await openLoanPacket(chain),
    ];
    const attestations = await Promise.all(
      packets.map(({ packet }) => attest(chain.verifierKeys.slice(0, 2), packet, epoch)),
    );

    // When one relayer delivers them at once.
    const receipts = await Promise.all(
      packets.map(({ packet }, i) => target.deliver(packet, attestations[i] ?? [])),
    );

    // Then each reads the chain's state before the first is sent, and in its
    // turn names the answer nonce after the one sent before it: none names a
    // nonce another took, none is refused, and every loan opens.
    expect(methods.lastIndexOf("getAccountInfo")).toBeLessThan(methods.indexOf("sendTransaction"));
    expect(receipts.map((receipt) => receipt.outcome)).toEqual([
      "delivered",
      "delivered",
      "delivered",
    ]);
    expect(events.filter((e) => e.kind === "accounts_moved")).toEqual([]);
    expect(events.filter((e) => e.kind === "sent")).toHaveLength(3);
    for (const { loanId } of packets) {
      const loan = await readAccount(chain, await pda.poolLoan(chain.programId, toBytes(loanId)));
      expect(decodeAccount("PoolLoan", loan ?? new Uint8Array()).status).toBe(1);
    }
  });
  it("openLoansAtOnce_readThePoolAndItsCollateralConfigOnce_andItsOutboundNonceEachTime", async () => {
    // Given three OPEN_LOAN packets to the pool, of one collateral, on one path.
    const packets = [
      await openLoanPacket(chain),
      await openLoanPacket(chain),
      await openLoanPacket(chain),
    ];
    const read: string[] = [];
    const target = await deliverer(chain, {
      rpc: hookedRpc("solana", chain.node.url, {
        before: (call) => {
          if (call.method === "getAccountInfo") read.push(String(call.params[0]));
        },
      }),
    });
    const { epoch } = await target.verifierSet();
    const attestations = await Promise.all(
      packets.map(({ packet }) => attest(chain.verifierKeys.slice(0, 2), packet, epoch)),
    );

    // When one relayer delivers them within a second
    const receipts = await Promise.all(
      packets.map(({ packet }, i) => target.deliver(packet, attestations[i] ?? [])),
    );

    // then the pool and the collateral's config were read once for all
    // three, and the outbound nonce the answer follows once for each.
    expect(receipts.map((receipt) => receipt.outcome)).toEqual([
      "delivered",
      "delivered",
      "delivered",
    ]);
    const first = decodePacket(packets[0]?.packet ?? new Uint8Array());
    const message = decodeLoanMessage(first.message);
    if (message.type !== "OPEN_LOAN") throw new Error("not an OPEN_LOAN");
    const pool = await pda.pool(chain.programId);
    const config = await pda.collateral(
      chain.programId,
      first.srcEid,
      toBytes(message.collateralAsset),
    );
    const counter = await pda.nonce(chain.programId, pool, first.srcEid);
    const times = (account: string) => read.filter((address) => address === account).length;
    expect([times(pool), times(config), times(counter)]).toEqual([1, 1, 3]);
  });

  it("openLoansAtOnce_eachSendStartsBeforeTheOneBeforeIsAnswered_andEveryLoanOpens", async () => {
    // Given three OPEN_LOAN packets to the pool, and a node whose answers to
    // sendTransaction are held (after it ran each) until three came, or 2 s.
    const packets = [
      await openLoanPacket(chain),
      await openLoanPacket(chain),
      await openLoanPacket(chain),
    ];
    const sends = meetingPoint(3);
    const events: SolanaDeliveryEvent[] = [];
    const target = await deliverer(chain, {
      events,
      // Rebroadcasts after the first three pass straight through.
      rpc: hookedRpc("solana", chain.node.url, {
        after: (call) => (call.method === "sendTransaction" ? sends.arrive() : undefined),
      }),
    });
    const { epoch } = await target.verifierSet();
    const attestations = await Promise.all(
      packets.map(({ packet }) => attest(chain.verifierKeys.slice(0, 2), packet, epoch)),
    );

    // When one relayer delivers them at once
    const receipts = await Promise.all(
      packets.map(({ packet }, i) => target.deliver(packet, attestations[i] ?? [])),
    );

    // then each in turn sent once the send before it had started, naming
    // the answer nonce after that one's, and none was refused.
    expect(sends.released).toEqual(["with the others", "with the others", "with the others"]);
    expect(receipts.map((receipt) => receipt.outcome)).toEqual([
      "delivered",
      "delivered",
      "delivered",
    ]);
    expect(events.filter((e) => e.kind === "accounts_moved")).toEqual([]);
    for (const { loanId } of packets) {
      const loan = await readAccount(chain, await pda.poolLoan(chain.programId, toBytes(loanId)));
      expect(decodeAccount("PoolLoan", loan ?? new Uint8Array()).status).toBe(1);
    }
  });
});

const deliveryEvents = (events: SolanaDeliveryEvent[]) =>
  events.map((e) => e.kind).filter((kind) => kind !== "simulated" && kind !== "lookup_table");

describe("SolanaPacketDeliverer across an expired blockhash", () => {
  // Half a second of validity: a lost send's blockhash runs out before it is sent again.
  const lossy = lossyChain(10);

  it("lostSend_expires_isResentWithAFreshBlockhash_andDeliveredOnce", async () => {
    const { chain, proxy } = lossy as Required<typeof lossy>;
    const events: SolanaDeliveryEvent[] = [];
    const target = await deliverer(chain, { url: proxy.url, events, rebroadcastMs: 60_000 });
    const { epoch } = await target.verifierSet();
    const opened = await openLoan(chain);
    const packet = loanActivePacket(chain, opened.loanId);
    lossy.swallowNext = true;

    const receipt = await target.deliver(
      packet,
      await attest(chain.verifierKeys.slice(0, 2), packet, epoch),
    );

    expect(deliveryEvents(events)).toEqual(["sent", "expired", "sent", "confirmed"]);
    const sent = events.filter((e) => e.kind === "sent");
    expect(sent[0]?.signature).toBe(lossy.swallowed);
    expect(sent[1]?.signature).toBe(receipt.tx);
    expect(receipt.tx).not.toBe(lossy.swallowed);
    expect(await deliveriesOf(chain.rpc, chain.programId, decodePacket(packet))).toEqual([
      receipt.tx,
    ]);
  }, 20_000);
});

describe("SolanaPacketDeliverer when its answer before did not land", () => {
  // Half a second of validity: the lost send's blockhash runs out before it is sent again.
  const lossy = lossyChain(10);

  it("nextDeliveryToThePool_namesTheNonceAfterTheLostAnswer_isRefused_derivedAgain_andBothLoansOpen", async () => {
    // Given a relayer whose first OPEN_LOAN delivery was sent and lost: the
    // pool's answer nonce it named is still free.
    const { chain: lossyNode, proxy } = lossy as Required<typeof lossy>;
    const events: SolanaDeliveryEvent[] = [];
    const target = await deliverer(lossyNode, { url: proxy.url, events, rebroadcastMs: 60_000 });
    const { epoch } = await target.verifierSet();
    const first = await openLoanPacket(lossyNode);
    const second = await openLoanPacket(lossyNode);
    lossy.swallowNext = true;
    const lost = target.deliver(
      first.packet,
      await attest(lossyNode.verifierKeys.slice(0, 2), first.packet, epoch),
    );
    await until("the first send to be lost", () => lossy.swallowed !== undefined);

    // When its next OPEN_LOAN is delivered, naming the nonce after the lost one's
    const receipt = await target.deliver(
      second.packet,
      await attest(lossyNode.verifierKeys.slice(0, 2), second.packet, epoch),
    );

    // then it is refused, derived again from the chain's state, and lands;
    // the lost one, its blockhash expired, is derived again too, and lands.
    expect(receipt.outcome).toBe("delivered");
    expect((await lost).outcome).toBe("delivered");
    const moved = events.filter((e) => e.kind === "accounts_moved");
    expect(moved).toContainEqual({
      kind: "accounts_moved",
      guid: decodePacket(second.packet).guid,
      rebuilds: 1,
    });
    for (const { loanId } of [first, second]) {
      const loan = await readAccount(
        lossyNode,
        await pda.poolLoan(lossyNode.programId, toBytes(loanId)),
      );
      expect(decodeAccount("PoolLoan", loan ?? new Uint8Array()).status).toBe(1);
    }
  }, 20_000);
});

describe("SolanaPacketDeliverer with a lost send, its blockhash still valid", () => {
  // 3 s of validity: the rebroadcast lands before it runs out, even on a busy machine.
  const lossy = lossyChain(60);

  it("lostSend_isRebroadcastWithinItsBlockhash_andLandsOnce", async () => {
    const { chain, proxy } = lossy as Required<typeof lossy>;
    const events: SolanaDeliveryEvent[] = [];
    const target = await deliverer(chain, { url: proxy.url, events, rebroadcastMs: 100 });
    const { epoch } = await target.verifierSet();
    const opened = await openLoan(chain);
    const packet = loanActivePacket(chain, opened.loanId);
    lossy.swallowNext = true;

    const receipt = await target.deliver(
      packet,
      await attest(chain.verifierKeys.slice(0, 2), packet, epoch),
    );

    expect(lossy.swallowNext).toBe(false);
    expect(receipt.tx).toBe(lossy.swallowed);
    expect(deliveryEvents(events)).toEqual(["sent", "confirmed"]);
    expect(await deliveriesOf(chain.rpc, chain.programId, decodePacket(packet))).toEqual([
      receipt.tx,
    ]);
  }, 20_000);
});
