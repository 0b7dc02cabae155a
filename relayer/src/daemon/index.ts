// The relayer daemon: builds the store, chain adapters, API and
// observability from a loaded config, runs the pipeline every poll interval
// and stops cleanly (API closed, current iteration finished, store closed).
import { readFile } from "node:fs/promises";
import type { Hex } from "@loanbridge/shared";
import { z } from "zod";
import { createApiServer, recentPolls } from "../api/server.ts";
import {
  EvmAttestationSigner,
  type EvmFinality,
  EvmPacketDeliverer,
  EvmPacketVerifier,
  EvmPacketWatcher,
  NonceManager,
} from "../chains/evm/index.ts";
import { JsonRpc } from "../chains/rpc.ts";
import type {
  AttestationSigner,
  ChainKind,
  PacketDeliverer,
  PacketVerifier,
  PacketWatcher,
} from "../chains/types.ts";
import {
  configWarnings,
  type EvmChainConfig,
  loadEvmPrivateKey,
  loadSecret,
  type RelayerConfig,
  type SecretRef,
} from "../config/index.ts";
import { RelayerEvents } from "../observability/events.ts";
import { attachLogger, createLogger, type Logger } from "../observability/logger.ts";
import { attachMetrics, createMetrics } from "../observability/metrics.ts";
import type { PipelineChains, PipelineContext } from "../pipeline/context.ts";
import { startLoop } from "../pipeline/pipeline.ts";
import { Store } from "../store/store.ts";

export interface DaemonOptions {
  env: Readonly<Record<string, string | undefined>>;
  /**
   * Whether this relayer delivers (one executor per deployment). The config
   * schema has no field for it yet, so the CLI passes `--executor`.
   */
  executor?: boolean;
  /** The executor's gas-paying key; this relayer's verifier key when absent. */
  senderKey?: SecretRef;
  /** Fee cap for deliveries, wei. Default 200 gwei. */
  maxFeePerGas?: bigint;
  /** Per peer request when gathering attestations. Default 5 s. */
  peerTimeoutMs?: number;
  /** Extra EVM chains beyond `chains.evm` (the schema holds one; EVM-to-EVM needs two). */
  extraEvmChains?: readonly EvmChainConfig[];
  logger?: Logger;
}

export interface RunningRelayer {
  apiUrl: string;
  context: PipelineContext;
  /** Stops: API closed, the current iteration finished, the store closed. */
  stop(): Promise<void>;
  /** Resolves once stopped. */
  readonly stopped: Promise<void>;
}

const deploymentSchema = z.object({ startBlock: z.int().min(0) });

async function startHeightOf(chain: EvmChainConfig): Promise<bigint> {
  if (chain.deploymentsFile === undefined) return 0n;
  const text = await readFile(chain.deploymentsFile, "utf8");
  const { startBlock } = deploymentSchema.parse(JSON.parse(text));
  return startBlock > 0 ? BigInt(startBlock - 1) : 0n;
}

function finalityOf(chain: EvmChainConfig): EvmFinality {
  return chain.confirmations === "finalized"
    ? { kind: "tag", tag: "finalized" }
    : { kind: "confirmations", confirmations: chain.confirmations };
}

/** The pipeline's chain adapters for the configured EVM chains. */
async function buildEvmChains(
  chains: readonly EvmChainConfig[],
  events: RelayerEvents,
  options: DaemonOptions,
): Promise<{ chains: PipelineChains; startHeights: Map<number, bigint>; signers: string[] }> {
  const watchers: PacketWatcher[] = [];
  const verifiers = new Map<number, PacketVerifier>();
  const deliverers = new Map<number, PacketDeliverer>();
  const signerByEid = new Map<number, AttestationSigner>();
  const kinds = new Map<number, ChainKind>();
  const startHeights = new Map<number, bigint>();
  const signerAddresses = new Set<string>();
  for (const [index, chain] of chains.entries()) {
    const field = index === 0 ? "chains.evm" : `extraEvmChains.${index - 1}`;
    const rpc = new JsonRpc({
      chain: `evm:${chain.eid}`,
      urls: chain.rpcUrls,
      quorum: chain.rpcQuorum,
      timeoutMs: chain.rpcTimeoutMs,
      onCall: (call) => {
        events.emit("rpcCall", {
          chain: "evm",
          method: call.method,
          outcome: call.outcome === "ok" ? "ok" : call.outcome === "timeout" ? "timeout" : "error",
          durationMs: call.seconds * 1000,
          endpoint: call.url,
        });
      },
    });
    const finality = finalityOf(chain);
    const signerKey = await loadEvmPrivateKey(chain.signerKey, {
      env: options.env,
      field: `${field}.signerKey`,
    });
    const senderKey =
      options.senderKey === undefined
        ? signerKey
        : await loadEvmPrivateKey(options.senderKey, { env: options.env, field: "senderKey" });
    const signer = new EvmAttestationSigner(signerKey.reveal());
    signerAddresses.add(signer.signer);
    watchers.push(
      new EvmPacketWatcher({ eid: chain.eid, rpc, endpoint: chain.endpoint, finality }),
    );
    verifiers.set(
      chain.eid,
      new EvmPacketVerifier({ eid: chain.eid, rpc, endpoint: chain.endpoint, finality }),
    );
    const sender = senderKey.reveal();
    deliverers.set(
      chain.eid,
      new EvmPacketDeliverer({
        eid: chain.eid,
        rpc,
        endpoint: chain.endpoint,
        senderKey: sender,
        nonces: new NonceManager(rpc, new EvmAttestationSigner(sender).signer),
        fees: { maxFeePerGas: options.maxFeePerGas ?? 200n * 10n ** 9n },
        ...(chain.chainId !== undefined && { chainId: BigInt(chain.chainId) }),
      }),
    );
    signerByEid.set(chain.eid, signer);
    kinds.set(chain.eid, "evm");
    startHeights.set(chain.eid, await startHeightOf(chain));
  }
  return {
    chains: { watchers, verifiers, deliverers, signers: signerByEid, kinds },
    startHeights,
    signers: [...signerAddresses],
  };
}

/** Builds everything from `config` and starts the API and the pipeline loop. */
export async function startRelayer(
  config: RelayerConfig,
  options: DaemonOptions,
): Promise<RunningRelayer> {
  const logger =
    options.logger ?? createLogger({ level: config.log.level, relayerId: config.relayerId });
  for (const warning of configWarnings(config)) logger.warn(warning);
  if (config.chains.solana !== undefined) {
    logger.warn("chains.solana is configured but the Solana adapters are not built yet; ignored");
  }
  const events = new RelayerEvents({
    onListenerError: (error, event) => {
      logger.error("event listener failed", { event, error: String(error) });
    },
  });
  const metrics = createMetrics();
  attachMetrics(events, metrics);
  attachLogger(events, logger);

  const evmChains = [
    ...(config.chains.evm === undefined ? [] : [config.chains.evm]),
    ...(options.extraEvmChains ?? []),
  ];
  const built = await buildEvmChains(evmChains, events, options);
  const adminToken =
    config.api.adminToken === undefined
      ? undefined
      : await loadSecret(config.api.adminToken, { env: options.env, field: "api.adminToken" });

  const store = await Store.open(config.store, {
    onPoolError: (error) => {
      logger.error("store connection error", { error: error.message });
    },
  });
  const lastPollAt: Record<string, number | undefined> = Object.fromEntries(
    built.chains.watchers.map((watcher) => [`evm:${watcher.eid}`, undefined]),
  );
  const context: PipelineContext = {
    relayerId: config.relayerId,
    store,
    events,
    chains: built.chains,
    settings: config.pipeline,
    executor: options.executor ?? false,
    peers: config.peers,
    peerTimeoutMs: options.peerTimeoutMs ?? 5_000,
    startHeights: built.startHeights,
    onError: (error, where, guid) => {
      logger.warn(`${where} failed`, {
        error: error instanceof Error ? error.message : String(error),
        ...(guid !== undefined && { guid: guid satisfies Hex }),
      });
    },
  };
  const api = createApiServer({
    config: config.api,
    store,
    registry: metrics.registry,
    adminToken,
    readiness: recentPolls(() => lastPollAt, Math.max(30_000, config.pipeline.pollIntervalMs * 5)),
    attestationSigners: built.signers,
    events,
    logger,
  });
  let address: { url: string };
  try {
    address = await api.listen();
  } catch (error) {
    await store.close();
    throw error;
  }
  logger.info("relayer started", {
    api: address.url,
    executor: context.executor,
    chains: evmChains.map((chain) => chain.eid),
    signers: built.signers,
  });
  const loop = startLoop(context, {
    onIteration: (result) => {
      const now = Date.now();
      for (const watched of result.watched) lastPollAt[`evm:${watched.eid}`] = now;
    },
  });
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      logger.info("relayer stopping");
      try {
        await api.close();
      } finally {
        await loop.stop();
        await store.close();
      }
      logger.info("relayer stopped");
    })();
    return stopping;
  };
  const stopped = loop.done.then(() => stopping);
  return { apiUrl: address.url, context, stop, stopped: stopped.then(() => undefined) };
}

/** Runs until SIGINT/SIGTERM; resolves once stopped cleanly. */
export async function runDaemon(config: RelayerConfig, options: DaemonOptions): Promise<void> {
  const relayer = await startRelayer(config, options);
  const onSignal = () => {
    // A failure to stop surfaces through `stopped` below.
    relayer.stop().catch(() => undefined);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    await relayer.stopped;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
