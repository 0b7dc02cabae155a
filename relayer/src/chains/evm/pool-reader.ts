// An EVM lending pool's loans at finality (LOANS.md "Installments"): the
// schedule from `getLoan`, the due-bucket width, and each completed
// installment from its `Payment` log, dated by its block. Every read is asked
// of a quorum of endpoints at the finalized head.
import { type Hex, wireToEvmAddress } from "@loanbridge/shared";
import { Interface } from "ethers";
import { z } from "zod";
import type { JsonRpc } from "../rpc.ts";
import { toQuantity } from "../rpc.ts";
import type { PoolInstallmentPayment, PoolLoanReader, PoolLoanSchedule } from "../types.ts";
import { type EvmFinality, finalizedHead } from "./finality.ts";
import { evmView } from "./view.ts";
import { logSchema, quantitySchema } from "./schemas.ts";

/** The slice of the LendingPool ABI read here (checked against the artifact in a chain test). */
export const POOL_READ_ABI = [
  "function dueBucketSeconds() view returns (uint64)",
  "function getLoan(bytes32 loanId) view returns ((uint8 status, uint32 srcEid, uint32 rateBps, uint64 dueTime, uint64 lastAccrual, uint16 installments, uint16 paidInstallments, bool offBook, uint128 principal, uint128 interest, uint128 repaid, uint128 collateralAmount, bytes32 collateralAsset, uint64 startTime, uint64 periodSeconds, uint128 installmentAmount))",
  "event Payment(bytes32 indexed loanId, uint16 indexed index, uint256 amount, uint256 remainingPrincipal)",
] as const;

const poolInterface = new Interface(POOL_READ_ABI);
const PAYMENT_TOPIC = poolInterface.getEvent("Payment")?.topicHash as Hex;
const LOAN_STATUS_NONE = 0n;
/** Rejected: recorded without a schedule. */
const LOAN_STATUS_REJECTED = 3n;

const timestampSchema = z.object({ timestamp: quantitySchema });

export class EvmPoolReader implements PoolLoanReader {
  readonly eid: number;
  readonly #rpc: JsonRpc;
  readonly #finality: EvmFinality;
  /** Per pool: fixed at its deployment. */
  readonly #dueBucketSeconds = new Map<string, bigint>();

  constructor(options: { eid: number; rpc: JsonRpc; finality: EvmFinality }) {
    this.eid = options.eid;
    this.#rpc = options.rpc;
    this.#finality = options.finality;
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
