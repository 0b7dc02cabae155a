// The Solana lending pool's loans at the configured commitment (LOANS.md
// "Installments"): the pool-loan account holds the schedule and one record
// per installment, written by the repayment that completed it, so payments
// are read from account state, never from logs. Every read is asked of a
// quorum of endpoints.
import { type Hex, toBytes } from "@loanbridge/shared";
import { decodeAccount, decodePoolLoan, pda } from "@loanbridge/solana-program";
import { address } from "@solana/kit";
import type { JsonRpc } from "../rpc.ts";
import type { PoolLoanReader, PoolLoanSchedule } from "../types.ts";
import { type ProgramAccountSource, readProgramAccount } from "./accounts.ts";
import type { Commitment } from "./schemas.ts";

export interface SolanaPoolReaderOptions {
  eid: number;
  rpc: JsonRpc;
  /** The loanbridge program (the pool and its loans are its PDAs). */
  programId: string;
  commitment: Commitment;
}

/** Pool-loan statuses with no schedule (solana-program `pool_loan_status`). */
const UNSCHEDULED_STATUSES = new Set([0, 3]);

export class SolanaPoolReader implements PoolLoanReader {
  readonly eid: number;
  readonly #source: ProgramAccountSource;
  /** Fixed when the pool was created. */
  #dueBucketSeconds: bigint | undefined;

  constructor(options: SolanaPoolReaderOptions) {
    this.eid = options.eid;
    this.#source = {
      rpc: options.rpc,
      programId: address(options.programId),
      commitment: options.commitment,
    };
  }

  async readSchedule(_pool: Hex, loanId: Hex): Promise<PoolLoanSchedule | undefined> {
    const account = await pda.poolLoan(this.#source.programId, toBytes(loanId));
    const loan = await readProgramAccount(this.#source, account, (data) => {
      const decoded = decodePoolLoan(data);
      return {
        status: decoded.status,
        installments: decoded.schedule.installments,
        periodSeconds: decoded.schedule.periodSeconds,
        startTime: decoded.startTime,
        installmentAmount: decoded.schedule.installmentAmount,
        outstandingPrincipal: decoded.principal,
        payments: decoded.records
          .filter((record) => record.paidAt > 0n)
          .map((record) => ({
            index: record.index,
            amount: record.amount,
            remainingPrincipal: record.remainingPrincipal,
            paidAt: record.paidAt,
          })),
      };
    });
    if (loan === undefined || UNSCHEDULED_STATUSES.has(loan.status)) return undefined;
    return {
      installments: loan.installments,
      periodSeconds: loan.periodSeconds,
      startTime: loan.startTime,
      installmentAmount: loan.installmentAmount,
      outstandingPrincipal: loan.outstandingPrincipal,
      dueBucketSeconds: await this.#bucketWidth(),
      payments: loan.payments,
    };
  }

  async #bucketWidth(): Promise<bigint> {
    if (this.#dueBucketSeconds === undefined) {
      const pool = await readProgramAccount(
        this.#source,
        await pda.pool(this.#source.programId),
        (data) => decodeAccount("Pool", data).due_bucket_seconds as bigint,
      );
      if (pool === undefined) {
        throw new Error(`no pool account for program ${this.#source.programId}`);
      }
      this.#dueBucketSeconds = pool;
    }
    return this.#dueBucketSeconds;
  }
}
