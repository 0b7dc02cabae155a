// The status view is the API's LoanView where the fields mean the same:
// amounts in whole units with their symbol, ISO times, lower-case states,
// native addresses; the `--wait` line names the loan's stage.
import { address, getAddressEncoder } from "@solana/kit";
import { ZeroAddress } from "ethers";
import { describe, expect, it } from "vitest";
import { loanViewSchema } from "../api/views.ts";
import {
  amountWith,
  answered,
  collateralChainOf,
  type LoanStatusInput,
  loanStatusView,
  type PoolRecord,
  poolFromEvm,
  poolFromSolana,
  type VaultRecord,
  vaultFromEvm,
  vaultFromSolana,
  waitingLine,
  waitingStage,
} from "./loan-view.ts";

const LOAN = `0x${"ab".repeat(32)}` as const;
const EVM_BORROWER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const SOLANA_RECIPIENT = "9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin";
const DUE = 1_800_000_000n;
const USDC = { decimals: 6, symbol: "USDC" };

const requested: VaultRecord = {
  state: "Requested",
  borrower: EVM_BORROWER,
  recipient: null,
  nativeCollateral: true,
  collateral: 10n * 10n ** 18n,
  principal: 12_000_000_000n,
  rateBps: 0,
  expiresAt: 1_700_003_600n,
  dueTime: 0n,
};
const activePool: PoolRecord = {
  state: "Active",
  borrower: EVM_BORROWER,
  recipient: SOLANA_RECIPIENT,
  rateBps: 800,
  startTime: 1_700_000_100n,
  dueTime: DUE,
  principal: 12_000_000_000n,
  interest: 1_500_000n,
  repaid: 0n,
  installments: 3,
  paidInstallments: 1,
  periodSeconds: 2_592_000n,
  installmentAmount: 4_026_000_000n,
};
const input = (vault: VaultRecord | null, pool: PoolRecord | null): LoanStatusInput => ({
  loanId: LOAN,
  collateralChain: "evm",
  eids: { evm: 40161, solana: 40168 },
  vault,
  pool,
  stablecoin: USDC,
});

describe("loanStatusView", () => {
  it("anActiveLoan_speaksTheApisShapes", () => {
    const view = loanStatusView(input({ ...requested, state: "Active" }, activePool));

    expect(view).toEqual({
      loanId: LOAN,
      borrower: EVM_BORROWER,
      recipient: SOLANA_RECIPIENT,
      collateralChain: { name: "evm", eid: 40161 },
      lendingChain: { name: "solana", eid: 40168 },
      vaultState: "active",
      poolState: "active",
      agrees: true,
      collateral: {
        units: "10000000000000000000",
        decimals: 18,
        symbol: "ETH",
        formatted: "10",
      },
      principal: { units: "12000000000", decimals: 6, symbol: "USDC", formatted: "12000" },
      rateBps: 800,
      dueAt: "2027-01-15T08:00:00.000Z",
      vault: {
        chain: "evm",
        state: "active",
        expiresAt: "2023-11-14T23:13:20.000Z",
        requestedPrincipal: {
          units: "12000000000",
          decimals: 6,
          symbol: "USDC",
          formatted: "12000",
        },
      },
      pool: {
        chain: "solana",
        state: "active",
        startedAt: "2023-11-14T22:15:00.000Z",
        interest: { units: "1500000", decimals: 6, symbol: "USDC", formatted: "1.5" },
        repaid: { units: "0", decimals: 6, symbol: "USDC", formatted: "0" },
        installments: {
          count: 3,
          paid: 1,
          amount: { units: "4026000000", decimals: 6, symbol: "USDC", formatted: "4026" },
          periodSeconds: "2592000",
        },
      },
    });
  });

  it("theSharedFields_validateAgainstTheApisLoanSchema", () => {
    const view = loanStatusView(input({ ...requested, state: "Active" }, activePool));
    const shared = loanViewSchema.pick({
      loanId: true,
      borrower: true,
      recipient: true,
      collateralChain: true,
      lendingChain: true,
      vaultState: true,
      poolState: true,
      agrees: true,
      collateral: true,
      principal: true,
      rateBps: true,
      dueAt: true,
    });

    const apiFields = Object.fromEntries(
      Object.entries(view).filter(([key]) => key !== "vault" && key !== "pool"),
    );

    // Parsing keeps the schema's fields only: equal means every other field is one of them, valid.
    expect(shared.parse(view)).toEqual(apiFields);
  });

  it("aRequestNotAnsweredYet_hasNoPoolRateOrDueTime_andAgrees", () => {
    const view = loanStatusView(input(requested, null));

    expect(view).toMatchObject({
      vaultState: "requested",
      poolState: null,
      agrees: true,
      rateBps: null,
      dueAt: null,
      pool: null,
      principal: { formatted: "12000" },
    });
  });

  it("halvesThatDisagree_sayAgreesFalse", () => {
    const view = loanStatusView(
      input({ ...requested, state: "Active" }, { ...activePool, state: "Repaid" }),
    );

    expect(view).toMatchObject({ vaultState: "active", poolState: "repaid", agrees: false });
  });

  it("aTokenCollateral_hasUnitsOnly_andAnUnnamedStablecoinKeepsItsDecimals", () => {
    const view = loanStatusView({
      ...input({ ...requested, nativeCollateral: false }, null),
      stablecoin: { decimals: 6, symbol: null },
    });

    expect(view.collateral).toEqual({
      units: "10000000000000000000",
      decimals: null,
      symbol: null,
      formatted: null,
    });
    expect(view.principal).toEqual({
      units: "12000000000",
      decimals: 6,
      symbol: null,
      formatted: "12000",
    });
  });
});

describe("records from each chain", () => {
  it("evmRecords_stateNone_isNoRecord", () => {
    const vault = {
      state: "Requested",
      borrower: EVM_BORROWER,
      expiresAt: 5n,
      asset: ZeroAddress,
      dueTime: 0n,
      rateBps: 0,
      collateralAmount: 1n,
      principal: 2n,
    };
    expect(vaultFromEvm(vault)).toMatchObject({ state: "Requested", nativeCollateral: true });
    expect(vaultFromEvm({ ...vault, state: "None" })).toBeNull();
    expect(vaultFromEvm(null)).toBeNull();
    expect(poolFromEvm(null)).toBeNull();
  });

  it("solanaRecords_addressesInNativeForm", () => {
    const recipientBytes = new Uint8Array(32);
    recipientBytes.set(Buffer.from(EVM_BORROWER.slice(2), "hex"), 12);
    const vault = vaultFromSolana({
      state: 2,
      borrower: SOLANA_RECIPIENT,
      asset: "11111111111111111111111111111111",
      collateral_amount: 5n,
      principal: 6n,
      rate_bps: 700,
      expires_at: 1n,
      due_time: DUE,
      recipient: recipientBytes,
    });
    const pool = poolFromSolana({
      status: 3,
      borrower: recipientBytes,
      recipient: SOLANA_RECIPIENT,
      rate_bps: 700,
      start_time: 1n,
      due_time: DUE,
      principal: 6n,
      interest: 0n,
      repaid: 0n,
      installments: 1,
      paid_installments: 0,
      period_seconds: 86_400n,
      installment_amount: 7n,
    });

    expect(vault).toMatchObject({
      state: "Active",
      borrower: SOLANA_RECIPIENT,
      recipient: EVM_BORROWER,
      nativeCollateral: true,
    });
    expect(pool).toMatchObject({ state: "Rejected", borrower: EVM_BORROWER });
    expect(Buffer.from(getAddressEncoder().encode(address(SOLANA_RECIPIENT))).length).toBe(32);
    expect(vaultFromSolana({ ...{ state: 0 } })).toBeNull();
  });

  it("collateralChain_isTheVaultsChain_elseTheOtherSideOfThePool", () => {
    const pool = activePool;
    expect(collateralChainOf({ evm: requested, solana: null }, { evm: null, solana: null })).toBe(
      "evm",
    );
    expect(collateralChainOf({ evm: null, solana: requested }, { evm: null, solana: null })).toBe(
      "solana",
    );
    expect(collateralChainOf({ evm: null, solana: null }, { evm: pool, solana: null })).toBe(
      "solana",
    );
    expect(collateralChainOf({ evm: null, solana: null }, { evm: null, solana: null })).toBe(
      undefined,
    );
  });
});

describe("--wait progress", () => {
  it.each<[string, VaultRecord | null, PoolRecord | null, string]>([
    [
      "not on the vault yet",
      null,
      null,
      "waiting (3 s): the vault on evm does not show the loan yet",
    ],
    [
      "requested, pool silent",
      requested,
      null,
      "waiting (3 s): collateral locked on evm (requested); the lending pool on solana has not answered yet",
    ],
    [
      "pool active",
      requested,
      activePool,
      "waiting (3 s): pool on solana active (principal sent); waiting for the vault on evm to see LOAN_ACTIVE",
    ],
    [
      "pool rejected",
      requested,
      { ...activePool, state: "Rejected" },
      "waiting (3 s): pool on solana rejected the loan; waiting for the vault on evm to see LOAN_REJECTED and refund",
    ],
  ])("%s", (_name, vault, pool, line) => {
    const view = loanStatusView(input(vault, pool));

    expect(waitingLine(waitingStage(view), 3.2)).toBe(line);
    expect(answered(view)).toBe(false);
  });

  it("answered_onceTheVaultLeavesRequested", () => {
    expect(answered(loanStatusView(input({ ...requested, state: "Active" }, activePool)))).toBe(
      true,
    );
    expect(
      answered(
        loanStatusView(
          input({ ...requested, state: "Refunded" }, { ...activePool, state: "Rejected" }),
        ),
      ),
    ).toBe(true);
  });

  it("amountWith_trimsTrailingZeros", () => {
    expect(amountWith(1_500_000n, USDC).formatted).toBe("1.5");
  });
});
