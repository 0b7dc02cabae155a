// The borrower commands against real chains (anvil and the SBF program on
// the local Solana node, one relayer delivering): `borrow --wait` says
// which stage the loan is in and prints the loan as `status` does, in the
// API's shapes; an unknown loan is "not found" (exit 1); a transaction the
// chain refuses comes back decoded (IDL on Solana, ABIs on EVM) with what
// to do; a network file pointing at no contract says so; one chain's RPC
// that never answers fails `status` within the deadline, naming that chain.
import { readFile, writeFile } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import type { Hex } from "@loanbridge/shared";
import { airdrop, mintToOwner, rpcSender } from "@loanbridge/solana-program";
import { createKeyPairSignerFromBytes, type KeyPairSigner } from "@solana/kit";
import { Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Localnet, solanaKeypair, startLocalnet } from "../../../test/localnet/index.ts";
import { devKey, providerFor } from "../chains/evm/testing.ts";
import { runCli as cli } from "../cli-testing.ts";

const EVM_KEY_ENV = "LB_TEST_USER_EVM_KEY";
const SOLANA_KEYPAIR_ENV = "LB_TEST_USER_SOLANA_KEYPAIR";
const USDC = 10n ** 6n;

let net: Localnet;
/** The localnet's network file with the Solana stablecoin's symbol added. */
let network: string;
let borrower: Wallet;
let solanaUser: KeyPairSigner;

const keys = ["--evm-key-env", EVM_KEY_ENV, "--solana-keypair-env", SOLANA_KEYPAIR_ENV];

beforeAll(async () => {
  net = await startLocalnet({ relayers: 1, threshold: 1 });
  const file = JSON.parse(await readFile(net.networkFile, "utf8")) as {
    solana: Record<string, unknown>;
  };
  network = join(net.workDir, "network-usdc.json");
  await writeFile(
    network,
    JSON.stringify({ ...file, solana: { ...file.solana, stablecoinSymbol: "USDC" } }),
  );
  borrower = new Wallet(devKey(3));
  const keypair = solanaKeypair();
  solanaUser = await createKeyPairSignerFromBytes(keypair);
  process.env[EVM_KEY_ENV] = borrower.privateKey;
  process.env[SOLANA_KEYPAIR_ENV] = JSON.stringify([...keypair]);
  await airdrop(net.solana.rpc, solanaUser.address, 10n);
});

afterAll(async () => {
  Reflect.deleteProperty(process.env, EVM_KEY_ENV);
  Reflect.deleteProperty(process.env, SOLANA_KEYPAIR_ENV);
  await net.stop();
});

describe("status of a loan no chain knows", () => {
  it("status_unknownLoan_exits1NotFoundOnEither", async () => {
    const loanId = `0x${"7e".repeat(32)}`;

    const { code, stdout, stderr } = await cli(["status", loanId, "--network", network]);

    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toBe(`error: loan ${loanId} not found on evm or solana\n`);
  });

  it("repayOnEvm_unknownLoanWithoutAmount_exits1NotFound", async () => {
    const loanId = `0x${"7f".repeat(32)}`;

    const { code, stderr } = await cli([
      "repay",
      "--network",
      network,
      ...keys,
      "--on",
      "evm",
      "--loan",
      loanId,
    ]);

    expect(code).toBe(1);
    expect(stderr).toMatch(`error: loan ${loanId} not found in the pool on evm`);
  });
});

describe("a loan from Ethereum to Solana, through the commands", () => {
  let loanId: Hex;

  it("borrowWait_saysEachStage_andPrintsTheLoanAsStatusDoes", async () => {
    const { code, stdout, stderr } = await cli([
      "borrow",
      "--network",
      network,
      ...keys,
      "--from",
      "evm",
      "--collateral",
      "10",
      "--principal",
      "12000",
      "--recipient",
      solanaUser.address,
      "--wait",
    ]);

    expect(code, stderr).toBe(0);
    const printed = JSON.parse(stdout) as Record<string, unknown>;
    loanId = printed.loanId as Hex;
    expect(stderr).toMatch(/created the recipient's stablecoin account/);
    expect(stderr).toMatch(`opened loan ${loanId} on evm (tx 0x`);
    // Sent with a quarter more gas than its estimate (user/evm.ts: the cost
    // moves with the block's time), and the value went with it.
    const openTx = /opened loan \S+ on evm \(tx (0x[0-9a-f]{64})/.exec(stderr)?.[1] ?? "";
    const provider = providerFor(net.evm.url);
    const [tx, receipt] = await Promise.all([
      provider.getTransaction(openTx),
      provider.getTransactionReceipt(openTx),
    ]);
    expect(receipt?.status).toBe(1);
    expect(tx?.value).toBe(10n * 10n ** 18n);
    expect(Number(tx?.gasLimit)).toBeGreaterThan(Number(receipt?.gasUsed) * 1.15);
    expect(stderr).toMatch(/10 ETH locked, asking for 12000 USDC on solana/);
    // The relayer waits for Ethereum finality (a few blocks) before delivering.
    expect(stderr).toMatch(
      /waiting \(\d+ s\): collateral locked on evm \(requested\); the lending pool on solana has not answered yet/,
    );
    expect(printed).toMatchObject({
      loanId,
      from: "evm",
      borrower: borrower.address,
      recipient: solanaUser.address,
      collateralChain: { name: "evm", eid: 40161 },
      lendingChain: { name: "solana", eid: 40168 },
      vaultState: "active",
      poolState: "active",
      agrees: true,
      collateral: {
        units: (10n * 10n ** 18n).toString(),
        decimals: 18,
        symbol: "ETH",
        formatted: "10",
      },
      principal: { units: "12000000000", decimals: 6, symbol: "USDC", formatted: "12000" },
      vault: { chain: "evm", state: "active" },
      pool: { chain: "solana", state: "active", repaid: { formatted: "0" } },
    });
    expect(printed.rateBps).toBeTypeOf("number");
    expect(printed.dueAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
  });

  it("status_activeLoan_theSameFieldsAndShapes", async () => {
    const { code, stdout } = await cli(["status", loanId, "--network", network]);

    expect(code).toBe(0);
    const status = JSON.parse(stdout) as Record<string, unknown>;
    expect(Object.keys(status)).toEqual([
      "loanId",
      "borrower",
      "recipient",
      "collateralChain",
      "lendingChain",
      "vaultState",
      "poolState",
      "agrees",
      "collateral",
      "principal",
      "rateBps",
      "dueAt",
      "vault",
      "pool",
    ]);
    expect(status).toMatchObject({ loanId, vaultState: "active", poolState: "active" });
  });

  it("repayOnEvm_aLoanThePoolThereDoesNotHave_revertDecodedWithWhatToDo", async () => {
    const { code, stderr } = await cli([
      "repay",
      "--network",
      network,
      ...keys,
      "--on",
      "evm",
      "--loan",
      loanId,
      "--amount",
      "1",
    ]);

    expect(code).toBe(1);
    expect(stderr).toBe(
      `error: repay on evm failed: PoolLoanNotActive(loanId=${loanId}, status=0)\n` +
        `what to do: the loan is not active on the pool (not opened there yet, or already repaid, defaulted, liquidated or rejected): check \`loanbridge status ${loanId}\`\n`,
    );
  });

  it("repayOnSolana_twice_theSecondIsPoolLoanNotActiveFromTheIdl", async () => {
    // Interest accrues from the first second: a little more than the principal to repay with.
    await mintToOwner(
      rpcSender(net.solana.rpc, { feePayer: net.solana.admin }),
      net.solana.admin,
      net.solana.deployment.stablecoin,
      solanaUser.address,
      200n * USDC,
    );
    const repay = (...extra: string[]) =>
      cli(["repay", "--network", network, ...keys, "--on", "solana", "--loan", loanId, ...extra]);

    const full = await repay();
    expect(full.code, full.stderr).toBe(0);
    expect(JSON.parse(full.stdout)).toMatchObject({ amount: { decimals: 6, symbol: "USDC" } });

    const again = await repay("--amount", "1");

    expect(again.code).toBe(1);
    expect(again.stderr).toBe(
      "error: repay on solana failed: PoolLoanNotActive: Repaying, defaulting or liquidating a loan that is not active. (program error 201 = 0xc9)\n" +
        `what to do: the loan is not active on the pool (not opened there yet, or already repaid, defaulted, liquidated or rejected): check \`loanbridge status ${loanId}\`\n`,
    );

    const withoutAmount = await repay();
    expect(withoutAmount.code).toBe(1);
    expect(withoutAmount.stderr).toBe(
      `error: loan ${loanId} is repaid in the pool on solana: nothing to repay\n`,
    );
  });

  it("aNetworkFileWithNoPoolContract_saysWhichAddressHasNoContract", async () => {
    const file = JSON.parse(await readFile(network, "utf8")) as { evm: Record<string, unknown> };
    const nowhere = "0x000000000000000000000000000000000000dEaD";
    const wrong = join(net.workDir, "network-no-pool.json");
    await writeFile(wrong, JSON.stringify({ ...file, evm: { ...file.evm, pool: nowhere } }));

    const { code, stderr } = await cli(["status", loanId, "--network", wrong]);

    expect(code).toBe(1);
    expect(stderr).toBe(
      `error: read the pool's loan on evm failed: no contract at ${nowhere} (evm.pool) on evm ${net.evm.url} (is the network file right?)\n`,
    );
  });
});

describe("one chain's RPC never answers, the other is a real node", () => {
  let silent: Server;
  const sockets: Socket[] = [];
  let silentUrl: string;

  beforeAll(async () => {
    silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((done) => silent.listen(0, "127.0.0.1", done));
    silentUrl = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
    process.env.LOANBRIDGE_RPC_TIMEOUT_SECONDS = "1";
  });

  afterAll(async () => {
    delete process.env.LOANBRIDGE_RPC_TIMEOUT_SECONDS;
    for (const socket of sockets) socket.destroy();
    await new Promise((done) => silent.close(done));
  });

  it.each(["evm", "solana"] as const)(
    "%s_hangs_statusFailsWithinTheTimeout_namingThatChain",
    async (chain) => {
      const file = JSON.parse(await readFile(network, "utf8")) as Record<
        string,
        Record<string, unknown>
      >;
      const hung = join(net.workDir, `network-${chain}-hung.json`);
      await writeFile(
        hung,
        JSON.stringify({ ...file, [chain]: { ...file[chain], rpcUrl: silentUrl } }),
      );
      const started = Date.now();

      const { code, stderr } = await cli(["status", `0x${"5a".repeat(32)}`, "--network", hung]);

      expect(code).toBe(1);
      expect(stderr).toBe(
        `error: the ${chain} RPC ${silentUrl} did not answer within 1 s (--rpc-timeout or LOANBRIDGE_RPC_TIMEOUT_SECONDS waits longer)\n`,
      );
      expect(Date.now() - started).toBeLessThan(3_000);
    },
  );
});
