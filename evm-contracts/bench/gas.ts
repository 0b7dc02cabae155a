// Measures the gas of loanbridge's EVM paths on Hardhat's in-process network,
// for `make gas-report` (which writes gas-report.md) and for the test that
// keeps that file in step with the code. Every input is fixed (keys, block
// times, amounts), so the figures repeat exactly.
import {
  addressToWire,
  decodeLoanMessage,
  decodePacket,
  encodeLoanMessage,
  encodePacket,
  type Hex,
  packetAttestationDigest,
} from "@loanbridge/shared";
import { concat, Contract, id, parseEther, type TransactionReceipt } from "ethers";
import { hre } from "../test/hre.ts";
import { deployTwoChains, sendTx, VERIFIERS } from "../test/support/twoChains.ts";

export interface GasRow {
  operation: string;
  gasUsed: bigint;
}

export interface GasReport {
  hardfork: string;
  rows: GasRow[];
}

/** Block times of the measured transactions: far from "now", one minute apart. */
const T0 = 2_000_000_000;

export async function measureGas(): Promise<GasReport> {
  const rows: GasRow[] = [];
  const record = (operation: string, receipt: TransactionReceipt) => {
    rows.push({ operation, gasUsed: receipt.gasUsed });
    return receipt;
  };
  const connection = await hre.network.create();
  const { ethers, provider } = connection;
  let clock = T0;
  const tick = async (seconds = 60) => {
    clock += seconds;
    await provider.request({ method: "evm_setNextBlockTimestamp", params: [clock] });
  };

  await endpointAlone(ethers, tick, record);
  await loanFlow(ethers, tick, record);
  const config = connection.networkConfig;
  return { hardfork: "hardfork" in config ? config.hardfork : "unknown", rows };
}

type Ethers = Awaited<ReturnType<typeof hre.network.create>>["ethers"];
type Tick = (seconds?: number) => Promise<void>;
type Record = (operation: string, receipt: TransactionReceipt) => TransactionReceipt;

const REMOTE_EID = 40168;
const LOCAL_EID = 40161;
const REMOTE_APP = id("remote app") as Hex;

/** The endpoint's own cost: a receiver that does nothing, verifier sets of 1–3 of 3. */
async function endpointAlone(ethers: Ethers, tick: Tick, record: Record) {
  const [owner, app] = await ethers.getSigners();
  if (!owner || !app) throw new Error("need two signers");
  const attach = async (name: string, address: string) =>
    new Contract(address, (await ethers.getContractFactory(name)).interface, owner);
  const deploy = async (name: string, args: unknown[]) =>
    attach(name, await (await ethers.deployContract(name, args)).getAddress());
  const message = encodeLoanMessage({
    type: "OPEN_LOAN",
    loanId: id("gas loan") as Hex,
    borrower: id("borrower") as Hex,
    recipient: id("recipient") as Hex,
    collateralAsset: `0x${"00".repeat(32)}`,
    collateralAmount: 10n ** 18n,
    principal: 1_000n * 10n ** 6n,
    maxRateBps: 900,
    termSeconds: 30n * 86_400n,
    expiresAt: BigInt(T0 + 86_400),
  });

  // Replay protection is a bitmap of 256 nonces per slot and path: the first
  // nonce of a word fills a fresh slot, the next 255 rewrite it. Each endpoint
  // delivers nonce 1 first, then nonce 2 is the steady state measured.
  let endpoint: Contract | undefined;
  let firstOfWord: TransactionReceipt | undefined;
  for (const threshold of [1, 2, 3]) {
    const verifiers = VERIFIERS.map((wallet) => wallet.address);
    endpoint = await deploy("Endpoint", [
      LOCAL_EID,
      owner.address,
      owner.address,
      verifiers,
      threshold,
    ]);
    const receiver = await deploy("RecordingApp", [endpoint.target]);
    await sendTx(receiver, "setQuiet", true);
    await sendTx(endpoint, "setPeer", receiver.target, REMOTE_EID, REMOTE_APP);
    const receiverWire = addressToWire(await receiver.getAddress());
    const endpointWire = addressToWire(await endpoint.getAddress());
    const deliver = async (nonce: bigint) => {
      const packet = encodePacket(
        {
          nonce,
          srcEid: REMOTE_EID,
          sender: REMOTE_APP,
          dstEid: LOCAL_EID,
          receiver: receiverWire,
        },
        message,
      );
      const digest = packetAttestationDigest(endpointWire, 1n, packet);
      const signatures = concat(
        VERIFIERS.slice(0, threshold).map((wallet) => wallet.signingKey.sign(digest).serialized),
      );
      await tick();
      return sendTx(endpoint as Contract, "deliver", packet, signatures);
    };
    const first = await deliver(1n);
    if (threshold === 2) firstOfWord = first;
    record(`Endpoint.deliver, ${threshold} of 3 signatures (no-op receiver)`, await deliver(2n));
  }
  if (!firstOfWord) throw new Error("no first delivery measured");
  record(
    "Endpoint.deliver, 2 of 3, first nonce of a 256-nonce bitmap word (1 delivery in 256)",
    firstOfWord,
  );

  // Send's cost does not depend on the verifier set: measured on the last endpoint.
  if (!endpoint) throw new Error("no endpoint deployed");
  await sendTx(endpoint, "setPeer", app.address, REMOTE_EID, REMOTE_APP);
  const asApp = new Contract(endpoint.target, endpoint.interface, app);
  await tick();
  record("Endpoint.send, first packet on a path", await sendTx(asApp, "send", REMOTE_EID, message));
  await tick();
  record("Endpoint.send, next packet", await sendTx(asApp, "send", REMOTE_EID, message));
}

/** A whole loan through both endpoints with 2-of-3 attestations. */
async function loanFlow(ethers: Ethers, tick: Tick, record: Record) {
  const world = await deployTwoChains(ethers);
  const { vault, pool, stablecoin, priceFeed, signers } = world;
  const as = (contract: Contract, signer: typeof signers.owner) =>
    new Contract(contract.target, contract.interface, signer);
  const token = new Contract(
    await (await ethers.deployContract("TestToken", ["Wrapped Test", "WTST"])).getAddress(),
    (await ethers.getContractFactory("TestToken")).interface,
    signers.owner,
  );
  await sendTx(vault, "setAssetAllowed", token.target, true);
  await sendTx(token, "mint", signers.borrower.address, parseEther("100"));
  await sendTx(as(token, signers.borrower), "approve", vault.target, 2n ** 255n);
  await sendTx(stablecoin, "mint", signers.lender.address, 1_000_000n * 10n ** 6n);
  await sendTx(as(stablecoin, signers.lender), "approve", pool.target, 2n ** 255n);
  await sendTx(stablecoin, "mint", signers.borrower.address, 100_000n * 10n ** 6n);
  await sendTx(as(stablecoin, signers.borrower), "approve", pool.target, 2n ** 255n);
  const lenderPool = as(pool, signers.lender);
  const borrowerPool = as(pool, signers.borrower);
  await tick();
  await sendTx(lenderPool, "deposit", 100_000n * 10n ** 6n, signers.lender.address);
  await tick();
  record(
    "LendingPool.deposit",
    await sendTx(lenderPool, "deposit", 400_000n * 10n ** 6n, signers.lender.address),
  );
  // The feed's price must be fresh at the block times used below.
  await tick();
  await sendTx(priceFeed, "setPrice", id("ETH/USD"), 3_000n * 10n ** 6n);

  const borrowerWire = addressToWire(signers.borrower.address);
  const eth = "0x0000000000000000000000000000000000000000";
  const open = (asset: string, amount: bigint, value: bigint) =>
    sendTx(
      as(vault, signers.borrower),
      "open",
      asset,
      amount,
      12_000n * 10n ** 6n,
      1_000,
      30n * 86_400n,
      borrowerWire,
      { value },
    );

  // The vault's first loan also fills its nonce, the paths' slots and the
  // words of both delivered-nonce bitmaps: measure the steady state after one
  // unrecorded loan, opened and answered.
  await tick();
  const warmUp = await open(eth, parseEther("1"), parseEther("1"));
  await tick();
  await world.relay(await world.relay(warmUp));
  await tick();
  record(
    "CollateralVault.open, ERC-20 collateral (sends OPEN_LOAN)",
    await open(await token.getAddress(), parseEther("10"), 0n),
  );
  await tick();
  const opened = record(
    "CollateralVault.open, ETH collateral (sends OPEN_LOAN)",
    await open(eth, parseEther("10"), parseEther("10")),
  );
  await tick();
  const accepted = record(
    "Endpoint.deliver OPEN_LOAN → LendingPool: checks, disburses, sends LOAN_ACTIVE",
    await world.relay(opened),
  );
  await tick();
  record("Endpoint.deliver LOAN_ACTIVE → CollateralVault", await world.relay(accepted));
  const [packet] = world.packetsOf(opened);
  if (!packet) throw new Error("no OPEN_LOAN packet");
  const { loanId } = decodeLoanMessage(decodePacket(packet).message);
  await tick(15 * 86_400);
  record(
    "LendingPool.repay, partial",
    await sendTx(borrowerPool, "repay", loanId, 5_000n * 10n ** 6n),
  );
  await tick();
  const repaid = record(
    "LendingPool.repay, full (sends REPAID)",
    await sendTx(borrowerPool, "repay", loanId, 2n ** 128n - 1n),
  );
  await tick();
  record("Endpoint.deliver REPAID → CollateralVault: releases ETH", await world.relay(repaid));
}

export function renderGasReport(report: GasReport): string {
  const width = Math.max(...report.rows.map((row) => row.operation.length));
  const lines = report.rows.map(
    (row) =>
      `| ${row.operation.padEnd(width)} | ${row.gasUsed.toLocaleString("en-US").padStart(9)} |`,
  );
  return [
    "# EVM gas report",
    "",
    "Written by `make gas-report` (evm-contracts/scripts/gas-report.ts): gasUsed of",
    "whole transactions (21,000 intrinsic gas and calldata included) on Hardhat's",
    `in-process network, hardfork ${report.hardfork}, solc 0.8.28 with 200 optimizer runs.`,
    "Keys, block times and amounts are fixed, so the figures repeat exactly; a test",
    "fails when this file differs from a fresh measurement.",
    "",
    `| ${"operation".padEnd(width)} |       gas |`,
    `| ${"-".repeat(width)} | --------: |`,
    ...lines,
    "",
  ].join("\n");
}
