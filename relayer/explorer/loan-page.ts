// One loan: what both halves say, then its packets in the order they were
// sent, each with its txs, status, attempts, last error and the time each
// step took.
import type { ChainRef, LoanView, PacketView, StatusView } from "../src/api/views.ts";
import { el } from "./dom.ts";
import {
  chainName,
  fillTemplate,
  formatAmount,
  formatDate,
  formatDuration,
  formatRate,
  formatTime,
  packetSteps,
  timelineOrder,
  totalTime,
} from "./format.ts";
import { agreement, stateCell } from "./loan-list.ts";
import { type ScheduleState, scheduleSection } from "./schedule.ts";

export function loanPage(
  loan: LoanView,
  packets: readonly PacketView[],
  options: {
    highlightTx: string | undefined;
    status: StatusView | null;
    /** Null for a loan repaid at once: its one due date is in the facts. */
    schedule: ScheduleState | null;
  },
): HTMLElement {
  const { highlightTx, status, schedule } = options;
  /** The chain's address link, from its explorer template in /v1/status. */
  const account = (chain: ChainRef, address: string | null) => {
    if (address === null) return mono("—");
    const template =
      status?.chains.find((entry) => entry.chain.eid === chain.eid)?.explorer.address ?? null;
    const url = fillTemplate(template, "address", address);
    return url === null ? mono(address) : el("a", { class: "mono", href: url }, address);
  };
  const facts: [string, Node | string][] = [
    ["Borrower", account(loan.collateralChain, loan.borrower)],
    ["Recipient", account(loan.lendingChain, loan.recipient)],
    ["Collateral", `${formatAmount(loan.collateral)} on ${chainName(loan.collateralChain)}`],
    ["Principal", `${formatAmount(loan.principal)} on ${chainName(loan.lendingChain)}`],
    ["Rate", formatRate(loan.rateBps)],
    [
      "Due",
      loan.installments > 1
        ? `${formatDate(loan.dueAt)} (the last of ${loan.installments} installments)`
        : formatDate(loan.dueAt),
    ],
    ["Updated", formatTime(loan.updatedAt)],
  ];
  return el(
    "section",
    { testid: "loan" },
    el("h1", {}, "Loan ", el("span", { class: "mono id", testid: "loan-id" }, loan.loanId)),
    el(
      "table",
      { class: "halves" },
      el(
        "tr",
        {},
        el("th", {}, `Vault (${chainName(loan.collateralChain)})`),
        el("th", {}, `Pool (${chainName(loan.lendingChain)})`),
        el("th", {}, "Halves"),
      ),
      el(
        "tr",
        {},
        stateCell(loan.vaultState, "vault"),
        stateCell(loan.poolState, "pool"),
        agreement(loan.agrees),
      ),
    ),
    el(
      "dl",
      { class: "facts" },
      ...facts.flatMap(([name, value]) => [el("dt", {}, name), el("dd", {}, value)]),
    ),
    schedule === null ? null : scheduleSection(schedule, loan.installments),
    el("h2", {}, "Packets"),
    packets.length === 0
      ? el("p", { class: "empty" }, "No packets of this loan are recorded yet.")
      : el(
          "ol",
          { class: "timeline", testid: "timeline" },
          ...timelineOrder(packets).map((packet) => packetItem(packet, highlightTx)),
        ),
  );
}

function packetItem(packet: PacketView, highlightTx: string | undefined): HTMLElement {
  const highlighted =
    highlightTx !== undefined && (packet.sourceTx === highlightTx || packet.destTx === highlightTx);
  const total = totalTime(packet);
  const steps = packetSteps(packet).map((step) =>
    el(
      "li",
      { class: step.at === null ? "step pending" : "step done", title: formatTime(step.at) },
      step.name,
      step.tookMs === null ? null : el("small", {}, ` +${formatDuration(step.tookMs)}`),
    ),
  );
  return el(
    "li",
    { class: highlighted ? "packet highlight" : "packet", testid: `packet-${packet.guid}` },
    el(
      "div",
      { class: "packet-head" },
      el("strong", { testid: "message-type" }, packet.messageType ?? "unknown message"),
      ` ${chainName(packet.srcChain)} → ${chainName(packet.dstChain)} `,
      el("span", { class: `status status-${packet.status}`, testid: "status" }, packet.status),
      total === null ? null : el("small", {}, ` in ${formatDuration(total)}`),
    ),
    el("ol", { class: "steps" }, ...steps),
    el(
      "dl",
      { class: "facts" },
      el("dt", {}, packet.sourceKind === "account" ? "Source packet account" : "Source tx"),
      el("dd", { testid: "source-tx" }, txLink(packet.sourceTx, packet.links.sourceTx)),
      el("dt", {}, "Destination tx"),
      el(
        "dd",
        { testid: "dest-tx" },
        packet.destTx !== null
          ? txLink(packet.destTx, packet.links.destTx)
          : packet.status === "delivered"
            ? "not recorded by this relayer"
            : "not delivered yet",
      ),
      el("dt", {}, "Attempts"),
      el("dd", { testid: "attempts" }, String(packet.attempts)),
      packet.lastError === null ? null : el("dt", {}, "Last error"),
      packet.lastError === null
        ? null
        : el("dd", { class: "error", testid: "last-error" }, packet.lastError),
      packet.nextAttemptAt === null ? null : el("dt", {}, "Next attempt"),
      packet.nextAttemptAt === null ? null : el("dd", {}, formatTime(packet.nextAttemptAt)),
      el("dt", {}, "Guid"),
      el("dd", {}, mono(packet.guid)),
    ),
  );
}

/** A tx id, linked to the chain's block explorer when one is configured. */
function txLink(tx: string, url: string | null): HTMLElement {
  return url === null ? mono(tx) : el("a", { class: "mono", href: url }, tx);
}

const mono = (text: string) => el("span", { class: "mono" }, text);
