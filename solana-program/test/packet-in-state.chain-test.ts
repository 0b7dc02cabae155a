// Issue 12 finding 1: a sending transaction padded until its logs truncate
// must still leave its packet in chain state. Every instruction that sends
// (DeclareDefault, Liquidate, the completing Repay, Deliver of an OPEN_LOAN
// answered LOAN_ACTIVE or LOAN_REJECTED, vault Open, CancelExpired) is padded
// with the program's own Version instruction until "Log truncated" appears,
// and the packet account must hold exactly the packet: the relayer reads it
// from there, never from the logs alone.
import {
  decodeLoanMessage,
  decodePacket,
  type Hex,
  type LoanMessage,
  type LoanMessageOf,
  toBytes,
  toHex,
} from "@loanbridge/shared";
import { type Address, type Instruction } from "@solana/kit";
import { beforeEach, describe, expect, it } from "vitest";
import {
  addressBytes,
  cancelExpiredInstruction,
  createTokenAccount,
  declareDefaultInstruction,
  liquidateInstruction,
  LOG_TRUNCATED,
  openInstruction,
  outboundPacketBytes,
  PACKET_DATA_SIZE,
  pda,
  PoolLoanStatus,
  repayInstruction,
  setPriceInstruction,
} from "../client/index.ts";
import { loggedData } from "../client/litesvm.ts";
import {
  ETH_PRICE_ID,
  expectOk,
  LOCAL_EID,
  NATIVE_ASSET,
  NOW,
  OPEN_DEFAULTS,
  openLoanDelivery,
  openLoanMessage,
  type PoolFixture,
  dueTimeOf,
  POOL_TERMS,
  REMOTE_EID,
  REMOTE_POOL,
  REMOTE_VAULT,
  REQUEST_TTL,
  startPool,
  startVault,
  USDC,
} from "./fixture.ts";
import { sendWithTruncatedLogs } from "./padding.ts";

const PRINCIPAL = 1_000n * USDC;
const TERM = 30n * 86_400n;

/**
 * Sends `instructions` padded until the logs truncate, then checks that the
 * sent packet's bytes are not in the logs but are in the packet account of
 * (app, REMOTE_EID, nonce), with the expected message type and loan id.
 */
async function expectPacketInStateDespiteTruncatedLogs(
  fixture: { program: PoolFixture["program"]; id: Address },
  instructions: Instruction[],
  expected: { app: Address; receiver: Hex; nonce: bigint; type: LoanMessage["type"]; loanId: Hex },
): Promise<LoanMessage> {
  const outcome = await sendWithTruncatedLogs(fixture.program, instructions);

  if (!outcome.ok) throw new Error(`padded transaction failed:\n${outcome.logs.join("\n")}`);
  expect(outcome.logs).toContain(LOG_TRUNCATED);
  expect(outcome.size).toBeLessThanOrEqual(PACKET_DATA_SIZE);
  const account = await pda.packet(fixture.id, expected.app, REMOTE_EID, expected.nonce);
  const data = fixture.program.data(account);
  if (!data) throw new Error(`no packet account ${account}`);
  const bytes = outboundPacketBytes(data);
  // The log line that used to be the only copy of the packet is gone.
  expect(loggedData(outcome.logs).map((logged) => toHex(logged))).not.toContain(toHex(bytes));
  const packet = decodePacket(bytes);
  expect(packet).toMatchObject({
    nonce: expected.nonce,
    srcEid: LOCAL_EID,
    sender: toHex(addressBytes(expected.app)),
    dstEid: REMOTE_EID,
    receiver: expected.receiver,
  });
  const message = decodeLoanMessage(packet.message);
  expect(message.type).toBe(expected.type);
  expect(message.loanId).toBe(expected.loanId);
  return message;
}

describe("pool sends with truncated logs", () => {
  let fixture: PoolFixture;
  let message: LoanMessageOf<"OPEN_LOAN">;
  let recipientTokens: Address;

  const loanRef = () => ({
    payer: fixture.program.payer,
    loanId: toBytes(message.loanId),
    srcEid: REMOTE_EID,
    packetNonce: fixture.packetNonce(),
  });
  const expected = (type: LoanMessage["type"]) => ({
    app: fixture.pool,
    receiver: REMOTE_VAULT,
    nonce: fixture.packetNonce(),
    type,
    loanId: message.loanId,
  });
  const poolStatus = async () =>
    fixture.program.decode("PoolLoan", await pda.poolLoan(fixture.id, toBytes(message.loanId)))
      .status;

  beforeEach(async () => {
    fixture = await startPool();
    recipientTokens = (await fixture.recipient()).tokens;
    message = openLoanMessage((await fixture.recipient()).wallet.address, {
      principal: PRINCIPAL,
      termSeconds: TERM,
    });
  });

  const open = async () => {
    const recipient = await fixture.recipient();
    message = openLoanMessage(recipient.wallet.address, {
      principal: PRINCIPAL,
      termSeconds: TERM,
    });
    expectOk(
      await fixture.program.send(
        ...(await openLoanDelivery(fixture, message, { recipientTokens: recipient.tokens })),
      ),
    );
  };

  it("paddedDeliverOfAcceptedOpenLoan_storesLoanActivePacket", async () => {
    const recipient = await fixture.recipient();
    message = openLoanMessage(recipient.wallet.address, { principal: PRINCIPAL });
    const instructions = await openLoanDelivery(fixture, message, {
      recipientTokens: recipient.tokens,
    });

    const answer = await expectPacketInStateDespiteTruncatedLogs(
      fixture,
      instructions,
      expected("LOAN_ACTIVE"),
    );

    expect(answer).toMatchObject({ principal: PRINCIPAL, startTime: NOW });
    expect(await poolStatus()).toBe(PoolLoanStatus.Active);
  });

  it("paddedDeliverOfRejectedOpenLoan_storesLoanRejectedPacket", async () => {
    message = openLoanMessage((await fixture.recipient()).wallet.address, {
      principal: 10n ** 15n, // far above the collateral's value
    });
    const instructions = await openLoanDelivery(fixture, message, { recipientTokens });

    const answer = await expectPacketInStateDespiteTruncatedLogs(
      fixture,
      instructions,
      expected("LOAN_REJECTED"),
    );

    expect(answer).toMatchObject({ reason: "LtvTooHigh" });
  });

  it("paddedDeclareDefault_storesDefaultedPacket", async () => {
    await open();
    fixture.program.setTime(dueTimeOf(NOW, TERM) + POOL_TERMS.gracePeriodSeconds + 1n);

    await expectPacketInStateDespiteTruncatedLogs(
      fixture,
      [await declareDefaultInstruction(fixture.id, loanRef())],
      expected("DEFAULTED"),
    );

    expect(await poolStatus()).toBe(PoolLoanStatus.Defaulted);
  });

  it("paddedLiquidate_storesLiquidatedPacket", async () => {
    await open();
    expectOk(
      await fixture.program.send(
        await setPriceInstruction(fixture.id, {
          payer: fixture.program.payer,
          admin: fixture.admin,
          priceId: ETH_PRICE_ID,
          price: 1_000n * USDC, // 1 ETH worth $1,000 for a $1,000 debt
        }),
      ),
    );

    await expectPacketInStateDespiteTruncatedLogs(
      fixture,
      [
        await liquidateInstruction(fixture.id, {
          ...loanRef(),
          asset: NATIVE_ASSET,
          priceId: ETH_PRICE_ID,
        }),
      ],
      expected("LIQUIDATED"),
    );

    expect(await poolStatus()).toBe(PoolLoanStatus.Liquidated);
  });

  it("paddedThirdPartyRepayOfOneBaseUnit_storesRepaidPacket", async () => {
    await open();
    const borrowerTokens = await createTokenAccount(
      fixture.program.svm,
      fixture.stablecoin,
      fixture.program.payer.address,
      PRINCIPAL,
    );
    expectOk(
      await fixture.program.send(
        await repayInstruction(fixture.id, {
          ...loanRef(),
          payerTokens: borrowerTokens,
          amount: PRINCIPAL - 1n,
        }),
      ),
    );
    const griefer = await fixture.program.fundedSigner();
    const grieferTokens = await createTokenAccount(
      fixture.program.svm,
      fixture.stablecoin,
      griefer.address,
      1n,
    );

    const answer = await expectPacketInStateDespiteTruncatedLogs(
      fixture,
      [
        await repayInstruction(fixture.id, {
          ...loanRef(),
          payer: griefer,
          payerTokens: grieferTokens,
          amount: 1n,
        }),
      ],
      expected("REPAID"),
    );

    expect(answer).toMatchObject({ amountRepaid: PRINCIPAL });
    expect(await poolStatus()).toBe(PoolLoanStatus.Repaid);
  });

  it("paddedCancelExpired_storesLoanRejectedExpiredPacket", async () => {
    const borrower = toBytes(REMOTE_POOL); // any bytes32 borrower
    const expiresAt = NOW + REQUEST_TTL;
    fixture.program.setTime(expiresAt + 1n);
    const instruction = await cancelExpiredInstruction(fixture.id, {
      payer: fixture.program.payer,
      srcEid: REMOTE_EID,
      remoteVault: toBytes(REMOTE_VAULT),
      borrower,
      vaultNonce: 7n,
      expiresAt,
      packetNonce: fixture.packetNonce(),
    });
    message = { ...message, loanId: toHex(instruction.loanId) };

    const answer = await expectPacketInStateDespiteTruncatedLogs(
      fixture,
      [instruction.instruction],
      expected("LOAN_REJECTED"),
    );

    expect(answer).toMatchObject({ reason: "Expired" });
  });
});

describe("vault sends with truncated logs", () => {
  it("paddedOpen_storesOpenLoanPacket", async () => {
    const fixture = await startVault();
    const borrower = await fixture.program.fundedSigner();
    const { vaultNonce, packetNonce } = fixture.nextNonces();
    const { instruction, loanId } = await openInstruction(fixture.id, {
      ...OPEN_DEFAULTS,
      borrower,
      collateralAmount: 2_000_000_000n,
      expiresAt: NOW + REQUEST_TTL,
      localEid: LOCAL_EID,
      lendingEid: REMOTE_EID,
      vaultNonce,
      packetNonce,
    });

    const message = await expectPacketInStateDespiteTruncatedLogs(fixture, [instruction], {
      app: fixture.vault,
      receiver: REMOTE_POOL,
      nonce: packetNonce,
      type: "OPEN_LOAN",
      loanId: toHex(loanId),
    });

    expect(message).toMatchObject({
      expiresAt: NOW + REQUEST_TTL,
      collateralAmount: 2_000_000_000n,
    });
  });
});
