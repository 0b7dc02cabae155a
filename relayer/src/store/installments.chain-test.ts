// Installment loans and borrower histories in the store, against real PGlite
// and a real PostgreSQL (scripts/postgres.sh), as relayer/test/store.chain-test.ts
// runs the rest of the store; and migration 0007 over loans mirrored before it.
import { randomBytes } from "node:crypto";
import { PGlite } from "@electric-sql/pglite";
import type { Hex } from "@loanbridge/shared";
import { Kysely, sql } from "kysely";
import { Migrator } from "kysely/migration";
import { PGliteDialect } from "kysely-pglite-dialect";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPostgres, type TestPostgres } from "../../test/postgres.ts";
import { Secret } from "../config/secret.ts";
import { latenessOf, outcomeOf, standingOf } from "../credit/outcome.ts";
import { recordActiveLoan } from "../pipeline/testing.ts";
import { StoreError } from "./errors.ts";
import { migrationProvider } from "./migrations.ts";
import { Store } from "./store.ts";
import { freshTestStore } from "./testing.ts";
import {
  LOAN_OUTCOMES,
  type LoanOutcome,
  type LoanScheduleInput,
  type LoanSideUpdate,
  type PoolState,
  type VaultState,
} from "./types.ts";

const EVM = 40161;
const SOLANA = 40168;
const hex32 = (): Hex => `0x${randomBytes(32).toString("hex")}`;
const day = (n: number): Date => new Date(Date.UTC(2027, 0, 1) + n * 86_400_000);
const PAST = new Date("2020-01-01T00:00:00Z");
const FUTURE = new Date("2100-01-01T00:00:00Z");

async function errorCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "ok";
  } catch (error) {
    if (error instanceof StoreError) return error.code;
    throw error;
  }
}

/** Three monthly installments of 340 from day 0, due on days 30, 60 and 90. */
function schedule(overrides: Partial<LoanScheduleInput> = {}): LoanScheduleInput {
  return {
    installments: 3,
    periodSeconds: 30n * 86_400n,
    installmentAmount: 340_000_000n,
    startAt: day(0),
    dues: [30, 60, 90].map((n) => ({ dueAt: day(n), amountDue: 340_000_000n })),
    ...overrides,
  };
}

let postgres: TestPostgres | undefined;
let databases = 0;
const opened: Store[] = [];

async function postgresStore(): Promise<Store> {
  if (postgres === undefined) throw new Error("PostgreSQL is not started");
  databases += 1;
  const name = `installments${databases}`;
  const admin = new pg.Client({ connectionString: postgres.url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = postgres.url.replace(/\/loanbridge$/, `/${name}`);
  return track(await Store.open({ kind: "postgres", url: new Secret(url, "test"), poolSize: 4 }));
}

function track(store: Store): Store {
  opened.push(store);
  return store;
}

const backends = [
  {
    name: "pglite",
    fresh: async () => track(await freshTestStore()),
  },
  { name: "postgres", fresh: postgresStore },
];

beforeAll(async () => {
  postgres = await startPostgres();
});

afterAll(async () => {
  await Promise.allSettled(opened.map((store) => store.close()));
  await postgres?.stop();
});

describe.each(backends)("installments and borrowers on $name", (backend) => {
  let store: Store;
  beforeAll(async () => {
    store = await backend.fresh();
  });

  /** A loan as the mirror records it from OPEN_LOAN, then (optionally) the pool's answer. */
  async function mirrored(
    options: {
      borrower?: Hex;
      recipient?: Hex;
      collateralEid?: number;
      pool?: PoolState;
      vault?: VaultState;
      dueAt?: Date;
    } = {},
  ): Promise<Hex> {
    const loanId = hex32();
    const ids = {
      loanId,
      collateralEid: options.collateralEid ?? EVM,
      lendingEid: options.collateralEid === SOLANA ? EVM : SOLANA,
    };
    await store.upsertLoan({
      ...ids,
      side: "vault",
      state: "Requested",
      borrower: options.borrower ?? hex32(),
      recipient: options.recipient ?? hex32(),
      collateralAsset: `0x${"00".repeat(32)}`,
      collateralAmount: 10n ** 18n,
      principal: 1_000_000_000n,
    });
    const updates: LoanSideUpdate[] = [];
    // A rejected loan was never active; every other answer follows LOAN_ACTIVE.
    if (options.pool !== undefined && options.pool !== "Rejected") {
      const dueAt = options.dueAt ?? FUTURE;
      updates.push({ ...ids, side: "pool", state: "Active", rateBps: 800, dueAt });
    }
    if (options.pool !== undefined && options.pool !== "Active") {
      updates.push({
        ...ids,
        side: "pool",
        state: options.pool,
        ...(options.pool === "Repaid" && { principal: 0n }),
      });
    }
    if (options.vault !== undefined) updates.push({ ...ids, side: "vault", state: options.vault });
    for (const update of updates) await store.upsertLoan(update);
    return loanId;
  }

  describe("loans", () => {
    it("aNewLoan_isABulletLoan_andKeepsItsOpenedPrincipalOnceRepaid", async () => {
      const before = Date.now();
      const loanId = await mirrored({ pool: "Repaid" });

      const loan = await store.getLoan(loanId);

      expect(loan).toMatchObject({
        installments: 1,
        periodSeconds: null,
        installmentAmount: null,
        startAt: null,
        principal: 0n,
        openedPrincipal: 1_000_000_000n,
      });
      expect(loan?.createdAt.getTime()).toBeGreaterThanOrEqual(before - 60_000);
      expect(await store.listInstallments(loanId)).toEqual([]);
    });
  });

  describe("upsertLoan", () => {
    it("keepsTheInstallmentCountOpenLoanGives_refusesOneOutsideAUint16", async () => {
      const loanId = await mirrored();
      const ids = { loanId, collateralEid: EVM, lendingEid: SOLANA, side: "vault" } as const;

      const loan = await store.upsertLoan({ ...ids, state: "Requested", installments: 12 });
      const codes = await Promise.all(
        [0, 65_536, 1.5].map((installments) =>
          errorCode(store.upsertLoan({ ...ids, state: "Requested", installments })),
        ),
      );

      expect(loan.installments).toBe(12);
      expect(codes).toEqual(["InvalidInput", "InvalidInput", "InvalidInput"]);
    });
  });

  describe("recordLoanSchedule", () => {
    it("recordsThePlanAndItsInstallmentsUnpaid_exactly", async () => {
      const loanId = await mirrored({ pool: "Active" });
      const big = 2n ** 128n - 1n;

      const rows = await store.recordLoanSchedule(
        loanId,
        schedule({
          installmentAmount: big,
          dues: [30, 60, 90].map((n) => ({ dueAt: day(n), amountDue: big })),
        }),
      );

      expect(rows).toEqual(
        [30, 60, 90].map((n, offset) => ({
          loanId,
          index: offset + 1,
          dueAt: day(n),
          amountDue: big,
          paidAmount: 0n,
          paidAt: null,
          remainingPrincipal: null,
        })),
      );
      expect(await store.listInstallments(loanId)).toEqual(rows);
      expect(await store.getLoan(loanId)).toMatchObject({
        installments: 3,
        periodSeconds: 2_592_000n,
        installmentAmount: big,
        startAt: day(0),
      });
    });

    it("samePlanAgain_changesNothing_anotherPlanIsConflict", async () => {
      const loanId = await mirrored({ pool: "Active" });
      const first = await store.recordLoanSchedule(loanId, schedule());

      const again = await store.recordLoanSchedule(loanId, schedule());
      const otherAmount = await errorCode(
        store.recordLoanSchedule(loanId, schedule({ installmentAmount: 1n })),
      );
      const otherDue = await errorCode(
        store.recordLoanSchedule(
          loanId,
          schedule({ dues: [30, 61, 90].map((n) => ({ dueAt: day(n), amountDue: 340_000_000n })) }),
        ),
      );

      expect(again).toEqual(first);
      expect(otherAmount).toBe("Conflict");
      expect(otherDue).toBe("Conflict");
    });

    it("unknownLoan_isNotFound_badPlanIsInvalidInput", async () => {
      const loanId = await mirrored();
      const cases: LoanScheduleInput[] = [
        schedule({ installments: 0, dues: [] }),
        schedule({ installments: 2 }),
        schedule({ periodSeconds: 0n }),
        schedule({ installmentAmount: -1n }),
        schedule({ dues: [60, 30, 90].map((n) => ({ dueAt: day(n), amountDue: 1n })) }),
        schedule({ dues: [30, 60, 90].map((n) => ({ dueAt: day(n), amountDue: -1n })) }),
        schedule({ startAt: new Date(Number.NaN) }),
      ];

      const codes = await Promise.all(
        cases.map((input) => errorCode(store.recordLoanSchedule(loanId, input))),
      );

      expect(codes).toEqual(cases.map(() => "InvalidInput"));
      expect(await errorCode(store.recordLoanSchedule(hex32(), schedule()))).toBe("NotFound");
      expect(await errorCode(store.recordLoanSchedule("0x12", schedule()))).toBe("InvalidInput");
      expect(await store.listInstallments(loanId)).toEqual([]);
    });
  });

  describe("recordInstallmentPayments", () => {
    const payment = (index: number, paidDay: number) => ({
      index,
      amount: 340_000_000n,
      paidAt: day(paidDay),
      remainingPrincipal: 1_000_000_000n - 330_000_000n * BigInt(index),
    });

    it("paysInstallments_sameReportAgainChangesNothing_anotherIsConflict", async () => {
      const loanId = await mirrored({ pool: "Active" });
      await store.recordLoanSchedule(loanId, schedule());

      const paid = await store.recordInstallmentPayments(loanId, [payment(1, 29), payment(2, 61)]);
      const again = await store.recordInstallmentPayments(loanId, [payment(2, 61)]);
      const otherTime = await errorCode(store.recordInstallmentPayments(loanId, [payment(2, 62)]));
      const otherAmount = await errorCode(
        store.recordInstallmentPayments(loanId, [{ ...payment(1, 29), amount: 1n }]),
      );

      expect(
        paid.map(({ index, paidAt, paidAmount, remainingPrincipal }) => [
          index,
          paidAt,
          paidAmount,
          remainingPrincipal,
        ]),
      ).toEqual([
        [1, day(29), 340_000_000n, 670_000_000n],
        [2, day(61), 340_000_000n, 340_000_000n],
        [3, null, 0n, null],
      ]);
      expect(again).toEqual(paid);
      expect(otherTime).toBe("Conflict");
      expect(otherAmount).toBe("Conflict");
      expect(await store.listInstallments(loanId)).toEqual(paid);
    });

    it("aPaidInstallment_neverBecomesUnpaid_whenThePlanIsRecordedAgain", async () => {
      const loanId = await mirrored({ pool: "Active" });
      await store.recordLoanSchedule(loanId, schedule());
      const paid = await store.recordInstallmentPayments(loanId, [payment(1, 30)]);

      const replanned = await store.recordLoanSchedule(loanId, schedule());

      expect(replanned).toEqual(paid);
      expect(replanned[0]).toMatchObject({ paidAt: day(30), paidAmount: 340_000_000n });
    });

    it("isAllOrNone_anInstallmentNotPlannedIsNotFound_badReportIsInvalidInput", async () => {
      const loanId = await mirrored({ pool: "Active" });
      const unplanned = await mirrored({ pool: "Active" });
      await store.recordLoanSchedule(loanId, schedule());

      const beyond = await errorCode(
        store.recordInstallmentPayments(loanId, [payment(1, 30), { ...payment(3, 90), index: 4 }]),
      );
      const noPlan = await errorCode(store.recordInstallmentPayments(unplanned, [payment(1, 30)]));
      const bad = await Promise.all(
        [
          { ...payment(1, 30), index: 0 },
          { ...payment(1, 30), index: 1.5 },
          { ...payment(1, 30), amount: -1n },
          { ...payment(1, 30), remainingPrincipal: -1n },
          { ...payment(1, 30), paidAt: new Date(Number.NaN) },
        ].map((each) => errorCode(store.recordInstallmentPayments(loanId, [each]))),
      );

      expect(beyond).toBe("NotFound");
      expect(noPlan).toBe("NotFound");
      expect(bad).toEqual(bad.map(() => "InvalidInput"));
      // Installment 1 of the refused batch was not recorded either.
      expect((await store.listInstallments(loanId)).every((row) => row.paidAt === null)).toBe(true);
    });
  });

  describe("borrowerHistory", () => {
    it("findsEveryLoanOfTheBorrower_andOfBorrowersPayingTheRecipient_withInstallments", async () => {
      const borrower = hex32();
      const recipient = hex32();
      const other = hex32();
      const own = await mirrored({ borrower, recipient, pool: "Active" });
      const onSolana = await mirrored({ borrower, collateralEid: SOLANA, pool: "Repaid" });
      const othersToRecipient = await mirrored({ borrower: other, recipient, pool: "Repaid" });
      const othersElsewhere = await mirrored({ borrower: other });
      await mirrored(); // someone else's
      await store.recordLoanSchedule(own, schedule());

      const byBorrower = await store.borrowerHistory(borrower.toUpperCase().replace("0X", "0x"));
      const byRecipient = await store.borrowerHistory(recipient);
      const nobody = await store.borrowerHistory(hex32());

      expect(new Set(byBorrower.loans.map((loan) => loan.loanId))).toEqual(
        new Set([own, onSolana]),
      );
      expect(byBorrower.installments.map((row) => [row.loanId, row.index])).toEqual([
        [own, 1],
        [own, 2],
        [own, 3],
      ]);
      expect(new Set(byRecipient.loans.map((loan) => loan.loanId))).toEqual(
        new Set([own, othersToRecipient, othersElsewhere]),
      );
      expect(nobody).toEqual({ loans: [], installments: [] });
      expect(await errorCode(store.borrowerHistory("0xnope"))).toBe("InvalidInput");
    });
  });

  describe("scheduleScanTargets", () => {
    it("leavesOutPoolsScannedSince_andNamesPoolsAsTheirScansAreKeyed", async () => {
      const own = await backend.fresh();
      const active = async (nonce: bigint, poolApp: Hex): Promise<Hex> => {
        const loanId = hex32();
        await recordActiveLoan(own, {
          nonce,
          loanId,
          collateralEid: EVM,
          lendingEid: SOLANA,
          principal: 1_000n,
          rateBps: 800,
          poolApp,
        });
        return loanId;
      };
      const scannedPool = hex32();
      const duePool = hex32();
      await active(1n, scannedPool);
      const due = await active(2n, duePool);
      await own.recordScheduleScan({
        lendingEid: SOLANA,
        pool: scannedPool,
        changed: [],
        scannedTo: 5n,
      });

      expect(
        await own.scheduleScanTargets({
          lendingEids: [SOLANA],
          scannedBefore: new Date(Date.now() - 60_000),
        }),
      ).toEqual([
        {
          lendingEid: SOLANA,
          pool: duePool,
          scannedTo: undefined,
          loans: [{ loanId: due, outstandingPrincipal: 1_000n, paidInstallments: 0 }],
        },
      ]);
    });
  });

  describe("loanTotals.byOutcome", () => {
    it("countsEachDisbursedLoanOnce_asOutcomeOfDoes", async () => {
      const own = await backend.fresh();
      const previous = store;
      store = own;
      try {
        const planned = async (pool: PoolState, paid: Date[]) => {
          const loanId = await mirrored({ pool });
          await store.recordLoanSchedule(
            loanId,
            schedule({
              startAt: PAST,
              installments: 2,
              dues: [PAST, FUTURE].map((dueAt) => ({ dueAt, amountDue: 1n })),
            }),
          );
          await store.recordInstallmentPayments(
            loanId,
            paid.map((paidAt, offset) => ({
              index: offset + 1,
              amount: 1n,
              paidAt,
              remainingPrincipal: 1n,
            })),
          );
        };
        await mirrored({ pool: "Active", dueAt: FUTURE }); // active
        await mirrored({ pool: "Active", dueAt: PAST }); // late: overdue bullet loan
        await mirrored({ pool: "Repaid" }); // repaid
        await planned("Active", [PAST]); // active: first paid at its due time
        await planned("Active", []); // late: first unpaid past its due
        await planned("Repaid", [new Date(PAST.getTime() + 1_000), FUTURE]); // late: paid late
        await mirrored({ pool: "Defaulted" });
        await mirrored({ pool: "Liquidated" });
        await mirrored({ vault: "Seized" }); // defaulted: seized, the pool's answer unseen
        await mirrored({ vault: "Released" }); // repaid, as the vault saw it
        await mirrored({ pool: "Rejected" }); // never disbursed
        await mirrored(); // requested

        const { byOutcome } = await store.loanTotals();
        // The same loans through the pure rule.
        const expected = Object.fromEntries(LOAN_OUTCOMES.map((o) => [o, 0])) as Record<
          LoanOutcome,
          number
        >;
        for (const loan of await store.listLoans({ limit: 500 })) {
          const paid = await store.listInstallments(loan.loanId);
          const outcome = outcomeOf(standingOf(loan), latenessOf(loan, paid, new Date()));
          if (outcome !== undefined) expected[outcome] += 1;
        }

        expect(byOutcome).toEqual({ active: 2, late: 3, repaid: 2, defaulted: 2, liquidated: 1 });
        expect(byOutcome).toEqual(expected);
      } finally {
        store = previous;
      }
    });
  });
});

describe("migration 0007 over loans mirrored before it", () => {
  it("keepsTheirPrincipalAsOpened_unlessRepaid_andTheirEarliestChangeAsCreation", async () => {
    const pglite = new PGlite();
    const db = new Kysely<unknown>({ dialect: new PGliteDialect(pglite) });
    try {
      const migrator = new Migrator({ db, provider: migrationProvider });
      expect((await migrator.migrateTo("0006_packet_submitted_at")).error).toBeUndefined();
      const active = hex32();
      const repaid = hex32();
      await sql`INSERT INTO loans (loan_id, collateral_eid, lending_eid, vault_state, pool_state,
          principal, updated_at, vault_updated_at, pool_updated_at)
        VALUES
          (${active}, ${EVM}, ${SOLANA}, 'Active', 'Active', 5000, '2026-03-03Z', '2026-03-01Z', '2026-03-02Z'),
          (${repaid}, ${EVM}, ${SOLANA}, 'Released', 'Repaid', 0, '2026-04-04Z', NULL, '2026-04-02Z')`.execute(
        db,
      );

      expect((await migrator.migrateToLatest()).error).toBeUndefined();
      const { rows } = await sql<{
        loan_id: string;
        installments: number;
        opened_principal: string | null;
        created_at: Date;
      }>`SELECT loan_id, installments, opened_principal, created_at FROM loans ORDER BY updated_at`.execute(
        db,
      );

      expect(rows).toEqual([
        {
          loan_id: active,
          installments: 1,
          opened_principal: "5000",
          created_at: new Date("2026-03-01Z"),
        },
        {
          loan_id: repaid,
          installments: 1,
          opened_principal: null,
          created_at: new Date("2026-04-02Z"),
        },
      ]);
    } finally {
      await db.destroy();
    }
  });
});
