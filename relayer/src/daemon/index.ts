// The relayer daemon: builds the store, chain adapters, API and
// observability from a loaded config, runs the pipeline loop (pipeline.ts)
// and stops cleanly (API closed, the current pass and its deliveries finished
// or abandoned, store closed).
import { readFile } from "node:fs/promises";
import type { Hex } from "@loanbridge/shared";
import { getBase58Decoder } from "@solana/kit";
import { z } from "zod";
import { ChainDirectory } from "../api/chains.ts";
import type { ChainProgress } from "../api/present.ts";
import { createApiServer, type PollFailure, recentPolls } from "../api/server.ts";
import {
  EvmAttestationSigner,
  type EvmFinality,
  EvmLoanApps,
  EvmPacketDeliverer,
  EvmPacketVerifier,
  EvmPacketWatcher,
  EvmPoolReader,
  latestHead,
  NonceManager,
} from "../chains/evm/index.ts";
import { JsonRpc } from "../chains/rpc.ts";
import {
  ed25519AttestationSigner,
  SolanaLoanApps,
  SolanaPacketDeliverer,
  SolanaPacketVerifier,
  SolanaPacketWatcher,
  SolanaPoolReader,
} from "../chains/solana/index.ts";
import { latestSlot } from "../chains/solana/head.ts";
import type {
  AttestationSigner,
  ChainKind,
  LoanAppRegistry,
  PacketDeliverer,
  PacketVerifier,
  PacketWatcher,
  PoolLoanReader,
} from "../chains/types.ts";
import {
  configWarnings,
  type EvmChainConfig,
  loadSecret,
  type RelayerConfig,
  type SecretRef,
  type SolanaChainConfig,
} from "../config/index.ts";
import { RelayerEvents } from "../observability/events.ts";
import { attachLogger, createLogger, type Logger } from "../observability/logger.ts";
import { attachMetrics, createMetrics, initMetrics } from "../observability/metrics.ts";
import {
  CRASH_POINTS,
  type CrashPoint,
  leaseOwner,
  type PipelineChains,
  type PipelineContext,
} from "../pipeline/context.ts";
import { acceptPushedAttestations } from "../pipeline/gather.ts";
import { type PipelineLoop, startLoop } from "../pipeline/pipeline.ts";
import {
  loadEd25519KeySigner,
  loadEvmKeySigner,
  loadEvmSenderKey,
  loadSolanaPayerKeypair,
} from "../signing/load.ts";
import { FailureBackoff } from "../pipeline/backoff.ts";
import { ReadyTimes } from "../pipeline/takeover.ts";
import { ScanAsks } from "../pipeline/schedules.ts";
import { Store } from "../store/store.ts";

export interface DaemonOptions {
  env: Readonly<Record<string, string | undefined>>;
  /** Overrides `executor.enabled` (the CLI's `--executor`). */
  executor?: boolean;
  /** Overrides `executor.evmSenderKey` (the CLI's `--sender-key-*`). */
  senderKey?: SecretRef;
  /** Overrides `executor.maxFeePerGasGwei`, in wei. */
  maxFeePerGas?: bigint;
  /** Extra EVM chains beyond `chains.evm` (EVM-to-EVM test topologies). */
  extraEvmChains?: readonly EvmChainConfig[];
  logger?: Logger;
  /**
   * An in-memory store starts from this image instead of running initdb
   * (OpenStoreOptions.memoryImage): for tests, which start many relayers.
   */
  memoryImage?: Blob;
}

export interface RunningRelayer {
  apiUrl: string;
  context: PipelineContext;
  /** Stops: API closed, the current pass and its deliveries ended, the store closed. */
  stop(): Promise<void>;
  /** Resolves once stopped. */
  readonly stopped: Promise<void>;
}

/** What the relayer reads of `evm-contracts/scripts/deploy.ts`'s file. */
const deploymentSchema = z.object({
  startBlock: z.int().min(0),
  contracts: z
    .object({
      collateralVault: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
      lendingPool: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
    })
    .optional(),
});

/** The longest pause between two reads of a chain that keeps failing them. */
const UNREACHABLE_RETRY_MAX_MS = 10_000;

/**
 * Fault injection for the end-to-end suite: `LOANBRIDGE_CRASH_AT=<point>`
 * kills this process with SIGKILL (no cleanup, as `kill -9` would) the
 * first time a packet reaches that point (CRASH_POINTS). Unset in production.
 */
export function crashPointFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  logger: Logger,
): ((point: CrashPoint) => void) | undefined {
  const wanted = env.LOANBRIDGE_CRASH_AT;
  if (wanted === undefined || wanted === "") return undefined;
  if (!(CRASH_POINTS as readonly string[]).includes(wanted)) {
    throw new Error(`LOANBRIDGE_CRASH_AT must be one of ${CRASH_POINTS.join(", ")}, got ${wanted}`);
  }
  logger.warn("fault injection: this relayer kills itself at a pipeline point", { point: wanted });
  return (point) => {
    if (point === wanted) process.kill(process.pid, "SIGKILL");
  };
}

/** The chain's deployment file, when the config names one. */
async function deploymentOf(
  chain: EvmChainConfig,
): Promise<z.output<typeof deploymentSchema> | undefined> {
  if (chain.deploymentsFile === undefined) return undefined;
  const text = await readFile(chain.deploymentsFile, "utf8");
  return deploymentSchema.parse(JSON.parse(text));
}

/** The configured chains whose reads trust one RPC endpoint (a quorum of one). */
/** Each chain's newest head is read for at most this long; a chain that does not answer shows none. */
const LATEST_HEAD_TIMEOUT_MS = 2_000;

/** The polls' progress plus each chain's newest head, read now. */
async function withLatestHeads(
  parts: readonly ChainParts[],
  progress: ReadonlyMap<number, ChainProgress>,
): Promise<Map<number, ChainProgress>> {
  const heads = await Promise.all(
    parts.map((part) =>
      Promise.race([
        part.latestHead(),
        new Promise<undefined>((resolve) => {
          setTimeout(() => {
            resolve(undefined);
          }, LATEST_HEAD_TIMEOUT_MS).unref();
        }),
      ]).catch(() => undefined),
    ),
  );
  return new Map(
    parts.map((part, index) => {
      const head = heads[index];
      return [part.eid, { ...progress.get(part.eid), ...(head !== undefined && { head }) }];
    }),
  );
}

function singleRpcChains(config: RelayerConfig): { name: string; eid: number }[] {
  return Object.entries(config.chains).flatMap(([name, chain]) =>
    chain !== undefined && chain.rpcQuorum < 2 ? [{ name, eid: chain.eid }] : [],
  );
}

function finalityOf(chain: EvmChainConfig): EvmFinality {
  return chain.confirmations === "finalized"
    ? { kind: "tag", tag: "finalized" }
    : { kind: "confirmations", confirmations: chain.confirmations };
}

/** One chain's adapters, as the pipeline and the API need them. */
interface ChainParts {
  eid: number;
  kind: ChainKind;
  watcher: PacketWatcher;
  verifier: PacketVerifier;
  deliverer: PacketDeliverer;
  /** The lending pool's loans (the installment mirror). */
  poolReader: PoolLoanReader;
  /** Its own loan apps, when the chain names them (loans.ts: which packets speak for loans). */
  loanApps?: LoanAppRegistry;
  signer: AttestationSigner;
  startHeight: bigint;
  /** Its RPC endpoints' labels (for the metrics' zero series). */
  rpcEndpoints: readonly string[];
  /** The account its deliveries are paid from. */
  payingAccount: string;
  /** The newest block/slot, finalized or not (`/v1/status` shows how far finality lags). */
  latestHead: () => Promise<bigint>;
}

interface BuildContext {
  config: RelayerConfig;
  options: DaemonOptions;
  events: RelayerEvents;
  /** Aborted when the relayer stops. */
  signal: AbortSignal;
}

function rpcFor(
  kind: ChainKind,
  chain: { eid: number; rpcUrls: string[]; rpcQuorum: number; rpcTimeoutMs: number },
  { events, signal }: Pick<BuildContext, "events" | "signal">,
): JsonRpc {
  return new JsonRpc({
    chain: `${kind}:${chain.eid}`,
    urls: chain.rpcUrls,
    quorum: chain.rpcQuorum,
    timeoutMs: chain.rpcTimeoutMs,
    signal,
    onCall: (call) => {
      events.emit("rpcCall", {
        chain: kind,
        method: call.method,
        outcome: call.outcome === "ok" ? "ok" : call.outcome === "timeout" ? "timeout" : "error",
        durationMs: call.seconds * 1000,
        endpoint: call.url,
      });
    },
    onDisagreement: ({ method, url }) => {
      events.emit("rpcDisagreement", { chain: kind, method, endpoint: url });
    },
  });
}

async function buildEvmChain(
  chain: EvmChainConfig,
  field: string,
  { config, options, events, signal }: BuildContext,
): Promise<ChainParts> {
  const rpc = rpcFor("evm", chain, { events, signal });
  const finality = finalityOf(chain);
  const attestationKey = await loadEvmKeySigner(chain.signerKey, {
    env: options.env,
    field: `${field}.signerKey`,
  });
  const sender = await loadEvmSenderKey(
    {
      attestationKey: chain.signerKey,
      attestationField: `${field}.signerKey`,
      executorKey: options.senderKey ?? config.executor.evmSenderKey,
      executorField: "executor.evmSenderKey",
      executor: options.executor ?? config.executor.enabled,
    },
    { env: options.env },
  );
  const maxFeePerGas = options.maxFeePerGas ?? BigInt(config.executor.maxFeePerGasGwei) * 10n ** 9n;
  const deployment = await deploymentOf(chain);
  const apps = deployment?.contracts;
  return {
    eid: chain.eid,
    kind: "evm",
    latestHead: () => latestHead(rpc),
    watcher: new EvmPacketWatcher({ eid: chain.eid, rpc, endpoint: chain.endpoint, finality }),
    verifier: new EvmPacketVerifier({ eid: chain.eid, rpc, endpoint: chain.endpoint, finality }),
    poolReader: new EvmPoolReader({ eid: chain.eid, rpc, finality }),
    deliverer: new EvmPacketDeliverer({
      eid: chain.eid,
      rpc,
      endpoint: chain.endpoint,
      senderKey: sender,
      nonces: new NonceManager(rpc, new EvmAttestationSigner(sender).signer),
      fees: { maxFeePerGas },
      ...(chain.chainId !== undefined && { chainId: BigInt(chain.chainId) }),
      onEvent: (event) => {
        if (event.kind === "fee_cap_reached") {
          events.emit("feeCapReached", {
            chain: "evm",
            dstEid: chain.eid,
            guid: event.guid,
            maxFeePerGas: event.maxFeePerGas,
          });
        }
      },
    }),
    signer: new EvmAttestationSigner(attestationKey),
    // Watch from the block before the endpoint's deployment.
    startHeight:
      deployment === undefined || deployment.startBlock === 0
        ? 0n
        : BigInt(deployment.startBlock - 1),
    ...(apps !== undefined && {
      loanApps: new EvmLoanApps({
        eid: chain.eid,
        rpc,
        finality,
        endpoint: chain.endpoint,
        apps: { vault: apps.collateralVault, pool: apps.lendingPool },
      }),
    }),
    rpcEndpoints: rpc.endpoints.map((endpoint) => endpoint.label),
    payingAccount: new EvmAttestationSigner(sender).signer,
  };
}

async function buildSolanaChain(
  chain: SolanaChainConfig,
  remoteEids: readonly number[],
  { config, options, events, signal }: BuildContext,
): Promise<ChainParts> {
  const rpc = rpcFor("solana", chain, { events, signal });
  const attestationKey = await loadEd25519KeySigner(chain.keypair, {
    env: options.env,
    field: "chains.solana.keypair",
  });
  const payer = await loadSolanaPayerKeypair(
    {
      attestationKey: chain.keypair,
      attestationField: "chains.solana.keypair",
      executorKey: config.executor.solanaPayerKeypair,
      executorField: "executor.solanaPayerKeypair",
      executor: options.executor ?? config.executor.enabled,
    },
    { env: options.env },
  );
  const source = { eid: chain.eid, rpc, programId: chain.programId, commitment: chain.commitment };
  const { executor } = config;
  const deliverer = new SolanaPacketDeliverer({
    eid: chain.eid,
    rpc,
    programId: chain.programId,
    payerKeypair: payer,
    ...(chain.lookupTable !== undefined && { lookupTable: chain.lookupTable }),
    priorityFee: {
      percentile: executor.computeUnitPricePercentile,
      floor: BigInt(executor.computeUnitPriceMicroLamports),
      cap: BigInt(executor.maxComputeUnitPriceMicroLamports),
    },
    computeUnitMargin: {
      bps: executor.computeUnitMarginBps,
      units: executor.computeUnitMarginUnits,
    },
    onEvent: (event) => {
      if (event.kind === "expired") {
        events.emit("deliveryExpired", {
          chain: "solana",
          dstEid: chain.eid,
          guid: event.guid,
          tx: event.signature,
          attempt: event.attempt,
        });
      } else if (event.kind === "sent") {
        events.emit("deliveryBudget", {
          chain: "solana",
          dstEid: chain.eid,
          guid: event.guid,
          tx: event.signature,
          computeUnitLimit: event.computeUnitLimit,
          computeUnitPrice: event.computeUnitPrice,
          bytes: event.size,
          lookupTable: event.lookupTable,
        });
      } else if (event.kind === "accounts_moved") {
        events.emit("deliveryAccountsMoved", {
          chain: "solana",
          dstEid: chain.eid,
          guid: event.guid,
          rebuilds: event.rebuilds,
        });
      } else if (event.kind === "lookup_table") {
        events.emit("lookupTableRead", {
          chain: "solana",
          dstEid: chain.eid,
          table: event.table,
          ...("error" in event ? { error: event.error } : { usable: event.usable }),
        });
      }
    },
  });
  // Read now so a table that cannot be used is a warning at startup, not at
  // the first delivery; not awaited: an unreachable RPC must not hold the start.
  void deliverer.refreshLookupTable().catch(() => undefined);
  return {
    eid: chain.eid,
    kind: "solana",
    latestHead: () => latestSlot(rpc),
    watcher: new SolanaPacketWatcher({
      ...source,
      remoteEids,
      maxPackets: config.pipeline.batchSize,
    }),
    verifier: new SolanaPacketVerifier(source),
    poolReader: new SolanaPoolReader(source),
    loanApps: new SolanaLoanApps(source),
    deliverer,
    signer: ed25519AttestationSigner(attestationKey),
    // Packets are walked by nonce from the first; the height only tracks the head.
    startHeight: 0n,
    rpcEndpoints: rpc.endpoints.map((endpoint) => endpoint.label),
    // A keypair's last 32 bytes are its public key, the address.
    payingAccount: getBase58Decoder().decode(payer.subarray(32, 64)),
  };
}

/** The pipeline's chain adapters for every configured chain. */
async function buildChains(context: BuildContext): Promise<ChainParts[]> {
  const { config, options } = context;
  const parts: ChainParts[] = [];
  const evmChains = [
    ...(config.chains.evm === undefined ? [] : [config.chains.evm]),
    ...(options.extraEvmChains ?? []),
  ];
  for (const [index, chain] of evmChains.entries()) {
    const field = index === 0 ? "chains.evm" : `extraEvmChains.${index - 1}`;
    parts.push(await buildEvmChain(chain, field, context));
  }
  if (config.chains.solana !== undefined) {
    const remoteEids = evmChains.map((chain) => chain.eid);
    parts.push(await buildSolanaChain(config.chains.solana, remoteEids, context));
  }
  return parts;
}

function pipelineChains(parts: readonly ChainParts[]): PipelineChains {
  return {
    watchers: parts.map((part) => part.watcher),
    verifiers: new Map(parts.map((part) => [part.eid, part.verifier])),
    deliverers: new Map(parts.map((part) => [part.eid, part.deliverer])),
    signers: new Map(parts.map((part) => [part.eid, part.signer])),
    kinds: new Map(parts.map((part) => [part.eid, part.kind])),
    poolReaders: new Map(parts.map((part) => [part.eid, part.poolReader])),
    loanApps: new Map(
      parts.flatMap((part) => (part.loanApps === undefined ? [] : [[part.eid, part.loanApps]])),
    ),
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
  const events = new RelayerEvents({
    onListenerError: (error, event) => {
      logger.error("event listener failed", { event, error: String(error) });
    },
  });
  const metrics = createMetrics();
  attachMetrics(events, metrics);
  attachLogger(events, logger);

  // Stopping aborts every RPC call and peer request in flight, so a stop
  // takes moments even when the chains do not answer.
  const shutdown = new AbortController();
  const parts = await buildChains({ config, options, events, signal: shutdown.signal });
  const executor = options.executor ?? config.executor.enabled;
  initMetrics(metrics, {
    relayerId: config.relayerId,
    chains: parts,
    ...(executor && {
      wallets: parts.map(({ kind, eid, payingAccount }) => ({ kind, eid, account: payingAccount })),
    }),
  });
  const trustedAlone = singleRpcChains(config);
  for (const part of parts) {
    const alone = trustedAlone.some((chain) => chain.eid === part.eid);
    metrics.insecureSingleRpc.set({ chain: part.kind, eid: String(part.eid) }, alone ? 1 : 0);
  }
  const signers = [...new Set(parts.map((part) => part.signer.signer))];
  const adminToken =
    config.api.adminToken === undefined
      ? undefined
      : await loadSecret(config.api.adminToken, { env: options.env, field: "api.adminToken" });

  const store = await Store.open(config.store, {
    onPoolError: (error) => {
      logger.error("store connection error", { error: error.message });
    },
    ...(options.memoryImage !== undefined && { memoryImage: options.memoryImage }),
  });
  const storeThread = store.threadPriority;
  if (storeThread !== undefined && "unchanged" in storeThread) {
    logger.warn("the store's thread runs at the relayer's CPU priority", {
      error: storeThread.unchanged,
    });
  }
  const released = await store.releaseAllLeases(leaseOwner({ relayerId: config.relayerId }));
  if (released > 0) logger.info("took back the leases of the previous run", { packets: released });
  const pollKey = (eid: number) =>
    `${parts.find((part) => part.eid === eid)?.kind ?? "evm"}:${eid}`;
  const lastPollAt: Record<string, number | undefined> = Object.fromEntries(
    parts.map((part) => [pollKey(part.eid), undefined]),
  );
  const lastPollFailure: Record<string, PollFailure | undefined> = {};
  // For /v1/status: the finalized head from each poll, the newest read when asked.
  const progress = new Map<number, ChainProgress>();
  const WATCH_WHERE = /^watch\.(\d+)$/;
  const crashPoint = crashPointFromEnv(options.env, logger);
  const context: PipelineContext = {
    relayerId: config.relayerId,
    store,
    events,
    chains: pipelineChains(parts),
    settings: config.pipeline,
    executor,
    takeoverWindowMs: config.executor.takeoverWindowMs,
    readyTimes: new ReadyTimes(),
    scanAsks: new ScanAsks(),
    // A chain that keeps failing is read again after twice the poll interval, then doubling.
    backoff: new FailureBackoff(2 * config.pipeline.pollIntervalMs, UNREACHABLE_RETRY_MAX_MS),
    signal: shutdown.signal,
    ...(crashPoint !== undefined && { crashPoint }),
    peers: config.peers,
    peerTimeoutMs: config.executor.peerTimeoutMs,
    startHeights: new Map(parts.map((part) => [part.eid, part.startHeight])),
    onError: (error, where, guid) => {
      const message = error instanceof Error ? error.message : String(error);
      const watched = WATCH_WHERE.exec(where);
      if (watched !== null && guid === undefined) {
        lastPollFailure[pollKey(Number(watched[1]))] = { message, at: Date.now() };
      }
      logger.warn(`${where} failed`, {
        error: message,
        ...(guid !== undefined && { guid: guid satisfies Hex }),
      });
    },
  };
  const polls = recentPolls(
    () => lastPollAt,
    Math.max(30_000, config.pipeline.pollIntervalMs * 5),
    Date.now,
    () => lastPollFailure,
  );
  // Pushed attestations wake the loop (started once the API listens).
  const started: { loop?: PipelineLoop } = {};
  const api = createApiServer({
    config: config.api,
    store,
    acceptAttestations: async (attestations) => {
      const accepted = await acceptPushedAttestations(context, attestations);
      if (accepted > 0) started.loop?.wake();
      return accepted;
    },
    registry: metrics.registry,
    adminToken,
    readiness: async () => ({
      ...(await polls()),
      // Ready, but an operator looking here must see what it trusts.
      ...Object.fromEntries(
        trustedAlone.map(({ name, eid }) => [
          `insecureSingleRpc:${name}:${eid}`,
          {
            ok: true,
            detail: `chains.${name} trusts a single RPC endpoint alone (insecureSingleRpc): local dev chains only`,
          },
        ]),
      ),
    }),
    attestationSigners: signers,
    events,
    logger,
    relayerId: config.relayerId,
    chains: ChainDirectory.fromConfig(config.chains, options.extraEvmChains),
    status: () => withLatestHeads(parts, progress),
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
    chains: parts.map((part) => pollKey(part.eid)),
    signers,
    ...(storeThread !== undefined &&
      "niceness" in storeThread && {
        storeThreadNiceness: storeThread.niceness,
      }),
  });
  const loop = startLoop(context, {
    onIteration: (result) => {
      const now = Date.now();
      for (const watched of result.watched) {
        lastPollAt[pollKey(watched.eid)] = now;
        progress.set(watched.eid, { finalized: watched.finalizedHead, lastPollAt: now });
      }
    },
  });
  started.loop = loop;
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      logger.info("relayer stopping");
      shutdown.abort();
      try {
        await api.close();
      } finally {
        await loop.stop();
        // Whatever the abandoned pass held goes back for the next run
        // (or another process of this operator) to take.
        const released = await store.releaseAllLeases(leaseOwner(context));
        if (released > 0) logger.info("gave back the leases in hand", { packets: released });
        await store.close();
      }
      logger.info("relayer stopped");
    })();
    return stopping;
  };
  const stopped = loop.done.then(() => stopping);
  return { apiUrl: address.url, context, stop, stopped: stopped.then(() => undefined) };
}

/**
 * Runs until SIGINT/SIGTERM; resolves once stopped cleanly. The handlers
 * are in place before the relayer starts: a signal while it starts (after
 * it logged "relayer started", say) stops it once started, never kills it.
 */
export async function runDaemon(config: RelayerConfig, options: DaemonOptions): Promise<void> {
  let relayer: RunningRelayer | undefined;
  const signal = { received: false };
  const onSignal = () => {
    signal.received = true;
    // A failure to stop surfaces through `stopped` below.
    relayer?.stop().catch(() => undefined);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    relayer = await startRelayer(config, options);
    if (signal.received) relayer.stop().catch(() => undefined);
    await relayer.stopped;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
