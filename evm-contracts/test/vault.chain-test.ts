// CollateralVault (shared/LOANS.md "Vault") against a SendRecorder standing in
// for the endpoint: the vault's `msg.sender == endpoint` check stays real, sent
// messages are read back from the recorder's log, answers are delivered through it.
import { addressToWire, type Hex, type LoanMessage, type LoanMessageOf } from "@loanbridge/shared";
import { type Contract, id, keccak256, solidityPacked, type TransactionReceipt } from "ethers";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  as,
  call,
  chain,
  encode,
  errorSelector,
  expectRevert,
  feeOf,
  LENDING_EID,
  onlyEvent,
  onlySent,
  send,
  type Signer,
  VAULT_EID,
  ZERO_BYTES32,
} from "./apps.ts";
import { buildContracts, hre } from "./hre.ts";

const { ethers } = await hre.network.create();
const time = chain(ethers);

const REQUEST_TTL = 3_600n;
/** The grace the removed timeout refund waited after `expiresAt`: outages longer than this. */
const OLD_ANSWER_GRACE = 86_400n;
const POOL: Hex = addressToWire("0x000000000000000000000000000000000000b001");
const ETH = "0x0000000000000000000000000000000000000000";

const State = { None: 0n, Requested: 1n, Active: 2n, Released: 3n, Seized: 4n, Refunded: 5n };

let owner: Signer;
let borrower: Signer;
let other: Signer;
let beneficiary: Signer;
let recorder: Contract;
let vault: Contract;
let token: Contract;
let feeToken: Contract;
let baseSnapshot: string;
let guidCounter = 0;

interface LoanRecord {
  borrower: string;
  expiresAt: bigint;
  state: bigint;
  asset: string;
  dueTime: bigint;
  rateBps: bigint;
  collateralAmount: bigint;
  principal: bigint;
}

async function loanOf(loanId: string): Promise<LoanRecord> {
  const loan = await call<{ toObject(): LoanRecord }>(vault, "getLoan", loanId);
  return loan.toObject();
}

const RECIPIENT: Hex = addressToWire("0x00000000000000000000000000000000000000aa");

interface OpenOptions {
  from?: Signer;
  asset?: string;
  amount?: bigint;
  principal?: bigint;
  maxRateBps?: number;
  termSeconds?: bigint;
  installments?: number;
  recipient?: Hex;
  value?: bigint;
}

/** Opens a loan; returns its id and the receipt. */
async function open(
  options: OpenOptions = {},
): Promise<{ loanId: Hex; receipt: TransactionReceipt }> {
  const from = options.from ?? borrower;
  const asset = options.asset ?? ETH;
  const amount = options.amount ?? 10n ** 18n;
  const value = options.value ?? (asset === ETH ? amount : 0n);
  const args = [
    asset,
    amount,
    options.principal ?? 1_000_000_000n,
    options.maxRateBps ?? 1_500,
    options.termSeconds ?? 2_592_000n,
    options.installments ?? 1,
    options.recipient ?? RECIPIENT,
  ];
  const receipt = await send(as(vault, from), "open", ...args, { value });
  const [loanId] = onlyEvent(vault, receipt, "LoanRequested") as [Hex];
  return { loanId, receipt };
}

/** Delivers a message to the vault through the recorder, as the lending chain's pool. */
async function deliver(message: LoanMessage, srcEid = LENDING_EID): Promise<TransactionReceipt> {
  guidCounter += 1;
  return send(
    recorder,
    "deliver",
    vault.target,
    srcEid,
    POOL,
    id(`guid-${guidCounter}`),
    encode(message),
  );
}

function deliverPending(message: LoanMessage, srcEid = LENDING_EID): Promise<unknown> {
  return recorder.getFunction("deliver").send(vault.target, srcEid, POOL, id("g"), encode(message));
}

function active(loanId: Hex, overrides: Partial<LoanMessageOf<"LOAN_ACTIVE">> = {}): LoanMessage {
  return {
    type: "LOAN_ACTIVE",
    loanId,
    principal: 1_000_000_000n,
    rateBps: 1_000,
    startTime: 1_800_000_000n,
    dueTime: 1_802_592_000n,
    ...overrides,
  };
}

function seizure(
  type: "DEFAULTED" | "LIQUIDATED",
  loanId: Hex,
  to: Hex = addressToWire(beneficiary.address),
): LoanMessage {
  return { type, loanId, outstanding: 1_100_000_000n, beneficiary: to };
}

async function tokenBalance(contract: Contract, account: string): Promise<bigint> {
  return call<bigint>(contract, "balanceOf", account);
}

const vaultRevert = (pending: Promise<unknown>) => expectRevert(pending, vault.interface);

beforeAll(async () => {
  await buildContracts();
  const signers = await ethers.getSigners();
  const [s0, s1, s2, s3] = signers;
  if (s0 === undefined || s1 === undefined || s2 === undefined || s3 === undefined) {
    throw new Error("need four signers");
  }
  [owner, borrower, other, beneficiary] = [s0, s1, s2, s3];
  recorder = await ethers.deployContract("SendRecorder", [VAULT_EID]);
  vault = await ethers.deployContract("CollateralVault", [
    recorder.target,
    LENDING_EID,
    REQUEST_TTL,
    owner.address,
  ]);
  token = await ethers.deployContract("TestToken", ["Wrapped Test", "WTST"]);
  feeToken = await ethers.deployContract("FeeOnTransferToken");
  for (const asset of [token, feeToken]) {
    await send(vault, "setAssetAllowed", asset.target, true);
    await send(asset, "mint", borrower.address, 10n ** 24n);
    await send(as(asset, borrower), "approve", vault.target, 2n ** 256n - 1n);
  }
  baseSnapshot = await time.snapshot();
});

beforeEach(async () => {
  await time.revert(baseSnapshot);
  baseSnapshot = await time.snapshot();
});

describe("CollateralVault deployment", () => {
  it("constructor_readsLocalEidAndKeepsSettings", async () => {
    expect(await call(vault, "endpoint")).toBe(recorder.target);
    expect(await call(vault, "localEid")).toBe(BigInt(VAULT_EID));
    expect(await call(vault, "lendingEid")).toBe(BigInt(LENDING_EID));
    expect(await call(vault, "requestTtl")).toBe(REQUEST_TTL);
    expect(await call(vault, "nonce")).toBe(0n);
    expect(await call(vault, "isAssetAllowed", ETH)).toBe(true);
  });

  it("constructor_revertsOnZeroRequestTtl", async () => {
    const factory = await ethers.getContractFactory("CollateralVault");
    const reverted = await vaultRevert(
      factory.deploy(recorder.target, LENDING_EID, 0, owner.address),
    );
    expect(reverted.name).toBe("VaultZeroRequestTtl");
  });
});

describe("CollateralVault.open", () => {
  it("open_native_locksRecordsEmitsAndSendsOpenLoanWithItsInstallments", async () => {
    const amount = 2n * 10n ** 18n;
    const before = await time.balance(borrower.address);

    const { loanId, receipt } = await open({
      amount,
      principal: 3_000_000_000n,
      maxRateBps: 1_234,
      installments: 3,
    });
    const now = await time.timeOf(receipt);

    // The deadline is part of the id, so the lending chain can check a cancellation's deadline.
    const expectedId = keccak256(
      solidityPacked(
        ["uint32", "bytes32", "bytes32", "uint64", "uint64"],
        [
          VAULT_EID,
          addressToWire(vault.target as string),
          addressToWire(borrower.address),
          1,
          now + REQUEST_TTL,
        ],
      ),
    );
    expect(loanId).toBe(expectedId);
    expect(await call(vault, "computeLoanId", borrower.address, 1, now + REQUEST_TTL)).toBe(
      expectedId,
    );
    expect(await call(vault, "nonce")).toBe(1n);
    expect(await time.balance(vault.target as string)).toBe(amount);
    expect(await time.balance(borrower.address)).toBe(before - amount - feeOf(receipt));
    expect(await loanOf(loanId)).toEqual({
      borrower: borrower.address,
      expiresAt: now + REQUEST_TTL,
      state: State.Requested,
      asset: ETH,
      dueTime: 0n,
      rateBps: 0n,
      collateralAmount: amount,
      principal: 3_000_000_000n,
    });
    expect(onlyEvent(vault, receipt, "LoanRequested")).toEqual([
      loanId,
      borrower.address,
      ETH,
      amount,
      3_000_000_000n,
      1_234n,
      2_592_000n,
      3n,
      RECIPIENT,
      now + REQUEST_TTL,
      1n,
    ]);
    const sent = onlySent(recorder, receipt);
    expect(sent.app).toBe(vault.target);
    expect(sent.dstEid).toBe(LENDING_EID);
    expect(sent.message).toEqual({
      type: "OPEN_LOAN",
      loanId,
      borrower: addressToWire(borrower.address),
      recipient: RECIPIENT,
      collateralAsset: ZERO_BYTES32,
      collateralAmount: amount,
      principal: 3_000_000_000n,
      maxRateBps: 1_234,
      termSeconds: 2_592_000n,
      expiresAt: now + REQUEST_TTL,
      installments: 3,
    });
  });

  it("open_erc20_pullsTokensAndSendsOpenLoanWithTokenAddress", async () => {
    const amount = 5n * 10n ** 18n;
    const before = await tokenBalance(token, borrower.address);

    const { loanId, receipt } = await open({ asset: token.target as string, amount });

    expect(await tokenBalance(token, vault.target as string)).toBe(amount);
    expect(await tokenBalance(token, borrower.address)).toBe(before - amount);
    expect((await loanOf(loanId)).asset).toBe(token.target);
    const { message } = onlySent(recorder, receipt);
    expect(message).toMatchObject({
      type: "OPEN_LOAN",
      loanId,
      collateralAsset: addressToWire(token.target as string),
      collateralAmount: amount,
    });
  });

  it("open_twice_countsNonceAndDerivesDistinctIds", async () => {
    const first = await open();
    const second = await open({ from: other });

    expect(await call(vault, "nonce")).toBe(2n);
    const { expiresAt } = await loanOf(second.loanId);
    expect(second.loanId).toBe(await call(vault, "computeLoanId", other.address, 2, expiresAt));
    expect(second.loanId).not.toBe(first.loanId);
    expect(onlySent(recorder, second.receipt).nonce).toBe(2n);
  });

  it("open_usesTheCurrentRequestTtl", async () => {
    await send(vault, "setRequestTtl", 60);
    const { loanId, receipt } = await open();
    expect((await loanOf(loanId)).expiresAt).toBe((await time.timeOf(receipt)) + 60n);
  });

  it.each([
    ["VaultZeroCollateral", { amount: 0n }, []],
    ["VaultZeroPrincipal", { principal: 0n }, []],
    ["VaultZeroInstallments", { installments: 0 }, []],
    ["VaultZeroRecipient", { recipient: ZERO_BYTES32 }, []],
    ["VaultValueMismatch", { amount: 10n, value: 9n }, [10n, 9n]],
    ["VaultValueMismatch", { amount: 10n, value: 11n }, [10n, 11n]],
  ] as const)("open_revertsWith %s %#", async (name, options, args) => {
    const reverted = await vaultRevert(open(options));
    expect(reverted).toEqual({ name, args });
    expect(await call(vault, "nonce")).toBe(0n);
  });

  it("open_erc20WithValue_revertsWithValueMismatch", async () => {
    const reverted = await vaultRevert(
      open({ asset: token.target as string, amount: 5n, value: 1n }),
    );
    expect(reverted).toEqual({ name: "VaultValueMismatch", args: [0n, 1n] });
  });

  it("open_disallowedAsset_reverts", async () => {
    const stray = await ethers.deployContract("TestToken", ["Stray", "STR"]);
    const reverted = await vaultRevert(open({ asset: stray.target as string }));
    expect(reverted).toEqual({ name: "VaultAssetNotAllowed", args: [stray.target] });
  });

  it("open_removedAsset_reverts", async () => {
    await send(vault, "setAssetAllowed", token.target, false);
    const reverted = await vaultRevert(open({ asset: token.target as string }));
    expect(reverted).toEqual({ name: "VaultAssetNotAllowed", args: [token.target] });
  });

  it("open_feeOnTransferToken_revertsWithTransferAmountMismatch", async () => {
    const amount = 10n ** 18n;
    const reverted = await vaultRevert(open({ asset: feeToken.target as string, amount }));
    expect(reverted).toEqual({
      name: "VaultTransferAmountMismatch",
      args: [feeToken.target, amount, amount - amount / 100n],
    });
    expect(await tokenBalance(feeToken, vault.target as string)).toBe(0n);
  });
});

describe("CollateralVault.onPacket LOAN_ACTIVE", () => {
  it("loanActive_forRequested_recordsTermsAndEmits", async () => {
    const { loanId } = await open();
    const message = active(loanId, { principal: 999n, rateBps: 777 });

    const receipt = await deliver(message);

    const loan = await loanOf(loanId);
    expect(loan).toMatchObject({
      state: State.Active,
      principal: 999n,
      rateBps: 777n,
      dueTime: 1_802_592_000n,
    });
    expect(onlyEvent(vault, receipt, "LoanActivated")).toEqual([
      loanId,
      999n,
      777n,
      1_800_000_000n,
      1_802_592_000n,
    ]);
    expect(await time.balance(vault.target as string)).toBe(10n ** 18n);
  });

  it("loanActive_unknownLoan_reverts", async () => {
    const loanId = id("nobody") as Hex;
    const reverted = await vaultRevert(deliverPending(active(loanId)));
    expect(reverted).toEqual({ name: "VaultUnexpectedLoanState", args: [loanId, State.None] });
  });

  it("loanActive_twice_revertsOnSecond", async () => {
    const { loanId } = await open();
    await deliver(active(loanId));
    const reverted = await vaultRevert(deliverPending(active(loanId)));
    expect(reverted).toEqual({ name: "VaultUnexpectedLoanState", args: [loanId, State.Active] });
  });

  it("loanActive_afterLoanRejectedExpired_reverts", async () => {
    const { loanId } = await open();
    await time.increaseTime(REQUEST_TTL + 1n);
    await deliver({ type: "LOAN_REJECTED", loanId, reason: "Expired" });

    const reverted = await vaultRevert(deliverPending(active(loanId)));
    expect(reverted).toEqual({ name: "VaultUnexpectedLoanState", args: [loanId, State.Refunded] });
  });

  it("test_noTimeoutRefund_requestedLoanLongPastExpiry_waitsForTheLendingChainsAnswer", async () => {
    // The pool may have disbursed a loan whose LOAN_ACTIVE is held up (endpoint paused, relayers
    // down): the vault never refunds on elapsed time, only on a LOAN_REJECTED.
    const { loanId } = await open();
    await time.increaseTime(REQUEST_TTL + OLD_ANSWER_GRACE + 100n);

    expect(vault.interface.getFunction("refundExpired")).toBeNull();
    expect((await loanOf(loanId)).state).toBe(State.Requested);
    await deliver(active(loanId));
    expect((await loanOf(loanId)).state).toBe(State.Active);
    expect(await time.balance(vault.target as string)).toBe(10n ** 18n);
  });
});

describe("CollateralVault.onPacket LOAN_REJECTED", () => {
  it("loanRejected_native_refundsBorrowerAndEmitsReason", async () => {
    const { loanId } = await open();
    const before = await time.balance(borrower.address);

    const receipt = await deliver({ type: "LOAN_REJECTED", loanId, reason: "LtvTooHigh" });

    expect(await time.balance(borrower.address)).toBe(before + 10n ** 18n);
    expect(await time.balance(vault.target as string)).toBe(0n);
    expect((await loanOf(loanId)).state).toBe(State.Refunded);
    expect(onlyEvent(vault, receipt, "LoanRefunded")).toEqual([
      loanId,
      borrower.address,
      10n ** 18n,
      2n,
    ]);
  });

  it("loanRejected_erc20_refundsTokens", async () => {
    const { loanId } = await open({ asset: token.target as string, amount: 7n });
    const before = await tokenBalance(token, borrower.address);
    await deliver({ type: "LOAN_REJECTED", loanId, reason: "Paused" });
    expect(await tokenBalance(token, borrower.address)).toBe(before + 7n);
    expect(await tokenBalance(token, vault.target as string)).toBe(0n);
  });

  it("loanRejected_forActive_reverts", async () => {
    const { loanId } = await open();
    await deliver(active(loanId));
    const reverted = await vaultRevert(
      deliverPending({ type: "LOAN_REJECTED", loanId, reason: "Expired" }),
    );
    expect(reverted).toEqual({ name: "VaultUnexpectedLoanState", args: [loanId, State.Active] });
  });
});

describe("CollateralVault.onPacket REPAID", () => {
  it("repaid_native_releasesToBorrower", async () => {
    const { loanId } = await open();
    await deliver(active(loanId));
    const before = await time.balance(borrower.address);

    const receipt = await deliver({ type: "REPAID", loanId, amountRepaid: 1_050_000_000n });

    expect(await time.balance(borrower.address)).toBe(before + 10n ** 18n);
    expect((await loanOf(loanId)).state).toBe(State.Released);
    expect(onlyEvent(vault, receipt, "CollateralReleased")).toEqual([
      loanId,
      borrower.address,
      10n ** 18n,
      1_050_000_000n,
    ]);
  });

  it("repaid_erc20_releasesTokens", async () => {
    const { loanId } = await open({ asset: token.target as string, amount: 42n });
    await deliver(active(loanId));
    const before = await tokenBalance(token, borrower.address);
    await deliver({ type: "REPAID", loanId, amountRepaid: 1n });
    expect(await tokenBalance(token, borrower.address)).toBe(before + 42n);
  });

  it("repaid_twice_revertsOnSecond", async () => {
    const { loanId } = await open();
    await deliver(active(loanId));
    await deliver({ type: "REPAID", loanId, amountRepaid: 1n });
    const reverted = await vaultRevert(
      deliverPending({ type: "REPAID", loanId, amountRepaid: 1n }),
    );
    expect(reverted).toEqual({ name: "VaultUnexpectedLoanState", args: [loanId, State.Released] });
  });

  it("repaid_forRequested_reverts", async () => {
    const { loanId } = await open();
    const reverted = await vaultRevert(
      deliverPending({ type: "REPAID", loanId, amountRepaid: 1n }),
    );
    expect(reverted).toEqual({ name: "VaultUnexpectedLoanState", args: [loanId, State.Requested] });
  });

  it("repaid_afterRejectionRefund_reverts", async () => {
    const { loanId } = await open();
    await deliver({ type: "LOAN_REJECTED", loanId, reason: "Expired" });
    const reverted = await vaultRevert(
      deliverPending({ type: "REPAID", loanId, amountRepaid: 1n }),
    );
    expect(reverted).toEqual({ name: "VaultUnexpectedLoanState", args: [loanId, State.Refunded] });
  });

  it("repaid_afterSeizure_reverts", async () => {
    const { loanId } = await open();
    await deliver(active(loanId));
    await deliver(seizure("DEFAULTED", loanId));
    const reverted = await vaultRevert(
      deliverPending({ type: "REPAID", loanId, amountRepaid: 1n }),
    );
    expect(reverted).toEqual({ name: "VaultUnexpectedLoanState", args: [loanId, State.Seized] });
  });
});

describe("CollateralVault.onPacket DEFAULTED / LIQUIDATED", () => {
  it.each(["DEFAULTED", "LIQUIDATED"] as const)("%s_native_seizesToBeneficiary", async (type) => {
    const { loanId } = await open();
    await deliver(active(loanId));
    const before = await time.balance(beneficiary.address);

    const receipt = await deliver(seizure(type, loanId));

    expect(await time.balance(beneficiary.address)).toBe(before + 10n ** 18n);
    expect((await loanOf(loanId)).state).toBe(State.Seized);
    expect(onlyEvent(vault, receipt, "CollateralSeized")).toEqual([
      loanId,
      beneficiary.address,
      10n ** 18n,
      1_100_000_000n,
      type === "LIQUIDATED",
    ]);
  });

  it("liquidated_erc20_seizesTokens", async () => {
    const { loanId } = await open({ asset: token.target as string, amount: 9n });
    await deliver(active(loanId));
    await deliver(seizure("LIQUIDATED", loanId));
    expect(await tokenBalance(token, beneficiary.address)).toBe(9n);
  });

  it("defaulted_forRequested_reverts", async () => {
    const { loanId } = await open();
    const reverted = await vaultRevert(deliverPending(seizure("DEFAULTED", loanId)));
    expect(reverted).toEqual({ name: "VaultUnexpectedLoanState", args: [loanId, State.Requested] });
  });

  it("liquidated_afterDefault_reverts", async () => {
    const { loanId } = await open();
    await deliver(active(loanId));
    await deliver(seizure("DEFAULTED", loanId));
    const reverted = await vaultRevert(deliverPending(seizure("LIQUIDATED", loanId)));
    expect(reverted).toEqual({ name: "VaultUnexpectedLoanState", args: [loanId, State.Seized] });
  });

  it("defaulted_nonEvmBeneficiary_revertsWithNotAnEvmAddress", async () => {
    const { loanId } = await open();
    await deliver(active(loanId));
    const solanaKey: Hex = `0x${"ab".repeat(32)}`;
    const reverted = await vaultRevert(deliverPending(seizure("DEFAULTED", loanId, solanaKey)));
    expect(reverted).toEqual({ name: "NotAnEvmAddress", args: [solanaKey] });
    expect((await loanOf(loanId)).state).toBe(State.Active);
  });

  it("defaulted_zeroBeneficiary_reverts", async () => {
    const { loanId } = await open();
    await deliver(active(loanId));
    const reverted = await vaultRevert(deliverPending(seizure("DEFAULTED", loanId, ZERO_BYTES32)));
    expect(reverted).toEqual({ name: "VaultZeroBeneficiary", args: [loanId] });
  });
});

describe("CollateralVault.onPacket guards", () => {
  it("onPacket_fromNonEndpoint_reverts", async () => {
    const { loanId } = await open();
    const reverted = await vaultRevert(
      as(vault, other)
        .getFunction("onPacket")
        .send(LENDING_EID, POOL, id("g"), encode(active(loanId))),
    );
    expect(reverted).toEqual({ name: "VaultNotEndpoint", args: [other.address] });
  });

  it("onPacket_fromOtherChain_reverts", async () => {
    const { loanId } = await open();
    const reverted = await vaultRevert(deliverPending(active(loanId), 30168));
    expect(reverted).toEqual({ name: "VaultUnexpectedSource", args: [30168n] });
  });

  it("onPacket_openLoan_revertsWithUnexpectedMessageType", async () => {
    const { receipt } = await open();
    const reverted = await vaultRevert(deliverPending(onlySent(recorder, receipt).message));
    expect(reverted).toEqual({ name: "VaultUnexpectedMessageType", args: [1n] });
  });

  it("onPacket_malformed_revertsWithCodecError", async () => {
    const reverted = await vaultRevert(
      recorder.getFunction("deliver").send(vault.target, LENDING_EID, POOL, id("g"), "0x0202"),
    );
    expect(reverted).toEqual({ name: "MessageTooShort", args: [2n] });
  });
});

describe("CollateralVault hostile borrowers", () => {
  let hostile: Contract;

  beforeEach(async () => {
    hostile = await ethers.deployContract("ReentrantBorrower", [vault.target]);
  });

  async function openHostile(): Promise<Hex> {
    const receipt = await send(hostile, "openNative", 1_000n, 1_000, 86_400n, RECIPIENT, {
      value: 10n ** 18n,
    });
    const [loanId] = onlyEvent(vault, receipt, "LoanRequested") as [Hex];
    return loanId;
  }

  const Mode = { Accept: 0, Reenter: 1, Refuse: 2, BurnGas: 3 };

  it.each([
    ["Refuse", Mode.Refuse],
    ["BurnGas", Mode.BurnGas],
  ] as const)("repaid_recipient%s_creditsClaimableAndDeliverySucceeds", async (_, mode) => {
    const loanId = await openHostile();
    await deliver(active(loanId));
    await send(hostile, "setMode", mode, "0x");

    const receipt = await deliver({ type: "REPAID", loanId, amountRepaid: 1n });

    expect((await loanOf(loanId)).state).toBe(State.Released);
    expect(await call(vault, "claimable", hostile.target)).toBe(10n ** 18n);
    expect(await call(vault, "totalClaimable")).toBe(10n ** 18n);
    expect(onlyEvent(vault, receipt, "NativePayoutDeferred")).toEqual([hostile.target, 10n ** 18n]);
    expect(await time.balance(vault.target as string)).toBe(10n ** 18n);
  });

  it("claim_afterDeferredPayout_paysOnceAndEmits", async () => {
    const loanId = await openHostile();
    await send(hostile, "setMode", Mode.Refuse, "0x");
    await deliver({ type: "LOAN_REJECTED", loanId, reason: "Paused" });

    const failed = await vaultRevert(hostile.getFunction("claim").send());
    expect(failed).toEqual({ name: "VaultClaimFailed", args: [hostile.target, 10n ** 18n] });

    await send(hostile, "setMode", Mode.Accept, "0x");
    const receipt = await send(hostile, "claim");
    expect(onlyEvent(vault, receipt, "Claimed")).toEqual([hostile.target, 10n ** 18n]);
    expect(await time.balance(hostile.target as string)).toBe(10n ** 18n);
    expect(await call(vault, "claimable", hostile.target)).toBe(0n);
    expect(await call(vault, "totalClaimable")).toBe(0n);
    expect(await time.balance(vault.target as string)).toBe(0n);

    const again = await vaultRevert(hostile.getFunction("claim").send());
    expect(again).toEqual({ name: "VaultNothingToClaim", args: [hostile.target] });
  });

  it.each([
    ["claim", () => vault.interface.encodeFunctionData("claim")],
    ["open", () => vault.interface.encodeFunctionData("open", [ETH, 1n, 1n, 1, 1n, 1, RECIPIENT])],
  ] as const)("payout_reenteringWith %s_isBlockedByTheGuard", async (_, data) => {
    const loanId = await openHostile();
    await deliver(active(loanId));
    await send(hostile, "setMode", Mode.Reenter, data());

    await deliver({ type: "REPAID", loanId, amountRepaid: 1n });

    expect(await call(hostile, "reentries")).toBe(1n);
    expect(await call(hostile, "lastRevertSelector")).toBe(
      errorSelector(vault.interface, "ReentrancyGuardReentrantCall"),
    );
    // The push itself went through: nothing deferred, the ETH is the borrower's.
    expect(await time.balance(hostile.target as string)).toBe(10n ** 18n);
    expect(await call(vault, "totalClaimable")).toBe(0n);
  });

  it("claim_reenteringClaim_isBlockedByTheGuard", async () => {
    const loanId = await openHostile();
    await send(hostile, "setMode", Mode.Refuse, "0x");
    await deliver({ type: "LOAN_REJECTED", loanId, reason: "Paused" });
    await send(hostile, "setMode", Mode.Reenter, vault.interface.encodeFunctionData("claim"));

    await send(hostile, "claim");

    expect(await call(hostile, "lastRevertSelector")).toBe(
      errorSelector(vault.interface, "ReentrancyGuardReentrantCall"),
    );
    expect(await time.balance(hostile.target as string)).toBe(10n ** 18n);
  });

  it("open_tokenReenteringOpen_isBlockedByTheGuard", async () => {
    const reentrant = await ethers.deployContract("ReentrantToken", [18]);
    await send(vault, "setAssetAllowed", reentrant.target, true);
    await send(reentrant, "mint", borrower.address, 100n);
    await send(as(reentrant, borrower), "approve", vault.target, 100n);
    await send(
      reentrant,
      "arm",
      vault.target,
      vault.interface.encodeFunctionData("open", [ETH, 1n, 1n, 1, 1n, 1, RECIPIENT]),
    );

    await open({ asset: reentrant.target as string, amount: 10n });

    expect(await call(reentrant, "callbacks")).toBe(1n);
    expect(await call(reentrant, "lastCallSucceeded")).toBe(false);
    expect(await call(reentrant, "lastRevertData")).toBe(
      errorSelector(vault.interface, "ReentrancyGuardReentrantCall"),
    );
  });
});

describe("CollateralVault owner settings", () => {
  it("setAssetAllowed_emitsAndUpdates", async () => {
    const stray = await ethers.deployContract("TestToken", ["Stray", "STR"]);
    const receipt = await send(vault, "setAssetAllowed", stray.target, true);
    expect(onlyEvent(vault, receipt, "AssetAllowed")).toEqual([stray.target, true]);
    expect(await call(vault, "isAssetAllowed", stray.target)).toBe(true);
  });

  it("setAssetAllowed_native_reverts", async () => {
    const reverted = await vaultRevert(vault.getFunction("setAssetAllowed").send(ETH, false));
    expect(reverted).toEqual({ name: "VaultAssetNotAllowed", args: [ETH] });
  });

  it("setRequestTtl_zero_reverts", async () => {
    const reverted = await vaultRevert(vault.getFunction("setRequestTtl").send(0));
    expect(reverted.name).toBe("VaultZeroRequestTtl");
  });

  it("setRequestTtl_emits", async () => {
    const receipt = await send(vault, "setRequestTtl", 120);
    expect(onlyEvent(vault, receipt, "RequestTtlSet")).toEqual([120n]);
  });

  it("renounceOwnership_byOwner_revertsAndKeepsOwnership", async () => {
    await send(vault, "transferOwnership", other.address);

    const reverted = await vaultRevert(vault.getFunction("renounceOwnership").send());

    expect(reverted).toEqual({ name: "VaultRenounceDisabled", args: [] });
    expect(await call(vault, "owner")).toBe(owner.address);
    expect(await call(vault, "pendingOwner")).toBe(other.address);
  });

  it.each([
    ["setAssetAllowed", () => [ETH, true]],
    ["setRequestTtl", () => [1]],
    ["renounceOwnership", () => []],
  ] as const)("%s_byNonOwner_reverts", async (fn, args) => {
    const reverted = await vaultRevert(
      as(vault, other)
        .getFunction(fn)
        .send(...args()),
    );
    expect(reverted).toEqual({ name: "OwnableUnauthorizedAccount", args: [other.address] });
  });
});
