// GET /v1/borrowers/{address} against a real (in-memory) PGlite store, on an
// ephemeral port, as server.test.ts runs the other routes.
import { randomBytes } from "node:crypto";
import type { Hex } from "@loanbridge/shared";
import { encodeBase58, Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMetrics } from "../observability/metrics.ts";
import { Store } from "../store/store.ts";
import { ChainDirectory } from "./chains.ts";
import { bytes32FromNative } from "./format.ts";
import { type ApiServer, createApiServer } from "./server.ts";
import type { BorrowerList } from "./views.ts";

const hex32 = (): Hex => `0x${randomBytes(32).toString("hex")}`;
const day = (n: number): Date => new Date(Date.UTC(2026, 0, 1) + n * 86_400_000);
const FUTURE = new Date("2100-01-01T00:00:00Z");

const CHAINS = ChainDirectory.fromConfig({
  evm: { eid: 40161 },
  solana: {
    eid: 40168,
    assets: [
      {
        asset: "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB",
        symbol: "USDC",
        decimals: 6,
        principal: true,
      },
    ],
  },
});

interface Reply {
  status: number;
  json: Record<string, unknown>;
}

async function get(base: string, path: string): Promise<Reply> {
  const response = await fetch(new URL(path, base));
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

describe("GET /v1/borrowers/{address}", () => {
  let store: Store;
  let api: ApiServer;
  let base: string;

  beforeAll(async () => {
    store = await Store.open({ kind: "pglite", dataDir: "memory://" });
    api = createApiServer({
      config: { host: "127.0.0.1", port: 0, maxBodyBytes: 1_024 },
      store,
      registry: createMetrics({ defaultMetrics: false }).registry,
      chains: CHAINS,
    });
    ({ url: base } = await api.listen());
  });

  afterAll(async () => {
    await api.close();
    await store.close();
  });

  /** A loan from EVM collateral to the Solana pool, opened for `principal` and answered Active. */
  async function loanOf(borrower: string, recipient: string, principal: bigint): Promise<Hex> {
    const loanId = hex32();
    const ids = { loanId, collateralEid: 40161, lendingEid: 40168 };
    await store.upsertLoan({
      ...ids,
      side: "vault",
      state: "Requested",
      borrower: bytes32FromNative(borrower) ?? "",
      recipient: bytes32FromNative(recipient) ?? "",
      collateralAsset: `0x${"00".repeat(32)}`,
      collateralAmount: 10n ** 18n,
      principal,
    });
    await store.upsertLoan({
      ...ids,
      side: "pool",
      state: "Active",
      principal,
      rateBps: 800,
      dueAt: FUTURE,
    });
    return loanId;
  }

  it("isTheRecordScoreAndLoans_nativeAddressesAmountsWithDecimals", async () => {
    const borrower = Wallet.createRandom().address;
    const recipient = encodeBase58(randomBytes(32));
    const repaidId = await loanOf(borrower, recipient, 250_000_000n);
    await store.upsertLoan({
      loanId: repaidId,
      collateralEid: 40161,
      lendingEid: 40168,
      side: "pool",
      state: "Repaid",
      principal: 0n,
    });
    const paying = await loanOf(borrower, recipient, 1_000_000_000n);
    await store.recordLoanSchedule(paying, {
      installments: 3,
      periodSeconds: 30n * 86_400n,
      installmentAmount: 340_000_000n,
      startAt: day(0),
      dues: [day(30), day(60), FUTURE].map((dueAt) => ({ dueAt, amountDue: 340_000_000n })),
    });
    await store.recordInstallmentPayments(paying, [
      { index: 1, amount: 340_000_000n, paidAt: day(29), remainingPrincipal: 667_000_000n },
      { index: 2, amount: 340_000_000n, paidAt: day(62), remainingPrincipal: 331_000_000n },
    ]);
    const second = await store.getLoan(paying);

    const reply = await get(base, `/v1/borrowers/${borrower}`);

    expect(reply.status).toBe(200);
    const usdc = (units: string, formatted: string) => ({
      units,
      decimals: 6,
      symbol: "USDC",
      formatted,
    });
    const solana = { name: "solana", eid: 40168 };
    expect(reply.json).toEqual({
      address: borrower,
      borrowers: [
        {
          match: "borrower",
          borrower: { chain: { name: "evm", eid: 40161 }, address: borrower },
          recipients: [{ chain: solana, address: recipient }],
          record: {
            loans: {
              opened: 2,
              pending: 0,
              rejected: 0,
              active: 1,
              repaid: 1,
              defaulted: 0,
              liquidated: 0,
            },
            late: { installments: 1, loans: 1, repaidLoans: 0, overdueLoans: 0 },
            volume: [{ chain: solana, principal: usdc("1250000000", "1250") }],
            outstanding: [{ chain: solana, principal: usdc("331000000", "331") }],
            // The disbursement (the chain's time) came before the relayer first saw a loan.
            firstActivityAt: day(0).toISOString(),
            lastActivityAt: second?.poolUpdatedAt?.toISOString(),
          },
          score: {
            version: "points-1",
            value: 510,
            base: 500,
            min: 0,
            max: 1_000,
            lines: [
              { rule: "repaidOnTime", count: 1, counted: 1, points: 30, total: 30 },
              { rule: "repaidLate", count: 0, counted: 0, points: 10, total: 0 },
              { rule: "lateInstallments", count: 1, counted: 1, points: -20, total: -20 },
              { rule: "overdueLoans", count: 0, counted: 0, points: -60, total: 0 },
              { rule: "liquidated", count: 0, counted: 0, points: -75, total: 0 },
              { rule: "defaulted", count: 0, counted: 0, points: -150, total: 0 },
            ],
          },
          loans: [
            {
              loanId: paying,
              lendingChain: solana,
              standing: "active",
              outcome: "late",
              vaultState: "requested",
              poolState: "active",
              installments: 3,
              installmentsPaidLate: 1,
              overdue: false,
              links: { self: `/v1/loans/${paying}` },
            },
            {
              loanId: repaidId,
              lendingChain: solana,
              standing: "repaid",
              outcome: "repaid",
              vaultState: "requested",
              poolState: "repaid",
              installments: 1,
              installmentsPaidLate: 0,
              overdue: false,
              links: { self: `/v1/loans/${repaidId}` },
            },
          ],
        },
      ],
    });
  });

  it("aRecipientOrAnAddressInAnyCase_findsTheBorrower", async () => {
    const borrower = Wallet.createRandom().address;
    const recipient = encodeBase58(randomBytes(32));
    const loanId = await loanOf(borrower, recipient, 5_000_000n);

    const byRecipient = await get(base, `/v1/borrowers/${recipient}`);
    const lower = await get(base, `/v1/borrowers/${borrower.toLowerCase()}`);

    const list = byRecipient.json as BorrowerList;
    expect(byRecipient.status).toBe(200);
    expect(list.address).toBe(recipient);
    expect(list.borrowers.map(({ match, borrower: who }) => [match, who.address])).toEqual([
      ["recipient", borrower],
    ]);
    expect(list.borrowers[0]?.loans.map((loan) => loan.loanId)).toEqual([loanId]);
    expect(lower.status).toBe(200);
    expect((lower.json as BorrowerList).borrowers[0]?.borrower.address).toBe(borrower);
  });

  it("badInput_is400NamingTheParameter_noLoanIs404", async () => {
    const cases = [
      "/v1/borrowers/0x1234",
      "/v1/borrowers/not-an-address",
      "/v1/borrowers/%zz",
      `/v1/borrowers/${Wallet.createRandom().address}?limit=1`,
    ];
    const replies = await Promise.all(cases.map((path) => get(base, path)));
    const nobody = Wallet.createRandom().address;
    const missing = await get(base, `/v1/borrowers/${nobody}`);

    expect(replies.map((reply) => reply.status)).toEqual(cases.map(() => 400));
    expect(replies.map((reply) => reply.json.error)).toMatchInlineSnapshot(`
      [
        {
          "code": "invalid_parameter",
          "message": "borrower must be an EVM address (0x + 40 hex digits) or a Solana address (base58)",
          "parameter": "address",
        },
        {
          "code": "invalid_parameter",
          "message": "borrower must be an EVM address (0x + 40 hex digits) or a Solana address (base58)",
          "parameter": "address",
        },
        {
          "code": "invalid_parameter",
          "message": "path segment is not valid percent-encoding",
        },
        {
          "code": "invalid_parameter",
          "message": "unknown query parameter limit",
          "parameter": "limit",
        },
      ]
    `);
    expect(missing).toEqual({
      status: 404,
      json: { error: { code: "not_found", message: `no loan of or to ${nobody} is recorded` } },
    });
  });
});
