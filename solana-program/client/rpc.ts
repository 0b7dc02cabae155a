// Sending instructions to a Solana JSON-RPC node (the demo, the borrower CLI
// and the end-to-end tests): sign with the signers the instructions name,
// send, and poll the signature status until it reaches the commitment.
// Polling, not WebSocket subscriptions: the local node has no PubSub.
import {
  type Address,
  appendTransactionMessageInstructions,
  createSolanaRpc,
  createTransactionMessage,
  devnet,
  getBase64EncodedWireTransaction,
  getSignatureFromTransaction,
  type Instruction,
  lamports,
  pipe,
  type Signature,
  setTransactionMessageFeePayerSigner,
  setTransactionMessageLifetimeUsingBlockhash,
  signTransactionMessageWithSigners,
  type TransactionSigner,
} from "@solana/kit";
import { BaseError, type BaseErrorOptions } from "@loanbridge/shared";

/**
 * A client for a local or test node. The `devnet` brand is only a type: it
 * lets the client call `requestAirdrop`, which local nodes answer.
 */
export function solanaRpc(url: string) {
  return createSolanaRpc(devnet(url));
}

export type SolanaRpc = ReturnType<typeof solanaRpc>;

/** A transaction failed (its error as the RPC reported it) or never confirmed. */
export class SolanaTransactionError extends BaseError {
  override name = "SolanaTransactionError";
  /**
   * Whether nothing in the transaction took effect: refused in preflight, or
   * failed on chain. False when it was not seen confirmed in time (it may
   * still land).
   */
  readonly refused: boolean;
  constructor(message: string, options: BaseErrorOptions & { refused: boolean }) {
    super(message, options);
    this.refused = options.refused;
  }
}

export interface SentSolanaTransaction {
  signature: Signature;
  slot: bigint;
}

export interface RpcSenderOptions {
  /** Pays fees; every other signer comes from the instructions' account metas. */
  feePayer: TransactionSigner;
  commitment?: "confirmed" | "finalized";
  pollIntervalMs?: number;
  timeoutMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `send(...instructions)` as one transaction; resolves once it reaches the commitment. */
export function rpcSender(rpc: SolanaRpc, options: RpcSenderOptions) {
  const commitment = options.commitment ?? "confirmed";
  const pollIntervalMs = options.pollIntervalMs ?? 100;
  const timeoutMs = options.timeoutMs ?? 30_000;
  return async function send(...instructions: Instruction[]): Promise<SentSolanaTransaction> {
    const { value: lifetime } = await rpc.getLatestBlockhash({ commitment: "confirmed" }).send();
    const transaction = await pipe(
      createTransactionMessage({ version: 0 }),
      (message) => setTransactionMessageFeePayerSigner(options.feePayer, message),
      (message) => setTransactionMessageLifetimeUsingBlockhash(lifetime, message),
      (message) => appendTransactionMessageInstructions(instructions, message),
      (message) => signTransactionMessageWithSigners(message),
    );
    const signature = getSignatureFromTransaction(transaction);
    try {
      await rpc
        .sendTransaction(getBase64EncodedWireTransaction(transaction), {
          encoding: "base64",
          preflightCommitment: "confirmed",
        })
        .send();
    } catch (cause) {
      throw new SolanaTransactionError("transaction rejected in preflight", {
        cause,
        details: preflightDetails(cause),
        refused: true,
      });
    }
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const { value } = await rpc.getSignatureStatuses([signature]).send();
      const status = value[0];
      const reached =
        status?.confirmationStatus === "finalized" ||
        (commitment === "confirmed" && status?.confirmationStatus === "confirmed");
      if (status && reached) {
        if (status.err !== null) {
          throw new SolanaTransactionError(`transaction ${signature} failed`, {
            details: JSON.stringify(status.err, (_key, value: unknown) =>
              typeof value === "bigint" ? value.toString() : value,
            ),
            refused: true,
          });
        }
        return { signature, slot: status.slot };
      }
      await sleep(pollIntervalMs);
    }
    throw new SolanaTransactionError(
      `transaction ${signature} not ${commitment} in ${timeoutMs} ms`,
      { refused: false },
    );
  };
}

export type SendInstructions = ReturnType<typeof rpcSender>;

/** The logs of a failed preflight, which say why (kit puts them in the error's context). */
function preflightDetails(cause: unknown): string {
  const context = (cause as { context?: { logs?: unknown } } | undefined)?.context;
  const logs = Array.isArray(context?.logs) ? (context.logs as string[]) : [];
  return logs.length > 0 ? logs.slice(-6).join(" | ") : String(cause);
}

/** Airdrops `sol` to `account` and waits until the balance shows it. */
export async function airdrop(rpc: SolanaRpc, account: Address, sol: bigint): Promise<void> {
  const signature = await rpc.requestAirdrop(account, lamports(sol * 1_000_000_000n)).send();
  for (let i = 0; i < 300; i++) {
    const { value } = await rpc.getSignatureStatuses([signature]).send();
    if (value[0]?.confirmationStatus != null) return;
    await sleep(100);
  }
  throw new SolanaTransactionError(`airdrop to ${account} not confirmed`, { refused: false });
}
