// Repay: interest first, then principal, capped at the debt; the completing
// repayment answers REPAID with everything paid (shared/LOANS.md "Repay").
import { decodeLoanMessage, decodePacket, type LoanMessageOf, toBytes } from "@loanbridge/shared";
import { type Address } from "@solana/kit";
import { beforeEach, describe, expect, it } from "vitest";
import {
  createTokenAccount,
  LoanbridgeProgramError as E,
  pda,
  PoolLoanStatus,
  repayInstruction,
  tokenBalance,
} from "../client/index.ts";
import { loggedComputeUnits, loggedData } from "../client/litesvm.ts";
import {
  deliverOpenLoan,
  expectCustomError,
  expectOk,
  LIQUIDITY,
  NOW,
  openLoanMessage,
  type PoolFixture,
  REMOTE_EID,
  startPool,
  USDC,
} from "./fixture.ts";

const PRINCIPAL = 1_000n * USDC;
const YEAR = 31_536_000n;

describe("Repay", () => {
  let fixture: PoolFixture;
  let message: LoanMessageOf<"OPEN_LOAN">;
  let payerTokens: Address;

  beforeEach(async () => {
    fixture = await startPool();
    const recipient = await fixture.recipient();
    message = openLoanMessage(recipient.wallet.address, { principal: PRINCIPAL });
    expectOk(await deliverOpenLoan(fixture, message, { recipientTokens: recipient.tokens }));
    payerTokens = await createTokenAccount(
      fixture.program.svm,
      fixture.stablecoin,
      fixture.program.payer.address,
      10_000n * USDC,
    );
  });

  const repay = async (amount: bigint) =>
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
  const loan = async () =>
    fixture.program.decode("PoolLoan", await pda.poolLoan(fixture.id, toBytes(message.loanId)));

  it("partialRepayment_paysInterestFirstAndSendsNothing", async () => {
    // Given a year at 5%: 50 USDC of interest
    fixture.program.setTime(NOW + YEAR);

    const outcome = await repay(80n * USDC);

    expectOk(outcome);
    console.log(`Repay (partial): ${loggedComputeUnits(outcome.logs, fixture.id)} CU`);
    expect(loggedData(outcome.logs)).toEqual([]);
    expect(await loan()).toMatchObject({
      status: PoolLoanStatus.Active,
      interest: 0n,
      principal: PRINCIPAL - 30n * USDC,
      repaid: 80n * USDC,
      last_accrual: NOW + YEAR,
    });
    // A year on, the 30-day loan is long overdue: it left the pool's
    // performing sums at its due time, and its payment counts only in the
    // stablecoin the pool holds.
    expect(fixture.program.decode("Pool", fixture.pool).performing_principal).toBe(0n);
  });

  it("fullRepayment_capsAtTheDebtAndAnswersRepaid", async () => {
    fixture.program.setTime(NOW + YEAR);
    const before = tokenBalance(fixture.program.svm, payerTokens);

    const outcome = await repay(5_000n * USDC);

    expectOk(outcome);
    console.log(`Repay (full, sends REPAID): ${loggedComputeUnits(outcome.logs, fixture.id)} CU`);
    const debt = PRINCIPAL + 50n * USDC;
    expect(before - tokenBalance(fixture.program.svm, payerTokens)).toBe(debt);
    const [packet] = loggedData(outcome.logs);
    if (!packet) throw new Error("no REPAID logged");
    expect(decodeLoanMessage(decodePacket(packet).message)).toEqual({
      type: "REPAID",
      loanId: message.loanId,
      amountRepaid: debt,
    });
    expect(await loan()).toMatchObject({
      status: PoolLoanStatus.Repaid,
      principal: 0n,
      interest: 0n,
      repaid: debt,
    });
    // Lenders earned the interest: the pool holds more than they deposited.
    expect(tokenBalance(fixture.program.svm, await pda.liquidity(fixture.id))).toBe(
      LIQUIDITY + 50n * USDC,
    );
    expect(fixture.program.decode("Pool", fixture.pool).performing_principal).toBe(0n);

    // A repaid loan takes nothing more.
    expectCustomError(await repay(1n), E.PoolLoanNotActive);
  });

  it("installments_sumToAmountRepaid", async () => {
    fixture.program.setTime(NOW + YEAR / 2n);
    expectOk(await repay(500n * USDC));
    fixture.program.setTime(NOW + YEAR);
    const outcome = await repay(10_000n * USDC);

    expectOk(outcome);
    const [packet] = loggedData(outcome.logs);
    const reply = packet && decodeLoanMessage(decodePacket(packet).message);
    // 25 USDC for the first half year; then 5% on 525 USDC for half a year.
    const secondInterest = (525n * USDC * 500n * (YEAR / 2n)) / (10_000n * YEAR);
    expect(reply).toMatchObject({
      type: "REPAID",
      amountRepaid: PRINCIPAL + 25n * USDC + secondInterest,
    });
  });

  it("zeroAmount_failsWithPoolZeroRepayment", async () => {
    expectCustomError(await repay(0n), E.PoolZeroRepayment);
  });

  it("unknownLoan_failsWithInvalidAccountOwner", async () => {
    message = { ...message, loanId: `0x${"12".repeat(32)}` };

    expectCustomError(await repay(1n), E.InvalidAccountOwner);
  });
});
