// A loan's installments (LOANS.md "Installments"): the plan, a summary of
// where it stands, and one row per installment with its due date, planned
// and paid amounts, the principal left after it, and its state.
import type { InstallmentView, ScheduleView } from "../src/api/views.ts";
import { el } from "./dom.ts";
import {
  formatAmount,
  formatDate,
  formatTime,
  installmentStateLabel,
  schedulePlan,
  scheduleSummary,
} from "./format.ts";

/** What the page knows of a loan's schedule. */
export type ScheduleState =
  | { kind: "read"; schedule: ScheduleView }
  /** The relayer has not read it from the lending pool yet (a 404): not an error. */
  | { kind: "notRead" }
  | { kind: "failed"; reason: string };

export function scheduleSection(state: ScheduleState, installments: number): HTMLElement {
  const heading = el("h2", {}, "Installments");
  switch (state.kind) {
    case "notRead":
      return el(
        "section",
        { testid: "schedule" },
        heading,
        el(
          "p",
          { class: "empty", testid: "schedule-not-read" },
          `${installments} installments; their schedule is not read from the lending pool yet.`,
        ),
      );
    case "failed":
      return el(
        "section",
        { testid: "schedule" },
        heading,
        el("p", { class: "error" }, `Could not load the installments: ${state.reason}`),
      );
    case "read":
      return scheduleTable(state.schedule, heading);
  }
}

function scheduleTable(schedule: ScheduleView, heading: HTMLElement): HTMLElement {
  const header = el(
    "tr",
    {},
    ...["#", "Due", "Planned", "Paid", "Paid at", "Principal left", "State"].map((name) =>
      el("th", {}, name),
    ),
  );
  return el(
    "section",
    { testid: "schedule" },
    heading,
    el("p", { class: "summary", testid: "schedule-summary" }, scheduleSummary(schedule)),
    el(
      "p",
      { class: "plan" },
      el("small", {}, `${schedulePlan(schedule)}, from ${formatTime(schedule.startAt)}`),
    ),
    el(
      "table",
      { class: "schedule" },
      el("thead", {}, header),
      el("tbody", {}, ...schedule.items.map(installmentRow)),
    ),
  );
}

function installmentRow(item: InstallmentView): HTMLElement {
  return el(
    "tr",
    { testid: `installment-${item.index}` },
    el("td", {}, String(item.index)),
    el("td", { title: formatTime(item.dueAt) }, formatDate(item.dueAt)),
    el("td", { class: "amount" }, formatAmount(item.amountDue)),
    el("td", { class: "amount", testid: "paid" }, formatAmount(item.paid)),
    el("td", { testid: "paid-at" }, formatTime(item.paidAt)),
    el("td", { class: "amount" }, formatAmount(item.remainingPrincipal)),
    el(
      "td",
      { testid: "installment-state" },
      el(
        "span",
        { class: `installment installment-${item.state}` },
        installmentStateLabel(item.state),
      ),
    ),
  );
}
