// A loan's installments (the API's Schedule view) as the operator CLI prints
// them for people: a summary line, then one row per installment. `--json`
// prints the view itself.
import { amountText } from "./format.ts";
import type { Amount, ScheduleView } from "./views.ts";

const maybeAmountText = (amount: Amount | null): string =>
  amount === null ? "-" : amountText(amount);

const day = (iso: string | null): string => (iso === null ? "-" : iso.replace(".000Z", "Z"));

export function scheduleText(view: ScheduleView): string {
  const paid = view.items.filter((item) => item.paidAt !== null).length;
  const next = view.items.find((item) => item.paidAt === null);
  const header = [
    `loan ${view.loanId}: ${view.installments} installments of ${amountText(view.installmentAmount)} every ${Number(view.periodSeconds) / 86_400} d from ${day(view.startAt)}`,
    `  ${paid} of ${view.installments} paid${next === undefined ? "" : `; next: #${next.index} due ${day(next.dueAt)} (${next.state})`}`,
  ];
  const rows = view.items.map(
    (item) =>
      `  #${item.index}  due ${day(item.dueAt)}  ${amountText(item.amountDue)}  ${item.state}` +
      (item.paidAt === null
        ? ""
        : `  paid ${maybeAmountText(item.paid)} at ${day(item.paidAt)}, principal left ${maybeAmountText(item.remainingPrincipal)}`),
  );
  return `${[...header, ...rows].join("\n")}\n`;
}
