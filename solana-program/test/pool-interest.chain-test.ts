// Issue 12 finding 5 (the parts in shared/LOANS.md "Interest in pool
// assets" and "Bounds so every loan can close"): accrued interest counts in
// pool assets as time passes, so a just-in-time deposit before a large
// repayment earns only its time share; and at the highest configurable rate,
// however far in the future, a loan still closes by repay, default or
// liquidation.
import { decodeLoanMessage, decodePacket, type LoanMessageOf, toBytes } from "@loanbridge/shared";
import { type Address } from "@solana/kit";
import { beforeEach, describe, expect, it } from "vitest";
import {
  createTokenAccount,
  declareDefaultInstruction,
  depositInstruction,
  liquidateInstruction,
  outboundPacketBytes,
  pda,
  PoolLoanStatus,
  redeemInstruction,
  repayInstruction,
  setLoanTermsInstruction,
  setPriceInstruction,
  tokenBalance,
} from "../client/index.ts";
import {
  deliverOpenLoan,
  ETH,
  ETH_PRICE_ID,
  expectOk,
  LIQUIDITY,
  newLender,
  NATIVE_ASSET,
  NOW,
  openLoanMessage,
  type PoolFixture,
  POOL_TERMS,
  REMOTE_EID,
  startPool,
  USDC,
} from "./fixture.ts";

const YEAR = 31_536_000n;
const MAX_RATE_BPS = 100_000;

describe("interest in pool assets", () => {
  let fixture: PoolFixture;

  beforeEach(async () => {
    fixture = await startPool();
  });

  /** Opens a loan of `principal` (collateral `collateral` wei) at the pool's rate, now. */
  const openLoan = async (principal: bigint, collateral = ETH) => {
    const recipient = await fixture.recipient();
    const message = openLoanMessage(recipient.wallet.address, {
      principal,
      collateralAmount: collateral,
      termSeconds: YEAR,
      expiresAt: fixture.program.now() + 3_600n,
    });
    expectOk(await deliverOpenLoan(fixture, message, { recipientTokens: recipient.tokens }));
    return message;
  };
  const funded = async (amount: bigint) =>
    createTokenAccount(
      fixture.program.svm,
      fixture.stablecoin,
      fixture.program.payer.address,
      amount,
    );
  const repay = async (message: LoanMessageOf<"OPEN_LOAN">, payerTokens: Address, amount: bigint) =>
    fixture.program.send(
      await repayInstruction(fixture.id, {
        payer: fixture.program.payer,
        payerTokens,
        amount,
        loanId: toBytes(message.loanId),
        srcEid: REMOTE_EID,
        packetNonce: fixture.packetNonce(),
      }),
    );

  it("justInTimeDepositBeforeLargeRepayment_earnsOnlyItsTimeShare", async () => {
    // Given 500,000 USDC lent for a year at 5% (25,000 USDC of interest)
    const loan = await openLoan(500_000n * USDC, 400n * ETH);
    const attacker = await newLender(fixture, LIQUIDITY);
    const borrowerTokens = await funded(600_000n * USDC);

    // when an attacker deposits as much as the pool holds one second before
    // the repayment and redeems everything right after it
    fixture.program.setTime(NOW + YEAR - 1n);
    expectOk(await fixture.program.send(await depositInstruction(fixture.id, attacker, LIQUIDITY)));
    fixture.program.setTime(NOW + YEAR);
    expectOk(await repay(loan, borrowerTokens, 600_000n * USDC));
    const shares = tokenBalance(fixture.program.svm, attacker.lenderShares);
    expectOk(await fixture.program.send(await redeemInstruction(fixture.id, attacker, shares)));

    // then its profit is about its share of one second of interest (the
    // interest of the year was already in the share price it paid), not
    // half of the 25,000 USDC the old pool handed it.
    const oneSecondOfInterest = (500_000n * USDC * 500n) / (10_000n * YEAR);
    const profit = tokenBalance(fixture.program.svm, attacker.lenderStablecoin) - LIQUIDITY;
    expect(profit).toBeLessThanOrEqual(oneSecondOfInterest);
    // and the lender who was in all year keeps the year's interest.
    const pool = fixture.program.decode("Pool", fixture.pool);
    expect(pool).toMatchObject({
      performing_principal: 0n,
      performing_interest: 0n,
      rate_weight: 0n,
    });
    const firstLenderShares = tokenBalance(fixture.program.svm, fixture.lenderShares);
    expectOk(
      await fixture.program.send(
        await redeemInstruction(
          fixture.id,
          {
            lender: fixture.lender,
            lenderStablecoin: fixture.lenderStablecoin,
            lenderShares: fixture.lenderShares,
          },
          firstLenderShares,
        ),
      ),
    );
    expect(tokenBalance(fixture.program.svm, fixture.lenderStablecoin)).toBeGreaterThanOrEqual(
      LIQUIDITY + 25_000n * USDC - oneSecondOfInterest - 2n,
    );
  });

  it("poolAssetsGrowWithTimeBeforeAnyRepayment", async () => {
    await openLoan(500_000n * USDC, 400n * ETH);
    // Half a year on, before any repayment, the share price has risen by the
    // interest accrued so far: 5% on half the pool for half a year = 1.25%.
    fixture.program.setTime(NOW + YEAR / 2n);
    const depositor = await newLender(fixture, 1_000n * USDC);
    expectOk(
      await fixture.program.send(await depositInstruction(fixture.id, depositor, 1_000n * USDC)),
    );
    const minted = tokenBalance(fixture.program.svm, depositor.lenderShares);
    // 1,000 USDC at a price of 1.0125 per 1,000 share units.
    expect(minted).toBe((1_000n * USDC * 1_000n * 10_000n) / 10_125n);
  });
});

describe("bounds: every loan can close", () => {
  let fixture: PoolFixture;
  let message: LoanMessageOf<"OPEN_LOAN">;

  beforeEach(async () => {
    fixture = await startPool();
    expectOk(
      await fixture.program.send(
        await setLoanTermsInstruction(fixture.id, fixture.admin, {
          ...POOL_TERMS,
          rateBps: MAX_RATE_BPS,
        }),
      ),
    );
    const recipient = await fixture.recipient();
    message = openLoanMessage(recipient.wallet.address, {
      principal: 1_000n * USDC,
      maxRateBps: MAX_RATE_BPS,
    });
    expectOk(await deliverOpenLoan(fixture, message, { recipientTokens: recipient.tokens }));
  });

  const ref = () => ({
    payer: fixture.program.payer,
    loanId: toBytes(message.loanId),
    srcEid: REMOTE_EID,
    packetNonce: fixture.packetNonce(),
  });
  const status = async () =>
    fixture.program.decode("PoolLoan", await pda.poolLoan(fixture.id, toBytes(message.loanId)))
      .status;
  const stored = async (nonce: bigint) => {
    const data = fixture.program.data(
      await pda.packet(fixture.id, fixture.pool, REMOTE_EID, nonce),
    );
    if (!data) throw new Error(`no packet ${nonce}`);
    return decodeLoanMessage(decodePacket(outboundPacketBytes(data)).message);
  };
  /** The clock as far in the future as the runtime's i64 allows. */
  const FAR_FUTURE = 2n ** 63n - 1n;
  const interestAt = (now: bigint) =>
    (1_000n * USDC * BigInt(MAX_RATE_BPS) * (now - NOW)) / (10_000n * YEAR);

  it("maxRateCenturiesLater_repayStillCompletes", async () => {
    const later = NOW + 100n * YEAR;
    fixture.program.setTime(later);
    const debt = 1_000n * USDC + interestAt(later);
    const payerTokens = await createTokenAccount(
      fixture.program.svm,
      fixture.stablecoin,
      fixture.program.payer.address,
      debt,
    );
    const nonce = fixture.packetNonce();

    expectOk(
      await fixture.program.send(
        await repayInstruction(fixture.id, { ...ref(), payerTokens, amount: debt }),
      ),
    );

    expect(await status()).toBe(PoolLoanStatus.Repaid);
    expect(await stored(nonce)).toMatchObject({ type: "REPAID", amountRepaid: debt });
  });

  it("maxRateAtTheEndOfTime_defaultStillWritesOff", async () => {
    fixture.program.setTime(FAR_FUTURE);
    const nonce = fixture.packetNonce();

    expectOk(await fixture.program.send(await declareDefaultInstruction(fixture.id, ref())));

    expect(await status()).toBe(PoolLoanStatus.Defaulted);
    expect(await stored(nonce)).toMatchObject({
      type: "DEFAULTED",
      outstanding: 1_000n * USDC + interestAt(FAR_FUTURE),
    });
    expect(fixture.program.decode("Pool", fixture.pool)).toMatchObject({
      performing_principal: 0n,
      performing_interest: 0n,
      rate_weight: 0n,
    });
  });

  it("maxRateAtTheEndOfTime_liquidationAndAPartialRepayStillWork", async () => {
    fixture.program.setTime(FAR_FUTURE);
    expectOk(
      await fixture.program.send(
        await setPriceInstruction(fixture.id, {
          payer: fixture.program.payer,
          admin: fixture.admin,
          priceId: ETH_PRICE_ID,
          price: 3_000n * USDC,
        }),
      ),
    );
    const payerTokens = await createTokenAccount(
      fixture.program.svm,
      fixture.stablecoin,
      fixture.program.payer.address,
      10n * USDC,
    );
    expectOk(
      await fixture.program.send(
        await repayInstruction(fixture.id, { ...ref(), payerTokens, amount: 10n * USDC }),
      ),
    );
    const nonce = fixture.packetNonce();

    expectOk(
      await fixture.program.send(
        await liquidateInstruction(fixture.id, {
          ...ref(),
          asset: NATIVE_ASSET,
          priceId: ETH_PRICE_ID,
        }),
      ),
    );

    expect(await status()).toBe(PoolLoanStatus.Liquidated);
    expect(await stored(nonce)).toMatchObject({
      type: "LIQUIDATED",
      outstanding: 1_000n * USDC + interestAt(FAR_FUTURE) - 10n * USDC,
    });
  });
});
