// `node scripts/bench-loans.ts [loans per direction] [--kill-relayer-0]
// [--deliver-concurrency N]`:
// runs loans through the whole system (anvil, the Solana node, three relayer
// processes, 2 of 3, every one taking its turn delivering) in both directions
// at once, N each way, and prints throughput, packet rates per stage,
// finalized → submitted, ready → submitted (from when the sender first held
// a threshold of attestations; overall and by destination chain) and
// finalized → confirmed latency, the share the relayers sent within 50 ms of
// ready (their loanbridge_submit_seconds), relayer memory,
// executor takeovers, double sends and Solana deliveries derived again. With --kill-relayer-0, relayer-0 is
// killed with SIGKILL once a quarter of the packets are delivered: the others
// take its packets over, and the takeover times are printed. With
// --deliver-concurrency, each relayer's `pipeline.deliverConcurrency` (8 by
// default); with --store-thread-niceness, each relayer's `store.threadNiceness`
// (10 by default). A benchmark,
// not a test: it prints figures and asserts nothing.
//
// Each direction's loan makes two packets: ETH locked on Ethereum → OPEN_LOAN
// to the Solana pool → LOAN_ACTIVE back; SOL locked on Solana → OPEN_LOAN to
// the EVM pool → LOAN_ACTIVE back. The ETH loans are sent all at once, the SOL
// loans one after another (load.ts says why), both starting together.
//
// "Finalized" is when a relayer's watcher recorded the packet (observedAt),
// which it does only once the source block is final: the chains' own finality
// waits come before it and are not the relayer's. Per packet the figures are
// from the store of the relayer that first sent a delivery transaction
// (observedAt → submittedAt, observedAt → deliveredAt, one clock); a packet
// no running relayer sent (relayer-0 killed) counts its confirmation from the
// observing relayer's store. For packets from Ethereum the real finality
// time is known too: anvil finalizes block h when block h + 4 is mined, so
// that block's timestamp (whole seconds) is when the packet became final;
// those packets are also measured from it, which adds the watcher's lag. "Relayer-added latency" is, per packet, from the
// moment the last relayer (relayer-2, never killed) observed it to its
// delivery confirmed, by whichever relayer's turn it was.
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import type { Hex } from "@loanbridge/shared";
import { providerFor } from "../relayer/src/chains/evm/testing.ts";
import {
  loggedTakeovers,
  type RelayerProcess,
  relayerMetric,
  startLocalnet,
} from "../test/localnet/index.ts";
import { ethLoanLoad, mib, solLoanLoad } from "./load.ts";

const USAGE =
  "usage: node scripts/bench-loans.ts [loans per direction, 1..250] [--kill-relayer-0] [--deliver-concurrency 1..256] [--store-thread-niceness 0..19]";
function parsedArguments() {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        "kill-relayer-0": { type: "boolean", default: false },
        "deliver-concurrency": { type: "string" },
        "store-thread-niceness": { type: "string" },
      },
    });
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
}
const { values: flags, positionals } = parsedArguments();
const LOANS = Number(positionals[0] ?? 20);
const KILL_RELAYER_0 = flags["kill-relayer-0"];
const badUsage = (): never => {
  console.error(USAGE);
  process.exit(2);
};
/** A whole number from `min` to `max` (else the usage, exit 2); undefined when not given. */
const wholeNumber = (given: string | undefined, min: number, max: number): number | undefined => {
  if (given === undefined) return undefined;
  const value = Number(given);
  return Number.isInteger(value) && value >= min && value <= max ? value : badUsage();
};
const DELIVER_CONCURRENCY = wholeNumber(flags["deliver-concurrency"], 1, 256);
const STORE_THREAD_NICENESS = wholeNumber(flags["store-thread-niceness"], 0, 19);
if (!Number.isInteger(LOANS) || LOANS < 1 || LOANS > 250 || positionals.length > 1) badUsage();
/** Two directions, two packets a loan. */
const PACKETS = 4 * LOANS;
const GIVE_UP_MS = 40 * 60_000;
/** anvil's `finalized` is latest − 4 on the localnet (slotsInAnEpoch 2). */
const EVM_FINALITY_DEPTH = 4;

interface PacketRow {
  guid: Hex;
  status: string;
  srcChain: { name: string };
  dstChain: { name: string };
  sourceHeight: string;
  observedAt: string;
  verifiedAt: string | null;
  attestedAt: string | null;
  readyAt: string | null;
  submittedAt: string | null;
  deliveredAt: string | null;
}

/** How many packets a relayer's store holds delivered (GET /v1/status). */
async function deliveredOf(apiUrl: string): Promise<number> {
  const reply = await fetch(`${apiUrl}/v1/status`);
  if (!reply.ok) throw new Error(`GET /v1/status: ${reply.status} ${await reply.text()}`);
  const status = (await reply.json()) as { packets: Record<string, number> };
  return status.packets.delivered ?? 0;
}

/** A relayer's packets (of one status, when given), every page of them. */
async function packetsOf(apiUrl: string, status?: string): Promise<PacketRow[]> {
  const rows: PacketRow[] = [];
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ limit: "500" });
    if (status !== undefined) query.set("status", status);
    if (cursor !== null) query.set("cursor", cursor);
    const reply = await fetch(`${apiUrl}/v1/packets?${query.toString()}`);
    if (!reply.ok) throw new Error(`GET /v1/packets: ${reply.status} ${await reply.text()}`);
    const page = (await reply.json()) as { packets: PacketRow[]; nextCursor: string | null };
    rows.push(...page.packets);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return rows;
}

const residentMemory = (relayer: RelayerProcess) =>
  relayerMetric(relayer, "process_resident_memory_bytes");

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;

const time = (iso: string | null) => (iso === null ? Number.NaN : Date.parse(iso));
const sortedFinite = (values: number[]) =>
  values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
const p50p99 = (sorted: number[]) =>
  `${percentile(sorted, 50)} ms / ${percentile(sorted, 99)} ms (${sorted.length} packets)`;
const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(" ");

/**
 * Per packet, the record of the relayer that first sent its delivery (the
 * earliest submittedAt across the stores read); the observer's otherwise.
 */
function senderRecords(observed: PacketRow[], stores: PacketRow[][]): PacketRow[] {
  const first = new Map<Hex, PacketRow>();
  for (const row of stores.flat()) {
    if (row.submittedAt === null) continue;
    const seen = first.get(row.guid);
    if (seen === undefined || time(row.submittedAt) < time(seen.submittedAt)) {
      first.set(row.guid, row);
    }
  }
  return observed.map((row) => first.get(row.guid) ?? row);
}

/** The most of `sorted` (times, ms) within any `windowMs`. */
function busiest(sorted: number[], windowMs: number): number {
  let most = 0;
  for (let start = 0, end = 0; end < sorted.length; end++) {
    while ((sorted[end] ?? 0) - (sorted[start] ?? 0) >= windowMs) start++;
    most = Math.max(most, end - start + 1);
  }
  return most;
}

/** Each stage's packets per second: from its first to its last packet, and its busiest 10 s. */
function stageRates(rows: PacketRow[]): string[] {
  const stages = ["observedAt", "verifiedAt", "attestedAt", "deliveredAt"] as const;
  return stages.map((stage) => {
    const times = sortedFinite(rows.map((row) => time(row[stage])));
    const spanMs = (times.at(-1) ?? 0) - (times[0] ?? 0);
    const active = spanMs > 0 ? `${((times.length / spanMs) * 1000).toFixed(2)}/s` : "-";
    const peak = (busiest(times, 10_000) / 10).toFixed(1);
    return `${stage.replace("At", "").padEnd(9)} ${String(times.length).padStart(4)} packets, ${active} first → last, ${peak}/s in the busiest 10 s`;
  });
}

/** When each EVM-sourced packet's block became final: the timestamp of the block that finalized it. */
async function evmFinalizedTimes(url: string, rows: PacketRow[]): Promise<Map<Hex, number>> {
  const provider = providerFor(url);
  const blocks = new Map<number, Promise<number>>();
  const finalizedAt = (height: number) => {
    let at = blocks.get(height);
    if (at === undefined) {
      at = provider.getBlock(height).then((block) => {
        if (block === null) throw new Error(`no block ${height}`);
        return block.timestamp * 1000;
      });
      blocks.set(height, at);
    }
    return at;
  };
  const evm = rows.filter((row) => row.srcChain.name === "evm");
  const times = await Promise.all(
    evm.map((row) => finalizedAt(Number(row.sourceHeight) + EVM_FINALITY_DEPTH)),
  );
  return new Map(evm.map((row, i) => [row.guid, times[i] ?? Number.NaN]));
}

console.log(
  `starting the local system for ${LOANS} loans per direction (${2 * LOANS} loans, ${PACKETS} packets; deliverConcurrency ${DELIVER_CONCURRENCY ?? "8 (default)"}; store thread niceness ${STORE_THREAD_NICENESS ?? "10 (default)"}) ...`,
);
const net = await startLocalnet({
  log: (line) => {
    console.log(`  ${line}`);
  },
  ...(DELIVER_CONCURRENCY !== undefined && { deliverConcurrency: DELIVER_CONCURRENCY }),
  ...(STORE_THREAD_NICENESS !== undefined && { storeThreadNiceness: STORE_THREAD_NICENESS }),
});
try {
  const memoryBefore = await Promise.all(net.relayers.map((r) => residentMemory(r)));
  const [ethLoad, solLoad] = await Promise.all([ethLoanLoad(net), solLoanLoad(net, LOANS)]);
  const loadBefore = load();
  const started = performance.now();
  const since = () => ((performance.now() - started) / 1000).toFixed(1);
  let openError: Error | undefined;
  const opened = Promise.all([
    ethLoad.open(LOANS).then((ids) => {
      console.log(`  opened ${LOANS} ETH → Solana loans in ${since()} s (all at once)`);
      return ids;
    }),
    solLoad.open(LOANS).then((ids) => {
      console.log(`  opened ${LOANS} SOL → EVM loans in ${since()} s (one after another)`);
      return ids;
    }),
  ]);
  opened.catch((error: unknown) => {
    openError = error instanceof Error ? error : new Error(String(error));
  });

  // The last relayer watches the run (relayer-0 may be killed).
  const observer = net.relayers.at(-1);
  const victim = net.relayers[0];
  if (observer === undefined || victim === undefined) throw new Error("no relayer");
  // Progress is read from the status counts: listing every delivered packet
  // each time would load the relayer under test more as the run goes on.
  let deliveredCount = 0;
  let printedAt = performance.now();
  while (deliveredCount < PACKETS) {
    // Until the kill, often enough that it comes at a quarter, not seconds past it.
    const killing = KILL_RELAYER_0 && victim.running;
    await sleep(killing ? 250 : 2_000);
    if (openError !== undefined) throw openError;
    deliveredCount = await deliveredOf(observer.apiUrl);
    if (!killing || performance.now() - printedAt >= 2_000 || deliveredCount >= PACKETS / 4) {
      printedAt = performance.now();
      console.log(`  ${since()} s: ${deliveredCount} of ${PACKETS} packets delivered`);
    }
    if (killing && deliveredCount >= PACKETS / 4) {
      await victim.kill();
      console.log("  relayer-0 killed (SIGKILL)");
    }
    if (performance.now() - started > GIVE_UP_MS) throw new Error("gave up after 40 minutes");
  }
  const seconds = (performance.now() - started) / 1000;
  const loanIds = (await opened).flat();
  const loadAfter = load();
  const alive = net.relayers.filter((r) => r.running);
  const memoryAfter = await Promise.all(
    net.relayers.map((r) => (r.running ? residentMemory(r) : Promise.resolve(Number.NaN))),
  );
  const stores = await Promise.all(alive.map((r) => packetsOf(r.apiUrl)));
  const delivered = await packetsOf(observer.apiUrl, "delivered");
  const latencies = sortedFinite(
    delivered.map((p) => time(p.deliveredAt) - Date.parse(p.observedAt)),
  );
  const senders = senderRecords(delivered, stores);
  const toSubmitted = sortedFinite(senders.map((p) => time(p.submittedAt) - time(p.observedAt)));
  const toConfirmed = sortedFinite(senders.map((p) => time(p.deliveredAt) - time(p.observedAt)));
  const runStart = Math.min(...delivered.map((p) => time(p.observedAt)));
  const runEnd = Math.max(...delivered.map((p) => time(p.deliveredAt)));
  const evmFinal = await evmFinalizedTimes(net.evm.url, senders);
  const fromEvmFinal = (stage: "observedAt" | "submittedAt" | "deliveredAt") =>
    sortedFinite(
      senders
        .filter((p) => evmFinal.has(p.guid))
        .map((p) => time(p[stage]) - (evmFinal.get(p.guid) ?? Number.NaN)),
    );
  /** A metric summed over the running relayers' series (`having` each part); none is 0. */
  const summed = async (name: string, having?: readonly string[]) =>
    (await Promise.all(alive.map((r) => relayerMetric(r, name, having)))).reduce(
      (sum, total) => sum + (Number.isNaN(total) ? 0 : total),
      0,
    );
  const doubleSends = await summed("loanbridge_duplicate_deliveries_total");
  const accountsMoved = await summed("loanbridge_delivery_accounts_moved_total");
  // The relayers' own figure for the target: sends within 50 ms of being
  // ready (loanbridge_submit_seconds, its 0.05 bucket over its count).
  const within50ms = await Promise.all(
    ["evm", "solana"].map(async (chain) => {
      const bucket = (le: string) =>
        summed("loanbridge_submit_seconds_bucket", [`le="${le}"`, `chain="${chain}"`]);
      const all = await bucket("+Inf");
      const fast = await bucket("0.05");
      return `${chain} ${all === 0 ? "none sent" : `${((100 * fast) / all).toFixed(1)} % of ${all}`}`;
    }),
  );
  const takeovers = (await Promise.all(alive.map((r) => loggedTakeovers(r)))).flat();
  const waits = takeovers.map((takeover) => takeover.waitedMs).sort((a, b) => a - b);
  // The first in a packet's executor order sends as soon as it holds a
  // threshold; a taker-over waits for the ones before it first.
  const takenOver = new Set(takeovers.map((takeover) => takeover.guid));
  const readyToSubmittedTo = (chain?: string) =>
    sortedFinite(
      senders
        .filter((p) => !takenOver.has(p.guid) && (chain === undefined || p.dstChain.name === chain))
        .map((p) => time(p.submittedAt) - time(p.readyAt)),
    );
  const readyToSubmitted = readyToSubmittedTo();

  console.log("\nresults");
  console.log(
    `  loans per direction          ${LOANS} (ETH → Solana and SOL → EVM at once; ${2 * LOANS} loans, ${PACKETS} packets)`,
  );
  console.log(`  loans (both legs done)       ${loanIds.length}`);
  console.log(`  wall time                    ${seconds.toFixed(1)} s`);
  console.log(
    `  throughput                   ${(((2 * LOANS) / seconds) * 60).toFixed(1)} loans/min (both directions)`,
  );
  console.log(
    `  relayer-added latency p50    ${percentile(latencies, 50)} ms (observed at finality → delivery confirmed)`,
  );
  console.log(`  relayer-added latency p99    ${percentile(latencies, 99)} ms`);
  console.log(
    `  packets per stage            (relayer-${observer.index}'s store; run ${((runEnd - runStart) / 1000).toFixed(1)} s from the first observed to the last delivered)`,
  );
  for (const line of stageRates(delivered)) console.log(`    ${line}`);
  const unattributed = delivered.length - toSubmitted.length;
  console.log(
    `  finalized → submitted        p50 / p99 ${p50p99(toSubmitted)} (observedAt → first delivery transaction sent, the sender's store${
      unattributed === 0 ? "" : `; ${unattributed} sent by no running relayer`
    })`,
  );
  console.log(
    `  ready → submitted            p50 / p99 ${p50p99(readyToSubmitted)} (readyAt: the sender first held a threshold of attestations → its first delivery transaction sent; packets no one took over)`,
  );
  for (const chain of ["evm", "solana"]) {
    console.log(`    to ${chain.padEnd(24)} p50 / p99 ${p50p99(readyToSubmittedTo(chain))}`);
  }
  console.log(
    `  sent within 50 ms of ready   ${within50ms.join(", ")} (the relayers' loanbridge_submit_seconds: threshold held, turn come → first send)`,
  );
  console.log(
    `  finalized → confirmed        p50 / p99 ${p50p99(toConfirmed)} (observedAt → deliveredAt, the sender's store)`,
  );
  console.log(
    `  from Ethereum, block final → observed p50 / p99 ${p50p99(fromEvmFinal("observedAt"))} (block h + ${EVM_FINALITY_DEPTH} mined, whole seconds)`,
  );
  console.log(
    `  from Ethereum, block final → submitted p50 / p99 ${p50p99(fromEvmFinal("submittedAt"))}`,
  );
  console.log(
    `  from Ethereum, block final → confirmed p50 / p99 ${p50p99(fromEvmFinal("deliveredAt"))}`,
  );
  console.log(
    `  double sends                 ${doubleSends} (delivery transactions that lost a race, loanbridge_duplicate_deliveries_total summed over ${alive.length} relayers)`,
  );
  console.log(
    `  Solana accounts moved        ${accountsMoved} (Solana deliveries refused and derived again: another delivery to the same app moved the state their accounts came from, the pool's outbound nonce; loanbridge_delivery_accounts_moved_total over ${alive.length} relayers)`,
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
  console.log(`  machine load (1/5/15 min)    ${loadBefore} → ${loadAfter}`);
} finally {
  await net.stop();
}
