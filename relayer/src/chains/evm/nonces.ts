// One nonce manager per sending key and chain (DESIGN.md "Lessons": one nonce
// manager per signer, reconciliation at start). Nonces are handed out and
// their transactions sent one at a time, so every nonce taken is known to the
// node before the next is taken. The next nonce comes from the chain's
// pending count at first use and again after any failed send; a successful
// send moves it on by one.
import { getAddress } from "ethers";
import { type JsonRpc, RpcError } from "../rpc.ts";
import { quantitySchema } from "./schemas.ts";

/** Errors after which the chain knows better than we do which nonce is next. */
export function isNonceError(error: unknown): boolean {
  return (
    error instanceof RpcError &&
    error.kind === "rpc_error" &&
    /nonce too low|nonce.*(already|used|expired)|replacement transaction underpriced|already known|known transaction/i.test(
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
   * Runs `send` with the next nonce, alone. If it succeeds the nonce is used;
   * if it fails the nonce is read from the chain again before the next send.
   * A nonce error (another sender used the nonce) is retried once with the
   * reconciled nonce.
   */
  async withNonce<T>(send: (nonce: bigint) => Promise<T>): Promise<{ nonce: bigint; result: T }> {
    return this.#exclusive(async () => {
      for (let attempt = 0; ; attempt++) {
        const nonce = this.#next ?? (await this.#reconcile());
        try {
          const result = await send(nonce);
          this.#next = nonce + 1n;
          return { nonce, result };
        } catch (error) {
          this.#next = undefined;
          if (attempt === 0 && isNonceError(error)) continue;
          throw error;
        }
      }
    });
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
