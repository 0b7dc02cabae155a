// A borrower lookup (the API's BorrowerList view) as the operator CLI prints
// it for people: one block per borrower, the score's lines that count, the
// record's counts and sums, then its loans. `--json` prints the view itself.
import { amountText } from "../api/format.ts";
import type { BorrowerList, BorrowerView, ChainRef } from "../api/views.ts";

const chainText = (chain: ChainRef) => `${chain.name ?? "eid"} (${chain.eid})`;

const sumsText = (sums: BorrowerView["record"]["volume"]) =>
  sums.length === 0
    ? "none"
    : sums.map((sum) => `${amountText(sum.principal)} on ${chainText(sum.chain)}`).join(", ");

const signed = (points: number) => (points > 0 ? `+${points}` : String(points));

function borrowerText(view: BorrowerView): string[] {
  const { record, score } = view;
  const how =
    view.match === "borrower" ? "the borrower" : "paid out to the address looked up (a recipient)";
  const counted = score.lines.filter((line) => line.total !== 0);
  const { loans, late } = record;
  return [
    `borrower ${view.borrower.address} on ${chainText(view.borrower.chain)}: ${how}`,
    `  score     ${score.value} (${score.version}: ${score.base} ${counted.length === 0 ? "with nothing scored" : counted.map((line) => `${signed(line.total)} ${line.rule} ${line.counted}×${signed(line.points)}`).join(", ")}; from ${score.min} to ${score.max})`,
    `  loans     ${loans.opened} opened: ${loans.active} active, ${loans.repaid} repaid, ${loans.defaulted} defaulted, ${loans.liquidated} liquidated, ${loans.rejected} rejected, ${loans.pending} pending`,
    `  late      ${late.installments} installments paid late, in ${late.loans} loans (${late.repaidLoans} repaid); ${late.overdueLoans} loans overdue now`,
    `  volume    ${sumsText(record.volume)}`,
    `  owed      ${sumsText(record.outstanding)}`,
    `  paid to   ${view.recipients.length === 0 ? "none" : view.recipients.map((to) => `${to.address} on ${chainText(to.chain)}`).join(", ")}`,
    `  activity  ${record.firstActivityAt} to ${record.lastActivityAt}`,
    ...view.loans.map(
      (loan) =>
        `  loan ${loan.loanId} ${loan.standing} (vault ${loan.vaultState ?? "-"}, pool ${loan.poolState ?? "-"}), ${loan.installments} installments, ${loan.installmentsPaidLate} paid late${loan.overdue ? ", overdue" : ""}`,
    ),
  ];
}

export function borrowerListText(list: BorrowerList): string {
  return `${list.borrowers.map((view) => borrowerText(view).join("\n")).join("\n\n")}\n`;
}
