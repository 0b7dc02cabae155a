// The relayer config: one zod schema and its inferred type, in one place.
// Every field has a default where a safe one exists; keys are references
// (`{ "file": … }` / `{ "env": … }`), never material.
import { decodeBase58, getAddress } from "ethers";
import { z } from "zod";
import { evmKeyRefSchema, Secret, secretRefSchema, solanaKeyRefSchema } from "./secret.ts";
import { SOLANA_BUILTIN_ADDRESSES } from "./solana-builtins.ts";

/** Where PGlite keeps its files unless told otherwise: under the working directory. */
export const DEFAULT_PGLITE_DATA_DIR = "loanbridge-data";
/** PGlite's own spelling of "no files, in memory" (tests, throwaway runs). */
export const IN_MEMORY = "memory://";

export const LOG_LEVELS = ["error", "warn", "info", "debug"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const eid = z
  .int()
  .min(1, "expected an endpoint id from 1 to 4294967295")
  .max(0xffff_ffff, "expected an endpoint id from 1 to 4294967295");

/** A URL with one of the given schemes; messages never repeat the URL (API keys live there). */
const url = (protocols: readonly string[]) =>
  z.string().superRefine((value, ctx) => {
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      ctx.addIssue({ code: "custom", message: "Invalid URL" });
      return;
    }
    if (!protocols.includes(parsed.protocol) || parsed.hostname === "") {
      const expected = protocols.map((protocol) => protocol.replace(/:$/, "")).join(", ");
      ctx.addIssue({ code: "custom", message: `Invalid URL: expected ${expected}` });
    }
  });

const rpcUrl = url(["http:", "https:", "ws:", "wss:"]);
const httpUrl = url(["http:", "https:"]);

const evmAddress = z.string().transform((value, ctx) => {
  if (!/^0x[0-9a-fA-F]{40}$/.test(value)) {
    ctx.addIssue({ code: "custom", message: "expected an EVM address (0x + 40 hex digits)" });
    return z.NEVER;
  }
  try {
    return getAddress(value);
  } catch {
    ctx.addIssue({ code: "custom", message: "EVM address has a wrong checksum" });
    return z.NEVER;
  }
});

const solanaAddress = z.string().refine(
  (value) => {
    if (!/^[1-9A-HJ-NP-Za-km-z]{32,44}$/.test(value)) return false;
    return decodeBase58(value) < 1n << 256n;
  },
  { message: "expected a Solana address (base58, 32 bytes)" },
);

/** The loanbridge program's id: any Solana address but those every cluster has built in. */
const loanbridgeProgramId = solanaAddress.superRefine((value, ctx) => {
  const builtin = SOLANA_BUILTIN_ADDRESSES.get(value);
  if (builtin === undefined) return;
  ctx.addIssue({
    code: "custom",
    message: `${value} is ${builtin}, not the loanbridge program: give the address the loanbridge program is deployed at (the "address" of solana-program/idl/loanbridge.json for the program this repo builds)`,
  });
});

const rpcFields = {
  /** JSON-RPC endpoints; security-relevant reads need `rpcQuorum` of them to agree. */
  rpcUrls: z.array(rpcUrl).min(1, "at least one RPC URL is required"),
  /** How many endpoints must agree; defaults to a majority. */
  rpcQuorum: z.int().min(1).optional(),
  /** Per-call timeout. */
  rpcTimeoutMs: z.int().min(100).max(120_000).default(10_000),
  /**
   * Accept a quorum of one: a single RPC endpoint trusted alone, which can
   * feed a forged block or a head ahead of finality that this relayer would
   * then sign. Only for local dev chains; logged, exported as a metric and
   * shown in /readyz.
   */
  insecureSingleRpc: z.boolean().default(false),
};

/**
 * Quorum defaults to a majority of the endpoints and cannot exceed their
 * number; below 2 it needs `insecureSingleRpc`.
 */
function withQuorum<
  T extends { rpcUrls: string[]; rpcQuorum?: number | undefined; insecureSingleRpc: boolean },
>(chain: T, ctx: z.RefinementCtx): T & { rpcQuorum: number } {
  const quorum = chain.rpcQuorum ?? Math.floor(chain.rpcUrls.length / 2) + 1;
  if (quorum > chain.rpcUrls.length) {
    ctx.addIssue({
      code: "custom",
      path: ["rpcQuorum"],
      message: `quorum ${quorum} is more than the ${chain.rpcUrls.length} RPC URLs given`,
    });
  } else if (quorum < 2 && !chain.insecureSingleRpc) {
    ctx.addIssue({
      code: "custom",
      path: [chain.rpcUrls.length < 2 ? "rpcUrls" : "rpcQuorum"],
      message:
        "a quorum of 1 trusts a single RPC endpoint, which could make this relayer sign a forged or unfinalized packet: give at least 2 URLs (quorum ≥ 2), or set insecureSingleRpc: true (local dev chains only)",
    });
  }
  return { ...chain, rpcQuorum: quorum };
}

/** A URL template with `{name}` in it, http(s) once filled in. */
const urlTemplate = (name: string) =>
  z
    .string()
    .refine((value) => value.includes(`{${name}}`), { message: `expected {${name}} in the URL` })
    .refine((value) => /^https?:\/\/[^/{}]+/.test(value), {
      message: "expected an http(s) URL with a host",
    });

/** Block-explorer links the API gives for this chain's transactions and accounts. */
const explorerSchema = z.strictObject({
  /** e.g. `https://etherscan.io/tx/{tx}`. */
  tx: urlTemplate("tx").optional(),
  /** e.g. `https://etherscan.io/address/{address}`. */
  address: urlTemplate("address").optional(),
});

/**
 * An asset the API shows amounts of with decimals and a symbol; the native
 * coin (ETH/18, SOL/9) is known without one. `principal`: the lending pool
 * on this chain lends it (loans' principal is in it).
 */
const assetsSchema = (address: z.ZodType<string, string>) =>
  z
    .array(
      z.strictObject({
        asset: z.union([z.literal("native"), address]),
        symbol: z.string().regex(/^[A-Za-z0-9.$_-]{1,16}$/, "expected 1-16 letters or digits"),
        decimals: z.int().min(0).max(36),
        principal: z.boolean().default(false),
      }),
    )
    .superRefine((assets, ctx) => {
      const seen = new Set<string>();
      assets.forEach(({ asset }, index) => {
        if (seen.has(asset))
          ctx.addIssue({ code: "custom", path: [index, "asset"], message: "duplicate asset" });
        seen.add(asset);
      });
      if (assets.filter((asset) => asset.principal).length > 1) {
        ctx.addIssue({ code: "custom", message: "at most one asset is the principal" });
      }
    })
    .default([]);

const uniqueUrls = (urls: string[], ctx: z.RefinementCtx): void => {
  const seen = new Set<string>();
  urls.forEach((value, index) => {
    if (seen.has(value)) ctx.addIssue({ code: "custom", path: [index], message: "duplicate URL" });
    seen.add(value);
  });
};

export const evmChainSchema = z
  .strictObject({
    eid,
    /** Expected `eth_chainId`; checked against every RPC when set. */
    chainId: z.int().min(1).optional(),
    ...rpcFields,
    rpcUrls: rpcFields.rpcUrls.superRefine(uniqueUrls),
    /** The loanbridge `Endpoint` contract on this chain. */
    endpoint: evmAddress,
    /** Source blocks count once `finalized` (default) or this many blocks deep (dev chains). */
    confirmations: z
      .union([z.literal("finalized"), z.int().min(0).max(10_000)], {
        error: 'expected "finalized" or a number of blocks from 0 to 10000',
      })
      .default("finalized"),
    /**
     * The file `evm-contracts/scripts/deploy.ts` writes: watching starts at
     * its block, and its collateral vault and lending pool are this chain's
     * loan apps (whose packets speak for loans; pipeline/loans.ts).
     */
    deploymentsFile: z.string().min(1).optional(),
    /**
     * This relayer's secp256k1 verifier key: `{ "file": … }`, `{ "env": … }` or
     * `{ "remote": { "url", "identifier", "tokenEnv"?, "timeoutMs"? } }` (a web3signer-style signer).
     */
    signerKey: evmKeyRefSchema,
    assets: assetsSchema(evmAddress),
    explorer: explorerSchema.optional(),
  })
  .transform(withQuorum);

export const solanaChainSchema = z
  .strictObject({
    eid,
    ...rpcFields,
    rpcUrls: rpcFields.rpcUrls.superRefine(uniqueUrls),
    /** The loanbridge program. */
    programId: loanbridgeProgramId,
    /** Commitment source accounts are read at: `finalized` (default) or `confirmed` (dev). */
    commitment: z.enum(["finalized", "confirmed"]).default("finalized"),
    /**
     * This relayer's ed25519 keypair (solana-keygen JSON): `{ "file": … }`, `{ "env": … }`
     * or `{ "remote": … }` (signing/http.ts's `ed25519` scheme).
     */
    keypair: solanaKeyRefSchema,
    assets: assetsSchema(solanaAddress),
    explorer: explorerSchema.optional(),
    /**
     * The address lookup table deliveries load their static accounts from
     * (the deploy creates it): without it an OPEN_LOAN with 3 signatures does
     * not fit a transaction. Read by quorum and used for what it holds.
     */
    lookupTable: solanaAddress.optional(),
  })
  .transform(withQuorum);

const postgresUrl = url(["postgres:", "postgresql:"]).transform(
  (value) => new Secret(value, "store.url"),
);

export const storeSchema = z.discriminatedUnion(
  "kind",
  [
    z.strictObject({
      kind: z.literal("pglite"),
      /** A folder (created if missing), or `memory://` for a throwaway in-memory store. */
      dataDir: z.string().min(1).default(DEFAULT_PGLITE_DATA_DIR),
      /**
       * How much lower than the relayer's own the CPU priority of the
       * store's thread is, as `nice -n` (Linux; 0 keeps it equal; default 10,
       * see the store's STORE_THREAD_NICENESS).
       */
      threadNiceness: z.int().min(0).max(19).optional(),
    }),
    z.strictObject({
      kind: z.literal("postgres"),
      /** `postgresql://user[:password]@host:port/db`; kept as a Secret (it may hold a password). */
      url: postgresUrl,
      poolSize: z.int().min(1).max(100).default(10),
    }),
  ],
  { error: 'expected "kind": "pglite" or "postgres"' },
);

export const apiSchema = z.strictObject({
  /** Loopback by default: exposing the API is a deliberate choice. */
  host: z.string().min(1).default("127.0.0.1"),
  port: z.int().min(0).max(65_535).default(8080),
  /** Bearer token for the state-changing endpoints; without it they are disabled. */
  adminToken: secretRefSchema.optional(),
  maxBodyBytes: z.int().min(1).max(1_048_576).default(65_536),
});

export const pipelineSchema = z
  .strictObject({
    pollIntervalMs: z.int().min(50).max(600_000).default(2_000),
    /**
     * How often the gauges are refreshed from the store (packet and loan
     * counts, oldest packet ages, disagreeing loans) and the executor's
     * wallet balances read: queries over every packet and loan, and RPC
     * calls, that a poll need not pay for (Prometheus scrapes every 15 s).
     */
    gaugeIntervalMs: z.int().min(100).max(600_000).default(5_000),
    /** Most packets (and most blocks/slots per source read) handled per step. */
    batchSize: z.int().min(1).max(10_000).default(100),
    /** Attempts per stage before a packet is marked failed. */
    maxAttempts: z.int().min(1).max(1_000).default(10),
    /** How long a leased packet stays with one worker before others may take it. */
    leaseMs: z.int().min(1_000).max(3_600_000).default(60_000),
    /**
     * Most deliveries in flight at once (1: one at a time): a running
     * relayer starts one whenever a slot is free, and no stage waits for a
     * confirmation. EVM sends from one key still take their nonces one at a
     * time (nonces.ts).
     */
    deliverConcurrency: z.int().min(1).max(256).default(8),
    /**
     * How often each lending pool is scanned for loans whose installments
     * changed, which are then read (repayments send no packet until the
     * last one; schedules.ts). Also how long a failed read or scan waits.
     */
    scheduleReadIntervalMs: z.int().min(100).max(3_600_000).default(10_000),
    retryBackoff: z
      .strictObject({
        initialMs: z.int().min(10).max(3_600_000).default(1_000),
        maxMs: z.int().min(10).max(86_400_000).default(300_000),
        factor: z.number().min(1).max(10).default(2),
      })
      .prefault({})
      .refine((backoff) => backoff.initialMs <= backoff.maxMs, {
        message: "initialMs must not exceed maxMs",
        path: ["initialMs"],
      }),
  })
  .prefault({});

/**
 * Delivery: every relayer takes its turn in each packet's executor order
 * (rendezvous over the destination's verifiers), paying from its own keys.
 */
export const executorSchema = z
  .strictObject({
    /** Whether this relayer takes its turn delivering; when false it only confirms. */
    enabled: z.boolean().default(true),
    /**
     * How long the relayer ranked k+1 waits, after it has the attestations,
     * for the one ranked k; longer than a delivery takes to show up as
     * delivered on the destination, or relayers double-send (counted).
     */
    takeoverWindowMs: z.int().min(100).max(3_600_000).default(20_000),
    /** Pays EVM deliveries; this relayer's EVM verifier key when absent. */
    evmSenderKey: secretRefSchema.optional(),
    /** Pays Solana deliveries (solana-keygen JSON); this relayer's Solana keypair when absent. */
    solanaPayerKeypair: secretRefSchema.optional(),
    /** Cap on an EVM delivery's maxFeePerGas. */
    maxFeePerGasGwei: z.int().min(1).max(100_000).default(200),
    /**
     * The least Solana priority fee, micro-lamports per compute unit: what a
     * delivery offers when recent fees for its accounts are lower (or none).
     */
    computeUnitPriceMicroLamports: z.int().min(0).max(100_000_000).default(1_000),
    /** The most Solana priority fee a delivery offers, micro-lamports per compute unit. */
    maxComputeUnitPriceMicroLamports: z.int().min(0).max(100_000_000).default(1_000_000),
    /** Percentile of getRecentPrioritizationFees (for the writable accounts) offered. */
    computeUnitPricePercentile: z.int().min(1).max(100).default(75),
    /** Solana compute-unit limit: simulated units plus this share (basis points)… */
    computeUnitMarginBps: z.int().min(0).max(10_000).default(1_000),
    /** …plus these units. */
    computeUnitMarginUnits: z.int().min(0).max(200_000).default(1_000),
    /** Per peer request when gathering attestations. */
    peerTimeoutMs: z.int().min(100).max(120_000).default(5_000),
  })
  .refine(
    (executor) =>
      executor.computeUnitPriceMicroLamports <= executor.maxComputeUnitPriceMicroLamports,
    {
      path: ["maxComputeUnitPriceMicroLamports"],
      message: "below computeUnitPriceMicroLamports (the floor)",
    },
  )
  .prefault({});

export const relayerConfigSchema = z.strictObject({
  /** Names this relayer in logs, leases and audit entries. */
  relayerId: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "expected 1-64 letters, digits, '.', '_' or '-'"),
  store: storeSchema.prefault({ kind: "pglite" }),
  api: apiSchema.prefault({}),
  log: z.strictObject({ level: z.enum(LOG_LEVELS).default("info") }).prefault({}),
  chains: z
    .strictObject({ evm: evmChainSchema.optional(), solana: solanaChainSchema.optional() })
    .superRefine((chains, ctx) => {
      if (chains.evm === undefined && chains.solana === undefined) {
        ctx.addIssue({ code: "custom", message: "configure at least one of evm, solana" });
      }
      if (chains.evm !== undefined && chains.evm.eid === chains.solana?.eid) {
        ctx.addIssue({ code: "custom", path: ["solana", "eid"], message: "same eid as evm" });
      }
    }),
  /** Other relayers' API base URLs, where their attestations are gathered from. */
  peers: z.array(httpUrl).superRefine(uniqueUrls).default([]),
  pipeline: pipelineSchema,
  executor: executorSchema,
});

/** The relayer config as the file/env give it. */
export type RelayerConfigInput = z.input<typeof relayerConfigSchema>;
/** The validated relayer config, defaults filled in, relative paths resolved. */
export type RelayerConfig = z.output<typeof relayerConfigSchema>;
export type EvmChainConfig = z.output<typeof evmChainSchema>;
export type SolanaChainConfig = z.output<typeof solanaChainSchema>;
export type StoreConfig = z.output<typeof storeSchema>;
export type ApiConfig = z.output<typeof apiSchema>;
export type PipelineConfig = z.output<typeof pipelineSchema>;
export type ExecutorConfig = z.output<typeof executorSchema>;
