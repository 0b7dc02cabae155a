// A local anvil (from the npm package @foundry-rs/anvil) for chain tests and
// the demo. With `slotsInAnEpoch` anvil reports real `safe` (latest − n) and
// `finalized` (latest − 2n) tags, and it serves eth_getBlockReceipts: the
// chain to test finality and reorgs on (hardhat node's `finalized` is
// `latest`).
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export interface AnvilNode {
  url: string;
  /** Kills the node and resolves once it has exited. */
  stop(): Promise<void>;
}

export interface AnvilOptions {
  /** Gives `safe`/`finalized` tags; anvil's default (0) makes them `latest`. */
  slotsInAnEpoch?: number;
  chainId?: number;
  /** Seconds between blocks; automine (a block per transaction) when absent. */
  blockTimeSeconds?: number;
  /** 0 (default): anvil picks a free port and prints it. */
  port?: number;
  /**
   * `--state`: the chain (blocks, receipts, accounts) is loaded from this
   * file when it exists and written to it when the node stops, so a node
   * started again on it resumes the same chain (its mempool is lost).
   */
  statePath?: string;
}

const READY_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;
const OUTPUT_TAIL_CHARS = 4_000;

/** The platform binary inside node_modules (not the JS wrapper, so stop() kills anvil itself). */
export function anvilBinaryPath(): string {
  const require = createRequire(import.meta.url);
  const arch = process.arch === "x64" ? "amd64" : process.arch;
  const platform = process.platform === "win32" ? "win32" : process.platform;
  const packageJson = require.resolve(`@foundry-rs/anvil-${platform}-${arch}/package.json`);
  return join(dirname(packageJson), "bin", platform === "win32" ? "anvil.exe" : "anvil");
}

export async function startAnvil(options: AnvilOptions = {}): Promise<AnvilNode> {
  const args = ["--host", "127.0.0.1", "--port", String(options.port ?? 0)];
  if (options.slotsInAnEpoch !== undefined) {
    args.push("--slots-in-an-epoch", String(options.slotsInAnEpoch));
  }
  if (options.chainId !== undefined) args.push("--chain-id", String(options.chainId));
  if (options.blockTimeSeconds !== undefined) {
    args.push("--block-time", String(options.blockTimeSeconds));
  }
  if (options.statePath !== undefined) args.push("--state", options.statePath);
  const child = spawn(anvilBinaryPath(), args, { stdio: ["ignore", "pipe", "pipe"] });

  let output = "";
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => {
      resolve();
    });
  });
  const url = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`anvil did not start within ${READY_TIMEOUT_MS} ms:\n${output}`));
    }, READY_TIMEOUT_MS);
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString("utf8")).slice(-OUTPUT_TAIL_CHARS);
      const match = /Listening on (\S+)/.exec(output);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(`http://${match[1]}`);
      }
    };
    // stdout must be drained, or anvil blocks once the pipe buffer fills.
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`anvil exited before listening:\n${output}`));
    });
  });
  const stop = () => stopChild(child, exited);
  try {
    return { url: await url, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}
