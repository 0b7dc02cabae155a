// ClosePacket: an outbound packet account is closed to the payer it records
// once its loan is final on this chain and it is MIN_PACKET_AGE_SECONDS old
// (shared/LOANS.md "On Solana", rent); every other call is refused with a
// typed error, and a closed account cannot be revived within the same
// transaction.
import { type LoanMessageOf, toBytes, toHex } from "@loanbridge/shared";
import { type Address, address, type Instruction, type KeyPairSigner, lamports } from "@solana/kit";
import { beforeEach, describe, expect, it } from "vitest";
import {
  closePacketInstruction,
  createTokenAccount,
  LoanbridgeProgramError as E,
  MIN_PACKET_AGE_SECONDS,
  nativePayout,
  openInstruction,
  outboundPacketRent,
  payerMeta,
  pda,
  readonly,
  repayInstruction,
  vaultReceiveAccounts,
  writable,
} from "../client/index.ts";
import { BuiltinInstructionError, loggedComputeUnits } from "../client/litesvm.ts";
import {
  deliver,
  deliverOpenLoan,
  expectCustomError,
  expectOk,
  inboundPacket,
  LOCAL_EID,
  OPEN_DEFAULTS,
  openLoanMessage,
  type PoolFixture,
  REMOTE_EID,
  startPool,
  startVault,
  USDC,
  withAccount,
} from "./fixture.ts";

const SYSTEM_PROGRAM = address("11111111111111111111111111111111");

/** The system program's `Transfer` (instruction 2, then the lamports as u64 LE). */
function transferSol(from: KeyPairSigner, to: Address, amount: bigint): Instruction {
  const data = new Uint8Array(12);
  const view = new DataView(data.buffer);
  view.setUint32(0, 2, true);
  view.setBigUint64(4, amount, true);
  return {
    programAddress: SYSTEM_PROGRAM,
    accounts: [payerMeta(from), writable(to)],
    data,
  };
}

describe("ClosePacket, pool packets", () => {
  let fixture: PoolFixture;
  let message: LoanMessageOf<"OPEN_LOAN">;
  let repayer: KeyPairSigner;
  let repayerTokens: Address;
  /** The LOAN_ACTIVE packet (nonce 1), paid by the delivering relayer. */
  let activePacket: Address;
  let poolNonce: Address;

  beforeEach(async () => {
    fixture = await startPool();
    const recipient = await fixture.recipient();
    message = openLoanMessage(recipient.wallet.address);
    expectOk(await deliverOpenLoan(fixture, message, { recipientTokens: recipient.tokens }));
    activePacket = await pda.packet(fixture.id, fixture.pool, REMOTE_EID, 1n);
    poolNonce = await pda.nonce(fixture.id, fixture.pool, REMOTE_EID);
    repayer = await fixture.program.fundedSigner();
    repayerTokens = await createTokenAccount(
      fixture.program.svm,
      fixture.stablecoin,
      repayer.address,
      10_000n * USDC,
    );
  });

  /** Repays in full (the loan becomes Repaid); returns the REPAID packet, paid by `repayer`. */
  async function repayInFull(): Promise<Address> {
    const packetNonce = fixture.packetNonce();
    expectOk(
      await fixture.program.send(
        await repayInstruction(fixture.id, {
          payer: repayer,
          payerTokens: repayerTokens,
          amount: 10_000n * USDC,
          loanId: toBytes(message.loanId),
          srcEid: REMOTE_EID,
          packetNonce,
        }),
      ),
    );
    return pda.packet(fixture.id, fixture.pool, REMOTE_EID, packetNonce);
  }

  const data = (account: Address): Uint8Array => {
    const bytes = fixture.program.data(account);
    if (bytes === null) throw new Error(`no account at ${account}`);
    return bytes;
  };
  const close = (packet: Address, bytes = data(packet)) =>
    closePacketInstruction(fixture.id, { packet, data: bytes });
  /** The pool path's `close_horizon`. */
  const horizon = () => fixture.program.decode("OutboundNonce", poolNonce).close_horizon as bigint;
  /** Sets the clock to `by` seconds past the moment `packet` may be closed. */
  const ageOut = (packet: Address, by = 0n): void => {
    fixture.program.setTime(outboundPacketRent(data(packet)).sentAt + MIN_PACKET_AGE_SECONDS + by);
  };

  it("finalLoanAndOldEnough_closesTheAccountAndReturnsItsRentToThePayer", async () => {
    const packet = await repayInFull();
    expect(outboundPacketRent(data(packet)).payer).toBe(repayer.address);
    ageOut(packet);
    const rent = fixture.program.lamports(packet);
    const before = fixture.program.lamports(repayer.address);

    const outcome = await fixture.program.send(await close(packet));

    expectOk(outcome);
    console.log(
      `ClosePacket: ${loggedComputeUnits(outcome.logs, fixture.id)} CU, tx ${outcome.size} bytes, ${rent} lamports back`,
    );
    expect(rent).toBe(fixture.program.svm.minimumBalanceForRentExemption(BigInt(data0Len())));
    expect(fixture.program.lamports(repayer.address)).toBe(before + rent);
    expect(fixture.program.data(packet)).toBeNull();
    expect(fixture.program.lamports(packet)).toBe(0n);
    expect(horizon()).toBe(2n);
  });

  /** The size of a packet account, from the IDL layout the program writes. */
  const data0Len = () => data(activePacket).length;

  it("theLoansEarlierPacket_closesOnceTheLoanIsFinal", async () => {
    const repaid = await repayInFull();
    ageOut(repaid);

    expectOk(await fixture.program.send(await close(repaid)));
    expect(horizon()).toBe(2n);

    expectOk(await fixture.program.send(await close(activePacket)));

    expect(fixture.program.data(activePacket)).toBeNull();
    // The horizon never goes down: closes need not come in nonce order.
    expect(horizon()).toBe(2n);
  });

  it("anotherPathsNonceAccount_refusedInvalidPda", async () => {
    const packet = await repayInFull();
    ageOut(packet);
    const vaultNonce = await pda.nonce(fixture.id, fixture.vault, REMOTE_EID);

    const outcome = await fixture.program.send(
      withAccount(await close(packet), 1, writable(vaultNonce)),
    );

    expectCustomError(outcome, E.InvalidPda);
    expect(horizon()).toBe(0n);
  });

  it("nonceAccountNotWritable_refusedAccountNotWritable", async () => {
    const packet = await repayInFull();
    ageOut(packet);
    const nonce = await pda.nonce(fixture.id, fixture.pool, REMOTE_EID);

    const outcome = await fixture.program.send(
      withAccount(await close(packet), 1, readonly(nonce)),
    );

    expectCustomError(outcome, E.AccountNotWritable);
  });

  it("oneSecondBeforeTheMinimumAge_refusedPacketTooYoung", async () => {
    const packet = await repayInFull();
    ageOut(packet, -1n);

    expectCustomError(await fixture.program.send(await close(packet)), E.PacketTooYoung);
    expect(fixture.program.data(packet)).not.toBeNull();
  });

  it("loanStillActive_refusedPacketLoanNotFinal", async () => {
    ageOut(activePacket, 365n * 86_400n);

    expectCustomError(await fixture.program.send(await close(activePacket)), E.PacketLoanNotFinal);
  });

  it("rentToAnotherAccount_refusedWrongRentRecipient", async () => {
    const packet = await repayInFull();
    ageOut(packet);
    const thief = await fixture.program.fundedSigner();

    const outcome = await fixture.program.send(
      await closePacketInstruction(fixture.id, {
        packet,
        data: data(packet),
        overrides: { rentRecipient: thief.address },
      }),
    );

    expectCustomError(outcome, E.WrongRentRecipient);
  });

  it("twice_refusedTheSecondTimeAsNotTheProgramsAccount", async () => {
    const packet = await repayInFull();
    ageOut(packet);
    const bytes = data(packet);
    expectOk(await fixture.program.send(await close(packet, bytes)));

    expectCustomError(
      await fixture.program.send(await close(packet, bytes)),
      E.InvalidAccountOwner,
    );
  });

  it("revivedWithLamportsInTheSameTransaction_isNoPacketAnyMore", async () => {
    const packet = await repayInFull();
    ageOut(packet);
    const bytes = data(packet);
    const topUp = transferSol(fixture.program.payer, packet, 10_000_000n);

    // Close, top the address up, close again: the second close finds a system account.
    const twice = await fixture.program.send(
      await close(packet, bytes),
      topUp,
      await close(packet, bytes),
    );
    expectCustomError(twice, E.InvalidAccountOwner);

    // Close then top up: the address is a plain system account with no data.
    expectOk(await fixture.program.send(await close(packet, bytes), topUp));
    const account = fixture.program.svm.getAccount(packet);
    expect(account.exists && account.programAddress).toBe(SYSTEM_PROGRAM);
    expect(account.exists && account.data.length).toBe(0);
  });

  it("packetNotWritable_refusedAccountNotWritable", async () => {
    const packet = await repayInFull();
    ageOut(packet);

    const outcome = await fixture.program.send(
      withAccount(await close(packet), 2, readonly(packet)),
    );

    expectCustomError(outcome, E.AccountNotWritable);
  });

  it("recipientNotWritable_refusedAccountNotWritable", async () => {
    const packet = await repayInFull();
    ageOut(packet);

    const outcome = await fixture.program.send(
      withAccount(await close(packet), 4, readonly(repayer.address)),
    );

    expectCustomError(outcome, E.AccountNotWritable);
  });

  it("aCopyOfThePacketOwnedByAnotherProgram_refusedInvalidAccountOwner", async () => {
    const packet = await repayInFull();
    ageOut(packet);
    const forged = await fixture.program.fundedSigner();
    fixture.program.svm.setAccount({
      address: forged.address,
      data: data(packet),
      executable: false,
      lamports: lamports(fixture.program.lamports(packet)),
      programAddress: SYSTEM_PROGRAM,
      space: BigInt(data(packet).length),
    });

    const outcome = await fixture.program.send(await close(forged.address, data(packet)));

    expectCustomError(outcome, E.InvalidAccountOwner);
  });

  it("aCopyOfThePacketOffItsAddress_refusedInvalidPda", async () => {
    const packet = await repayInFull();
    ageOut(packet);
    const elsewhere = (await fixture.program.fundedSigner()).address;
    fixture.program.svm.setAccount({
      address: elsewhere,
      data: data(packet),
      executable: false,
      lamports: lamports(fixture.program.lamports(packet)),
      programAddress: fixture.id,
      space: BigInt(data(packet).length),
    });

    const outcome = await fixture.program.send(await close(elsewhere, data(packet)));

    expectCustomError(outcome, E.InvalidPda);
  });

  it("aNonPacketAccount_refusedInvalidAccountData", async () => {
    const packet = await repayInFull();
    ageOut(packet);
    const loan = await pda.poolLoan(fixture.id, toBytes(message.loanId));

    const outcome = await fixture.program.send(withAccount(await close(packet), 2, writable(loan)));

    expectCustomError(outcome, E.InvalidAccountData);
  });

  it("anotherLoansAccount_refusedPoolLoanMismatch", async () => {
    const packet = await repayInFull();
    ageOut(packet);
    // A second loan, also final (rejected: principal 0), whose account is a real pool loan.
    const recipient = await fixture.recipient();
    const other = openLoanMessage(recipient.wallet.address, {
      principal: 0n,
      expiresAt: fixture.program.now() + 3_600n,
    });
    expectOk(await deliverOpenLoan(fixture, other, { recipientTokens: recipient.tokens }));
    const otherLoan = await pda.poolLoan(fixture.id, toBytes(other.loanId));

    const outcome = await fixture.program.send(
      withAccount(await close(packet), 3, readonly(otherLoan)),
    );

    expectCustomError(outcome, E.PoolLoanMismatch);
  });

  it("aForgedFinalLoanOffItsAddress_refusedInvalidPda", async () => {
    // The loan is still active; a program-owned copy of it marked Repaid sits elsewhere.
    ageOut(activePacket);
    const loan = await pda.poolLoan(fixture.id, toBytes(message.loanId));
    const forgedData = data(loan).slice();
    forgedData[3] = 2; // status: Repaid
    const elsewhere = (await fixture.program.fundedSigner()).address;
    fixture.program.svm.setAccount({
      address: elsewhere,
      data: forgedData,
      executable: false,
      lamports: lamports(fixture.program.lamports(loan)),
      programAddress: fixture.id,
      space: BigInt(forgedData.length),
    });

    const outcome = await fixture.program.send(
      withAccount(await close(activePacket), 3, readonly(elsewhere)),
    );

    expectCustomError(outcome, E.InvalidPda);
  });

  it("aForeignEndpoint_refusedInvalidAccountOwner", async () => {
    const packet = await repayInFull();
    ageOut(packet);

    const outcome = await fixture.program.send(
      withAccount(await close(packet), 0, readonly(repayer.address)),
    );

    expectCustomError(outcome, E.InvalidAccountOwner);
  });

  it("missingAccounts_refusedNotEnoughAccountKeys", async () => {
    const packet = await repayInFull();
    ageOut(packet);
    const instruction = await close(packet);

    const outcome = await fixture.program.send({
      ...instruction,
      accounts: (instruction.accounts ?? []).slice(0, 4),
    });

    expect(outcome.ok || outcome.error).toEqual({
      kind: "builtin",
      code: BuiltinInstructionError.NotEnoughAccountKeys,
      index: 0,
    });
    expect(fixture.program.data(packet)).not.toBeNull();
  });
});

describe("ClosePacket, vault packets", () => {
  it("openLoanOfARefundedLoan_closesToTheBorrowerWhoPaidIt_notBeforeTheLoanIsFinal", async () => {
    const fixture = await startVault();
    const borrower = await fixture.program.fundedSigner(100n);
    const { instruction, loanId } = await openInstruction(fixture.id, {
      borrower,
      collateralAmount: 3_000_000_000n,
      ...OPEN_DEFAULTS,
      localEid: LOCAL_EID,
      lendingEid: REMOTE_EID,
      ...fixture.nextNonces(),
    });
    expectOk(await fixture.program.send(instruction));
    const packet = await pda.packet(fixture.id, fixture.vault, REMOTE_EID, 1n);
    const bytes = fixture.program.data(packet);
    if (bytes === null) throw new Error("no OPEN_LOAN packet");
    expect(outboundPacketRent(bytes).payer).toBe(borrower.address);
    fixture.program.setTime(outboundPacketRent(bytes).sentAt + MIN_PACKET_AGE_SECONDS);
    const closeOpen = () => closePacketInstruction(fixture.id, { packet, data: bytes });

    // Requested: not final.
    expectCustomError(await fixture.program.send(await closeOpen()), E.PacketLoanNotFinal);

    expectOk(
      await deliver(
        fixture,
        inboundPacket(
          fixture.vault,
          { type: "LOAN_REJECTED", loanId: toHex(loanId), reason: "LtvTooHigh" },
          { nonce: 1n },
        ),
        {
          appAccounts: await vaultReceiveAccounts(
            fixture.id,
            loanId,
            nativePayout(borrower.address),
          ),
        },
      ),
    );
    const rent = fixture.program.lamports(packet);
    const before = fixture.program.lamports(borrower.address);

    expectOk(await fixture.program.send(await closeOpen()));

    expect(fixture.program.lamports(borrower.address)).toBe(before + rent);
    expect(fixture.program.data(packet)).toBeNull();
  });
});
