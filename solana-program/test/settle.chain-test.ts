// DeclareDefault and Liquidate: an active loan is written off and its
// collateral goes to the remote chain's beneficiary (shared/LOANS.md).
import {
  decodeLoanMessage,
  decodePacket,
  type LoanMessageOf,
  toBytes,
  toHex,
} from "@loanbridge/shared";
import { beforeEach, describe, expect, it } from "vitest";
import {
  declareDefaultInstruction,
  LoanbridgeProgramError as E,
  liquidateInstruction,
  pda,
  PoolLoanStatus,
  setBeneficiaryInstruction,
  setCollateralInstruction,
  setPriceInstruction,
} from "../client/index.ts";
import { loggedComputeUnits, loggedData, type Outcome } from "../client/litesvm.ts";
import {
  deliverOpenLoan,
  ETH_PRICE_ID,
  expectCustomError,
  expectOk,
  MAX_PRICE_AGE,
  NATIVE_ASSET,
  NOW,
  openLoanMessage,
  type PoolFixture,
  dueTimeOf,
  POOL_TERMS,
  REMOTE_EID,
  startPool,
  USDC,
} from "./fixture.ts";

const PRINCIPAL = 2_000n * USDC;
const TERM = 30n * 86_400n;

describe("DeclareDefault and Liquidate", () => {
  let fixture: PoolFixture;
  let message: LoanMessageOf<"OPEN_LOAN">;

  beforeEach(async () => {
    fixture = await startPool();
    const recipient = await fixture.recipient();
    message = openLoanMessage(recipient.wallet.address, {
      principal: PRINCIPAL,
      termSeconds: TERM,
    });
    expectOk(await deliverOpenLoan(fixture, message, { recipientTokens: recipient.tokens }));
  });

  const ref = () => ({
    payer: fixture.program.payer,
    loanId: toBytes(message.loanId),
    srcEid: REMOTE_EID,
    packetNonce: fixture.packetNonce(),
  });
  const declareDefault = async () =>
    fixture.program.send(await declareDefaultInstruction(fixture.id, ref()));
  const liquidate = async () =>
    fixture.program.send(
      await liquidateInstruction(fixture.id, {
        ...ref(),
        asset: NATIVE_ASSET,
        priceId: ETH_PRICE_ID,
      }),
    );
  const setPrice = async (price: bigint) => {
    expectOk(
      await fixture.program.send(
        await setPriceInstruction(fixture.id, {
          payer: fixture.program.payer,
          admin: fixture.admin,
          priceId: ETH_PRICE_ID,
          price,
        }),
      ),
    );
  };
  const reply = (outcome: Outcome) => {
    const [packet] = loggedData(outcome.logs);
    if (!packet) throw new Error(`nothing sent\n${outcome.logs.join("\n")}`);
    return decodeLoanMessage(decodePacket(packet).message);
  };
  const status = async () =>
    fixture.program.decode("PoolLoan", await pda.poolLoan(fixture.id, toBytes(message.loanId)))
      .status;

  const defaultableAfter = dueTimeOf(NOW, TERM) + POOL_TERMS.gracePeriodSeconds;

  it("declareDefault_atTheGraceBoundary_failsWithPoolLoanNotOverdue", async () => {
    fixture.program.setTime(defaultableAfter);

    expectCustomError(await declareDefault(), E.PoolLoanNotOverdue);
  });

  it("declareDefault_afterGrace_writesOffAndAnswersDefaulted", async () => {
    fixture.program.setTime(defaultableAfter + 1n);

    const outcome = await declareDefault();

    expectOk(outcome);
    console.log(`DeclareDefault: ${loggedComputeUnits(outcome.logs, fixture.id)} CU`);
    const elapsed = defaultableAfter + 1n - NOW;
    const interest = (PRINCIPAL * 500n * elapsed) / (10_000n * 31_536_000n);
    expect(reply(outcome)).toEqual({
      type: "DEFAULTED",
      loanId: message.loanId,
      outstanding: PRINCIPAL + interest,
      beneficiary: toHex(fixture.beneficiary),
    });
    expect(await status()).toBe(PoolLoanStatus.Defaulted);
    // Lenders bear the loss: the principal leaves the pool's assets.
    expect(fixture.program.decode("Pool", fixture.pool).performing_principal).toBe(0n);
    expectCustomError(await declareDefault(), E.PoolLoanNotActive);
  });

  it("declareDefault_withoutBeneficiary_failsWithPoolBeneficiaryNotSet", async () => {
    expectOk(
      await fixture.program.send(
        await setBeneficiaryInstruction(fixture.id, {
          payer: fixture.program.payer,
          admin: fixture.admin,
          remoteEid: REMOTE_EID,
          beneficiary: new Uint8Array(32),
        }),
      ),
    );
    fixture.program.setTime(defaultableAfter + 1n);

    expectCustomError(await declareDefault(), E.PoolBeneficiaryNotSet);
  });

  it("liquidate_healthyLoan_failsWithPoolLoanHealthy", async () => {
    // 2,000 against 3,000 of collateral: 66.7% < 80%.
    expectCustomError(await liquidate(), E.PoolLoanHealthy);
  });

  it("liquidate_afterThePriceDrops_answersLiquidated", async () => {
    // At 2,499 USDC per ETH, 2,000 is 80.03% of the value: above 80%.
    fixture.program.setTime(NOW + 60n);
    await setPrice(2_499n * USDC);

    const outcome = await liquidate();

    expectOk(outcome);
    console.log(`Liquidate: ${loggedComputeUnits(outcome.logs, fixture.id)} CU`);
    expect(reply(outcome)).toMatchObject({
      type: "LIQUIDATED",
      loanId: message.loanId,
      beneficiary: toHex(fixture.beneficiary),
    });
    expect(await status()).toBe(PoolLoanStatus.Liquidated);
  });

  it("liquidate_atExactlyTheThreshold_failsWithPoolLoanHealthy", async () => {
    // 2,000 is exactly 80% of 2,500: not above.
    await setPrice(2_500n * USDC);

    expectCustomError(await liquidate(), E.PoolLoanHealthy);
  });

  it("liquidate_withAStalePrice_failsWithPoolPriceUnavailable", async () => {
    fixture.program.setTime(NOW + MAX_PRICE_AGE + 1n);

    expectCustomError(await liquidate(), E.PoolPriceUnavailable);
  });

  it("liquidate_removedCollateral_failsWithPoolCollateralNotConfigured", async () => {
    expectOk(
      await fixture.program.send(
        await setCollateralInstruction(fixture.id, {
          payer: fixture.program.payer,
          admin: fixture.admin,
          remoteEid: REMOTE_EID,
          asset: NATIVE_ASSET,
          maxLtvBps: 0,
          liquidationLtvBps: 0,
          priceId: ETH_PRICE_ID,
        }),
      ),
    );

    expectCustomError(await liquidate(), E.PoolCollateralNotConfigured);
  });

  it("interestAlonePushesALoanOverTheThreshold", async () => {
    // At 2,550 the loan starts at 78.4%; years of interest lift it above 80%.
    await setPrice(2_550n * USDC);
    expectCustomError(await liquidate(), E.PoolLoanHealthy);
    const later = NOW + 2n * 31_536_000n;
    fixture.program.setTime(later);
    await setPrice(2_550n * USDC);

    expectOk(await liquidate());
  });
});
