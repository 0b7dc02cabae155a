// Issue #12 ("Safety") across two real endpoints with real signatures: a retired
// quorum's stored forgeries, outages and pauses longer than any timeout, and
// cancellations on the lending chain. Every message is read from a PacketSent
// log, attested and delivered as the relayer does it; nothing calls onPacket.
import {
  addressToWire,
  decodeLoanMessage,
  decodePacket,
  encodeLoanMessage,
  encodePacket,
  type Hex,
  type LoanMessage,
} from "@loanbridge/shared";
import {
  Contract,
  type ContractRunner,
  id,
  parseEther,
  type TransactionReceipt,
  Wallet,
} from "ethers";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildContracts, hre } from "./hre.ts";
import { revertData } from "./support/revertData.ts";
import {
  COLLATERAL_EID,
  deployTwoChains,
  LENDING_EID,
  REQUEST_TTL,
  sendTx,
  VERIFIERS,
  view,
} from "./support/twoChains.ts";

const { ethers, provider } = await hre.network.create();

// ICollateralVault.LoanState and ILendingPool.LoanStatus
const VaultState = { None: 0n, Requested: 1n, Active: 2n, Released: 3n, Seized: 4n, Refunded: 5n };
const PoolStatus = { None: 0n, Active: 1n, Repaid: 2n, Rejected: 3n, Defaulted: 4n };
/** The grace the removed timeout refund waited after `expiresAt`. */
const OLD_ANSWER_GRACE = 86_400n;
/** An outage longer than the old timeout refund's wait (`requestTtl + answerGrace`). */
const LONG_OUTAGE = REQUEST_TTL + OLD_ANSWER_GRACE + 60n;
const COLLATERAL = parseEther("10");
const PRINCIPAL = 12_000n * 10n ** 6n; // 40% of $30,000
const TERM = 30n * 86_400n;
const POOL_GRACE = 86_400n; // twoChains' gracePeriodSeconds

/** The set the owner rotates to once the first one is found compromised. */
const NEW_VERIFIERS = [1, 2, 3]
  .map((i) => new Wallet(id(`loanbridge rotated verifier ${i}`)))
  .sort((a, b) => (BigInt(a.address) < BigInt(b.address) ? -1 : 1));

type World = Awaited<ReturnType<typeof deployTwoChains>>;
let world: World;
let snapshot: string;
let stranger: ContractRunner & { address: string };

const as = (contract: Contract, signer: ContractRunner) =>
  new Contract(contract.target, contract.interface, signer);

async function now(): Promise<bigint> {
  const block = await ethers.provider.getBlock("latest");
  if (block === null) throw new Error("no latest block");
  return BigInt(block.timestamp);
}

async function warp(seconds: bigint) {
  await provider.request({ method: "evm_increaseTime", params: [Number(seconds)] });
  await provider.request({ method: "evm_mine", params: [] });
}

async function setNextTimestamp(timestamp: bigint) {
  await provider.request({ method: "evm_setNextBlockTimestamp", params: [Number(timestamp)] });
}

function messageOf(receipt: TransactionReceipt): LoanMessage {
  return decodeLoanMessage(decodePacket(world.onlyPacketOf(receipt)).message);
}

/** The events `contract` emitted in a receipt, by name, as argument arrays. */
function eventsOf(contract: Contract, receipt: TransactionReceipt, name: string): unknown[][] {
  const address = (contract.target as string).toLowerCase();
  return receipt.logs.flatMap((log) => {
    if (log.address.toLowerCase() !== address) return [];
    const parsed = contract.interface.parseLog(log);
    return parsed?.name === name ? [parsed.args.toArray()] : [];
  });
}

/** The custom error a transaction reverted with, decoded by the first interface that knows it. */
async function revertOf(pending: Promise<unknown>, ...contracts: Contract[]) {
  const data = await revertData(pending);
  for (const contract of contracts) {
    const decoded = contract.interface.parseError(data);
    if (decoded !== null) return { name: decoded.name, args: decoded.args.toArray() };
  }
  throw new Error(`unknown revert data ${data}`);
}

const vaultLoan = async (loanId: string) => view<bigint[]>(world.vault, "getLoan", loanId);
const vaultState = async (loanId: string) => (await vaultLoan(loanId))[2];
const poolStatus = async (loanId: string) =>
  (await view<bigint[]>(world.pool, "getLoan", loanId))[0];
const stableOf = async (account: string) => view<bigint>(world.stablecoin, "balanceOf", account);
const ethOf = async (account: string) => ethers.provider.getBalance(account);

/** Opens an ETH-collateral loan; returns its id, nonce, deadline and the receipt. */
async function openLoan() {
  const { vault, signers } = world;
  const receipt = await sendTx(
    as(vault, signers.borrower),
    "open",
    "0x0000000000000000000000000000000000000000",
    COLLATERAL,
    PRINCIPAL,
    1_000,
    TERM,
    1,
    addressToWire(signers.borrower.address),
    { value: COLLATERAL },
  );
  const [requested] = eventsOf(vault, receipt, "LoanRequested");
  if (requested === undefined) throw new Error("no LoanRequested");
  const [loanId, , , , , , , , , expiresAt, nonce] = requested as [Hex, ...bigint[]];
  return { receipt, loanId, expiresAt: expiresAt as bigint, nonce: nonce as bigint };
}

/** Rotates the collateral chain's verifier set to NEW_VERIFIERS (epoch 2). */
async function rotateCollateralSet() {
  await sendTx(
    world.collateralEndpoint,
    "setVerifierSet",
    NEW_VERIFIERS.map((w) => w.address),
    2,
  );
}

beforeAll(async () => {
  await buildContracts();
  world = await deployTwoChains(ethers);
  const { stablecoin, pool, signers } = world;
  const accounts = await ethers.getSigners();
  const fifth = accounts[4];
  if (fifth === undefined) throw new Error("need five signers");
  stranger = fifth;
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
  // A fresh price at the start of every test: chain time moves on between tests.
  await sendTx(world.priceFeed, "setPrice", id("ETH/USD"), 3_000n * 10n ** 6n);
});

// ---------------------------------------------------------------------------------------------
// Finding 2: a retired quorum's stored forgery must not take effect through retry
// ---------------------------------------------------------------------------------------------

describe("stored failures of a retired quorum", () => {
  /** The forged answers, and the vault state in which each fails and is stored. */
  const forgeries: [string, "BeforeOpen" | "WhileRequested", (loanId: Hex) => LoanMessage][] = [
    ["REPAID", "WhileRequested", (loanId) => ({ type: "REPAID", loanId, amountRepaid: 1n })],
    [
      "DEFAULTED",
      "WhileRequested",
      (loanId) => ({
        type: "DEFAULTED",
        loanId,
        outstanding: 1n,
        beneficiary: addressToWire(stranger.address),
      }),
    ],
    [
      "LIQUIDATED",
      "WhileRequested",
      (loanId) => ({
        type: "LIQUIDATED",
        loanId,
        outstanding: 1n,
        beneficiary: addressToWire(stranger.address),
      }),
    ],
    [
      "LOAN_REJECTED",
      "BeforeOpen",
      (loanId) => ({ type: "LOAN_REJECTED", loanId, reason: "Paused" }),
    ],
    [
      "LOAN_ACTIVE",
      "BeforeOpen",
      (loanId) => ({
        type: "LOAN_ACTIVE",
        loanId,
        principal: 1n,
        rateBps: 0,
        startTime: 1n,
        dueTime: 2n ** 40n,
      }),
    ],
  ];

  it.each(forgeries)(
    "test_retry_forged%sPlanted%sByLaterRotatedQuorum_revertsAndCollateralStaysLocked",
    async (_type, when, forge) => {
      const { vault, collateralEndpoint, pool } = world;
      const vaultAddress = await vault.getAddress();
      // The loan id is predictable: the vault's next nonce and the deadline of the next block.
      const openAt = (await now()) + 10n;
      const nonce = (await view<bigint>(vault, "nonce")) + 1n;
      const loanId = await view<Hex>(
        vault,
        "computeLoanId",
        world.signers.borrower.address,
        nonce,
        openAt + REQUEST_TTL,
      );
      // A packet "from the pool" that no pool ever sent, attested by the quorum of the day.
      const forged = encodePacket(
        {
          nonce: 1_000_000n,
          srcEid: LENDING_EID,
          sender: addressToWire(await pool.getAddress()),
          dstEid: COLLATERAL_EID,
          receiver: addressToWire(vaultAddress),
        },
        encodeLoanMessage(forge(loanId)),
      );
      const plant = async () => {
        const planted = await world.deliverSigned(forged, VERIFIERS.slice(0, 2));
        expect(eventsOf(collateralEndpoint, planted, "PacketFailed")).toHaveLength(1);
      };

      if (when === "BeforeOpen") await plant();
      await setNextTimestamp(openAt);
      const opened = await openLoan();
      expect(opened.loanId).toBe(loanId);
      if (when === "WhileRequested") await plant();
      // The quorum is found compromised: the owner rotates every verifier out.
      await rotateCollateralSet();
      // The genuine loan goes on: the pool disburses, the new set relays LOAN_ACTIVE.
      const accepted = await world.relay(opened.receipt);
      await world.deliverSigned(world.onlyPacketOf(accepted), NEW_VERIFIERS.slice(0, 2));
      expect(await vaultState(loanId)).toBe(VaultState.Active);

      const reverted = await revertOf(
        as(collateralEndpoint, stranger).getFunction("retry").send(forged),
        collateralEndpoint,
        vault,
      );

      expect(reverted.name).toBe("EndpointRetryNotApproved");
      expect(reverted.args.slice(1)).toEqual([1n, 2n]);
      expect(await vaultState(loanId)).toBe(VaultState.Active);
      expect(await poolStatus(loanId)).toBe(PoolStatus.Active);
      expect(await ethOf(vaultAddress)).toBe(COLLATERAL);
      // The terms are the pool's, not forged ones: (rateBps, collateralAmount, principal).
      expect((await vaultLoan(loanId)).slice(5)).toEqual([800n, COLLATERAL, PRINCIPAL]);
    },
  );
});

// ---------------------------------------------------------------------------------------------
// Finding 3: a refund is proven by the lending chain
// ---------------------------------------------------------------------------------------------

describe("outages longer than the old timeout", () => {
  it("test_outage_lateOpenLoanDelivered_poolAnswersExpired_endsRefundedRejected", async () => {
    const { pool, signers, lendingEndpoint } = world;
    const poolAddress = await pool.getAddress();
    const poolStable = await stableOf(poolAddress);
    const { receipt, loanId } = await openLoan();
    // The lending chain's endpoint is paused for longer than the old timeout, then resumes.
    await sendTx(lendingEndpoint, "pause");
    await expect(world.relay(receipt)).rejects.toThrow(/EndpointPaused/);
    await warp(LONG_OUTAGE);
    await sendTx(lendingEndpoint, "unpause");

    const answered = await world.relay(receipt);

    expect(messageOf(answered)).toEqual({ type: "LOAN_REJECTED", loanId, reason: "Expired" });
    expect(await poolStatus(loanId)).toBe(PoolStatus.Rejected);
    expect(await stableOf(poolAddress)).toBe(poolStable);
    const before = await ethOf(signers.borrower.address);
    await world.relay(answered);
    expect(await vaultState(loanId)).toBe(VaultState.Refunded);
    expect((await ethOf(signers.borrower.address)) - before).toBe(COLLATERAL);
  });

  it("test_outage_cancelOnLendingChainFirst_refunds_lateOpenLoanFailsAndDisbursesNothing", async () => {
    const { pool, signers, lendingEndpoint } = world;
    const poolAddress = await pool.getAddress();
    const poolStable = await stableOf(poolAddress);
    const borrowerStable = await stableOf(signers.borrower.address);
    const { receipt, loanId, nonce, expiresAt } = await openLoan();
    await warp(LONG_OUTAGE);

    const cancelled = await sendTx(
      as(pool, stranger),
      "cancelExpired",
      COLLATERAL_EID,
      addressToWire(signers.borrower.address),
      nonce,
      expiresAt,
    );

    expect(messageOf(cancelled)).toEqual({ type: "LOAN_REJECTED", loanId, reason: "Expired" });
    expect(await poolStatus(loanId)).toBe(PoolStatus.Rejected);
    await world.relay(cancelled);
    expect(await vaultState(loanId)).toBe(VaultState.Refunded);
    // The late OPEN_LOAN arrives after all: it fails (stored), nothing is disbursed.
    const late = await world.relay(receipt);
    const [failure] = eventsOf(lendingEndpoint, late, "PacketFailed");
    expect(pool.interface.parseError((failure as [string, string])[1])?.name).toBe(
      "PoolLoanExists",
    );
    expect(world.packetsOf(late)).toHaveLength(0);
    expect(await poolStatus(loanId)).toBe(PoolStatus.Rejected);
    expect(await stableOf(poolAddress)).toBe(poolStable);
    expect(await stableOf(signers.borrower.address)).toBe(borrowerStable);
  });

  it("test_collateralEndpointPausedPastOldTimeout_loanDeliveredInTime_endsActiveActive", async () => {
    const { pool, signers, collateralEndpoint } = world;
    const { receipt, loanId, nonce, expiresAt } = await openLoan();
    const accepted = await world.relay(receipt);
    expect(await poolStatus(loanId)).toBe(PoolStatus.Active);
    // The collateral chain's endpoint is paused past the old timeout refund: LOAN_ACTIVE waits.
    await sendTx(collateralEndpoint, "pause");
    await warp(LONG_OUTAGE);
    expect(await vaultState(loanId)).toBe(VaultState.Requested);

    // Nobody can cancel a loan the pool disbursed, and the vault has no timeout refund.
    const cancel = await revertOf(
      as(pool, stranger)
        .getFunction("cancelExpired")
        .send(COLLATERAL_EID, addressToWire(signers.borrower.address), nonce, expiresAt),
      pool,
    );
    expect(cancel).toEqual({ name: "PoolLoanExists", args: [loanId] });
    expect(world.vault.interface.getFunction("refundExpired")).toBeNull();

    await sendTx(collateralEndpoint, "unpause");
    await world.relay(accepted);
    expect(await vaultState(loanId)).toBe(VaultState.Active);
    expect(await poolStatus(loanId)).toBe(PoolStatus.Active);
  });

  it("cancelExpired_wrongParameters_cancelOnlyAnUnrelatedId_realLoanStillAnsweredExpired", async () => {
    const { pool, signers, collateralEndpoint } = world;
    const { receipt, loanId, nonce, expiresAt } = await openLoan();
    await warp(LONG_OUTAGE);
    const borrowerWire = addressToWire(signers.borrower.address);

    for (const [borrower, vaultNonce, deadline] of [
      [addressToWire(stranger.address), nonce, expiresAt],
      [borrowerWire, nonce + 1n, expiresAt],
      [borrowerWire, nonce, expiresAt - 1n],
    ] as const) {
      const cancelled = await sendTx(
        pool,
        "cancelExpired",
        COLLATERAL_EID,
        borrower,
        vaultNonce,
        deadline,
      );
      const answer = messageOf(cancelled);
      expect(answer.type).toBe("LOAN_REJECTED");
      expect(answer.loanId).not.toBe(loanId);
      // The vault knows no such loan: the answer fails there and moves nothing.
      const delivered = await world.relay(cancelled);
      expect(eventsOf(collateralEndpoint, delivered, "PacketFailed")).toHaveLength(1);
    }

    expect(await poolStatus(loanId)).toBe(PoolStatus.None);
    expect(await vaultState(loanId)).toBe(VaultState.Requested);
    const answered = await world.relay(receipt);
    expect(messageOf(answered)).toEqual({ type: "LOAN_REJECTED", loanId, reason: "Expired" });
    await world.relay(answered);
    expect(await vaultState(loanId)).toBe(VaultState.Refunded);
  });
});

// ---------------------------------------------------------------------------------------------
// Finding 4: a pause never runs out a borrower's clock
// ---------------------------------------------------------------------------------------------

describe("endpoint pauses", () => {
  it("test_pause_lendingEndpointPaused_completingRepaySendsRepaid_defaultAfterUnpauseReverts", async () => {
    const { pool, signers, lendingEndpoint } = world;
    const { receipt, loanId } = await openLoan();
    await world.relay(await world.relay(receipt));
    const dueTime = (await view<bigint[]>(pool, "getLoan", loanId))[3] as bigint;
    await sendTx(lendingEndpoint, "pause");
    await warp(TERM - 3_600n);

    const repaid = await sendTx(as(pool, signers.borrower), "repay", loanId, 2n ** 128n - 1n);

    const [sent] = eventsOf(lendingEndpoint, repaid, "PacketSent");
    expect(sent).toBeDefined();
    expect(messageOf(repaid)).toMatchObject({ type: "REPAID", loanId });
    expect(await poolStatus(loanId)).toBe(PoolStatus.Repaid);
    // The pause outlasts the due date and the grace; the loan was repaid in time all the same.
    await setNextTimestamp(dueTime + POOL_GRACE + 60n);
    await sendTx(lendingEndpoint, "unpause");
    const defaulted = await revertOf(
      as(pool, stranger).getFunction("declareDefault").send(loanId),
      pool,
    );
    expect(defaulted).toEqual({ name: "PoolLoanNotActive", args: [loanId, PoolStatus.Repaid] });
    const before = await ethOf(signers.borrower.address);
    await world.relay(repaid);
    expect(await vaultState(loanId)).toBe(VaultState.Released);
    expect((await ethOf(signers.borrower.address)) - before).toBe(COLLATERAL);
  });

  it("test_pause_collateralEndpointPaused_openStoresItsPacket_answerWaitsForUnpause", async () => {
    const { collateralEndpoint } = world;
    await sendTx(collateralEndpoint, "pause");

    const { receipt, loanId } = await openLoan();

    expect(eventsOf(collateralEndpoint, receipt, "PacketSent")).toHaveLength(1);
    expect(messageOf(receipt)).toMatchObject({ type: "OPEN_LOAN", loanId });
    const accepted = await world.relay(receipt);
    await expect(world.relay(accepted)).rejects.toThrow(/EndpointPaused/);
    await sendTx(collateralEndpoint, "unpause");
    await world.relay(accepted);
    expect(await vaultState(loanId)).toBe(VaultState.Active);
  });
});
