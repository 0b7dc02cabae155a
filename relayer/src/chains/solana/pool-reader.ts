// The Solana lending pool's loans at the configured commitment (LOANS.md
// "Installments"): the pool-loan account holds the schedule and one record
// per installment, written by the repayment that completed it, so payments
// are read from account state, never from logs (whoever builds a
// transaction can truncate its logs). Every read is asked of a quorum of
// endpoints.
//
// Which loans changed is read from state too, in one `getProgramAccounts`:
// the program's active pool loans (memcmp on the discriminator and the
// status), each sliced to the bytes from `principal` to `paid_installments`
// (the loan id lies between), compared with what the mirror recorded. A
// repayment lowers the principal or completes installments (an
// interest-only one may complete one without touching the principal), so a
// loan whose two fields match has nothing new to read.
import { type Hex, toBytes, toHex } from "@loanbridge/shared";
import {
  decodeAccount,
  decodePoolLoan,
  pda,
  POOL_LOAN_DISCRIMINATOR,
} from "@loanbridge/solana-program";
import { address, getBase58Decoder } from "@solana/kit";
import { z } from "zod";
import { canonicalJson, type JsonRpc } from "../rpc.ts";
import type { MirroredPoolLoan, PoolChanges, PoolLoanReader, PoolLoanSchedule } from "../types.ts";
import { type ProgramAccountSource, readProgramAccount } from "./accounts.ts";
import { type Commitment, slotSchema } from "./schemas.ts";

export interface SolanaPoolReaderOptions {
  eid: number;
  rpc: JsonRpc;
  /** The loanbridge program (the pool and its loans are its PDAs). */
  programId: string;
  commitment: Commitment;
}

/** Pool-loan statuses with no schedule (solana-program `pool_loan_status`). */
const UNSCHEDULED_STATUSES = new Set([0, 3]);
const STATUS_ACTIVE = 1;

/**
 * Byte offsets in a pool-loan account (the IDL's packed `PoolLoan` after its
 * one-byte discriminator): status, and the slice a change scan reads, from
 * `principal` (u64) through `loan_id` ([u8; 32]) to `paid_installments`
 * (u16). A chain test holds them to `decodePoolLoan`.
 */
export const POOL_LOAN_LAYOUT = {
  status: 3,
  slice: { offset: 37, length: 188 },
  /** Within the slice. */
  principal: 0,
  loanId: 88,
  paidInstallments: 186,
} as const;

const programAccountsSchema = z.object({
  context: z.object({ slot: slotSchema }),
  value: z.array(
    z.object({
      pubkey: z.string(),
      account: z.object({ data: z.tuple([z.string(), z.literal("base64")]), owner: z.string() }),
    }),
  ),
});
type ProgramAccounts = z.output<typeof programAccountsSchema>;

/** What a change scan compares: one active loan's principal and installments paid. */
interface LoanProgress {
  loanId: Hex;
  principal: bigint;
  paidInstallments: number;
}

/**
 * The active loans an endpoint's answer holds, by loan id: what a quorum
 * compares. An entry that is not the program's or not a slice of the
 * expected size names nothing (the other endpoints outvote the answer).
 */
function progressOf(answer: ProgramAccounts, programId: string): LoanProgress[] {
  const loans: LoanProgress[] = [];
  for (const { account } of answer.value) {
    const data = Buffer.from(account.data[0], "base64");
    if (account.owner !== programId || data.length !== POOL_LOAN_LAYOUT.slice.length) continue;
    loans.push({
      loanId: toHex(data.subarray(POOL_LOAN_LAYOUT.loanId, POOL_LOAN_LAYOUT.loanId + 32)),
      principal: data.readBigUInt64LE(POOL_LOAN_LAYOUT.principal),
      paidInstallments: data.readUInt16LE(POOL_LOAN_LAYOUT.paidInstallments),
    });
  }
  return loans.sort((a, b) => (a.loanId < b.loanId ? -1 : a.loanId > b.loanId ? 1 : 0));
}

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

  async changedLoans(
    _pool: Hex,
    _scannedTo: bigint | undefined,
    known: readonly MirroredPoolLoan[],
  ): Promise<PoolChanges> {
    const { rpc, programId, commitment } = this.#source;
    const base58 = getBase58Decoder();
    const config = {
      commitment,
      encoding: "base64",
      withContext: true,
      dataSlice: POOL_LOAN_LAYOUT.slice,
      filters: [
        { memcmp: { offset: 0, bytes: base58.decode(Uint8Array.of(POOL_LOAN_DISCRIMINATOR)) } },
        {
          memcmp: {
            offset: POOL_LOAN_LAYOUT.status,
            bytes: base58.decode(Uint8Array.of(STATUS_ACTIVE)),
          },
        },
      ],
    };
    const { slot, loans } = await rpc.quorumRead(
      "getProgramAccounts",
      async (endpoint) => {
        const answer = await endpoint.call(
          "getProgramAccounts",
          [programId, config],
          programAccountsSchema,
        );
        return { slot: answer.context.slot, loans: progressOf(answer, programId) };
      },
      // Endpoints a slot apart agree when the loans do.
      (answer) => canonicalJson(answer.loans),
    );
    const onChain = new Map(loans.map((loan) => [loan.loanId, loan]));
    const changed = known
      .filter((loan) => {
        const now = onChain.get(loan.loanId.toLowerCase() as Hex);
        // No longer active there (or not yet at this commitment): its final
        // message brings the last read, and a loan not yet active has no change.
        if (now === undefined) return false;
        return (
          now.principal !== loan.outstandingPrincipal ||
          now.paidInstallments !== loan.paidInstallments
        );
      })
      .map((loan) => loan.loanId);
    return { changed, scannedTo: slot };
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
