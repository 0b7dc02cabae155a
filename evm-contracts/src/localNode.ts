import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface LocalNode {
  /** JSON-RPC endpoint, e.g. `http://127.0.0.1:40123`. */
  url: string;
  /** Kills the node and resolves once its process has exited. */
  stop(): Promise<void>;
}

const PROJECT_DIR = fileURLToPath(new URL("..", import.meta.url));
const READY_TIMEOUT_MS = 30_000;
const POLL_INTERVAL_MS = 100;
const STOP_GRACE_MS = 5_000;
const OUTPUT_TAIL_CHARS = 4_000;

/**
 * Starts `hardhat node` on 127.0.0.1 for this project and resolves once it
 * answers JSON-RPC.
 */
export async function startHardhatNode(options: { port?: number } = {}): Promise<LocalNode> {
  const port = await checkPortFree(options.port ?? 0);
  const url = `http://127.0.0.1:${port}`;
  // Run the CLI entry with this very Node binary: going through npx or a shell
  // could pick up an older system Node, which Hardhat 3 refuses, and would put
  // a wrapper process between us and the node that stop() has to kill.
  const child = spawn(
    process.execPath,
    [hardhatCliPath(), "node", "--hostname", "127.0.0.1", "--port", String(port)],
    { cwd: PROJECT_DIR, stdio: ["ignore", "pipe", "pipe"] },
  );

  let output = "";
  const keepTail = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-OUTPUT_TAIL_CHARS);
  };
  // stdout must be drained too, or the node blocks once the pipe buffer fills.
  child.stdout.on("data", keepTail);
  child.stderr.on("data", keepTail);
  // Without a listener a failed spawn or kill would crash the caller's process.
  child.on("error", (error) => {
    keepTail(Buffer.from(`\n${error.message}\n`));
  });

  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => {
      resolve();
    });
  });
  const stop = () => stopChild(child, exited);

  try {
    await waitUntilReady(url, child, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, stop };
}

function hardhatCliPath(): string {
  const require = createRequire(import.meta.url);
  const packageJsonPath = require.resolve("hardhat/package.json");
  const { bin } = JSON.parse(readFileSync(packageJsonPath, "utf8")) as {
    bin: { hardhat: string };
  };
  return join(dirname(packageJsonPath), bin.hardhat);
}

// `hardhat node` is told a fixed port, so 0 asks the OS for one that is free
// now. A busy port must fail here: the node already on it would answer the
// readiness probe while ours dies of EADDRINUSE.
function checkPortFree(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", (error) => {
      reject(new Error(`cannot use 127.0.0.1:${port} for hardhat node: ${error.message}`));
    });
    server.listen(port, "127.0.0.1", () => {
      const address = server.address();
      if (address === null || typeof address === "string") {
        server.close();
        reject(new Error(`unexpected server address ${String(address)}`));
        return;
      }
      server.close(() => {
        resolve(address.port);
      });
    });
  });
}

async function waitUntilReady(
  url: string,
  child: ChildProcess,
  outputTail: () => string,
): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `hardhat node exited (${child.exitCode ?? child.signalCode}) before answering at ${url}; output tail:\n${outputTail()}`,
      );
    }
    if (await answersChainId(url)) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `hardhat node did not answer eth_chainId at ${url} within ${READY_TIMEOUT_MS} ms; output tail:\n${outputTail()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

async function answersChainId(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(1_000),
    });
    const body = (await response.json()) as { result?: unknown };
    return typeof body.result === "string";
  } catch {
    // Connection refused until the server is listening.
    return false;
  }
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}
