// Installment loans through the real system (issue #16, LOANS.md
// "Installments" and "Borrower credit history"): anvil + the SBF program on
// the local Solana node + 3 relayer processes, one localnet for all. On each
// chain as the lending chain (ETH collateral → the Solana pool, SOL
// collateral → the EVM pool), one borrower takes three loans of 3
// installments over 3 days (a 1-day period), one after another:
//   (a) paid installment by installment, each in its own period: repaid on time;
//   (b) its first installment paid after its due time but within the grace
//       period, the rest on time: repaid late;
//   (c) its first installment never paid: past its due time + grace the pool
//       accepts a default and the collateral is seized.
// After each step: the lending pool's loan (status, installments paid, each
// payment), every relayer's mirror (GET /v1/loans/{id}/schedule: states,
// paid amounts, remaining principal) and the borrower's record and points-1
// score (GET /v1/borrowers/{borrower}), which accumulates over the three loans.
//
// Not asserted: an `overdue` installment and `late.overdueLoans`. The relayer
// judges "unpaid past its due time now" by its own clock (relayer/src/api/
// reads.ts passes `new Date()`), while this test moves only the chains'
// clocks forward, so a relayer here never sees an installment overdue. Every
// state asserted below is one where the chains' clocks and the relayer's agree.
import { isDeepStrictEqual } from "node:util";
import { annuitySchedule, type Hex, installmentDueTimes, toBytes } from "@loanbridge/shared";
import {
  airdrop,
  decodeAccount,
  declareDefaultInstruction,
  poolLoanAccountOf,
  readAccount,
  repayInstruction,
  rpcSender,
  VaultLoanState,
} from "@loanbridge/solana-program";
import { generateKeyPairSigner } from "@solana/kit";
import { type JsonRpcProvider, MaxUint256, parseEther, Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BorrowerView, ScheduleView } from "../../relayer/src/api/views.ts";
import { devKey, providerFor } from "../../relayer/src/chains/evm/testing.ts";
import { EVM_EID, type Localnet, startLocalnet } from "../localnet/index.ts";
import {
  borrowersOf,
  chainTime,
  defaultDeadline,
  evmContracts,
  EvmVaultState,
  lamportsOf,
  type LendingChain,
  mintToOwnerFor,
  nextPoolPacketNonce,
  openEthLoan,
  openSolLoan,
  scheduleOf,
  sent,
  solanaVaultLoan,
  travel,
  waitFor,
  waitForMirroredLoan,
} from "./support.ts";

const USDC = 1_000_000n;
const SOL = 1_000_000_000n;
const DAY = 86_400n;
const HOUR = 3_600n;
const PRINCIPAL = 1_000n * USDC;
const INSTALLMENTS = 3;
const TERM = 3n * DAY;

let net: Localnet;
let provider: JsonRpcProvider;

beforeAll(async () => {
  net = await startLocalnet();
  provider = providerFor(net.evm.url);
}, 300_000);

afterAll(async () => {
  await net.stop();
});

// ---------------------------------------------------------------------------
// The lending pool's loan, the same on both chains.
// ---------------------------------------------------------------------------

const STATUS_NAMES = ["none", "active", "repaid", "rejected", "defaulted", "liquidated"] as const;
type PoolStatus = (typeof STATUS_NAMES)[number];

interface Payment {
  index: number;
  amount: bigint;
  remainingPrincipal: bigint;
  /** Chain time, unix seconds. */
  paidAt: bigint;
}

/** A pool's loan as its chain holds it now. */
interface PoolLoan {
  status: PoolStatus;
  rateBps: number;
  principal: bigint;
  repaid: bigint;
  installments: number;
  paidInstallments: number;
  periodSeconds: bigint;
  startTime: bigint;
  installmentAmount: bigint;
  /** due_1..due_n from the pool's start, period and due-bucket width. */
  dueTimes: bigint[];
  /** Completed installments: EVM `Payment` logs, Solana installment records. */
  payments: Payment[];
}

/** `items[index]`, which must be there. */
function nth<T>(items: readonly T[], index: number): T {
  const item = items[index];
  if (item === undefined) throw new Error(`no item ${index} of ${items.length}`);
  return item;
}

const statusName = (status: number | bigint): PoolStatus => {
  const name = STATUS_NAMES[Number(status)];
  if (name === undefined) throw new Error(`unknown pool loan status ${status}`);
  return name;
};

async function evmPoolLoan(loanId: Hex): Promise<PoolLoan> {
  const { pool } = await evmContracts(net, provider);
  const loan = (await pool.getFunction("getLoan")(loanId)) as {
    status: bigint;
    rateBps: bigint;
    principal: bigint;
    repaid: bigint;
    installments: bigint;
    paidInstallments: bigint;
    periodSeconds: bigint;
    startTime: bigint;
    installmentAmount: bigint;
  };
  const width = (await pool.getFunction("dueBucketSeconds")()) as bigint;
  const installments = Number(loan.installments);
  const dueTimes = installmentDueTimes(loan.startTime, loan.periodSeconds, installments, width);
  // The pool's own next due time agrees with the due times computed here.
  const schedule = (await pool.getFunction("loanSchedule")(loanId)) as { nextDueTime: bigint };
  const status = statusName(loan.status);
  const paidInstallments = Number(loan.paidInstallments);
  expect(schedule.nextDueTime).toBe(status === "active" ? dueTimes[paidInstallments] : 0n);
  const paymentsOf = pool.filters.Payment;
  if (paymentsOf === undefined) throw new Error("the pool's ABI has no Payment event");
  const logs = await pool.queryFilter(paymentsOf(loanId), net.evm.deployment.startBlock);
  const payments: Payment[] = [];
  for (const log of logs) {
    const parsed = pool.interface.parseLog(log);
    if (parsed === null) continue;
    const block = await provider.getBlock(log.blockNumber);
    if (block === null) throw new Error(`no block ${log.blockNumber}`);
    payments.push({
      index: Number(parsed.args.getValue("index") as bigint),
      amount: parsed.args.getValue("amount") as bigint,
      remainingPrincipal: parsed.args.getValue("remainingPrincipal") as bigint,
      paidAt: BigInt(block.timestamp),
    });
  }
  return {
    status,
    rateBps: Number(loan.rateBps),
    principal: loan.principal,
    repaid: loan.repaid,
    installments,
    paidInstallments,
    periodSeconds: loan.periodSeconds,
    startTime: loan.startTime,
    installmentAmount: loan.installmentAmount,
    dueTimes,
    payments,
  };
}

async function solanaPoolLoan(loanId: Hex): Promise<PoolLoan> {
  const { rpc, deployment } = net.solana;
  const loan = await poolLoanAccountOf(rpc, deployment.programId, loanId);
  if (loan === null) throw new Error(`the Solana pool has no loan ${loanId}`);
  const pool = await readAccount(rpc, deployment.pool);
  if (pool === null) throw new Error("no Solana pool account");
  const width = decodeAccount("Pool", pool).due_bucket_seconds as bigint;
  const { schedule } = loan;
  return {
    status: statusName(loan.status),
    rateBps: loan.rateBps,
    principal: loan.principal,
    repaid: loan.repaid,
    installments: schedule.installments,
    paidInstallments: schedule.paidInstallments,
    periodSeconds: schedule.periodSeconds,
    startTime: loan.startTime,
    installmentAmount: schedule.installmentAmount,
    dueTimes: installmentDueTimes(
      loan.startTime,
      schedule.periodSeconds,
      schedule.installments,
      width,
    ),
    payments: loan.records.filter((record) => record.paidAt > 0n),
  };
}

// ---------------------------------------------------------------------------
// Each chain as the lending chain: one borrower, one payer of installments.
// ---------------------------------------------------------------------------

interface LendingSide {
  lending: LendingChain;
  /** The borrower's address as the API takes it (on the collateral chain). */
  borrower: string;
  collateral: bigint;
  /** Opens a 3-installment, 3-day loan and waits until it is active on both chains. */
  open(): Promise<Hex>;
  /** Repays `amount` of stablecoin toward the loan on its lending chain. */
  pay(loanId: Hex, amount: bigint): Promise<void>;
  /** Repays the whole debt (more is offered; the pool takes what is owed). */
  payOff(loanId: Hex): Promise<void>;
  declareDefault(loanId: Hex): Promise<void>;
  poolLoan(loanId: Hex): Promise<PoolLoan>;
  /** The collateral chain's vault state of the loan. */
  vaultState(loanId: Hex): Promise<"active" | "released" | "seized" | "other">;
  /** Native balance of the borrower and of the lending pool's beneficiary on the collateral chain. */
  borrowerBalance(): Promise<bigint>;
  beneficiaryBalance(): Promise<bigint>;
}

/** ETH locked on Ethereum, borrowed from the Solana pool; a Solana recipient pays installments. */
async function ethCollateralSide(): Promise<LendingSide> {
  const { rpc, admin, deployment } = net.solana;
  const borrower = new Wallet(devKey(1), provider);
  const recipient = await generateKeyPairSigner();
  await airdrop(rpc, recipient.address, 1n);
  // Principal arrives here; the extra pays the interest.
  const tokens = await mintToOwnerFor(net, recipient.address, 100n * USDC);
  const { vault } = await evmContracts(net, provider);
  const vaultState = async (loanId: Hex) => {
    const { state } = (await vault.getFunction("getLoan")(loanId)) as { state: bigint };
    if (state === EvmVaultState.Active) return "active" as const;
    if (state === EvmVaultState.Released) return "released" as const;
    if (state === EvmVaultState.Seized) return "seized" as const;
    return "other" as const;
  };
  const pay = async (loanId: Hex, amount: bigint) => {
    await rpcSender(rpc, { feePayer: recipient })(
      await repayInstruction(deployment.programId, {
        payer: recipient,
        payerTokens: tokens,
        loanId: toBytes(loanId),
        srcEid: EVM_EID,
        packetNonce: await nextPoolPacketNonce(net),
        amount,
      }),
    );
  };
  const collateral = parseEther("1"); // $3,000 backs 1,000 at 70% LTV.
  return {
    lending: "solana",
    borrower: borrower.address,
    collateral,
    async open() {
      const { loanId } = await openEthLoan(net, borrower, {
        collateral,
        principal: PRINCIPAL,
        recipient: recipient.address,
        termSeconds: TERM,
        installments: INSTALLMENTS,
      });
      await waitFor("LOAN_ACTIVE on Ethereum", async () =>
        (await vaultState(loanId)) === "active" ? true : undefined,
      );
      return loanId;
    },
    pay,
    async payOff(loanId) {
      const loan = await poolLoanAccountOf(rpc, deployment.programId, loanId);
      if (loan === null) throw new Error(`no pool loan ${loanId}`);
      const owed = loan.principal + loan.interest;
      await pay(loanId, owed + USDC);
    },
    async declareDefault(loanId) {
      await rpcSender(rpc, { feePayer: admin })(
        await declareDefaultInstruction(deployment.programId, {
          payer: admin,
          loanId: toBytes(loanId),
          srcEid: EVM_EID,
          packetNonce: await nextPoolPacketNonce(net),
        }),
      );
    },
    poolLoan: solanaPoolLoan,
    vaultState,
    borrowerBalance: () => provider.getBalance(borrower.address),
    // The Solana pool's beneficiary on Ethereum is the EVM deployer.
    beneficiaryBalance: async () => provider.getBalance(await net.evm.deployer.getAddress()),
  };
}

/** SOL locked on Solana, borrowed from the EVM pool; an EVM recipient pays installments. */
async function solCollateralSide(): Promise<LendingSide> {
  const { rpc, admin } = net.solana;
  const borrower = await generateKeyPairSigner();
  await airdrop(rpc, borrower.address, 100n);
  const payer = new Wallet(devKey(2), provider);
  const { pool, coin } = await evmContracts(net, payer);
  // Principal arrives at the payer; the extra pays the interest.
  await sent((await evmContracts(net, net.evm.deployer)).coin, "mint", payer.address, 100n * USDC);
  await sent(coin, "approve", await pool.getAddress(), MaxUint256);
  const vaultState = async (loanId: Hex) => {
    const state = (await solanaVaultLoan(net, loanId))?.state;
    if (state === VaultLoanState.Active) return "active" as const;
    if (state === VaultLoanState.Released) return "released" as const;
    if (state === VaultLoanState.Seized) return "seized" as const;
    return "other" as const;
  };
  const pay = async (loanId: Hex, amount: bigint) => {
    await sent(pool, "repay", loanId, amount);
  };
  const collateral = 25n * SOL; // $3,750 backs 1,875 at 50% LTV.
  return {
    lending: "evm",
    borrower: borrower.address,
    collateral,
    async open() {
      const { loanId } = await openSolLoan(net, borrower, {
        collateral,
        principal: PRINCIPAL,
        recipient: payer.address,
        termSeconds: TERM,
        installments: INSTALLMENTS,
      });
      await waitFor("LOAN_ACTIVE on Solana", async () =>
        (await vaultState(loanId)) === "active" ? true : undefined,
      );
      return loanId;
    },
    pay,
    async payOff(loanId) {
      const [principal, interest] = (await pool.getFunction("debtOf")(loanId)) as [bigint, bigint];
      await pay(loanId, principal + interest + USDC);
    },
    async declareDefault(loanId) {
      await sent(pool, "declareDefault", loanId);
    },
    poolLoan: evmPoolLoan,
    vaultState,
    borrowerBalance: () => lamportsOf(rpc, borrower.address),
    // The EVM pool's beneficiary on Solana is the Solana admin.
    beneficiaryBalance: () => lamportsOf(rpc, admin.address),
  };
}

/** Moves both chains' clocks to `target` (unix seconds) on the lending chain, or past it. */
async function travelTo(lending: LendingChain, target: bigint): Promise<void> {
  const ahead = target - (await chainTime(net, provider, "evm"));
  await travel(net, provider, Number(ahead > 0n ? ahead : 0n));
  expect(await chainTime(net, provider, lending)).toBeGreaterThanOrEqual(target);
}

// ---------------------------------------------------------------------------
// What every relayer must show.
// ---------------------------------------------------------------------------

type InstallmentState = ScheduleView["items"][number]["state"];

const iso = (seconds: bigint) => new Date(Number(seconds) * 1_000).toISOString();

/** The schedule view's figures, in base units. */
function scheduleFigures(view: ScheduleView) {
  return {
    installments: view.installments,
    periodSeconds: view.periodSeconds,
    installmentAmount: view.installmentAmount.units,
    startAt: view.startAt,
    items: view.items.map((item) => ({
      index: item.index,
      dueAt: item.dueAt,
      amountDue: item.amountDue.units,
      paid: item.paid?.units ?? null,
      paidAt: item.paidAt,
      remainingPrincipal: item.remainingPrincipal?.units ?? null,
      state: item.state,
    })),
  };
}

/**
 * The schedule a relayer must show for the pool's loan: the plan from the
 * pool's schedule, each completed installment's payment as the chain
 * recorded it, and the states given.
 */
function expectedSchedule(loan: PoolLoan, states: readonly InstallmentState[]) {
  const { rows } = annuitySchedule({
    principal: PRINCIPAL,
    rateBps: BigInt(loan.rateBps),
    periodSeconds: loan.periodSeconds,
    installments: loan.installments,
  });
  return {
    installments: loan.installments,
    periodSeconds: loan.periodSeconds.toString(),
    installmentAmount: loan.installmentAmount.toString(),
    startAt: iso(loan.startTime),
    items: rows.map((row, offset) => {
      const payment = loan.payments.find((entry) => entry.index === row.index);
      return {
        index: row.index,
        dueAt: iso(loan.dueTimes[offset] ?? 0n),
        amountDue: row.amount.toString(),
        paid: payment?.amount.toString() ?? null,
        paidAt: payment === undefined ? null : iso(payment.paidAt),
        remainingPrincipal: payment?.remainingPrincipal.toString() ?? null,
        state: states[offset],
      };
    }),
  };
}

/** The borrower's record and score a relayer must show (LOANS.md's counts and points-1). */
interface Standing {
  loans: { active: number; repaid: number; defaulted: number };
  late: { installments: number; loans: number; repaidLoans: number };
  score: number;
  /** The loan under test as the borrower view lists it. */
  loan: { loanId: Hex; standing: string; installmentsPaidLate: number };
}

function standingFigures(view: BorrowerView, loanId: Hex): Standing {
  const { loans, late } = view.record;
  const loan = view.loans.find((entry) => entry.loanId === loanId);
  return {
    loans: { active: loans.active, repaid: loans.repaid, defaulted: loans.defaulted },
    late: { installments: late.installments, loans: late.loans, repaidLoans: late.repaidLoans },
    score: view.score.value,
    loan: {
      loanId,
      standing: loan?.standing ?? "absent",
      installmentsPaidLate: loan?.installmentsPaidLate ?? -1,
    },
  };
}

/** Waits until every relayer shows `expected` through `read`; fails with the last difference. */
async function waitForEveryRelayer<T>(
  what: string,
  read: (apiUrl: string) => Promise<T | undefined>,
  expected: T,
): Promise<void> {
  for (const relayer of net.relayers) {
    let last: T | undefined;
    await waitFor(
      `relayer ${relayer.index} to show ${what}`,
      async () => {
        last = await read(relayer.apiUrl);
        return isDeepStrictEqual(last, expected) ? true : undefined;
      },
      60_000,
    ).catch(() => {
      expect(last, `relayer ${relayer.index}: ${what}`).toEqual(expected);
    });
  }
}

async function expectMirroredSchedule(
  loanId: Hex,
  loan: PoolLoan,
  states: readonly InstallmentState[],
): Promise<void> {
  await waitForEveryRelayer(
    `the schedule of ${loanId} as ${states.join(",")}`,
    async (apiUrl) => {
      const view = await scheduleOf(apiUrl, loanId);
      return view === undefined ? undefined : scheduleFigures(view);
    },
    expectedSchedule(loan, states),
  );
}

async function expectBorrower(side: LendingSide, expected: Standing): Promise<void> {
  await waitForEveryRelayer(
    `borrower ${side.borrower} (score ${expected.score})`,
    async (apiUrl) => {
      const list = await borrowersOf(apiUrl, side.borrower);
      const view = list?.borrowers.find((entry) => entry.match === "borrower");
      if (view === undefined) return undefined;
      expect(view.score.version).toBe("points-1");
      return standingFigures(view, expected.loan.loanId);
    },
    expected,
  );
}

// ---------------------------------------------------------------------------
// The journeys, on each lending chain in turn.
// ---------------------------------------------------------------------------

const SIDES = [
  { title: "ETH collateral, installments paid on Solana", make: ethCollateralSide },
  { title: "SOL collateral, installments paid on Ethereum", make: solCollateralSide },
] as const;

for (const { title, make } of SIDES) {
  describe(`installment loans: ${title} (3 relayers, 2 of 3)`, () => {
    let side: LendingSide;

    beforeAll(async () => {
      side = await make();
    });

    it("paidInstallmentByInstallmentOnTime_eachPaidAndLoanRepaid_scoreRises", async () => {
      const loanId = await side.open();
      const opened = await side.poolLoan(loanId);
      expect(opened).toMatchObject({
        status: "active",
        installments: 3,
        periodSeconds: DAY,
        paidInstallments: 0,
        principal: PRINCIPAL,
      });
      // The loan's due time (sent in LOAN_ACTIVE) is the last installment's.
      const { dueTime } = await defaultDeadline(net, provider, side.lending, loanId);
      expect(dueTime).toBe(opened.dueTimes[2]);
      await waitForMirroredLoan(net.relayers, loanId, "active", "active");
      await expectMirroredSchedule(loanId, opened, ["due", "due", "due"]);

      // Installment 1 in the first period.
      await side.pay(loanId, opened.installmentAmount);
      const first = await side.poolLoan(loanId);
      expect(first.status).toBe("active");
      expect(first.paidInstallments).toBe(1);
      expect(first.payments).toHaveLength(1);
      expect(first.payments[0]).toMatchObject({
        index: 1,
        amount: opened.installmentAmount,
        remainingPrincipal: first.principal,
      });
      expect(first.principal).toBeLessThan(PRINCIPAL);
      expect(nth(first.payments, 0).paidAt).toBeLessThanOrEqual(nth(first.dueTimes, 0));
      await expectMirroredSchedule(loanId, first, ["paid", "due", "due"]);
      await expectBorrower(side, {
        loans: { active: 1, repaid: 0, defaulted: 0 },
        late: { installments: 0, loans: 0, repaidLoans: 0 },
        score: 500,
        loan: { loanId, standing: "active", installmentsPaidLate: 0 },
      });

      // Installment 2 in the second period (after due_1, before due_2).
      await travelTo(side.lending, nth(first.dueTimes, 0) + HOUR);
      await side.pay(loanId, opened.installmentAmount);
      const second = await side.poolLoan(loanId);
      expect(second.status).toBe("active");
      expect(second.paidInstallments).toBe(2);
      expect(second.payments[1]).toMatchObject({
        index: 2,
        amount: opened.installmentAmount,
        remainingPrincipal: second.principal,
      });
      expect(nth(second.payments, 1).paidAt).toBeGreaterThan(nth(second.dueTimes, 0));
      expect(nth(second.payments, 1).paidAt).toBeLessThanOrEqual(nth(second.dueTimes, 1));
      await expectMirroredSchedule(loanId, second, ["paid", "paid", "due"]);

      // The rest in the third period: the last installment, the loan repaid.
      await travelTo(side.lending, nth(second.dueTimes, 1) + HOUR);
      const borrowerBefore = await side.borrowerBalance();
      await side.payOff(loanId);
      const repaid = await side.poolLoan(loanId);
      expect(repaid.status).toBe("repaid");
      expect(repaid.paidInstallments).toBe(3);
      expect(repaid.principal).toBe(0n);
      expect(repaid.payments[2]).toMatchObject({ index: 3, remainingPrincipal: 0n });
      // The installments' amounts sum to what the loan repaid.
      expect(repaid.payments.reduce((sum, payment) => sum + payment.amount, 0n)).toBe(
        repaid.repaid,
      );
      expect(nth(repaid.payments, 2).paidAt).toBeLessThanOrEqual(nth(repaid.dueTimes, 2));
      await waitFor("the collateral released", async () =>
        (await side.vaultState(loanId)) === "released" ? true : undefined,
      );
      expect(await side.borrowerBalance()).toBe(borrowerBefore + side.collateral);
      await waitForMirroredLoan(net.relayers, loanId, "released", "repaid");
      await expectMirroredSchedule(loanId, repaid, ["paid", "paid", "paid"]);
      // Repaid on time: +30.
      await expectBorrower(side, {
        loans: { active: 0, repaid: 1, defaulted: 0 },
        late: { installments: 0, loans: 0, repaidLoans: 0 },
        score: 530,
        loan: { loanId, standing: "repaid", installmentsPaidLate: 0 },
      });
    });

    it("firstInstallmentPaidWithinGrace_paidLateAndLoanRepaidLate_scoreCounts", async () => {
      const loanId = await side.open();
      const opened = await side.poolLoan(loanId);
      const { gracePeriodSeconds } = await defaultDeadline(net, provider, side.lending, loanId);
      expect(gracePeriodSeconds).toBeGreaterThan(HOUR);

      // An hour past the first installment's due time, well within the grace period.
      await travelTo(side.lending, nth(opened.dueTimes, 0) + HOUR);
      await expect(side.declareDefault(loanId)).rejects.toThrow();
      await side.pay(loanId, opened.installmentAmount);
      const late = await side.poolLoan(loanId);
      expect(late.status).toBe("active");
      expect(late.paidInstallments).toBe(1);
      expect(late.payments[0]).toMatchObject({
        index: 1,
        amount: opened.installmentAmount,
        remainingPrincipal: late.principal,
      });
      expect(nth(late.payments, 0).paidAt).toBeGreaterThan(nth(late.dueTimes, 0));
      expect(nth(late.payments, 0).paidAt).toBeLessThanOrEqual(
        nth(late.dueTimes, 0) + gracePeriodSeconds,
      );
      await expectMirroredSchedule(loanId, late, ["paid_late", "due", "due"]);
      // One installment late: −20 (530 − 20).
      await expectBorrower(side, {
        loans: { active: 1, repaid: 1, defaulted: 0 },
        late: { installments: 1, loans: 1, repaidLoans: 0 },
        score: 510,
        loan: { loanId, standing: "active", installmentsPaidLate: 1 },
      });

      // The rest at once, before the second installment's due time.
      await side.payOff(loanId);
      const repaid = await side.poolLoan(loanId);
      expect(repaid.status).toBe("repaid");
      expect(repaid.paidInstallments).toBe(3);
      expect(repaid.payments.map((payment) => payment.index)).toEqual([1, 2, 3]);
      expect(nth(repaid.payments, 1).paidAt).toBe(nth(repaid.payments, 2).paidAt);
      expect(repaid.payments[2]?.remainingPrincipal).toBe(0n);
      await waitFor("the collateral released", async () =>
        (await side.vaultState(loanId)) === "released" ? true : undefined,
      );
      await waitForMirroredLoan(net.relayers, loanId, "released", "repaid");
      await expectMirroredSchedule(loanId, repaid, ["paid_late", "paid", "paid"]);
      // Repaid late: +10, its late installment −20 (500 + 30 + 10 − 20).
      await expectBorrower(side, {
        loans: { active: 0, repaid: 2, defaulted: 0 },
        late: { installments: 1, loans: 1, repaidLoans: 1 },
        score: 520,
        loan: { loanId, standing: "repaid", installmentsPaidLate: 1 },
      });
    });

    it("firstInstallmentMissedPastGrace_defaultDeclared_collateralSeizedAndScoreFalls", async () => {
      const loanId = await side.open();
      const opened = await side.poolLoan(loanId);
      const { dueTime, gracePeriodSeconds } = await defaultDeadline(
        net,
        provider,
        side.lending,
        loanId,
      );
      await waitForMirroredLoan(net.relayers, loanId, "active", "active");
      await expectMirroredSchedule(loanId, opened, ["due", "due", "due"]);
      // Not past the first installment's due time + grace: the pool refuses.
      await expect(side.declareDefault(loanId)).rejects.toThrow();

      // Past the first installment's due time + grace, long before the loan's own due time + grace.
      const missedAfter = nth(opened.dueTimes, 0) + gracePeriodSeconds;
      expect(missedAfter).toBeLessThan(dueTime + gracePeriodSeconds);
      await travelTo(side.lending, missedAfter + 60n);
      const beneficiaryBefore = await side.beneficiaryBalance();
      const borrowerBefore = await side.borrowerBalance();
      await side.declareDefault(loanId);
      const defaulted = await side.poolLoan(loanId);
      expect(defaulted.status).toBe("defaulted");
      expect(defaulted.paidInstallments).toBe(0);
      expect(defaulted.payments).toEqual([]);

      await waitFor("the collateral seized", async () =>
        (await side.vaultState(loanId)) === "seized" ? true : undefined,
      );
      expect(await side.beneficiaryBalance()).toBe(beneficiaryBefore + side.collateral);
      expect(await side.borrowerBalance()).toBe(borrowerBefore);
      await waitForMirroredLoan(net.relayers, loanId, "seized", "defaulted");
      await expectMirroredSchedule(loanId, defaulted, ["missed", "missed", "missed"]);
      // A default: −150 (520 − 150).
      await expectBorrower(side, {
        loans: { active: 0, repaid: 2, defaulted: 1 },
        late: { installments: 1, loans: 1, repaidLoans: 1 },
        score: 370,
        loan: { loanId, standing: "defaulted", installmentsPaidLate: 0 },
      });
    });
  });
}
