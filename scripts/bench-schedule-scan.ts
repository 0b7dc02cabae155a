// `node scripts/bench-schedule-scan.ts [active loans]`: what the installment
// mirror's two per-poll questions to the store cost as active loans grow, in
// an in-memory PGlite store like the relayer's default: "which lending pools
// are due a scan?" (store.scheduleScanTargets), with every pool scanned
// within the interval (the steady state: a relayer asks this every poll) and
// with the pool due (once an interval); and "which loans are due a read?"
// (store.scheduleSyncTargets) with every loan read. Prints milliseconds per call.
// A benchmark, not a test: it prints figures and asserts nothing.
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import type { Hex } from "@loanbridge/shared";
import { recordActiveLoan, word } from "../relayer/src/pipeline/testing.ts";
import { freshTestStore } from "../relayer/src/store/testing.ts";

const USAGE = "usage: node scripts/bench-schedule-scan.ts [active loans, 1..100000]";
const { positionals } = parseArgs({ allowPositionals: true });
console.log(`storing active loans ...`);
const LOANS = Number(positionals[0] ?? 2_000);
if (!Number.isInteger(LOANS) || LOANS < 1 || LOANS > 100_000) {
  console.error(USAGE);
  process.exit(2);
}

const COLLATERAL_EID = 40161;
const LENDING_EID = 40168;
const POOL: Hex = `0x${"5a".repeat(32)}`;
const CALLS = 20;

const store = await freshTestStore();
try {
  const started = performance.now();
  for (let n = 1; n <= LOANS; n++) {
    await recordActiveLoan(store, {
      nonce: BigInt(n),
      loanId: word(0x1000_0000 + n),
      collateralEid: COLLATERAL_EID,
      lendingEid: LENDING_EID,
      principal: 1_000_000_000n,
      rateBps: 800,
      poolApp: POOL,
    });
    if (n % 500 === 0) console.log(`  ${n} of ${LOANS} active loans stored`);
  }
  console.log(
    `stored ${LOANS} active loans in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  await store.recordScheduleScan({
    lendingEid: LENDING_EID,
    pool: POOL,
    changed: [],
    scannedTo: 1n,
  });

  const timed = async (scannedBefore: () => Date): Promise<{ ms: number; loans: number }> => {
    let loans = 0;
    const start = performance.now();
    for (let i = 0; i < CALLS; i++) {
      const targets = await store.scheduleScanTargets({
        lendingEids: [LENDING_EID],
        scannedBefore: scannedBefore(),
      });
      loans = targets.reduce((sum, target) => sum + target.loans.length, 0);
    }
    return { ms: (performance.now() - start) / CALLS, loans };
  };
  const steady = await timed(() => new Date(Date.now() - 60_000));
  const due = await timed(() => new Date(Date.now() + 60_000));
  const [first] = await store.scheduleSyncTargets({
    lendingEids: [LENDING_EID],
    limit: 1,
    readBefore: new Date(),
  });
  if (first === undefined) throw new Error("no loan to read");
  for (let n = 1; n <= LOANS; n++) {
    await store.markScheduleRead(word(0x1000_0000 + n), first.readAsOf);
  }
  const syncStart = performance.now();
  let toRead = 0;
  for (let i = 0; i < CALLS; i++) {
    const targets = await store.scheduleSyncTargets({
      lendingEids: [LENDING_EID],
      limit: 100,
      readBefore: new Date(Date.now() - 60_000),
    });
    toRead = targets.length;
  }
  const syncMs = (performance.now() - syncStart) / CALLS;
  console.log(`\nresults (${CALLS} calls each, ${LOANS} active loans, one pool)`);
  console.log(
    `  no pool due (every poll)     ${steady.ms.toFixed(2)} ms per call, ${steady.loans} loans returned`,
  );
  console.log(
    `  the pool due (per interval)  ${due.ms.toFixed(2)} ms per call, ${due.loans} loans returned`,
  );
  console.log(
    `  loans due a read, none       ${syncMs.toFixed(2)} ms per call (scheduleSyncTargets), ${toRead} returned`,
  );
} finally {
  await store.close();
}
