// Helpers for the node's chain tests: raw JSON-RPC calls (to see the exact
// wire shapes) and signed transactions built with @solana/kit.
import {
  type AccountMeta,
  AccountRole,
  type AccountSignerMeta,
  type Address,
  appendTransactionMessageInstructions,
  type Blockhash,
  createTransactionMessage,
  getBase64EncodedWireTransaction,
  getSignatureFromTransaction,
  type Instruction,
  pipe,
  setTransactionMessageFeePayerSigner,
  setTransactionMessageLifetimeUsingBlockhash,
  signTransactionMessageWithSigners,
  type TransactionSigner,
} from "@solana/kit";
import { SYSTEM_PROGRAM_ADDRESS } from "../client/index.ts";

export interface RpcReply {
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

/** One JSON-RPC call over plain fetch; the reply as sent. */
export async function rawCall(
  url: string,
  method: string,
  params: unknown[] = [],
): Promise<RpcReply> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  return (await response.json()) as RpcReply;
}

export function transferInstruction(
  from: TransactionSigner,
  to: Address,
  amount: bigint,
): Instruction {
  const data = new Uint8Array(12);
  const view = new DataView(data.buffer);
  view.setUint32(0, 2, true);
  view.setBigUint64(4, amount, true);
  const accounts: (AccountMeta | AccountSignerMeta)[] = [
    { address: from.address, role: AccountRole.WRITABLE_SIGNER, signer: from },
    { address: to, role: AccountRole.WRITABLE },
  ];
  return { programAddress: SYSTEM_PROGRAM_ADDRESS, accounts, data };
}

export interface SignedTransaction {
  base64: string;
  signature: string;
}

/** Signs `instructions` (every signer in their account metas) with `payer` paying. */
export async function signedTransaction(
  payer: TransactionSigner,
  instructions: Instruction[],
  lifetime: { blockhash: string; lastValidBlockHeight: bigint },
  version: "legacy" | 0 = 0,
): Promise<SignedTransaction> {
  const transaction = await pipe(
    createTransactionMessage({ version }),
    (message) => setTransactionMessageFeePayerSigner(payer, message),
    (message) =>
      setTransactionMessageLifetimeUsingBlockhash(
        {
          blockhash: lifetime.blockhash as Blockhash,
          lastValidBlockHeight: lifetime.lastValidBlockHeight,
        },
        message,
      ),
    (message) => appendTransactionMessageInstructions(instructions, message),
    (message) => signTransactionMessageWithSigners(message),
  );
  return {
    base64: getBase64EncodedWireTransaction(transaction),
    signature: getSignatureFromTransaction(transaction),
  };
}

/** Polls `read` until `done` holds, or fails after `timeoutMs`. */
export async function waitFor<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting; last value: ${String(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
