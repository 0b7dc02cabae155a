// deliverAppAccounts: the accounts a relayer resolves from the packet and
// the chain, checked by delivering with exactly them through the real
// Deliver path (every message type, native and token payouts), and the
// packets it refuses to resolve.
import { type LoanMessage, toBytes, toHex } from "@loanbridge/shared";
import { type Address, type KeyPairSigner } from "@solana/kit";
import { describe, expect, it } from "vitest";
import {
  addressBytes,
  associatedTokenAccount,
  createMint,
  createTokenAccount,
  deliverAppAccounts,
  DeliverAccountsError,
  openInstruction,
  pda,
  PoolLoanStatus,
  setAssetAllowedInstruction,
  tokenBalance,
  VaultLoanState,
} from "../client/index.ts";
import {
  deliver,
  expectOk,
  inboundPacket,
  LOCAL_EID,
  nextInboundNonce,
  OPEN_DEFAULTS,
  openLoanMessage,
  type PoolFixture,
  REMOTE_EID,
  REMOTE_POOL,
  REMOTE_VAULT,
  startPool,
  startVault,
  type VaultFixture,
} from "./fixture.ts";

const SOL = 1_000_000_000n;

const reader =
  (fixture: { program: { data(address: Address): Uint8Array | null } }) =>
  // eslint-disable-next-line @typescript-eslint/require-await -- the reader is async for RPC
  async (address: Address) =>
    fixture.program.data(address);

/** Delivers `message` to `app` with the accounts deliverAppAccounts resolves. */
async function deliverResolved(
  fixture: PoolFixture | VaultFixture,
  app: Address,
  message: LoanMessage,
) {
  const sender = message.type === "OPEN_LOAN" ? REMOTE_VAULT : REMOTE_POOL;
  const packet = inboundPacket(app, message, { nonce: nextInboundNonce(), sender });
  const { accounts } = await deliverAppAccounts(fixture.id, packet, reader(fixture));
  return deliver(fixture, packet, { appAccounts: accounts });
}

describe("deliverAppAccounts, pool", () => {
  it("openLoan_disbursesToTheRecipientsAssociatedTokenAccount", async () => {
    const fixture = await startPool();
    const recipient = await fixture.program.fundedSigner(1n);
    const ata = await associatedTokenAccount(recipient.address, fixture.stablecoin);
    await createTokenAccount(fixture.program.svm, fixture.stablecoin, recipient.address, 0n, ata);
    const message = openLoanMessage(recipient.address);

    expectOk(await deliverResolved(fixture, fixture.pool, message));

    const loan = fixture.program.decode(
      "PoolLoan",
      await pda.poolLoan(fixture.id, toBytes(message.loanId)),
    );
    expect(loan.status).toBe(PoolLoanStatus.Active);
    expect(tokenBalance(fixture.program.svm, ata)).toBe(message.principal);
  });

  it("openLoan_ofUnknownCollateral_resolvesAndIsRejected", async () => {
    const fixture = await startPool();
    const recipient = await fixture.program.fundedSigner(1n);
    const message = openLoanMessage(recipient.address, {
      collateralAsset: toHex(new Uint8Array(32).fill(0x77)),
    });

    expectOk(await deliverResolved(fixture, fixture.pool, message));

    const loan = fixture.program.decode(
      "PoolLoan",
      await pda.poolLoan(fixture.id, toBytes(message.loanId)),
    );
    expect(loan.status).toBe(PoolLoanStatus.Rejected);
  });

  it("openLoans_resolvedFromOneState_landInOrder_whenEachNamesTheAnswerNonceAfterTheLast", async () => {
    const fixture = await startPool();
    const recipient = await fixture.program.fundedSigner(1n);
    const ata = await associatedTokenAccount(recipient.address, fixture.stablecoin);
    await createTokenAccount(fixture.program.svm, fixture.stablecoin, recipient.address, 0n, ata);
    const openLoanPacket = () =>
      inboundPacket(fixture.pool, openLoanMessage(recipient.address), {
        nonce: nextInboundNonce(),
        sender: REMOTE_VAULT,
      });
    const [one, two, three] = [openLoanPacket(), openLoanPacket(), openLoanPacket()];
    // Both resolved before either is delivered, as a relayer pipelining them does.
    const first = await deliverAppAccounts(fixture.id, one, reader(fixture));
    const answered = first.answerNonce ?? 0n;
    const stale = await deliverAppAccounts(fixture.id, two, reader(fixture));
    const second = await deliverAppAccounts(fixture.id, two, reader(fixture), {
      answerNonceAtLeast: answered + 1n,
    });
    expect(answered).toBeGreaterThan(0n);
    expect(stale.answerNonce).toBe(answered);
    expect(second.answerNonce).toBe(answered + 1n);

    expectOk(await deliver(fixture, one, { appAccounts: first.accounts }));
    expect((await deliver(fixture, two, { appAccounts: stale.accounts })).ok).toBe(false);
    expectOk(await deliver(fixture, two, { appAccounts: second.accounts }));

    // A floor below the counter is the counter's: what landed meanwhile wins.
    const resolved = await deliverAppAccounts(fixture.id, three, reader(fixture), {
      answerNonceAtLeast: answered,
    });
    expect(resolved.answerNonce).toBe(answered + 2n);
  });

  it("openLoans_resolvedFromOneState_withCandidates_allLand", async () => {
    // Three relayers resolve from one state and do not know of each other's
    // deliveries: with three candidates each, all three land, in any order.
    const fixture = await startPool();
    const recipient = await fixture.program.fundedSigner(1n);
    const ata = await associatedTokenAccount(recipient.address, fixture.stablecoin);
    await createTokenAccount(fixture.program.svm, fixture.stablecoin, recipient.address, 0n, ata);
    const packets = [1, 2, 3].map(() =>
      inboundPacket(fixture.pool, openLoanMessage(recipient.address), {
        nonce: nextInboundNonce(),
        sender: REMOTE_VAULT,
      }),
    );
    const resolved = await Promise.all(
      packets.map((packet) =>
        deliverAppAccounts(fixture.id, packet, reader(fixture), { answerCandidates: 3 }),
      ),
    );
    const next = resolved[0]?.answerNonce ?? 0n;
    const pool = fixture.pool;
    for (const { accounts, answerNonce, answerCandidates } of resolved) {
      expect(answerNonce).toBe(next);
      expect(answerCandidates).toBe(3);
      expect(accounts.slice(-3).map((account) => account.address)).toEqual(
        await Promise.all(
          [0n, 1n, 2n].map((offset) => pda.packet(fixture.id, pool, REMOTE_EID, next + offset)),
        ),
      );
    }

    for (const index of [2, 0, 1]) {
      const packet = packets[index];
      const app = resolved[index];
      if (packet === undefined || app === undefined) throw new Error("no delivery");
      expectOk(await deliver(fixture, packet, { appAccounts: app.accounts }));
    }
    expect(fixture.packetNonce()).toBe(next + 3n);
  });

  it("answerToThePool_isRefused", async () => {
    const fixture = await startPool();
    const packet = inboundPacket(
      fixture.pool,
      { type: "REPAID", loanId: toHex(new Uint8Array(32)), amountRepaid: 1n },
      { nonce: nextInboundNonce() },
    );

    await expect(deliverAppAccounts(fixture.id, packet, reader(fixture))).rejects.toThrow(
      DeliverAccountsError,
    );
  });

  it("unknownReceiver_isRefused", async () => {
    const fixture = await startPool();
    const stranger = await fixture.program.fundedSigner(1n);
    const packet = inboundPacket(stranger.address, openLoanMessage(stranger.address), {
      nonce: nextInboundNonce(),
    });

    await expect(deliverAppAccounts(fixture.id, packet, reader(fixture))).rejects.toThrow(
      /neither the vault nor the pool/,
    );
  });
});

describe("deliverAppAccounts, vault", () => {
  async function openNative(fixture: VaultFixture, borrower: KeyPairSigner) {
    const { instruction, loanId } = await openInstruction(fixture.id, {
      borrower,
      collateralAmount: 3n * SOL,
      ...OPEN_DEFAULTS,
      localEid: LOCAL_EID,
      lendingEid: REMOTE_EID,
      ...fixture.nextNonces(),
    });
    expectOk(await fixture.program.send(instruction));
    return toHex(loanId);
  }

  async function openToken(fixture: VaultFixture, borrower: KeyPairSigner, amount: bigint) {
    const mint = await createMint(fixture.program.svm, fixture.admin.address, 9);
    const borrowerTokens = await associatedTokenAccount(borrower.address, mint);
    await createTokenAccount(fixture.program.svm, mint, borrower.address, amount, borrowerTokens);
    expectOk(
      await fixture.program.send(
        await setAssetAllowedInstruction(fixture.id, {
          payer: fixture.program.payer,
          admin: fixture.admin,
          mint,
          allowed: true,
        }),
      ),
    );
    const { instruction, loanId } = await openInstruction(fixture.id, {
      borrower,
      collateralAmount: amount,
      ...OPEN_DEFAULTS,
      localEid: LOCAL_EID,
      lendingEid: REMOTE_EID,
      ...fixture.nextNonces(),
      token: { mint, borrowerTokens },
    });
    expectOk(await fixture.program.send(instruction));
    return { loanId: toHex(loanId), mint, borrowerTokens };
  }

  const active = (loanId: `0x${string}`): LoanMessage => ({
    type: "LOAN_ACTIVE",
    loanId,
    principal: 900_000_000n,
    rateBps: 500,
    startTime: 1_700_000_100n,
    dueTime: 1_702_592_100n,
  });

  it("activeThenRepaid_releasesNativeCollateralToTheBorrower", async () => {
    const fixture = await startVault();
    const borrower = await fixture.program.fundedSigner(100n);
    const loanId = await openNative(fixture, borrower);

    expectOk(await deliverResolved(fixture, fixture.vault, active(loanId)));
    const before = fixture.program.lamports(borrower.address);
    expectOk(
      await deliverResolved(fixture, fixture.vault, { type: "REPAID", loanId, amountRepaid: 1n }),
    );

    expect(fixture.program.lamports(borrower.address) - before).toBe(3n * SOL);
    const loan = fixture.program.decode(
      "VaultLoan",
      await pda.vaultLoan(fixture.id, toBytes(loanId)),
    );
    expect(loan.state).toBe(VaultLoanState.Released);
  });

  it("rejected_refundsTokenCollateralToTheBorrowersAssociatedAccount", async () => {
    const fixture = await startVault();
    const borrower = await fixture.program.fundedSigner(100n);
    const { loanId, borrowerTokens } = await openToken(fixture, borrower, 5_000n);
    expect(tokenBalance(fixture.program.svm, borrowerTokens)).toBe(0n);

    expectOk(
      await deliverResolved(fixture, fixture.vault, {
        type: "LOAN_REJECTED",
        loanId,
        reason: "LtvTooHigh",
      }),
    );

    expect(tokenBalance(fixture.program.svm, borrowerTokens)).toBe(5_000n);
  });

  it.each(["DEFAULTED", "LIQUIDATED"] as const)("%s_paysTheMessagesBeneficiary", async (type) => {
    const fixture = await startVault();
    const borrower = await fixture.program.fundedSigner(100n);
    const beneficiary = await fixture.program.fundedSigner(1n);
    const loanId = await openNative(fixture, borrower);
    expectOk(await deliverResolved(fixture, fixture.vault, active(loanId)));
    const before = fixture.program.lamports(beneficiary.address);

    expectOk(
      await deliverResolved(fixture, fixture.vault, {
        type,
        loanId,
        outstanding: 1n,
        beneficiary: toHex(addressBytes(beneficiary.address)),
      }),
    );

    expect(fixture.program.lamports(beneficiary.address) - before).toBe(3n * SOL);
  });

  it("unknownLoan_isRefused", async () => {
    const fixture = await startVault();
    const packet = inboundPacket(fixture.vault, active(toHex(new Uint8Array(32).fill(9))), {
      nonce: nextInboundNonce(),
    });

    await expect(deliverAppAccounts(fixture.id, packet, reader(fixture))).rejects.toThrow(
      /no vault loan/,
    );
  });

  it("openLoanToTheVault_isRefused", async () => {
    const fixture = await startVault();
    const packet = inboundPacket(fixture.vault, openLoanMessage(fixture.admin.address), {
      nonce: nextInboundNonce(),
    });

    await expect(deliverAppAccounts(fixture.id, packet, reader(fixture))).rejects.toThrow(
      /does not receive OPEN_LOAN/,
    );
  });
});
