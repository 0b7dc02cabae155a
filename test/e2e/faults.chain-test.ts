// Faults through the real system (anvil + the SBF program on the local
// Solana node + 3 relayer processes, 2 of 3; relayer-0 executes), one
// localnet for all: a verifier killed mid-flow (2 of 3 still deliver, and it
// catches up after a restart); an EVM reorg of unfinalized blocks (the
// reorged packet is never recorded or delivered, and the packet that later
// reuses its guid is delivered with its own contents); and relayers down
// past a request's deadline (anyone cancels it on the lending chain with
// `loanbridge cancel`, the collateral comes back and the late request never
// activates the loan).
import {
  decodeLoanMessage,
  decodePacket,
  type Hex,
  type Packet,
  toBytes,
  toHex,
} from "@loanbridge/shared";
import { addressBytes, airdrop, PoolLoanStatus, VaultLoanState } from "@loanbridge/solana-program";
import { createKeyPairSignerFromBytes, generateKeyPairSigner } from "@solana/kit";
import {
  type ContractTransactionResponse,
  type JsonRpcProvider,
  parseEther,
  Wallet,
  ZeroAddress,
} from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli as cli } from "../../relayer/src/cli-testing.ts";
import { devKey, providerFor } from "../../relayer/src/chains/evm/testing.ts";
import {
  type Localnet,
  type RelayerProcess,
  solanaKeypair,
  startLocalnet,
} from "../localnet/index.ts";
import {
  ethLoanToFreshRecipient,
  EvmPoolStatus,
  evmContracts,
  evmDeliveries,
  EvmVaultState,
  lamportsOf,
  mintToOwnerFor,
  type OpenedLoan,
  type SeenPacket,
  openEthLoan,
  openSolLoan,
  packetByGuid,
  packetOfType,
  packetSentBy,
  packetsOfLoan,
  rpcCall,
  solanaDeliveries,
  solanaPoolLoan,
  solanaVaultLoan,
  tokenBalance,
  travel,
  waitEthLoanActive,
  waitFor,
  waitForDeliveredPackets,
  waitForMirroredLoan,
} from "./support.ts";

const USDC = 1_000_000n;
const SOL = 1_000_000_000n;
/** Where the cancel test hands `loanbridge cancel` its EVM key. */
const CANCEL_KEY_ENV = "LB_TEST_CANCEL_EVM_KEY";
/** … and its Solana keypair. */
const CANCEL_KEYPAIR_ENV = "LB_TEST_CANCEL_SOLANA_KEYPAIR";
/**
 * A restarted relayer has finished what it had in flight within this, with
 * the relayer's default lease (60 s): it takes back its previous run's
 * leases when it starts instead of waiting them out.
 */
const CATCH_UP_MS = 20_000;

let net: Localnet;
let provider: JsonRpcProvider;

async function evmVaultLoanState(loanId: Hex): Promise<bigint> {
  const { vault } = await evmContracts(net, provider);
  return ((await vault.getFunction("getLoan")(loanId)) as { state: bigint }).state;
}

async function evmPoolLoan(loanId: Hex): Promise<{ status: bigint }> {
  const { pool } = await evmContracts(net, provider);
  return (await pool.getFunction("getLoan")(loanId)) as { status: bigint };
}

beforeAll(async () => {
  net = await startLocalnet({ executors: [0] });
  provider = providerFor(net.evm.url);
}, 300_000);

afterAll(async () => {
  await net.stop();
});

const relayer = (index: number): RelayerProcess => {
  const found = net.relayers[index];
  if (found === undefined) throw new Error(`no relayer ${index}`);
  return found;
};

async function evmPoolStatus(loanId: Hex): Promise<bigint> {
  const { pool } = await evmContracts(net, provider);
  return ((await pool.getFunction("getLoan")(loanId)) as { status: bigint }).status;
}

const ethLoan = (borrower: Wallet, principal: bigint) =>
  ethLoanToFreshRecipient(net, borrower, principal);
const ethLoanActive = (loan: Parameters<typeof waitEthLoanActive>[2]) =>
  waitEthLoanActive(net, provider, loan);

/** A SOL-collateral loan borrowing on Ethereum. */
async function solLoan(principal: bigint) {
  const borrower = await generateKeyPairSigner();
  await airdrop(net.solana.rpc, borrower.address, 20n);
  const recipient = Wallet.createRandom().address;
  const opened = await openSolLoan(net, borrower, { collateral: 10n * SOL, principal, recipient });
  return { ...opened, recipient, principal };
}

async function solLoanActive(loan: OpenedLoan & { recipient: string; principal: bigint }) {
  const { coin } = await evmContracts(net, provider);
  await waitFor(`the principal of ${loan.loanId} on Ethereum`, async () =>
    ((await coin.getFunction("balanceOf")(loan.recipient)) as bigint) === loan.principal
      ? true
      : undefined,
  );
  await waitFor(`LOAN_ACTIVE of ${loan.loanId} on Solana`, async () =>
    (await solanaVaultLoan(net, loan.loanId))?.state === VaultLoanState.Active ? true : undefined,
  );
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

describe("faults: relayer crashes and an EVM reorg (3 relayers, 2 of 3)", () => {
  it("nonExecutorKilledMidFlow_everyLoanCompletesWithTwoOfThree_andItCatchesUpOnRestart", async () => {
    const victim = relayer(2);
    const borrowers = [1, 2, 3].map((i) => new Wallet(devKey(i), provider));
    const first = await Promise.all(
      borrowers.map((borrower, i) => ethLoan(borrower, BigInt(1_000 + i) * USDC)),
    );
    const sol = await solLoan(300n * USDC);
    // Kill it once it is working on the first loan (seen, not yet delivered).
    await waitFor("relayer 2 to see the first OPEN_LOAN", async () =>
      (await packetByGuid(victim.apiUrl, first[0]?.guid as Hex)) === undefined ? undefined : true,
    );
    await victim.kill();
    expect(victim.running).toBe(false);
    // More loans while it is down.
    const second = await Promise.all(
      borrowers.map((borrower, i) => ethLoan(borrower, BigInt(2_000 + i) * USDC)),
    );

    const alive = [relayer(0), relayer(1)];
    for (const loan of [...first, ...second]) {
      await ethLoanActive(loan);
      const lists = await waitForDeliveredPackets(alive, loan.loanId, ["OPEN_LOAN", "LOAN_ACTIVE"]);
      const [mine] = lists as [SeenPacket[]];
      expect(await solanaDeliveries(net, loan.packet)).toBe(1);
      expect(await evmDeliveries(net, provider, packetOfType(mine, "LOAN_ACTIVE").guid)).toBe(1);
    }
    await solLoanActive(sol);
    await waitForDeliveredPackets(alive, sol.loanId, ["OPEN_LOAN", "LOAN_ACTIVE"]);
    expect(await evmDeliveries(net, provider, sol.guid)).toBe(1);
    expect(await evmPoolStatus(sol.loanId)).toBe(EvmPoolStatus.Active);

    // Back up: it resumes from its cursor and sees everything through to
    // delivered, the packets it had in flight when killed included.
    await victim.start();
    const restartedAt = Date.now();
    for (const loan of [...first, ...second, sol]) {
      await waitForDeliveredPackets(
        [victim],
        loan.loanId,
        ["OPEN_LOAN", "LOAN_ACTIVE"],
        CATCH_UP_MS,
      );
    }
    expect(Date.now() - restartedAt).toBeLessThan(CATCH_UP_MS);
    for (const loan of [...first, ...second, sol]) {
      await waitForMirroredLoan(net.relayers, loan.loanId, "active", "active");
    }
  });

  it("evmReorgOfUnfinalizedOpen_packetNeverRecordedOrDelivered_guidReuseDeliveredFresh", async () => {
    const borrower = new Wallet(devKey(6), provider);
    const { vault } = await evmContracts(net, borrower);
    const stale = await generateKeyPairSigner();
    const staleTokens = await mintToOwnerFor(net, stale.address, 0n);

    // Pause mining, snapshot, mine the open in one block, revert it.
    await rpcCall(net.evm.url, "evm_setIntervalMining", [0]);
    let reverted: boolean;
    let opened: { loanId: Hex; guid: Hex; packet: Packet; block: number; hash: string };
    try {
      const snapshot = (await rpcCall(net.evm.url, "evm_snapshot")) as string;
      const tx = (await vault.getFunction("open")(
        ZeroAddress,
        parseEther("2"),
        900n * USDC,
        1_000,
        30n * 86_400n,
        1,
        toHex(addressBytes(stale.address)),
        { value: parseEther("2") },
      )) as ContractTransactionResponse;
      await rpcCall(net.evm.url, "evm_mine");
      const receipt = await provider.getTransactionReceipt(tx.hash);
      if (receipt === null) throw new Error("open not mined");
      const packet = packetSentBy(receipt);
      opened = {
        loanId: decodeLoanMessage(packet.message).loanId,
        guid: packet.guid,
        packet,
        block: receipt.blockNumber,
        hash: tx.hash,
      };
      const finalized = await provider.getBlock("finalized");
      expect(finalized?.number ?? Infinity).toBeLessThan(opened.block);
      reverted = (await rpcCall(net.evm.url, "evm_revert", [snapshot])) as boolean;
    } finally {
      await rpcCall(net.evm.url, "evm_setIntervalMining", [1]);
    }
    expect(reverted).toBe(true);

    // Past finality of the reorged height, and then ~10 s more: nothing.
    await waitFor("finality past the reorged block", async () => {
      const finalized = await provider.getBlock("finalized");
      return finalized !== null && finalized.number > opened.block ? true : undefined;
    });
    expect(await provider.getTransactionReceipt(opened.hash)).toBeNull();
    const until = Date.now() + 10_000;
    while (Date.now() < until) {
      for (const each of net.relayers) {
        expect(await packetByGuid(each.apiUrl, opened.guid)).toBeUndefined();
        expect(await packetsOfLoan(each.apiUrl, opened.loanId)).toEqual([]);
      }
      expect(await solanaPoolLoan(net, opened.loanId)).toBeNull();
      expect(await solanaDeliveries(net, opened.packet)).toBe(0);
      await sleep(500);
    }
    expect(await tokenBalance(net.solana.rpc, staleTokens)).toBe(0n);

    // The same borrower opens again: the vault nonce and the endpoint nonce
    // were reverted, so this packet reuses the guid, with another principal
    // and recipient (and another loan id: it binds the request's deadline,
    // taken from the new block's time). It must be delivered as it is now.
    const again = await ethLoan(borrower, 800n * USDC);
    expect(again.guid).toBe(opened.guid);
    expect(again.loanId).not.toBe(opened.loanId);
    await ethLoanActive(again);
    const lists = await waitForDeliveredPackets(net.relayers, again.loanId, [
      "OPEN_LOAN",
      "LOAN_ACTIVE",
    ]);
    for (const list of lists) {
      const open = packetOfType(list, "OPEN_LOAN");
      expect(decodeLoanMessage(decodePacket(toBytes(open.packet)).message)).toMatchObject({
        principal: 800n * USDC,
      });
    }
    expect((await solanaPoolLoan(net, again.loanId))?.principal).toBe(800n * USDC);
    expect(await tokenBalance(net.solana.rpc, staleTokens)).toBe(0n);
    expect(await solanaDeliveries(net, again.packet)).toBe(1);
  });

  it("relayersDownPastExpiry_loanbridgeCancelOnEthereum_refundsTheSol_neverActiveOnEither", async () => {
    const { rpc } = net.solana;
    const executor = net.relayers[0];
    if (executor === undefined) throw new Error("no executor");
    const borrower = await generateKeyPairSigner();
    await airdrop(rpc, borrower.address, 10n);
    const cancel = (loanId: Hex) =>
      cli([
        "cancel",
        loanId,
        "--network",
        net.networkFile,
        "--from",
        "solana",
        "--evm-key-env",
        CANCEL_KEY_ENV,
      ]);
    process.env[CANCEL_KEY_ENV] = devKey(9);
    // Nobody delivers while the executor is down: the request goes unanswered.
    await executor.stop();
    let opened: OpenedLoan;
    let afterOpen: bigint;
    try {
      opened = await openSolLoan(net, borrower, {
        collateral: 2n * SOL,
        principal: 50n * USDC,
        recipient: new Wallet(devKey(8)).address,
      });
      afterOpen = await lamportsOf(rpc, borrower.address);
      // Before its deadline the command refuses, and nothing is sent.
      const early = await cancel(opened.loanId);
      expect(early.code).toBe(2);
      expect(early.stderr).toMatch(/expires at \d+, the pool's clock is \d+/);

      await travel(net, provider, 3_600 + 60);
      const cancelled = await cancel(opened.loanId);
      expect(cancelled.code, cancelled.stderr).toBe(0);
      expect(JSON.parse(cancelled.stdout)).toMatchObject({ loanId: opened.loanId, on: "evm" });
      expect((await evmPoolLoan(opened.loanId)).status).toBe(EvmPoolStatus.Rejected);
    } finally {
      await executor.start();
    }
    // LOAN_REJECTED(Expired) refunds the SOL; the late OPEN_LOAN cannot activate the loan.
    await waitFor("the refund on Solana", async () =>
      (await solanaVaultLoan(net, opened.loanId))?.state === VaultLoanState.Refunded
        ? true
        : undefined,
    );
    expect(await lamportsOf(rpc, borrower.address)).toBe(afterOpen + 2n * SOL);
    await waitFor("the late OPEN_LOAN to be handled on Ethereum", async () => {
      const packets = await packetsOfLoan(executor.apiUrl, opened.loanId);
      const open = packets.find((packet) => packet.guid === opened.guid);
      return open?.status === "delivered" || open?.status === "failed" ? true : undefined;
    });
    expect((await evmPoolLoan(opened.loanId)).status).toBe(EvmPoolStatus.Rejected);
    expect((await solanaVaultLoan(net, opened.loanId))?.state).toBe(VaultLoanState.Refunded);
  });

  it("relayersDownPastExpiry_loanbridgeCancelOnSolana_refundsTheEth_neverActiveOnEither", async () => {
    const { rpc } = net.solana;
    const executor = net.relayers[0];
    if (executor === undefined) throw new Error("no executor");
    const canceller = solanaKeypair();
    await airdrop(rpc, (await createKeyPairSignerFromBytes(canceller)).address, 1n);
    process.env[CANCEL_KEYPAIR_ENV] = JSON.stringify([...canceller]);
    const borrower = new Wallet(devKey(7), provider);
    const recipient = await generateKeyPairSigner();
    await mintToOwnerFor(net, recipient.address, 0n);
    await executor.stop();
    let opened: OpenedLoan;
    let afterOpen: bigint;
    try {
      opened = await openEthLoan(net, borrower, {
        collateral: parseEther("1"),
        principal: 50n * USDC,
        recipient: recipient.address,
      });
      afterOpen = await provider.getBalance(borrower.address);
      await travel(net, provider, 3_600 + 60);
      const cancelled = await cli([
        "cancel",
        opened.loanId,
        "--network",
        net.networkFile,
        "--from",
        "evm",
        "--solana-keypair-env",
        CANCEL_KEYPAIR_ENV,
      ]);
      expect(cancelled.code, cancelled.stderr).toBe(0);
      expect(JSON.parse(cancelled.stdout)).toMatchObject({ loanId: opened.loanId, on: "solana" });
      expect((await solanaPoolLoan(net, opened.loanId))?.status).toBe(PoolLoanStatus.Rejected);
    } finally {
      await executor.start();
    }
    await waitFor("the refund on Ethereum", async () =>
      (await evmVaultLoanState(opened.loanId)) === EvmVaultState.Refunded ? true : undefined,
    );
    expect(await provider.getBalance(borrower.address)).toBe(afterOpen + parseEther("1"));
    expect((await solanaPoolLoan(net, opened.loanId))?.status).toBe(PoolLoanStatus.Rejected);
  });
});
