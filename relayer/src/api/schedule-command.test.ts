// `loanbridge schedule <loanId>` as an operator runs it (in this process,
// through cli-testing.ts): from the store, as text and --json; a loan whose
// schedule is not read yet; bad input.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Hex } from "@loanbridge/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../cli-testing.ts";
import { Store } from "../store/store.ts";

const CHAINS = {
  evm: {
    eid: 40161,
    rpcUrls: ["http://127.0.0.1:8545"],
    insecureSingleRpc: true,
    endpoint: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    signerKey: { env: "LOANBRIDGE_TEST_UNUSED_KEY" },
    assets: [
      {
        asset: "0x00000000000000000000000000000000000000aa",
        symbol: "dUSD",
        decimals: 6,
        principal: true,
      },
    ],
  },
};

// Each case creates an embedded store (initdb in a process of its own): seconds on a loaded machine.
const SLOW = { timeout: 120_000 };
const day = (n: number): Date => new Date(Date.UTC(2026, 0, 1) + n * 86_400_000);

let dir: string;
let config: string;
let scheduled: Hex;
let unscheduled: Hex;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "loanbridge-schedule-"));
  config = join(dir, "relayer.json");
  await writeFile(
    config,
    JSON.stringify({
      relayerId: "schedule-test",
      store: { kind: "pglite", dataDir: "store" },
      api: { host: "127.0.0.1", port: 8080 },
      chains: CHAINS,
    }),
  );
  const store = await Store.open({ kind: "pglite", dataDir: join(dir, "store") });
  try {
    [scheduled, unscheduled] = [0, 1].map((): Hex => `0x${randomBytes(32).toString("hex")}`) as [
      Hex,
      Hex,
    ];
    for (const loanId of [scheduled, unscheduled]) {
      const ids = { loanId, collateralEid: 40168, lendingEid: 40161 };
      await store.upsertLoan({ ...ids, side: "pool", state: "Active", principal: 3_000_000_000n });
    }
    await store.recordLoanSchedule(scheduled, {
      installments: 3,
      periodSeconds: 86_400n,
      installmentAmount: 1_000_219_000n,
      startAt: day(0),
      dues: [day(1), day(2), day(3)].map((dueAt) => ({ dueAt, amountDue: 1_000_219_000n })),
    });
    await store.recordInstallmentPayments(scheduled, [
      { index: 1, amount: 1_000_219_000n, paidAt: day(1), remainingPrincipal: 2_000_438_000n },
      { index: 2, amount: 1_000_219_000n, paidAt: day(2.5), remainingPrincipal: 1_000_000_000n },
    ]);
  } finally {
    await store.close();
  }
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("loanbridge schedule", () => {
  it("fromTheStore_printsEachInstallment_asTextOrJson", SLOW, async () => {
    const text = await runCli(["schedule", scheduled, "-c", config]);
    const json = await runCli(["schedule", scheduled, "--json", "-c", config]);

    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout.split("\n")).toEqual([
      `loan ${scheduled}: 3 installments of 1000.219 dUSD every 1 d from 2026-01-01T00:00:00Z`,
      "  2 of 3 paid; next: #3 due 2026-01-04T00:00:00Z (overdue)",
      "  #1  due 2026-01-02T00:00:00Z  1000.219 dUSD  paid  paid 1000.219 dUSD at 2026-01-02T00:00:00Z, principal left 2000.438 dUSD",
      "  #2  due 2026-01-03T00:00:00Z  1000.219 dUSD  paid_late  paid 1000.219 dUSD at 2026-01-03T12:00:00Z, principal left 1000 dUSD",
      "  #3  due 2026-01-04T00:00:00Z  1000.219 dUSD  overdue",
      "",
    ]);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      loanId: scheduled,
      installments: 3,
      periodSeconds: "86400",
      items: [{ state: "paid" }, { state: "paid_late" }, { state: "overdue", paid: null }],
    });
  });

  it("badInput_exits2_unknownLoanOrNoScheduleExits1", SLOW, async () => {
    const [notAnId, noId, unknown, notRead] = [
      await runCli(["schedule", "0x1234", "-c", config]),
      await runCli(["schedule", "-c", config]),
      await runCli(["schedule", `0x${"ab".repeat(32)}`, "-c", config]),
      await runCli(["schedule", unscheduled, "-c", config]),
    ];

    expect(notAnId.code).toBe(2);
    expect(notAnId.stderr).toContain("loan id");
    expect(noId.code).toBe(2);
    expect(noId.stderr).toContain("missing required argument 'loanId'");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("not read from its lending pool yet");
    expect(notRead.code).toBe(1);
    expect(notRead.stderr).toContain(`no schedule for loan ${unscheduled}`);
  });
});
