// The EVM half of the relayer end to end, over JSON-RPC only: two full
// loanbridge deployments (deployLoanbridge, eids 40161 and 40168) on one
// anvil with a real finalized tag. A borrower opens a loan on the collateral
// side; three relayers watch (finalized only), prove the packet, attest; two
// attestations are gathered and delivered once; the lending side disburses
// and answers LOAN_ACTIVE, which travels back the same way. Then a reorg:
// a packet sent and reverted before finality is never handed out.
import { DEV_DEFAULTS, type EvmDeployment, contractAt } from "@loanbridge/evm-contracts";
import {
  addressToWire,
  annuityPayment,
  decodeLoanMessage,
  decodePacket,
  type Hex,
  packetAttestationDigest,
  toBytes,
} from "@loanbridge/shared";
import { AbiCoder, Contract, NonceManager, parseEther, Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ObservedPacket, PacketWatcher } from "../types.ts";
import { type AnvilNode, startAnvil } from "./anvil.ts";
import { EvmPacketDeliverer } from "./deliverer.ts";
import { EvmLoanApps } from "./loan-apps.ts";
import type { EvmFinality } from "./finality.ts";
import { NonceManager as RelayerNonces } from "./nonces.ts";
import { EvmPoolReader } from "./pool-reader.ts";
import { PACKET_SENT_TOPIC } from "./proof.ts";
import { JsonRpc } from "../rpc.ts";
import { EvmAttestationSigner } from "./signer.ts";
import {
  COLLATERAL_EID,
  deployEvmLoanPair,
  devKey,
  LENDING_EID,
  mine,
  providerFor,
  rpcCall,
  sendTx,
  USD,
  VERIFIER_KEYS,
} from "./testing.ts";
import { EvmPacketVerifier } from "./verifier.ts";
import { EvmPacketWatcher } from "./watcher.ts";

const FINALIZED: EvmFinality = { kind: "tag", tag: "finalized" };
const VaultState = { Requested: 1n, Active: 2n };
const PoolStatus = { Active: 1n };

let anvil: AnvilNode;
let collateral: EvmDeployment;
let lending: EvmDeployment;
let contracts: Record<"vault" | "pool" | "stablecoin", Contract>;
let borrower: Wallet;

/** One relayer operator: its own RPC client, verifiers and attestation key. */
function relayer(index: number) {
  const rpc = new JsonRpc({ chain: "anvil", urls: [anvil.url, `${anvil.url}/`], quorum: 2 });
  const side = (deployment: EvmDeployment) => ({
    watcher: new EvmPacketWatcher({
      eid: deployment.localEid,
      rpc,
      endpoint: deployment.contracts.endpoint,
      finality: FINALIZED,
    }),
    verifier: new EvmPacketVerifier({
      eid: deployment.localEid,
      rpc,
      endpoint: deployment.contracts.endpoint,
      finality: FINALIZED,
    }),
  });
  return {
    collateral: side(collateral),
    lending: side(lending),
    signer: new EvmAttestationSigner(VERIFIER_KEYS[index] as Hex),
  };
}

/** The executor's delivery to each side; one nonce manager for its key on this chain. */
let deliverTo: Map<number, EvmPacketDeliverer>;

async function pollAll(watcher: PacketWatcher, from: bigint) {
  const packets: ObservedPacket[] = [];
  let cursor = from;
  for (;;) {
    const batch = await watcher.poll(cursor);
    packets.push(...batch.packets);
    cursor = batch.scannedTo;
    if (cursor >= batch.finalizedHead) return { packets, cursor };
  }
}

beforeAll(async () => {
  anvil = await startAnvil({ slotsInAnEpoch: 4 });
  const provider = providerFor(anvil.url);
  const deployer = new NonceManager(new Wallet(devKey(0), provider));
  const pair = await deployEvmLoanPair(deployer);
  ({ collateral, lending } = pair);
  const { pool, stablecoin } = pair;

  borrower = new Wallet(devKey(1), provider);
  contracts = {
    vault: await contractAt(
      collateral.contracts.collateralVault,
      "contracts/CollateralVault.sol",
      "CollateralVault",
      borrower,
    ),
    pool,
    stablecoin,
  };

  const executorKey = devKey(5);
  const rpc = new JsonRpc({ chain: "anvil", urls: [anvil.url] });
  const nonces = new RelayerNonces(rpc, new Wallet(executorKey).address);
  deliverTo = new Map(
    [collateral, lending].map((deployment) => [
      deployment.localEid,
      new EvmPacketDeliverer({
        eid: deployment.localEid,
        rpc,
        endpoint: deployment.contracts.endpoint,
        senderKey: executorKey,
        nonces,
        fees: { maxFeePerGas: 100n * 10n ** 9n },
        pollIntervalMs: 25,
      }),
    ]),
  );
});

afterAll(async () => {
  await anvil.stop();
});

async function openLoan(
  collateralWei: bigint,
  principal: bigint,
  schedule = { termSeconds: 30n * 86_400n, installments: 1 },
) {
  const receipt = await sendTx(
    contracts.vault,
    "open",
    "0x0000000000000000000000000000000000000000",
    collateralWei,
    principal,
    1_000,
    schedule.termSeconds,
    schedule.installments,
    addressToWire(borrower.address),
    { value: collateralWei },
  );
  const log = receipt.logs.find((entry) => entry.topics[0] === PACKET_SENT_TOPIC);
  if (!log) throw new Error("open sent no packet");
  return { receipt, guid: log.topics[1] as Hex };
}

/**
 * What the pipeline does with one finalized packet: every relayer proves it
 * and signs; the executor gathers `gather` of the attestations and delivers.
 */
async function attestAndDeliver(
  observed: ObservedPacket,
  side: "collateral" | "lending",
  gather: number[],
) {
  const deliverer = deliverTo.get(observed.dstEid);
  if (!deliverer) throw new Error(`no deliverer for ${observed.dstEid}`);
  const { epoch } = await deliverer.verifierSet();
  const digest = packetAttestationDigest(deliverer.endpoint, epoch, observed.packet);
  const attestations = await Promise.all(
    [0, 1, 2].map(async (i) => {
      const r = relayer(i);
      expect(await r[side].verifier.verify(observed)).toEqual({ ok: true });
      return r.signer.sign(observed.guid, epoch, digest);
    }),
  );
  return deliverer.deliver(
    observed.packet,
    gather.map((i) => attestations[i]).filter((a) => a !== undefined),
  );
}

describe("a loan across two endpoints, relayed over JSON-RPC", () => {
  it("open_isWatchedAtFinality_provenAttestedDeliveredOnce_andAnsweredBack", async () => {
    const started = performance.now();
    const cursor = BigInt(collateral.startBlock) - 1n;
    const collateralWatcher = relayer(0).collateral.watcher;
    const principal = 12_000n * USD;
    const before = (await contracts.stablecoin
      .getFunction("balanceOf")
      .staticCall(borrower.address)) as bigint;

    const { receipt, guid } = await openLoan(parseEther("10"), principal);
    // Not finalized yet: the watcher does not hand it out.
    expect((await pollAll(collateralWatcher, cursor)).packets).toEqual([]);

    await mine(anvil.url, 8);
    const { packets, cursor: collateralCursor } = await pollAll(collateralWatcher, cursor);
    expect(packets.map((p) => p.guid)).toEqual([guid]);
    const [open] = packets;
    if (!open) throw new Error();
    expect(open).toMatchObject({
      srcEid: COLLATERAL_EID,
      dstEid: LENDING_EID,
      sourceTx: receipt.hash,
      sourceHeight: BigInt(receipt.blockNumber),
    });
    const opened = decodeLoanMessage(decodePacket(open.packet).message);
    if (opened.type !== "OPEN_LOAN") throw new Error(`sent ${opened.type}`);

    // Relayers 2 and 0 are gathered (out of order); relayer 1's signature is not needed.
    const delivered = await attestAndDeliver(open, "collateral", [2, 0]);
    expect(delivered.outcome).toBe("delivered");
    const loan = (await contracts.pool
      .getFunction("getLoan")
      .staticCall(opened.loanId)) as bigint[];
    expect(loan[0]).toBe(PoolStatus.Active);
    expect(await contracts.stablecoin.getFunction("balanceOf").staticCall(borrower.address)).toBe(
      before + principal,
    );

    // A second executor racing for the same packet changes nothing.
    const again = await attestAndDeliver(open, "collateral", [0, 1]);
    expect(again).toEqual(delivered);
    expect(await collateralWatcher.poll(collateralCursor)).toMatchObject({ packets: [] });

    // LOAN_ACTIVE, sent by the pool inside the delivery, goes back the same way.
    const lendingWatcher = relayer(1).lending.watcher;
    await mine(anvil.url, 8);
    const answers = (await pollAll(lendingWatcher, BigInt(lending.startBlock) - 1n)).packets;
    expect(answers).toHaveLength(1);
    const [answer] = answers;
    if (!answer) throw new Error();
    expect(answer.sourceTx).toBe(delivered.tx);
    expect(decodeLoanMessage(decodePacket(answer.packet).message)).toMatchObject({
      type: "LOAN_ACTIVE",
      loanId: opened.loanId,
      principal,
    });
    expect((await attestAndDeliver(answer, "lending", [1, 2])).outcome).toBe("delivered");
    const vaultLoan = (await contracts.vault
      .getFunction("getLoan")
      .staticCall(opened.loanId)) as unknown[];
    expect(vaultLoan[2]).toBe(VaultState.Active);
    console.info(`loan relayed both ways in ${Math.round(performance.now() - started)} ms`);
  });
});

describe("the lending pool's installments, read at finality", () => {
  it("installmentLoan_readerSeesItsScheduleAndEachPayment_onlyOnceFinal", async () => {
    const principal = 3_000n * USD;
    const { guid } = await openLoan(parseEther("4"), principal, {
      termSeconds: 3n * 86_400n,
      installments: 3,
    });
    await mine(anvil.url, 8);
    const { packets } = await pollAll(
      relayer(0).collateral.watcher,
      BigInt(collateral.startBlock) - 1n,
    );
    const open = packets.find((packet) => packet.guid === guid);
    if (!open) throw new Error("OPEN_LOAN not watched");
    const delivered = await attestAndDeliver(open, "collateral", [0, 1]);
    expect(delivered.outcome).toBe("delivered");
    const { loanId } = decodeLoanMessage(decodePacket(open.packet).message);
    const reader = new EvmPoolReader({
      eid: LENDING_EID,
      rpc: new JsonRpc({ chain: "anvil", urls: [anvil.url, `${anvil.url}/`], quorum: 2 }),
      finality: FINALIZED,
    });
    const pool = addressToWire(lending.contracts.lendingPool);
    // Opened in a block not yet final: the pool holds no loan by that id at finality.
    expect(await reader.readSchedule(pool, loanId, delivered.height)).toBeUndefined();
    await mine(anvil.url, 8);
    const schedule = await reader.readSchedule(pool, loanId, delivered.height);
    const payment = annuityPayment({
      principal,
      rateBps: BigInt(DEV_DEFAULTS.pool.rateBps),
      periodSeconds: 86_400n,
      installments: 3,
    });
    expect(schedule).toMatchObject({
      installments: 3,
      periodSeconds: 86_400n,
      installmentAmount: payment,
      dueBucketSeconds: DEV_DEFAULTS.pool.dueBucketSeconds,
      payments: [],
    });

    await sendTx(contracts.stablecoin, "approve", lending.contracts.lendingPool, payment);
    const repaid = await sendTx(contracts.pool, "repay", loanId, payment);
    expect((await reader.readSchedule(pool, loanId, delivered.height))?.payments).toEqual([]);
    await mine(anvil.url, 8);
    const after = await reader.readSchedule(pool, loanId, delivered.height);
    const block = await providerFor(anvil.url).getBlock(repaid.blockNumber);
    expect(after?.payments).toEqual([
      {
        index: 1,
        amount: payment,
        remainingPrincipal: expect.any(BigInt) as bigint,
        paidAt: BigInt(block?.timestamp ?? 0),
      },
    ]);
    expect(after?.payments[0]?.remainingPrincipal).toBeLessThan(principal);
  });
});

describe("the loan apps, named by the deployment", () => {
  const appsOf = (deployment: typeof lending, peerCacheMs?: number) =>
    new EvmLoanApps({
      eid: deployment.localEid,
      rpc: new JsonRpc({ chain: "evm", urls: [anvil.url] }),
      finality: FINALIZED,
      endpoint: deployment.contracts.endpoint,
      apps: {
        vault: deployment.contracts.collateralVault,
        pool: deployment.contracts.lendingPool,
      },
      ...(peerCacheMs !== undefined && { peerCacheMs }),
    });

  it("vaultAndPool_haveTheirRoles_peersAreTheEndpointsAtFinality", async () => {
    await mine(anvil.url, 8);
    const apps = appsOf(collateral);
    const vault = addressToWire(collateral.contracts.collateralVault);

    expect(await apps.roleOf(vault.toUpperCase().replace("0X", "0x") as Hex)).toBe("vault");
    expect(await apps.roleOf(addressToWire(collateral.contracts.lendingPool))).toBe("pool");
    expect(await apps.roleOf(addressToWire(collateral.contracts.endpoint))).toBeUndefined();
    expect(await apps.peerOf(vault, LENDING_EID)).toBe(
      addressToWire(lending.contracts.lendingPool).toLowerCase(),
    );
    // No peer for an eid nobody registered, nor for a 32-byte key that is no EVM address.
    expect(await apps.peerOf(vault, 40_999)).toBeUndefined();
    expect(await apps.peerOf(`0x${"ff".repeat(32)}`, LENDING_EID)).toBeUndefined();
  });

  it("peerChange_isSeenOnlyOnceFinal", async () => {
    const apps = appsOf(lending, 0);
    const pool = addressToWire(lending.contracts.lendingPool);
    const endpoint = await contractAt(
      lending.contracts.endpoint,
      "contracts/Endpoint.sol",
      "Endpoint",
      new NonceManager(new Wallet(devKey(0), providerFor(anvil.url))),
    );
    const newVault = addressToWire(`0x${"55".repeat(20)}`);
    await sendTx(endpoint, "setPeer", lending.contracts.lendingPool, 40_998, newVault);

    expect(await apps.peerOf(pool, 40_998)).toBeUndefined();
    await mine(anvil.url, 8);
    expect(await apps.peerOf(pool, 40_998)).toBe(newVault.toLowerCase());
  });
});

describe("reorg before finality", () => {
  it("packetRevertedBeforeFinality_isNeverReturned_norProvable", async () => {
    const watcher = relayer(0).collateral.watcher;
    await mine(anvil.url, 10);
    const { cursor } = await pollAll(watcher, BigInt(collateral.startBlock) - 1n);

    const snapshot = (await rpcCall(anvil.url, "evm_snapshot")) as string;
    const { receipt, guid } = await openLoan(parseEther("1"), 500n * USD);
    expect((await pollAll(watcher, cursor)).packets).toEqual([]);
    const log = receipt.logs.find((entry) => entry.topics[0] === PACKET_SENT_TOPIC);
    const [packetHex] = AbiCoder.defaultAbiCoder().decode(["bytes", "uint64"], log?.data ?? "0x");
    const packet = toBytes(packetHex as Hex);
    const decoded = decodePacket(packet);

    // The block is dropped before it was final; the chain moves on without it.
    expect(await rpcCall(anvil.url, "evm_revert", [snapshot])).toBe(true);
    await mine(anvil.url, 30);
    const after = await pollAll(watcher, cursor);
    expect(after.cursor).toBeGreaterThan(BigInt(receipt.blockNumber));
    expect(after.packets.map((p) => p.guid)).not.toContain(guid);

    // Even if someone reported the orphaned packet, nobody can prove it.
    const claim: ObservedPacket = {
      packet,
      guid: decoded.guid,
      srcEid: decoded.srcEid,
      dstEid: decoded.dstEid,
      nonce: decoded.nonce,
      sourceTx: receipt.hash,
      sourceHeight: BigInt(receipt.blockNumber),
      sourceIndex: log?.index ?? 0,
    };
    expect(await relayer(0).collateral.verifier.verify(claim)).toMatchObject({
      ok: false,
      reason: "receipt_missing",
    });
  });
});
