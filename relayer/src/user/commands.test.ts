// The borrower and lender commands refuse bad input with exit code 2 and a
// message naming what is wrong, before any chain is asked (the network file
// points at ports nothing listens on).
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../cli.ts";

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
    programId: "Lbridge1111111111111111111111111111111111111",
    stablecoin: "So11111111111111111111111111111111111111112",
  },
};

let dir: string;
let network: string;
let badNetwork: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "loanbridge-user-"));
  network = join(dir, "network.json");
  badNetwork = join(dir, "bad.json");
  await writeFile(network, JSON.stringify(NETWORK));
  await writeFile(
    badNetwork,
    JSON.stringify({ ...NETWORK, evm: { ...NETWORK.evm, rpcUrl: "ftp://x" } }),
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = "";
  const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    return { code: await main(args), stderr };
  } finally {
    spy.mockRestore();
  }
}

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
    const files: Record<string, string> = { NET: network, BAD: badNetwork };
    const resolved = args.map((arg) => files[arg] ?? arg);

    const { code, stderr } = await run(resolved);

    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });

  it("help_documentsEveryUserCommand", async () => {
    let stdout = "";
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      stdout += String(chunk);
      return true;
    });
    try {
      expect(await main(["--help"])).toBe(0);
    } finally {
      spy.mockRestore();
    }
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
