// `node scripts/bench-loans.ts [loans] [--kill-relayer-0]`: runs N loans
// through the whole system (anvil, the Solana node, three relayer
// processes, 2 of 3, every one taking its turn delivering) and prints
// throughput, relayer-added latency, relayer memory, executor takeovers and
// double sends. With --kill-relayer-0, relayer-0 is killed with SIGKILL once
// a quarter of the packets are delivered: the others take its packets over,
// and the takeover times are printed. A benchmark, not a test: it prints
// figures and asserts nothing.
//
// Each loan: ETH locked on Ethereum → OPEN_LOAN to the Solana pool →
// LOAN_ACTIVE back. "Relayer-added latency" is, per packet, from the moment
// the last relayer (relayer-2, never killed) observed it at finality to its
// delivery confirmed on the destination, by whichever relayer's turn it was
// (that relayer's store: observedAt → deliveredAt); finality waits are the
// chains', not the relayer's.
import { setTimeout as sleep } from "node:timers/promises";
import type { Hex } from "@loanbridge/shared";
import {
  loggedTakeovers,
  type RelayerProcess,
  relayerMetric,
  startLocalnet,
} from "../test/localnet/index.ts";
import { ethLoanLoad, mib } from "./load.ts";

const LOANS = Number(process.argv[2] ?? 20);
const KILL_RELAYER_0 = process.argv.includes("--kill-relayer-0");
if (
  !Number.isInteger(LOANS) ||
  LOANS < 1 ||
  LOANS > 250 ||
  process.argv.slice(3).some((arg) => arg !== "--kill-relayer-0")
) {
  console.error("usage: node scripts/bench-loans.ts [loans, 1..250] [--kill-relayer-0]");
  process.exit(2);
}

interface PacketRow {
  guid: Hex;
  status: string;
  observedAt: string;
  deliveredAt: string | null;
}

/** A relayer's delivered packets (the API pages by 500; a run stays within that). */
async function deliveredPackets(apiUrl: string): Promise<PacketRow[]> {
  const reply = await fetch(`${apiUrl}/v1/packets?status=delivered&limit=500`);
  if (!reply.ok) throw new Error(`GET /v1/packets: ${reply.status} ${await reply.text()}`);
  return ((await reply.json()) as { packets: PacketRow[] }).packets;
}

const residentMemory = (relayer: RelayerProcess) =>
  relayerMetric(relayer, "process_resident_memory_bytes");

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;

console.log(`starting the local system for ${LOANS} loans ...`);
const net = await startLocalnet({
  log: (line) => {
    console.log(`  ${line}`);
  },
});
try {
  const memoryBefore = await Promise.all(net.relayers.map((r) => residentMemory(r)));
  const load = await ethLoanLoad(net);
  const started = performance.now();
  const loanIds = await load.open(LOANS);
  console.log(`opened ${LOANS} loans in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  // The last relayer watches the run (relayer-0 may be killed).
  const observer = net.relayers.at(-1);
  const victim = net.relayers[0];
  if (observer === undefined || victim === undefined) throw new Error("no relayer");
  let delivered: PacketRow[] = [];
  while (delivered.length < 2 * LOANS) {
    await sleep(1_000);
    delivered = await deliveredPackets(observer.apiUrl);
    console.log(`  ${delivered.length} of ${2 * LOANS} packets delivered`);
    if (KILL_RELAYER_0 && victim.running && delivered.length >= LOANS / 2) {
      await victim.kill();
      console.log("  relayer-0 killed (SIGKILL)");
    }
    if (performance.now() - started > 15 * 60_000) throw new Error("gave up after 15 minutes");
  }
  const seconds = (performance.now() - started) / 1000;
  const latencies = delivered
    .map((p) => Date.parse(p.deliveredAt ?? "") - Date.parse(p.observedAt))
    .sort((a, b) => a - b);
  const alive = net.relayers.filter((r) => r.running);
  const memoryAfter = await Promise.all(
    net.relayers.map((r) => (r.running ? residentMemory(r) : Promise.resolve(Number.NaN))),
  );
  const doubleSends = (
    await Promise.all(alive.map((r) => relayerMetric(r, "loanbridge_duplicate_deliveries_total")))
  ).reduce((sum, total) => sum + total, 0);
  const waits = (
    await Promise.all(
      alive.map(async (r) => (await loggedTakeovers(r)).map((takeover) => takeover.waitedMs)),
    )
  )
    .flat()
    .sort((a, b) => a - b);

  console.log("\nresults");
  console.log(`  loans (both legs done)       ${loanIds.length}`);
  console.log(`  wall time                    ${seconds.toFixed(1)} s`);
  console.log(`  throughput                   ${((LOANS / seconds) * 60).toFixed(1)} loans/min`);
  console.log(
    `  relayer-added latency p50    ${percentile(latencies, 50)} ms (observed at finality → delivery confirmed)`,
  );
  console.log(`  relayer-added latency p99    ${percentile(latencies, 99)} ms`);
  console.log(
    `  double sends                 ${doubleSends} (delivery transactions that lost a race)`,
  );
  console.log(
    `  executor takeovers           ${waits.length}${
      waits.length === 0
        ? ""
        : ` (waited p50 ${percentile(waits, 50)} ms, max ${waits.at(-1) ?? Number.NaN} ms after the attestations were ready)`
    }`,
  );
  net.relayers.forEach((r, i) => {
    console.log(
      `  relayer-${r.index} RSS                ${mib(memoryBefore[i] ?? Number.NaN)} → ${mib(memoryAfter[i] ?? Number.NaN)}`,
    );
  });
} finally {
  await net.stop();
}
