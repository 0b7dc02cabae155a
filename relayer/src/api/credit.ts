// Borrower credit records as the API's view (views.ts `BorrowerList`): the
// record and score of each borrower an address names, addresses in their
// chain's native form, amounts with their decimals.
import type { Hex } from "@loanbridge/shared";
import {
  type BorrowerCredit,
  type ChainAccount,
  type ChainAmount,
  creditRecords,
} from "../credit/record.ts";
import { scoreOf } from "../credit/score.ts";
import type { Store } from "../store/store.ts";
import type { ChainDirectory } from "./chains.ts";
import { amountOf, apiLoanState } from "./format.ts";
import { loanPath } from "./present.ts";
import type { BorrowerList, BorrowerView } from "./views.ts";

/**
 * The borrowers `address` names, read from the store and judged at `now`;
 * `account` is the address as a bytes32 (params.ts `borrowerParam`). No
 * borrower when the store has no loan of or to it.
 */
export async function lookUpBorrowers(
  store: Pick<Store, "borrowerHistory">,
  chains: ChainDirectory,
  address: string,
  account: Hex,
  now: Date,
): Promise<BorrowerList> {
  const history = await store.borrowerHistory(account);
  return toBorrowerList(address, creditRecords(history, account, now), chains);
}

/** `address` as the caller gave it; `credits` as `creditRecords` ordered them. */
export function toBorrowerList(
  address: string,
  credits: readonly BorrowerCredit[],
  chains: ChainDirectory,
): BorrowerList {
  return { address, borrowers: credits.map((credit) => toBorrowerView(credit, chains)) };
}

function toBorrowerView(credit: BorrowerCredit, chains: ChainDirectory): BorrowerView {
  const { record } = credit;
  const account = ({ eid, account: bytes32 }: ChainAccount) => ({
    chain: chains.ref(eid),
    address: chains.address(eid, bytes32),
  });
  const principal = ({ lendingEid, principal: units }: ChainAmount) => ({
    chain: chains.ref(lendingEid),
    principal: amountOf(units, chains.principal(lendingEid)),
  });
  return {
    match: credit.match,
    borrower: account(record.borrower),
    recipients: record.recipients.map(account),
    record: {
      loans: record.loans,
      late: record.late,
      volume: record.volume.map(principal),
      outstanding: record.outstanding.map(principal),
      firstActivityAt: record.firstActivityAt.toISOString(),
      lastActivityAt: record.lastActivityAt.toISOString(),
    },
    score: scoreOf(record),
    loans: credit.loans.map(({ loan, standing, lateness, outcome }) => ({
      loanId: loan.loanId,
      lendingChain: chains.ref(loan.lendingEid),
      standing,
      outcome: outcome ?? null,
      vaultState: loan.vaultState === null ? null : apiLoanState(loan.vaultState),
      poolState: loan.poolState === null ? null : apiLoanState(loan.poolState),
      installments: loan.installments,
      installmentsPaidLate: lateness.paidLate,
      overdue: lateness.overdue,
      links: { self: loanPath(loan.loanId) },
    })),
  };
}
