// One nonce manager per sending key and chain (DESIGN.md "Lessons": one nonce
// manager per signer, reconciliation at start). Nonces are taken and their
// transactions signed one at a time, in order, and each send starts before
// the next nonce is taken; the sends are not waited for one by one, so
// several are in flight at once (a node holds a transaction that arrives
// before the one with the nonce below it until that one comes). The next
// nonce comes from the chain's pending count at first use and again after
// any failed send; each signed transaction moves it on by one.
import type { Hex } from "@loanbridge/shared";
import { getAddress } from "ethers";
import { type JsonRpc, RpcError } from "../rpc.ts";
import { quantitySchema } from "./schemas.ts";

/**
 * Errors after which the chain knows better than we do which nonce is next:
 * ours was used, or is past the next (a send before it did not arrive, and
 * this node holds no transaction for later).
 */
export function isNonceError(error: unknown): boolean {
  return (
    error instanceof RpcError &&
    error.kind === "rpc_error" &&
    /nonce too (low|high)|nonce.*(already|used|expired)|replacement transaction underpriced|already known|known transaction/i.test(
      error.shortMessage,
    )
  );
}

export class NonceManager {
  readonly address: string;
  readonly #rpc: JsonRpc;
  #next: bigint | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(rpc: JsonRpc, address: string) {
    this.#rpc = rpc;
    this.address = getAddress(address);
  }

  /** The nonce the next send will use, if known (undefined before the first reconcile). */
  get next(): bigint | undefined {
    return this.#next;
  }

  /** Takes the chain's pending transaction count as the next nonce. */
  async reconcile(): Promise<bigint> {
    return this.#exclusive(() => this.#reconcile());
  }

  /**
   * Signs a transaction with the next nonce and sends it. Only taking the
   * nonce and signing are one at a time: the send runs beside the sends
   * taken before and after it. After a failed send the next nonce is read
   * from the chain again; a nonce error (another sender used the nonce, or
   * a send before it never arrived) is retried once with the nonce read
   * afresh.
   */
  async send<T>(
    sign: (nonce: bigint) => Promise<Hex>,
    broadcast: (raw: Hex) => Promise<T>,
  ): Promise<{ nonce: bigint; result: T }> {
    for (let attempt = 0; ; attempt++) {
      const { nonce, sending } = await this.#exclusive(async () => {
        const nonce = this.#next ?? (await this.#reconcile());
        const raw = await sign(nonce);
        this.#next = nonce + 1n;
        const started = broadcast(raw);
        // Awaited below, once the next nonce is free to be taken.
        started.catch(() => undefined);
        return { nonce, sending: started };
      });
      try {
        return { nonce, result: await sending };
      } catch (error) {
        this.#next = undefined;
        if (attempt === 0 && isNonceError(error)) continue;
        throw error;
      }
    }
  }

  async #reconcile(): Promise<bigint> {
    const pending = BigInt(
      await this.#rpc.request("eth_getTransactionCount", [this.address, "pending"], quantitySchema),
    );
    this.#next = pending;
    return pending;
  }

  #exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
