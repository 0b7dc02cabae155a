// A local Solana JSON-RPC node: LiteSVM (the real SVM: signature checks,
// precompiles, SBF programs) behind Solana's RPC methods, so several
// processes can share one chain through ordinary RPC clients. It stands in
// for Surfpool / solana-test-validator in tests and the demo.
import type { AddressInfo } from "node:net";
import {
  AccountRole,
  type Address,
  address,
  appendTransactionMessageInstructions,
  blockhash,
  createTransactionMessage,
  generateKeyPairSigner,
  getTransactionEncoder,
  type Instruction,
  lamports,
  pipe,
  setTransactionMessageFeePayerSigner,
  setTransactionMessageLifetimeUsingBlockhash,
  signTransactionMessageWithSigners,
} from "@solana/kit";
import { BaseError } from "@loanbridge/shared";
import { LiteSVM } from "litesvm";
import { Chain } from "./chain.ts";
import { createRpcServer, MAX_REQUEST_BODY_BYTES } from "./http.ts";
import { createMethods } from "./methods.ts";
import { invalidParams } from "./rpc-error.ts";
import { describeTransactionError } from "./transaction-error.ts";
import { fromWireTransaction } from "./wire.ts";

export class SvmNodeError extends BaseError {
  override name = "SvmNodeError";
}

export interface SvmNodeOptions {
  /** Port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number;
  /** SBF programs to load (SPL Token, Token-2022, ATA and Memo are built in). */
  programs?: readonly { id: Address; elf: Uint8Array }[];
  /** Wall-clock length of a slot in milliseconds (default 400). */
  slotMs?: number;
  /** Slots between `confirmed` and `finalized` (default 31). */
  finalityDepth?: number;
  /** Slots a blockhash stays usable (default 150). */
  blockhashValiditySlots?: number;
  /** The largest `requestAirdrop`, in lamports (default: no cap). */
  airdropCap?: bigint;
  /** The largest request body, in bytes (default 50 KiB, as Agave). */
  maxBodyBytes?: number;
}

export interface SvmNode {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** The chain's LiteSVM, for test set-up that no transaction can do. */
  svm: LiteSVM;
  /** The current (processed and confirmed) slot. */
  slot(): bigint;
  /** The finalized slot. */
  finalizedSlot(): bigint;
  /**
   * Takes the RPC server down (open connections cut, new ones refused)
   * while the chain keeps producing slots: a node its clients cannot reach.
   */
  stopRpc(): Promise<void>;
  /** Serves RPC again on the same port. */
  startRpc(): Promise<void>;
  stop(): Promise<void>;
}

const SYSTEM_PROGRAM = address("11111111111111111111111111111111");
const MEMO_PROGRAM = address("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr");
const FAUCET_LAMPORTS = 1_000_000_000n * 1_000_000_000n;
const SYSTEM_TRANSFER = 2;

export async function startSvmNode(options: SvmNodeOptions = {}): Promise<SvmNode> {
  const slotMs = options.slotMs ?? 400;
  const finalityDepth = options.finalityDepth ?? 31;
  const blockhashValiditySlots = options.blockhashValiditySlots ?? 150;
  assertPositiveInteger("slotMs", slotMs);
  assertPositiveInteger("blockhashValiditySlots", blockhashValiditySlots);
  if (!Number.isInteger(finalityDepth) || finalityDepth < 0) {
    throw new SvmNodeError("finalityDepth must be a whole number of slots", {
      details: String(finalityDepth),
    });
  }

  // LiteSVM's own blockhash check knows only its latest blockhash; the
  // chain checks expiry against every blockhash it issued.
  const svm = new LiteSVM().withBlockhashCheck(false);
  const chain = new Chain(svm, { slotMs, finalityDepth, blockhashValiditySlots }, Date.now());
  for (const program of options.programs ?? []) svm.addProgram(program.id, program.elf);

  const faucet = await generateKeyPairSigner();
  svm.setAccount({
    address: faucet.address,
    data: new Uint8Array(),
    executable: false,
    lamports: lamports(FAUCET_LAMPORTS),
    programAddress: SYSTEM_PROGRAM,
    space: 0n,
  });
  let airdrops = 0;

  /** A real System transfer from the faucet, with a memo so repeats differ. */
  async function airdrop(to: Address, amount: bigint): Promise<string> {
    airdrops += 1;
    const transfer: Instruction = {
      programAddress: SYSTEM_PROGRAM,
      accounts: [
        { address: faucet.address, role: AccountRole.WRITABLE_SIGNER },
        { address: to, role: AccountRole.WRITABLE },
      ],
      data: systemTransferData(amount),
    };
    const memo: Instruction = {
      programAddress: MEMO_PROGRAM,
      data: new TextEncoder().encode(`airdrop ${airdrops}`),
    };
    const signed = await pipe(
      createTransactionMessage({ version: "legacy" }),
      (message) => setTransactionMessageFeePayerSigner(faucet, message),
      (message) => {
        const latest = chain.latestBlockhash("processed");
        return setTransactionMessageLifetimeUsingBlockhash(
          {
            blockhash: blockhash(latest.blockhash),
            lastValidBlockHeight: latest.lastValidBlockHeight,
          },
          message,
        );
      },
      (message) => appendTransactionMessageInstructions([transfer, memo], message),
      (message) => signTransactionMessageWithSigners(message),
    );
    const wire = fromWireTransaction(new Uint8Array(getTransactionEncoder().encode(signed)));
    const execution = chain.execute(wire);
    if ("rejected" in execution) {
      throw invalidParams(`airdrop failed: ${describeTransactionError(execution.rejected)}`);
    }
    if (execution.landed.err !== null) {
      throw invalidParams(`airdrop failed: ${describeTransactionError(execution.landed.err)}`);
    }
    return wire.signature;
  }

  const methods = createMethods({ chain, airdrop, airdropCap: options.airdropCap });
  const server = createRpcServer(methods, options.maxBodyBytes ?? MAX_REQUEST_BODY_BYTES);
  const listen = (on: number) =>
    new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(on, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
  const close = () => {
    server.closeAllConnections();
    return new Promise<void>((resolve, reject) => {
      server.close((error) => {
        if (error) reject(error);
        else resolve();
      });
    });
  };
  await listen(options.port ?? 0);
  const { port } = server.address() as AddressInfo;

  // Slots follow wall-clock time: a late timer catches up slot by slot.
  const started = Date.now();
  let slotsDone = 0;
  const timer = setInterval(() => {
    const now = Date.now();
    const due = Math.floor((now - started) / slotMs);
    while (slotsDone < due) {
      slotsDone += 1;
      chain.advanceSlot(now);
    }
  }, slotMs);
  timer.unref();

  return {
    url: `http://127.0.0.1:${port}`,
    svm,
    slot: () => chain.slot(),
    finalizedSlot: () => chain.finalizedSlot(),
    stopRpc: async () => {
      if (server.listening) await close();
    },
    startRpc: async () => {
      if (!server.listening) await listen(port);
    },
    stop: async () => {
      clearInterval(timer);
      if (server.listening) await close();
    },
  };
}

function systemTransferData(amount: bigint): Uint8Array {
  const data = new Uint8Array(12);
  const view = new DataView(data.buffer);
  view.setUint32(0, SYSTEM_TRANSFER, true);
  view.setBigUint64(4, amount, true);
  return data;
}

function assertPositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new SvmNodeError(`${name} must be a positive whole number`, { details: String(value) });
  }
}
