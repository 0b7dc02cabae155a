// The Solana pool reader's change detection against a real JSON-RPC node
// (LiteSVM behind solana-program/node, the SBF program deployed and
// configured over RPC): three installment loans opened by delivering
// OPEN_LOAN (two of three verifiers), one repaid in part by the recipient.
// One `getProgramAccounts` (memcmp on discriminator and status, a data
// slice) names only the repaid loan; the slice's offsets are held to
// `decodePoolLoan`; an endpoint that rewrites the answer is outvoted or
// stops the scan.
import {
  addressToWire,
  decodePacket,
  encodeLoanMessage,
  encodePacket,
  type Hex,
  packetAttestationDigest,
  toBytes,
  toHex,
} from "@loanbridge/shared";
import {
  addressBytes,
  airdrop,
  decodePoolLoan,
  IDL_PROGRAM_ADDRESS,
  mintToOwner,
  pda,
  type PoolLoanAccount,
  repayLoan,
  rpcSender,
  solanaRpc,
} from "@loanbridge/solana-program";
import type { SvmNode } from "@loanbridge/solana-program/node";
import { createKeyPairSignerFromBytes, type KeyPairSigner } from "@solana/kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JsonRpc, RpcDisagreementError, RpcQuorumError } from "../rpc.ts";
import type { MirroredPoolLoan } from "../types.ts";
import { SolanaPacketDeliverer } from "./deliverer.ts";
import { POOL_LOAN_LAYOUT, SolanaPoolReader } from "./pool-reader.ts";
import { accountData, accountInfoSchema } from "./schemas.ts";
import { ed25519AttestationSigner } from "./signer.ts";
import {
  EVM_EID,
  REMOTE_POOL,
  REMOTE_VAULT,
  SOLANA_EID,
  solanaKeypair,
  startSolanaTestChain,
  USDC,
} from "./testing.ts";

/** A request's JSON body and URL, as a test's fetch sees them. */
const bodyOf = (init?: RequestInit): string => (typeof init?.body === "string" ? init.body : "{}");
const urlOf = (input: string | URL | Request): string =>
  typeof input === "string" ? input : input instanceof URL ? input.href : input.url;

const PRINCIPAL = 1_000n * USDC;
const DAY = 86_400n;

let node: SvmNode;
let rpc: ReturnType<typeof solanaRpc>;
let recipient: KeyPairSigner;
let loanIds: Hex[];

/** The pool loan as the node holds it now (confirmed). */
async function poolLoan(loanId: Hex): Promise<PoolLoanAccount> {
  const { value } = await new JsonRpc({ chain: "solana", urls: [node.url] }).request(
    "getAccountInfo",
    [
      await pda.poolLoan(IDL_PROGRAM_ADDRESS, toBytes(loanId)),
      { commitment: "confirmed", encoding: "base64" },
    ],
    accountInfoSchema,
  );
  if (value === null) throw new Error(`no pool loan ${loanId}`);
  return decodePoolLoan(accountData(value));
}

/** Waits until the node's finalized slot reaches its current slot. */
async function finalized(): Promise<void> {
  const slot = node.slot();
  while (node.finalizedSlot() < slot) await new Promise((resolve) => setTimeout(resolve, 20));
}

const mirrored = (loanId: Hex): MirroredPoolLoan => ({
  loanId,
  outstandingPrincipal: PRINCIPAL,
  paidInstallments: 0,
});

/** A reader over `urls` (the node's URL, however spelled) with `fetch` in between. */
function reader(options: { urls?: string[]; quorum?: number; fetch?: typeof fetch } = {}) {
  return new SolanaPoolReader({
    eid: SOLANA_EID,
    rpc: new JsonRpc({
      chain: "solana",
      urls: options.urls ?? [node.url],
      ...(options.quorum === undefined ? {} : { quorum: options.quorum }),
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    }),
    programId: IDL_PROGRAM_ADDRESS,
    commitment: "finalized",
  });
}

/** A fetch to the node that records each method and lets `rewrite` change getProgramAccounts answers. */
function nodeFetch(
  methods: string[],
  rewrite?: (result: { value: { account: { data: [string, string] } }[] }) => unknown,
): typeof fetch {
  return async (_input, init) => {
    const body = JSON.parse(bodyOf(init)) as { method: string; id: number };
    methods.push(body.method);
    const response = await fetch(node.url, init);
    if (rewrite === undefined || body.method !== "getProgramAccounts") return response;
    const answer = (await response.json()) as {
      result: { value: { account: { data: [string, string] } }[] };
    };
    return new Response(
      JSON.stringify({ jsonrpc: "2.0", id: body.id, result: rewrite(answer.result) }),
    );
  };
}

beforeAll(async () => {
  const chain = await startSolanaTestChain();
  ({ node, rpc } = chain);
  const { admin, send, deployment, verifierKeys, lookupTable } = chain;
  const payerKeypair = solanaKeypair();
  await airdrop(rpc, (await createKeyPairSignerFromBytes(payerKeypair)).address, 10n);
  const deliverer = new SolanaPacketDeliverer({
    eid: SOLANA_EID,
    rpc: new JsonRpc({ chain: "solana", urls: [node.url] }),
    programId: IDL_PROGRAM_ADDRESS,
    payerKeypair,
    pollIntervalMs: 25,
    lookupTable,
  });
  recipient = await createKeyPairSignerFromBytes(solanaKeypair());
  await airdrop(rpc, recipient.address, 1n);
  // Principal arrives here; the extra pays the interest.
  await mintToOwner(send, admin, deployment.stablecoin, recipient.address, 100n * USDC);

  const { epoch } = await deliverer.verifierSet();
  loanIds = [];
  const now = BigInt(Math.floor(Date.now() / 1_000));
  for (let nonce = 1n; nonce <= 3n; nonce++) {
    const loanId = toHex(crypto.getRandomValues(new Uint8Array(32)));
    const packet = encodePacket(
      {
        nonce,
        srcEid: EVM_EID,
        sender: REMOTE_VAULT,
        dstEid: SOLANA_EID,
        receiver: toHex(addressBytes(deployment.pool)),
      },
      encodeLoanMessage({
        type: "OPEN_LOAN",
        loanId,
        borrower: addressToWire("0x5555555555555555555555555555555555555555"),
        recipient: toHex(addressBytes(recipient.address)),
        collateralAsset: toHex(new Uint8Array(32)),
        collateralAmount: 10n ** 18n,
        principal: PRINCIPAL,
        maxRateBps: 800,
        termSeconds: 3n * DAY,
        expiresAt: now + 3_600n,
        installments: 3,
      }),
    );
    const { guid } = decodePacket(packet);
    const digest = packetAttestationDigest(toHex(addressBytes(IDL_PROGRAM_ADDRESS)), epoch, packet);
    const attestations = await Promise.all(
      verifierKeys
        .slice(0, 2)
        .map((key) => ed25519AttestationSigner(key).sign(guid, epoch, digest)),
    );
    expect((await deliverer.deliver(packet, attestations)).outcome).toBe("delivered");
    loanIds.push(loanId);
  }
  await finalized();
}, 120_000);

afterAll(async () => {
  await node.stop();
});

describe("SolanaPoolReader.changedLoans", () => {
  it("theSliceOffsets_areThoseOfDecodePoolLoan", async () => {
    const [loanId] = loanIds;
    if (loanId === undefined) throw new Error();
    const { value } = await new JsonRpc({ chain: "solana", urls: [node.url] }).request(
      "getAccountInfo",
      [
        await pda.poolLoan(IDL_PROGRAM_ADDRESS, toBytes(loanId)),
        { commitment: "confirmed", encoding: "base64" },
      ],
      accountInfoSchema,
    );
    if (value === null) throw new Error("no pool loan");
    const data = Buffer.from(accountData(value));
    const decoded = decodePoolLoan(data);
    const { offset, length } = POOL_LOAN_LAYOUT.slice;
    const slice = data.subarray(offset, offset + length);
    expect(data[POOL_LOAN_LAYOUT.status]).toBe(decoded.status);
    expect(slice.readBigUInt64LE(POOL_LOAN_LAYOUT.principal)).toBe(decoded.principal);
    expect(toHex(slice.subarray(POOL_LOAN_LAYOUT.loanId, POOL_LOAN_LAYOUT.loanId + 32))).toBe(
      toHex(decoded.loanId),
    );
    expect(slice.readUInt16LE(POOL_LOAN_LAYOUT.paidInstallments)).toBe(
      decoded.schedule.paidInstallments,
    );
    expect(decoded.principal).toBe(PRINCIPAL);
  });

  it("aRepayment_namesOnlyItsLoan_inOneQuery_whateverTheLoans", async () => {
    const methods: string[] = [];
    const scanner = reader({ fetch: nodeFetch(methods) });
    const known = loanIds.map(mirrored);

    const before = await scanner.changedLoans(REMOTE_POOL, undefined, known);
    expect(before.changed).toEqual([]);
    expect(before.scannedTo).toBeLessThanOrEqual(node.finalizedSlot());
    expect(methods).toEqual(["getProgramAccounts"]);

    const [, repaid] = loanIds;
    if (repaid === undefined) throw new Error();
    const { schedule } = await poolLoan(repaid);
    await repayLoan(
      rpc,
      rpcSender(rpc, { feePayer: recipient, pollIntervalMs: 20 }),
      IDL_PROGRAM_ADDRESS,
      {
        payer: recipient,
        loanId: repaid,
        amount: schedule.installmentAmount,
      },
    );
    // Not final yet: nothing changed at the reader's commitment.
    expect((await scanner.changedLoans(REMOTE_POOL, before.scannedTo, known)).changed).toEqual([]);
    await finalized();

    const after = await scanner.changedLoans(REMOTE_POOL, before.scannedTo, known);
    expect(after.changed).toEqual([repaid]);
    expect(methods).toEqual(["getProgramAccounts", "getProgramAccounts", "getProgramAccounts"]);

    // Once the mirror has read it, nothing is left to read.
    const now = await poolLoan(repaid);
    expect(now.schedule.paidInstallments).toBe(1);
    const read = known.map((loan) =>
      loan.loanId === repaid
        ? { loanId: repaid, outstandingPrincipal: now.principal, paidInstallments: 1 }
        : loan,
    );
    expect((await scanner.changedLoans(REMOTE_POOL, after.scannedTo, read)).changed).toEqual([]);
    // A loan the mirror holds no principal for is read.
    const unknown = [{ loanId: repaid, outstandingPrincipal: undefined, paidInstallments: 1 }];
    expect((await scanner.changedLoans(REMOTE_POOL, after.scannedTo, unknown)).changed).toEqual([
      repaid,
    ]);
  });

  it("anEndpointThatRewritesTheAccounts_isOutvoted_orStopsTheScan_andGarbageFailsIt", async () => {
    const known = loanIds.map((loanId) => ({ ...mirrored(loanId), paidInstallments: 7 }));
    // A liar that drops every account: with the honest ones, it is outvoted
    // (every loan differs from `known`, so all are named).
    const hiding = nodeFetch([], (result) => ({ ...result, value: [] }));
    const urls = [node.url, `${node.url}/`, `${node.url}/#3`];
    const liarLast: typeof fetch = (input, init) =>
      urlOf(input).endsWith("#3") ? hiding(input, init) : nodeFetch([])(input, init);
    const outvoted = reader({ urls, quorum: 2, fetch: liarLast });
    expect((await outvoted.changedLoans(REMOTE_POOL, undefined, known)).changed).toEqual(loanIds);

    const stalled = reader({ urls: [node.url, `${node.url}/#3`], quorum: 2, fetch: liarLast });
    await expect(stalled.changedLoans(REMOTE_POOL, undefined, known)).rejects.toThrow(
      RpcDisagreementError,
    );

    // A slice cut short names no loan: that endpoint's answer differs.
    const cut = nodeFetch([], (result) => ({
      ...result,
      value: result.value.map((entry) => ({
        ...entry,
        account: { ...entry.account, data: [Buffer.alloc(10).toString("base64"), "base64"] },
      })),
    }));
    const short = reader({
      urls: [node.url, `${node.url}/`],
      quorum: 2,
      fetch: (input, init) =>
        urlOf(input).endsWith("/") ? cut(input, init) : nodeFetch([])(input, init),
    });
    await expect(short.changedLoans(REMOTE_POOL, undefined, known)).rejects.toThrow(
      RpcDisagreementError,
    );

    const garbage = reader({
      urls: [node.url, `${node.url}/`],
      quorum: 2,
      fetch: nodeFetch([], () => ({ value: "not a list" })),
    });
    await expect(garbage.changedLoans(REMOTE_POOL, undefined, known)).rejects.toThrow(
      RpcQuorumError,
    );
  });
});
