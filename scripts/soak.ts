// `node scripts/soak.ts [minutes] [loans per minute]` (`make soak
// MINUTES=30`): steady load on the whole local system (anvil, the Solana
// node, three relayer processes) for N minutes. Each loan is repaid in full
// (REPAID goes back to the vault) about three minutes after it opened, so
// the active loans level off and the run reaches a steady state. Every
// minute it prints the active loans (as a relayer's API counts them), each
// relayer's resident memory, V8 heap and CPU time used in the minute (what
// its memory flags cost, relayer/src/node-flags.ts), and the packets
// delivered.
// The heap is the minute's lowest reading (read after each loan too): heap
// used rises and falls by a third or more between collections, so a single
// reading says more about when the last one ran than about a leak. After a
// warm-up (a fifth of the run, at least a minute) it takes each relayer's
// memory as the baseline, and fails (exit 1) if any relayer's resident
// memory or heap at the end is more than 10% above it: memory must stay flat
// under steady load. Not part of `make test`: it takes the minutes it is
// given.
import { setTimeout as sleep } from "node:timers/promises";
import type { Hex } from "@loanbridge/shared";
import { type RelayerProcess, relayerMetric, startLocalnet } from "../test/localnet/index.ts";
import { ethLoanLoad, mib } from "./load.ts";

const MINUTES = Number(process.argv[2] ?? 30);
const LOANS_PER_MINUTE = Number(process.argv[3] ?? 12);
if (
  !Number.isInteger(MINUTES) ||
  MINUTES < 2 ||
  MINUTES > 24 * 60 ||
  !Number.isInteger(LOANS_PER_MINUTE) ||
  LOANS_PER_MINUTE < 1 ||
  LOANS_PER_MINUTE > 120
) {
  console.error("usage: node scripts/soak.ts [minutes, 2..1440] [loans per minute, 1..120]");
  process.exit(2);
}
const WARM_UP_MINUTES = Math.max(1, Math.floor(MINUTES / 5));
const ALLOWED_GROWTH = 0.1;
/** How long after it opened each loan is repaid. */
const REPAY_AFTER_MS = 3 * 60_000;

interface Sample {
  minute: number;
  rss: number[];
  /** The lowest of the minute's heap readings: the live heap, near enough. */
  heap: number[];
  cpu: number[];
}

const heapOf = (relayers: readonly RelayerProcess[]) =>
  Promise.all(relayers.map((r) => relayerMetric(r, "nodejs_heap_size_used_bytes")));

/** The minute's sample; `heapReadings` are its earlier heap readings, one list per reading. */
async function sample(
  relayers: readonly RelayerProcess[],
  minute: number,
  heapReadings: readonly number[][],
): Promise<Sample> {
  const [rss, heap, cpu] = await Promise.all([
    Promise.all(relayers.map((r) => relayerMetric(r, "process_resident_memory_bytes"))),
    heapOf(relayers),
    Promise.all(relayers.map((r) => relayerMetric(r, "process_cpu_seconds_total"))),
  ]);
  const lowest = heap.map((now, r) =>
    Math.min(now, ...heapReadings.map((reading) => reading[r] ?? now)),
  );
  return { minute, rss, heap: lowest, cpu };
}

console.log(
  `soak: ${MINUTES} min at ${LOANS_PER_MINUTE} loans/min, warm-up ${WARM_UP_MINUTES} min`,
);
const net = await startLocalnet({
  log: (line) => {
    console.log(`  ${line}`);
  },
});
let failed = false;
try {
  const observer = net.relayers.at(-1);
  if (observer === undefined) throw new Error("no relayer");
  const load = await ethLoanLoad(net);
  const started = performance.now();
  const samples: Sample[] = [];
  let opened = 0;
  let repaid = 0;
  /** Loans not yet repaid, oldest first, with when they opened. */
  const unpaid: { loanId: Hex; openedAt: number }[] = [];
  /** Repays, one at a time (each takes the pool's next packet nonce), every loan old enough. */
  const repayDue = async () => {
    while (unpaid[0] !== undefined && performance.now() - unpaid[0].openedAt >= REPAY_AFTER_MS) {
      const { loanId } = unpaid[0];
      try {
        await load.repay(loanId);
      } catch (error) {
        // Not yet on the pool (its OPEN_LOAN still relaying): tried again next loan.
        console.log(`  repaying ${loanId} failed, tried again: ${String(error)}`);
        return;
      }
      unpaid.shift();
      repaid += 1;
    }
  };
  for (let minute = 1; minute <= MINUTES; minute++) {
    // The minute's loans, evenly spaced, each followed by a heap reading.
    const heapReadings: number[][] = [];
    for (let i = 0; i < LOANS_PER_MINUTE; i++) {
      const due = started + ((minute - 1) * 60_000 + (i * 60_000) / LOANS_PER_MINUTE);
      await sleep(Math.max(0, due - performance.now()));
      for (const loanId of await load.open(1)) {
        unpaid.push({ loanId, openedAt: performance.now() });
        opened += 1;
      }
      await repayDue();
      heapReadings.push(await heapOf(net.relayers));
    }
    await sleep(Math.max(0, started + minute * 60_000 - performance.now()));
    const now = await sample(net.relayers, minute, heapReadings);
    samples.push(now);
    const delivered = await relayerMetric(
      observer,
      "loanbridge_packets_total",
      'stage="deliver",outcome="delivered"',
    );
    const active = await relayerMetric(observer, "loanbridge_loans_by_outcome", 'outcome="active"');
    const before = samples.at(-2)?.cpu;
    console.log(
      `  minute ${minute}: ${opened} loans opened, ${repaid} repaid, ${active} active, ` +
        `${delivered} packets delivered; ` +
        now.rss
          .map(
            (rss, r) =>
              `relayer-${r} ${mib(rss)} (heap ${mib(now.heap[r] ?? NaN)}, ` +
              `cpu ${((now.cpu[r] ?? NaN) - (before?.[r] ?? 0)).toFixed(1)} s/min)`,
          )
          .join(", "),
    );
  }

  const baseline = samples.find((s) => s.minute === WARM_UP_MINUTES);
  const last = samples.at(-1);
  if (baseline === undefined || last === undefined) throw new Error("no samples");
  console.log(`\nmemory after the warm-up (minute ${WARM_UP_MINUTES}) → end`);
  for (const [r, relayer] of net.relayers.entries()) {
    const growth = (kind: "rss" | "heap") =>
      (last[kind][r] ?? NaN) / (baseline[kind][r] ?? NaN) - 1;
    const rss = growth("rss");
    const heap = growth("heap");
    const over = !(rss <= ALLOWED_GROWTH && heap <= ALLOWED_GROWTH);
    failed ||= over;
    console.log(
      `  relayer-${relayer.index}: RSS ${mib(baseline.rss[r] ?? NaN)} → ${mib(last.rss[r] ?? NaN)} (${(rss * 100).toFixed(1)}%), ` +
        `heap ${mib(baseline.heap[r] ?? NaN)} → ${mib(last.heap[r] ?? NaN)} (${(heap * 100).toFixed(1)}%)${over ? "  ← grew more than 10%" : ""}`,
    );
  }
} finally {
  await net.stop();
}
if (failed) {
  console.error("soak: memory grew more than 10% after the warm-up");
  process.exit(1);
}
console.log("soak: memory stayed flat");
