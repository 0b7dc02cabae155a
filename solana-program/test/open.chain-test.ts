// OpenNative / OpenToken: the borrower locks collateral, the vault records a
// Requested loan and sends OPEN_LOAN (shared/LOANS.md "Vault" 1).
import { decodeLoanMessage, decodePacket, toBytes, toHex } from "@loanbridge/shared";
import { type Address, AccountRole, type KeyPairSigner } from "@solana/kit";
import { keccak256 } from "ethers";
import { beforeEach, describe, expect, it } from "vitest";
import {
  addressBytes,
  createMint,
  createTokenAccount,
  LoanbridgeProgramError as E,
  openInstruction,
  type OpenInput,
  outboundPacketBytes,
  pauseInstruction,
  pda,
  setAssetAllowedInstruction,
  setPeerInstruction,
  tokenBalance,
  VaultLoanState,
} from "../client/index.ts";
import { loggedComputeUnits, loggedData } from "../client/litesvm.ts";
import {
  expectCustomError,
  expectOk,
  LOCAL_EID,
  NOW,
  OPEN_DEFAULTS,
  REMOTE_EID,
  REMOTE_POOL,
  REQUEST_TTL,
  startVault,
  type VaultFixture,
  withAccount,
} from "./fixture.ts";

const SOL = 1_000_000_000n;

describe("OpenNative and OpenToken", () => {
  let fixture: VaultFixture;
  let borrower: KeyPairSigner;

  beforeEach(async () => {
    fixture = await startVault();
    borrower = await fixture.program.fundedSigner(100n);
  });

  const open = async (overrides: Partial<OpenInput> = {}) =>
    openInstruction(fixture.id, {
      borrower,
      collateralAmount: 2n * SOL,
      ...OPEN_DEFAULTS,
      localEid: LOCAL_EID,
      lendingEid: REMOTE_EID,
      ...fixture.nextNonces(),
      ...overrides,
    });

  /** Allows a new mint and gives the borrower `amount` of it. */
  async function allowedToken(amount: bigint): Promise<{ mint: Address; borrowerTokens: Address }> {
    const mint = await createMint(fixture.program.svm, fixture.admin.address, 9);
    const borrowerTokens = await createTokenAccount(
      fixture.program.svm,
      mint,
      borrower.address,
      amount,
    );
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
    return { mint, borrowerTokens };
  }

  it("openNative_locksSolRecordsTheLoanAndSendsOpenLoan", async () => {
    // Given a borrower with SOL, when they open with 2 SOL of collateral
    const vaultBefore = fixture.program.lamports(fixture.vault);
    const { instruction, loanId } = await open();
    const outcome = await fixture.program.send(instruction);

    // then the collateral sits in the vault, tracked as locked
    expectOk(outcome);
    if (!outcome.ok) return;
    console.log(`OpenNative: ${loggedComputeUnits(outcome.logs, fixture.id)} CU`);
    expect(outcome.returnData).toEqual(loanId);
    expect(fixture.program.lamports(fixture.vault) - vaultBefore).toBe(2n * SOL);
    expect(fixture.program.decode("Vault", fixture.vault)).toMatchObject({
      loan_nonce: 1n,
      native_locked: 2n * SOL,
    });

    // the loan is Requested with its terms
    const loan = fixture.program.decode("VaultLoan", await pda.vaultLoan(fixture.id, loanId));
    expect(loan).toMatchObject({
      state: VaultLoanState.Requested,
      loan_id: loanId,
      borrower: borrower.address,
      asset: "11111111111111111111111111111111",
      collateral_amount: 2n * SOL,
      principal: OPEN_DEFAULTS.principal,
      max_rate_bps: OPEN_DEFAULTS.maxRateBps,
      term_seconds: OPEN_DEFAULTS.termSeconds,
      expires_at: NOW + REQUEST_TTL,
      vault_nonce: 1n,
      recipient: OPEN_DEFAULTS.recipient,
    });

    // and OPEN_LOAN went out: packet bytes in the logs, their hash and guid
    // in the packet account, nonce 1 from the vault to the remote pool.
    const [packet] = loggedData(outcome.logs);
    if (!packet) throw new Error("no packet logged");
    const decoded = decodePacket(packet);
    expect(decoded).toMatchObject({
      nonce: 1n,
      srcEid: LOCAL_EID,
      sender: toHex(addressBytes(fixture.vault)),
      dstEid: REMOTE_EID,
      receiver: REMOTE_POOL,
    });
    expect(decodeLoanMessage(decoded.message)).toEqual({
      type: "OPEN_LOAN",
      loanId: toHex(loanId),
      borrower: toHex(addressBytes(borrower.address)),
      recipient: toHex(OPEN_DEFAULTS.recipient),
      collateralAsset: `0x${"00".repeat(32)}`,
      collateralAmount: 2n * SOL,
      principal: OPEN_DEFAULTS.principal,
      maxRateBps: OPEN_DEFAULTS.maxRateBps,
      termSeconds: OPEN_DEFAULTS.termSeconds,
      expiresAt: NOW + REQUEST_TTL,
      installments: 1,
    });
    const record = fixture.program.decode(
      "OutboundPacket",
      await pda.packet(fixture.id, fixture.vault, REMOTE_EID, 1n),
    );
    expect(record).toMatchObject({
      status: 1,
      packet_hash: toBytes(keccak256(packet) as `0x${string}`),
      guid: toBytes(decoded.guid),
    });
    expect(
      fixture.program.decode(
        "OutboundNonce",
        await pda.nonce(fixture.id, fixture.vault, REMOTE_EID),
      ).nonce,
    ).toBe(1n);
  });

  it("installments_areSentInOpenLoan", async () => {
    const { instruction } = await open({ installments: 12 });
    const outcome = await fixture.program.send(instruction);

    expectOk(outcome);
    const [packet] = loggedData(outcome.logs);
    if (!packet) throw new Error("no packet logged");
    expect(decodeLoanMessage(decodePacket(packet).message)).toMatchObject({
      type: "OPEN_LOAN",
      installments: 12,
    });
  });

  it("secondOpen_usesTheNextNoncesAndAnotherLoanId", async () => {
    const first = await open();
    expectOk(await fixture.program.send(first.instruction));
    const second = await open();
    const outcome = await fixture.program.send(second.instruction);

    expectOk(outcome);
    expect(second.loanId).not.toEqual(first.loanId);
    const [packet] = loggedData(outcome.logs);
    expect(packet && decodePacket(packet).nonce).toBe(2n);
    expect(fixture.program.decode("Vault", fixture.vault)).toMatchObject({
      loan_nonce: 2n,
      native_locked: 4n * SOL,
    });
  });

  it("openToken_locksTokensInCustody", async () => {
    const { mint, borrowerTokens } = await allowedToken(500n);
    const { instruction, loanId } = await open({
      collateralAmount: 300n,
      token: { mint, borrowerTokens },
    });
    const outcome = await fixture.program.send(instruction);

    expectOk(outcome);
    console.log(`OpenToken: ${loggedComputeUnits(outcome.logs, fixture.id)} CU`);
    expect(tokenBalance(fixture.program.svm, borrowerTokens)).toBe(200n);
    expect(tokenBalance(fixture.program.svm, await pda.custody(fixture.id, mint))).toBe(300n);
    expect(
      fixture.program.decode("VaultLoan", await pda.vaultLoan(fixture.id, loanId)),
    ).toMatchObject({
      asset: mint,
      collateral_amount: 300n,
    });
    expect(fixture.program.decode("Vault", fixture.vault).native_locked).toBe(0n);
    const [packet] = loggedData(outcome.logs);
    const message = packet && decodeLoanMessage(decodePacket(packet).message);
    expect(message).toMatchObject({
      collateralAsset: toHex(addressBytes(mint)),
      collateralAmount: 300n,
    });
  });

  it.each([
    ["zeroCollateral", { collateralAmount: 0n }, "VaultZeroCollateral"],
    ["zeroPrincipal", { principal: 0n }, "VaultZeroPrincipal"],
    ["zeroRecipient", { recipient: new Uint8Array(32) }, "VaultZeroRecipient"],
    ["zeroInstallments", { installments: 0 }, "VaultZeroInstallments"],
    ["nativeBelowRentMinimum", { collateralAmount: 890_879n }, "VaultCollateralBelowRentMinimum"],
  ] as const)("%s_failsWith%s", async (_name, overrides, error) => {
    const { instruction } = await open(overrides);

    expectCustomError(await fixture.program.send(instruction), E[error]);
  });

  it("tokenNeverAllowed_failsWithVaultAssetNotAllowed", async () => {
    const mint = await createMint(fixture.program.svm, fixture.admin.address, 6);
    const borrowerTokens = await createTokenAccount(
      fixture.program.svm,
      mint,
      borrower.address,
      10n,
    );

    const { instruction } = await open({ collateralAmount: 5n, token: { mint, borrowerTokens } });

    expectCustomError(await fixture.program.send(instruction), E.VaultAssetNotAllowed);
  });

  it("tokenRemovedFromAllowList_failsWithVaultAssetNotAllowed", async () => {
    const token = await allowedToken(10n);
    expectOk(
      await fixture.program.send(
        await setAssetAllowedInstruction(fixture.id, {
          payer: fixture.program.payer,
          admin: fixture.admin,
          mint: token.mint,
          allowed: false,
        }),
      ),
    );

    const { instruction } = await open({ collateralAmount: 5n, token });

    expectCustomError(await fixture.program.send(instruction), E.VaultAssetNotAllowed);
  });

  it("borrowerTokenAccountOfAnotherMint_failsWithInvalidTokenAccount", async () => {
    const token = await allowedToken(10n);
    const otherMint = await createMint(fixture.program.svm, fixture.admin.address, 6);
    const wrongAccount = await createTokenAccount(
      fixture.program.svm,
      otherMint,
      borrower.address,
      10n,
    );

    const { instruction } = await open({
      collateralAmount: 5n,
      token: { mint: token.mint, borrowerTokens: wrongAccount },
    });

    expectCustomError(await fixture.program.send(instruction), E.InvalidTokenAccount);
  });

  it("tokenAccountOfAnotherOwner_failsWithInvalidTokenAccount", async () => {
    const token = await allowedToken(10n);
    const someoneElses = await createTokenAccount(
      fixture.program.svm,
      token.mint,
      fixture.admin.address,
      10n,
    );

    const { instruction } = await open({
      collateralAmount: 5n,
      token: { mint: token.mint, borrowerTokens: someoneElses },
    });

    expectCustomError(await fixture.program.send(instruction), E.InvalidTokenAccount);
  });

  it("custodyOfAnotherMint_failsWithInvalidPda", async () => {
    const token = await allowedToken(10n);
    const other = await allowedToken(10n);
    const { instruction } = await open({ collateralAmount: 5n, token });
    const forged = withAccount(instruction, 11, {
      address: await pda.custody(fixture.id, other.mint),
      role: AccountRole.WRITABLE,
    });

    expectCustomError(await fixture.program.send(forged), E.InvalidPda);
  });

  it("loanAccountForAnotherNonce_failsWithInvalidPda", async () => {
    const { instruction } = await open({ vaultNonce: 7n });

    expectCustomError(await fixture.program.send(instruction), E.InvalidPda);
  });

  it("packetAccountForAnotherNonce_failsWithInvalidPda", async () => {
    const { instruction } = await open({ packetNonce: 2n });

    expectCustomError(await fixture.program.send(instruction), E.InvalidPda);
  });

  it("endpointPaused_openStillStoresItsOpenLoanPacket", async () => {
    // A pause stops deliveries only (shared/LOANS.md "Endpoint pause").
    expectOk(await fixture.program.send(await pauseInstruction(fixture.id, fixture.guardian)));
    const { packetNonce } = fixture.nextNonces();
    const { instruction, loanId } = await open();

    expectOk(await fixture.program.send(instruction));

    const stored = fixture.program.data(
      await pda.packet(fixture.id, fixture.vault, REMOTE_EID, packetNonce),
    );
    if (!stored) throw new Error("no packet account");
    const message = decodeLoanMessage(decodePacket(outboundPacketBytes(stored)).message);
    expect(message).toMatchObject({ type: "OPEN_LOAN", loanId: toHex(loanId) });
  });

  it("peerUnset_failsWithNoPeer", async () => {
    expectOk(
      await fixture.program.send(
        await setPeerInstruction(fixture.id, {
          payer: fixture.program.payer,
          admin: fixture.admin,
          app: fixture.vault,
          remoteEid: REMOTE_EID,
          remoteApp: new Uint8Array(32),
        }),
      ),
    );
    const { instruction } = await open();

    expectCustomError(await fixture.program.send(instruction), E.NoPeer);
  });

  it("failedOpen_movesNothing", async () => {
    const before = fixture.program.lamports(borrower.address);
    const { instruction } = await open({ principal: 0n });
    await fixture.program.send(instruction);

    // Only the fee payer (the harness's payer) paid the fee.
    expect(fixture.program.lamports(borrower.address)).toBe(before);
    expect(fixture.program.decode("Vault", fixture.vault).loan_nonce).toBe(0n);
  });
});
