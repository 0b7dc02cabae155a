// The list of loans: both halves' states, amounts, due date, and whether
// the halves agree.
import type { LoanView } from "../src/api/views.ts";
import type { LoanList } from "./api.ts";
import { el } from "./dom.ts";
import { chainName, formatAmount, formatDate, installmentCount, shortId } from "./format.ts";
import { routeHash } from "./route.ts";

export function loanList(list: LoanList, borrower: string | undefined): HTMLElement {
  const heading = borrower === undefined ? "Loans" : `Loans of ${borrower}`;
  if (list.loans.length === 0) {
    return el(
      "section",
      {},
      el("h1", {}, heading),
      el(
        "p",
        { class: "empty", testid: "not-found" },
        borrower === undefined
          ? "This relayer has recorded no loans yet."
          : `No loans of borrower ${borrower} are recorded by this relayer.`,
      ),
    );
  }
  const header = el(
    "tr",
    {},
    ...["Loan", "Borrower", "Collateral", "Principal", "Vault", "Pool", "Halves", "Due"].map(
      (name) => el("th", {}, name),
    ),
  );
  return el(
    "section",
    {},
    el("h1", {}, heading),
    el(
      "table",
      { class: "loans", testid: "loans" },
      el("thead", {}, header),
      el("tbody", {}, ...list.loans.map(loanRow)),
    ),
    list.nextCursor === null
      ? null
      : el(
          "p",
          { class: "more" },
          el(
            "a",
            {
              route: routeHash({
                view: "loans",
                ...(borrower !== undefined && { borrower }),
                cursor: list.nextCursor,
              }),
            },
            "Older loans →",
          ),
        ),
  );
}

function loanRow(loan: LoanView): HTMLElement {
  return el(
    "tr",
    { testid: `loan-${loan.loanId}` },
    el(
      "td",
      { class: "mono" },
      el(
        "a",
        { route: routeHash({ view: "loan", loanId: loan.loanId }), title: loan.loanId },
        shortId(loan.loanId),
      ),
    ),
    el(
      "td",
      { class: "mono", title: loan.borrower ?? "" },
      loan.borrower === null ? "—" : shortId(loan.borrower),
    ),
    el(
      "td",
      { class: "amount" },
      formatAmount(loan.collateral),
      el("small", {}, ` on ${chainName(loan.collateralChain)}`),
    ),
    el(
      "td",
      { class: "amount" },
      formatAmount(loan.principal),
      el("small", {}, ` on ${chainName(loan.lendingChain)}`),
    ),
    stateCell(loan.vaultState, "vault"),
    stateCell(loan.poolState, "pool"),
    agreement(loan.agrees),
    dueCell(loan),
  );
}

/** The last due date, and how many installments lead to it. */
function dueCell(loan: LoanView): HTMLElement {
  const count = installmentCount(loan.installments);
  return el(
    "td",
    {},
    formatDate(loan.dueAt),
    count === null ? null : el("small", { testid: "installments" }, ` · ${count}`),
  );
}

export function stateCell(state: string | null, half: "vault" | "pool"): HTMLElement {
  return el(
    "td",
    { testid: half },
    el("span", { class: `state state-${state ?? "none"}` }, state ?? "—"),
  );
}

export function agreement(agrees: boolean): HTMLElement {
  return el(
    "td",
    { testid: "agrees" },
    el(
      "span",
      {
        class: agrees ? "agree" : "disagree",
        title: agrees
          ? "the two halves agree"
          : "the two halves disagree: a packet is on its way or stuck",
      },
      agrees ? "agree" : "disagree",
    ),
  );
}
