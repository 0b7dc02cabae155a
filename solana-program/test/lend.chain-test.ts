// Deposit, Redeem, Withdraw: lenders' shares with ERC-4626 rounding in the
// pool's favour; withdrawals limited to the stablecoin held.
import { type Address, type KeyPairSigner } from "@solana/kit";
import { beforeEach, describe, expect, it } from "vitest";
import {
  createTokenAccount,
  depositInstruction,
  LoanbridgeProgramError as E,
  mintSupply,
  pda,
  redeemInstruction,
  tokenBalance,
  withdrawInstruction,
} from "../client/index.ts";
import { loggedComputeUnits } from "../client/litesvm.ts";
import {
  deliverOpenLoan,
  ETH,
  expectCustomError,
  expectOk,
  LIQUIDITY,
  openLoanMessage,
  type PoolFixture,
  startPool,
  USDC,
} from "./fixture.ts";
import { tokenTransferInstruction } from "./token-transfer.ts";

describe("Deposit, Redeem, Withdraw", () => {
  let fixture: PoolFixture;
  let lender: { lender: KeyPairSigner; lenderStablecoin: Address; lenderShares: Address };
  let shares: Address;
  let liquidity: Address;

  beforeEach(async () => {
    fixture = await startPool({ deposit: false });
    lender = {
      lender: fixture.lender,
      lenderStablecoin: fixture.lenderStablecoin,
      lenderShares: fixture.lenderShares,
    };
    shares = await pda.shares(fixture.id);
    liquidity = await pda.liquidity(fixture.id);
  });

  const balance = (account: Address) => tokenBalance(fixture.program.svm, account);

  it("firstDeposit_mintsAThousandSharesPerBaseUnit", async () => {
    const outcome = await fixture.program.send(
      await depositInstruction(fixture.id, lender, 1_000n * USDC),
    );

    expectOk(outcome);
    console.log(`Deposit: ${loggedComputeUnits(outcome.logs, fixture.id)} CU`);
    expect(balance(lender.lenderShares)).toBe(1_000n * USDC * 1_000n);
    expect(balance(liquidity)).toBe(1_000n * USDC);
    expect(mintSupply(fixture.program.svm, shares)).toBe(1_000n * USDC * 1_000n);
  });

  it("redeem_returnsTheAssetsTheSharesAreWorth", async () => {
    expectOk(
      await fixture.program.send(await depositInstruction(fixture.id, lender, 1_000n * USDC)),
    );
    const outcome = await fixture.program.send(
      await redeemInstruction(fixture.id, lender, 400n * USDC * 1_000n),
    );

    expectOk(outcome);
    console.log(`Redeem: ${loggedComputeUnits(outcome.logs, fixture.id)} CU`);
    expect(balance(lender.lenderStablecoin)).toBe(LIQUIDITY - 600n * USDC);
    expect(balance(lender.lenderShares)).toBe(600n * USDC * 1_000n);
  });

  it("withdraw_burnsTheSharesItCosts_roundedUp", async () => {
    expectOk(
      await fixture.program.send(await depositInstruction(fixture.id, lender, 1_000n * USDC)),
    );
    const outcome = await fixture.program.send(
      await withdrawInstruction(fixture.id, lender, 250n * USDC),
    );

    expectOk(outcome);
    console.log(`Withdraw: ${loggedComputeUnits(outcome.logs, fixture.id)} CU`);
    expect(balance(lender.lenderShares)).toBe(750n * USDC * 1_000n);
  });

  it("donation_cannotStealASecondDeposit", async () => {
    // Given a first deposit of 1 base unit and a donation of 1,000 USDC
    // straight to the liquidity account (the classic first-depositor attack)
    expectOk(await fixture.program.send(await depositInstruction(fixture.id, lender, 1n)));
    const attackerShares = balance(lender.lenderShares);
    const donor = await fixture.program.fundedSigner();
    const donorTokens = await createTokenAccount(
      fixture.program.svm,
      fixture.stablecoin,
      donor.address,
      1_000n * USDC,
    );
    expectOk(
      await fixture.program.send(
        tokenTransferInstruction(donorTokens, liquidity, donor, 1_000n * USDC),
      ),
    );

    // when a victim deposits 500 USDC
    const victim = await fixture.program.fundedSigner();
    const victimStable = await createTokenAccount(
      fixture.program.svm,
      fixture.stablecoin,
      victim.address,
      500n * USDC,
    );
    const victimShares = await createTokenAccount(fixture.program.svm, shares, victim.address);
    const victimAccounts = {
      lender: victim,
      lenderStablecoin: victimStable,
      lenderShares: victimShares,
    };
    expectOk(
      await fixture.program.send(await depositInstruction(fixture.id, victimAccounts, 500n * USDC)),
    );

    // then the victim still gets shares and can redeem nearly all of it back.
    const minted = balance(victimShares);
    expect(minted).toBeGreaterThan(0n);
    expectOk(
      await fixture.program.send(await redeemInstruction(fixture.id, victimAccounts, minted)),
    );
    expect(balance(victimStable)).toBeGreaterThan(499n * USDC);
    expect(attackerShares).toBe(1_000n);
  });

  it("zeroAmounts_failWithPoolZeroAmount", async () => {
    expectCustomError(
      await fixture.program.send(await depositInstruction(fixture.id, lender, 0n)),
      E.PoolZeroAmount,
    );
    expectOk(await fixture.program.send(await depositInstruction(fixture.id, lender, 10n)));
    // 999 shares are worth less than one base unit.
    expectCustomError(
      await fixture.program.send(await redeemInstruction(fixture.id, lender, 999n)),
      E.PoolZeroAmount,
    );
  });

  it("withdrawBeyondHeld_failsWithPoolInsufficientLiquidity", async () => {
    // Given most of the liquidity lent out
    expectOk(
      await fixture.program.send(await depositInstruction(fixture.id, lender, 10_000n * USDC)),
    );
    const recipient = await fixture.recipient();
    const message = openLoanMessage(recipient.wallet.address, {
      collateralAmount: 10n * ETH,
      principal: 9_000n * USDC,
    });
    expectOk(await deliverOpenLoan(fixture, message, { recipientTokens: recipient.tokens }));

    // the lender's shares are worth 10,000 but only 1,000 can leave.
    expectCustomError(
      await fixture.program.send(await withdrawInstruction(fixture.id, lender, 1_000n * USDC + 1n)),
      E.PoolInsufficientLiquidity,
    );
    expectOk(
      await fixture.program.send(await withdrawInstruction(fixture.id, lender, 1_000n * USDC)),
    );
  });

  it("redeemMoreSharesThanHeld_failsWithPoolInsufficientLiquidity", async () => {
    expectOk(await fixture.program.send(await depositInstruction(fixture.id, lender, 10n * USDC)));

    expectCustomError(
      await fixture.program.send(
        await redeemInstruction(fixture.id, lender, balance(lender.lenderShares) + 1n),
      ),
      E.PoolInsufficientLiquidity,
    );
  });

  it("stablecoinAccountOfAnotherMint_failsWithInvalidTokenAccount", async () => {
    const wrong = await createTokenAccount(fixture.program.svm, shares, lender.lender.address, 0n);

    expectCustomError(
      await fixture.program.send(
        await depositInstruction(fixture.id, { ...lender, lenderStablecoin: wrong }, 1n),
      ),
      E.InvalidTokenAccount,
    );
  });
});
