// Issue 18, "one lying or failing RPC must neither steer nor stall the
// relayer": a relayer process whose first RPC URL on a chain is a fault proxy
// (test/faults) in front of the real node and whose two others pass through
// to it, as an operator with three providers, one of them compromised or
// broken, runs it. Each case puts the proxy in one mode, runs a whole loan
// (OPEN_LOAN Ethereum → Solana, LOAN_ACTIVE back) and checks that every
// packet is delivered exactly once, none is failed and nothing forged is, and
// prints one line: fault, chain, expected, observed, packets lost/duplicated.
//
// `make chaos` runs every case on both chains (LOANBRIDGE_CHAOS=full); the
// test run keeps one case of each fault kind: forged content, a squatted
// guid, a hidden packet, a lying head, a stalled and a failing endpoint.
import { addressToWire, computeGuid, type Hex, toHex } from "@loanbridge/shared";
import { addressBytes, pda } from "@loanbridge/solana-program";
import { type JsonRpcProvider, Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devKey, providerFor } from "../../relayer/src/chains/evm/testing.ts";
import {
  type EvmMode,
  type RpcProxy,
  type SolanaMode,
  startRpcProxy,
} from "../faults/rpc-proxy.ts";
import { EVM_EID, type Localnet, SOLANA_EID, startLocalnet } from "../localnet/index.ts";
import {
  ethLoanToFreshRecipient,
  nextPoolPacketNonce,
  packetByGuid,
  waitEthLoanActive,
} from "../e2e/support.ts";
import { loanDeliveries, metricOf } from "./support.ts";

const USDC = 10n ** 6n;
const FULL = process.env.LOANBRIDGE_CHAOS === "full";

interface FaultCase {
  chain: "evm" | "solana";
  /** The proxy's mode for this loan, built against the running localnet. */
  mode: (net: Localnet) => Promise<EvmMode | SolanaMode> | EvmMode | SolanaMode;
  expected: string;
  /** Whether the honest endpoints outvote the liar (a disagreement is counted). */
  outvoted: boolean;
  /** In the short run of `make test` too (one case of each fault kind). */
  short?: boolean;
  /** The guid of the packet the liar invents, which must never be recorded. */
  forgedGuid?: (net: Localnet) => Hex;
}

type FaultProxy = RpcProxy<EvmMode | SolanaMode>;

const bytes32 = (address: Parameters<typeof addressBytes>[0]): Hex => toHex(addressBytes(address));

/** The Ethereum vault's next OPEN_LOAN path (vault → Solana pool). */
const evmVaultPath = (net: Localnet) => ({
  endpoint: net.evm.deployment.contracts.endpoint,
  packet: {
    app: net.evm.deployment.contracts.collateralVault,
    dstEid: SOLANA_EID,
    receiver: bytes32(net.solana.deployment.pool),
    message: "0x5a5a" as Hex,
  },
});

/** The guid of an invented OPEN_LOAN on the Ethereum vault's path at `nonce`. */
const evmForgedGuid = (nonce: bigint) => (net: Localnet) =>
  computeGuid({
    nonce,
    srcEid: EVM_EID,
    sender: addressToWire(net.evm.deployment.contracts.collateralVault),
    dstEid: SOLANA_EID,
    receiver: bytes32(net.solana.deployment.pool),
  });

/** The Solana pool's next packet path (LOAN_ACTIVE → Ethereum vault). */
const solanaPoolPath = (net: Localnet) => ({
  programId: net.solana.deployment.programId,
  app: net.solana.deployment.pool,
  dstEid: EVM_EID,
  receiver: addressToWire(net.evm.deployment.contracts.collateralVault),
  message: "0x5a5a" as Hex,
});

const CASES: Record<string, FaultCase> = {
  "evm forge": {
    chain: "evm",
    mode: (net) => {
      const { endpoint, packet } = evmVaultPath(net);
      return { mode: "forge", endpoint, packet: { ...packet, nonce: 1_000_000n } };
    },
    expected: "forged log outvoted, never recorded",
    outvoted: true,
    forgedGuid: evmForgedGuid(1_000_000n),
  },
  "evm squat": {
    chain: "evm",
    mode: (net) => ({ mode: "squat", ...evmVaultPath(net) }),
    expected: "squatting log outvoted, the real packet keeps its guid",
    outvoted: true,
  },
  "evm forge-block": {
    chain: "evm",
    mode: (net) => {
      const { endpoint, packet } = evmVaultPath(net);
      return { mode: "forge-block", endpoint, packet: { ...packet, nonce: 1_000_001n } };
    },
    expected: "forged block outvoted, nothing forged signed",
    outvoted: true,
    short: true,
    forgedGuid: evmForgedGuid(1_000_001n),
  },
  "evm hide": {
    chain: "evm",
    mode: () => ({ mode: "hide" }),
    expected: "hidden log outvoted, the packet relayed",
    outvoted: true,
    short: true,
  },
  "evm head-ahead": {
    chain: "evm",
    mode: () => ({ mode: "head-ahead", blocks: 1_000_000 }),
    expected: "finality from the quorum, not the liar",
    outvoted: false,
    short: true,
  },
  "evm head-behind": {
    chain: "evm",
    mode: async (net) => ({
      mode: "head-behind",
      stuckAt: BigInt(await providerFor(net.evm.url).getBlockNumber()),
    }),
    expected: "a stuck endpoint does not hold the watcher back",
    outvoted: false,
  },
  "evm alter-headers": {
    chain: "evm",
    mode: () => ({ mode: "alter-headers", field: "receiptsRoot", rehash: true }),
    expected: "altered headers outvoted, no veto",
    outvoted: true,
  },
  "evm stall": {
    chain: "evm",
    mode: () => ({ mode: "stall", ms: 60_000 }),
    expected: "a stalled endpoint times out, the quorum answers",
    outvoted: false,
  },
  "evm malformed": {
    chain: "evm",
    mode: () => ({ mode: "malformed", shape: "invalid-json" }),
    expected: "malformed answers are no answers",
    outvoted: false,
  },
  "evm http-error": {
    chain: "evm",
    mode: () => ({ mode: "http-error", status: 503, retryAfterSeconds: 5 }),
    expected: "503 with Retry-After is no answer",
    outvoted: false,
  },
  "evm drop": {
    chain: "evm",
    mode: () => ({
      mode: "drop",
      fraction: 1,
      how: "silence",
      methods: ["eth_sendRawTransaction"],
    }),
    expected: "a send the liar swallows (answering success) still reaches the chain",
    outvoted: false,
  },
  "solana forge": {
    chain: "solana",
    mode: async (net) => ({
      mode: "forge",
      packet: { ...solanaPoolPath(net), nonce: (await nextPoolPacketNonce(net)) + 5n },
    }),
    expected: "invented nonce and packet outvoted",
    outvoted: true,
  },
  "solana squat": {
    chain: "solana",
    mode: (net) => ({ mode: "squat", packet: solanaPoolPath(net) }),
    expected: "squatting packet account outvoted, the real one relayed",
    outvoted: true,
    short: true,
  },
  "solana hide": {
    chain: "solana",
    mode: async (net) => {
      const { programId, pool } = net.solana.deployment;
      return {
        mode: "hide",
        accounts: [await pda.packet(programId, pool, EVM_EID, await nextPoolPacketNonce(net))],
      };
    },
    expected: "hidden packet account outvoted, the packet relayed",
    outvoted: true,
  },
  "solana head-ahead": {
    chain: "solana",
    mode: () => ({ mode: "head-ahead", slots: 1_000_000 }),
    expected: "slots from the quorum, not the liar",
    outvoted: false,
  },
  "solana head-behind": {
    chain: "solana",
    mode: async (net) => ({ mode: "head-behind", stuckAt: await net.solana.rpc.getSlot().send() }),
    expected: "a stuck endpoint does not hold the watcher back",
    outvoted: false,
  },
  "solana stall": {
    chain: "solana",
    mode: () => ({ mode: "stall", ms: 60_000 }),
    expected: "a stalled endpoint times out, the quorum answers",
    outvoted: false,
    short: true,
  },
  "solana malformed": {
    chain: "solana",
    mode: () => ({ mode: "malformed", shape: "wrong-id" }),
    expected: "malformed answers are no answers",
    outvoted: false,
  },
  "solana http-error": {
    chain: "solana",
    mode: () => ({ mode: "http-error", status: 429, retryAfterSeconds: 5 }),
    expected: "429 with Retry-After is no answer",
    outvoted: false,
    short: true,
  },
  "solana drop": {
    chain: "solana",
    mode: () => ({ mode: "drop", fraction: 1, how: "swallow", methods: ["sendTransaction"] }),
    expected: "a send the liar swallows (answering success) still reaches the leader",
    outvoted: false,
  },
};

let net: Localnet;
let provider: JsonRpcProvider;
const liars = new Map<"evm" | "solana", FaultProxy>();
const proxies: FaultProxy[] = [];

const proxyFor = async (chain: "evm" | "solana", upstream: string): Promise<FaultProxy> => {
  const proxy: FaultProxy =
    chain === "evm"
      ? await startRpcProxy({ chain, upstream })
      : await startRpcProxy({ chain, upstream });
  proxies.push(proxy);
  return proxy;
};

beforeAll(async () => {
  net = await startLocalnet({
    relayers: 1,
    threshold: 1,
    // The liar first: failover reads and sends try it before the others.
    rpcUrls: async (chain, node) => {
      const [liar, ...others] = await Promise.all([0, 1, 2].map(() => proxyFor(chain, node)));
      if (liar === undefined) throw new Error("no proxy");
      liars.set(chain, liar);
      return [liar, ...others].map((proxy) => proxy.url);
    },
  });
  provider = providerFor(net.evm.url);
}, 300_000);

afterAll(async () => {
  await net.stop();
  await Promise.all(proxies.map((proxy) => proxy.close()));
});

/** A relayer-0 metric's total over the series whose line contains `having` (0 when none). */
const metric = (name: string, having = "") => metricOf(net, name, having);

const selected = Object.entries(CASES).filter(([, fault]) => FULL || fault.short === true);

describe("one lying or failing RPC of three (1 relayer, 1 of 1)", () => {
  it.each(selected)("%s", async (name, fault) => {
    const liar = liars.get(fault.chain);
    const [relayer] = net.relayers;
    if (liar === undefined || relayer === undefined) throw new Error("no liar or relayer");
    const before = {
      outvoted: await metric("loanbridge_rpc_disagreements_total"),
      duplicated: await metric("loanbridge_duplicate_deliveries_total"),
      failed: await metric("loanbridge_packets", 'status="failed"'),
    };
    const mode = await fault.mode(net);
    await liar.setMode(mode);
    let landed: Awaited<ReturnType<typeof loanDeliveries>>;
    let applied: number;
    try {
      const borrower = new Wallet(devKey(2), provider);
      const loan = await ethLoanToFreshRecipient(net, borrower, 1_000n * USDC);
      await waitEthLoanActive(net, provider, loan, 90_000);
      landed = await loanDeliveries(net, provider, loan.loanId);
    } finally {
      applied = liar.applied(mode.mode);
      await liar.setMode({ mode: "pass" });
    }
    const outvoted = (await metric("loanbridge_rpc_disagreements_total")) - before.outvoted;
    const { deliveries, lost } = landed;
    // Landed twice, or sent twice (a lost race the destination turned down).
    const duplicated =
      landed.duplicated +
      (await metric("loanbridge_duplicate_deliveries_total")) -
      before.duplicated;
    const forged = fault.forgedGuid?.(net);
    const forgedRecorded =
      forged !== undefined && (await packetByGuid(relayer.apiUrl, forged)) !== undefined;
    console.log(
      `fault=${mode.mode} chain=${fault.chain} expected="${fault.expected}" ` +
        `observed="delivered ${deliveries.join("+")}, fault applied ${applied}x, outvoted ${outvoted}x` +
        `${forgedRecorded ? ", FORGED PACKET RECORDED" : ""}" lost=${lost} duplicated=${duplicated}`,
    );
    expect(applied, "the fault never happened").toBeGreaterThan(0);
    expect({ lost, duplicated, forgedRecorded }).toEqual({
      lost: 0,
      duplicated: 0,
      forgedRecorded: false,
    });
    if (fault.outvoted) expect(outvoted).toBeGreaterThan(0);
    expect(await metric("loanbridge_packets", 'status="failed"')).toBe(before.failed);
  });
});
