// Issue 18, "crash at every step": the executing relayer is killed with
// SIGKILL (LOANBRIDGE_CRASH_AT, relayer/src/pipeline/context.ts CRASH_POINTS)
// at each point between two steps of its pipeline that leave a trace (a
// store write, a signature, a transaction), then restarted without the
// fault. For each point, a loan whose first packet reaches it on one chain:
// every packet ends delivered exactly once on its destination, the executor
// spends one EVM transaction per EVM delivery, no key signed two different
// attestations for one packet (every relayer's log keeps each digest and
// signature it stored), no lease outlives the crash (the restart takes its
// run's leases back rather than waiting out `leaseMs`), and both halves of
// the loan are mirrored.
//
// relayer-0 is the only executor, so every delivery point is its own; the
// two others attest (2 of 3). `make chaos` runs every point in both
// directions; the test run keeps one point of each stage.
import { readFile } from "node:fs/promises";
import { type JsonRpcProvider, Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devKey, providerFor } from "../../relayer/src/chains/evm/testing.ts";
import { CRASH_POINTS, type CrashPoint } from "../../relayer/src/pipeline/context.ts";
import { type Localnet, type RelayerProcess, startLocalnet } from "../localnet/index.ts";
import {
  packetOfType,
  packetsOfLoan,
  waitFor,
  waitForDeliveredPackets,
  waitForMirroredLoan,
} from "../e2e/support.ts";
import {
  deliveriesOn,
  lostAndDuplicated,
  type OpenedLoanCase,
  readyEthLoan,
  readySolLoan,
} from "./support.ts";

const USDC = 10n ** 6n;
const FULL = process.env.LOANBRIDGE_CHAOS === "full";
/** Under the relayer's default lease (60 s): a lease held past the crash would show. */
const RECOVERY_MS = 30_000;

/** Which chain the loan's OPEN_LOAN leaves from (and so reaches each point first). */
type Direction = "eth" | "sol";

/**
 * For `make test`: one point of each stage, and a delivery caught signed,
 * in flight and confirmed-but-unrecorded, to each chain.
 */
const SHORT: readonly [CrashPoint, Direction][] = [
  ["observed", "sol"],
  ["proven", "eth"],
  ["stored", "sol"],
  ["tx-signed", "eth"],
  ["submitted", "sol"],
  ["confirmed", "eth"],
];

const CASES: readonly [CrashPoint, Direction][] = FULL
  ? CRASH_POINTS.flatMap((point) => [[point, "eth"] as const, [point, "sol"] as const])
  : SHORT;

let net: Localnet;
let provider: JsonRpcProvider;
let victim: RelayerProcess;

beforeAll(async () => {
  net = await startLocalnet({ executors: [0] });
  provider = providerFor(net.evm.url);
  const [first] = net.relayers;
  if (first === undefined) throw new Error("no relayer-0");
  victim = first;
}, 300_000);

afterAll(async () => {
  await net.stop();
});

/** Opens a loan whose OPEN_LOAN leaves from the `direction` chain. */
async function openLoan(direction: Direction, index: number): Promise<OpenedLoanCase> {
  const open =
    direction === "eth"
      ? await readyEthLoan(net, new Wallet(devKey(2), provider), BigInt(500 + index) * USDC)
      : await readySolLoan(net, BigInt(300 + index) * USDC);
  return open();
}

/**
 * Each key's stored attestations as its relayer logged them, by packet:
 * `guid signer epoch` → the distinct `digest signature` pairs.
 */
async function loggedAttestations(): Promise<Map<string, Set<string>>> {
  const signed = new Map<string, Set<string>>();
  for (const relayer of net.relayers) {
    for (const line of (await readFile(relayer.logFile, "utf8")).split("\n")) {
      if (!line.includes('"packet attested"')) continue;
      const entry = JSON.parse(line) as {
        guid: string;
        signer: string;
        epoch: string;
        digest: string;
        signature: string;
      };
      const key = `${entry.guid} ${entry.signer} ${entry.epoch}`;
      const contents = signed.get(key) ?? new Set<string>();
      contents.add(`${entry.digest} ${entry.signature}`);
      signed.set(key, contents);
    }
  }
  return signed;
}

describe("the executor killed at every pipeline step, then restarted (3 relayers, 2 of 3)", () => {
  it.each(CASES.map(([point, direction], index) => ({ point, direction, index })))(
    "killedAt $point, first reached by a $direction-collateral loan: eachPacketDeliveredOnce_leasesBack",
    async ({ point, direction, index }) => {
      const sentBefore = await provider.getTransactionCount(victim.evmSender, "latest");
      await victim.stop();
      await victim.start({ LOANBRIDGE_CRASH_AT: point });

      const loan = await openLoan(direction, index);
      await waitFor(
        `relayer-0 to kill itself at "${point}"`,
        () => Promise.resolve(victim.running ? undefined : true),
        60_000,
      );
      await victim.start();
      const restartedAt = Date.now();

      const [seen = []] = await waitForDeliveredPackets(
        net.relayers,
        loan.loanId,
        ["OPEN_LOAN", "LOAN_ACTIVE"],
        RECOVERY_MS,
      );
      const recoveredMs = Date.now() - restartedAt;
      const answerTo = loan.openTo === "solana" ? "evm" : "solana";
      const deliveries = [
        await deliveriesOn(net, provider, loan.openTo, packetOfType(seen, "OPEN_LOAN")),
        await deliveriesOn(net, provider, answerTo, packetOfType(seen, "LOAN_ACTIVE")),
      ];
      const { lost, duplicated } = lostAndDuplicated(deliveries);
      const spent = (await provider.getTransactionCount(victim.evmSender, "latest")) - sentBefore;
      console.log(
        `crash at ${point} (${direction} loan): recovered in ${recoveredMs} ms, ` +
          `EVM transactions ${spent}, packets lost/duplicated: ${lost}/${duplicated}`,
      );
      expect(deliveries).toEqual([1, 1]);
      // One of the loan's two packets is delivered to Ethereum, in one transaction.
      expect(spent).toBe(1);

      for (const packet of await packetsOfLoan(victim.apiUrl, loan.loanId)) {
        expect(packet.leaseOwner, `${packet.guid} still leased`).toBeNull();
      }
      for (const [key, contents] of await loggedAttestations()) {
        expect(contents.size, `${key} signed with different content`).toBe(1);
      }
      await waitForMirroredLoan(net.relayers, loan.loanId, "active", "active");
    },
  );
});
