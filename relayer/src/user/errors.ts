// What the borrower and lender commands refuse after asking the chains
// (exit 1, printed by cli.ts as any BaseError): a loan neither chain knows,
// one not in the state a command needs, a wait that ran out.
import { BaseError } from "@loanbridge/shared";

export class LoanNotFoundError extends BaseError {
  override name = "LoanNotFoundError";
}

export class LoanNotActiveError extends BaseError {
  override name = "LoanNotActiveError";
}

export class WaitTimeoutError extends BaseError {
  override name = "WaitTimeoutError";
}
