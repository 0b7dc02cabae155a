// `make demo`: the whole bridge on local chains. Starts anvil and the Solana
// node, deploys both sides, starts three relayer processes (2 of 3), then
// walks a borrower through two loans with the `loanbridge` user commands:
//   1. lock ETH on Ethereum → borrow on Solana in 3 installments → pay them
//      one after another (each payment and the schedule as relayer-0's API
//      shows it) → ETH released;
//   2. lock SOL on Solana → borrow on Ethereum → default → SOL to the pool.
// Then it leaves the relayers, their APIs and /metrics running until Ctrl-C.
import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Hex } from "@loanbridge/shared";
import { airdrop, mintToOwner, rpcSender } from "@loanbridge/solana-program";
import { createKeyPairSignerFromBytes } from "@solana/kit";
import { JsonRpcProvider, Wallet } from "ethers";
import type { BorrowerList, ScheduleView } from "../relayer/src/api/views.ts";
import { devKey } from "../relayer/src/chains/evm/testing.ts";
import { contractAt, solanaKeypair, startLocalnet } from "../test/localnet/index.ts";

const ROOT = resolve(import.meta.dirname, "..");
const CLI = join(ROOT, "relayer/src/cli.ts");
const started = performance.now();
const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

function heading(text: string): void {
  console.log(`\n== ${text}`);
}

async function step<T>(title: string, run: () => Promise<T>): Promise<T> {
  console.log(`- ${title} ...`);
  const since = performance.now();
  const result = await run();
  console.log(`  done in ${seconds(since)}`);
  return result;
}

/** Runs `loanbridge <args>`; its progress goes to the terminal, its JSON is returned. */
function loanbridge(args: string[]): Promise<Record<string, unknown>> {
  return new Promise((done, fail) => {
    console.log(`  $ loanbridge ${args.join(" ")}`);
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => {
      for (const line of chunk.toString().trimEnd().split("\n")) console.log(`    ${line}`);
    });
    child.once("exit", (code) => {
      if (code !== 0) {
        fail(new Error(`loanbridge ${args[0] ?? ""} exited with ${code}`));
        return;
      }
      const result = JSON.parse(out) as Record<string, unknown>;
      const tx = result.tx ?? result.hash;
      if (typeof tx === "string") console.log(`    tx ${tx}`);
      done(result);
    });
  });
}

async function until<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  const since = performance.now();
  let shown = since;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (performance.now() - shown > 3_000) {
      console.log(`    waiting for ${what} (${seconds(since)})`);
      shown = performance.now();
    }
    if (performance.now() - since > 180_000) throw new Error(`gave up waiting for ${what}`);
    await new Promise((wake) => setTimeout(wake, 500));
  }
}

/** A loan's installments as a relayer's API shows them (undefined until read from its pool). */
async function scheduleOn(apiUrl: string, loanId: Hex): Promise<ScheduleView | undefined> {
  const reply = await fetch(`${apiUrl}/v1/loans/${loanId}/schedule`);
  if (reply.status === 404) return undefined;
  if (!reply.ok) throw new Error(`GET schedule: ${reply.status}`);
  return (await reply.json()) as ScheduleView;
}

function printSchedule(schedule: ScheduleView): void {
  const amount = (value: ScheduleView["installmentAmount"] | null) =>
    value === null ? "-" : `${value.formatted ?? value.units} ${value.symbol ?? ""}`.trim();
  const time = (iso: string) => iso.replace("T", " ").replace(/\.\d+Z$/, " UTC");
  for (const item of schedule.items) {
    const paid =
      item.paidAt === null
        ? ""
        : `, paid ${amount(item.paid)} at ${time(item.paidAt)}, principal left ${amount(item.remainingPrincipal)}`;
    console.log(
      `    ${item.index}/${schedule.installments} due ${time(item.dueAt)}: ${amount(item.amountDue)}${paid} [${item.state}]`,
    );
  }
}

heading("local chains, contracts and relayers");
const net = await step("start anvil, the Solana node, deploy both sides, start 3 relayers", () =>
  startLocalnet({
    workDir: join(ROOT, "demo-data", String(Date.now())),
    log: (line) => {
      console.log(`    ${line}`);
    },
  }),
);
let stopping: Promise<void> | undefined;
const shutdown = () => {
  stopping ??= (async () => {
    console.log("\nstopping relayers and chains ...");
    await net.stop();
    console.log("stopped cleanly");
  })();
  return stopping;
};
process.once("SIGINT", () => void shutdown().then(() => process.exit(0)));
process.once("SIGTERM", () => void shutdown().then(() => process.exit(0)));

try {
  const network = ["--network", net.networkFile];
  console.log(`  EVM ${net.evm.url}, Solana ${net.solana.url}, work dir ${net.workDir}`);
  for (const relayer of net.relayers) {
    console.log(
      `  relayer-${relayer.index}${relayer.executor ? "" : " (confirms only)"}: ${relayer.apiUrl} pays EVM deliveries from ${relayer.evmSender}`,
    );
  }

  // The borrower's keys, in files as a wallet would keep them.
  const evmKey = devKey(1);
  const evmBorrower = new Wallet(evmKey).address;
  const solanaKey = solanaKeypair();
  const solanaBorrower = await createKeyPairSignerFromBytes(solanaKey);
  const evmKeyFile = join(net.workDir, "borrower-evm.key");
  const solanaKeyFile = join(net.workDir, "borrower-solana.json");
  await writeFile(evmKeyFile, `${evmKey}\n`, { mode: 0o600 });
  await writeFile(solanaKeyFile, JSON.stringify([...solanaKey]), { mode: 0o600 });
  const keys = ["--evm-key-file", evmKeyFile, "--solana-keypair-file", solanaKeyFile];
  await step(`fund the Solana borrower ${solanaBorrower.address}`, async () => {
    await airdrop(net.solana.rpc, solanaBorrower.address, 500n);
    // A little extra stablecoin, to pay the interest with.
    const send = rpcSender(net.solana.rpc, { feePayer: net.solana.admin });
    await mintToOwner(
      send,
      net.solana.admin,
      net.solana.deployment.stablecoin,
      solanaBorrower.address,
      100_000_000n,
    );
  });

  heading(
    "journey 1: lock ETH on Ethereum, borrow on Solana in 3 installments, pay each, ETH released",
  );
  const first = await step("borrow 12,000 against 10 ETH for 3 days in 3 installments", () =>
    loanbridge([
      "borrow",
      ...network,
      ...keys,
      "--from",
      "evm",
      "--collateral",
      "10",
      "--principal",
      "12000",
      "--recipient",
      solanaBorrower.address,
      "--term-days",
      "3",
      "--installments",
      "3",
      "--wait",
    ]),
  );
  const firstLoan = first.loanId as Hex;
  console.log(
    `  loan ${firstLoan}: Ethereum vault ${String(first.vaultState)}, Solana pool ${String(first.poolState)}`,
  );
  const api = net.relayers[0]?.apiUrl ?? "";
  const plan = await step("the schedule, as relayer-0 read it from the Solana pool", async () => {
    const schedule = await until("the schedule on relayer-0's API", () =>
      scheduleOn(api, firstLoan),
    );
    console.log(
      `  GET ${api}/v1/loans/${firstLoan}/schedule: ${schedule.installments} installments of ${schedule.installmentAmount.formatted ?? schedule.installmentAmount.units} every ${schedule.periodSeconds} s`,
    );
    printSchedule(schedule);
    return schedule;
  });
  for (const item of plan.items) {
    const last = item.index === plan.installments;
    const installment = plan.installmentAmount.formatted ?? "";
    await step(
      last
        ? `pay installment ${item.index} of ${plan.installments} on Solana: the rest of the debt`
        : `pay installment ${item.index} of ${plan.installments} on Solana: ${installment} dUSD`,
      async () => {
        await loanbridge([
          "repay",
          ...network,
          ...keys,
          "--on",
          "solana",
          "--loan",
          firstLoan,
          ...(last ? [] : ["--amount", installment]),
        ]);
        const schedule = await until(
          `installment ${item.index} paid on relayer-0's API`,
          async () => {
            const read = await scheduleOn(api, firstLoan);
            return read?.items[item.index - 1]?.paidAt === null ? undefined : read;
          },
        );
        printSchedule(schedule);
      },
    );
  }
  await step("REPAID relayed: ETH released on Ethereum", () =>
    until("the release on Ethereum", async () => {
      const status = await loanbridge(["status", firstLoan, ...network]);
      return status.vaultState === "released" ? status : undefined;
    }),
  );
  await step("the borrower's record on relayer-0", async () => {
    const view = await until("the repaid loan in the borrower's record", async () => {
      const reply = await fetch(`${api}/v1/borrowers/${evmBorrower}`);
      if (!reply.ok) return undefined;
      const list = (await reply.json()) as BorrowerList;
      const borrower = list.borrowers.find((entry) => entry.match === "borrower");
      return borrower !== undefined && borrower.record.loans.repaid > 0 ? borrower : undefined;
    });
    const { loans, late } = view.record;
    console.log(
      `  GET ${api}/v1/borrowers/${evmBorrower}: ${loans.repaid} repaid, ${late.installments} installments late, ${loans.defaulted} defaulted: score ${view.score.value} (${view.score.version})`,
    );
  });

  heading("journey 2: lock SOL on Solana, borrow on Ethereum, default, SOL to the pool");
  const second = await step("borrow 5,000 against 100 SOL for 1 day", () =>
    loanbridge([
      "borrow",
      ...network,
      ...keys,
      "--from",
      "solana",
      "--collateral",
      "100",
      "--principal",
      "5000",
      "--recipient",
      evmBorrower,
      "--term-days",
      "1",
      "--wait",
    ]),
  );
  const secondLoan = second.loanId as Hex;
  await step("let it run past due + grace (anvil time travel to dueTime + grace)", async () => {
    // The pool rounds the due time up to its due bucket (a day on dev chains),
    // so read the recorded due time and grace rather than assume start + term.
    const provider = new JsonRpcProvider(net.evm.url, undefined, { staticNetwork: true });
    const pool = await contractAt(
      net.evm.deployment.contracts.lendingPool,
      "contracts/LendingPool.sol",
      "LendingPool",
      provider,
    );
    const { dueTime } = (await pool.getFunction("getLoan")(secondLoan)) as { dueTime: bigint };
    const grace = (await pool.getFunction("gracePeriodSeconds")()) as bigint;
    const latest = await provider.getBlock("latest");
    if (latest === null) throw new Error("no latest block");
    const target = dueTime + grace + 60n;
    const ahead = target - BigInt(latest.timestamp);
    const at = (time: bigint) => new Date(Number(time) * 1000).toISOString();
    console.log(`  due ${at(dueTime)} + grace ${grace} s: moving anvil's clock to ${at(target)}`);
    await provider.send("evm_increaseTime", [Number(ahead > 0n ? ahead : 0n)]);
    await provider.send("evm_mine", []);
    provider.destroy();
  });
  await step("declare the default on Ethereum (anyone may)", () =>
    loanbridge(["default", ...network, ...keys, "--on", "evm", "--loan", secondLoan]),
  );
  await step("DEFAULTED relayed: SOL collateral seized to the pool's beneficiary", () =>
    until("the seizure on Solana", async () => {
      const status = await loanbridge(["status", secondLoan, ...network]);
      return status.vaultState === "seized" ? status : undefined;
    }),
  );

  heading(`both journeys done in ${seconds(started)}`);
  for (const relayer of net.relayers) {
    console.log(
      `  relayer-${relayer.index}: explorer ${relayer.apiUrl}/  API ${relayer.apiUrl}/v1/loans  metrics ${relayer.apiUrl}/metrics  (log ${relayer.logFile})`,
    );
  }
  if (process.env.LOANBRIDGE_DEMO_EXIT === "1") {
    await shutdown();
  } else {
    console.log("\nrelayers, APIs and /metrics keep running; Ctrl-C stops everything.");
    await new Promise(() => undefined);
  }
} catch (error) {
  console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
  console.error(`relayer logs: ${net.relayers.map((relayer) => relayer.logFile).join(", ")}`);
  await shutdown();
  process.exit(1);
}
