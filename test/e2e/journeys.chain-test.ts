// Whole loan journeys through the real system (anvil + the SBF program on the
// local Solana node + 3 relayer processes, 2 of 3), one localnet for all:
// a loan repaid on Solana releases ETH on Ethereum; a loan defaulted on
// Ethereum pays SOL collateral to the beneficiary on Solana; a loan the
// lending pool rejects refunds the collateral (both directions); a loan
// liquidated after a price drop pays the collateral to the beneficiary.
// Both liquidations and both defaults run, one per lending chain.
// Each asserts both chains' state, every relayer's packets and loan mirror,
// and that every packet was delivered exactly once.
import { addressToWire, type Hex, RejectReason, toBytes, toHex } from "@loanbridge/shared";
import {
  addressBytes,
  airdrop,
  declareDefaultInstruction,
  liquidateInstruction,
  mintToOwner,
  NATIVE_ASSET,
  PoolLoanStatus,
  repayInstruction,
  rpcSender,
  VaultLoanState,
} from "@loanbridge/solana-program";
import { generateKeyPairSigner } from "@solana/kit";
import { type JsonRpcProvider, parseEther, Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devKey, providerFor } from "../../relayer/src/chains/evm/testing.ts";
import {
  ETH_PRICE,
  ETH_PRICE_ID,
  EVM_EID,
  type Localnet,
  SOL_PRICE,
  SOL_PRICE_ID,
  startLocalnet,
} from "../localnet/index.ts";
import {
  EvmPoolStatus,
  evmContracts,
  evmDeliveries,
  EvmVaultState,
  lamportsOf,
  nextPoolPacketNonce,
  openEthLoan,
  openSolLoan,
  packetOfType,
  packetSentBy,
  type SeenPacket,
  sent,
  setSolanaPrice,
  solanaDeliveries,
  solanaPoolLoan,
  solanaVaultLoan,
  tokenBalance,
  travelPastDefault,
  waitFor,
  waitForDeliveredPackets,
  waitForMirroredLoan,
} from "./support.ts";

const USDC = 1_000_000n;
const SOL = 1_000_000_000n;

let net: Localnet;
let provider: JsonRpcProvider;

beforeAll(async () => {
  net = await startLocalnet();
  provider = providerFor(net.evm.url);
}, 300_000);

afterAll(async () => {
  await net.stop();
});

/** A Solana recipient of stablecoin with its token account (and SOL to pay fees). */
async function solanaRecipient() {
  const { rpc, admin, deployment } = net.solana;
  const recipient = await generateKeyPairSigner();
  await airdrop(rpc, recipient.address, 1n);
  const send = rpcSender(rpc, { feePayer: admin });
  const tokens = await mintToOwner(send, admin, deployment.stablecoin, recipient.address, 0n);
  return { recipient, tokens };
}

async function evmVaultState(loanId: Hex): Promise<bigint> {
  const { vault } = await evmContracts(net, provider);
  return ((await vault.getFunction("getLoan")(loanId)) as { state: bigint }).state;
}

async function evmPoolLoan(loanId: Hex) {
  const { pool } = await evmContracts(net, provider);
  return (await pool.getFunction("getLoan")(loanId)) as {
    status: bigint;
    principal: bigint;
    repaid: bigint;
  };
}

/** Every relayer lists the same guid for each message type. */
function expectSameGuids(lists: SeenPacket[][]): void {
  const [first, ...rest] = lists;
  if (first === undefined) throw new Error("no relayers");
  for (const list of rest) {
    expect(list.map((p) => `${p.message.type}:${p.guid}`).sort()).toEqual(
      first.map((p) => `${p.message.type}:${p.guid}`).sort(),
    );
  }
}

describe("loan journeys across Ethereum and Solana (3 relayers, 2 of 3)", () => {
  it("ethCollateral_repaidInFullOnSolana_releasesEthToBorrower", async () => {
    const borrower = new Wallet(devKey(1), provider);
    const { rpc, admin, deployment } = net.solana;
    const { recipient, tokens } = await solanaRecipient();
    const collateral = parseEther("4");
    const principal = 6_000n * USDC;

    const before = await provider.getBalance(borrower.address);
    const opened = await openEthLoan(net, borrower, {
      collateral,
      principal,
      recipient: recipient.address,
    });
    const afterOpen = await provider.getBalance(borrower.address);
    expect(before - afterOpen).toBe(collateral + opened.gasCost);

    await waitFor("the principal on Solana", async () =>
      (await tokenBalance(rpc, tokens)) === principal ? true : undefined,
    );
    await waitFor("LOAN_ACTIVE on Ethereum", async () =>
      (await evmVaultState(opened.loanId)) === EvmVaultState.Active ? true : undefined,
    );

    // The recipient repays more than the debt (principal + a unit of
    // stablecoin for interest); the pool takes only the debt.
    await mintToOwner(
      rpcSender(rpc, { feePayer: admin }),
      admin,
      deployment.stablecoin,
      recipient.address,
      USDC,
    );
    await rpcSender(rpc, { feePayer: recipient })(
      await repayInstruction(deployment.programId, {
        payer: recipient,
        payerTokens: tokens,
        loanId: toBytes(opened.loanId),
        srcEid: EVM_EID,
        packetNonce: await nextPoolPacketNonce(net),
        amount: principal + USDC,
      }),
    );
    const poolLoan = await solanaPoolLoan(net, opened.loanId);
    expect(poolLoan?.status).toBe(PoolLoanStatus.Repaid);
    const repaid = poolLoan?.repaid as bigint;
    expect(repaid).toBeGreaterThan(principal);
    expect(repaid).toBeLessThan(principal + USDC);
    expect(await tokenBalance(rpc, tokens)).toBe(principal + USDC - repaid);

    // REPAID delivered: the vault released exactly the collateral (the
    // borrower sent nothing since, so no gas to account for).
    await waitFor("REPAID on Ethereum", async () =>
      (await evmVaultState(opened.loanId)) === EvmVaultState.Released ? true : undefined,
    );
    expect(await provider.getBalance(borrower.address)).toBe(afterOpen + collateral);

    const lists = await waitForDeliveredPackets(net.relayers, opened.loanId, [
      "OPEN_LOAN",
      "LOAN_ACTIVE",
      "REPAID",
    ]);
    expectSameGuids(lists);
    const [mine] = lists as [SeenPacket[]];
    const repaidPacket = packetOfType(mine, "REPAID");
    expect(repaidPacket.message).toMatchObject({ amountRepaid: repaid });
    expect(packetOfType(mine, "OPEN_LOAN").guid).toBe(opened.guid);
    expect(await solanaDeliveries(net, opened.packet)).toBe(1);
    expect(await evmDeliveries(net, provider, packetOfType(mine, "LOAN_ACTIVE").guid)).toBe(1);
    expect(await evmDeliveries(net, provider, repaidPacket.guid)).toBe(1);
    await waitForMirroredLoan(net.relayers, opened.loanId, "released", "repaid");
  });

  it("ethCollateral_principalAboveSolanaLiquidity_rejectedAndEthRefunded", async () => {
    const borrower = new Wallet(devKey(2), provider);
    const { rpc } = net.solana;
    const { recipient, tokens } = await solanaRecipient();
    // $3M of ETH backs 2.1M at 70% LTV; the pool holds about 1M.
    const collateral = parseEther("1000");
    const principal = 1_500_000n * USDC;

    const opened = await openEthLoan(net, borrower, {
      collateral,
      principal,
      recipient: recipient.address,
    });
    const afterOpen = await provider.getBalance(borrower.address);
    await waitFor("the refund on Ethereum", async () =>
      (await evmVaultState(opened.loanId)) === EvmVaultState.Refunded ? true : undefined,
    );
    expect(await provider.getBalance(borrower.address)).toBe(afterOpen + collateral);

    const poolLoan = await solanaPoolLoan(net, opened.loanId);
    expect(poolLoan?.status).toBe(PoolLoanStatus.Rejected);
    expect(poolLoan?.reject_reason).toBe(RejectReason.InsufficientLiquidity);
    expect(await tokenBalance(rpc, tokens)).toBe(0n);

    const lists = await waitForDeliveredPackets(net.relayers, opened.loanId, [
      "OPEN_LOAN",
      "LOAN_REJECTED",
    ]);
    expectSameGuids(lists);
    const [mine] = lists as [SeenPacket[]];
    const rejected = packetOfType(mine, "LOAN_REJECTED");
    expect(rejected.message).toMatchObject({ reason: "InsufficientLiquidity" });
    expect(await solanaDeliveries(net, opened.packet)).toBe(1);
    expect(await evmDeliveries(net, provider, rejected.guid)).toBe(1);
    await waitForMirroredLoan(net.relayers, opened.loanId, "refunded", "rejected");
  });

  it("solCollateral_ltvTooHighOnEthereum_rejectedAndSolRefunded", async () => {
    const { rpc } = net.solana;
    const borrower = await generateKeyPairSigner();
    await airdrop(rpc, borrower.address, 20n);
    const recipient = Wallet.createRandom().address;
    const collateral = 10n * SOL; // $1,500 at $150: 50% LTV backs $750.
    const principal = 1_000n * USDC;

    const opened = await openSolLoan(net, borrower, { collateral, principal, recipient });
    const afterOpen = await lamportsOf(rpc, borrower.address);
    await waitFor("the refund on Solana", async () =>
      (await solanaVaultLoan(net, opened.loanId))?.state === VaultLoanState.Refunded
        ? true
        : undefined,
    );
    expect(await lamportsOf(rpc, borrower.address)).toBe(afterOpen + collateral);

    const poolLoan = await evmPoolLoan(opened.loanId);
    expect(poolLoan.status).toBe(EvmPoolStatus.Rejected);
    const { coin } = await evmContracts(net, provider);
    expect(await coin.getFunction("balanceOf")(recipient)).toBe(0n);

    const lists = await waitForDeliveredPackets(net.relayers, opened.loanId, [
      "OPEN_LOAN",
      "LOAN_REJECTED",
    ]);
    expectSameGuids(lists);
    const [mine] = lists as [SeenPacket[]];
    const rejected = packetOfType(mine, "LOAN_REJECTED");
    expect(rejected.message).toMatchObject({ reason: "LtvTooHigh" });
    expect(packetOfType(mine, "OPEN_LOAN").guid).toBe(opened.guid);
    expect(await evmDeliveries(net, provider, opened.guid)).toBe(1);
    expect(await solanaDeliveries(net, rejected)).toBe(1);
    await waitForMirroredLoan(net.relayers, opened.loanId, "refunded", "rejected");
  });

  it("ethCollateral_priceDropOnSolana_liquidatedAndEthToBeneficiary", async () => {
    const borrower = new Wallet(devKey(4), provider);
    const { rpc, admin, deployment } = net.solana;
    const { recipient, tokens } = await solanaRecipient();
    const collateral = parseEther("1"); // $3,000
    const principal = 2_000n * USDC; // 66.7% < 70%
    // The Solana pool's beneficiary on Ethereum is the EVM deployer.
    const beneficiary = await net.evm.deployer.getAddress();

    const opened = await openEthLoan(net, borrower, {
      collateral,
      principal,
      recipient: recipient.address,
    });
    const afterOpen = await provider.getBalance(borrower.address);
    await waitFor("the principal on Solana", async () =>
      (await tokenBalance(rpc, tokens)) === principal ? true : undefined,
    );
    await waitFor("LOAN_ACTIVE on Ethereum", async () =>
      (await evmVaultState(opened.loanId)) === EvmVaultState.Active ? true : undefined,
    );

    // ETH falls to $2,000: debt $2,000 > 80% of $2,000.
    const beneficiaryBefore = await provider.getBalance(beneficiary);
    try {
      await setSolanaPrice(net, ETH_PRICE_ID, 2_000n * USDC);
      await rpcSender(rpc, { feePayer: admin })(
        await liquidateInstruction(deployment.programId, {
          payer: admin,
          loanId: toBytes(opened.loanId),
          srcEid: EVM_EID,
          packetNonce: await nextPoolPacketNonce(net),
          asset: NATIVE_ASSET,
          priceId: ETH_PRICE_ID,
        }),
      );
    } finally {
      await setSolanaPrice(net, ETH_PRICE_ID, ETH_PRICE);
    }
    expect((await solanaPoolLoan(net, opened.loanId))?.status).toBe(PoolLoanStatus.Liquidated);

    await waitFor("LIQUIDATED on Ethereum", async () =>
      (await evmVaultState(opened.loanId)) === EvmVaultState.Seized ? true : undefined,
    );
    expect(await provider.getBalance(beneficiary)).toBe(beneficiaryBefore + collateral);
    expect(await provider.getBalance(borrower.address)).toBe(afterOpen);

    const lists = await waitForDeliveredPackets(net.relayers, opened.loanId, [
      "OPEN_LOAN",
      "LOAN_ACTIVE",
      "LIQUIDATED",
    ]);
    expectSameGuids(lists);
    const [mine] = lists as [SeenPacket[]];
    const liquidated = packetOfType(mine, "LIQUIDATED");
    expect(liquidated.message).toMatchObject({
      beneficiary: addressToWire(beneficiary),
    });
    expect((liquidated.message as { outstanding: bigint }).outstanding).toBeGreaterThanOrEqual(
      principal,
    );
    expect(await evmDeliveries(net, provider, liquidated.guid)).toBe(1);
    await waitForMirroredLoan(net.relayers, opened.loanId, "seized", "liquidated");
  });

  it("solCollateral_priceDropOnEthereum_liquidatedAndSolToBeneficiary", async () => {
    const { rpc, admin } = net.solana;
    const borrower = await generateKeyPairSigner();
    await airdrop(rpc, borrower.address, 20n);
    const recipient = Wallet.createRandom().address;
    const collateral = 10n * SOL; // $1,500
    const principal = 700n * USDC; // 46.7% < 50%
    const { coin, pool } = await evmContracts(net, new Wallet(devKey(3), provider));
    const { feed } = await evmContracts(net, net.evm.deployer);

    const opened = await openSolLoan(net, borrower, { collateral, principal, recipient });
    await waitFor("the principal on Ethereum", async () =>
      ((await coin.getFunction("balanceOf")(recipient)) as bigint) === principal ? true : undefined,
    );
    await waitFor("LOAN_ACTIVE on Solana", async () =>
      (await solanaVaultLoan(net, opened.loanId))?.state === VaultLoanState.Active
        ? true
        : undefined,
    );
    // Healthy at $150: the pool refuses.
    await expect(sent(pool, "liquidate", opened.loanId)).rejects.toThrow();

    // SOL falls to $80: debt $700 > 80% of $800.
    const borrowerLamports = await lamportsOf(rpc, borrower.address);
    const beneficiaryBefore = await lamportsOf(rpc, admin.address);
    let receipt;
    try {
      await sent(feed, "setPrice", toHex(SOL_PRICE_ID), 80n * SOL * 10n ** 6n);
      receipt = await sent(pool, "liquidate", opened.loanId);
    } finally {
      await sent(feed, "setPrice", toHex(SOL_PRICE_ID), SOL_PRICE);
    }
    const liquidated = packetSentBy(receipt);
    expect((await evmPoolLoan(opened.loanId)).status).toBe(EvmPoolStatus.Liquidated);

    await waitFor("LIQUIDATED on Solana", async () =>
      (await solanaVaultLoan(net, opened.loanId))?.state === VaultLoanState.Seized
        ? true
        : undefined,
    );
    expect(await lamportsOf(rpc, admin.address)).toBe(beneficiaryBefore + collateral);
    expect(await lamportsOf(rpc, borrower.address)).toBe(borrowerLamports);

    const lists = await waitForDeliveredPackets(net.relayers, opened.loanId, [
      "OPEN_LOAN",
      "LOAN_ACTIVE",
      "LIQUIDATED",
    ]);
    expectSameGuids(lists);
    const [mine] = lists as [SeenPacket[]];
    const packet = packetOfType(mine, "LIQUIDATED");
    expect(packet.guid).toBe(liquidated.guid);
    expect(packet.message).toMatchObject({ beneficiary: toHex(addressBytes(admin.address)) });
    expect(await solanaDeliveries(net, liquidated)).toBe(1);
    await waitForMirroredLoan(net.relayers, opened.loanId, "seized", "liquidated");
  });

  // Last: they move both chains' clocks past the loan's due time + grace (a
  // few days: due times round up to the pool's one-day due buckets).
  it("solCollateral_defaultedOnEthereumAfterDueAndGrace_solToBeneficiary", async () => {
    const { rpc, admin } = net.solana;
    const borrower = await generateKeyPairSigner();
    await airdrop(rpc, borrower.address, 20n);
    const recipient = Wallet.createRandom().address;
    const collateral = 10n * SOL; // $1,500
    const principal = 500n * USDC;
    const { coin, pool } = await evmContracts(net, new Wallet(devKey(3), provider));

    const opened = await openSolLoan(net, borrower, {
      collateral,
      principal,
      recipient,
      termSeconds: 3_600n,
    });
    await waitFor("the principal on Ethereum", async () =>
      ((await coin.getFunction("balanceOf")(recipient)) as bigint) === principal ? true : undefined,
    );
    await waitFor("LOAN_ACTIVE on Solana", async () =>
      (await solanaVaultLoan(net, opened.loanId))?.state === VaultLoanState.Active
        ? true
        : undefined,
    );
    expect((await evmPoolLoan(opened.loanId)).status).toBe(EvmPoolStatus.Active);

    // Not overdue yet: the pool refuses.
    await expect(sent(pool, "declareDefault", opened.loanId)).rejects.toThrow();
    // Past the recorded due time (start + 1 h, rounded up to a day) + grace (1 day).
    const { dueTime } = await travelPastDefault(net, provider, "evm", opened.loanId);
    const borrowerLamports = await lamportsOf(rpc, borrower.address);
    const beneficiaryBefore = await lamportsOf(rpc, admin.address);
    const receipt = await sent(pool, "declareDefault", opened.loanId);
    const defaulted = packetSentBy(receipt);
    expect((await evmPoolLoan(opened.loanId)).status).toBe(EvmPoolStatus.Defaulted);

    await waitFor("DEFAULTED on Solana", async () =>
      (await solanaVaultLoan(net, opened.loanId))?.state === VaultLoanState.Seized
        ? true
        : undefined,
    );
    // The EVM pool's beneficiary on Solana is the Solana admin.
    expect(await lamportsOf(rpc, admin.address)).toBe(beneficiaryBefore + collateral);
    expect(await lamportsOf(rpc, borrower.address)).toBe(borrowerLamports);

    const lists = await waitForDeliveredPackets(net.relayers, opened.loanId, [
      "OPEN_LOAN",
      "LOAN_ACTIVE",
      "DEFAULTED",
    ]);
    expectSameGuids(lists);
    const [mine] = lists as [SeenPacket[]];
    const packet = packetOfType(mine, "DEFAULTED");
    expect(packet.guid).toBe(defaulted.guid);
    const active = packetOfType(mine, "LOAN_ACTIVE").message as {
      startTime: bigint;
      dueTime: bigint;
    };
    expect(active.dueTime).toBe(dueTime);
    expect(dueTime).toBeGreaterThanOrEqual(active.startTime + 3_600n);
    expect(packet.message).toMatchObject({ beneficiary: toHex(addressBytes(admin.address)) });
    expect((packet.message as { outstanding: bigint }).outstanding).toBeGreaterThan(principal);
    expect(await solanaDeliveries(net, defaulted)).toBe(1);
    expect(await evmDeliveries(net, provider, opened.guid)).toBe(1);
    await waitForMirroredLoan(net.relayers, opened.loanId, "seized", "defaulted");
  });

  it("ethCollateral_defaultedOnSolanaAfterDueAndGrace_ethToBeneficiary", async () => {
    const borrower = new Wallet(devKey(6), provider);
    const { rpc, admin, deployment } = net.solana;
    const { recipient, tokens } = await solanaRecipient();
    const collateral = parseEther("1"); // $3,000
    const principal = 1_000n * USDC;
    // The Solana pool's beneficiary on Ethereum is the EVM deployer.
    const beneficiary = await net.evm.deployer.getAddress();

    const opened = await openEthLoan(net, borrower, {
      collateral,
      principal,
      recipient: recipient.address,
      termSeconds: 600n,
    });
    const afterOpen = await provider.getBalance(borrower.address);
    await waitFor("the principal on Solana", async () =>
      (await tokenBalance(rpc, tokens)) === principal ? true : undefined,
    );
    await waitFor("LOAN_ACTIVE on Ethereum", async () =>
      (await evmVaultState(opened.loanId)) === EvmVaultState.Active ? true : undefined,
    );
    const declareDefault = async () =>
      rpcSender(rpc, { feePayer: admin })(
        await declareDefaultInstruction(deployment.programId, {
          payer: admin,
          loanId: toBytes(opened.loanId),
          srcEid: EVM_EID,
          packetNonce: await nextPoolPacketNonce(net),
        }),
      );
    // Not overdue yet: the pool refuses.
    await expect(declareDefault()).rejects.toThrow();

    // Past the recorded due time (start + 10 min, rounded up to the pool's due bucket) + grace.
    const { dueTime } = await travelPastDefault(net, provider, "solana", opened.loanId);
    const beneficiaryBefore = await provider.getBalance(beneficiary);
    await declareDefault();
    expect((await solanaPoolLoan(net, opened.loanId))?.status).toBe(PoolLoanStatus.Defaulted);

    await waitFor("DEFAULTED on Ethereum", async () =>
      (await evmVaultState(opened.loanId)) === EvmVaultState.Seized ? true : undefined,
    );
    expect(await provider.getBalance(beneficiary)).toBe(beneficiaryBefore + collateral);
    expect(await provider.getBalance(borrower.address)).toBe(afterOpen);

    const lists = await waitForDeliveredPackets(net.relayers, opened.loanId, [
      "OPEN_LOAN",
      "LOAN_ACTIVE",
      "DEFAULTED",
    ]);
    expectSameGuids(lists);
    const [mine] = lists as [SeenPacket[]];
    const packet = packetOfType(mine, "DEFAULTED");
    expect(packet.message).toMatchObject({ beneficiary: addressToWire(beneficiary) });
    const active = packetOfType(mine, "LOAN_ACTIVE").message as {
      startTime: bigint;
      dueTime: bigint;
    };
    expect(active.dueTime).toBe(dueTime);
    expect(dueTime).toBeGreaterThanOrEqual(active.startTime + 600n);
    expect((packet.message as { outstanding: bigint }).outstanding).toBeGreaterThan(principal);
    expect(await evmDeliveries(net, provider, packet.guid)).toBe(1);
    await waitForMirroredLoan(net.relayers, opened.loanId, "seized", "defaulted");
  });
});
