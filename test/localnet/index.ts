// A whole loanbridge on local chains: anvil (real `finalized` tag, a block a
// second) with the EVM contracts, the SBF program on a local Solana JSON-RPC
// node (LiteSVM behind solana-program/node), both sides peered, and N relayer
// processes (`loanbridge run`, each taking its turn delivering) with a k-of-n verifier set on
// both chains, each with its own store, keys and API. The demo and the
// end-to-end tests start this.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, mkdtemp, open, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  contractAt,
  DEV_DEFAULTS,
  deployLoanbridge,
  type EvmDeployment,
} from "@loanbridge/evm-contracts";
import { addressToWire, type Hex, toHex } from "@loanbridge/shared";
import {
  addressBytes,
  airdrop,
  createDeliverLookupTable,
  deploySolana,
  IDL_PROGRAM_ADDRESS,
  readProgramBinary,
  rpcSender,
  SOLANA_DEV_DEFAULTS,
  type SolanaDeployment,
  type SolanaRpc,
  setSolanaPeers,
  solanaRpc,
} from "@loanbridge/solana-program";
import { type SvmNode, startSvmNode } from "@loanbridge/solana-program/node";
import { type Address, createKeyPairSignerFromBytes, type KeyPairSigner } from "@solana/kit";
import {
  Contract,
  type ContractTransactionResponse,
  NonceManager,
  toQuantity,
  Wallet,
} from "ethers";
import { type AnvilNode, startAnvil } from "../../relayer/src/chains/evm/anvil.ts";
import { devKey, providerFor } from "../../relayer/src/chains/evm/testing.ts";
import { solanaKeypair } from "../../relayer/src/chains/solana/testing.ts";

export { solanaKeypair };

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const CLI = join(ROOT, "relayer/src/cli.ts");

export const EVM_EID = 40161;
export const SOLANA_EID = 40168;
/** ETH at $3,000 in Solana stablecoin base units (6 decimals) per 10^18 wei. */
export const ETH_PRICE = 3_000n * 10n ** 6n;
export const ETH_PRICE_ID = new Uint8Array(32).fill(0xe7);
export const SOLANA_LIQUIDITY = 1_000_000n * 10n ** 6n;
/** SOL at $150 in EVM stablecoin base units (6 decimals) per 10^18 lamports. */
export const SOL_PRICE = 150n * 10n ** 9n * 10n ** 6n;
export const SOL_PRICE_ID = new Uint8Array(32).fill(0x50);
export const EVM_LIQUIDITY = 1_000_000n * 10n ** 6n;
const NATIVE = `0x${"00".repeat(32)}`;

export interface LocalnetOptions {
  relayers?: number;
  threshold?: number;
  /** Where relayer configs, stores and logs go; a temp dir when absent (removed on stop). */
  workDir?: string;
  /** Relayer poll interval. Default 250 ms. */
  pollIntervalMs?: number;
  /** Each relayer's `pipeline.deliverConcurrency`. Default: the config's (8). */
  deliverConcurrency?: number;
  /** Each relayer's `store.threadNiceness`. Default: the store's (10). */
  storeThreadNiceness?: number;
  /** Solana slot time and finality depth. Defaults 100 ms and 8 slots. */
  slotMs?: number;
  finalityDepth?: number;
  /**
   * The relayers that take their turn delivering (`executor.enabled`), by
   * index; the others only confirm. Default: all of them.
   */
  executors?: readonly number[];
  /** `executor.takeoverWindowMs`. Default 3 s. */
  takeoverWindowMs?: number;
  /**
   * Each relayer's RPC URLs for a chain, given that chain's node URL (the
   * fault tests put proxies here). Default: the node alone, trusted with
   * `insecureSingleRpc`.
   */
  rpcUrls?: (
    chain: "evm" | "solana",
    node: string,
    relayer: number,
  ) => Promise<readonly string[]> | readonly string[];
  log?: (line: string) => void;
}

export interface RelayerProcess {
  index: number;
  apiUrl: string;
  configFile: string;
  logFile: string;
  executor: boolean;
  /** Whether the process is running. */
  readonly running: boolean;
  /** SIGTERM and wait for a clean exit. */
  stop(): Promise<void>;
  /** SIGKILL: dies mid-whatever. */
  kill(): Promise<void>;
  /**
   * Starts the process again with the same config and store; `extraEnv` is
   * added to its environment for this run (e.g. `LOANBRIDGE_CRASH_AT`).
   */
  start(extraEnv?: NodeJS.ProcessEnv): Promise<void>;
  /** Its EVM delivery sender's address (it pays EVM deliveries). */
  evmSender: string;
}

export interface Localnet {
  workDir: string;
  /** The network file the `loanbridge` user commands read (`--network`). */
  networkFile: string;
  evm: {
    url: string;
    deployment: EvmDeployment;
    deployer: NonceManager;
    /** Stops anvil (its chain saved to the work dir) and resolves once it exited. */
    stopNode(): Promise<void>;
    /** Starts anvil again on the same port and chain (blocks, receipts, accounts). */
    startNode(): Promise<void>;
  };
  solana: {
    url: string;
    node: SvmNode;
    rpc: SolanaRpc;
    deployment: SolanaDeployment;
    admin: KeyPairSigner;
    /** The lookup table deliveries load their static accounts from (`chains.solana.lookupTable`). */
    lookupTable: Address;
  };
  relayers: RelayerProcess[];
  /**
   * The verifier keys, relayer-i's at index i (secp256k1 for EVM, a 64-byte
   * ed25519 keypair for Solana): for tests that act as whoever holds a
   * threshold of attestations.
   */
  verifierKeys: { evm: Hex; solana: Uint8Array }[];
  stop(): Promise<void>;
}

/**
 * A metric's total over its series in a relayer's /metrics, only those
 * whose line contains `having` (each of them, when several) when given
 * (NaN when none).
 */
export async function relayerMetric(
  relayer: Pick<RelayerProcess, "apiUrl">,
  name: string,
  having: string | readonly string[] = "",
): Promise<number> {
  const text = await (await fetch(`${relayer.apiUrl}/metrics`)).text();
  const wanted = typeof having === "string" ? [having] : having;
  const values = text
    .split("\n")
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .filter((line) => wanted.every((part) => line.includes(part)))
    .map((line) => Number(line.slice(line.lastIndexOf(" ") + 1)));
  return values.length === 0 ? Number.NaN : values.reduce((sum, value) => sum + value, 0);
}

/** The takeovers a relayer logged, with how long it waited for the relayers before it. */
export async function loggedTakeovers(
  relayer: Pick<RelayerProcess, "logFile">,
): Promise<{ guid: Hex; waitedMs: number }[]> {
  const lines = (await readFile(relayer.logFile, "utf8")).split("\n");
  return lines
    .filter((line) => line.includes('"taking over a packet\'s delivery"'))
    .map((line) => JSON.parse(line) as { guid: Hex; waitedMs: number });
}

/** A free loopback port (the API must know its peers' URLs before they start). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const address = server.address();
  await new Promise<void>((done) =>
    server.close(() => {
      done();
    }),
  );
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

/** Verifier keys of relayer `i`: a secp256k1 key for EVM, an ed25519 keypair for Solana. */
function relayerKeys(count: number) {
  return Array.from({ length: count }, (_, i) => ({
    evm: Wallet.createRandom().privateKey as Hex,
    solana: solanaKeypair(),
    index: i,
  }));
}

async function waitForHealthy(url: string, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`relayer exited with ${child.exitCode} while starting; see ${logFile}`);
    }
    try {
      const reply = await fetch(`${url}/healthz`);
      if (reply.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`relayer at ${url} not healthy within 60 s; see ${logFile}`);
}

export async function startLocalnet(options: LocalnetOptions = {}): Promise<Localnet> {
  const count = options.relayers ?? 3;
  const threshold = options.threshold ?? 2;
  const log = options.log ?? (() => undefined);
  const ownsWorkDir = options.workDir === undefined;
  const workDir = options.workDir ?? (await mkdtemp(join(tmpdir(), "loanbridge-localnet-")));
  await mkdir(workDir, { recursive: true });
  const cleanups: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch(() => undefined);
    }
    if (ownsWorkDir) await rm(workDir, { recursive: true, force: true });
  };
  try {
    log("starting anvil (EVM, a block a second, finalized = latest − 4)");
    const anvilOptions = {
      slotsInAnEpoch: 2,
      blockTimeSeconds: 1,
      statePath: join(workDir, "anvil-state.json"),
    };
    let anvil: AnvilNode | undefined = await startAnvil(anvilOptions);
    const anvilUrl = anvil.url;
    cleanups.push(() => anvil?.stop() ?? Promise.resolve());
    log("starting the Solana node (LiteSVM + the SBF program)");
    const node = await startSvmNode({
      programs: [{ id: IDL_PROGRAM_ADDRESS, elf: await readProgramBinary() }],
      slotMs: options.slotMs ?? 100,
      finalityDepth: options.finalityDepth ?? 8,
    });
    cleanups.push(() => node.stop());
    const rpc = solanaRpc(node.url);

    const keys = relayerKeys(count);
    const solanaSigners = await Promise.all(
      keys.map((key) => createKeyPairSignerFromBytes(key.solana)),
    );
    const admin = await createKeyPairSignerFromBytes(solanaKeypair());
    await airdrop(rpc, admin.address, 1_000n);
    // Each relayer pays its Solana deliveries with its own keypair.
    if (solanaSigners.length === 0) throw new Error("at least one relayer");
    for (const signer of solanaSigners) await airdrop(rpc, signer.address, 100n);

    log("configuring the Solana program");
    const send = rpcSender(rpc, { feePayer: admin });
    const solanaDeployment = await deploySolana(rpc, send, admin, {
      localEid: SOLANA_EID,
      remoteEid: EVM_EID,
      verifiers: solanaSigners.map((signer) => signer.address),
      threshold,
      vault: SOLANA_DEV_DEFAULTS.vault,
      pool: SOLANA_DEV_DEFAULTS.pool,
      collateral: {
        priceId: ETH_PRICE_ID,
        price: ETH_PRICE,
        maxLtvBps: 7_000,
        liquidationLtvBps: 8_000,
      },
      stablecoinDecimals: SOLANA_DEV_DEFAULTS.stablecoinDecimals,
      initialLiquidity: SOLANA_LIQUIDITY,
    });

    log("deploying the EVM contracts");
    const deployer = new NonceManager(new Wallet(devKey(0), providerFor(anvilUrl)));
    const evmDeployment = await deployLoanbridge(deployer, {
      localEid: EVM_EID,
      remoteEid: SOLANA_EID,
      verifiers: keys.map((key) => new Wallet(key.evm).address),
      threshold,
      remoteVault: toHex(addressBytes(solanaDeployment.vault)),
      remotePool: toHex(addressBytes(solanaDeployment.pool)),
      remoteBeneficiary: toHex(addressBytes(admin.address)),
      vault: DEV_DEFAULTS.vault,
      pool: DEV_DEFAULTS.pool,
    });
    await setSolanaPeers(send, admin, solanaDeployment, {
      vault: addressToWire(evmDeployment.contracts.collateralVault),
      pool: addressToWire(evmDeployment.contracts.lendingPool),
      beneficiary: addressToWire(await deployer.getAddress()),
    });
    log("creating the Solana lookup table for deliveries");
    // The accounts every Deliver names, so an OPEN_LOAN with 3 signatures
    // and the compute budget fits a transaction; the relayers load it.
    const lookupTable = await createDeliverLookupTable(rpc, send, admin, solanaDeployment, {
      priceId: ETH_PRICE_ID,
    });
    log("funding the EVM pool and pricing SOL collateral");
    await configureEvmPool(deployer, evmDeployment);
    const deploymentsFile = join(workDir, "evm-deployment.json");
    await writeFile(deploymentsFile, JSON.stringify(evmDeployment, null, 2));

    const networkFile = join(workDir, "network.json");
    await writeFile(
      networkFile,
      JSON.stringify(
        {
          evm: {
            eid: EVM_EID,
            rpcUrl: anvilUrl,
            vault: evmDeployment.contracts.collateralVault,
            pool: evmDeployment.contracts.lendingPool,
            stablecoin: evmDeployment.contracts.stablecoin,
            priceFeed: evmDeployment.contracts.priceFeed,
          },
          solana: {
            eid: SOLANA_EID,
            rpcUrl: node.url,
            programId: IDL_PROGRAM_ADDRESS,
            stablecoin: solanaDeployment.stablecoin,
            // An SPL mint has no symbol of its own; the EVM side reads its token's.
            stablecoinSymbol: "dUSD",
            lookupTable,
          },
        },
        null,
        2,
      ),
    );

    // Each relayer pays its EVM deliveries from its own sender key (relayer-0
    // the dev account 5, the others fresh keys funded here).
    const executors = new Set(options.executors ?? keys.map((_, index) => index));
    const senderKeys = keys.map((_, index) => (index === 0 ? devKey(5) : devKey(40 + index)));
    for (const key of senderKeys.slice(1)) {
      await providerFor(anvilUrl).send("anvil_setBalance", [
        new Wallet(key).address,
        toQuantity(10n ** 21n),
      ]);
    }
    const ports = await Promise.all(keys.map(() => freePort()));
    const urls = ports.map((port) => `http://127.0.0.1:${port}`);
    const relayers = await Promise.all(
      keys.map(async (key, index) => {
        const dir = join(workDir, `relayer-${index}`);
        await mkdir(dir, { recursive: true });
        const rpc = async (chain: "evm" | "solana", node: string) => {
          const rpcUrls = [...((await options.rpcUrls?.(chain, node, index)) ?? [node])];
          // A chain here is one local node this process started, so without
          // proxies there is no second provider to ask: it is trusted alone.
          return { rpcUrls, insecureSingleRpc: rpcUrls.length === 1 };
        };
        const config = {
          relayerId: `relayer-${index}`,
          store: {
            kind: "pglite",
            dataDir: join(dir, "store"),
            ...(options.storeThreadNiceness !== undefined && {
              threadNiceness: options.storeThreadNiceness,
            }),
          },
          api: { host: "127.0.0.1", port: ports[index], adminToken: { env: "LB_ADMIN_TOKEN" } },
          log: { level: "info" },
          chains: {
            evm: {
              eid: EVM_EID,
              ...(await rpc("evm", anvilUrl)),
              endpoint: evmDeployment.contracts.endpoint,
              confirmations: "finalized",
              deploymentsFile,
              signerKey: { env: "LB_EVM_SIGNER_KEY" },
              // The API shows principal amounts with the pool's stablecoin's decimals.
              assets: [
                {
                  asset: evmDeployment.contracts.stablecoin,
                  symbol: "dUSD",
                  decimals: 6,
                  principal: true,
                },
              ],
            },
            solana: {
              eid: SOLANA_EID,
              ...(await rpc("solana", node.url)),
              programId: IDL_PROGRAM_ADDRESS,
              commitment: "finalized",
              keypair: { env: "LB_SOLANA_KEYPAIR" },
              lookupTable,
              assets: [
                {
                  asset: solanaDeployment.stablecoin,
                  symbol: "dUSD",
                  decimals: SOLANA_DEV_DEFAULTS.stablecoinDecimals,
                  principal: true,
                },
              ],
            },
          },
          peers: urls.filter((_, other) => other !== index),
          pipeline: {
            pollIntervalMs: options.pollIntervalMs ?? 250,
            retryBackoff: { initialMs: 250, maxMs: 5_000 },
            ...(options.deliverConcurrency !== undefined && {
              deliverConcurrency: options.deliverConcurrency,
            }),
          },
          executor: {
            enabled: executors.has(index),
            takeoverWindowMs: options.takeoverWindowMs ?? 3_000,
            evmSenderKey: { env: "LB_EVM_SENDER_KEY" },
            peerTimeoutMs: 2_000,
          },
        };
        const configFile = join(dir, "relayer.json");
        await writeFile(configFile, JSON.stringify(config, null, 2));
        const env = {
          ...process.env,
          LB_ADMIN_TOKEN: `admin-token-${index}`,
          LB_EVM_SIGNER_KEY: key.evm,
          LB_SOLANA_KEYPAIR: JSON.stringify([...key.solana]),
          LB_EVM_SENDER_KEY: senderKeys[index],
        };
        return relayerProcess({
          index,
          apiUrl: urls[index] ?? "",
          configFile,
          logFile: join(dir, "relayer.log"),
          env,
          executor: executors.has(index),
          evmSender: new Wallet(senderKeys[index] ?? "").address,
        });
      }),
    );
    for (const relayer of relayers) cleanups.push(() => relayer.stop());
    log(
      `starting ${count} relayers (${threshold} of ${count}; executing: ${[...executors].map((i) => `relayer-${i}`).join(", ")})`,
    );
    await Promise.all(relayers.map((relayer) => relayer.start()));
    return {
      workDir,
      networkFile,
      evm: {
        url: anvilUrl,
        deployment: evmDeployment,
        deployer,
        stopNode: async () => {
          await anvil?.stop();
          anvil = undefined;
        },
        startNode: async () => {
          if (anvil !== undefined) return;
          anvil = await startAnvil({ ...anvilOptions, port: Number(new URL(anvilUrl).port) });
        },
      },
      solana: { url: node.url, node, rpc, deployment: solanaDeployment, admin, lookupTable },
      relayers,
      verifierKeys: keys.map(({ evm, solana }) => ({ evm, solana })),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The EVM pool lends against native SOL: a collateral setting, a price, and liquidity. */
async function configureEvmPool(deployer: NonceManager, deployment: EvmDeployment): Promise<void> {
  const { lendingPool, priceFeed, stablecoin } = deployment.contracts;
  const pool = await contractAt(lendingPool, "contracts/LendingPool.sol", "LendingPool", deployer);
  const feed = await contractAt(
    priceFeed,
    "contracts/price/AdminPriceFeed.sol",
    "AdminPriceFeed",
    deployer,
  );
  const coin = await contractAt(
    stablecoin,
    "contracts/dev/DevStablecoin.sol",
    "DevStablecoin",
    deployer,
  );
  const lender = await deployer.getAddress();
  const sent = async (contract: Contract, method: string, ...args: unknown[]) => {
    const tx = (await contract.getFunction(method)(...args)) as ContractTransactionResponse;
    await tx.wait();
  };
  await sent(pool, "setCollateral", SOLANA_EID, NATIVE, {
    maxLtvBps: 5_000,
    liquidationLtvBps: 8_000,
    priceId: toHex(SOL_PRICE_ID),
  });
  await sent(feed, "setPrice", toHex(SOL_PRICE_ID), SOL_PRICE);
  await sent(coin, "mint", lender, EVM_LIQUIDITY);
  await sent(coin, "approve", lendingPool, EVM_LIQUIDITY);
  await sent(pool, "deposit", EVM_LIQUIDITY, lender);
}

export { contractAt };

function relayerProcess(spec: {
  index: number;
  apiUrl: string;
  configFile: string;
  logFile: string;
  env: NodeJS.ProcessEnv;
  executor: boolean;
  evmSender: string;
}): RelayerProcess {
  const { index, apiUrl, configFile, logFile, env, executor, evmSender } = spec;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const running = () => child !== undefined && child.exitCode === null && child.signalCode === null;
  const halt = async (signal: NodeJS.Signals) => {
    if (!running()) return;
    child?.kill(signal);
    await exited;
  };
  return {
    index,
    apiUrl,
    configFile,
    logFile,
    executor,
    evmSender,
    get running() {
      return running();
    },
    stop: () => halt("SIGTERM"),
    kill: () => halt("SIGKILL"),
    async start(extraEnv = {}) {
      if (running()) return;
      // Straight to the file, not through a pipe to this process: a log
      // write to a full pipe blocks the relayer's thread until this process,
      // busy with the Solana node and the load, reads it.
      const log = await open(logFile, "a");
      let started: ChildProcess;
      try {
        started = spawn(process.execPath, [CLI, "run", "--config", configFile], {
          env: { ...env, ...extraEnv },
          stdio: ["ignore", log.fd, log.fd],
        });
      } finally {
        await log.close();
      }
      child = started;
      exited = new Promise((done) =>
        started.once("exit", () => {
          done();
        }),
      );
      await waitForHealthy(apiUrl, started, logFile);
    },
  };
}
