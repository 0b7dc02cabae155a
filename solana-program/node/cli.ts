#!/usr/bin/env node
// `svm-node`: the local Solana RPC node with the loanbridge program loaded.
// Prints `svm-node listening on http://127.0.0.1:PORT`, then serves until
// SIGINT or SIGTERM. Exit codes: 0 stopped cleanly, 1 failed, 2 bad usage.
import { Command, CommanderError, InvalidArgumentError } from "commander";
import { IDL_PROGRAM_ADDRESS, readProgramBinary } from "../client/index.ts";
import { startSvmNode } from "./server.ts";

function wholeNumber(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    }
    return n;
  };
}

interface CliOptions {
  port: number;
  slotMs: number;
  finalityDepth: number;
  blockhashValiditySlots: number;
}

const program = new Command("svm-node")
  .description("Local Solana JSON-RPC node backed by LiteSVM, with the loanbridge program loaded")
  .option("--port <port>", "port on 127.0.0.1 (0 picks a free one)", wholeNumber(0, 65_535), 8899)
  .option("--slot-ms <ms>", "slot length in milliseconds", wholeNumber(1, 60_000), 400)
  .option(
    "--finality-depth <slots>",
    "slots between confirmed and finalized",
    wholeNumber(0, 10_000),
    31,
  )
  .option(
    "--blockhash-validity-slots <slots>",
    "slots a blockhash stays usable",
    wholeNumber(1, 100_000),
    150,
  )
  .exitOverride()
  .configureOutput({ writeErr: (text) => process.stderr.write(text) });

try {
  program.parse();
} catch (error) {
  if (error instanceof CommanderError) {
    process.exit(error.exitCode === 0 ? 0 : 2);
  }
  throw error;
}

const options = program.opts<CliOptions>();
try {
  const node = await startSvmNode({
    port: options.port,
    slotMs: options.slotMs,
    finalityDepth: options.finalityDepth,
    blockhashValiditySlots: options.blockhashValiditySlots,
    programs: [{ id: IDL_PROGRAM_ADDRESS, elf: await readProgramBinary() }],
  });
  process.stdout.write(`svm-node listening on ${node.url}\n`);
  const stop = (): void => {
    node.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`svm-node: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
} catch (error) {
  process.stderr.write(`svm-node: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
