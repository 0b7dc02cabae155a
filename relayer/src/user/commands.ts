// The borrower's and lender's commands: borrow, repay, deposit, withdraw,
// default, liquidate, cancel and `status <loanId>`. Each reads a network file
// (`--network`), takes keys only as references (env var or file, as the
// relayer's), prints JSON on stdout and progress on stderr.
import type { Hex } from "@loanbridge/shared";
import {
  associatedTokenAccount,
  cancelExpiredLoan,
  clusterTime,
  declareLoanDefault,
  depositLiquidity,
  liquidateLoan,
  openNativeLoan,
  poolLoanOf,
  readAccount,
  repayLoan,
  rpcSender,
  solanaRpc,
  vaultLoanOf,
  withdrawLiquidity,
} from "@loanbridge/solana-program";
import { getCreateAssociatedTokenIdempotentInstructionAsync } from "@solana-program/token";
import { address, createKeyPairSignerFromBytes, getAddressEncoder } from "@solana/kit";
import { type Command, InvalidArgumentError, Option } from "commander";
import { getAddress, parseUnits, zeroPadValue } from "ethers";
import { loadEvmPrivateKey, loadSolanaKeypair } from "../config/secret.ts";
import { secretRefFromFlags, UsageError } from "../usage.ts";
import { evmSide, POOL_STATUS_NAMES, VAULT_STATE_NAMES } from "./evm.ts";
import { loadNetwork, type Network } from "./network.ts";

type Chain = "evm" | "solana";
const CHAINS: readonly Chain[] = ["evm", "solana"];
const NATIVE_DECIMALS: Record<Chain, number> = { evm: 18, solana: 9 };
/** An SPL mint's `decimals` byte (the mint layout: authority option, supply, then decimals). */
const MINT_DECIMALS_OFFSET = 44;

/** The Solana pool's stablecoin decimals, read from its mint. */
async function solanaStablecoinDecimals(network: Network): Promise<number> {
  const mint = await readAccount(
    solanaRpc(network.solana.rpcUrl),
    address(network.solana.stablecoin),
  );
  const decimals = mint?.[MINT_DECIMALS_OFFSET];
  if (decimals === undefined) {
    throw new UsageError(`no stablecoin mint ${network.solana.stablecoin} on Solana`);
  }
  return decimals;
}

interface KeyOptions {
  network?: string;
  evmKeyEnv?: string;
  evmKeyFile?: string;
  solanaKeypairEnv?: string;
  solanaKeypairFile?: string;
}

/** A decimal amount ("1.5") as base units; a clear error for anything else. */
function amountIn(value: string, decimals: number, flag: string): bigint {
  if (!/^\d+(\.\d+)?$/.test(value)) {
    throw new UsageError(`${flag}: expected a positive decimal amount, got "${value}"`);
  }
  let units: bigint;
  try {
    units = parseUnits(value, decimals);
  } catch {
    throw new UsageError(`${flag}: at most ${decimals} decimals`);
  }
  if (units <= 0n) throw new UsageError(`${flag}: must be more than 0`);
  return units;
}

function loanIdArg(value: string): Hex {
  if (!/^0x[0-9a-fA-F]{64}$/.test(value)) {
    throw new InvalidArgumentError("expected a loan id: 0x followed by 64 hex digits");
  }
  return value.toLowerCase() as Hex;
}

async function networkOf(file: string | undefined): Promise<Network> {
  if (file === undefined) throw new UsageError("missing --network <file>");
  return loadNetwork(file);
}

async function evmWith(network: Network, options: KeyOptions) {
  const key = secretRefFromFlags(options.evmKeyEnv, options.evmKeyFile, "evm-key");
  if (key === undefined) throw new UsageError("this command needs --evm-key-env or --evm-key-file");
  const secret = await loadEvmPrivateKey(key, { env: process.env, field: "evm key" });
  return evmSide(network.evm, secret.reveal());
}

async function solanaWith(network: Network, options: KeyOptions) {
  const key = secretRefFromFlags(
    options.solanaKeypairEnv,
    options.solanaKeypairFile,
    "solana-keypair",
  );
  if (key === undefined) {
    throw new UsageError("this command needs --solana-keypair-env or --solana-keypair-file");
  }
  const secret = await loadSolanaKeypair(key, { env: process.env, field: "solana keypair" });
  const signer = await createKeyPairSignerFromBytes(secret.reveal());
  const rpc = solanaRpc(network.solana.rpcUrl);
  return {
    rpc,
    signer,
    program: address(network.solana.programId),
    send: rpcSender(rpc, { feePayer: signer }),
  };
}

/** The recipient on the other chain as bytes32 (an EVM address or a Solana address). */
function recipientBytes32(lendingChain: Chain, value: string): Hex {
  if (lendingChain === "evm") {
    let checked: string;
    try {
      checked = getAddress(value);
    } catch {
      throw new UsageError(`--recipient: expected an EVM address, got "${value}"`);
    }
    return zeroPadValue(checked, 32) as Hex;
  }
  try {
    return `0x${Buffer.from(getAddressEncoder().encode(address(value))).toString("hex")}`;
  } catch {
    throw new UsageError(`--recipient: expected a Solana address, got "${value}"`);
  }
}

const progress = (line: string) => process.stderr.write(`${line}\n`);

/**
 * The Solana pool pays the recipient's associated stablecoin account, which
 * must exist when OPEN_LOAN arrives: created here (paid by the Solana
 * keypair) when missing, or a clear error without a keypair.
 */
async function ensureStablecoinAccount(network: Network, options: KeyOptions, recipient: string) {
  const rpc = solanaRpc(network.solana.rpcUrl);
  const owner = address(recipient);
  const mint = address(network.solana.stablecoin);
  const account = await associatedTokenAccount(owner, mint);
  if ((await readAccount(rpc, account)) !== null) return;
  if (options.solanaKeypairEnv === undefined && options.solanaKeypairFile === undefined) {
    throw new UsageError(
      `the recipient ${recipient} has no stablecoin account on Solana (${account}); ` +
        "give --solana-keypair-env/--solana-keypair-file to create it",
    );
  }
  const solana = await solanaWith(network, options);
  await solana.send(
    await getCreateAssociatedTokenIdempotentInstructionAsync({ payer: solana.signer, owner, mint }),
  );
  progress(`created the recipient's stablecoin account ${account} on Solana`);
}

/** The loan on both chains (either side may not know it yet). */
export async function loanStatus(loanId: Hex, networkFile: string | undefined) {
  const network = await networkOf(networkFile);
  const evm = await evmSide(network.evm);
  const rpc = solanaRpc(network.solana.rpcUrl);
  const program = address(network.solana.programId);
  const [evmVault, evmPool, solanaVault, solanaPool] = await Promise.all([
    evm.vaultLoan(loanId),
    evm.poolLoan(loanId),
    vaultLoanOf(rpc, program, loanId),
    poolLoanOf(rpc, program, loanId),
  ]);
  return {
    loanId,
    evm: {
      vault: evmVault.stateName,
      pool: evmPool.statusName,
      ...(evmPool.statusName !== "None" && {
        principal: evmPool.principal,
        repaid: evmPool.repaid,
        dueTime: evmPool.dueTime,
      }),
    },
    solana: {
      vault: VAULT_STATE_NAMES[Number(solanaVault?.state ?? 0)] ?? "Unknown",
      pool: POOL_STATUS_NAMES[Number(solanaPool?.status ?? 0)] ?? "Unknown",
      ...(solanaPool !== null && {
        principal: solanaPool.principal as bigint,
        repaid: solanaPool.repaid as bigint,
        dueTime: solanaPool.due_time as bigint,
      }),
    },
  };
}

/** Polls until the collateral chain's vault leaves `Requested` (the lending chain answered). */
async function waitForAnswer(
  loanId: Hex,
  networkFile: string | undefined,
  from: Chain,
  timeoutMs: number,
) {
  const started = Date.now();
  let shown = 0;
  while (Date.now() - started < timeoutMs) {
    const status = await loanStatus(loanId, networkFile);
    const vault = status[from].vault;
    if (vault !== "Requested" && vault !== "None") {
      return { ...status, answeredAfterSeconds: (Date.now() - started) / 1000 };
    }
    if (Date.now() - shown >= 2_000) {
      progress(
        `waiting for the lending chain's answer (${Math.round((Date.now() - started) / 1000)} s)`,
      );
      shown = Date.now();
    }
    await new Promise((done) => setTimeout(done, 250));
  }
  throw new Error(`no answer for ${loanId} within ${timeoutMs / 1000} s`);
}

/**
 * Cancels on the lending chain a request the collateral chain `from` made
 * and nobody answered by its deadline: reads the vault's loan there
 * (borrower, vault nonce, expiresAt), checks it is still Requested and
 * expired by the lending chain's clock, and calls the pool's cancel, whose
 * LOAN_REJECTED(Expired) answer refunds the collateral once relayed.
 */
async function cancelLoan(loanId: Hex, options: KeyOptions & { from: Chain }) {
  const network = await networkOf(options.network);
  // Keys first: the lending chain's signer pays for the cancel.
  const lending =
    options.from === "evm"
      ? { chain: "solana" as const, solana: await solanaWith(network, options) }
      : { chain: "evm" as const, evm: await evmWith(network, options) };
  let request: { borrower: Hex; vaultNonce: bigint; expiresAt: bigint; state: string };
  if (options.from === "evm") {
    const evm = await evmSide(network.evm);
    const loan = await evm.vaultLoan(loanId);
    const found = await evm.vaultRequest(loanId);
    if (loan.stateName === "None" || found === undefined) {
      throw new UsageError(`no loan ${loanId} in the EVM vault`);
    }
    request = {
      borrower: zeroPadValue(found.borrower, 32) as Hex,
      vaultNonce: found.vaultNonce,
      expiresAt: found.expiresAt,
      state: loan.stateName,
    };
  } else {
    const rpc = solanaRpc(network.solana.rpcUrl);
    const loan = await vaultLoanOf(rpc, address(network.solana.programId), loanId);
    if (loan === null) throw new UsageError(`no loan ${loanId} in the Solana vault`);
    request = {
      borrower: `0x${Buffer.from(getAddressEncoder().encode(address(loan.borrower as string))).toString("hex")}`,
      vaultNonce: loan.vault_nonce as bigint,
      expiresAt: loan.expires_at as bigint,
      state: VAULT_STATE_NAMES[Number(loan.state)] ?? "Unknown",
    };
  }
  if (request.state !== "Requested") {
    throw new UsageError(
      `loan ${loanId} is ${request.state}: only a Requested loan can be cancelled`,
    );
  }
  const { borrower, vaultNonce, expiresAt } = request;
  const srcEid = network[options.from].eid;
  if (lending.chain === "evm") {
    const now = await lending.evm.chainTime();
    if (now <= expiresAt) {
      throw new UsageError(`loan ${loanId} expires at ${expiresAt}, the pool's clock is ${now}`);
    }
    const sent = await lending.evm.cancelExpired({ srcEid, borrower, vaultNonce, expiresAt });
    return { loanId, on: lending.chain, tx: sent.hash, block: sent.block };
  }
  const { solana } = lending;
  const now = await clusterTime(solana.rpc);
  if (now <= expiresAt) {
    throw new UsageError(`loan ${loanId} expires at ${expiresAt}, the pool's clock is ${now}`);
  }
  const sent = await cancelExpiredLoan(solana.rpc, solana.send, solana.program, {
    payer: solana.signer,
    srcEid,
    borrower,
    vaultNonce,
    expiresAt,
  });
  if (sent.loanId.toLowerCase() !== loanId) {
    throw new Error(`the vault's request computes to loan ${sent.loanId}, not ${loanId}`);
  }
  return { loanId, on: lending.chain, tx: sent.signature, slot: sent.slot };
}

function keyOptions(command: Command): Command {
  return command
    .option("-n, --network <file>", "network file (where each chain and its contracts are)")
    .option("--evm-key-env <var>", "EVM private key from this environment variable")
    .option("--evm-key-file <path>", "EVM private key from this file")
    .option(
      "--solana-keypair-env <var>",
      "Solana keypair (JSON bytes) from this environment variable",
    )
    .option("--solana-keypair-file <path>", "Solana keypair file (solana-keygen JSON)");
}

const chainOption = (flags: string, description: string) =>
  new Option(flags, description).choices(CHAINS).makeOptionMandatory();

export function addUserCommands(program: Command, print: (value: unknown) => void): void {
  keyOptions(
    program
      .command("borrow")
      .description(
        "Lock native collateral (ETH or SOL) on one chain and borrow the other chain's stablecoin.",
      )
      .addOption(chainOption("--from <chain>", "the collateral chain"))
      .requiredOption("--collateral <amount>", "collateral in whole coins, e.g. 10 or 2.5")
      .requiredOption("--principal <amount>", "stablecoin to borrow, in whole units, e.g. 1000")
      .requiredOption("--recipient <address>", "who receives the principal on the lending chain")
      .option("--term-days <days>", "loan term", "30")
      .option("--max-rate-bps <bps>", "highest annual rate accepted, basis points", "1000")
      .option("--wait", "wait for the lending chain's answer and print both sides")
      .option("--timeout <seconds>", "with --wait: give up after", "180"),
  ).action(
    async (
      options: KeyOptions & {
        from: Chain;
        collateral: string;
        principal: string;
        recipient: string;
        termDays: string;
        maxRateBps: string;
        wait?: boolean;
        timeout: string;
      },
    ) => {
      const network = await networkOf(options.network);
      const lending: Chain = options.from === "evm" ? "solana" : "evm";
      const termDays = Number(options.termDays);
      const maxRateBps = Number(options.maxRateBps);
      if (!Number.isInteger(termDays) || termDays < 1) {
        throw new UsageError("--term-days: expected a whole number of days");
      }
      if (!Number.isInteger(maxRateBps) || maxRateBps < 0 || maxRateBps > 0xffff_ffff) {
        throw new UsageError("--max-rate-bps: expected a whole number of basis points");
      }
      const collateral = amountIn(
        options.collateral,
        NATIVE_DECIMALS[options.from],
        "--collateral",
      );
      const recipient = recipientBytes32(lending, options.recipient);
      // Keys first: a missing key is a usage error before any chain is asked.
      const opener =
        options.from === "evm"
          ? { chain: "evm" as const, evm: await evmWith(network, options) }
          : { chain: "solana" as const, solana: await solanaWith(network, options) };
      const principalDecimals =
        lending === "evm"
          ? await (await evmSide(network.evm)).stablecoinDecimals()
          : await solanaStablecoinDecimals(network);
      const loan = {
        principal: amountIn(options.principal, principalDecimals, "--principal"),
        maxRateBps,
        termSeconds: BigInt(termDays) * 86_400n,
        recipient,
      };
      const started = Date.now();
      let opened: { loanId: Hex; tx: string };
      if (opener.chain === "evm") {
        await ensureStablecoinAccount(network, options, options.recipient);
        const sent = await opener.evm.openNativeLoan({ ...loan, wei: collateral });
        opened = { loanId: sent.loanId, tx: sent.hash };
      } else {
        const { solana } = opener;
        const sent = await openNativeLoan(solana.rpc, solana.send, solana.program, {
          ...loan,
          borrower: solana.signer,
          lamports: collateral,
        });
        opened = { loanId: sent.loanId, tx: sent.signature };
      }
      progress(`opened loan ${opened.loanId} on ${options.from} (tx ${opened.tx})`);
      if (options.wait !== true) {
        print({ ...opened, from: options.from });
        return;
      }
      const answered = await waitForAnswer(
        opened.loanId,
        options.network,
        options.from,
        Number(options.timeout) * 1_000,
      );
      print({ ...opened, from: options.from, ...answered, seconds: (Date.now() - started) / 1000 });
    },
  );

  keyOptions(
    program
      .command("repay")
      .description(
        "Repay a loan on its lending chain (in full by default: the collateral is released).",
      )
      .addOption(chainOption("--on <chain>", "the lending chain"))
      .requiredOption("--loan <loanId>", "the loan id", loanIdArg)
      .option("--amount <amount>", "stablecoin in whole units (default: the whole debt)"),
  ).action(async (options: KeyOptions & { on: Chain; loan: Hex; amount?: string }) => {
    const network = await networkOf(options.network);
    if (options.on === "evm") {
      const evm = await evmWith(network, options);
      const amount =
        options.amount === undefined
          ? await evm.debt(options.loan)
          : amountIn(options.amount, await evm.stablecoinDecimals(), "--amount");
      print({ ...(await evm.repay(options.loan, amount)), amount });
      return;
    }
    const solana = await solanaWith(network, options);
    const loan = await poolLoanOf(solana.rpc, solana.program, options.loan);
    if (loan === null) throw new UsageError(`no loan ${options.loan} in the Solana pool`);
    // The whole debt grows by the second: ask for more and the pool takes what is owed.
    const owed = (loan.principal as bigint) + (loan.interest as bigint) - (loan.repaid as bigint);
    const amount =
      options.amount === undefined
        ? owed + owed / 100n + 1n
        : amountIn(options.amount, await solanaStablecoinDecimals(network), "--amount");
    const sent = await repayLoan(solana.rpc, solana.send, solana.program, {
      payer: solana.signer,
      loanId: options.loan,
      amount,
    });
    print({ tx: sent.signature, slot: sent.slot, amount });
  });

  for (const [name, description] of [
    ["deposit", "Deposit stablecoin into a chain's lending pool for shares."],
    ["withdraw", "Withdraw stablecoin from a chain's lending pool."],
  ] as const) {
    keyOptions(
      program
        .command(name)
        .description(description)
        .addOption(chainOption("--on <chain>", "the pool's chain"))
        .requiredOption("--amount <amount>", "stablecoin in whole units"),
    ).action(async (options: KeyOptions & { on: Chain; amount: string }) => {
      const network = await networkOf(options.network);
      if (options.on === "evm") {
        const evm = await evmWith(network, options);
        const amount = amountIn(options.amount, await evm.stablecoinDecimals(), "--amount");
        print(await (name === "deposit" ? evm.deposit(amount) : evm.withdraw(amount)));
        return;
      }
      const solana = await solanaWith(network, options);
      const amount = amountIn(options.amount, await solanaStablecoinDecimals(network), "--amount");
      const input = { lender: solana.signer, amount };
      const sent =
        name === "deposit"
          ? await depositLiquidity(solana.rpc, solana.send, solana.program, input)
          : await withdrawLiquidity(solana.rpc, solana.send, solana.program, input);
      print({ tx: sent.signature, slot: sent.slot });
    });
  }

  keyOptions(
    program
      .command("cancel")
      .description(
        "Cancel, on the lending chain, a loan request that expired unanswered (anyone may): " +
          "the pool answers LOAN_REJECTED(Expired) and the vault refunds the collateral.",
      )
      .argument("<loanId>", "the loan id", loanIdArg)
      .addOption(chainOption("--from <chain>", "the collateral chain (where the vault holds it)")),
  ).action(async (loanId: Hex, options: KeyOptions & { from: Chain }) => {
    print(await cancelLoan(loanId, options));
  });

  for (const [name, description] of [
    ["default", "Declare a loan past due + grace in default (anyone may): collateral to the pool."],
    ["liquidate", "Liquidate a loan under the liquidation threshold (anyone may)."],
  ] as const) {
    keyOptions(
      program
        .command(name)
        .description(description)
        .addOption(chainOption("--on <chain>", "the lending chain"))
        .requiredOption("--loan <loanId>", "the loan id", loanIdArg),
    ).action(async (options: KeyOptions & { on: Chain; loan: Hex }) => {
      const network = await networkOf(options.network);
      if (options.on === "evm") {
        const evm = await evmWith(network, options);
        print(
          await (name === "default"
            ? evm.declareDefault(options.loan)
            : evm.liquidate(options.loan)),
        );
        return;
      }
      const solana = await solanaWith(network, options);
      const input = { payer: solana.signer, loanId: options.loan };
      const sent =
        name === "default"
          ? await declareLoanDefault(solana.rpc, solana.send, solana.program, input)
          : await liquidateLoan(solana.rpc, solana.send, solana.program, input);
      print({ tx: sent.signature, slot: sent.slot });
    });
  }
}
