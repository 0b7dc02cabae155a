// The borrower and lender commands refuse bad input with exit code 2 and a
// message naming what is wrong, before any chain is asked (the network file
// points at ports nothing listens on); a chain that refuses or never
// answers fails the command within its deadline, naming the chain and URL.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli as run } from "../cli-testing.ts";

const LOAN = `0x${"ab".repeat(32)}`;
const NETWORK = {
  evm: {
    eid: 40161,
    rpcUrl: "http://127.0.0.1:9",
    vault: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    pool: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    stablecoin: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    priceFeed: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  },
  solana: {
    eid: 40168,
    rpcUrl: "http://127.0.0.1:9",
    programId: "HWduTQQPx63ZCg1whS7eNbGXCqCu1ws5aRnF1ydMRfFz",
    stablecoin: "So11111111111111111111111111111111111111112",
  },
};

let dir: string;
let network: string;
let badNetwork: string;
let badProgram: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "loanbridge-user-"));
  network = join(dir, "network.json");
  badNetwork = join(dir, "bad.json");
  await writeFile(network, JSON.stringify(NETWORK));
  await writeFile(
    badNetwork,
    JSON.stringify({ ...NETWORK, evm: { ...NETWORK.evm, rpcUrl: "ftp://x" } }),
  );
  badProgram = join(dir, "bad-program.json");
  // Base58 of the right length that decodes to 33 bytes: not an address.
  await writeFile(
    badProgram,
    JSON.stringify({
      ...NETWORK,
      solana: { ...NETWORK.solana, programId: "Lbridge1111111111111111111111111111111111111" },
    }),
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// Tables are built before beforeAll: files are named by placeholders.
const borrow = (...extra: string[]) => [
  "borrow",
  "--network",
  "NET",
  "--from",
  "solana",
  "--collateral",
  "1",
  "--principal",
  "100",
  "--recipient",
  "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
  ...extra,
];

describe("user commands, bad input", () => {
  it.each<[string, string[], RegExp]>([
    [
      "no network file",
      ["borrow", "--from", "evm", "--collateral", "1", "--principal", "1", "--recipient", "x"],
      /missing --network/,
    ],
    [
      "an unreadable network file",
      ["status", LOAN, "--network", "/nonexistent.json"],
      /cannot read network file/,
    ],
    ["an invalid network file", ["status", LOAN, "--network", "BAD"], /evm\.rpcUrl/],
    [
      "a Solana address of 33 bytes in the network file",
      ["status", LOAN, "--network", "BADPROGRAM"],
      /solana\.programId: expected a Solana address/,
    ],
    ["an unknown chain", [...borrow(), "--from", "bitcoin"], /bitcoin/],
    [
      "a non-numeric amount",
      [...borrow(), "--collateral", "ten"],
      /--collateral: expected a positive decimal amount/,
    ],
    [
      "too many decimals",
      [...borrow(), "--collateral", "1.0000000001"],
      /--collateral: at most 9 decimals/,
    ],
    ["a zero amount", [...borrow(), "--collateral", "0"], /--collateral: must be more than 0/],
    [
      "a recipient of the wrong chain",
      [...borrow(), "--recipient", "So11111111111111111111111111111111111111112"],
      /expected an EVM address/,
    ],
    ["a bad term", borrow("--term-days", "0"), /--term-days/],
    [
      "no installments",
      borrow("--installments", "0"),
      /--installments: expected a whole number from 1 to 360/,
    ],
    ["too many installments", borrow("--installments", "361"), /from 1 to 360/],
    [
      "a term that does not split into equal periods",
      borrow("--term-days", "1", "--installments", "7"),
      /a 1-day term does not split into 7 equal periods/,
    ],
    ["no key", borrow(), /needs --solana-keypair-env or --solana-keypair-file/],
    [
      "two key sources",
      borrow("--solana-keypair-env", "A", "--solana-keypair-file", "b"),
      /give one of/,
    ],
    [
      "a key variable that is not set",
      borrow("--solana-keypair-env", "LB_TEST_UNSET_KEYPAIR"),
      /LB_TEST_UNSET_KEYPAIR/,
    ],
    [
      "a bad loan id",
      ["repay", "--network", "NET", "--on", "evm", "--loan", "0x12"],
      /expected a loan id/,
    ],
    ["a bad loan id to status", ["status", "0xnothex", "--network", "NET"], /expected a loan id/],
    ["deposit without an amount", ["deposit", "--network", "NET", "--on", "evm"], /--amount/],
    [
      "a bad loan id to cancel",
      ["cancel", "0x12", "--network", "NET", "--from", "evm"],
      /expected a loan id/,
    ],
    [
      "cancel without a loan id",
      ["cancel", "--network", "NET", "--from", "evm"],
      /missing required argument 'loanId'/,
    ],
    ["cancel without the collateral chain", ["cancel", LOAN, "--network", "NET"], /--from <chain>/],
    [
      "cancel from an unknown chain",
      ["cancel", LOAN, "--network", "NET", "--from", "tron"],
      /tron/,
    ],
    ["cancel without a network file", ["cancel", LOAN, "--from", "evm"], /missing --network/],
    [
      "an RPC timeout of 0",
      ["repay", "--network", "NET", "--on", "evm", "--loan", LOAN, "--rpc-timeout", "0"],
      /--rpc-timeout: expected a number of seconds above 0, got "0"/,
    ],
    [
      "an RPC timeout that is not a number",
      ["deposit", "--network", "NET", "--on", "solana", "--amount", "1", "--rpc-timeout", "soon"],
      /--rpc-timeout: expected a number of seconds above 0, got "soon"/,
    ],
    [
      "a --wait timeout that is not a number",
      borrow("--wait", "--timeout", "forever"),
      /--timeout: expected a number of seconds above 0, got "forever"/,
    ],
    [
      "cancel of an EVM loan without the Solana keypair that pays on the lending chain",
      ["cancel", LOAN, "--network", "NET", "--from", "evm", "--evm-key-env", "X"],
      /needs --solana-keypair-env or --solana-keypair-file/,
    ],
    [
      "cancel of a Solana loan without the EVM key that pays on the lending chain",
      ["cancel", LOAN, "--network", "NET", "--from", "solana", "--solana-keypair-env", "X"],
      /needs --evm-key-env or --evm-key-file/,
    ],
  ])("%s_exits2", async (_name, args, message) => {
    const files: Record<string, string> = {
      NET: network,
      BAD: badNetwork,
      BADPROGRAM: badProgram,
    };
    const resolved = args.map((arg) => files[arg] ?? arg);

    const { code, stderr } = await run(resolved);

    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });

  it("help_documentsEveryUserCommand", async () => {
    const { code, stdout } = await run(["--help"]);
    expect(code).toBe(0);
    for (const command of [
      "borrow",
      "repay",
      "deposit",
      "withdraw",
      "default",
      "liquidate",
      "cancel",
      "status",
    ]) {
      expect(stdout).toContain(command);
    }
  });
});

/** A loopback port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

describe("status <loanId>, an RPC that refuses or never answers", () => {
  let silent: Server;
  const sockets: Socket[] = [];
  let silentUrl: string;
  let refusedUrl: string;

  beforeAll(async () => {
    // Accepts connections and never answers: what a hung node looks like.
    silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((done) => silent.listen(0, "127.0.0.1", done));
    silentUrl = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
    refusedUrl = `http://127.0.0.1:${await closedPort()}`;
    process.env.LOANBRIDGE_RPC_TIMEOUT_SECONDS = "1";
  });

  afterAll(async () => {
    delete process.env.LOANBRIDGE_RPC_TIMEOUT_SECONDS;
    for (const socket of sockets) socket.destroy();
    await new Promise((done) => silent.close(done));
  });

  async function status(evmUrl: string, solanaUrl: string) {
    const file = join(dir, `rpc-${Math.random().toString(36).slice(2)}.json`);
    await writeFile(
      file,
      JSON.stringify({
        evm: { ...NETWORK.evm, rpcUrl: evmUrl },
        solana: { ...NETWORK.solana, rpcUrl: solanaUrl },
      }),
    );
    const started = Date.now();
    const result = await run(["status", LOAN, "--network", file]);
    return { ...result, seconds: (Date.now() - started) / 1000 };
  }

  it("evmRefuses_exits1AtOnce_namingEvmAndItsUrl", async () => {
    const { code, stderr, seconds } = await status(refusedUrl, silentUrl);

    expect(code).toBe(1);
    expect(stderr).toBe(
      `error: cannot reach the evm RPC ${refusedUrl}: connection refused (is the node up, and evm.rpcUrl in the network file right?)\n`,
    );
    expect(seconds).toBeLessThan(1);
  });

  it("solanaRefuses_exits1AtOnce_namingSolanaAndItsUrl", async () => {
    const { code, stderr, seconds } = await status(silentUrl, refusedUrl);

    expect(code).toBe(1);
    expect(stderr).toMatch(`cannot reach the solana RPC ${refusedUrl}: connection refused`);
    expect(seconds).toBeLessThan(1);
  });

  it("neitherAnswers_exits1AfterTheTimeout_namingTheChainAndUrl", async () => {
    const { code, stderr, seconds } = await status(silentUrl, silentUrl);

    expect(code).toBe(1);
    expect(stderr).toMatch(
      new RegExp(`^error: the (evm|solana) RPC ${silentUrl} did not answer within 1 s`),
    );
    expect(seconds).toBeGreaterThanOrEqual(0.9);
    expect(seconds).toBeLessThan(3);
  });

  it("theUrlsCredentialsAndQuery_neverReachTheMessage", async () => {
    const secretUrl = refusedUrl.replace("//", "//alice:s3cret@") + "/?apiKey=k3y";

    const { code, stderr } = await status(secretUrl, silentUrl);

    expect(code).toBe(1);
    expect(stderr).toMatch(/cannot reach the evm RPC http:\/\/\*\*\*@127\.0\.0\.1:\d+:/);
    expect(stderr).not.toMatch(/alice|s3cret|k3y/);
  });

  it("aBadTimeoutInTheEnvironment_exits2", async () => {
    process.env.LOANBRIDGE_RPC_TIMEOUT_SECONDS = "-5";
    try {
      const { code, stderr } = await status(silentUrl, silentUrl);

      expect(code).toBe(2);
      expect(stderr).toMatch(/LOANBRIDGE_RPC_TIMEOUT_SECONDS: expected a number of seconds/);
    } finally {
      process.env.LOANBRIDGE_RPC_TIMEOUT_SECONDS = "1";
    }
  });
});
