// `node scripts/bench-loans.ts [loans]`: runs N loans through the whole
// system (anvil, the Solana node, three relayer processes, 2 of 3) and
// prints throughput, relayer-added latency and relayer memory. A benchmark,
// not a test: it prints figures and asserts nothing.
//
// Each loan: ETH locked on Ethereum → OPEN_LOAN to the Solana pool →
// LOAN_ACTIVE back. "Relayer-added latency" is, per packet, from the moment
// relayer-0 observed it at finality to its delivery confirmed on the
// destination, by whichever relayer's turn it was (relayer-0's store:
// observedAt → deliveredAt); finality waits are the chains', not the
// relayer's.
import { setTimeout as sleep } from "node:timers/promises";
import { decodeLoanMessage, type Hex, toHex } from "@loanbridge/shared";
import {
  addressBytes,
  associatedTokenAccount,
  mintToOwner,
  rpcSender,
} from "@loanbridge/solana-program";
import { generateKeyPairSigner } from "@solana/kit";
import {
  type ContractTransactionResponse,
  NonceManager,
  parseEther,
  Wallet,
  ZeroAddress,
} from "ethers";
import { decodePacketSent, PACKET_SENT_TOPIC } from "../relayer/src/chains/evm/proof.ts";
import { devKey, providerFor } from "../relayer/src/chains/evm/testing.ts";
import { contractAt, startLocalnet } from "../test/localnet/index.ts";

const LOANS = Number(process.argv[2] ?? 20);
if (!Number.isInteger(LOANS) || LOANS < 1 || LOANS > 250) {
  console.error("usage: node scripts/bench-loans.ts [loans, 1..250]");
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

async function residentMemory(apiUrl: string): Promise<number> {
  const text = await (await fetch(`${apiUrl}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith("process_resident_memory_bytes "));
  return Number(line?.split(" ")[1] ?? Number.NaN);
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

console.log(`starting the local system for ${LOANS} loans ...`);
const net = await startLocalnet({
  log: (line) => {
    console.log(`  ${line}`);
  },
});
try {
  const memoryBefore = await Promise.all(net.relayers.map((r) => residentMemory(r.apiUrl)));
  const provider = providerFor(net.evm.url);
  const borrower = new NonceManager(new Wallet(devKey(1), provider));
  const vault = await contractAt(
    net.evm.deployment.contracts.collateralVault,
    "contracts/CollateralVault.sol",
    "CollateralVault",
    borrower,
  );
  const recipient = await generateKeyPairSigner();
  const send = rpcSender(net.solana.rpc, { feePayer: net.solana.admin });
  await mintToOwner(
    send,
    net.solana.admin,
    net.solana.deployment.stablecoin,
    recipient.address,
    0n,
  );
  console.log(
    `recipient account ${await associatedTokenAccount(recipient.address, net.solana.deployment.stablecoin)}`,
  );

  const started = performance.now();
  const sent = await Promise.all(
    Array.from({ length: LOANS }, async () => {
      const tx = (await vault.getFunction("open")(
        ZeroAddress,
        parseEther("1"),
        100n * 10n ** 6n,
        1_000,
        30n * 86_400n,
        toHex(addressBytes(recipient.address)),
        { value: parseEther("1") },
      )) as ContractTransactionResponse;
      return tx.wait();
    }),
  );
  const loanIds = sent.map((receipt) => {
    const log = receipt?.logs.find((entry) => entry.topics[0] === PACKET_SENT_TOPIC);
    if (log === undefined) throw new Error("open sent no packet");
    return decodeLoanMessage(decodePacketSent(log).packet.message).loanId;
  });
  console.log(`opened ${LOANS} loans in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const observer = net.relayers[0];
  if (observer === undefined) throw new Error("no relayer");
  let delivered: PacketRow[] = [];
  while (delivered.length < 2 * LOANS) {
    await sleep(1_000);
    delivered = await deliveredPackets(observer.apiUrl);
    console.log(`  ${delivered.length} of ${2 * LOANS} packets delivered`);
    if (performance.now() - started > 15 * 60_000) throw new Error("gave up after 15 minutes");
  }
  const seconds = (performance.now() - started) / 1000;
  const latencies = delivered
    .map((p) => Date.parse(p.deliveredAt ?? "") - Date.parse(p.observedAt))
    .sort((a, b) => a - b);
  const memoryAfter = await Promise.all(net.relayers.map((r) => residentMemory(r.apiUrl)));

  console.log("\nresults");
  console.log(`  loans (both legs done)       ${loanIds.length}`);
  console.log(`  wall time                    ${seconds.toFixed(1)} s`);
  console.log(`  throughput                   ${((LOANS / seconds) * 60).toFixed(1)} loans/min`);
  console.log(
    `  relayer-added latency p50    ${percentile(latencies, 50)} ms (observed at finality → delivery confirmed)`,
  );
  console.log(`  relayer-added latency p99    ${percentile(latencies, 99)} ms`);
  net.relayers.forEach((r, i) => {
    console.log(
      `  relayer-${r.index} RSS                ${mib(memoryBefore[i] ?? Number.NaN)} → ${mib(memoryAfter[i] ?? Number.NaN)}`,
    );
  });
} finally {
  await net.stop();
}
