#!/usr/bin/env node
// `loanbridge`: the relayer daemon and the operator's view of its store.
// Exit codes: 0 ok, 1 the operation failed, 2 bad usage or input (a bad
// guid, a missing or invalid config).
import { BaseError, type Hex } from "@loanbridge/shared";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import relayerPackage from "../package.json" with { type: "json" };
import { ChainDirectory } from "./api/chains.ts";
import { bytes32FromNative } from "./api/format.ts";
import { DEFAULT_LIMIT, MAX_LIMIT, txParam } from "./api/params.ts";
import {
  ApiUnreachableError,
  apiReads,
  apiUrlOf,
  type OperatorReads,
  QueryError,
  storeReads,
} from "./api/reads.ts";
import { API_LOAN_STATES } from "./api/views.ts";
import {
  checkConfig,
  ConfigError,
  EVM_KEY_FILE,
  generateKeyFiles,
  loadConfig,
  loadSecret,
  type RelayerConfig,
  SOLANA_KEYPAIR_FILE,
} from "./config/index.ts";
import { borrowerListText } from "./credit/text.ts";
import { scheduleText } from "./api/schedule-text.ts";
import { runDaemon } from "./daemon/index.ts";
import { decodeCursor } from "./store/page.ts";
import { DataDirInUseError, StoreError } from "./store/errors.ts";
import { Store } from "./store/store.ts";
import { PACKET_STATUSES } from "./store/types.ts";
import { execWithDaemonFlags } from "./node-flags.ts";
import { secretRefFromFlags, UsageError } from "./usage.ts";
import { addUserCommands, loanStatus } from "./user/commands.ts";

const HEX32 = /^0x[0-9a-fA-F]{64}$/;

function hex32(what: string) {
  return (value: string): Hex => {
    if (!HEX32.test(value)) {
      throw new InvalidArgumentError(`expected a ${what}: 0x followed by 64 hex digits`);
    }
    return value.toLowerCase() as Hex;
  };
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) {
    throw new InvalidArgumentError("expected a whole number from 1 to 10000");
  }
  return n;
}

// As the HTTP API's deny and retry bodies allow.
const MAX_REASON_LENGTH = 500;

function reasonText(value: string): string {
  if (value.trim() === "") throw new InvalidArgumentError("expected a reason: say why");
  if (value.length > MAX_REASON_LENGTH) {
    throw new InvalidArgumentError(`expected at most ${MAX_REASON_LENGTH} characters`);
  }
  return value;
}

function json(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v: unknown) => {
      if (typeof v === "bigint") return v.toString();
      if (v instanceof Uint8Array) return `0x${Buffer.from(v).toString("hex")}`;
      return v;
    },
    2,
  );
}

function print(value: unknown): void {
  process.stdout.write(`${json(value)}\n`);
}

/** Declared on each command that reads the relayer config, so that its own help shows it. */
function configOption(): Option {
  return new Option("-c, --config <file>", "relayer config file (JSON)").env("LOANBRIDGE_CONFIG");
}

function configPathOf(command: Command): string {
  const { config } = command.opts<{ config?: string }>();
  if (config === undefined || config === "") {
    throw new UsageError("missing --config <file> (or LOANBRIDGE_CONFIG)");
  }
  return config;
}

async function configOf(command: Command): Promise<RelayerConfig> {
  return loadConfig(configPathOf(command), process.env);
}

/** A page size, as the API allows. */
function limitOf(value: string): string {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > MAX_LIMIT) {
    throw new InvalidArgumentError(`expected a whole number from 1 to ${MAX_LIMIT}`);
  }
  return value;
}

function cursorOf(value: string): string {
  if (decodeCursor(value) === undefined) {
    throw new InvalidArgumentError("expected the nextCursor of a previous page");
  }
  return value;
}

function borrowerOf(value: string): string {
  if (bytes32FromNative(value) === undefined) {
    throw new InvalidArgumentError(
      "expected an EVM address (0x + 40 hex digits) or a Solana address",
    );
  }
  return value;
}

function txOf(value: string): string {
  const result = txParam.safeParse(value);
  if (!result.success) {
    throw new InvalidArgumentError("expected a transaction hash (0x…) or signature (base58)");
  }
  return value;
}

/**
 * The embedded store is locked by the running relayer, and its API could not
 * be reached either: names both, as either would have answered.
 */
class NoSourceError extends BaseError {
  override name = "NoSourceError";

  constructor(locked: DataDirInUseError, unreachable: ApiUnreachableError) {
    super(`${locked.shortMessage}, and ${unreachable.shortMessage}`, {
      details:
        "Start the relayer (its API answers while it holds the store), or stop it to read the store directly.",
      cause: unreachable,
    });
  }
}

/**
 * Runs `use` on the store the config names; when the embedded store is
 * locked by the running relayer, on that relayer's API instead (said on
 * stderr). Both give the API's views.
 */
async function withReads<T>(
  command: Command,
  use: (reads: OperatorReads) => Promise<T>,
): Promise<T> {
  const config = await configOf(command);
  let store: Store;
  try {
    store = await Store.open(config.store);
  } catch (error) {
    if (!(error instanceof DataDirInUseError)) throw error;
    const url = apiUrlOf(config.api);
    process.stderr.write(
      `${error.shortMessage}: going through the running relayer's API at ${url}\n`,
    );
    const tokenRef = config.api.adminToken;
    const adminToken =
      tokenRef === undefined
        ? undefined
        : () => loadSecret(tokenRef, { env: process.env, field: "api.adminToken" });
    try {
      return await use(apiReads(url, adminToken));
    } catch (failure) {
      if (failure instanceof ApiUnreachableError) throw new NoSourceError(error, failure);
      throw failure;
    }
  }
  try {
    return await use(storeReads(store, ChainDirectory.fromConfig(config.chains), config.relayerId));
  } finally {
    await store.close();
  }
}

export function buildProgram(): Command {
  const program = new Command("loanbridge")
    .description("The loanbridge relayer: runs the daemon and inspects its store.")
    .version(relayerPackage.version, "-V, --version", "print the relayer's version")
    .addHelpText(
      "after",
      "\nThe operator commands (run, status, loans, borrower, packets, retry, config check) read the relayer config:\n" +
        "-c, --config <file> or LOANBRIDGE_CONFIG.",
    )
    .exitOverride();

  program
    .command("run")
    .description(
      "Run the relayer: watch, verify, attest, gather, deliver; serve the API. Stops on SIGINT/SIGTERM.",
    )
    .addOption(configOption())
    .option(
      "--no-executor",
      "never deliver, only confirm deliveries (every relayer takes its turn by default); overrides executor.enabled",
    )
    .option("--sender-key-env <var>", "EVM executor gas key from this environment variable")
    .option("--sender-key-file <path>", "EVM executor gas key from this file")
    .option(
      "--max-fee-gwei <gwei>",
      "cap on maxFeePerGas for EVM deliveries; overrides executor.maxFeePerGasGwei",
      positiveInt,
    )
    .addHelpText("after", "\nExample:\n  loanbridge run --config relayer.json")
    .action(
      async (
        options: {
          executor?: boolean;
          senderKeyEnv?: string;
          senderKeyFile?: string;
          maxFeeGwei?: number;
        },
        command: Command,
      ) => {
        const config = await configOf(command);
        const senderKey = secretRefFromFlags(
          options.senderKeyEnv,
          options.senderKeyFile,
          "sender-key",
        );
        await runDaemon(config, {
          env: process.env,
          // Commander sets it true unless --no-executor is given: only the flag overrides.
          ...(options.executor === false && { executor: false }),
          ...(options.maxFeeGwei !== undefined && {
            maxFeePerGas: BigInt(options.maxFeeGwei) * 10n ** 9n,
          }),
          ...(senderKey !== undefined && { senderKey }),
        });
      },
    );

  program
    .command("status")
    .description(
      "Without a loan id: the relayer's status as /v1/status shows it: each chain's cursor and the packet counts by status (needs --config). " +
        "With one: the loan on both chains (needs --network).",
    )
    .argument("[loanId]", "a loan id (0x + 64 hex digits)", hex32("loan id"))
    .addOption(configOption())
    .option("-n, --network <file>", "network file (where each chain and its contracts are)")
    .action(async (loanId: Hex | undefined, options: { network?: string }, command: Command) => {
      if (loanId !== undefined) {
        print(await loanStatus(loanId, options.network));
        return;
      }
      await withReads(command, async (reads) => {
        print(await reads.status());
      });
    });

  const loans = program
    .command("loans")
    .description(
      "Inspect the mirrored loans (the API's views; through its API while the relayer holds the store).",
    );
  loans
    .command("list")
    .description("List loans, most recently updated first, one page at a time (as GET /v1/loans).")
    .addOption(configOption())
    .addOption(
      new Option("--state <state>", "either side in this state (lower case)").choices(
        API_LOAN_STATES,
      ),
    )
    .option("--borrower <address>", "borrower or recipient: EVM or Solana address", borrowerOf)
    .option("--limit <n>", `at most this many, 1 to ${MAX_LIMIT}`, limitOf, String(DEFAULT_LIMIT))
    .option("--cursor <cursor>", "the nextCursor of the previous page", cursorOf)
    .action(
      async (options: ListOptions & { state?: string; borrower?: string }, command: Command) => {
        await withReads(command, async (reads) => {
          const { state, borrower, limit, cursor } = options;
          print(await reads.loans({ state, borrower, limit, cursor }));
        });
      },
    );
  loans
    .command("show")
    .description("Show one loan's two sides (as GET /v1/loans/<loanId>).")
    .argument("<loanId>", "the loan id (0x + 64 hex digits)", hex32("loan id"))
    .addOption(configOption())
    .action(async (loanId: Hex, _options: unknown, command: Command) => {
      await withReads(command, async (reads) => {
        const loan = await reads.loan(loanId);
        if (loan === undefined) throw new NotFound(`no loan ${loanId}`);
        print(loan);
      });
    });

  program
    .command("schedule")
    .description(
      "A loan's installments as the relayer read them from its lending pool (as GET /v1/loans/<loanId>/schedule): each one's due time, amount, payment and state.",
    )
    .argument("<loanId>", "the loan id (0x + 64 hex digits)", hex32("loan id"))
    .addOption(configOption())
    .option("--json", "print the API's view (JSON) instead of text")
    .action(async (loanId: Hex, options: { json?: boolean }, command: Command) => {
      await withReads(command, async (reads) => {
        const schedule = await reads.schedule(loanId);
        if (schedule === undefined) {
          throw new NotFound(
            `no schedule for loan ${loanId}: not mirrored, or not read from its lending pool yet`,
          );
        }
        if (options.json === true) print(schedule);
        else process.stdout.write(scheduleText(schedule));
      });
    });

  program
    .command("borrower")
    .description(
      "A borrower's credit record and points-1 score, with its loans (as GET /v1/borrowers/<address>): by the borrower's address, or a recipient's to find who paid out to it.",
    )
    .argument("<address>", "an EVM address (0x + 40 hex digits) or a Solana address", borrowerOf)
    .addOption(configOption())
    .option("--json", "print the API's view (JSON) instead of text")
    .action(async (address: string, options: { json?: boolean }, command: Command) => {
      await withReads(command, async (reads) => {
        const list = await reads.borrowers(address);
        if (list === undefined) throw new NotFound(`no loan of or to ${address} is recorded`);
        if (options.json === true) print(list);
        else process.stdout.write(borrowerListText(list));
      });
    });

  const packets = program
    .command("packets")
    .description(
      "Inspect relayed packets (the API's views; through its API while the relayer holds the store).",
    );
  packets
    .command("list")
    .description(
      "List packets, most recently changed first, one page at a time (as GET /v1/packets).",
    )
    .addOption(configOption())
    .addOption(new Option("--status <status>", "only this status").choices(PACKET_STATUSES))
    .option("--loan-id <loanId>", "only this loan's packets", hex32("loan id"))
    .option("--tx <tx>", "source or destination transaction (hash or signature)", txOf)
    .option("--limit <n>", `at most this many, 1 to ${MAX_LIMIT}`, limitOf, String(DEFAULT_LIMIT))
    .option("--cursor <cursor>", "the nextCursor of the previous page", cursorOf)
    .action(
      async (
        options: ListOptions & { status?: string; loanId?: string; tx?: string },
        command: Command,
      ) => {
        await withReads(command, async (reads) => {
          const { status, loanId, tx, limit, cursor } = options;
          print(await reads.packets({ status, loanId, tx, limit, cursor }));
        });
      },
    );
  packets
    .command("show")
    .description("Show one packet (as GET /v1/packets/<guid>).")
    .argument("<guid>", "the packet guid (0x + 64 hex digits)", hex32("guid"))
    .addOption(configOption())
    .action(async (guid: Hex, _options: unknown, command: Command) => {
      await withReads(command, async (reads) => {
        const packet = await reads.packet(guid);
        if (packet === undefined) throw new NotFound(`no packet ${guid}`);
        print(packet);
      });
    });
  packets
    .command("deny")
    .description(
      "Deny an observed, verified, attested or failed packet: no relayer delivers it unless it is retried (audited).",
    )
    .argument("<guid>", "the packet guid (0x + 64 hex digits)", hex32("guid"))
    .addOption(configOption())
    .requiredOption(
      "--reason <text>",
      "why it is denied (required; audit log and the packet's last error)",
      reasonText,
    )
    .option("--actor <name>", "who asks (audit log)", process.env.USER ?? "operator")
    .action(async (guid: Hex, options: DenyOptions, command: Command) => {
      await withReads(command, async (reads) => {
        print(await reads.deny(guid, { actor: options.actor, reason: options.reason }));
      });
    });

  program
    .command("retry")
    .description(
      "Requeue a failed or denied packet: it is verified again from the start (audited).",
    )
    .argument("<guid>", "the packet guid (0x + 64 hex digits)", hex32("guid"))
    .addOption(configOption())
    .option("--actor <name>", "who asks (audit log)", process.env.USER ?? "operator")
    .option("--reason <text>", "why (audit log)")
    .action(async (guid: Hex, options: OperatorOptions, command: Command) => {
      await withReads(command, async (reads) => {
        const { actor, reason } = options;
        print(await reads.retry(guid, { actor, ...(reason !== undefined && { reason }) }));
      });
    });
  addSetupCommands(program);
  addUserCommands(program, print);
  for (const command of commandTree(program)) {
    command.showHelpAfterError(usageHint(command));
    checkRequiredOptionsTogether(command);
  }
  return program;
}

/** `config check` and `keys generate`: what an operator runs before the first `run`. */
function addSetupCommands(program: Command): void {
  program
    .command("config")
    .description("Check the relayer config.")
    .command("check")
    .description(
      "Load the config with its LOANBRIDGE_* overrides and every key it references, as run would; print a summary (never a secret). Exit 2 with every problem found.",
    )
    .addOption(configOption())
    .addHelpText("after", "\nExample:\n  loanbridge config check -c relayer.json")
    .action(async (_options: unknown, command: Command) => {
      print(await checkConfig(configPathOf(command), process.env));
    });

  program
    .command("keys")
    .description("Create this relayer's keys.")
    .command("generate")
    .description(
      `Write a new EVM key (${EVM_KEY_FILE}) and Solana keypair (${SOLANA_KEYPAIR_FILE}), mode 0600, into a folder (created 0700); print their public keys and the config lines that reference them.`,
    )
    .requiredOption("--out <dir>", "folder to write the key files into")
    .option("--force", "replace key files that already exist (their keys are lost)")
    .addHelpText("after", "\nExample:\n  loanbridge keys generate --out /etc/loanbridge/keys")
    .action(async (options: { out: string; force?: boolean }) => {
      const keys = await generateKeyFiles(options.out, { force: options.force === true });
      print({
        evmAddress: keys.evmAddress,
        solanaPublicKey: keys.solanaPublicKey,
        config: {
          chains: {
            evm: { signerKey: { file: keys.evmKeyFile } },
            solana: { keypair: { file: keys.solanaKeypairFile } },
          },
        },
      });
    });
}

interface OperatorOptions {
  actor: string;
  reason?: string;
}

type DenyOptions = Required<OperatorOptions>;

interface ListOptions {
  limit: string;
  cursor?: string;
}

function* commandTree(command: Command): Generator<Command> {
  yield command;
  for (const subcommand of command.commands) yield* commandTree(subcommand);
}

/** The command as typed, e.g. "loanbridge packets list". */
function commandPath(command: Command): string {
  const names: string[] = [];
  for (let at: Command | null = command; at !== null; at = at.parent) names.unshift(at.name());
  return names.join(" ");
}

// After a usage error, one line naming the command's help: the whole help
// text would bury the error.
function usageHint(command: Command): string {
  return `run '${commandPath(command)} --help' for usage`;
}

/**
 * Commander stops at the first missing required option, so an operator would
 * learn them one run at a time. Here they are checked together, before the
 * action, and commander no longer checks them itself.
 */
function checkRequiredOptionsTogether(command: Command): void {
  const required = command.options.filter((option) => option.mandatory);
  if (required.length === 0) return;
  for (const option of required) option.makeOptionMandatory(false);
  command.hook("preAction", () => {
    const missing = required.filter(
      (option) => command.getOptionValue(option.attributeName()) === undefined,
    );
    if (missing.length === 0) return;
    const flags = missing.map((option) => `'${option.flags}'`).join(", ");
    const noun = missing.length === 1 ? "option" : "options";
    command.error(`error: required ${noun} ${flags} not specified`, {
      code: "commander.missingMandatoryOptionValue",
      exitCode: 2,
    });
  });
}

class NotFound extends Error {
  override name = "NotFound";
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  // The command whose action runs, for the usage hint of a UsageError it throws.
  let running = program;
  program.hook("preAction", (_program, actionCommand) => {
    running = actionCommand;
  });
  try {
    await program.parseAsync([...argv], { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are "errors" to commander; it has printed them already.
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof UsageError) {
      process.stderr.write(`error: ${error.message}\n${usageHint(running)}\n`);
      return 2;
    }
    if (error instanceof ConfigError || error instanceof QueryError) {
      process.stderr.write(`error: ${error.message}\n`);
      return 2;
    }
    if (error instanceof NotFound || error instanceof StoreError || error instanceof BaseError) {
      process.stderr.write(`error: ${error.message}\n`);
      return 1;
    }
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

if (import.meta.main) {
  // The daemon runs with its memory flags (node-flags.ts); this re-executes it when they are missing.
  if (process.argv[2] === "run") execWithDaemonFlags();
  process.exitCode = await main(process.argv.slice(2));
}
