// The installment mirror's scan records against a real in-memory PGlite
// store: which pools are due, with their active loans as last read; a scan's
// marks and cursor stored together; a cursor that never moves back; a
// failed scan that waits the interval where it was.
import { decodePacket, type Hex } from "@loanbridge/shared";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { recordActiveLoan, SRC, word } from "../pipeline/testing.ts";
import type { Store } from "./store.ts";
import { freshTestStore } from "./testing.ts";

const LENDING = 40168;
const PRINCIPAL = 3_000_000_000n;
const LONG_AGO = new Date(0);
const LATER = () => new Date(Date.now() + 60_000);

let store: Store;

beforeEach(async () => {
  store = await freshTestStore();
});

afterEach(async () => {
  await store.close();
});

/** An active loan whose pool's LOAN_ACTIVE was delivered; returns its id and pool. */
async function activeLoan(n: number, poolApp?: Hex): Promise<{ loanId: Hex; pool: Hex }> {
  const loanId = word(0x7000 + n);
  const { observed } = await recordActiveLoan(store, {
    nonce: BigInt(n),
    loanId,
    collateralEid: SRC,
    lendingEid: LENDING,
    principal: PRINCIPAL,
    rateBps: 800,
    ...(poolApp !== undefined && { poolApp }),
  });
  return { loanId, pool: decodePacket(observed.packet).sender };
}

const syncTargets = async () =>
  (
    await store.scheduleSyncTargets({ lendingEids: [LENDING], limit: 10, readBefore: new Date() })
  ).map((target) => target.loanId);

describe("schedule scans", () => {
  it("aPoolNeverScanned_isDue_withItsActiveLoansAsRead_andNotAgainWithinTheInterval", async () => {
    const first = await activeLoan(1);
    const second = await activeLoan(2);

    const [target, ...others] = await store.scheduleScanTargets({
      lendingEids: [LENDING],
      scannedBefore: LONG_AGO,
    });

    expect(others).toEqual([]);
    expect(target).toEqual({
      lendingEid: LENDING,
      pool: first.pool,
      scannedTo: undefined,
      loans: [first, second].map(({ loanId }) => ({
        loanId,
        outstandingPrincipal: PRINCIPAL,
        paidInstallments: 0,
      })),
    });
    await store.recordScheduleScan({
      lendingEid: LENDING,
      pool: first.pool,
      changed: [],
      scannedTo: 50n,
    });
    expect(
      await store.scheduleScanTargets({ lendingEids: [LENDING], scannedBefore: LONG_AGO }),
    ).toEqual([]);
    const [due] = await store.scheduleScanTargets({
      lendingEids: [LENDING],
      scannedBefore: LATER(),
    });
    expect(due?.scannedTo).toBe(50n);
    expect(await store.scheduleScanTargets({ lendingEids: [], scannedBefore: LATER() })).toEqual(
      [],
    );
  });

  it("twoPools_oneScannedWithinTheInterval_onlyTheOtherIsDue_withItsOwnLoans", async () => {
    const scanned = await activeLoan(11);
    const other = await activeLoan(12, word(0x9abcdef));
    expect(other.pool).not.toBe(scanned.pool);
    await store.recordScheduleScan({
      lendingEid: LENDING,
      pool: scanned.pool,
      changed: [],
      scannedTo: 5n,
    });

    const due = await store.scheduleScanTargets({
      lendingEids: [LENDING],
      scannedBefore: new Date(Date.now() - 60_000),
    });

    expect(due).toEqual([
      {
        lendingEid: LENDING,
        pool: other.pool,
        scannedTo: undefined,
        loans: [{ loanId: other.loanId, outstandingPrincipal: PRINCIPAL, paidInstallments: 0 }],
      },
    ]);
  });

  it("aChangedLoan_isReadAgainOnce_unchangedOnesNot", async () => {
    const first = await activeLoan(3);
    const second = await activeLoan(4);
    const readAsOf = (
      await store.scheduleSyncTargets({
        lendingEids: [LENDING],
        limit: 10,
        readBefore: new Date(),
      })
    )[0]?.readAsOf;
    if (readAsOf === undefined) throw new Error("no targets");
    for (const { loanId } of [first, second]) await store.markScheduleRead(loanId, readAsOf);
    expect(await syncTargets()).toEqual([]);

    await store.recordScheduleScan({
      lendingEid: LENDING,
      pool: first.pool,
      changed: [second.loanId],
      scannedTo: 7n,
    });

    expect(await syncTargets()).toEqual([second.loanId]);
    await store.markScheduleRead(second.loanId, new Date(Date.now() + 1_000));
    expect(await syncTargets()).toEqual([]);
  });

  it("theCursor_neverMovesBack_aFailedScanKeepsIt_andWaitsTheInterval", async () => {
    const { pool } = await activeLoan(5);
    await store.recordScheduleScanFailed({ lendingEid: LENDING, pool });
    expect(
      await store.scheduleScanTargets({ lendingEids: [LENDING], scannedBefore: LONG_AGO }),
    ).toEqual([]);
    const [never] = await store.scheduleScanTargets({
      lendingEids: [LENDING],
      scannedBefore: LATER(),
    });
    expect(never?.scannedTo).toBeUndefined();

    await store.recordScheduleScan({ lendingEid: LENDING, pool, changed: [], scannedTo: 90n });
    await store.recordScheduleScan({ lendingEid: LENDING, pool, changed: [], scannedTo: 80n });
    await store.recordScheduleScanFailed({ lendingEid: LENDING, pool });
    const [kept] = await store.scheduleScanTargets({
      lendingEids: [LENDING],
      scannedBefore: LATER(),
    });
    expect(kept?.scannedTo).toBe(90n);
  });

  it("badInput_isInvalidInput", async () => {
    const { pool } = await activeLoan(6);
    await expect(
      store.recordScheduleScan({ lendingEid: LENDING, pool: "0x12", changed: [], scannedTo: 1n }),
    ).rejects.toMatchObject({ code: "InvalidInput" });
    await expect(
      store.recordScheduleScan({ lendingEid: LENDING, pool, changed: ["0xzz"], scannedTo: 1n }),
    ).rejects.toMatchObject({ code: "InvalidInput" });
    await expect(
      store.recordScheduleScan({ lendingEid: LENDING, pool, changed: [], scannedTo: -1n }),
    ).rejects.toMatchObject({ code: "InvalidInput" });
  });
});
