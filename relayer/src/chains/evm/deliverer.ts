// Delivers attested packets to an EVM Endpoint:
//
//   1. keep only attestations that count: current epoch, this packet's digest
//      (recomputed here), a current verifier, a signature that recovers to it,
//      one per signer; need the threshold;
//   2. simulate `deliver` with eth_call and decode a revert with the Endpoint
//      ABI (EndpointAlreadyDelivered is success by someone else, not failure);
//   3. send an EIP-1559 transaction (fees from the node's fee history) with a
//      nonce from the key's NonceManager, wait for its receipt, and when it is
//      not mined in time replace it (same nonce, fees up by at least 12.5%),
//      up to `maxBumps` times and never above `maxFeePerGas`;
//   4. report `stored_failure` when the endpoint recorded the app's revert.
import {
  addressToWire,
  decodePacket,
  type Hex,
  type Packet,
  packetAttestationDigest,
  wireToEvmAddress,
} from "@loanbridge/shared";
import { formatEther, getAddress, hexlify, keccak256, Transaction, Wallet } from "ethers";
import { z } from "zod";
import type {
  Attestation,
  DeliveryProgress,
  DeliveryReceipt,
  PacketDeliverer,
  VerifierSet,
} from "../types.ts";
import {
  AlreadyDeliveredError,
  DeliveryError,
  DeliveryPendingError,
  InsufficientAttestationsError,
} from "../errors.ts";
import { endpointInterface } from "./endpointAbi.ts";
import { NonceManager } from "./nonces.ts";
import {
  type JsonRpc,
  RpcDisagreementError,
  RpcError,
  RpcQuorumError,
  toQuantity,
} from "../rpc.ts";
import {
  type EvmTxReceipt,
  feeHistorySchema,
  hexSchema,
  logSchema,
  quantitySchema,
  txReceiptSchema,
} from "./schemas.ts";
import { encodeSignatures, recoverSigner } from "./signer.ts";
import { evmView } from "./view.ts";
import { RecentReads } from "../recent-reads.ts";
import { settled } from "../settled.ts";

export interface EvmFeePolicy {
  /** Hard cap on maxFeePerGas, for first sends and replacements alike (wei). */
  maxFeePerGas: bigint;
  /** Floor for the tip (wei). Default 0. */
  minPriorityFeePerGas?: bigint;
  /** maxFeePerGas = baseFee × this + tip. Default 2. */
  baseFeeMultiplier?: bigint;
  /** Replacement bump in basis points; at least 1,250 (12.5%). Default 1,250. */
  bumpBps?: bigint;
  /** Replacements per delivery before giving up. Default 3. */
  maxBumps?: number;
}

export interface EvmDelivererOptions {
  eid: number;
  rpc: JsonRpc;
  /** The destination Endpoint contract. */
  endpoint: string;
  /** The executor's key: pays for `deliver`. Never logged. */
  senderKey: Uint8Array | Hex;
  /** Shared with other users of the same key on this chain; one is made otherwise. */
  nonces?: NonceManager;
  /** Read once from the node when absent. */
  chainId?: bigint;
  fees: EvmFeePolicy;
  gas?: {
    /** Gas limit = estimate × (10,000 + headroomBps) / 10,000, at least `min`. Default 3,000 bps. */
    headroomBps?: bigint;
    /** Default 500,000: the endpoint guarantees the app 300,000 and needs its own share. */
    min?: bigint;
  };
  /** How long one attempt may stay unmined before it is replaced. Default 60 s. */
  receiptTimeoutMs?: number;
  /** Receipt polling interval. Default 1 s. */
  pollIntervalMs?: number;
  /** How far back to look for the delivering transaction of an already delivered guid. Default 5,000. */
  deliveredLookbackBlocks?: number;
  onEvent?: (event: DeliveryEvent) => void;
}

export type DeliveryEvent =
  | { kind: "simulated"; guid: Hex; gasLimit: bigint }
  | {
      kind: "sent";
      guid: Hex;
      hash: Hex;
      nonce: bigint;
      attempt: number;
      maxFeePerGas: bigint;
      maxPriorityFeePerGas: bigint;
    }
  | { kind: "replacement_failed"; guid: Hex; reason: string }
  | { kind: "fee_cap_reached"; guid: Hex; maxFeePerGas: bigint }
  | { kind: "mined"; guid: Hex; hash: Hex; height: bigint; outcome: DeliveryReceipt["outcome"] };

export class EvmDeliveryError extends DeliveryError {
  override name = "EvmDeliveryError";
}

/** The endpoint rejected `deliver` (in simulation, or on chain). */
export class EndpointRevertError extends EvmDeliveryError {
  override name = "EndpointRevertError";
  readonly guid: Hex;
  /** The custom error's name, e.g. "EndpointUnknownPeer"; undefined when the data does not decode. */
  readonly errorName: string | undefined;
  readonly args: readonly unknown[];
  readonly data: Hex | undefined;

  constructor(
    guid: Hex,
    errorName: string | undefined,
    args: readonly unknown[],
    data: Hex | undefined,
  ) {
    super(`deliver of ${guid} reverts${errorName === undefined ? "" : ` with ${errorName}`}`, {
      details: errorName === undefined ? (data ?? "no revert data") : args.map(String).join(", "),
    });
    this.guid = guid;
    this.errorName = errorName;
    this.args = args;
    this.data = data;
  }
}

/** Not mined after every replacement the fee policy allows; the last one may still land. */
export class DeliveryTimeoutError extends EvmDeliveryError {
  override name = "DeliveryTimeoutError";
  readonly guid: Hex;
  readonly nonce: bigint;
  readonly hashes: readonly Hex[];

  constructor(guid: Hex, nonce: bigint, hashes: readonly Hex[]) {
    super(`deliver of ${guid} not mined after ${hashes.length} attempts (nonce ${nonce})`, {
      details: hashes.join(", "),
    });
    this.guid = guid;
    this.nonce = nonce;
    this.hashes = hashes;
  }
}

/** The network's base fee is above the configured cap: nothing we may send would be mined. */
export class FeeCapExceededError extends EvmDeliveryError {
  override name = "FeeCapExceededError";
}

const PACKET_FAILED_TOPIC = endpointInterface.getEvent("PacketFailed")?.topicHash as Hex;
const PACKET_DELIVERED_TOPIC = endpointInterface.getEvent("PacketDelivered")?.topicHash as Hex;
const MIN_BUMP_BPS = 1_250n;
/**
 * How long one fee reading serves first sends. Well under a block on any
 * chain, and a first send's fee is the base fee times
 * `baseFeeMultiplier` (2 by default) anyway: room for several full blocks.
 */
const MARKET_FEES_MAX_AGE_MS = 1_000;
/**
 * How long one verifier-set read is shared. A set replaced within it costs
 * a delivery a reverted simulation and a retry, as any rotation mid-delivery.
 */
const VERIFIER_SET_MAX_AGE_MS = 1_000;
const BPS = 10_000n;

interface Fees {
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}

export class EvmPacketDeliverer implements PacketDeliverer {
  readonly eid: number;
  /** The Endpoint contract's address, left-padded to `bytes32`: what digests bind. */
  readonly endpoint: Hex;
  readonly #rpc: JsonRpc;
  readonly #endpoint: string;
  readonly #wallet: Wallet;
  readonly #nonces: NonceManager;
  readonly #fees: Required<EvmFeePolicy>;
  /**
   * The market fees for first sends: one read serves every send of the next
   * MARKET_FEES_MAX_AGE_MS, and sends at once share it. A replacement reads
   * afresh (`#bumpedFees`).
   */
  readonly #recentMarketFees = new RecentReads<Fees & { baseFee: bigint }>(MARKET_FEES_MAX_AGE_MS);
  readonly #verifierSets = new RecentReads<VerifierSet>(VERIFIER_SET_MAX_AGE_MS);
  readonly #gasHeadroomBps: bigint;
  readonly #gasMin: bigint;
  readonly #receiptTimeoutMs: number;
  readonly #pollIntervalMs: number;
  readonly #lookback: number;
  readonly #onEvent: (event: DeliveryEvent) => void;
  /** The `onProgress` of each delivery in progress, by guid. */
  readonly #progress = new Map<Hex, DeliveryProgress>();
  #chainId: bigint | undefined;

  constructor(options: EvmDelivererOptions) {
    this.eid = options.eid;
    this.#rpc = options.rpc;
    this.#endpoint = getAddress(options.endpoint);
    this.endpoint = addressToWire(this.#endpoint);
    try {
      this.#wallet = new Wallet(hexlify(options.senderKey));
    } catch {
      throw new EvmDeliveryError("sender key is not a valid secp256k1 private key");
    }
    this.#nonces = options.nonces ?? new NonceManager(options.rpc, this.#wallet.address);
    if (this.#nonces.address !== this.#wallet.address) {
      throw new EvmDeliveryError("the nonce manager is for another address than the sender key");
    }
    this.#fees = {
      maxFeePerGas: options.fees.maxFeePerGas,
      minPriorityFeePerGas: options.fees.minPriorityFeePerGas ?? 0n,
      baseFeeMultiplier: options.fees.baseFeeMultiplier ?? 2n,
      bumpBps: options.fees.bumpBps ?? MIN_BUMP_BPS,
      maxBumps: options.fees.maxBumps ?? 3,
    };
    if (this.#fees.bumpBps < MIN_BUMP_BPS) {
      throw new EvmDeliveryError(`bumpBps must be at least ${MIN_BUMP_BPS} (12.5%)`);
    }
    if (!Number.isInteger(this.#fees.maxBumps) || this.#fees.maxBumps < 0) {
      throw new EvmDeliveryError("maxBumps must be a non-negative integer");
    }
    this.#gasHeadroomBps = options.gas?.headroomBps ?? 3_000n;
    this.#gasMin = options.gas?.min ?? 500_000n;
    this.#receiptTimeoutMs = options.receiptTimeoutMs ?? 60_000;
    this.#pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.#lookback = options.deliveredLookbackBlocks ?? 5_000;
    this.#onEvent = options.onEvent ?? (() => undefined);
    this.#chainId = options.chainId;
  }

  /** The address that sends `deliver` and pays for it. */
  get sender(): string {
    return this.#wallet.address;
  }

  /**
   * Read at most once per VERIFIER_SET_MAX_AGE_MS; callers within it (the
   * pipeline choosing who delivers, then the delivery) share the read.
   */
  verifierSet(): Promise<VerifierSet> {
    return this.#verifierSets.get("endpoint", () => this.#readVerifierSet());
  }

  async #readVerifierSet(): Promise<VerifierSet> {
    const [signers, threshold, epoch] = (await this.#view("verifierSet", [])) as unknown as [
      string[],
      bigint,
      bigint,
    ];
    return {
      epoch,
      threshold: Number(threshold),
      signers: signers.map((signer) => getAddress(signer)),
    };
  }

  /**
   * Read by the packet's path and nonce: the endpoint keeps a bitmap of
   * delivered nonces per path, not a map of guids.
   */
  async isDelivered(_guid: Hex, packet: Uint8Array): Promise<boolean> {
    return this.#isDelivered(decodePacket(packet));
  }

  async #isDelivered(packet: Packet): Promise<boolean> {
    const { receiver, srcEid, sender, nonce } = packet;
    const [delivered] = (await this.#view("delivered", [
      wireToEvmAddress(receiver),
      srcEid,
      sender,
      nonce,
    ])) as unknown as [boolean];
    return delivered;
  }

  async walletBalance(): Promise<{ account: string; balance: number }> {
    const account = this.#wallet.address;
    const wei = await this.#rpc.request("eth_getBalance", [account, "latest"], quantitySchema);
    return { account, balance: Number(formatEther(BigInt(wei))) };
  }

  async deliver(
    packetBytes: Uint8Array,
    attestations: Attestation[],
    onProgress?: DeliveryProgress,
  ): Promise<DeliveryReceipt> {
    let packet: Packet;
    try {
      packet = decodePacket(packetBytes);
    } catch (cause) {
      throw new EvmDeliveryError("packet does not decode", { cause });
    }
    if (onProgress === undefined) return this.#deliver(packet, packetBytes, attestations);
    this.#progress.set(packet.guid, onProgress);
    try {
      return await this.#deliver(packet, packetBytes, attestations);
    } finally {
      this.#progress.delete(packet.guid);
    }
  }

  #emit(event: DeliveryEvent): void {
    this.#onEvent(event);
    if (event.kind === "sent") this.#progress.get(event.guid)?.("sent", event.hash);
  }

  async #deliver(
    packet: Packet,
    packetBytes: Uint8Array,
    attestations: Attestation[],
  ): Promise<DeliveryReceipt> {
    const { guid } = packet;
    if (packet.dstEid !== this.eid) {
      throw new EvmDeliveryError(
        `packet ${guid} is for endpoint ${packet.dstEid}, not ${this.eid}`,
      );
    }
    const set = await this.verifierSet();
    const digest = packetAttestationDigest(this.endpoint, set.epoch, packetBytes);
    const chosen = selectAttestations(packet, digest, set, attestations);
    const data = endpointInterface.encodeFunctionData("deliver", [
      packetBytes,
      encodeSignatures(chosen, set.signers),
    ]) as Hex;

    // A transaction of ours can be dropped when another sender takes its nonce:
    // then simulate and send once more.
    for (let round = 0; ; round++) {
      // All at once; the simulation's answer comes first (an estimate of a
      // reverting call fails too, less clearly), then the fees'.
      const [simulation, estimate, fees] = await Promise.allSettled([
        this.#simulate(guid, data),
        this.#gasLimit(guid, data),
        this.#initialFees(guid),
      ]);
      if (settled(simulation) === "already_delivered") return this.#alreadyDelivered(guid);
      const gasLimit = settled(estimate);
      this.#onEvent({ kind: "simulated", guid, gasLimit });
      const outcome = await this.#sendAndWait(packet, data, gasLimit, settled(fees));
      if (outcome !== "dropped") return outcome;
      if (round > 0) throw new EvmDeliveryError(`deliver of ${guid} was dropped twice`);
    }
  }

  // ---------------------------------------------------------------------------
  // Simulation and gas

  async #simulate(guid: Hex, data: Hex): Promise<"ok" | "already_delivered"> {
    try {
      await this.#rpc.request(
        "eth_call",
        [{ from: this.#wallet.address, to: this.#endpoint, data }, "latest"],
        hexSchema,
      );
      return "ok";
    } catch (error) {
      const revert = decodeRevert(guid, error);
      if (revert === undefined) throw error;
      if (revert.errorName === "EndpointAlreadyDelivered") return "already_delivered";
      throw revert;
    }
  }

  /** Estimated against the pending state, where another sender's delivery may already be. */
  async #gasLimit(guid: Hex, data: Hex): Promise<bigint> {
    let estimated: string;
    try {
      estimated = await this.#rpc.request(
        "eth_estimateGas",
        [{ from: this.#wallet.address, to: this.#endpoint, data }],
        quantitySchema,
      );
    } catch (error) {
      if (decodeRevert(guid, error)?.errorName === "EndpointAlreadyDelivered") {
        throw new DeliveryPendingError(guid);
      }
      throw error;
    }
    const estimate = BigInt(estimated);
    const padded = (estimate * (BPS + this.#gasHeadroomBps)) / BPS;
    return padded > this.#gasMin ? padded : this.#gasMin;
  }

  // ---------------------------------------------------------------------------
  // Fees

  /** Next block's base fee × multiplier + the median recent tip, within the policy. */
  async #marketFees(): Promise<Fees & { baseFee: bigint }> {
    const history = await this.#rpc.request(
      "eth_feeHistory",
      [toQuantity(5), "latest", [50]],
      feeHistorySchema,
    );
    const baseFee = BigInt(history.baseFeePerGas.at(-1) ?? "0x0");
    const tips = (history.reward ?? [])
      .map((row) => BigInt(row[0] ?? "0x0"))
      .filter((tip) => tip > 0n)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    let tip = tips[Math.floor(tips.length / 2)];
    tip ??= BigInt(await this.#rpc.request("eth_maxPriorityFeePerGas", [], quantitySchema));
    if (tip < this.#fees.minPriorityFeePerGas) tip = this.#fees.minPriorityFeePerGas;
    return {
      baseFee,
      maxFeePerGas: baseFee * this.#fees.baseFeeMultiplier + tip,
      maxPriorityFeePerGas: tip,
    };
  }

  async #initialFees(guid: Hex): Promise<Fees> {
    const market = await this.#recentMarketFees.get("market", () => this.#marketFees());
    const cap = this.#fees.maxFeePerGas;
    if (market.baseFee >= cap) {
      throw new FeeCapExceededError(
        `base fee ${market.baseFee} is at or above the cap ${cap}: ${guid} would not be mined`,
      );
    }
    const maxFeePerGas = market.maxFeePerGas < cap ? market.maxFeePerGas : cap;
    return {
      maxFeePerGas,
      maxPriorityFeePerGas:
        market.maxPriorityFeePerGas < maxFeePerGas ? market.maxPriorityFeePerGas : maxFeePerGas,
    };
  }

  /** The previous fees up by bumpBps (or the market, if higher), or undefined at the cap. */
  async #bumpedFees(previous: Fees): Promise<Fees | undefined> {
    const up = (value: bigint) => (value * (BPS + this.#fees.bumpBps) + BPS - 1n) / BPS;
    const market = await this.#marketFees();
    const maxFeePerGas = max(up(previous.maxFeePerGas), market.maxFeePerGas);
    const tip = max(up(previous.maxPriorityFeePerGas), market.maxPriorityFeePerGas);
    // A replacement must raise both by the bump, which the cap may not allow.
    if (maxFeePerGas > this.#fees.maxFeePerGas) {
      if (up(previous.maxFeePerGas) > this.#fees.maxFeePerGas) return undefined;
      return {
        maxFeePerGas: this.#fees.maxFeePerGas,
        maxPriorityFeePerGas: min(tip, this.#fees.maxFeePerGas),
      };
    }
    return { maxFeePerGas, maxPriorityFeePerGas: min(tip, maxFeePerGas) };
  }

  // ---------------------------------------------------------------------------
  // Sending

  async #sendAndWait(
    packet: Packet,
    data: Hex,
    gasLimit: bigint,
    initialFees: Fees,
  ): Promise<DeliveryReceipt | "dropped"> {
    const { guid } = packet;
    const chainId = await this.#chain();
    let fees = initialFees;
    const sign = async (nonce: bigint, withFees: Fees) => {
      const raw = (await this.#wallet.signTransaction(
        Transaction.from({
          type: 2,
          chainId,
          nonce: Number(nonce),
          to: this.#endpoint,
          data,
          gasLimit,
          maxFeePerGas: withFees.maxFeePerGas,
          maxPriorityFeePerGas: withFees.maxPriorityFeePerGas,
          value: 0n,
        }),
      )) as Hex;
      this.#progress.get(guid)?.("signed", keccak256(raw).toLowerCase());
      return raw;
    };

    const { nonce, result: first } = await this.#nonces.send(
      (nonce) => sign(nonce, fees),
      (raw) => this.#sendRaw(raw),
    );
    const hashes: Hex[] = [first];
    this.#emit({ kind: "sent", guid, hash: first, nonce, attempt: 0, ...fees });

    let bumps = 0;
    let capped = false;
    let deadline = Date.now() + this.#receiptTimeoutMs;
    for (;;) {
      const receipt = await this.#firstReceipt(hashes);
      if (receipt !== undefined) return this.#settle(packet, receipt);

      if (await this.#nonceTaken(nonce)) {
        // Mined by now, or replaced by someone else's transaction: look once more.
        const late = await this.#firstReceipt(hashes);
        if (late !== undefined) return this.#settle(packet, late);
        await this.#nonces.reconcile();
        return "dropped";
      }

      if (Date.now() >= deadline) {
        if (bumps >= this.#fees.maxBumps || capped) {
          throw new DeliveryTimeoutError(guid, nonce, hashes);
        }
        const next = await this.#bumpedFees(fees);
        if (next === undefined) {
          capped = true;
          this.#onEvent({ kind: "fee_cap_reached", guid, maxFeePerGas: fees.maxFeePerGas });
        } else {
          bumps++;
          try {
            const hash = await this.#sendRaw(await sign(nonce, next));
            fees = next;
            hashes.push(hash);
            this.#emit({ kind: "sent", guid, hash, nonce, attempt: bumps, ...next });
          } catch (error) {
            // e.g. "nonce too low" because the previous attempt was just mined,
            // or "replacement underpriced": keep waiting on what was sent.
            this.#onEvent({
              kind: "replacement_failed",
              guid,
              reason: error instanceof Error ? error.message : String(error),
            });
          }
        }
        deadline = Date.now() + this.#receiptTimeoutMs;
      }
      await sleep(this.#pollIntervalMs);
    }
  }

  /** Sent to every endpoint; the hash is ours to compute, not an endpoint's to say. */
  async #sendRaw(raw: Hex): Promise<Hex> {
    const hash = keccak256(raw).toLowerCase() as Hex;
    try {
      await this.#rpc.broadcast("eth_sendRawTransaction", [raw], hexSchema);
      return hash;
    } catch (error) {
      // The very same transaction is already in the pool: it was sent.
      if (
        error instanceof RpcError &&
        error.kind === "rpc_error" &&
        /already known|known transaction|already imported/i.test(error.shortMessage)
      ) {
        return hash;
      }
      throw error;
    }
  }

  /**
   * The first of our transactions a quorum of endpoints shows mined (one
   * endpoint inventing a receipt must not make a packet count as delivered);
   * endpoints without a quorum yet are "not yet".
   */
  async #firstReceipt(hashes: readonly Hex[]): Promise<EvmTxReceipt | undefined> {
    for (const hash of [...hashes].reverse()) {
      let receipt: EvmTxReceipt | null;
      try {
        receipt = await this.#rpc.quorum(
          "eth_getTransactionReceipt",
          [hash],
          txReceiptSchema.nullable(),
        );
      } catch (error) {
        if (error instanceof RpcDisagreementError || error instanceof RpcQuorumError) continue;
        throw error;
      }
      if (receipt !== null) return receipt;
    }
    return undefined;
  }

  /** Whether a transaction with `nonce` from the sender is already in a block. */
  async #nonceTaken(nonce: bigint): Promise<boolean> {
    const mined = BigInt(
      await this.#rpc.request(
        "eth_getTransactionCount",
        [this.#wallet.address, "latest"],
        quantitySchema,
      ),
    );
    return mined > nonce;
  }

  async #settle(packet: Packet, receipt: EvmTxReceipt): Promise<DeliveryReceipt> {
    const { guid } = packet;
    if (BigInt(receipt.status) !== 1n) {
      // Lost a race with another executor, or the state changed since the simulation.
      if (await this.#isDelivered(packet)) return this.#alreadyDelivered(guid);
      throw new EndpointRevertError(guid, undefined, [], undefined);
    }
    const result: DeliveryReceipt = {
      tx: receipt.transactionHash.toLowerCase(),
      height: BigInt(receipt.blockNumber),
      outcome: outcomeOf(guid, this.#endpoint, receipt),
    };
    this.#onEvent({
      kind: "mined",
      guid,
      hash: result.tx as Hex,
      height: result.height,
      outcome: result.outcome,
    });
    return result;
  }

  /** The receipt of the transaction that delivered `guid`, found by its PacketDelivered log. */
  async #alreadyDelivered(guid: Hex): Promise<DeliveryReceipt> {
    const latest = BigInt(await this.#rpc.request("eth_blockNumber", [], quantitySchema));
    const from = latest > BigInt(this.#lookback) ? latest - BigInt(this.#lookback) : 0n;
    let logs: z.infer<typeof logSchema>[] = [];
    try {
      logs = await this.#rpc.request(
        "eth_getLogs",
        [
          {
            address: this.#endpoint,
            topics: [PACKET_DELIVERED_TOPIC, guid],
            fromBlock: toQuantity(from),
            toBlock: toQuantity(latest),
          },
        ],
        z.array(logSchema),
      );
    } catch (error) {
      if (!(error instanceof RpcError) || error.kind !== "rpc_error") throw error;
      // A provider's range limit: the guid is delivered all the same.
    }
    const log = logs.find((entry) => entry.removed !== true);
    if (log === undefined) throw new AlreadyDeliveredError(guid);
    const receipt = await this.#rpc.request(
      "eth_getTransactionReceipt",
      [log.transactionHash],
      txReceiptSchema.nullable(),
    );
    if (receipt === null) throw new AlreadyDeliveredError(guid);
    return {
      tx: receipt.transactionHash.toLowerCase(),
      height: BigInt(receipt.blockNumber),
      outcome: outcomeOf(guid, this.#endpoint, receipt),
    };
  }

  /** Views that decide what is sent (or that nothing is) are read by quorum: one endpoint must not steer them. */
  #view(fn: "verifierSet" | "delivered", args: unknown[]) {
    return evmView(this.#rpc, endpointInterface, this.#endpoint, fn, args, "latest");
  }

  async #chain(): Promise<bigint> {
    this.#chainId ??= BigInt(await this.#rpc.request("eth_chainId", [], quantitySchema));
    return this.#chainId;
  }
}

/**
 * The attestations `deliver` will carry: valid for this packet and the
 * current set, one per signer, the threshold's worth. Throws
 * `InsufficientAttestationsError` naming what was dropped and why.
 */
export function selectAttestations(
  packet: Packet,
  digest: Hex,
  set: { epoch: bigint; threshold: number; signers: readonly string[] },
  attestations: readonly Attestation[],
): Attestation[] {
  const members = new Set(set.signers.map((signer) => getAddress(signer)));
  const bySigner = new Map<string, Attestation>();
  const dropped: string[] = [];
  for (const attestation of attestations) {
    let signer: string;
    try {
      signer = getAddress(attestation.signer);
    } catch {
      dropped.push(`${attestation.signer}: not an address`);
      continue;
    }
    const reason =
      attestation.epoch !== set.epoch
        ? `epoch ${attestation.epoch}, current ${set.epoch}`
        : attestation.guid.toLowerCase() !== packet.guid
          ? "another guid"
          : attestation.digest.toLowerCase() !== digest.toLowerCase()
            ? "another digest"
            : !members.has(signer)
              ? "not in the current verifier set"
              : recoverSigner(digest, attestation.signature) !== signer
                ? "signature does not recover to the signer"
                : bySigner.has(signer)
                  ? "duplicate"
                  : undefined;
    if (reason !== undefined) {
      dropped.push(`${signer}: ${reason}`);
      continue;
    }
    bySigner.set(signer, attestation);
  }
  if (bySigner.size < set.threshold) {
    throw new InsufficientAttestationsError(packet.guid, bySigner.size, set.threshold, dropped);
  }
  return [...bySigner.entries()]
    .sort(([a], [b]) => (BigInt(a) < BigInt(b) ? -1 : 1))
    .slice(0, set.threshold)
    .map(([, attestation]) => attestation);
}

/** Decodes the revert data of a failed eth_call / estimate with the Endpoint ABI. */
export function decodeRevert(guid: Hex, error: unknown): EndpointRevertError | undefined {
  if (!(error instanceof RpcError) || error.kind !== "rpc_error") return undefined;
  const data = revertData(error.data);
  if (data === undefined) {
    // Some nodes answer a revert without data (e.g. out of gas): still a revert.
    return /revert/i.test(error.shortMessage)
      ? new EndpointRevertError(guid, undefined, [], undefined)
      : undefined;
  }
  try {
    const parsed = endpointInterface.parseError(data);
    if (parsed !== null) return new EndpointRevertError(guid, parsed.name, [...parsed.args], data);
  } catch {
    // Not one of the endpoint's errors.
  }
  return new EndpointRevertError(guid, undefined, [], data);
}

function revertData(data: unknown): Hex | undefined {
  if (typeof data === "string" && /^0x[0-9a-fA-F]*$/.test(data)) return data as Hex;
  // Some nodes nest it: { data: "0x…" } or { message, data }.
  if (typeof data === "object" && data !== null && "data" in data) {
    return revertData(data.data);
  }
  return undefined;
}

function outcomeOf(guid: Hex, endpoint: string, receipt: EvmTxReceipt): DeliveryReceipt["outcome"] {
  const failed = receipt.logs.some(
    (log) =>
      getAddress(log.address) === endpoint &&
      log.topics[0]?.toLowerCase() === PACKET_FAILED_TOPIC &&
      log.topics[1]?.toLowerCase() === guid.toLowerCase(),
  );
  return failed ? "stored_failure" : "delivered";
}

const max = (a: bigint, b: bigint) => (a > b ? a : b);
const min = (a: bigint, b: bigint) => (a < b ? a : b);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
