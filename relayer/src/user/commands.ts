// The borrower's and lender's commands: borrow, repay, deposit, withdraw,
// default, liquidate, cancel and `status <loanId>`. Each reads a network file
// (`--network`), takes keys only as references (env var or file, as the
// relayer's), prints JSON on stdout and progress on stderr. Every chain
// request has a deadline (`--rpc-timeout`, LOANBRIDGE_RPC_TIMEOUT_SECONDS)
// and every failure names its chain (chain-call.ts).
import { type Hex, MAX_INSTALLMENTS } from "@loanbridge/shared";
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
  vaultLoanOf,
  withdrawLiquidity,
} from "@loanbridge/solana-program";
import { getCreateAssociatedTokenIdempotentInstructionAsync } from "@solana-program/token";
import { address, createKeyPairSignerFromBytes, getAddressEncoder } from "@solana/kit";
import { type Command, InvalidArgumentError, Option } from "commander";
import { getAddress, parseUnits, zeroPadValue } from "ethers";
import type { ChainName } from "../api/views.ts";
import { loadEvmPrivateKey, loadSolanaKeypair } from "../config/secret.ts";
import { secretRefFromFlags, UsageError } from "../usage.ts";
import { type ChainCallContext, onChain } from "./chain-call.ts";
import { LoanNotActiveError, LoanNotFoundError, WaitTimeoutError } from "./errors.ts";
import { type EvmSide, evmSide } from "./evm.ts";
import {
  amountWith,
  answered,
  type Asset,
  collateralChainOf,
  type LoanStatusView,
  loanStatusView,
  NATIVE_COINS,
  otherChain,
  poolFromEvm,
  poolFromSolana,
  vaultFromEvm,
  vaultFromSolana,
  waitingLine,
  waitingStage,
} from "./loan-view.ts";
import { loadNetwork, type Network } from "./network.ts";
import { type RpcEndpoint, rpcTimeoutMs, solanaRpcFor } from "./rpc.ts";

type Chain = ChainName;
const CHAINS: readonly Chain[] = ["evm", "solana"];
/** An SPL mint's `decimals` byte (the mint layout: authority option, supply, then decimals). */
const MINT_DECIMALS_OFFSET = 44;

interface KeyOptions {
  network?: string;
  evmKeyEnv?: string;
  evmKeyFile?: string;
  solanaKeypairEnv?: string;
  solanaKeypairFile?: string;
  rpcTimeout?: string;
}

/** The Solana side: a client with the deadline, and the context its failures are explained with. */
function solanaOf(network: Network, timeoutMs: number) {
  const endpoint: RpcEndpoint = { chain: "solana", url: network.solana.rpcUrl, timeoutMs };
  const context: ChainCallContext = { endpoint, programId: network.solana.programId };
  return {
    rpc: solanaRpcFor(endpoint),
    program: address(network.solana.programId),
    /** Runs a Solana call, failing explained; `loanId` fills the hints. */
    call: <T>(action: string, run: () => Promise<T>, loanId?: Hex) =>
      onChain({ ...context, ...(loanId !== undefined && { loanId }) }, action, run),
  };
}

type SolanaSide = ReturnType<typeof solanaOf>;

/** The Solana pool's stablecoin: decimals from its mint, the symbol from the network file. */
async function solanaStablecoin(network: Network, solana: SolanaSide): Promise<Asset> {
  const mint = await solana.call("read the stablecoin mint", () =>
    readAccount(solana.rpc, address(network.solana.stablecoin)),
  );
  const decimals = mint?.[MINT_DECIMALS_OFFSET];
  if (decimals === undefined) {
    throw new UsageError(
      `no stablecoin mint ${network.solana.stablecoin} on Solana (solana.stablecoin in the network file)`,
    );
  }
  return { decimals, symbol: network.solana.stablecoinSymbol ?? null };
}

async function evmStablecoin(evm: EvmSide): Promise<Asset> {
  const [decimals, symbol] = await Promise.all([evm.stablecoinDecimals(), evm.stablecoinSymbol()]);
  return { decimals, symbol };
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

/** The network file and the request deadline every command starts from. */
async function setupOf(options: KeyOptions) {
  const timeoutMs = rpcTimeoutMs(options.rpcTimeout, process.env);
  return { network: await networkOf(options.network), timeoutMs };
}

async function evmWith(network: Network, timeoutMs: number, options: KeyOptions) {
  const key = secretRefFromFlags(options.evmKeyEnv, options.evmKeyFile, "evm-key");
  if (key === undefined) throw new UsageError("this command needs --evm-key-env or --evm-key-file");
  const secret = await loadEvmPrivateKey(key, { env: process.env, field: "evm key" });
  return evmSide(network.evm, timeoutMs, secret.reveal());
}

async function solanaWith(network: Network, timeoutMs: number, options: KeyOptions) {
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
  const solana = solanaOf(network, timeoutMs);
  return { ...solana, signer, send: rpcSender(solana.rpc, { feePayer: signer }) };
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
async function ensureStablecoinAccount(
  network: Network,
  timeoutMs: number,
  options: KeyOptions,
  recipient: string,
) {
  const solana = solanaOf(network, timeoutMs);
  const owner = address(recipient);
  const mint = address(network.solana.stablecoin);
  const account = await associatedTokenAccount(owner, mint);
  const existing = await solana.call("read the recipient's stablecoin account", () =>
    readAccount(solana.rpc, account),
  );
  if (existing !== null) return;
  if (options.solanaKeypairEnv === undefined && options.solanaKeypairFile === undefined) {
    throw new UsageError(
      `the recipient ${recipient} has no stablecoin account on Solana (${account}); ` +
        "give --solana-keypair-env/--solana-keypair-file to create it",
    );
  }
  const payer = await solanaWith(network, timeoutMs, options);
  await payer.call("create the recipient's stablecoin account", async () =>
    payer.send(
      await getCreateAssociatedTokenIdempotentInstructionAsync({
        payer: payer.signer,
        owner,
        mint,
      }),
    ),
  );
  progress(`created the recipient's stablecoin account ${account} on Solana`);
}

/**
 * Reads a loan from both chains' vaults and pools (either side may not
 * know it yet) and maps it to the status view; null when no chain knows it.
 */
function loanReader(network: Network, timeoutMs: number) {
  const solana = solanaOf(network, timeoutMs);
  const evm = evmSide(network.evm, timeoutMs);
  // Read once: a symbol and decimals do not change while a command runs.
  let stablecoins: Partial<Record<Chain, Promise<Asset>>> = {};
  const stablecoinOn = (chain: Chain) =>
    (stablecoins[chain] ??=
      chain === "evm" ? evm.then(evmStablecoin) : solanaStablecoin(network, solana));
  return async (loanId: Hex): Promise<LoanStatusView | null> => {
    const [evmVault, evmPool, solanaVault, solanaPool] = await Promise.all([
      evm.then((side) => side.vaultLoan(loanId)),
      evm.then((side) => side.poolLoan(loanId)),
      solana.call("read the vault's loan", () => vaultLoanOf(solana.rpc, solana.program, loanId)),
      solana.call("read the pool's loan", () => poolLoanOf(solana.rpc, solana.program, loanId)),
    ]);
    const vaults = { evm: vaultFromEvm(evmVault), solana: vaultFromSolana(solanaVault) };
    const pools = { evm: poolFromEvm(evmPool), solana: poolFromSolana(solanaPool) };
    const collateralChain = collateralChainOf(vaults, pools);
    if (collateralChain === undefined) return null;
    const lendingChain = otherChain(collateralChain);
    let stablecoin: Asset;
    try {
      stablecoin = await stablecoinOn(lendingChain);
    } catch (error) {
      stablecoins = {};
      throw error;
    }
    return loanStatusView({
      loanId,
      collateralChain,
      eids: { evm: network.evm.eid, solana: network.solana.eid },
      vault: vaults[collateralChain],
      pool: pools[lendingChain],
      stablecoin,
    });
  };
}

/**
 * The loan on both chains, in the API's terms (`status <loanId>`); a loan
 * neither chain knows is an error. The deadline comes from
 * LOANBRIDGE_RPC_TIMEOUT_SECONDS (the operator's `status` has no flag for it).
 */
export async function loanStatus(loanId: Hex, networkFile: string | undefined) {
  const timeoutMs = rpcTimeoutMs(undefined, process.env);
  const network = await networkOf(networkFile);
  const view = await loanReader(network, timeoutMs)(loanId);
  if (view === null) throw new LoanNotFoundError(`loan ${loanId} not found on evm or solana`);
  return view;
}

/** How often `--wait` says where the loan is when its stage has not changed. */
const WAIT_PROGRESS_MS = 5_000;

/**
 * Polls until the collateral chain's vault leaves `requested` (the lending
 * chain answered and the answer came back), saying on stderr which stage
 * the loan is in whenever it changes and every few seconds.
 */
async function waitForAnswer(
  loanId: Hex,
  network: Network,
  rpcTimeout: number,
  timeoutMs: number,
): Promise<LoanStatusView> {
  const read = loanReader(network, rpcTimeout);
  const started = Date.now();
  let shown = { stage: "", at: 0 };
  let last = "the loan was not read yet";
  while (Date.now() - started < timeoutMs) {
    const view = await read(loanId);
    if (view !== null && answered(view)) return view;
    if (view !== null) {
      const stage = waitingStage(view);
      last = stage;
      if (stage !== shown.stage || Date.now() - shown.at >= WAIT_PROGRESS_MS) {
        progress(waitingLine(stage, (Date.now() - started) / 1000));
        shown = { stage, at: Date.now() };
      }
    }
    await new Promise((done) => setTimeout(done, 250));
  }
  throw new WaitTimeoutError(
    `no answer for loan ${loanId} within ${timeoutMs / 1000} s: ${last} ` +
      "(`loanbridge status <loanId>` follows it later)",
  );
}

/**
 * Cancels on the lending chain a request the collateral chain `from` made
 * and nobody answered by its deadline: reads the vault's loan there
 * (borrower, vault nonce, expiresAt), checks it is still Requested and
 * expired by the lending chain's clock, and calls the pool's cancel, whose
 * LOAN_REJECTED(Expired) answer refunds the collateral once relayed.
 */
async function cancelLoan(loanId: Hex, options: KeyOptions & { from: Chain }) {
  const { network, timeoutMs } = await setupOf(options);
  // Keys first: the lending chain's signer pays for the cancel.
  const lending =
    options.from === "evm"
      ? { chain: "solana" as const, solana: await solanaWith(network, timeoutMs, options) }
      : { chain: "evm" as const, evm: await evmWith(network, timeoutMs, options) };
  let request: { borrower: Hex; vaultNonce: bigint; expiresAt: bigint; state: string };
  if (options.from === "evm") {
    const evm = await evmSide(network.evm, timeoutMs);
    const loan = await evm.vaultLoan(loanId);
    const found = await evm.vaultRequest(loanId);
    if (loan === null || found === undefined) {
      throw new LoanNotFoundError(`loan ${loanId} not found in the vault on evm`);
    }
    request = {
      borrower: zeroPadValue(found.borrower, 32) as Hex,
      vaultNonce: found.vaultNonce,
      expiresAt: found.expiresAt,
      state: loan.state,
    };
  } else {
    const solana = solanaOf(network, timeoutMs);
    const loan = await solana.call(
      "read the vault's loan",
      () => vaultLoanOf(solana.rpc, solana.program, loanId),
      loanId,
    );
    const vault = vaultFromSolana(loan);
    if (loan === null || vault === null) {
      throw new LoanNotFoundError(`loan ${loanId} not found in the vault on solana`);
    }
    request = {
      borrower: `0x${Buffer.from(getAddressEncoder().encode(address(vault.borrower))).toString("hex")}`,
      vaultNonce: loan.vault_nonce as bigint,
      expiresAt: vault.expiresAt,
      state: vault.state,
    };
  }
  if (request.state !== "Requested") {
    throw new LoanNotActiveError(
      `loan ${loanId} is ${request.state.toLowerCase()} in the vault on ${options.from}: ` +
        "only a requested loan can be cancelled",
    );
  }
  const { borrower, vaultNonce, expiresAt } = request;
  const srcEid = network[options.from].eid;
  const tooEarly = (now: bigint) =>
    new UsageError(
      `loan ${loanId} expires at ${expiresAt}, the pool's clock is ${now} ` +
        `(${new Date(Number(expiresAt) * 1000).toISOString()}, ${new Date(Number(now) * 1000).toISOString()})`,
    );
  if (lending.chain === "evm") {
    const now = await lending.evm.chainTime();
    if (now <= expiresAt) throw tooEarly(now);
    const sent = await lending.evm.cancelExpired({ srcEid, borrower, vaultNonce, expiresAt });
    return { loanId, on: lending.chain, tx: sent.hash, block: sent.block };
  }
  const { solana } = lending;
  const now = await solana.call("read the cluster's time", () => clusterTime(solana.rpc));
  if (now <= expiresAt) throw tooEarly(now);
  const sent = await solana.call(
    "cancel",
    () =>
      cancelExpiredLoan(solana.rpc, solana.send, solana.program, {
        payer: solana.signer,
        srcEid,
        borrower,
        vaultNonce,
        expiresAt,
      }),
    loanId,
  );
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
    .option("--solana-keypair-file <path>", "Solana keypair file (solana-keygen JSON)")
    .option(
      "--rpc-timeout <seconds>",
      "give up on a chain request after this long (default 10, or LOANBRIDGE_RPC_TIMEOUT_SECONDS)",
    );
}

const chainOption = (flags: string, description: string) =>
  new Option(flags, description).choices(CHAINS).makeOptionMandatory();

/** `--timeout` of `borrow --wait`, in milliseconds. */
function waitTimeoutMs(value: string): number {
  const seconds = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || seconds <= 0) {
    throw new UsageError(`--timeout: expected a number of seconds above 0, got "${value}"`);
  }
  return seconds * 1000;
}

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
      .option(
        "--installments <n>",
        "equal payments the term is split into, one per term/n (1: repaid at once)",
        "1",
      )
      .option("--max-rate-bps <bps>", "highest annual rate accepted, basis points", "1000")
      .option("--wait", "wait for the lending chain's answer and print the loan as `status` does")
      .option("--timeout <seconds>", "with --wait: give up after", "180"),
  ).action(
    async (
      options: KeyOptions & {
        from: Chain;
        collateral: string;
        principal: string;
        recipient: string;
        termDays: string;
        installments: string;
        maxRateBps: string;
        wait?: boolean;
        timeout: string;
      },
    ) => {
      const { network, timeoutMs } = await setupOf(options);
      const lending = otherChain(options.from);
      const termDays = Number(options.termDays);
      const maxRateBps = Number(options.maxRateBps);
      if (!Number.isInteger(termDays) || termDays < 1) {
        throw new UsageError("--term-days: expected a whole number of days");
      }
      const installments = Number(options.installments);
      if (!Number.isInteger(installments) || installments < 1 || installments > MAX_INSTALLMENTS) {
        throw new UsageError(
          `--installments: expected a whole number from 1 to ${MAX_INSTALLMENTS}`,
        );
      }
      if ((BigInt(termDays) * 86_400n) % BigInt(installments) !== 0n) {
        throw new UsageError(
          `--installments: a ${termDays}-day term does not split into ${installments} equal periods of whole seconds`,
        );
      }
      if (!Number.isInteger(maxRateBps) || maxRateBps < 0 || maxRateBps > 0xffff_ffff) {
        throw new UsageError("--max-rate-bps: expected a whole number of basis points");
      }
      const waitMs = waitTimeoutMs(options.timeout);
      const collateral = amountIn(
        options.collateral,
        NATIVE_COINS[options.from].decimals,
        "--collateral",
      );
      const recipient = recipientBytes32(lending, options.recipient);
      // Keys first: a missing key is a usage error before any chain is asked.
      const opener =
        options.from === "evm"
          ? { chain: "evm" as const, evm: await evmWith(network, timeoutMs, options) }
          : { chain: "solana" as const, solana: await solanaWith(network, timeoutMs, options) };
      const stablecoin =
        lending === "evm"
          ? await evmStablecoin(await evmSide(network.evm, timeoutMs))
          : await solanaStablecoin(network, solanaOf(network, timeoutMs));
      const loan = {
        principal: amountIn(options.principal, stablecoin.decimals, "--principal"),
        maxRateBps,
        termSeconds: BigInt(termDays) * 86_400n,
        installments,
        recipient,
      };
      const started = Date.now();
      let opened: { loanId: Hex; tx: string };
      if (opener.chain === "evm") {
        await ensureStablecoinAccount(network, timeoutMs, options, options.recipient);
        const sent = await opener.evm.openNativeLoan({ ...loan, wei: collateral });
        opened = { loanId: sent.loanId, tx: sent.hash };
      } else {
        const { solana } = opener;
        const sent = await solana.call("borrow", () =>
          openNativeLoan(solana.rpc, solana.send, solana.program, {
            ...loan,
            borrower: solana.signer,
            lamports: collateral,
          }),
        );
        opened = { loanId: sent.loanId, tx: sent.signature };
      }
      progress(
        `opened loan ${opened.loanId} on ${options.from} (tx ${opened.tx}): ` +
          `${amountWith(collateral, NATIVE_COINS[options.from]).formatted} ${NATIVE_COINS[options.from].symbol} locked, ` +
          `asking for ${amountWith(loan.principal, stablecoin).formatted} ${stablecoin.symbol ?? "stablecoin"} on ${lending}`,
      );
      if (options.wait !== true) {
        print({ ...opened, from: options.from });
        return;
      }
      const view = await waitForAnswer(opened.loanId, network, timeoutMs, waitMs);
      print({ ...view, tx: opened.tx, from: options.from, seconds: (Date.now() - started) / 1000 });
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
    const { network, timeoutMs } = await setupOf(options);
    const notFound = () =>
      new LoanNotFoundError(
        `loan ${options.loan} not found in the pool on ${options.on} (\`loanbridge status ${options.loan}\` says where it is)`,
      );
    const notActive = (state: string) =>
      new LoanNotActiveError(
        `loan ${options.loan} is ${state.toLowerCase()} in the pool on ${options.on}: nothing to repay`,
      );
    if (options.on === "evm") {
      const evm = await evmWith(network, timeoutMs, options);
      const stablecoin = await evmStablecoin(evm);
      let amount: bigint;
      if (options.amount === undefined) {
        const loan = await evm.poolLoan(options.loan);
        if (loan === null) throw notFound();
        if (loan.status !== "Active") throw notActive(loan.status);
        amount = await evm.debt(options.loan);
      } else {
        amount = amountIn(options.amount, stablecoin.decimals, "--amount");
      }
      const sent = await evm.repay(options.loan, amount);
      print({ ...sent, amount: amountWith(amount, stablecoin) });
      return;
    }
    const solana = await solanaWith(network, timeoutMs, options);
    const stablecoin = await solanaStablecoin(network, solana);
    const loan = poolFromSolana(
      await solana.call("read the pool's loan", () =>
        poolLoanOf(solana.rpc, solana.program, options.loan),
      ),
    );
    if (loan === null) throw notFound();
    let amount: bigint;
    if (options.amount === undefined) {
      if (loan.state !== "Active") throw notActive(loan.state);
      // The whole debt grows by the second: offer more and the pool takes what is owed.
      const owed = loan.principal + loan.interest;
      amount = owed + owed / 100n + 1n;
    } else {
      amount = amountIn(options.amount, stablecoin.decimals, "--amount");
    }
    const sent = await solana.call(
      "repay",
      () =>
        repayLoan(solana.rpc, solana.send, solana.program, {
          payer: solana.signer,
          loanId: options.loan,
          amount,
        }),
      options.loan,
    );
    print({ tx: sent.signature, slot: sent.slot, amount: amountWith(amount, stablecoin) });
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
      const { network, timeoutMs } = await setupOf(options);
      if (options.on === "evm") {
        const evm = await evmWith(network, timeoutMs, options);
        const stablecoin = await evmStablecoin(evm);
        const amount = amountIn(options.amount, stablecoin.decimals, "--amount");
        const sent = await (name === "deposit" ? evm.deposit(amount) : evm.withdraw(amount));
        print({ ...sent, amount: amountWith(amount, stablecoin) });
        return;
      }
      const solana = await solanaWith(network, timeoutMs, options);
      const stablecoin = await solanaStablecoin(network, solana);
      const amount = amountIn(options.amount, stablecoin.decimals, "--amount");
      const input = { lender: solana.signer, amount };
      const sent = await solana.call(name, () =>
        name === "deposit"
          ? depositLiquidity(solana.rpc, solana.send, solana.program, input)
          : withdrawLiquidity(solana.rpc, solana.send, solana.program, input),
      );
      print({ tx: sent.signature, slot: sent.slot, amount: amountWith(amount, stablecoin) });
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
      const { network, timeoutMs } = await setupOf(options);
      if (options.on === "evm") {
        const evm = await evmWith(network, timeoutMs, options);
        print(
          await (name === "default"
            ? evm.declareDefault(options.loan)
            : evm.liquidate(options.loan)),
        );
        return;
      }
      const solana = await solanaWith(network, timeoutMs, options);
      const input = { payer: solana.signer, loanId: options.loan };
      const sent = await solana.call(
        name,
        () =>
          name === "default"
            ? declareLoanDefault(solana.rpc, solana.send, solana.program, input)
            : liquidateLoan(solana.rpc, solana.send, solana.program, input),
        options.loan,
      );
      print({ tx: sent.signature, slot: sent.slot });
    });
  }
}
