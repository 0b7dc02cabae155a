import { describe, expect, it } from "vitest";
import type { InstallmentView, PacketView, ScheduleView } from "../src/api/views.ts";
import {
  chainName,
  fillTemplate,
  formatAgo,
  formatAmount,
  formatDate,
  formatDuration,
  formatRate,
  formatTime,
  groupDigits,
  installmentCount,
  installmentStateLabel,
  packetSteps,
  safeHref,
  schedulePlan,
  scheduleSummary,
  shortId,
  timelineOrder,
  totalTime,
} from "./format.ts";

const T0 = "2026-12-06T02:00:00.000Z";
const at = (ms: number) => new Date(Date.parse(T0) + ms).toISOString();

function packet(overrides: Partial<PacketView>): PacketView {
  return {
    guid: `0x${"11".repeat(32)}`,
    loanId: `0x${"22".repeat(32)}`,
    messageType: "OPEN_LOAN",
    srcChain: { name: "evm", eid: 40161 },
    dstChain: { name: "solana", eid: 40168 },
    nonce: "1",
    status: "delivered",
    attempts: 1,
    lastError: null,
    sourceTx: `0x${"33".repeat(32)}`,
    sourceKind: "transaction",
    sourceHeight: "10",
    destTx: "sig",
    observedAt: T0,
    verifiedAt: null,
    attestedAt: null,
    deliveredAt: null,
    readyAt: null,
    submittedAt: null,
    updatedAt: T0,
    nextAttemptAt: null,
    leaseOwner: null,
    leaseUntil: null,
    packet: "0x",
    links: { self: "/v1/packets/x", loan: null, sourceTx: null, destTx: null },
    ...overrides,
  };
}

const usdc = (formatted: string) => ({
  units: String(Math.round(Number(formatted) * 1e6)),
  decimals: 6,
  symbol: "USDC",
  formatted,
});

/** A 3 × 1 d schedule whose installments are in `states`. */
function schedule(...states: InstallmentView["state"][]): ScheduleView {
  return {
    loanId: `0x${"22".repeat(32)}`,
    installments: states.length,
    periodSeconds: "86400",
    installmentAmount: usdc("500.41"),
    startAt: T0,
    items: states.map((state, offset) => {
      const paid = state === "paid" || state === "paid_late";
      return {
        index: offset + 1,
        dueAt: at((offset + 1) * 86_400_000),
        amountDue: usdc("500.41"),
        paid: paid ? usdc("500.41") : null,
        paidAt: paid ? at(offset * 86_400_000) : null,
        remainingPrincipal: paid ? usdc("1000") : null,
        state,
      };
    }),
  };
}

describe("explorer formatting", () => {
  it("formatAmount_wholeUnitsWithSymbol_orBaseUnitsWhenUnknown", () => {
    const amount = { units: "12000000000", decimals: 6, symbol: "USDC", formatted: "12000" };
    expect(formatAmount(amount)).toBe("12,000 USDC");
    expect(formatAmount({ ...amount, formatted: "1234.5", symbol: null })).toBe("1,234.5");
    expect(formatAmount({ units: "1500", decimals: null, symbol: null, formatted: null })).toBe(
      "1,500 base units",
    );
    expect(formatAmount(null)).toBe("—");
  });

  it("groupDigits_groupsTheWholePartOnly", () => {
    expect(groupDigits("1")).toBe("1");
    expect(groupDigits("999")).toBe("999");
    expect(groupDigits("1000")).toBe("1,000");
    expect(groupDigits("1234567.123456")).toBe("1,234,567.123456");
  });

  it("formatDate_andFormatTime_areUtc", () => {
    expect(formatDate("2027-01-05T23:30:00+00:00")).toBe("2027-01-05");
    expect(formatDate("2027-01-05T23:30:00-02:00")).toBe("2027-01-06");
    expect(formatDate(null)).toBe("—");
    expect(formatDate("not a time")).toBe("—");
    expect(formatTime("2026-12-06T02:13:35.123Z")).toBe("2026-12-06 02:13:35 UTC");
  });

  it("formatDuration_picksTwoUnits", () => {
    expect(formatDuration(850)).toBe("850 ms");
    expect(formatDuration(1_234)).toBe("1.2 s");
    expect(formatDuration(245_000)).toBe("4 min 5 s");
    expect(formatDuration(7_380_000)).toBe("2 h 3 min");
    expect(formatDuration(3 * 86_400_000)).toBe("3 d");
    expect(formatDuration(-1)).toBe("—");
    expect(formatAgo(T0, Date.parse(T0) + 3_000)).toBe("3 s ago");
    expect(formatAgo(null, 0)).toBe("never");
  });

  it("shortId_keepsBothEnds", () => {
    expect(shortId(`0x${"ab".repeat(32)}`)).toBe("0xababab…ababab");
    expect(shortId("7EYnhQoR9YM3N7UoaKRoA44Uy8JeaZV3qyouov87awMs")).toBe("7EYnhQ…87awMs");
    expect(shortId("short")).toBe("short");
  });

  it("formatRate_bpsAsPercent", () => {
    expect(formatRate(1_000)).toBe("10%");
    expect(formatRate(825)).toBe("8.25%");
    expect(formatRate(null)).toBe("—");
  });

  it("chainName_unconfiguredEid_namesTheEid", () => {
    expect(chainName({ name: "solana", eid: 40168 })).toBe("solana");
    expect(chainName({ name: null, eid: 7 })).toBe("eid 7");
  });

  it("safeHref_onlyHttp", () => {
    expect(safeHref("https://etherscan.io/tx/0x1")).toBe("https://etherscan.io/tx/0x1");
    expect(safeHref("http://localhost:8080/tx/1")).toBe("http://localhost:8080/tx/1");
    expect(safeHref("javascript:alert(1)")).toBeNull();
    expect(safeHref("data:text/html,<b>")).toBeNull();
    expect(safeHref("/relative")).toBeNull();
    expect(safeHref(null)).toBeNull();
  });

  it("fillTemplate_encodesTheValue", () => {
    expect(fillTemplate("https://x.io/address/{address}", "address", "0xAb")).toBe(
      "https://x.io/address/0xAb",
    );
    expect(fillTemplate("https://x.io/a/{address}", "address", "a/../b?c")).toBe(
      "https://x.io/a/a%2F..%2Fb%3Fc",
    );
    expect(fillTemplate(null, "address", "0xAb")).toBeNull();
  });

  it("packetSteps_eachStepTookSinceTheLastKnownOne", () => {
    const delivered = packet({
      verifiedAt: at(1_500),
      attestedAt: at(1_800),
      deliveredAt: at(4_000),
    });
    expect(packetSteps(delivered)).toEqual([
      { name: "observed", at: T0, tookMs: null },
      { name: "verified", at: at(1_500), tookMs: 1_500 },
      { name: "attested", at: at(1_800), tookMs: 300 },
      { name: "delivered", at: at(4_000), tookMs: 2_200 },
    ]);
    expect(totalTime(delivered)).toBe(4_000);
    // Delivered without this relayer verifying (another relayer's delivery seen).
    expect(packetSteps(packet({ deliveredAt: at(900) })).map((step) => step.tookMs)).toEqual([
      null,
      null,
      null,
      900,
    ]);
    expect(totalTime(packet({}))).toBeNull();
  });

  it("installmentStateLabel_andCount_inWords", () => {
    expect(installmentStateLabel("paid_late")).toBe("paid late");
    expect(installmentStateLabel("overdue")).toBe("overdue");
    expect(installmentCount(3)).toBe("3 installments");
    expect(installmentCount(1)).toBeNull();
  });

  it("schedulePlan_countPeriodAndPayment", () => {
    expect(schedulePlan(schedule("due", "due", "due"))).toBe("3 × 1 d of 500.41 USDC");
    expect(schedulePlan({ ...schedule("due"), periodSeconds: String(30 * 86_400) })).toBe(
      "1 × 30 d of 500.41 USDC",
    );
  });

  it("scheduleSummary_paidCountThenNextDueOverdueOrMissed", () => {
    expect(scheduleSummary(schedule("paid", "due", "due"))).toBe(
      "1 of 3 installments paid, next due 2026-12-08",
    );
    expect(scheduleSummary(schedule("paid", "paid_late", "overdue"))).toBe(
      "2 of 3 installments paid (1 late), installment 3 overdue since 2026-12-09",
    );
    expect(scheduleSummary(schedule("paid", "missed", "missed"))).toBe(
      "1 of 3 installments paid, 2 missed",
    );
    expect(scheduleSummary(schedule("paid", "paid", "paid"))).toBe("All 3 installments paid");
    expect(scheduleSummary(schedule("paid_late", "paid"))).toBe("All 2 installments paid (1 late)");
  });

  it("timelineOrder_firstSeenFirst", () => {
    const open = packet({ guid: `0x${"01".repeat(32)}`, observedAt: at(0) });
    const active = packet({ guid: `0x${"02".repeat(32)}`, observedAt: at(5_000), nonce: "1" });
    const repaid = packet({ guid: `0x${"03".repeat(32)}`, observedAt: at(9_000), nonce: "2" });
    expect(timelineOrder([repaid, open, active]).map((p) => p.guid)).toEqual([
      open.guid,
      active.guid,
      repaid.guid,
    ]);
  });
});
