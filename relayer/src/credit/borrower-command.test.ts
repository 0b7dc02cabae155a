// `loanbridge borrower <address>` as an operator runs it (in this process,
// through cli-testing.ts): from the store, and through the running relayer's
// API while it holds the store; text and --json; bad input.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import type { Hex } from "@loanbridge/shared";
import { encodeBase58, Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChainDirectory } from "../api/chains.ts";
import { bytes32FromNative } from "../api/format.ts";
import { createApiServer } from "../api/server.ts";
import { runCli } from "../cli-testing.ts";
import { createMetrics } from "../observability/metrics.ts";
import { Store } from "../store/store.ts";
import { seedTestDataDir } from "../store/testing.ts";

const CHAINS = {
  evm: {
    eid: 40161,
    rpcUrls: ["http://127.0.0.1:8545"],
    insecureSingleRpc: true,
    endpoint: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    signerKey: { env: "LOANBRIDGE_TEST_UNUSED_KEY" },
  },
  solana: {
    eid: 40168,
    rpcUrls: ["http://127.0.0.1:8899"],
    insecureSingleRpc: true,
    programId: "HWduTQQPx63ZCg1whS7eNbGXCqCu1ws5aRnF1ydMRfFz",
    keypair: { env: "LOANBRIDGE_TEST_UNUSED_KEYPAIR" },
  },
};

// Each case opens an embedded store on a data dir (seeded from a migrated
// image, seedTestDataDir, not made by initdb): seconds on a loaded machine.
const SLOW = { timeout: 120_000 };

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "loanbridge-borrower-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A config on its own store folder, its API on `port`. */
async function configFor(name: string, port = 8080): Promise<string> {
  const path = join(dir, `${name}.json`);
  await writeFile(
    path,
    JSON.stringify({
      relayerId: "borrower-test",
      store: { kind: "pglite", dataDir: name },
      api: { host: "127.0.0.1", port },
      chains: CHAINS,
    }),
  );
  return path;
}

/** A repaid loan and a defaulted one of `borrower`, paid out to `recipient`. */
async function history(store: Store, borrower: string, recipient: string): Promise<void> {
  for (const end of ["Repaid", "Defaulted"] as const) {
    const loanId: Hex = `0x${randomBytes(32).toString("hex")}`;
    const ids = { loanId, collateralEid: 40161, lendingEid: 40168 };
    await store.upsertLoan({
      ...ids,
      side: "vault",
      state: "Requested",
      borrower: bytes32FromNative(borrower) ?? "",
      recipient: bytes32FromNative(recipient) ?? "",
      collateralAsset: `0x${"00".repeat(32)}`,
      collateralAmount: 10n ** 18n,
      principal: 2_000_000n,
    });
    await store.upsertLoan({ ...ids, side: "pool", state: "Active", principal: 2_000_000n });
    await store.upsertLoan({ ...ids, side: "pool", state: end });
  }
}

describe("loanbridge borrower", () => {
  it("fromTheStore_printsTheRecordAndScore_asTextOrJson", SLOW, async () => {
    const config = await configFor("store");
    const borrower = Wallet.createRandom().address;
    const recipient = encodeBase58(randomBytes(32));
    await seedTestDataDir(join(dir, "store"));
    const store = await Store.open({ kind: "pglite", dataDir: join(dir, "store") });
    await history(store, borrower, recipient);
    await store.close();

    const text = await runCli(["borrower", borrower, "-c", config]);
    const json = await runCli(["borrower", recipient, "--json", "-c", config]);

    expect(text.code, text.stderr).toBe(0);
    expect(text.stderr).toBe("");
    const lines = text.stdout.split("\n");
    expect(lines.slice(0, 7)).toEqual([
      `borrower ${borrower} on evm (40161): the borrower`,
      "  score     380 (points-1: 500 +30 repaidOnTime 1×+30, -150 defaulted 1×-150; from 0 to 1000)",
      "  loans     2 opened: 0 active, 1 repaid, 1 defaulted, 0 liquidated, 0 rejected, 0 pending",
      "  late      0 installments paid late, in 0 loans (0 repaid); 0 loans overdue now",
      "  volume    4000000 base units on solana (40168)",
      "  owed      none",
      `  paid to   ${recipient} on solana (40168)`,
    ]);
    expect(lines.filter((line) => line.startsWith("  loan 0x"))).toHaveLength(2);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      address: recipient,
      borrowers: [
        {
          match: "recipient",
          borrower: { address: borrower },
          score: { version: "points-1", value: 380 },
          record: { loans: { opened: 2, repaid: 1, defaulted: 1 } },
        },
      ],
    });
  });

  it("whileTheRelayerHoldsTheStore_readsThroughItsApi_theSameView", SLOW, async () => {
    await seedTestDataDir(join(dir, "held"));
    const store = await Store.open({ kind: "pglite", dataDir: join(dir, "held") });
    const api = createApiServer({
      config: { host: "127.0.0.1", port: 0, maxBodyBytes: 1_024 },
      store,
      registry: createMetrics({ defaultMetrics: false }).registry,
      chains: ChainDirectory.fromConfig(CHAINS),
    });
    const borrower = Wallet.createRandom().address;
    let throughApi: Awaited<ReturnType<typeof runCli>>;
    let missing: Awaited<ReturnType<typeof runCli>>;
    let config: string;
    try {
      await history(store, borrower, encodeBase58(randomBytes(32)));
      const { port } = await api.listen();
      config = await configFor("held", port);
      throughApi = await runCli(["borrower", borrower, "--json", "-c", config]);
      missing = await runCli(["borrower", Wallet.createRandom().address, "-c", config]);
    } finally {
      await api.close();
      await store.close();
    }
    const fromStore = await runCli(["borrower", borrower, "--json", "-c", config]);

    expect(throughApi.code, throughApi.stderr).toBe(0);
    expect(throughApi.stderr).toContain("going through the running relayer's API");
    expect(fromStore.code, fromStore.stderr).toBe(0);
    // Judged at another instant, the same record: nothing here depends on the time.
    expect(JSON.parse(throughApi.stdout)).toEqual(JSON.parse(fromStore.stdout));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/error: no loan of or to 0x[0-9a-fA-F]{40} is recorded\n$/);
  });

  it("help_namesTheAddressConfigAndJson", async () => {
    const help = await runCli(["borrower", "--help"]);
    const top = await runCli(["--help"]);

    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/<address>[\s\S]*-c, --config <file>[\s\S]*--json/);
    expect(top.stdout).toContain("borrower");
  });

  it("badInput_exits2WithAClearMessage_unknownBorrowerExits1", SLOW, async () => {
    const config = await configFor("empty");
    await seedTestDataDir(join(dir, "empty"));

    const [notAnAddress, noAddress, noConfig, unknown] = [
      await runCli(["borrower", "0x1234", "-c", config]),
      await runCli(["borrower", "-c", config]),
      await runCli(["borrower", Wallet.createRandom().address]),
      await runCli(["borrower", encodeBase58(randomBytes(32)), "-c", config]),
    ];

    expect(notAnAddress.code).toBe(2);
    expect(notAnAddress.stderr).toContain(
      "expected an EVM address (0x + 40 hex digits) or a Solana address",
    );
    expect(notAnAddress.stderr).toContain("run 'loanbridge borrower --help' for usage");
    expect(noAddress.code).toBe(2);
    expect(noAddress.stderr).toContain("missing required argument 'address'");
    expect(noConfig.code).toBe(2);
    expect(noConfig.stderr).toContain("missing --config");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("is recorded");
  });
});
