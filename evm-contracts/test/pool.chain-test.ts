// LendingPool (shared/LOANS.md "Pool") and AdminPriceFeed, against a
// SendRecorder standing in for the endpoint: OPEN_LOAN is delivered through
// it, so the pool's `msg.sender == endpoint` check stays real, and every
// answer is read back from its log and checked field by field.
import {
  addressToWire,
  annuityPayment,
  type Hex,
  type LoanMessageOf,
  type RejectReasonName,
} from "@loanbridge/shared";
import { type Contract, id, keccak256, solidityPacked, type TransactionReceipt } from "ethers";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  as,
  BPS,
  call,
  chain,
  encode,
  errorSelector,
  expectRevert,
  interestFor,
  LENDING_EID,
  onlyEvent,
  onlySent,
  send,
  type Signer,
  valueOf,
  VAULT_EID,
  ZERO_BYTES32,
} from "./apps.ts";
import { buildContracts, hre } from "./hre.ts";

const { ethers } = await hre.network.create();
const time = chain(ethers);

const OTHER_EID = 40200;
const VAULT_APP: Hex = addressToWire("0x000000000000000000000000000000000000a001");
const ETH: Hex = ZERO_BYTES32;
const NOT_AN_EVM_ADDRESS: Hex = `0x${"ab".repeat(32)}`;
const ETH_PRICE_ID = id("ETH/USD");
const ETH_PRICE = 3_000_000_000n; // $3,000 per 10^18 wei, in 6-decimal units
const RATE_BPS = 1_000n;
const MIN_TERM = 86_400n;
const DUE_BUCKET = 86_400n;
const MAX_TERM = 62n * DUE_BUCKET; // the longest the 64-bucket ring allows
const GRACE = 259_200n;
const MAX_PRICE_AGE = 3_600n;
const MAX_LTV = 5_000n;
const LIQUIDATION_LTV = 8_000n;
const DEPOSIT = 1_000_000_000_000n; // $1,000,000
const PRINCIPAL = 1_000_000_000n; // $1,000
const COLLATERAL = 10n ** 18n; // 1 ETH
const TERM = 2_592_000n; // 30 days
const MAX_RATE_BPS = 100_000n;
const UINT128_MAX = 2n ** 128n - 1n;
const USD = 1_000_000n; // one dollar in 6-decimal base units

/** A loan's due time: `at` rounded up to the next bucket boundary. */
const dueAt = (at: bigint) => ((at + DUE_BUCKET - 1n) / DUE_BUCKET) * DUE_BUCKET;

const Status = { None: 0n, Active: 1n, Repaid: 2n, Rejected: 3n, Defaulted: 4n, Liquidated: 5n };

let owner: Signer;
let lender: Signer;
let recipient: Signer;
let payer: Signer;
let guardian: Signer;
let other: Signer;
let beneficiary: Signer;
let stable: Contract;
let recorder: Contract;
let feed: Contract;
let pool: Contract;
let baseSnapshot: string;
let loanCounter = 0;

interface PoolLoan {
  status: bigint;
  srcEid: bigint;
  rateBps: bigint;
  dueTime: bigint;
  lastAccrual: bigint;
  installments: bigint;
  paidInstallments: bigint;
  offBook: boolean;
  principal: bigint;
  interest: bigint;
  repaid: bigint;
  collateralAmount: bigint;
  collateralAsset: string;
  startTime: bigint;
  periodSeconds: bigint;
  installmentAmount: bigint;
}

interface PerformingSums {
  principal: bigint;
  interest: bigint;
  rateWeight: bigint;
  anchor: bigint;
}

/** The pool's sums over performing loans, as of the latest block. */
async function performing(): Promise<PerformingSums> {
  return (await call<{ toObject(): PerformingSums }>(pool, "performing")).toObject();
}

async function loanOf(loanId: string): Promise<PoolLoan> {
  return (await call<{ toObject(): PoolLoan }>(pool, "getLoan", loanId)).toObject();
}

type OpenLoan = LoanMessageOf<"OPEN_LOAN">;

async function openLoan(overrides: Partial<OpenLoan> = {}): Promise<OpenLoan> {
  loanCounter += 1;
  return {
    type: "OPEN_LOAN",
    loanId: id(`loan-${loanCounter}`) as Hex,
    borrower: addressToWire("0x00000000000000000000000000000000000000b0"),
    recipient: addressToWire(recipient.address),
    collateralAsset: ETH,
    collateralAmount: COLLATERAL,
    principal: PRINCIPAL,
    maxRateBps: 1_500,
    termSeconds: TERM,
    expiresAt: (await time.now()) + 3_600n,
    installments: 1,
    ...overrides,
  };
}

/** Delivers an OPEN_LOAN through the recorder, as a vault on `srcEid`. */
async function deliver(message: OpenLoan, srcEid = VAULT_EID): Promise<TransactionReceipt> {
  return send(
    recorder,
    "deliver",
    pool.target,
    srcEid,
    VAULT_APP,
    id(message.loanId),
    encode(message),
  );
}

function deliverPending(message: OpenLoan, srcEid = VAULT_EID): Promise<unknown> {
  return recorder
    .getFunction("deliver")
    .send(pool.target, srcEid, VAULT_APP, id(message.loanId), encode(message));
}

/** Opens an accepted loan; returns the message and the start time. */
async function openAccepted(overrides: Partial<OpenLoan> = {}) {
  const message = await openLoan(overrides);
  const receipt = await deliver(message);
  expect(onlySent(recorder, receipt).message.type).toBe("LOAN_ACTIVE");
  return { message, loanId: message.loanId, startTime: await time.timeOf(receipt), receipt };
}

const poolRevert = (pending: Promise<unknown>) =>
  expectRevert(pending, pool.interface, stable.interface);

async function balanceOf(account: unknown): Promise<bigint> {
  return call<bigint>(stable, "balanceOf", account);
}

async function mintAndApprove(signer: Signer, amount: bigint, spender: unknown = pool.target) {
  await send(stable, "mint", signer.address, amount);
  await send(as(stable, signer), "approve", spender, 2n ** 256n - 1n);
}

beforeAll(async () => {
  await buildContracts();
  const signers = await ethers.getSigners();
  const needed = signers.slice(0, 7);
  if (needed.length < 7) throw new Error("need seven signers");
  [owner, lender, recipient, payer, guardian, other, beneficiary] = needed as [
    Signer,
    Signer,
    Signer,
    Signer,
    Signer,
    Signer,
    Signer,
  ];
  stable = await ethers.deployContract("DevStablecoin", [owner.address]);
  recorder = await ethers.deployContract("SendRecorder", [LENDING_EID]);
  feed = await ethers.deployContract("AdminPriceFeed", [owner.address]);
  pool = await ethers.deployContract("LendingPool", [
    stable.target,
    recorder.target,
    owner.address,
    DUE_BUCKET,
    "loanbridge dUSD pool",
    "lbUSD",
  ]);
  await send(pool, "setLoanTerms", RATE_BPS, MIN_TERM, MAX_TERM, GRACE);
  await send(pool, "setCollateral", VAULT_EID, ETH, [MAX_LTV, LIQUIDATION_LTV, ETH_PRICE_ID]);
  await send(pool, "setBeneficiary", VAULT_EID, addressToWire(beneficiary.address));
  await send(pool, "setPriceFeed", feed.target, MAX_PRICE_AGE);
  await send(pool, "setGuardian", guardian.address);
  // The pool's peer vault: cancelExpired derives loan ids from it.
  await send(recorder, "setPeer", pool.target, VAULT_EID, VAULT_APP);
  await mintAndApprove(lender, DEPOSIT * 10n);
  await mintAndApprove(payer, DEPOSIT);
  await send(as(pool, lender), "deposit", DEPOSIT, lender.address);
  baseSnapshot = await time.snapshot();
});

beforeEach(async () => {
  await time.revert(baseSnapshot);
  baseSnapshot = await time.snapshot();
  // A fresh price for every test: chain time moves on between tests.
  await send(feed, "setPrice", ETH_PRICE_ID, ETH_PRICE);
});

describe("LendingPool ERC-4626", () => {
  it("decimals_addOffsetToStablecoinDecimals", async () => {
    expect(await call(pool, "decimals")).toBe(12n);
    expect(await call(pool, "asset")).toBe(stable.target);
  });

  it("deposit_firstDepositor_getsSharesAtVirtualOffset", async () => {
    expect(await call(pool, "balanceOf", lender.address)).toBe(DEPOSIT * 10n ** 6n);
    expect(await call(pool, "totalAssets")).toBe(DEPOSIT);
  });

  it("mintAndRedeem_roundTrip", async () => {
    const shares = 5n * 10n ** 12n;
    const assets = await call<bigint>(pool, "previewMint", shares);
    await send(as(pool, payer), "mint", shares, payer.address);
    expect(await call(pool, "balanceOf", payer.address)).toBe(shares);
    const before = await balanceOf(payer.address);
    await send(as(pool, payer), "redeem", shares, payer.address, payer.address);
    expect((await balanceOf(payer.address)) - before).toBeLessThanOrEqual(assets);
    expect((await balanceOf(payer.address)) - before).toBeGreaterThanOrEqual(assets - 1n);
  });

  it("totalAssets_countsHeldPlusOutstandingPrincipal", async () => {
    await openAccepted();
    expect(await balanceOf(pool.target)).toBe(DEPOSIT - PRINCIPAL);
    expect((await performing()).principal).toBe(PRINCIPAL);
    expect(await call(pool, "totalAssets")).toBe(DEPOSIT);
  });

  it("maxWithdrawAndMaxRedeem_limitedToHeld", async () => {
    await openAccepted();
    const held = DEPOSIT - PRINCIPAL;
    expect(await call(pool, "maxWithdraw", lender.address)).toBe(held);
    const maxRedeem = await call<bigint>(pool, "maxRedeem", lender.address);
    expect(maxRedeem).toBe(await call(pool, "convertToShares", held));

    const tooMuch = await poolRevert(
      as(pool, lender)
        .getFunction("withdraw")
        .send(held + 1n, lender.address, lender.address),
    );
    expect(tooMuch).toEqual({
      name: "ERC4626ExceededMaxWithdraw",
      args: [lender.address, held + 1n, held],
    });
    const tooMany = await poolRevert(
      as(pool, lender)
        .getFunction("redeem")
        .send(maxRedeem + 1n, lender.address, lender.address),
    );
    // A block later the loan's interest has raised the share price a little, so the held
    // stablecoin covers slightly fewer shares.
    expect(tooMany.name).toBe("ERC4626ExceededMaxRedeem");
    const [account, requested, max] = tooMany.args as [string, bigint, bigint];
    expect([account, requested]).toEqual([lender.address, maxRedeem + 1n]);
    expect(max).toBeLessThanOrEqual(maxRedeem);
    expect(max).toBeGreaterThan(maxRedeem - maxRedeem / 1_000_000n);

    await send(as(pool, lender), "withdraw", held, lender.address, lender.address);
    expect(await balanceOf(pool.target)).toBe(0n);
  });

  it("repaymentWithInterest_raisesShareValue", async () => {
    const { loanId } = await openAccepted();
    await time.increaseTime(TERM);
    await send(as(pool, payer), "repay", loanId, 2n * PRINCIPAL);
    const assets = await call<bigint>(pool, "convertToAssets", DEPOSIT * 10n ** 6n);
    expect(assets).toBeGreaterThan(DEPOSIT);
  });

  it("firstDepositorDonation_costsAttackerAndNotVictim", async () => {
    const fresh = await ethers.deployContract("LendingPool", [
      stable.target,
      recorder.target,
      owner.address,
      DUE_BUCKET,
      "fresh",
      "F",
    ]);
    const [attacker, victim] = [other, payer];
    await mintAndApprove(attacker, 20_000_000_000n, fresh.target);
    await send(as(stable, victim), "approve", fresh.target, 2n ** 256n - 1n);
    const donation = 10_000_000_000n; // $10,000
    const victimDeposit = 1_000_000_000n; // $1,000

    await send(as(fresh, attacker), "deposit", 1n, attacker.address);
    await send(as(stable, attacker), "transfer", fresh.target, donation);
    await send(as(fresh, victim), "deposit", victimDeposit, victim.address);

    // Without the offset (no virtual shares) the victim would get
    // floor(1e9 * 1 / (1e10 + 1)) = 0 shares and lose everything.
    expect((victimDeposit * (1n + 1n)) / (donation + 1n + 1n)).toBe(0n);
    const victimShares = await call<bigint>(fresh, "balanceOf", victim.address);
    expect(victimShares).toBeGreaterThan(0n);
    // The victim loses a rounding dust (under 10 ppm); the attacker loses about half the
    // donation, which the virtual shares absorb: over 1,000 times what the victim loses.
    const victimLoss = victimDeposit - (await call<bigint>(fresh, "maxWithdraw", victim.address));
    expect(victimLoss).toBeLessThanOrEqual(victimDeposit / 100_000n);
    const attackerLoss =
      donation + 1n - (await call<bigint>(fresh, "maxWithdraw", attacker.address));
    expect(attackerLoss).toBeGreaterThan((donation * 4n) / 10n);
    expect(attackerLoss).toBeGreaterThan(1_000n * victimLoss);
  });
});

describe("LendingPool.onPacket OPEN_LOAN accepted", () => {
  it("openLoan_withinLimits_disbursesRecordsAndAnswersLoanActive", async () => {
    const message = await openLoan();
    const recipientBefore = await balanceOf(recipient.address);

    const receipt = await deliver(message);
    const now = await time.timeOf(receipt);

    expect(await balanceOf(recipient.address)).toBe(recipientBefore + PRINCIPAL);
    // A bullet loan: one installment of the whole term.
    const installmentAmount = annuityPayment({
      principal: PRINCIPAL,
      rateBps: RATE_BPS,
      periodSeconds: TERM,
      installments: 1,
    });
    expect(await loanOf(message.loanId)).toEqual({
      status: Status.Active,
      srcEid: BigInt(VAULT_EID),
      rateBps: RATE_BPS,
      dueTime: dueAt(now + TERM),
      lastAccrual: now,
      installments: 1n,
      paidInstallments: 0n,
      offBook: false,
      principal: PRINCIPAL,
      interest: 0n,
      repaid: 0n,
      collateralAmount: COLLATERAL,
      collateralAsset: ETH,
      startTime: now,
      periodSeconds: TERM,
      installmentAmount,
    });
    expect(onlyEvent(pool, receipt, "LoanOpened")).toEqual([
      message.loanId,
      BigInt(VAULT_EID),
      message.borrower,
      recipient.address,
      PRINCIPAL,
      RATE_BPS,
      now,
      dueAt(now + TERM),
    ]);
    expect(onlyEvent(pool, receipt, "LoanScheduled")).toEqual([
      message.loanId,
      1n,
      TERM,
      installmentAmount,
    ]);
    const sent = onlySent(recorder, receipt);
    expect(sent.app).toBe(pool.target);
    expect(sent.dstEid).toBe(VAULT_EID);
    expect(sent.message).toEqual({
      type: "LOAN_ACTIVE",
      loanId: message.loanId,
      principal: PRINCIPAL,
      rateBps: Number(RATE_BPS),
      startTime: now,
      dueTime: dueAt(now + TERM),
    });
  });

  it("openLoan_answersTheSourceEid", async () => {
    await send(pool, "setCollateral", OTHER_EID, ETH, [MAX_LTV, LIQUIDATION_LTV, ETH_PRICE_ID]);
    const message = await openLoan();
    const receipt = await deliver(message, OTHER_EID);
    expect(onlySent(recorder, receipt).dstEid).toBe(OTHER_EID);
    expect((await loanOf(message.loanId)).srcEid).toBe(BigInt(OTHER_EID));
  });

  it.each([
    ["termAtMinimum", { termSeconds: MIN_TERM }],
    ["termAtMaximum", { termSeconds: MAX_TERM }],
    ["rateEqualToMax", { maxRateBps: Number(RATE_BPS) }],
    // 333,333,333,333,333,333 wei at $3,000 is worth 999,999,999 units; 50% is 499,999,999.
    ["principalAtMaxLtv", { collateralAmount: 333_333_333_333_333_333n, principal: 499_999_999n }],
  ] as const)("openLoan_boundary %s_isAccepted", async (_, overrides) => {
    const message = await openLoan(overrides);
    const receipt = await deliver(message);
    expect(onlySent(recorder, receipt).message.type).toBe("LOAN_ACTIVE");
  });

  it("openLoan_principalEqualToHeld_isAccepted", async () => {
    const message = await openLoan({ principal: DEPOSIT, collateralAmount: 10_000n * COLLATERAL });
    const receipt = await deliver(message);
    expect(onlySent(recorder, receipt).message.type).toBe("LOAN_ACTIVE");
    expect(await balanceOf(pool.target)).toBe(0n);
  });

  it("openLoan_priceExactlyMaxAgeOld_isAccepted", async () => {
    const receipt = await send(feed, "setPrice", ETH_PRICE_ID, ETH_PRICE);
    const message = await openLoan({ expiresAt: 2n ** 63n });
    await time.setNextTimestamp((await time.timeOf(receipt)) + MAX_PRICE_AGE);
    const answer = await deliver(message);
    expect(onlySent(recorder, answer).message.type).toBe("LOAN_ACTIVE");
  });

  it("openLoan_atExpiresAt_isAccepted", async () => {
    const message = await openLoan();
    await time.setNextTimestamp(message.expiresAt);
    const receipt = await deliver(message);
    expect(onlySent(recorder, receipt).message.type).toBe("LOAN_ACTIVE");
  });
});

describe("LendingPool.onPacket OPEN_LOAN rejected", () => {
  /** Delivers and checks the rejection: recorded, announced, answered, nothing moved. */
  async function expectRejected(
    message: OpenLoan,
    reason: RejectReasonName,
    srcEid = VAULT_EID,
  ): Promise<void> {
    const held = await balanceOf(pool.target);
    const outstanding = (await performing()).principal;

    const receipt = await deliver(message, srcEid);

    const sent = onlySent(recorder, receipt);
    expect(sent.dstEid).toBe(srcEid);
    expect(sent.message).toEqual({ type: "LOAN_REJECTED", loanId: message.loanId, reason });
    const codes: Record<RejectReasonName, bigint> = {
      InsufficientLiquidity: 1n,
      LtvTooHigh: 2n,
      RateAboveMax: 3n,
      UnsupportedCollateral: 4n,
      Expired: 5n,
      Paused: 6n,
      InvalidTerms: 7n,
    };
    expect(onlyEvent(pool, receipt, "LoanRejected")).toEqual([
      message.loanId,
      BigInt(srcEid),
      codes[reason],
    ]);
    expect(await balanceOf(pool.target)).toBe(held);
    expect((await performing()).principal).toBe(outstanding);
    expect(await loanOf(message.loanId)).toMatchObject({
      status: Status.Rejected,
      srcEid: BigInt(srcEid),
      principal: 0n,
    });
  }

  it("checks_runInLoansMdOrder_firstFailureWins", async () => {
    const token = addressToWire("0x00000000000000000000000000000000000000cc");
    // Fails every check at once.
    let terms: Partial<OpenLoan> = {
      expiresAt: 1n,
      termSeconds: 1n,
      collateralAsset: token,
      maxRateBps: 0,
      collateralAmount: 1n,
      principal: DEPOSIT + 1n,
    };
    await send(as(pool, guardian), "pause");
    await expectRejected(await openLoan(terms), "Paused");

    await send(pool, "unpause");
    await expectRejected(await openLoan(terms), "Expired");

    terms = { ...terms, expiresAt: 2n ** 63n };
    await expectRejected(await openLoan(terms), "InvalidTerms");

    terms = { ...terms, termSeconds: TERM };
    await expectRejected(await openLoan(terms), "UnsupportedCollateral");

    terms = { ...terms, collateralAsset: ETH };
    await expectRejected(await openLoan(terms), "RateAboveMax");

    terms = { ...terms, maxRateBps: 10_000 };
    await expectRejected(await openLoan(terms), "LtvTooHigh");

    terms = { ...terms, collateralAmount: 1_000n * COLLATERAL };
    await expectRejected(await openLoan(terms), "InsufficientLiquidity");

    terms = { ...terms, principal: DEPOSIT };
    const receipt = await deliver(await openLoan(terms));
    expect(onlySent(recorder, receipt).message.type).toBe("LOAN_ACTIVE");
  });

  it("paused_beatsExpired", async () => {
    await send(pool, "pause");
    await expectRejected(await openLoan({ expiresAt: 1n }), "Paused");
  });

  it("expired_oneSecondAfterExpiresAt", async () => {
    const message = await openLoan();
    await time.setNextTimestamp(message.expiresAt + 1n);
    await expectRejected(message, "Expired");
  });

  it.each([
    ["termBelowMinimum", () => ({ termSeconds: MIN_TERM - 1n })],
    ["termAboveMaximum", () => ({ termSeconds: MAX_TERM + 1n })],
    ["zeroPrincipal", () => ({ principal: 0n })],
    ["recipientNotAnEvmAddress", () => ({ recipient: NOT_AN_EVM_ADDRESS })],
    ["zeroRecipient", () => ({ recipient: ZERO_BYTES32 })],
    ["recipientIsThePool", () => ({ recipient: addressToWire(pool.target as string) })],
  ] as const)("invalidTerms %s", async (_, overrides) => {
    await expectRejected(await openLoan(overrides()), "InvalidTerms");
  });

  it("unsupportedCollateral_assetNotConfigured", async () => {
    const token = addressToWire("0x00000000000000000000000000000000000000cc");
    await expectRejected(await openLoan({ collateralAsset: token }), "UnsupportedCollateral");
  });

  it("unsupportedCollateral_configuredOnlyForAnotherEid", async () => {
    await expectRejected(await openLoan(), "UnsupportedCollateral", OTHER_EID);
  });

  it("unsupportedCollateral_configRemoved", async () => {
    await send(pool, "setCollateral", VAULT_EID, ETH, [0, 0, ZERO_BYTES32]);
    await expectRejected(await openLoan(), "UnsupportedCollateral");
  });

  it("unsupportedCollateral_priceMissing", async () => {
    await send(feed, "setPrice", ETH_PRICE_ID, 0);
    await expectRejected(await openLoan(), "UnsupportedCollateral");
  });

  it("unsupportedCollateral_noPriceFeed", async () => {
    await send(pool, "setPriceFeed", ethers.ZeroAddress, MAX_PRICE_AGE);
    await expectRejected(await openLoan(), "UnsupportedCollateral");
  });

  it("unsupportedCollateral_priceOneSecondTooOld", async () => {
    const receipt = await send(feed, "setPrice", ETH_PRICE_ID, ETH_PRICE);
    const message = await openLoan({ expiresAt: 2n ** 63n });
    await time.setNextTimestamp((await time.timeOf(receipt)) + MAX_PRICE_AGE + 1n);
    await expectRejected(message, "UnsupportedCollateral");
  });

  it("rateAboveMax_oneBelowPoolRate", async () => {
    await expectRejected(await openLoan({ maxRateBps: Number(RATE_BPS) - 1 }), "RateAboveMax");
  });

  it("ltvTooHigh_oneUnitAboveMaxLtv", async () => {
    const collateralAmount = 333_333_333_333_333_333n;
    const maxPrincipal = (valueOf(collateralAmount, ETH_PRICE) * MAX_LTV) / BPS;
    expect(maxPrincipal).toBe(499_999_999n);
    await expectRejected(
      await openLoan({ collateralAmount, principal: maxPrincipal + 1n }),
      "LtvTooHigh",
    );
  });

  it.each([
    ["productsEqual", 200_000_000_000_000_000n], // principal * 10,000 == value * maxLtvBps
    ["flooredLimit", 333_333_333_333_333_333n], // the largest principal below a fractional limit
  ])("ltvAtTheLimit_isAccepted [%s]", async (_, collateralAmount) => {
    const value = valueOf(collateralAmount, ETH_PRICE);
    const principal = (value * MAX_LTV) / BPS;
    expect(principal * BPS).toBeLessThanOrEqual(value * MAX_LTV);
    expect((principal + 1n) * BPS).toBeGreaterThan(value * MAX_LTV);
    const receipt = await deliver(await openLoan({ collateralAmount, principal }));
    expect(onlySent(recorder, receipt).message.type).toBe("LOAN_ACTIVE");
  });

  it("ltvTooHigh_hugeCollateralValueNeedsNoOverflow", async () => {
    // 2^128 - 1 units at a price of 2^150: the product needs more than 256 bits before the
    // division by 10^18; mulDiv keeps it exact.
    const price = 2n ** 150n;
    await send(feed, "setPrice", ETH_PRICE_ID, price);
    const collateralAmount = 2n ** 128n - 1n;
    const value = valueOf(collateralAmount, price);
    expect(collateralAmount * price).toBeGreaterThan(2n ** 256n);
    const receipt = await deliver(await openLoan({ collateralAmount, principal: DEPOSIT }));
    expect(onlySent(recorder, receipt).message.type).toBe("LOAN_ACTIVE");
    expect(value).toBeGreaterThan(DEPOSIT);
  });

  it("insufficientLiquidity_oneUnitAboveHeld", async () => {
    await expectRejected(
      await openLoan({ principal: DEPOSIT + 1n, collateralAmount: 10_000n * COLLATERAL }),
      "InsufficientLiquidity",
    );
  });
});

/** The loan id a vault at VAULT_APP on VAULT_EID gives (shared/LOANS.md "Identifiers"). */
function loanIdFor(borrower: Hex, vaultNonce: bigint, expiresAt: bigint): Hex {
  return keccak256(
    solidityPacked(
      ["uint32", "bytes32", "bytes32", "uint64", "uint64"],
      [VAULT_EID, VAULT_APP, borrower, vaultNonce, expiresAt],
    ),
  ) as Hex;
}

describe("LendingPool.cancelExpired", () => {
  const BORROWER = addressToWire("0x00000000000000000000000000000000000000b0");

  it("cancelExpired_afterDeadline_recordsRejectedAndAnswersExpired", async () => {
    const expiresAt = (await time.now()) + 100n;
    const loanId = loanIdFor(BORROWER, 7n, expiresAt);
    const held = await balanceOf(pool.target);
    await time.setNextTimestamp(expiresAt + 1n);

    const receipt = await send(
      as(pool, other),
      "cancelExpired",
      VAULT_EID,
      BORROWER,
      7n,
      expiresAt,
    );

    expect(onlyEvent(pool, receipt, "LoanCancelled")).toEqual([
      loanId,
      BigInt(VAULT_EID),
      BORROWER,
      7n,
      expiresAt,
      other.address,
    ]);
    expect(onlyEvent(pool, receipt, "LoanRejected")).toEqual([loanId, BigInt(VAULT_EID), 5n]);
    const answer = onlySent(recorder, receipt);
    expect(answer.dstEid).toBe(VAULT_EID);
    expect(answer.message).toEqual({ type: "LOAN_REJECTED", loanId, reason: "Expired" });
    expect(await loanOf(loanId)).toMatchObject({
      status: Status.Rejected,
      srcEid: BigInt(VAULT_EID),
    });
    expect(await balanceOf(pool.target)).toBe(held);
  });

  it.each([
    ["atDeadline", 0n],
    ["beforeDeadline", -100n],
  ])("cancelExpired_%s_revertsWithCancelTooEarly", async (_label, offset) => {
    const expiresAt = (await time.now()) + 200n;
    await time.setNextTimestamp(expiresAt + offset);

    const reverted = await poolRevert(
      pool.getFunction("cancelExpired").send(VAULT_EID, BORROWER, 1n, expiresAt),
    );

    expect(reverted).toEqual({
      name: "PoolCancelTooEarly",
      args: [loanIdFor(BORROWER, 1n, expiresAt), expiresAt],
    });
  });

  it.each(["accepted", "rejected", "cancelled"] as const)(
    "cancelExpired_loanThePoolKnows_%s_revertsWithLoanExists",
    async (known) => {
      const expiresAt = (await time.now()) + 3_600n;
      const loanId = loanIdFor(BORROWER, 3n, expiresAt);
      if (known === "accepted") await openAccepted({ loanId, expiresAt });
      if (known === "rejected") await deliver(await openLoan({ loanId, expiresAt, principal: 0n }));
      await time.setNextTimestamp(expiresAt + 1n);
      if (known === "cancelled")
        await send(pool, "cancelExpired", VAULT_EID, BORROWER, 3n, expiresAt);
      const before = await loanOf(loanId);

      const reverted = await poolRevert(
        pool.getFunction("cancelExpired").send(VAULT_EID, BORROWER, 3n, expiresAt),
      );

      expect(reverted).toEqual({ name: "PoolLoanExists", args: [loanId] });
      expect(await loanOf(loanId)).toEqual(before);
    },
  );

  it("cancelExpired_unregisteredSrcEid_revertsWithNoPeer", async () => {
    const expiresAt = (await time.now()) - 10n;

    const reverted = await poolRevert(
      pool.getFunction("cancelExpired").send(OTHER_EID, BORROWER, 1n, expiresAt),
    );

    expect(reverted).toEqual({ name: "PoolNoPeer", args: [BigInt(OTHER_EID)] });
  });

  it("test_lateOpenLoan_afterCancel_failsAsKnownIdAndDisbursesNothing", async () => {
    const expiresAt = (await time.now()) + 100n;
    const loanId = loanIdFor(BORROWER, 9n, expiresAt);
    const late = await openLoan({ loanId, expiresAt });
    await time.setNextTimestamp(expiresAt + 1n);
    await send(pool, "cancelExpired", VAULT_EID, BORROWER, 9n, expiresAt);
    const held = await balanceOf(pool.target);

    const reverted = await poolRevert(deliverPending(late));

    expect(reverted).toEqual({ name: "PoolLoanExists", args: [loanId] });
    expect(await balanceOf(pool.target)).toBe(held);
    expect(await balanceOf(recipient.address)).toBe(0n);
  });

  it("cancelExpired_wrongParameters_cancelOnlyAnUnrelatedId", async () => {
    const expiresAt = (await time.now()) + 100n;
    const loanId = loanIdFor(BORROWER, 4n, expiresAt);
    await time.setNextTimestamp(expiresAt + 1n);

    const receipt = await send(pool, "cancelExpired", VAULT_EID, BORROWER, 5n, expiresAt);

    const [cancelled] = onlyEvent(pool, receipt, "LoanCancelled") as [Hex];
    expect(cancelled).toBe(loanIdFor(BORROWER, 5n, expiresAt));
    expect((await loanOf(loanId)).status).toBe(Status.None);
  });

  it("cancelExpired_whilePoolPaused_stillAnswers", async () => {
    await send(as(pool, guardian), "pause");
    const expiresAt = (await time.now()) - 1n;

    const receipt = await send(pool, "cancelExpired", VAULT_EID, BORROWER, 1n, expiresAt);

    expect(onlySent(recorder, receipt).message).toMatchObject({ reason: "Expired" });
  });
});

describe("LendingPool.onPacket guards", () => {
  it("onPacket_fromNonEndpoint_reverts", async () => {
    const reverted = await poolRevert(
      as(pool, other)
        .getFunction("onPacket")
        .send(VAULT_EID, VAULT_APP, id("g"), encode(await openLoan())),
    );
    expect(reverted).toEqual({ name: "PoolNotEndpoint", args: [other.address] });
  });

  it("onPacket_otherMessageType_revertsWithUnexpectedMessageType", async () => {
    const message = encode({
      type: "LOAN_ACTIVE",
      loanId: id("x") as Hex,
      principal: 1n,
      rateBps: 1,
      startTime: 1n,
      dueTime: 2n,
    });
    const reverted = await poolRevert(
      recorder.getFunction("deliver").send(pool.target, VAULT_EID, VAULT_APP, id("g"), message),
    );
    expect(reverted).toEqual({ name: "UnexpectedMessageType", args: [1n, 2n] });
  });

  it("onPacket_duplicateOfActiveLoan_reverts", async () => {
    const { message } = await openAccepted();
    const reverted = await poolRevert(deliverPending({ ...message, recipient: ZERO_BYTES32 }));
    expect(reverted).toEqual({ name: "PoolLoanExists", args: [message.loanId] });
  });

  it("onPacket_duplicateOfRejectedLoan_reverts", async () => {
    const message = await openLoan({ principal: 0n });
    await deliver(message);
    const reverted = await poolRevert(deliverPending({ ...message, principal: PRINCIPAL }));
    expect(reverted).toEqual({ name: "PoolLoanExists", args: [message.loanId] });
  });
});

describe("LendingPool interest", () => {
  const principal = 123_456_789_012n;
  const rate = 1_234n;

  async function openForInterest() {
    await send(pool, "setLoanTerms", rate, MIN_TERM, MAX_TERM, GRACE);
    return openAccepted({ principal, collateralAmount: 1_000n * COLLATERAL, maxRateBps: 2_000 });
  }

  it.each([1n, 59n, 3_600n, 86_400n, 2_592_000n, 31_536_000n, 34_560_000n])(
    "accrual_after %is_matchesIndependentFormula",
    async (elapsed) => {
      const { loanId, startTime } = await openForInterest();
      const expected = interestFor(principal, rate, elapsed);

      await time.setNextTimestamp(startTime + elapsed);
      const receipt = await send(as(pool, payer), "repay", loanId, 1n);

      expect(onlyEvent(pool, receipt, "InterestAccrued")).toEqual([loanId, expected, expected]);
      const [, , interestPaid, principalPaid, principalLeft, interestLeft] = onlyEvent(
        pool,
        receipt,
        "LoanRepayment",
      );
      const toInterest = expected > 0n ? 1n : 0n;
      expect([interestPaid, principalPaid]).toEqual([toInterest, 1n - toInterest]);
      expect([principalLeft, interestLeft]).toEqual([
        principal - (1n - toInterest),
        expected - toInterest,
      ]);
      expect(await loanOf(loanId)).toMatchObject({
        lastAccrual: startTime + elapsed,
        interest: expected - toInterest,
      });
    },
  );

  it("accrual_eachAccrualRoundsDownOnItsOwn", async () => {
    const { loanId, startTime } = await openForInterest();
    let p = principal;
    let interest = 0n;
    let last = startTime;
    for (const at of [startTime + 7n, startTime + 700n, startTime + 86_407n, startTime + 90_000n]) {
      const added = interestFor(p, rate, at - last);
      interest += added;
      last = at;
      await time.setNextTimestamp(at);
      const receipt = await send(as(pool, payer), "repay", loanId, 3n);
      expect(onlyEvent(pool, receipt, "InterestAccrued")).toEqual([loanId, added, interest]);
      const toInterest = interest < 3n ? interest : 3n;
      interest -= toInterest;
      p -= 3n - toInterest;
      expect(await loanOf(loanId)).toMatchObject({ principal: p, interest });
    }
    // One accrual over the whole span would have given at least as much.
    expect(interestFor(principal, rate, 90_000n)).toBeGreaterThanOrEqual(
      interestFor(principal, rate, 7n) +
        interestFor(principal, rate, 693n) +
        interestFor(principal, rate, 85_707n),
    );
  });

  it("debtOf_includesInterestUpToTheLatestBlock", async () => {
    const { loanId, startTime } = await openForInterest();
    await time.setNextTimestamp(startTime + 86_400n);
    await ethers.provider.send("evm_mine", []);
    const [p, interest] = await call<[bigint, bigint]>(pool, "debtOf", loanId, {
      blockTag: "latest",
    });
    expect(p).toBe(principal);
    expect(interest).toBe(interestFor(principal, rate, 86_400n));
  });

  it("accrual_sameSecond_addsNothingAndEmitsNothing", async () => {
    await send(pool, "setLoanTerms", rate, MIN_TERM, MAX_TERM, GRACE);
    const message = await openLoan({
      principal,
      collateralAmount: 1_000n * COLLATERAL,
      maxRateBps: 2_000,
    });
    // Open and repay in one block.
    await ethers.provider.send("evm_setAutomine", [false]);
    // Explicit gas limits: estimating the repay against the latest block would fail.
    const deliverTx = recorder
      .getFunction("deliver")
      .send(pool.target, VAULT_EID, VAULT_APP, id(message.loanId), encode(message), {
        gasLimit: 1_000_000,
      });
    const repayTx = as(pool, payer)
      .getFunction("repay")
      .send(message.loanId, 5n, { gasLimit: 1_000_000 });
    const [, sent] = await Promise.all([deliverTx, repayTx]);
    await ethers.provider.send("evm_mine", []);
    await ethers.provider.send("evm_setAutomine", [true]);
    const receipt = await (sent as { wait(): Promise<TransactionReceipt> }).wait();
    expect(receipt.status).toBe(1);
    expect(() => onlyEvent(pool, receipt, "InterestAccrued")).toThrow();
    expect((await loanOf(message.loanId)).principal).toBe(principal - 5n);
  });
});

describe("LendingPool interest in pool assets", () => {
  it("totalAssets_countsInterestAsItAccrues_beforeAnyRepayment", async () => {
    const { startTime } = await openAccepted();
    await time.setNextTimestamp(startTime + TERM);
    await time.increaseTime(0n);

    const interest = interestFor(PRINCIPAL, RATE_BPS, TERM);
    expect(interest).toBeGreaterThan(0n);
    expect(await call(pool, "totalAssets")).toBe(DEPOSIT + interest);
  });

  it("declareDefault_writesOffPrincipalAndAccruedInterest", async () => {
    const { loanId, startTime } = await openAccepted();
    const at = dueAt(startTime + TERM) + GRACE + 1n;
    await time.setNextTimestamp(at);

    await send(pool, "declareDefault", loanId);

    expect(await call(pool, "totalAssets")).toBe(DEPOSIT - PRINCIPAL);
    expect(await performing()).toEqual({ principal: 0n, interest: 0n, rateWeight: 0n, anchor: 0n });
  });

  it("test_jitDeposit_beforeLargeRepayment_getsOnlyItsTimeShareOfTheInterest", async () => {
    // The numbers: lenders hold $100,000, all lent earning $40,000 (the year at
    // 40 %, here a tenth of a year at 400 %: terms are at most 62 days); an attacker deposits
    // $1,000,000 in the block before the $140,000 repayment and redeems right after. Counting
    // interest only when repaid, it took $36,364 of the $40,000.
    const rate = 40_000n;
    const term = 31_536_000n / 10n;
    const principal = 100_000n * USD;
    const attacker = other;
    await send(pool, "setLoanTerms", rate, MIN_TERM, MAX_TERM, GRACE);
    await send(as(pool, lender), "withdraw", DEPOSIT - principal, lender.address, lender.address);
    const { loanId, startTime } = await openAccepted({
      principal,
      termSeconds: term,
      collateralAmount: 67n * COLLATERAL,
      maxRateBps: Number(rate),
    });
    const stake = 1_000_000n * USD;
    await mintAndApprove(attacker, stake);
    const repayAt = startTime + term;

    await time.setNextTimestamp(repayAt - 1n);
    await send(as(pool, attacker), "deposit", stake, attacker.address);
    await time.setNextTimestamp(repayAt);
    await send(as(pool, payer), "repay", loanId, 2n * principal);
    await time.setNextTimestamp(repayAt + 1n);
    const shares = await call<bigint>(pool, "balanceOf", attacker.address);
    await send(as(pool, attacker), "redeem", shares, attacker.address, attacker.address);

    const interest = interestFor(principal, rate, term);
    expect(interest).toBe(40_000n * USD);
    const profit = (await balanceOf(attacker.address)) - stake;
    // At most the interest of the one second it was in (about $0.013), never the term's.
    expect(profit).toBeLessThanOrEqual(interestFor(principal, rate, 1n));
    expect(profit).toBeGreaterThanOrEqual(-1n);
    const lenderAssets = await call<bigint>(
      pool,
      "convertToAssets",
      await call<bigint>(pool, "balanceOf", lender.address),
    );
    expect(lenderAssets).toBeGreaterThanOrEqual(
      principal + interest - interestFor(principal, rate, 1n) - 1n,
    );
  });

  it.each([
    ["repay", "performing"],
    ["liquidate", "performing"],
    ["repay", "overdue"],
    ["declareDefault", "overdue"],
    ["liquidate", "overdue"],
  ] as const)(
    "test_%s_absurdPrincipalAtMaxRate_%s_succeedsWithSaturatedDebt",
    async (close, when) => {
      // An owner-set maximum rate on a principal near the wire's uint128, at its longest term
      // (still performing: due at or after it) or ten years on (overdue): the interest would
      // exceed 128 bits; it saturates so the loan can still be closed, and the performing sums
      // come back to exactly zero.
      const principal = 2n ** 127n;
      await send(pool, "setLoanTerms", MAX_RATE_BPS, MIN_TERM, MAX_TERM, GRACE);
      await mintAndApprove(lender, principal);
      await send(as(pool, lender), "deposit", principal, lender.address);
      await send(feed, "setPrice", ETH_PRICE_ID, 4n * 10n ** 18n);
      const { loanId, startTime } = await openAccepted({
        principal,
        collateralAmount: principal,
        maxRateBps: Number(MAX_RATE_BPS),
        termSeconds: MAX_TERM,
      });
      const elapsed = when === "performing" ? MAX_TERM : 10n * 31_536_000n;
      await time.setNextTimestamp(startTime + elapsed);
      await send(feed, "setPrice", ETH_PRICE_ID, 10n ** 18n);
      expect((await performing()).principal).toBe(when === "performing" ? principal : 0n);
      const [owedPrincipal, owedInterest] = await call<[bigint, bigint]>(pool, "debtOf", loanId);
      expect(owedPrincipal + owedInterest).toBe(UINT128_MAX);
      expect(principal + interestFor(principal, MAX_RATE_BPS, elapsed)).toBeGreaterThan(
        UINT128_MAX,
      );

      let receipt: TransactionReceipt;
      if (close === "repay") {
        await mintAndApprove(payer, UINT128_MAX);
        receipt = await send(as(pool, payer), "repay", loanId, 2n ** 256n - 1n);
        expect(onlySent(recorder, receipt).message).toEqual({
          type: "REPAID",
          loanId,
          amountRepaid: UINT128_MAX,
        });
      } else {
        receipt = await send(as(pool, other), close, loanId);
        expect(onlySent(recorder, receipt).message).toMatchObject({
          loanId,
          outstanding: UINT128_MAX,
        });
      }
      expect((await loanOf(loanId)).status).not.toBe(Status.Active);
      expect(await performing()).toEqual({
        principal: 0n,
        interest: 0n,
        rateWeight: 0n,
        anchor: 0n,
      });
    },
  );
});

describe("LendingPool.repay", () => {
  it("repay_partialThenFull_interestFirstCappedAtDebtAndAnswersRepaid", async () => {
    // Due after the second payment (62 days), overdue at the third (90 days).
    const { loanId, startTime } = await openAccepted({ termSeconds: MAX_TERM });
    const payerStart = await balanceOf(payer.address);
    const poolStart = await balanceOf(pool.target);

    // 1. Half the interest after 30 days: all of it goes to interest.
    const i1 = interestFor(PRINCIPAL, RATE_BPS, 2_592_000n);
    await time.setNextTimestamp(startTime + 2_592_000n);
    let receipt = await send(as(pool, payer), "repay", loanId, i1 / 2n);
    expect(onlyEvent(pool, receipt, "LoanRepayment")).toEqual([
      loanId,
      payer.address,
      i1 / 2n,
      0n,
      PRINCIPAL,
      i1 - i1 / 2n,
    ]);
    expect(onlySent.bind(null, recorder, receipt)).toThrow();

    // 2. $500 after 60 days: the rest of the interest, then principal.
    const i2 = interestFor(PRINCIPAL, RATE_BPS, 2_592_000n);
    const interestDue = i1 - i1 / 2n + i2;
    const payment = 500_000_000n;
    await time.setNextTimestamp(startTime + 5_184_000n);
    receipt = await send(as(pool, payer), "repay", loanId, payment);
    const principalLeft = PRINCIPAL - (payment - interestDue);
    expect(onlyEvent(pool, receipt, "LoanRepayment")).toEqual([
      loanId,
      payer.address,
      interestDue,
      payment - interestDue,
      principalLeft,
      0n,
    ]);
    expect((await performing()).principal).toBe(principalLeft);

    // 3. Ten times the debt after 90 days: capped at the debt; REPAID.
    const i3 = interestFor(principalLeft, RATE_BPS, 2_592_000n);
    const finalPayment = principalLeft + i3;
    await time.setNextTimestamp(startTime + 7_776_000n);
    receipt = await send(as(pool, payer), "repay", loanId, 10n * PRINCIPAL);
    const total = i1 / 2n + payment + finalPayment;
    expect(onlyEvent(pool, receipt, "LoanRepayment")).toEqual([
      loanId,
      payer.address,
      i3,
      principalLeft,
      0n,
      0n,
    ]);
    expect(onlyEvent(pool, receipt, "LoanRepaid")).toEqual([loanId, total]);
    const sent = onlySent(recorder, receipt);
    expect(sent.dstEid).toBe(VAULT_EID);
    expect(sent.message).toEqual({ type: "REPAID", loanId, amountRepaid: total });
    expect(total).toBe(PRINCIPAL + i1 + i2 + i3);

    expect(await loanOf(loanId)).toMatchObject({
      status: Status.Repaid,
      principal: 0n,
      interest: 0n,
      repaid: total,
    });
    expect((await performing()).principal).toBe(0n);
    expect(await balanceOf(payer.address)).toBe(payerStart - total);
    expect(await balanceOf(pool.target)).toBe(poolStart + total);
    expect(await call(pool, "totalAssets")).toBe(DEPOSIT + i1 + i2 + i3);

    const again = await poolRevert(as(pool, payer).getFunction("repay").send(loanId, 1n));
    expect(again).toEqual({ name: "PoolLoanNotActive", args: [loanId, Status.Repaid] });
  });

  it("repay_returnsThePaidAmount", async () => {
    const { loanId } = await openAccepted();
    const paid = await call<bigint>(as(pool, payer), "repay", loanId, 10n * PRINCIPAL);
    expect(paid).toBeGreaterThanOrEqual(PRINCIPAL);
    expect(paid).toBeLessThan(PRINCIPAL + PRINCIPAL / 100n);
  });

  it("repay_zero_reverts", async () => {
    const { loanId } = await openAccepted();
    const reverted = await poolRevert(as(pool, payer).getFunction("repay").send(loanId, 0n));
    expect(reverted).toEqual({ name: "PoolZeroRepayment", args: [] });
  });

  it("repay_unknownLoan_reverts", async () => {
    const reverted = await poolRevert(as(pool, payer).getFunction("repay").send(id("none"), 1n));
    expect(reverted).toEqual({ name: "PoolLoanNotActive", args: [id("none"), Status.None] });
  });

  it("repay_rejectedLoan_reverts", async () => {
    const message = await openLoan({ principal: 0n });
    await deliver(message);
    const reverted = await poolRevert(
      as(pool, payer).getFunction("repay").send(message.loanId, 1n),
    );
    expect(reverted).toEqual({
      name: "PoolLoanNotActive",
      args: [message.loanId, Status.Rejected],
    });
  });

  it("repay_withoutAllowance_revertsInTheStablecoin", async () => {
    const { loanId } = await openAccepted();
    const reverted = await poolRevert(as(pool, other).getFunction("repay").send(loanId, 1n));
    expect(reverted.name).toBe("ERC20InsufficientAllowance");
  });

  it("repay_whilePaused_works", async () => {
    const { loanId } = await openAccepted();
    await send(pool, "pause");
    await send(as(pool, payer), "repay", loanId, 1n);
    expect((await loanOf(loanId)).repaid).toBe(1n);
  });
});

describe("LendingPool.declareDefault", () => {
  it("declareDefault_boundary_revertsAtDuePlusGraceThenDefaultsOneSecondLater", async () => {
    const { loanId, startTime } = await openAccepted();
    const dueTime = dueAt(startTime + TERM);
    const deadline = dueTime + GRACE;

    await time.setNextTimestamp(deadline);
    const early = await poolRevert(as(pool, other).getFunction("declareDefault").send(loanId));
    expect(early).toEqual({ name: "PoolLoanNotOverdue", args: [loanId, deadline] });

    await time.setNextTimestamp(deadline + 1n);
    const receipt = await send(as(pool, other), "declareDefault", loanId);

    const outstanding = PRINCIPAL + interestFor(PRINCIPAL, RATE_BPS, deadline + 1n - startTime);
    const sent = onlySent(recorder, receipt);
    expect(sent.dstEid).toBe(VAULT_EID);
    expect(sent.message).toEqual({
      type: "DEFAULTED",
      loanId,
      outstanding,
      beneficiary: addressToWire(beneficiary.address),
    });
    expect(onlyEvent(pool, receipt, "LoanDefaulted")).toEqual([
      loanId,
      PRINCIPAL,
      outstanding,
      addressToWire(beneficiary.address),
    ]);
    expect((await loanOf(loanId)).status).toBe(Status.Defaulted);
    expect((await performing()).principal).toBe(0n);
    expect(await call(pool, "totalAssets")).toBe(DEPOSIT - PRINCIPAL);

    const again = await poolRevert(pool.getFunction("declareDefault").send(loanId));
    expect(again).toEqual({ name: "PoolLoanNotActive", args: [loanId, Status.Defaulted] });
  });

  it("declareDefault_partlyRepaid_writesOffTheRest", async () => {
    const { loanId } = await openAccepted();
    await send(as(pool, payer), "repay", loanId, 400_000_000n);
    const { principal, dueTime } = await loanOf(loanId);
    await time.setNextTimestamp(dueTime + GRACE + 1n);
    const receipt = await send(pool, "declareDefault", loanId);
    const [, writtenOff] = onlyEvent(pool, receipt, "LoanDefaulted");
    expect(writtenOff).toBe(principal);
    expect((await performing()).principal).toBe(0n);
  });

  it("declareDefault_withoutBeneficiary_reverts", async () => {
    await send(pool, "setCollateral", OTHER_EID, ETH, [MAX_LTV, LIQUIDATION_LTV, ETH_PRICE_ID]);
    const message = await openLoan();
    await deliver(message, OTHER_EID);
    await time.setNextTimestamp((await loanOf(message.loanId)).dueTime + GRACE + 1n);
    const reverted = await poolRevert(pool.getFunction("declareDefault").send(message.loanId));
    expect(reverted).toEqual({ name: "PoolBeneficiaryNotSet", args: [BigInt(OTHER_EID)] });
  });
});

describe("LendingPool.liquidate", () => {
  it("liquidate_atThresholdReverts_oneUnitBelowLiquidates", async () => {
    const { loanId, startTime } = await openAccepted();
    const at = startTime + 864_000n;
    const debtAt = (t: bigint) => PRINCIPAL + interestFor(PRINCIPAL, RATE_BPS, t - startTime);
    // The lowest price at which debt * 10,000 <= value * 8,000 (collateral is 10^18 wei, so
    // value = price).
    const thresholdPrice = (debtAt(at) * BPS + LIQUIDATION_LTV - 1n) / LIQUIDATION_LTV;

    await time.setNextTimestamp(at - 1n);
    await send(feed, "setPrice", ETH_PRICE_ID, thresholdPrice);
    await time.setNextTimestamp(at);
    const healthy = await poolRevert(as(pool, other).getFunction("liquidate").send(loanId));
    expect(healthy).toEqual({
      name: "PoolLoanHealthy",
      args: [loanId, debtAt(at), (thresholdPrice * LIQUIDATION_LTV) / BPS],
    });

    await time.setNextTimestamp(at + 1n);
    await send(feed, "setPrice", ETH_PRICE_ID, thresholdPrice - 1n);
    await time.setNextTimestamp(at + 2n);
    const receipt = await send(as(pool, other), "liquidate", loanId);

    const outstanding = debtAt(at + 2n);
    expect(onlySent(recorder, receipt).message).toEqual({
      type: "LIQUIDATED",
      loanId,
      outstanding,
      beneficiary: addressToWire(beneficiary.address),
    });
    expect(onlyEvent(pool, receipt, "LoanLiquidated")).toEqual([
      loanId,
      PRINCIPAL,
      outstanding,
      addressToWire(beneficiary.address),
      thresholdPrice - 1n,
    ]);
    expect((await loanOf(loanId)).status).toBe(Status.Liquidated);
    expect((await performing()).principal).toBe(0n);

    const again = await poolRevert(pool.getFunction("liquidate").send(loanId));
    expect(again).toEqual({ name: "PoolLoanNotActive", args: [loanId, Status.Liquidated] });
  });

  it("liquidate_stalePrice_reverts", async () => {
    const { loanId } = await openAccepted();
    const receipt = await send(feed, "setPrice", ETH_PRICE_ID, 1n);
    const setAt = await time.timeOf(receipt);
    await time.setNextTimestamp(setAt + MAX_PRICE_AGE + 1n);
    const reverted = await poolRevert(pool.getFunction("liquidate").send(loanId));
    expect(reverted).toEqual({ name: "PoolPriceUnavailable", args: [ETH_PRICE_ID, 1n, setAt] });
  });

  it("liquidate_missingPrice_reverts", async () => {
    const { loanId } = await openAccepted();
    await send(feed, "setPrice", ETH_PRICE_ID, 0n);
    const reverted = await poolRevert(pool.getFunction("liquidate").send(loanId));
    expect(reverted).toEqual({ name: "PoolPriceUnavailable", args: [ETH_PRICE_ID, 0n, 0n] });
  });

  it("liquidate_collateralNoLongerConfigured_reverts", async () => {
    const { loanId } = await openAccepted();
    await send(pool, "setCollateral", VAULT_EID, ETH, [0, 0, ZERO_BYTES32]);
    const reverted = await poolRevert(pool.getFunction("liquidate").send(loanId));
    expect(reverted).toEqual({
      name: "PoolCollateralNotConfigured",
      args: [BigInt(VAULT_EID), ETH],
    });
  });

  it("liquidate_withoutBeneficiary_reverts", async () => {
    const { loanId } = await openAccepted();
    await send(pool, "setBeneficiary", VAULT_EID, ZERO_BYTES32);
    await send(feed, "setPrice", ETH_PRICE_ID, 1n);
    const reverted = await poolRevert(pool.getFunction("liquidate").send(loanId));
    expect(reverted).toEqual({ name: "PoolBeneficiaryNotSet", args: [BigInt(VAULT_EID)] });
  });
});

describe("LendingPool reentrancy", () => {
  let token: Contract;
  let pool2: Contract;

  beforeEach(async () => {
    token = await ethers.deployContract("ReentrantToken", [6]);
    pool2 = await ethers.deployContract("LendingPool", [
      token.target,
      recorder.target,
      owner.address,
      DUE_BUCKET,
      "r",
      "R",
    ]);
    await send(pool2, "setLoanTerms", RATE_BPS, MIN_TERM, MAX_TERM, GRACE);
    await send(pool2, "setCollateral", VAULT_EID, ETH, [MAX_LTV, LIQUIDATION_LTV, ETH_PRICE_ID]);
    await send(pool2, "setPriceFeed", feed.target, MAX_PRICE_AGE);
    for (const signer of [lender, payer]) {
      await send(token, "mint", signer.address, DEPOSIT);
      await send(as(token, signer), "approve", pool2.target, 2n ** 256n - 1n);
    }
  });

  async function expectBlocked(): Promise<void> {
    expect(await call(token, "callbacks")).toBe(1n);
    expect(await call(token, "lastCallSucceeded")).toBe(false);
    expect(await call(token, "lastRevertData")).toBe(
      errorSelector(pool.interface, "ReentrancyGuardReentrantCall"),
    );
  }

  it("deposit_tokenReenteringWithdraw_isBlocked", async () => {
    await send(as(pool2, lender), "deposit", 1_000n, lender.address);
    await send(
      token,
      "arm",
      pool2.target,
      pool2.interface.encodeFunctionData("deposit", [1n, lender.address]),
    );
    await send(as(pool2, lender), "deposit", 1_000n, lender.address);
    await expectBlocked();
  });

  it("repayAndDisbursement_tokenReentering_isBlocked", async () => {
    await send(as(pool2, lender), "deposit", DEPOSIT, lender.address);
    const message = await openLoan();
    await send(
      token,
      "arm",
      pool2.target,
      pool2.interface.encodeFunctionData("liquidate", [message.loanId]),
    );
    await send(recorder, "deliver", pool2.target, VAULT_EID, VAULT_APP, id("g"), encode(message));
    await expectBlocked();

    await send(
      token,
      "arm",
      pool2.target,
      pool2.interface.encodeFunctionData("repay", [message.loanId, 1n]),
    );
    await send(as(pool2, payer), "repay", message.loanId, 10n);
    expect(await call(token, "callbacks")).toBe(2n);
    expect(await call(token, "lastRevertData")).toBe(
      errorSelector(pool.interface, "ReentrancyGuardReentrantCall"),
    );
    const loan = await call<{ repaid: bigint }>(pool2, "getLoan", message.loanId);
    expect(loan.repaid).toBe(10n);
  });
});

describe("LendingPool owner settings", () => {
  it.each([
    [0n, 5_000n],
    [5_000n, 5_000n],
    [5_000n, 4_000n],
    [5_000n, 10_001n],
    [0n, 1n],
  ])("setCollateral_invalidLtv %i/%i_reverts", async (maxLtv, liqLtv) => {
    const reverted = await poolRevert(
      pool.getFunction("setCollateral").send(VAULT_EID, ETH, [maxLtv, liqLtv, ETH_PRICE_ID]),
    );
    expect(reverted).toEqual({ name: "PoolInvalidLtv", args: [maxLtv, liqLtv] });
  });

  it("setCollateral_configuresAndRemoves", async () => {
    const asset = addressToWire("0x00000000000000000000000000000000000000cc");
    let receipt = await send(pool, "setCollateral", OTHER_EID, asset, [9_000, 10_000, id("X")]);
    expect(onlyEvent(pool, receipt, "CollateralConfigured")).toEqual([
      BigInt(OTHER_EID),
      asset,
      9_000n,
      10_000n,
      id("X"),
    ]);
    expect(
      (await call<{ toArray(): unknown[] }>(pool, "collateralConfig", OTHER_EID, asset)).toArray(),
    ).toEqual([9_000n, 10_000n, id("X")]);

    receipt = await send(pool, "setCollateral", OTHER_EID, asset, [0, 0, id("X")]);
    expect(onlyEvent(pool, receipt, "CollateralConfigured")).toEqual([
      BigInt(OTHER_EID),
      asset,
      0n,
      0n,
      ZERO_BYTES32,
    ]);
    expect(
      (await call<{ toArray(): unknown[] }>(pool, "collateralConfig", OTHER_EID, asset)).toArray(),
    ).toEqual([0n, 0n, ZERO_BYTES32]);
  });

  it("setLoanTerms_rateAboveMax_reverts_atMaxAccepted", async () => {
    const reverted = await poolRevert(
      pool.getFunction("setLoanTerms").send(MAX_RATE_BPS + 1n, MIN_TERM, MAX_TERM, GRACE),
    );
    expect(reverted).toEqual({ name: "PoolRateAboveMax", args: [MAX_RATE_BPS + 1n, MAX_RATE_BPS] });
    expect(await call(pool, "rateBps")).toBe(RATE_BPS);

    await send(pool, "setLoanTerms", MAX_RATE_BPS, MIN_TERM, MAX_TERM, GRACE);
    expect(await call(pool, "rateBps")).toBe(MAX_RATE_BPS);
  });

  it("setLoanTerms_minAboveMax_reverts", async () => {
    const reverted = await poolRevert(pool.getFunction("setLoanTerms").send(1, 10, 9, 0));
    expect(reverted).toEqual({ name: "PoolInvalidTermRange", args: [10n, 9n] });
  });

  it("setters_emitAndStore", async () => {
    let receipt = await send(pool, "setLoanTerms", 7, 1, 2, 3);
    expect(onlyEvent(pool, receipt, "LoanTermsSet")).toEqual([7n, 1n, 2n, 3n]);
    expect([
      await call(pool, "rateBps"),
      await call(pool, "minTermSeconds"),
      await call(pool, "maxTermSeconds"),
      await call(pool, "gracePeriodSeconds"),
    ]).toEqual([7n, 1n, 2n, 3n]);

    receipt = await send(pool, "setBeneficiary", OTHER_EID, id("b"));
    expect(onlyEvent(pool, receipt, "BeneficiarySet")).toEqual([BigInt(OTHER_EID), id("b")]);
    expect(await call(pool, "beneficiary", OTHER_EID)).toBe(id("b"));

    receipt = await send(pool, "setPriceFeed", other.address, 5);
    expect(onlyEvent(pool, receipt, "PriceFeedSet")).toEqual([other.address, 5n]);
    expect([await call(pool, "priceFeed"), await call(pool, "maxPriceAge")]).toEqual([
      other.address,
      5n,
    ]);

    receipt = await send(pool, "setGuardian", other.address);
    expect(onlyEvent(pool, receipt, "GuardianSet")).toEqual([other.address]);
    expect(await call(pool, "guardian")).toBe(other.address);
  });

  it.each([
    ["setCollateral", () => [VAULT_EID, ETH, [1, 2, ETH_PRICE_ID]]],
    ["setLoanTerms", () => [1, 1, 1, 1]],
    ["setBeneficiary", () => [VAULT_EID, ETH]],
    ["setPriceFeed", () => [ethers.ZeroAddress, 1]],
    ["setGuardian", () => [ethers.ZeroAddress]],
    ["unpause", () => []],
    ["renounceOwnership", () => []],
  ] as const)("%s_byNonOwner_reverts", async (fn, args) => {
    const reverted = await poolRevert(
      as(pool, guardian)
        .getFunction(fn)
        .send(...args()),
    );
    expect(reverted).toEqual({ name: "OwnableUnauthorizedAccount", args: [guardian.address] });
  });

  it("renounceOwnership_byOwner_revertsAndKeepsOwnership", async () => {
    await send(pool, "transferOwnership", other.address);

    const reverted = await poolRevert(pool.getFunction("renounceOwnership").send());

    expect(reverted).toEqual({ name: "PoolRenounceDisabled", args: [] });
    expect(await call(pool, "owner")).toBe(owner.address);
    expect(await call(pool, "pendingOwner")).toBe(other.address);
  });

  it("pause_byGuardianOrOwner_notByOthers", async () => {
    const denied = await poolRevert(as(pool, other).getFunction("pause").send());
    expect(denied).toEqual({ name: "PoolNotGuardian", args: [other.address] });

    const receipt = await send(as(pool, guardian), "pause");
    expect(onlyEvent(pool, receipt, "Paused")).toEqual([guardian.address]);
    expect(await call(pool, "paused")).toBe(true);
    const twice = await poolRevert(pool.getFunction("pause").send());
    expect(twice.name).toBe("EnforcedPause");

    await send(pool, "unpause");
    expect(await call(pool, "paused")).toBe(false);
    const notPaused = await poolRevert(pool.getFunction("unpause").send());
    expect(notPaused.name).toBe("ExpectedPause");
    await send(pool, "pause");
    expect(await call(pool, "paused")).toBe(true);
  });
});

describe("AdminPriceFeed", () => {
  it("setPrice_storesWithBlockTimeAndEmits", async () => {
    const receipt = await send(feed, "setPrice", id("SOL/USD"), 150n * 10n ** 15n);
    const at = await time.timeOf(receipt);
    expect(onlyEvent(feed, receipt, "PriceSet")).toEqual([id("SOL/USD"), 150n * 10n ** 15n, at]);
    expect((await call<{ toArray(): unknown[] }>(feed, "price", id("SOL/USD"))).toArray()).toEqual([
      150n * 10n ** 15n,
      at,
    ]);
  });

  it("price_unknownAsset_isZeroZero", async () => {
    expect((await call<{ toArray(): unknown[] }>(feed, "price", id("nothing"))).toArray()).toEqual([
      0n,
      0n,
    ]);
  });

  it("setPrice_zero_clearsThePrice", async () => {
    await send(feed, "setPrice", ETH_PRICE_ID, 0n);
    expect((await call<{ toArray(): unknown[] }>(feed, "price", ETH_PRICE_ID)).toArray()).toEqual([
      0n,
      0n,
    ]);
  });

  it("setPrice_above192Bits_reverts", async () => {
    const reverted = await expectRevert(
      feed.getFunction("setPrice").send(ETH_PRICE_ID, 2n ** 192n),
      feed.interface,
    );
    expect(reverted).toEqual({ name: "SafeCastOverflowedUintDowncast", args: [192n, 2n ** 192n] });
  });

  it("renounceOwnership_byOwner_revertsAndKeepsOwnership", async () => {
    await send(feed, "transferOwnership", other.address);

    const reverted = await expectRevert(
      feed.getFunction("renounceOwnership").send(),
      feed.interface,
    );

    expect(reverted).toEqual({ name: "AdminPriceFeedRenounceDisabled", args: [] });
    expect(await call(feed, "owner")).toBe(owner.address);
    expect(await call(feed, "pendingOwner")).toBe(other.address);
    const byOther = await expectRevert(
      as(feed, other).getFunction("renounceOwnership").send(),
      feed.interface,
    );
    expect(byOther).toEqual({ name: "OwnableUnauthorizedAccount", args: [other.address] });
  });

  it("setPrice_byNonOwner_reverts", async () => {
    const reverted = await expectRevert(
      as(feed, other).getFunction("setPrice").send(ETH_PRICE_ID, 1n),
      feed.interface,
    );
    expect(reverted).toEqual({ name: "OwnableUnauthorizedAccount", args: [other.address] });
  });
});
