// An EVM lending pool's loans at finality (LOANS.md "Installments"): the
// schedule from `getLoan`, the due-bucket width, and each completed
// installment from its `Payment` log, dated by its block. Every read is asked
// of a quorum of endpoints at the finalized head.
//
// Which loans changed is read from the pool's `LoanRepayment` logs over the
// finalized blocks after the last scan, a bounded range per `eth_getLogs`:
// the pool emits one for every repayment, in part or in full (`Payment` and
// `LoanRepaid` only ever follow it in the same transaction), and a log is
// emitted by the contract itself, so the logs are the truth about what
// changed. One query per range, however many loans are active.
import { type Hex, wireToEvmAddress } from "@loanbridge/shared";
import { Interface } from "ethers";
import { z } from "zod";
import type { JsonRpc } from "../rpc.ts";
import { RpcQuorumError, toQuantity } from "../rpc.ts";
import type {
  MirroredPoolLoan,
  PoolChanges,
  PoolInstallmentPayment,
  PoolLoanReader,
  PoolLoanSchedule,
} from "../types.ts";
import { assertFinality, type EvmFinality, finalizedHead } from "./finality.ts";
import { evmView } from "./view.ts";
import { type EvmLog, logSchema, quantitySchema } from "./schemas.ts";
import { isRangeLimitError } from "./watcher.ts";

/** The slice of the LendingPool ABI read here (checked against the artifact in pool-reader.chain-test). */
export const POOL_READ_ABI = [
  "function dueBucketSeconds() view returns (uint64)",
  "function getLoan(bytes32 loanId) view returns ((uint8 status, uint32 srcEid, uint32 rateBps, uint64 dueTime, uint64 lastAccrual, uint16 installments, uint16 paidInstallments, bool offBook, uint128 principal, uint128 interest, uint128 repaid, uint128 collateralAmount, bytes32 collateralAsset, uint64 startTime, uint64 periodSeconds, uint128 installmentAmount))",
  "event Payment(bytes32 indexed loanId, uint16 indexed index, uint256 amount, uint256 remainingPrincipal)",
  "event LoanRepayment(bytes32 indexed loanId, address indexed payer, uint256 interestPaid, uint256 principalPaid, uint256 principalLeft, uint256 interestLeft)",
] as const;

const poolInterface = new Interface(POOL_READ_ABI);
const PAYMENT_TOPIC = poolInterface.getEvent("Payment")?.topicHash as Hex;
const REPAYMENT_TOPIC = poolInterface.getEvent("LoanRepayment")?.topicHash as Hex;
const WORD = /^0x[0-9a-f]{64}$/;
const LOAN_STATUS_NONE = 0n;
/** Rejected: recorded without a schedule. */
const LOAN_STATUS_REJECTED = 3n;

const timestampSchema = z.object({ timestamp: quantitySchema });
const logsSchema = z.array(logSchema);

export interface EvmPoolReaderOptions {
  eid: number;
  rpc: JsonRpc;
  finality: EvmFinality;
  /**
   * Blocks per `eth_getLogs` of a change scan (default 2,000), halved down
   * to 1 while a provider refuses the range; and ranges per scan (default
   * 10): a pool far behind catches up over several scans.
   */
  scan?: { range?: number; maxRanges?: number };
}

/**
 * The loan ids an endpoint's `LoanRepayment` logs name, sorted and once
 * each: what a quorum compares. A log the filter should not have matched
 * names nothing (an endpoint cannot add a loan the others do not report:
 * they outvote it).
 */
function repaidLoanIds(logs: readonly EvmLog[], pool: string): Hex[] {
  const ids = new Set<Hex>();
  for (const log of logs) {
    if (log.removed === true || log.address.toLowerCase() !== pool.toLowerCase()) continue;
    const [topic, loanId] = log.topics.map((word) => word.toLowerCase());
    if (topic === REPAYMENT_TOPIC && loanId !== undefined && WORD.test(loanId)) {
      ids.add(loanId as Hex);
    }
  }
  return [...ids].sort();
}

export class EvmPoolReader implements PoolLoanReader {
  readonly eid: number;
  readonly #rpc: JsonRpc;
  readonly #finality: EvmFinality;
  readonly #maxRanges: number;
  /** Blocks per change-scan `eth_getLogs`: halved when a provider refuses. */
  #range: number;
  /** Per pool: fixed at its deployment. */
  readonly #dueBucketSeconds = new Map<string, bigint>();

  constructor(options: EvmPoolReaderOptions) {
    assertFinality(options.finality);
    this.eid = options.eid;
    this.#rpc = options.rpc;
    this.#finality = options.finality;
    this.#range = options.scan?.range ?? 2_000;
    this.#maxRanges = options.scan?.maxRanges ?? 10;
    if (!Number.isInteger(this.#range) || this.#range < 1) {
      throw new RangeError("the scan range must be a whole number of blocks, at least 1");
    }
    if (!Number.isInteger(this.#maxRanges) || this.#maxRanges < 1) {
      throw new RangeError("maxRanges must be a whole number, at least 1");
    }
  }

  async changedLoans(
    pool: Hex,
    scannedTo: bigint | undefined,
    known: readonly MirroredPoolLoan[],
  ): Promise<PoolChanges> {
    const head = await finalizedHead(this.#rpc, this.#finality);
    // Never scanned: nothing says what changed before now, so every loan is
    // read once; the scans go on from here.
    if (scannedTo === undefined) {
      return { changed: known.map((loan) => loan.loanId), scannedTo: head };
    }
    const address = wireToEvmAddress(pool);
    const repaid = new Set<Hex>();
    let cursor = scannedTo;
    let ranges = 0;
    while (ranges < this.#maxRanges && cursor < head) {
      const from = cursor + 1n;
      const last = from + BigInt(this.#range) - 1n;
      const to = last < head ? last : head;
      const filter = {
        address,
        topics: [REPAYMENT_TOPIC],
        fromBlock: toQuantity(from),
        toBlock: toQuantity(to),
      };
      let ids: Hex[];
      try {
        ids = await this.#rpc.quorumRead("eth_getLogs", async (endpoint) =>
          repaidLoanIds(await endpoint.call("eth_getLogs", [filter], logsSchema), address),
        );
      } catch (error) {
        const limited =
          isRangeLimitError(error) ||
          (error instanceof RpcQuorumError && error.errors.some(isRangeLimitError));
        if (limited && this.#range > 1) {
          this.#range = Math.max(1, Math.floor(this.#range / 2));
          continue;
        }
        throw error;
      }
      for (const id of ids) repaid.add(id);
      cursor = to;
      ranges += 1;
    }
    return {
      changed: known.map((loan) => loan.loanId).filter((id) => repaid.has(id.toLowerCase() as Hex)),
      scannedTo: cursor,
    };
  }

  async readSchedule(
    pool: Hex,
    loanId: Hex,
    openedAt: bigint,
  ): Promise<PoolLoanSchedule | undefined> {
    const address = wireToEvmAddress(pool);
    const head = await finalizedHead(this.#rpc, this.#finality);
    const [loan] = await evmView(this.#rpc, poolInterface, address, "getLoan", [loanId], head);
    const fields = loan as {
      status: bigint;
      installments: bigint;
      paidInstallments: bigint;
      principal: bigint;
      startTime: bigint;
      periodSeconds: bigint;
      installmentAmount: bigint;
    };
    if (fields.status === LOAN_STATUS_NONE || fields.status === LOAN_STATUS_REJECTED) {
      return undefined;
    }
    const payments =
      fields.paidInstallments === 0n ? [] : await this.#payments(address, loanId, openedAt, head);
    return {
      installments: Number(fields.installments),
      periodSeconds: fields.periodSeconds,
      startTime: fields.startTime,
      installmentAmount: fields.installmentAmount,
      outstandingPrincipal: fields.principal,
      dueBucketSeconds: await this.#bucketWidth(address, head),
      payments,
    };
  }

  async #bucketWidth(pool: string, head: bigint): Promise<bigint> {
    let width = this.#dueBucketSeconds.get(pool);
    if (width === undefined) {
      width = (
        await evmView(this.#rpc, poolInterface, pool, "dueBucketSeconds", [], head)
      )[0] as bigint;
      this.#dueBucketSeconds.set(pool, width);
    }
    return width;
  }

  async #payments(
    pool: string,
    loanId: Hex,
    from: bigint,
    to: bigint,
  ): Promise<PoolInstallmentPayment[]> {
    const filter = {
      address: pool,
      topics: [PAYMENT_TOPIC, loanId],
      fromBlock: toQuantity(from),
      toBlock: toQuantity(to),
    };
    const logs = await this.#rpc.quorum("eth_getLogs", [filter], z.array(logSchema));
    const times = new Map<string, bigint>();
    const payments: PoolInstallmentPayment[] = [];
    for (const log of logs) {
      if (log.removed === true) continue;
      const parsed = poolInterface.parseLog({ topics: log.topics, data: log.data });
      if (parsed === null) continue;
      let paidAt = times.get(log.blockNumber);
      if (paidAt === undefined) {
        const block = await this.#rpc.quorum(
          "eth_getBlockByNumber",
          [log.blockNumber, false],
          timestampSchema,
        );
        paidAt = BigInt(block.timestamp);
        times.set(log.blockNumber, paidAt);
      }
      payments.push({
        index: Number(parsed.args.getValue("index") as bigint),
        amount: parsed.args.getValue("amount") as bigint,
        remainingPrincipal: parsed.args.getValue("remainingPrincipal") as bigint,
        paidAt,
      });
    }
    return payments;
  }
}
