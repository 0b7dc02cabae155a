// Whole loans across two real endpoints with real 2-of-3 signatures: every
// message is read from a PacketSent log, attested and delivered the way the
// relayer does it; nothing calls an app's onPacket directly.
import { addressToWire, decodeLoanMessage, decodePacket } from "@loanbridge/shared";
import { Contract, type ContractRunner, parseEther, type TransactionReceipt } from "ethers";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildContracts, hre } from "./hre.ts";
import { deployTwoChains, sendTx, view } from "./support/twoChains.ts";

const { ethers, provider } = await hre.network.create();

// ICollateralVault.LoanState and ILendingPool.LoanStatus
const VaultState = { Requested: 1n, Active: 2n, Released: 3n, Seized: 4n, Refunded: 5n };
const PoolStatus = { Active: 1n, Repaid: 2n, Rejected: 3n, Defaulted: 4n };

type World = Awaited<ReturnType<typeof deployTwoChains>>;
let world: World;
let snapshot: string;

const as = (contract: Contract, signer: ContractRunner) =>
  new Contract(contract.target, contract.interface, signer);

function messageOf(world: World, receipt: TransactionReceipt) {
  const [packet] = world.packetsOf(receipt);
  if (!packet) throw new Error("no packet sent");
  return decodeLoanMessage(decodePacket(packet).message);
}

// getLoan returns structs; these read the state fields by their position.
const vaultState = async (loanId: string) =>
  (await view<bigint[]>(world.vault, "getLoan", loanId))[2];
const poolStatus = async (loanId: string) =>
  (await view<bigint[]>(world.pool, "getLoan", loanId))[0];

async function openLoan(collateral: bigint, principal: bigint, installments = 1) {
  const { vault, signers } = world;
  const receipt = await sendTx(
    as(vault, signers.borrower),
    "open",
    "0x0000000000000000000000000000000000000000",
    collateral,
    principal,
    1_000,
    30n * 86_400n,
    installments,
    addressToWire(signers.borrower.address),
    { value: collateral },
  );
  const message = messageOf(world, receipt);
  if (message.type !== "OPEN_LOAN") throw new Error(`sent ${message.type}`);
  return { receipt, loanId: message.loanId };
}

beforeAll(async () => {
  await buildContracts();
  world = await deployTwoChains(ethers);
  const { stablecoin, pool, signers } = world;
  await sendTx(stablecoin, "mint", signers.lender.address, 1_000_000n * 10n ** 6n);
  await sendTx(as(stablecoin, signers.lender), "approve", await pool.getAddress(), 2n ** 255n);
  await sendTx(as(pool, signers.lender), "deposit", 500_000n * 10n ** 6n, signers.lender.address);
  await sendTx(stablecoin, "mint", signers.borrower.address, 100_000n * 10n ** 6n);
  await sendTx(as(stablecoin, signers.borrower), "approve", await pool.getAddress(), 2n ** 255n);
  snapshot = (await provider.request({ method: "evm_snapshot", params: [] })) as string;
});

beforeEach(async () => {
  await provider.request({ method: "evm_revert", params: [snapshot] });
  snapshot = (await provider.request({ method: "evm_snapshot", params: [] })) as string;
});

describe("a loan across two endpoints", () => {
  it("openDisburseRepayRelease_movesCollateralOnceAndEndsConsistent", async () => {
    const { pool, stablecoin, signers } = world;
    const collateral = parseEther("10");
    const principal = 12_000n * 10n ** 6n; // 40% of $30,000
    const borrowerStable = await view<bigint>(stablecoin, "balanceOf", signers.borrower.address);

    const { receipt: opened, loanId } = await openLoan(collateral, principal);
    expect(await vaultState(loanId)).toBe(VaultState.Requested);

    const accepted = await world.relay(opened);
    expect(await view<bigint>(stablecoin, "balanceOf", signers.borrower.address)).toBe(
      borrowerStable + principal,
    );
    expect(messageOf(world, accepted)).toMatchObject({ type: "LOAN_ACTIVE", loanId, principal });

    await world.relay(accepted);
    expect(await vaultState(loanId)).toBe(VaultState.Active);

    await provider.request({ method: "evm_increaseTime", params: [15 * 86_400] });
    const [owedPrincipal, owedInterest] = await view<[bigint, bigint]>(pool, "debtOf", loanId);
    expect(owedPrincipal).toBe(principal);
    expect(owedInterest).toBeGreaterThan(0n);
    const repaid = await sendTx(as(pool, signers.borrower), "repay", loanId, 2n ** 128n - 1n);
    const message = messageOf(world, repaid);
    expect(message.type).toBe("REPAID");
    expect(await poolStatus(loanId)).toBe(PoolStatus.Repaid);

    // The relayer (owner) pays the gas, so the borrower's balance moves by the collateral alone.
    const balanceBefore = await ethers.provider.getBalance(signers.borrower.address);
    await world.relay(repaid);
    expect((await ethers.provider.getBalance(signers.borrower.address)) - balanceBefore).toBe(
      collateral,
    );
    expect(await vaultState(loanId)).toBe(VaultState.Released);

    // The same REPAID packet again: the endpoint's replay map stops it.
    await expect(world.relay(repaid)).rejects.toThrow(/EndpointAlreadyDelivered/);
  });

  it("installmentLoan_paidInstallmentByInstallment_releasesOnTheLast", async () => {
    const { pool, signers } = world;
    await sendTx(pool, "setInstallmentTerms", 3, [10n * 86_400n, 0n, 0n, 0n]);
    const collateral = parseEther("10");
    const { receipt: opened, loanId } = await openLoan(collateral, 12_000n * 10n ** 6n, 3);
    expect(messageOf(world, opened)).toMatchObject({ type: "OPEN_LOAN", installments: 3 });
    const accepted = await world.relay(opened);
    const active = messageOf(world, accepted);
    if (active.type !== "LOAN_ACTIVE") throw new Error(`answered ${active.type}`);
    await world.relay(accepted);
    const schedule = async () =>
      (await view<{ toObject(): Record<string, bigint> }>(pool, "loanSchedule", loanId)).toObject();
    const { installmentAmount, nextDueTime } = await schedule();
    expect(await schedule()).toMatchObject({ installments: 3n, periodSeconds: 10n * 86_400n });
    expect(nextDueTime).toBeLessThan(active.dueTime);

    const borrowerPool = as(pool, signers.borrower);
    for (const index of [1n, 2n]) {
      await provider.request({ method: "evm_increaseTime", params: [9 * 86_400] });
      const paid = await sendTx(borrowerPool, "repay", loanId, installmentAmount);
      const [principalLeft] = await view<[bigint, bigint]>(pool, "debtOf", loanId);
      const payments = paid.logs.flatMap((log) => {
        const parsed = log.address === pool.target ? pool.interface.parseLog(log) : null;
        return parsed?.name === "Payment" ? [parsed.args.toArray()] : [];
      });
      expect(payments).toEqual([[loanId, index, installmentAmount, principalLeft]]);
      expect((await schedule()).paidInstallments).toBe(index);
      // Nothing crosses to the collateral chain until the last one.
      expect(world.packetsOf(paid)).toEqual([]);
    }
    // The third installment's due time is the loan's, sent in LOAN_ACTIVE.
    expect((await schedule()).nextDueTime).toBe(active.dueTime);

    await provider.request({ method: "evm_increaseTime", params: [9 * 86_400] });
    const repaid = await sendTx(borrowerPool, "repay", loanId, 2n ** 128n - 1n);
    expect(messageOf(world, repaid).type).toBe("REPAID");
    await world.relay(repaid);
    expect(await vaultState(loanId)).toBe(VaultState.Released);
  });

  it("ltvTooHigh_isRejectedAndRefundedThroughBothEndpoints", async () => {
    const collateral = parseEther("1");
    const { receipt, loanId } = await openLoan(collateral, 2_000n * 10n ** 6n); // 67% of $3,000

    const rejected = await world.relay(receipt);
    expect(messageOf(world, rejected)).toEqual({
      type: "LOAN_REJECTED",
      loanId,
      reason: "LtvTooHigh",
    });
    expect(await poolStatus(loanId)).toBe(PoolStatus.Rejected);

    await world.relay(rejected);
    expect(await vaultState(loanId)).toBe(VaultState.Refunded);
  });

  it("pastDueAndGrace_defaultSeizesCollateralToTheBeneficiary", async () => {
    const { pool, signers } = world;
    const collateral = parseEther("2");
    const { receipt, loanId } = await openLoan(collateral, 1_000n * 10n ** 6n);
    await world.relay(await world.relay(receipt));

    await provider.request({ method: "evm_increaseTime", params: [32 * 86_400] });
    const defaulted = await sendTx(pool, "declareDefault", loanId);
    const message = messageOf(world, defaulted);
    expect(message.type).toBe("DEFAULTED");
    expect(await poolStatus(loanId)).toBe(PoolStatus.Defaulted);

    const before = await ethers.provider.getBalance(signers.beneficiary.address);
    await world.relay(defaulted);
    expect((await ethers.provider.getBalance(signers.beneficiary.address)) - before).toBe(
      collateral,
    );
    expect(await vaultState(loanId)).toBe(VaultState.Seized);
  });

  it("belowThreshold_signaturesAreRefusedAndNothingMoves", async () => {
    const { receipt, loanId } = await openLoan(parseEther("1"), 1_000n * 10n ** 6n);

    await expect(world.relay(receipt, 1)).rejects.toThrow(/EndpointBelowThreshold/);
    expect(await vaultState(loanId)).toBe(VaultState.Requested);
  });
});
