// How the page writes what the API answers: amounts with their symbol,
// dates, durations, shortened ids, and a packet's steps with the time each
// took. Pure, so the page's wording is unit-tested without a browser.
import type {
  Amount,
  ChainRef,
  InstallmentView,
  PacketView,
  ScheduleView,
} from "../src/api/views.ts";

const DASH = "—";

/** "12,000 USDC", "1.5 ETH"; base units when the asset's decimals are not known. */
export function formatAmount(amount: Amount | null): string {
  if (amount === null) return DASH;
  if (amount.formatted === null) return `${groupDigits(amount.units)} base units`;
  const figure = groupDigits(amount.formatted);
  return amount.symbol === null ? figure : `${figure} ${amount.symbol}`;
}

/** Thousands separators in the whole part: "1234567.5" → "1,234,567.5". */
export function groupDigits(decimal: string): string {
  const [whole = "", fraction] = decimal.split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+$)/g, ",");
  return fraction === undefined ? grouped : `${grouped}.${fraction}`;
}

/** The UTC date of an ISO time: "2027-01-05". */
export function formatDate(iso: string | null): string {
  if (iso === null) return DASH;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? DASH : date.toISOString().slice(0, 10);
}

/** An ISO time to the second, in UTC: "2026-12-06 02:13:35 UTC". */
export function formatTime(iso: string | null): string {
  if (iso === null) return DASH;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return DASH;
  return `${date.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** "850 ms", "1.2 s", "4 min 5 s", "2 h 3 min", "3 d 4 h". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return DASH;
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1_000;
  if (seconds < 60) return `${(Math.round(seconds * 10) / 10).toString()} s`;
  const whole = Math.floor(seconds);
  const pairs: [number, string, number, string][] = [
    [86_400, "d", 3_600, "h"],
    [3_600, "h", 60, "min"],
    [60, "min", 1, "s"],
  ];
  for (const [big, bigName, small, smallName] of pairs) {
    if (whole >= big) {
      const rest = Math.floor((whole % big) / small);
      return rest === 0
        ? `${Math.floor(whole / big)} ${bigName}`
        : `${Math.floor(whole / big)} ${bigName} ${rest} ${smallName}`;
    }
  }
  return DASH;
}

/** How long ago `iso` was at `now`: "3 s ago". */
export function formatAgo(iso: string | null, now: number): string {
  if (iso === null) return "never";
  const at = new Date(iso).getTime();
  if (Number.isNaN(at)) return DASH;
  return `${formatDuration(Math.max(0, now - at))} ago`;
}

/** A long id with its middle left out ("0x1234…cdef"); short ones unchanged. */
export function shortId(id: string, keep = 6): string {
  const head = id.startsWith("0x") ? keep + 2 : keep;
  return id.length <= head + keep + 1 ? id : `${id.slice(0, head)}…${id.slice(-keep)}`;
}

/** Basis points as a percentage: 1000 → "10%", 825 → "8.25%". */
export function formatRate(bps: number | null): string {
  return bps === null ? DASH : `${(bps / 100).toString()}%`;
}

/** A chain by name, or by eid when the relayer is not configured for it. */
export function chainName(chain: ChainRef): string {
  return chain.name ?? `eid ${chain.eid}`;
}

/** A block-explorer URL from a `…{address}…` template; null without one. */
export function fillTemplate(template: string | null, name: string, value: string): string | null {
  return template === null ? null : template.replace(`{${name}}`, encodeURIComponent(value));
}

/** A link target only when it is http(s): explorer URLs are made from operator config and chain data. */
export function safeHref(url: string | null): string | null {
  if (url === null) return null;
  try {
    const { protocol } = new URL(url);
    return protocol === "https:" || protocol === "http:" ? url : null;
  } catch {
    return null;
  }
}

export interface PacketStep {
  name: "observed" | "verified" | "attested" | "delivered";
  at: string | null;
  /** Since the step before it; null for the first, or when either time is unknown. */
  tookMs: number | null;
}

/** A packet's steps in order, each with how long it took after the one before. */
export function packetSteps(packet: PacketView): PacketStep[] {
  const times: [PacketStep["name"], string | null][] = [
    ["observed", packet.observedAt],
    ["verified", packet.verifiedAt],
    ["attested", packet.attestedAt],
    ["delivered", packet.deliveredAt],
  ];
  let previous: number | null = null;
  return times.map(([name, at]) => {
    const time = at === null ? null : new Date(at).getTime();
    const tookMs = time !== null && previous !== null ? time - previous : null;
    if (time !== null) previous = time;
    return { name, at, tookMs };
  });
}

/** Observed to delivered, when delivered. */
export function totalTime(packet: PacketView): number | null {
  if (packet.deliveredAt === null) return null;
  return new Date(packet.deliveredAt).getTime() - new Date(packet.observedAt).getTime();
}

/** A loan's packets in the order they were sent: first seen first, then by nonce. */
export function timelineOrder(packets: readonly PacketView[]): PacketView[] {
  return [...packets].sort(
    (a, b) =>
      Date.parse(a.observedAt) - Date.parse(b.observedAt) ||
      Number(BigInt(a.nonce) - BigInt(b.nonce)) ||
      a.guid.localeCompare(b.guid),
  );
}

/** An installment's state as the page writes it: "paid_late" → "paid late". */
export function installmentStateLabel(state: InstallmentView["state"]): string {
  return state.replace("_", " ");
}

/** "3 installments"; null for a loan repaid at once. */
export function installmentCount(installments: number): string | null {
  return installments > 1 ? `${installments} installments` : null;
}

/** A schedule's shape: "3 × 1 d of 500.41 USDC". */
export function schedulePlan(schedule: ScheduleView): string {
  const period = formatDuration(Number(schedule.periodSeconds) * 1_000);
  return `${schedule.installments} × ${period} of ${formatAmount(schedule.installmentAmount)}`;
}

/**
 * Where a schedule stands: "1 of 3 installments paid, next due 2026-12-07",
 * "… (1 late), installment 2 overdue since 2026-12-07", "… , 2 missed",
 * "All 3 installments paid".
 */
export function scheduleSummary(schedule: ScheduleView): string {
  const { items } = schedule;
  const paid = items.filter((item) => item.state === "paid" || item.state === "paid_late");
  const late = paid.filter((item) => item.state === "paid_late").length;
  const missed = items.filter((item) => item.state === "missed").length;
  const lateNote = late === 0 ? "" : ` (${late} late)`;
  if (paid.length === items.length) {
    return `All ${items.length} installments paid${lateNote}`;
  }
  const parts = [`${paid.length} of ${items.length} installments paid${lateNote}`];
  const next = items.find((item) => item.state === "due" || item.state === "overdue");
  if (next !== undefined) {
    parts.push(
      next.state === "overdue"
        ? `installment ${next.index} overdue since ${formatDate(next.dueAt)}`
        : `next due ${formatDate(next.dueAt)}`,
    );
  }
  if (missed > 0) parts.push(`${missed} missed`);
  return parts.join(", ");
}
