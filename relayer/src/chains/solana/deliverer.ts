// Delivers attested packets to the Solana program: the Ed25519 precompile
// instruction carrying a threshold of verifier signatures, then `Deliver`
// with the receiving app's accounts resolved from chain state. Each attempt
// simulates first (CU + 10% becomes the compute-unit limit, with a priority
// fee), sends, rebroadcasts until confirmed, and on blockhash expiry checks
// the destination and tries again with a fresh blockhash.
import {
  decodePacket,
  type Hex,
  packetAttestationDigest,
  toBytes,
  toHex,
} from "@loanbridge/shared";
import {
  type AccountReader,
  addressBytes,
  decodeAccount,
  deliverAppAccounts,
  deliverInstructions,
  pda,
} from "@loanbridge/solana-program";
import {
  getSetComputeUnitLimitInstruction,
  getSetComputeUnitPriceInstruction,
} from "@solana-program/compute-budget";
import {
  type Address,
  address,
  appendTransactionMessageInstructions,
  type Blockhash,
  createKeyPairSignerFromBytes,
  createTransactionMessage,
  getBase64EncodedWireTransaction,
  getSignatureFromTransaction,
  type Instruction,
  type KeyPairSigner,
  pipe,
  setTransactionMessageFeePayerSigner,
  setTransactionMessageLifetimeUsingBlockhash,
  signTransactionMessageWithSigners,
} from "@solana/kit";
import { AlreadyDeliveredError, InsufficientAttestationsError } from "../errors.ts";
import { z } from "zod";
import { type JsonRpc, RpcDisagreementError, RpcQuorumError } from "../rpc.ts";
import type { Attestation, DeliveryProgress, DeliveryReceipt, PacketDeliverer } from "../types.ts";
import { SolanaDeliveryError } from "./errors.ts";
import {
  accountData,
  accountInfoSchema,
  balanceSchema,
  latestBlockhashSchema,
  signatureStatusesSchema,
  simulationSchema,
  slotSchema,
} from "./schemas.ts";
import { publicKeyBytes, verifyEd25519 } from "./signer.ts";

/** The most bytes a Solana transaction may have on the wire. */
export const MAX_TRANSACTION_SIZE = 1_232;
/** The most compute units a transaction may ask for. */
const MAX_COMPUTE_UNIT_LIMIT = 1_400_000;
const LAMPORTS_PER_SOL = 1_000_000_000;

export type SolanaDeliveryEvent =
  | { kind: "simulated"; guid: Hex; units: bigint }
  | { kind: "sent"; guid: Hex; signature: string; attempt: number }
  /** The compute-budget instructions did not fit: sent without limit and priority fee. */
  | { kind: "budget_dropped"; guid: Hex; size: number }
  | { kind: "expired"; guid: Hex; signature: string; attempt: number }
  | { kind: "confirmed"; guid: Hex; signature: string; slot: bigint };

/** A delivery transaction as a quorum sees it. */
type SignatureStatus = "pending" | { slot: bigint; err: unknown };

export interface SolanaDelivererOptions {
  eid: number;
  rpc: JsonRpc;
  programId: string;
  /** The fee payer's 64-byte keypair (solana-keygen JSON bytes). */
  payerKeypair: Uint8Array;
  /** Priority fee, micro-lamports per compute unit. Default 1,000. */
  computeUnitPrice?: bigint;
  /** Added to the simulated compute units, in basis points. Default 1,000 (10%). */
  computeUnitMarginBps?: number;
  /** Fresh blockhashes tried before giving up. Default 3. */
  maxAttempts?: number;
  /** Status polls. Default 250 ms. */
  pollIntervalMs?: number;
  /** Re-sends of an unconfirmed transaction. Default 2 s. */
  rebroadcastMs?: number;
  onEvent?: (event: SolanaDeliveryEvent) => void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class SolanaPacketDeliverer implements PacketDeliverer {
  readonly eid: number;
  /** The program id as `bytes32`: what digests bind. */
  readonly endpoint: Hex;
  readonly #rpc: JsonRpc;
  readonly #programId: Address;
  readonly #payer: Promise<KeyPairSigner>;
  readonly #computeUnitPrice: bigint;
  readonly #marginBps: bigint;
  readonly #maxAttempts: number;
  readonly #pollIntervalMs: number;
  readonly #rebroadcastMs: number;
  readonly #onEvent: NonNullable<SolanaDelivererOptions["onEvent"]>;
  /** The `onProgress` of each delivery in progress, by guid. */
  readonly #progress = new Map<Hex, DeliveryProgress>();

  constructor(options: SolanaDelivererOptions) {
    this.eid = options.eid;
    this.#rpc = options.rpc;
    this.#programId = address(options.programId);
    this.endpoint = toHex(addressBytes(this.#programId));
    this.#payer = createKeyPairSignerFromBytes(options.payerKeypair);
    // A rejected key would otherwise surface as an unhandled rejection.
    this.#payer.catch(() => undefined);
    this.#computeUnitPrice = options.computeUnitPrice ?? 1_000n;
    this.#marginBps = BigInt(options.computeUnitMarginBps ?? 1_000);
    this.#maxAttempts = options.maxAttempts ?? 3;
    this.#pollIntervalMs = options.pollIntervalMs ?? 250;
    this.#rebroadcastMs = options.rebroadcastMs ?? 2_000;
    this.#onEvent = options.onEvent ?? (() => undefined);
  }

  async verifierSet(): Promise<{ epoch: bigint; threshold: number; signers: string[] }> {
    const data = await this.#read(await pda.endpoint(this.#programId));
    if (data === null) throw new SolanaDeliveryError("the endpoint is not initialized");
    const endpoint = decodeAccount("Endpoint", data);
    const count = endpoint.verifier_count as number;
    return {
      epoch: endpoint.epoch as bigint,
      threshold: endpoint.threshold as number,
      signers: (endpoint.verifiers as string[]).slice(0, count),
    };
  }

  async isDelivered(guid: Hex): Promise<boolean> {
    const account = await this.#account(await pda.delivered(this.#programId, toBytes(guid)));
    return account !== null && account.owner === this.#programId;
  }

  async walletBalance(): Promise<{ account: string; balance: number }> {
    const payer = await this.#payer;
    const { value } = await this.#rpc.request(
      "getBalance",
      [payer.address, { commitment: "confirmed" }],
      balanceSchema,
    );
    return { account: payer.address, balance: Number(value) / LAMPORTS_PER_SOL };
  }

  async deliver(
    packet: Uint8Array,
    attestations: Attestation[],
    onProgress?: DeliveryProgress,
  ): Promise<DeliveryReceipt> {
    const { guid } = decodePacket(packet);
    if (onProgress === undefined) return this.#deliver(guid, packet, attestations);
    this.#progress.set(guid, onProgress);
    try {
      return await this.#deliver(guid, packet, attestations);
    } finally {
      this.#progress.delete(guid);
    }
  }

  #emit(event: SolanaDeliveryEvent): void {
    this.#onEvent(event);
    if (event.kind === "sent") this.#progress.get(event.guid)?.("sent", event.signature);
  }

  async #deliver(
    guid: Hex,
    packet: Uint8Array,
    attestations: Attestation[],
  ): Promise<DeliveryReceipt> {
    const set = await this.verifierSet();
    const digest = toBytes(packetAttestationDigest(this.endpoint, set.epoch, packet));
    const selected = selectEd25519Attestations(guid, digest, set, attestations);
    const payer = await this.#payer;
    const reader: AccountReader = (account) => this.#read(account);
    const instructions = await deliverInstructions(this.#programId, {
      payer,
      packet,
      appAccounts: await deliverAppAccounts(this.#programId, packet, reader),
      attestations: selected,
      digest,
    });
    for (let attempt = 1; attempt <= this.#maxAttempts; attempt++) {
      if (await this.isDelivered(guid)) throw new AlreadyDeliveredError(guid);
      const receipt = await this.#attempt(guid, payer, instructions, attempt);
      if (receipt !== undefined) return receipt;
    }
    if (await this.isDelivered(guid)) throw new AlreadyDeliveredError(guid);
    throw new SolanaDeliveryError(
      `deliver of ${guid} not confirmed within ${this.#maxAttempts} blockhashes`,
    );
  }

  /** One blockhash's worth: simulate, send, rebroadcast; undefined when it expired. */
  async #attempt(
    guid: Hex,
    payer: KeyPairSigner,
    instructions: Instruction[],
    attempt: number,
  ): Promise<DeliveryReceipt | undefined> {
    const { value: lifetime } = await this.#rpc.request(
      "getLatestBlockhash",
      [{ commitment: "confirmed" }],
      latestBlockhashSchema,
    );
    const build = (list: Instruction[]) =>
      signedTransaction(payer, list, {
        blockhash: lifetime.blockhash as Blockhash,
        lastValidBlockHeight: lifetime.lastValidBlockHeight,
      });
    const budget = (units: number) => [
      getSetComputeUnitLimitInstruction({ units }),
      getSetComputeUnitPriceInstruction({ microLamports: this.#computeUnitPrice }),
    ];
    // Simulated as it will be sent (the compute-budget instructions use units
    // too), at the most units a transaction may have; the limit's size is fixed.
    const probe = await build([...budget(MAX_COMPUTE_UNIT_LIMIT), ...instructions]);
    let transaction: SignedTransaction;
    if (probe.size > MAX_TRANSACTION_SIZE) {
      this.#onEvent({ kind: "budget_dropped", guid, size: probe.size });
      transaction = await build(instructions);
      await this.#simulate(guid, transaction);
    } else {
      const units = await this.#simulate(guid, probe);
      transaction = await build([...budget(Number(units)), ...instructions]);
    }
    const { wire, signature } = transaction;
    this.#progress.get(guid)?.("signed", signature);
    let sentAt = 0;
    for (;;) {
      if (Date.now() - sentAt >= this.#rebroadcastMs) {
        // To every endpoint: one that drops it must not keep it from the leader.
        await this.#rpc.broadcast(
          "sendTransaction",
          [wire, { encoding: "base64", skipPreflight: true, maxRetries: 0 }],
          z.string(),
        );
        if (sentAt === 0) this.#emit({ kind: "sent", guid, signature, attempt });
        sentAt = Date.now();
      }
      await sleep(this.#pollIntervalMs);
      const status = await this.#status(signature);
      if (status !== "pending") {
        if (status.err !== null) {
          throw new SolanaDeliveryError(`deliver of ${guid} failed on chain`, {
            details: JSON.stringify(status.err),
          });
        }
        this.#onEvent({ kind: "confirmed", guid, signature, slot: status.slot });
        return { tx: signature, height: status.slot, outcome: "delivered" };
      }
      const height = await this.#rpc.request(
        "getBlockHeight",
        [{ commitment: "confirmed" }],
        slotSchema,
      );
      if (height > lifetime.lastValidBlockHeight) {
        this.#onEvent({ kind: "expired", guid, signature, attempt });
        return undefined;
      }
    }
  }

  /** Compute units with the margin; throws what the program said when simulation fails. */
  async #simulate(guid: Hex, transaction: SignedTransaction): Promise<bigint> {
    const { value } = await this.#rpc.request(
      "simulateTransaction",
      [transaction.wire, { encoding: "base64", commitment: "confirmed", sigVerify: true }],
      simulationSchema,
    );
    if (value.err !== null) {
      if (await this.isDelivered(guid)) throw new AlreadyDeliveredError(guid);
      throw new SolanaDeliveryError(`deliver of ${guid} fails in simulation`, {
        details: `${JSON.stringify(value.err)}; ${(value.logs ?? []).slice(-4).join(" | ")}`,
      });
    }
    const used = value.unitsConsumed ?? 200_000n;
    this.#onEvent({ kind: "simulated", guid, units: used });
    return used + (used * this.#marginBps + 9_999n) / 10_000n;
  }

  /**
   * Accounts a delivery is built from or judged by (the verifier set, the
   * receiving app's state, the delivered-guid record) are read by quorum:
   * one endpoint must not steer what is sent or make a packet look delivered.
   */
  async #account(account: Address) {
    return this.#rpc.quorumRead("getAccountInfo", async (endpoint) => {
      const { value } = await endpoint.call(
        "getAccountInfo",
        [account, { commitment: "confirmed", encoding: "base64" }],
        accountInfoSchema,
      );
      return value;
    });
  }

  /**
   * Whether a quorum of endpoints shows the transaction confirmed (or failed);
   * "pending" while they do not agree on it.
   */
  async #status(signature: string): Promise<SignatureStatus> {
    try {
      return await this.#rpc.quorumRead(
        "getSignatureStatuses",
        async (endpoint) => {
          const { value } = await endpoint.call(
            "getSignatureStatuses",
            [[signature], { searchTransactionHistory: false }],
            signatureStatusesSchema,
          );
          const status = value[0];
          if (status == null || status.confirmationStatus === "processed") return "pending";
          return { slot: status.slot, err: status.err };
        },
        // Endpoints see a confirmation at different slots: they agree on its outcome.
        (status) => (status === "pending" ? "pending" : JSON.stringify(status.err)),
      );
    } catch (error) {
      if (error instanceof RpcDisagreementError || error instanceof RpcQuorumError) {
        return "pending";
      }
      throw error;
    }
  }

  async #read(account: Address): Promise<Uint8Array | null> {
    const value = await this.#account(account);
    return value === null ? null : accountData(value);
  }
}

interface SignedTransaction {
  wire: string;
  signature: string;
  size: number;
}

async function signedTransaction(
  payer: KeyPairSigner,
  instructions: Instruction[],
  lifetime: { blockhash: Blockhash; lastValidBlockHeight: bigint },
): Promise<SignedTransaction> {
  const transaction = await pipe(
    createTransactionMessage({ version: 0 }),
    (message) => setTransactionMessageFeePayerSigner(payer, message),
    (message) => setTransactionMessageLifetimeUsingBlockhash(lifetime, message),
    (message) => appendTransactionMessageInstructions(instructions, message),
    (message) => signTransactionMessageWithSigners(message),
  );
  const wire = getBase64EncodedWireTransaction(transaction);
  return {
    wire,
    signature: getSignatureFromTransaction(transaction),
    size: Buffer.from(wire, "base64").length,
  };
}

/**
 * The signatures `deliver` will carry: for this packet's digest under the
 * current set, from distinct current verifiers, valid ed25519 signatures,
 * the threshold's worth. Throws `InsufficientAttestationsError` naming what
 * was dropped and why.
 */
export function selectEd25519Attestations(
  guid: Hex,
  digest: Uint8Array,
  set: { epoch: bigint; threshold: number; signers: readonly string[] },
  attestations: readonly Attestation[],
): { publicKey: Uint8Array; signature: Uint8Array }[] {
  const members = new Set(set.signers);
  const chosen = new Map<string, { publicKey: Uint8Array; signature: Uint8Array }>();
  const dropped: string[] = [];
  for (const attestation of attestations) {
    const signature = toBytes(attestation.signature);
    const reason =
      attestation.epoch !== set.epoch
        ? `epoch ${attestation.epoch}, current ${set.epoch}`
        : attestation.guid.toLowerCase() !== guid
          ? "another guid"
          : !members.has(attestation.signer)
            ? "not in the current verifier set"
            : chosen.has(attestation.signer)
              ? "duplicate"
              : !verifyEd25519(attestation.signer, digest, signature)
                ? "not a valid signature of the digest"
                : undefined;
    if (reason !== undefined) {
      dropped.push(`${attestation.signer}: ${reason}`);
      continue;
    }
    chosen.set(attestation.signer, {
      publicKey: publicKeyBytes(attestation.signer),
      signature,
    });
  }
  if (chosen.size < set.threshold) {
    throw new InsufficientAttestationsError(guid, chosen.size, set.threshold, dropped);
  }
  return [...chosen.values()].slice(0, set.threshold);
}
