// Issue 18, the table's one-URL column: a relayer trusting a single Ethereum
// RPC endpoint (`insecureSingleRpc`, as the demo runs) that is a fault proxy.
// Runs in `make chaos` only (the `chaos` vitest project). One URL cannot outvote a liar, but what it lies about must still never
// freeze the source or lose a packet:
// - squat: a forged log carrying the next real packet's guid with other
//   bytes is a claim; its proof fails, the real log takes its place and the
//   loan is relayed (before: "already recorded with different bytes", the
//   watch batch aborted and the source froze for good);
// - hide: a hidden PacketSent log is a nonce gap that holds the
//   cursor before its block, so the packet is relayed once the endpoint
//   shows it again (before: the cursor moved on and the packet was missed).
import { type JsonRpcProvider, Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devKey, providerFor } from "../../relayer/src/chains/evm/testing.ts";
import { type EvmMode, type RpcProxy, startRpcProxy } from "../faults/rpc-proxy.ts";
import { type Hex, toHex } from "@loanbridge/shared";
import { addressBytes } from "@loanbridge/solana-program";
import { type Localnet, SOLANA_EID, startLocalnet } from "../localnet/index.ts";
import { ethLoanToFreshRecipient, tokenBalance, waitEthLoanActive } from "../e2e/support.ts";
import { loanDeliveries, metricOf } from "./support.ts";

const USDC = 10n ** 6n;

let net: Localnet;
let provider: JsonRpcProvider;
let liar: RpcProxy<EvmMode>;

beforeAll(async () => {
  net = await startLocalnet({
    relayers: 1,
    threshold: 1,
    rpcUrls: async (chain, node) => {
      if (chain === "solana") return [node];
      liar = await startRpcProxy({ chain, upstream: node });
      return [liar.url];
    },
  });
  provider = providerFor(net.evm.url);
}, 300_000);

afterAll(async () => {
  await net.stop();
  await liar.close();
});

const metric = (name: string, having = "") => metricOf(net, name, having);

/** Each packet of the loan landed once; prints the case's line. */
async function expectRelayedOnce(fault: string, expected: string, loanId: Hex) {
  const { deliveries, lost, duplicated } = await loanDeliveries(net, provider, loanId);
  console.log(
    `fault=${fault} chain=evm (1 URL) expected="${expected}" observed="delivered ${deliveries.join("+")}" lost=${lost} duplicated=${duplicated}`,
  );
  expect({ lost, duplicated }).toEqual({ lost: 0, duplicated: 0 });
}

describe("a single lying Ethereum RPC (insecureSingleRpc)", () => {
  it("squat_theForgedClaimIsDisproved_theRealPacketTakesItsGuid_andTheSourceNeverFreezes", async () => {
    await liar.setMode({
      mode: "squat",
      endpoint: net.evm.deployment.contracts.endpoint,
      packet: {
        app: net.evm.deployment.contracts.collateralVault,
        dstEid: SOLANA_EID,
        receiver: toHex(addressBytes(net.solana.deployment.pool)),
        message: "0x5a5a",
      },
    });
    const contradicted = await metric("loanbridge_contradicting_claims_total");
    try {
      const borrower = new Wallet(devKey(2), provider);
      const loan = await ethLoanToFreshRecipient(net, borrower, 1_000n * USDC);
      await waitEthLoanActive(net, provider, loan, 90_000);
      expect(liar.applied("squat")).toBeGreaterThan(0);
      // The squatter was recorded first, disproved, and the real log replaced it.
      expect(await metric("loanbridge_contradicting_claims_total")).toBeGreaterThan(contradicted);
      await expectRelayedOnce("squat", "forged claim disproved, real packet relayed", loan.loanId);
    } finally {
      await liar.setMode({ mode: "pass" });
    }
    // The source goes on: the next loan is relayed too.
    const next = await ethLoanToFreshRecipient(net, new Wallet(devKey(2), provider), 500n * USDC);
    await waitEthLoanActive(net, provider, next, 90_000);
  });

  it("hide_theGapHoldsTheCursor_andThePacketIsRelayedOnceShown", async () => {
    await liar.setMode({ mode: "hide" });
    const borrower = new Wallet(devKey(2), provider);
    const loan = await ethLoanToFreshRecipient(net, borrower, 1_000n * USDC);
    try {
      // Hidden for a while: a gap is open and nothing reaches Solana.
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && (await metric("loanbridge_nonce_gaps_open")) === 0) {
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(await metric("loanbridge_nonce_gaps_open")).toBeGreaterThan(0);
      expect(await tokenBalance(net.solana.rpc, loan.tokens)).toBe(0n);
    } finally {
      await liar.setMode({ mode: "pass" });
    }
    await waitEthLoanActive(net, provider, loan, 90_000);
    await expectRelayedOnce(
      "hide",
      "cursor held at the gap, packet relayed once shown",
      loan.loanId,
    );
    expect(await metric("loanbridge_nonce_gaps_open")).toBe(0);
  });
});
