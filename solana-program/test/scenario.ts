// One program through every instruction the IDL declares, each built with
// the IDL's coder: a whole loan life on both apps (the vault opens towards
// the remote chain, the pool lends to it), settings, lenders, and the
// failure paths that send (reject, default, liquidation). The IDL coverage
// test asserts that every instruction succeeded here; the CU report
// (scripts/cu-report.ts) measures them.
import { type LoanMessageOf, toBytes, toHex } from "@loanbridge/shared";
import { type Address, type Instruction } from "@solana/kit";
import {
  acceptAdminInstruction,
  accountSize,
  cancelExpiredInstruction,
  closePacketInstruction,
  createMint,
  createTokenAccount,
  declareDefaultInstruction,
  depositInstruction,
  initializeVaultInstruction,
  instructionName,
  type InstructionName,
  liquidateInstruction,
  MIN_PACKET_AGE_SECONDS,
  nativePayout,
  openInstruction,
  outboundPacketRent,
  pauseInstruction,
  pausePoolInstruction,
  pda,
  redeemInstruction,
  repayInstruction,
  setAssetAllowedInstruction,
  setGuardianInstruction,
  setInstallmentTermsInstruction,
  setLoanTermsInstruction,
  setMaxPriceAgeInstruction,
  setPriceInstruction,
  setRequestTtlInstruction,
  setVerifierSetInstruction,
  tokenPayout,
  transferAdminInstruction,
  unpauseInstruction,
  unpausePoolInstruction,
  vaultReceiveAccounts,
  versionInstruction,
  withdrawInstruction,
} from "../client/index.ts";
import { type Outcome } from "../client/litesvm.ts";
import {
  deliver,
  deliverOpenLoan,
  ETH,
  ETH_PRICE_ID,
  expectOk,
  inboundPacket,
  LOCAL_EID,
  MAX_PRICE_AGE,
  NATIVE_ASSET,
  nextInboundNonce,
  NOW,
  OPEN_DEFAULTS,
  openLoanMessage,
  type PoolFixture,
  dueTimeOf,
  POOL_TERMS,
  REMOTE_EID,
  REMOTE_VAULT,
  REQUEST_TTL,
  startPool,
  USDC,
} from "./fixture.ts";

/** Four weeks: an installment period of whole week-wide due buckets. */
const INSTALLMENT_PERIOD = 28n * 86_400n;
/** The scenario's installment settings: up to 12, every four weeks, week or day. */
const INSTALLMENT_TERMS = {
  maxInstallments: 12,
  periods: [INSTALLMENT_PERIOD, 7n * 86_400n, 86_400n, 0n],
};

/** One sent transaction of the scenario. */
export interface Step {
  /** The program instruction it ran (the last one: Deliver follows the precompile). */
  instruction: InstructionName;
  /** What it did, for the report. */
  label: string;
  outcome: Outcome;
}

export interface ScenarioResult {
  fixture: PoolFixture;
  /** The labelled steps. */
  steps: Step[];
}

/**
 * Every successful transaction of the program's history as a step (setup
 * included), labelled by `labels` where the scenario named it.
 */
export function allSteps(result: ScenarioResult): Step[] {
  const labelled = new Map(result.steps.map((step) => [step.outcome, step]));
  return result.fixture.program.history.flatMap(({ instructions, outcome }) => {
    if (!outcome.ok) return [];
    const known = labelled.get(outcome);
    if (known) return [known];
    const last = instructions.at(-1);
    const name =
      last?.programAddress === result.fixture.id && last.data
        ? instructionName(last.data)
        : undefined;
    return name ? [{ instruction: name, label: name, outcome }] : [];
  });
}

/** Runs the scenario; every step must succeed. */
export async function runScenario(): Promise<ScenarioResult> {
  const fixture = await startPool();
  const { program, id } = fixture;
  const steps: Step[] = [];
  async function step(label: string, ...instructions: Instruction[]): Promise<Outcome> {
    const outcome = await program.send(...instructions);
    expectOk(outcome);
    const last = instructions.at(-1);
    const name = last?.data ? instructionName(last.data) : undefined;
    if (!name) throw new Error(`step "${label}" ran no program instruction`);
    steps.push({ instruction: name, label, outcome });
    return outcome;
  }
  // startPool ran these through the same builders; run them again here so
  // each is a recorded step.
  let admin = fixture.admin;

  await step("Version", versionInstruction(id));
  await step("SetGuardian", await setGuardianInstruction(id, admin, fixture.guardian.address));
  await step("Pause (guardian)", await pauseInstruction(id, fixture.guardian));
  await step("Unpause", await unpauseInstruction(id, admin));
  const nextAdmin = await program.fundedSigner();
  await step("TransferAdmin", await transferAdminInstruction(id, admin, nextAdmin.address));
  await step("AcceptAdmin", await acceptAdminInstruction(id, nextAdmin));
  admin = nextAdmin;
  fixture.admin = nextAdmin;
  await step(
    "SetVerifierSet (3 keys, threshold 2)",
    await setVerifierSetInstruction(id, {
      admin,
      threshold: 2,
      verifiers: fixture.verifiers.map((verifier) => verifier.address),
    }),
  );

  // Vault: settings, then a native and a token loan towards REMOTE_EID.
  await step(
    "InitializeVault",
    await initializeVaultInstruction(id, {
      payer: program.payer,
      admin,
      lendingEid: REMOTE_EID,
      requestTtl: REQUEST_TTL,
    }),
  );
  await step("SetRequestTtl", await setRequestTtlInstruction(id, admin, REQUEST_TTL));
  const borrower = await program.fundedSigner(100n);
  const collateralMint = await createMint(program.svm, admin.address, 9);
  const borrowerTokens = await createTokenAccount(
    program.svm,
    collateralMint,
    borrower.address,
    1_000n,
  );
  await step(
    "SetAssetAllowed (creates entry and custody)",
    await setAssetAllowedInstruction(id, {
      payer: program.payer,
      admin,
      mint: collateralMint,
      allowed: true,
    }),
  );
  const nonces = () => {
    const vault = program.decode("Vault", fixture.vault);
    return { vaultNonce: (vault.loan_nonce as bigint) + 1n };
  };
  let vaultPacketNonce = 0n;
  const openArgs = () => {
    vaultPacketNonce += 1n;
    return {
      borrower,
      ...OPEN_DEFAULTS,
      localEid: LOCAL_EID,
      lendingEid: REMOTE_EID,
      ...nonces(),
      packetNonce: vaultPacketNonce,
    };
  };
  const native = await openInstruction(id, { ...openArgs(), collateralAmount: 2_000_000_000n });
  await step("OpenNative (sends OPEN_LOAN)", native.instruction);
  const token = await openInstruction(id, {
    ...openArgs(),
    collateralAmount: 1_000n,
    token: { mint: collateralMint, borrowerTokens },
  });
  await step("OpenToken (sends OPEN_LOAN)", token.instruction);

  // The remote pool's answers, delivered with 2 of 3 signatures.
  const active: LoanMessageOf<"LOAN_ACTIVE"> = {
    type: "LOAN_ACTIVE",
    loanId: toHex(native.loanId),
    principal: OPEN_DEFAULTS.principal,
    rateBps: 500,
    startTime: NOW,
    dueTime: NOW + OPEN_DEFAULTS.termSeconds,
  };
  const deliverToVault = async (
    label: string,
    message: Parameters<typeof inboundPacket>[1],
    loanId: Uint8Array,
    payout: Parameters<typeof vaultReceiveAccounts>[2] = [],
  ) => {
    const outcome = await deliver(
      fixture,
      inboundPacket(fixture.vault, message, { nonce: nextInboundNonce() }),
      {
        appAccounts: await vaultReceiveAccounts(id, loanId, payout),
      },
    );
    expectOk(outcome);
    steps.push({ instruction: "deliver", label, outcome });
  };
  await deliverToVault("Deliver LOAN_ACTIVE to the vault (2 signatures)", active, native.loanId);
  await deliverToVault(
    "Deliver REPAID to the vault, native release (2 signatures)",
    { type: "REPAID", loanId: toHex(native.loanId), amountRepaid: OPEN_DEFAULTS.principal },
    native.loanId,
    nativePayout(borrower.address),
  );
  await deliverToVault(
    "Deliver LOAN_REJECTED to the vault, token refund (2 signatures)",
    { type: "LOAN_REJECTED", loanId: toHex(token.loanId), reason: "Expired" },
    token.loanId,
    await tokenPayout(id, collateralMint, borrowerTokens),
  );

  // Pool: settings and lenders (startPool initialized it and deposited).
  await step("SetLoanTerms", await setLoanTermsInstruction(id, admin, POOL_TERMS));
  await step("SetMaxPriceAge", await setMaxPriceAgeInstruction(id, admin, MAX_PRICE_AGE));
  await step(
    "SetInstallmentTerms",
    await setInstallmentTermsInstruction(id, admin, INSTALLMENT_TERMS),
  );
  await step("PausePool (guardian)", await pausePoolInstruction(id, fixture.guardian));
  await step("UnpausePool", await unpausePoolInstruction(id, admin));
  await step(
    "SetPrice",
    await setPriceInstruction(id, {
      payer: program.payer,
      admin,
      priceId: ETH_PRICE_ID,
      price: 3_000n * USDC,
    }),
  );
  const lender = {
    lender: fixture.lender,
    lenderStablecoin: fixture.lenderStablecoin,
    lenderShares: fixture.lenderShares,
  };
  await step("Withdraw", await withdrawInstruction(id, lender, 100n * USDC));
  await step("Redeem", await redeemInstruction(id, lender, 100n * USDC * 1_000n));
  await step("Deposit", await depositInstruction(id, lender, 200n * USDC));

  // Three loans from the remote vault: one repaid, one defaulted, one liquidated.
  const recipient = await fixture.recipient();
  const loans: LoanMessageOf<"OPEN_LOAN">[] = [];
  for (const principal of [1_000n, 2_000n, 2_100n]) {
    const message = openLoanMessage(recipient.wallet.address, { principal: principal * USDC });
    const outcome = await deliverOpenLoan(fixture, message, { recipientTokens: recipient.tokens });
    expectOk(outcome);
    steps.push({
      instruction: "deliver",
      label: "Deliver OPEN_LOAN to the pool, accepted (2 signatures)",
      outcome,
    });
    loans.push(message);
  }
  const rejectedLoan = openLoanMessage(recipient.wallet.address, { principal: 0n });
  const rejected = await deliverOpenLoan(fixture, rejectedLoan, {
    recipientTokens: recipient.tokens,
  });
  expectOk(rejected);
  steps.push({
    instruction: "deliver",
    label: "Deliver OPEN_LOAN to the pool, rejected (2 signatures)",
    outcome: rejected,
  });

  const [repaid, defaulted, liquidated] = loans as [
    LoanMessageOf<"OPEN_LOAN">,
    LoanMessageOf<"OPEN_LOAN">,
    LoanMessageOf<"OPEN_LOAN">,
  ];
  const ref = (message: LoanMessageOf<"OPEN_LOAN">) => ({
    payer: program.payer,
    loanId: toBytes(message.loanId),
    srcEid: REMOTE_EID,
    packetNonce: fixture.packetNonce(),
  });
  const payerTokens = await createTokenAccount(
    program.svm,
    fixture.stablecoin,
    program.payer.address,
    10_000n * USDC,
  );
  program.setTime(NOW + 86_400n);
  await step(
    "Repay (partial)",
    await repayInstruction(id, { ...ref(repaid), payerTokens, amount: 100n * USDC }),
  );
  const fullRepay = ref(repaid);
  await step(
    "Repay (full, sends REPAID)",
    await repayInstruction(id, { ...fullRepay, payerTokens, amount: 10_000n * USDC }),
  );
  // One loan of three equal payments every four weeks (shared/LOANS.md
  // "Installments"), after the bullet loans' answers so their packet nonces
  // (and bump searches) stay those of the report before installments.
  const installmentLoan = openLoanMessage(recipient.wallet.address, {
    principal: 3_000n * USDC,
    collateralAmount: 2n * ETH,
    termSeconds: 3n * INSTALLMENT_PERIOD,
    installments: 3,
    expiresAt: program.now() + 3_600n,
  });
  // Priced afresh (not a step: the price set at the start is a day old).
  expectOk(
    await program.send(
      await setPriceInstruction(id, {
        payer: program.payer,
        admin,
        priceId: ETH_PRICE_ID,
        price: 3_000n * USDC,
      }),
    ),
  );
  const installmentOpened = await deliverOpenLoan(fixture, installmentLoan, {
    recipientTokens: recipient.tokens,
  });
  expectOk(installmentOpened);
  const installmentAmount = program.decode(
    "PoolLoan",
    await pda.poolLoan(id, toBytes(installmentLoan.loanId)),
  ).installment_amount as bigint;
  if (installmentAmount === 0n) throw new Error("the installment loan was not accepted");
  steps.push({
    instruction: "deliver",
    label: "Deliver OPEN_LOAN to the pool, accepted, 3 installments (2 signatures)",
    outcome: installmentOpened,
  });
  // The installment loan: one installment before its due time three weeks
  // on, a partial payment, then the rest.
  program.setTime(program.now() + 21n * 86_400n);
  await step(
    "Repay (installment loan: completes one installment)",
    await repayInstruction(id, {
      ...ref(installmentLoan),
      payerTokens,
      amount: installmentAmount,
    }),
  );
  await step(
    "Repay (installment loan: partial)",
    await repayInstruction(id, {
      ...ref(installmentLoan),
      payerTokens,
      amount: installmentAmount / 2n,
    }),
  );
  await step(
    "Repay (installment loan: the last two, sends REPAID)",
    await repayInstruction(id, { ...ref(installmentLoan), payerTokens, amount: 10_000n * USDC }),
  );
  await step(
    "CancelExpired (sends LOAN_REJECTED)",
    (
      await cancelExpiredInstruction(id, {
        payer: program.payer,
        srcEid: REMOTE_EID,
        remoteVault: toBytes(REMOTE_VAULT),
        borrower: new Uint8Array(32).fill(0x55),
        vaultNonce: 1n,
        expiresAt: NOW + REQUEST_TTL,
        packetNonce: fixture.packetNonce(),
      })
    ).instruction,
  );
  await step(
    "SetPrice (ETH drops to 2,500)",
    await setPriceInstruction(id, {
      payer: program.payer,
      admin,
      priceId: ETH_PRICE_ID,
      price: 2_500n * USDC,
    }),
  );
  await step(
    "Liquidate (sends LIQUIDATED)",
    await liquidateInstruction(id, {
      ...ref(liquidated),
      asset: NATIVE_ASSET,
      priceId: ETH_PRICE_ID,
    }),
  );
  // The loans opened at NOW.
  program.setTime(dueTimeOf(NOW, OPEN_DEFAULTS.termSeconds) + POOL_TERMS.gracePeriodSeconds + 1n);
  await step(
    "DeclareDefault (sends DEFAULTED)",
    await declareDefaultInstruction(id, ref(defaulted)),
  );
  // The repaid loan's REPAID packet, once old enough: its rent back to its payer.
  const repaidPacket = await pda.packet(id, fixture.pool, REMOTE_EID, fullRepay.packetNonce);
  const repaidData = program.data(repaidPacket);
  if (repaidData === null) throw new Error("no REPAID packet account");
  program.setTime(outboundPacketRent(repaidData).sentAt + MIN_PACKET_AGE_SECONDS);
  await step(
    "ClosePacket (REPAID of a repaid loan, rent to its payer)",
    await closePacketInstruction(id, { packet: repaidPacket, data: repaidData }),
  );
  return { fixture, steps };
}

/** Addresses of one account of each IDL type the scenario leaves behind. */
export async function scenarioAccounts(result: ScenarioResult): Promise<Record<string, Address>> {
  const { fixture } = result;
  const id = fixture.id;
  const firstDelivered = result.steps.find((s) => s.instruction === "deliver");
  if (!firstDelivered) throw new Error("no delivery");
  const vaultLoans = fixture.program.svm
    .getProgramAccounts(id)
    .filter(
      (account) =>
        account.data[0] === 11 ||
        account.data[0] === 21 ||
        account.data[0] === 6 ||
        account.data[0] === 12,
    );
  const byDiscriminator = (d: number) => {
    const found = vaultLoans.find((account) => account.data[0] === d);
    if (!found) throw new Error(`no account with discriminator ${d}`);
    return found.address;
  };
  return {
    Endpoint: fixture.endpoint,
    Peer: await pda.peer(id, fixture.pool, REMOTE_EID),
    OutboundNonce: await pda.nonce(id, fixture.vault, REMOTE_EID),
    OutboundPacket: await pda.packet(id, fixture.vault, REMOTE_EID, 1n),
    DeliveredNonces: byDiscriminator(6),
    Vault: fixture.vault,
    VaultLoan: byDiscriminator(11),
    AllowedAsset: byDiscriminator(12),
    Pool: fixture.pool,
    // A rejected loan: its fixed fields only (the others carry installment records).
    PoolLoan: (() => {
      const rejected = vaultLoans.find(
        (account) => account.data[0] === 21 && account.data.length === accountSize("PoolLoan"),
      );
      if (!rejected) throw new Error("no rejected pool loan");
      return rejected.address;
    })(),
    CollateralConfig: await pda.collateral(id, REMOTE_EID, NATIVE_ASSET),
    Price: await pda.price(id, ETH_PRICE_ID),
    Beneficiary: await pda.beneficiary(id, REMOTE_EID),
  };
}
