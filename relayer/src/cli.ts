#!/usr/bin/env node
// `loanbridge`: the relayer daemon and the operator's view of its store.
// Exit codes: 0 ok, 1 the operation failed, 2 bad usage or input (a bad
// guid, a missing or invalid config).
import { BaseError, type Hex } from "@loanbridge/shared";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import relayerPackage from "../package.json" with { type: "json" };
import {
  checkConfig,
  ConfigError,
  EVM_KEY_FILE,
  generateKeyFiles,
  loadConfig,
  type RelayerConfig,
  SOLANA_KEYPAIR_FILE,
} from "./config/index.ts";
import { runDaemon } from "./daemon/index.ts";
import { StoreError } from "./store/errors.ts";
import { Store } from "./store/store.ts";
import { LOAN_STATES, type LoanState, PACKET_STATUSES, type PacketStatus } from "./store/types.ts";
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

async function withStore<T>(command: Command, use: (store: Store) => Promise<T>): Promise<T> {
  const store = await Store.open((await configOf(command)).store);
  try {
    return await use(store);
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
      "\nThe operator commands (run, status, loans, packets, retry, config check) read the relayer config:\n" +
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
      "Without a loan id: each chain's cursor and the packet counts by status (needs --config). " +
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
      await withStore(command, async (store) => {
        print({
          cursors: await store.listCursors(),
          packets: await store.countPacketsByStatus(),
        });
      });
    });

  const loans = program.command("loans").description("Inspect the mirrored loans.");
  loans
    .command("list")
    .description("List loans, most recently updated first.")
    .addOption(configOption())
    .addOption(new Option("--state <state>", "either side in this state").choices(LOAN_STATES))
    .option("--limit <n>", "at most this many", positiveInt, 100)
    .action(async (options: { state?: LoanState; limit: number }, command: Command) => {
      await withStore(command, async (store) => {
        print(
          await store.listLoans({
            limit: options.limit,
            ...(options.state !== undefined && { state: options.state }),
          }),
        );
      });
    });
  loans
    .command("show")
    .description("Show one loan's two sides.")
    .argument("<loanId>", "the loan id (0x + 64 hex digits)", hex32("loan id"))
    .addOption(configOption())
    .action(async (loanId: Hex, _options: unknown, command: Command) => {
      await withStore(command, async (store) => {
        const loan = await store.getLoan(loanId);
        if (loan === undefined) throw new NotFound(`no loan ${loanId}`);
        print(loan);
      });
    });

  const packets = program.command("packets").description("Inspect relayed packets.");
  packets
    .command("list")
    .description("List packets, most recently changed first.")
    .addOption(configOption())
    .addOption(new Option("--status <status>", "only this status").choices(PACKET_STATUSES))
    .option("--limit <n>", "at most this many", positiveInt, 100)
    .action(async (options: { status?: PacketStatus; limit: number }, command: Command) => {
      await withStore(command, async (store) => {
        const list = await store.listPackets({
          limit: options.limit,
          ...(options.status !== undefined && { status: options.status }),
        });
        print(list);
      });
    });
  packets
    .command("show")
    .description("Show one packet, its attestations and its audit trail.")
    .argument("<guid>", "the packet guid (0x + 64 hex digits)", hex32("guid"))
    .addOption(configOption())
    .action(async (guid: Hex, _options: unknown, command: Command) => {
      await withStore(command, async (store) => {
        const packet = await store.getPacket(guid);
        if (packet === undefined) throw new NotFound(`no packet ${guid}`);
        print({
          packet,
          attestations: await store.listAttestations(guid),
          audit: await store.listAudit({ subject: guid, limit: 50 }),
        });
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
      await withStore(command, async (store) => {
        const audit = operatorAudit("deny", guid, options);
        print(await store.deny(guid, options.reason, { audit }));
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
      await withStore(command, async (store) => {
        print(await store.requeue(guid, { audit: operatorAudit("retry", guid, options) }));
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

/** The audit entry of an operator's `retry` or `deny` from the CLI. */
function operatorAudit(action: "retry" | "deny", guid: Hex, options: OperatorOptions) {
  return {
    actor: options.actor,
    action,
    subject: guid,
    detail: { via: "cli", ...(options.reason !== undefined && { reason: options.reason }) },
  };
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
    if (error instanceof ConfigError) {
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
  process.exitCode = await main(process.argv.slice(2));
}
