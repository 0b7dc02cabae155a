// In-memory chain doubles for pipeline tests: a source whose watcher hands
// out scripted batches, a verifier that says what it is told, and a
// destination endpoint with the real rules (epoch, verifier set, threshold,
// each guid delivered once). Real packets (shared's encoders) and real
// signature checks; only the chains are stand-ins. Not used at run time.
import {
  computeGuid,
  decodePacket,
  encodeLoanMessage,
  encodePacket,
  type Hex,
  type LoanMessage,
  packetAttestationDigest,
} from "@loanbridge/shared";
import { AlreadyDeliveredError } from "../chains/errors.ts";
import { RpcQuorumError } from "../chains/rpc.ts";
import { recoverSigner } from "../chains/evm/signer.ts";
import { VERIFIER_ADDRESSES } from "../chains/evm/testing.ts";
import type {
  Attestation,
  DeliveryProgress,
  DeliveryReceipt,
  ObservedPacket,
  PacketDeliverer,
  PacketVerifier,
  PacketWatcher,
  PreparedDelivery,
  LoanAppRegistry,
  LoanRole,
  VerificationResult,
  WatchBatch,
  WatchState,
} from "../chains/types.ts";
import type { Store } from "../store/store.ts";

export const SRC = 40161;
export const DST = 40168;
export const EPOCH = 3n;
export const word = (n: number): Hex => `0x${n.toString(16).padStart(64, "0")}`;
/** The destination endpoint (bytes32) every digest for DST binds. */
export const ENDPOINT = word(0xe9d);

/** The loan apps of every test chain: each chain has a vault and a pool at these addresses. */
export const VAULT_APP = word(0xa);
export const POOL_APP = word(0xb);

/**
 * A loan packet as the loan apps send it: OPEN_LOAN from the vault to the
 * pool, the rest from the pool to the vault; `apps` sends it as others.
 */
export function loanPacket(
  nonce: bigint,
  message: LoanMessage,
  srcEid = SRC,
  dstEid = DST,
  apps = message.type === "OPEN_LOAN"
    ? { sender: VAULT_APP, receiver: POOL_APP }
    : { sender: POOL_APP, receiver: VAULT_APP },
) {
  const header = { nonce, srcEid, ...apps, dstEid };
  const packet = encodePacket(header, encodeLoanMessage(message));
  const observed: ObservedPacket = {
    packet,
    guid: computeGuid(header),
    srcEid,
    dstEid,
    nonce,
    sourceTx: `0x${nonce.toString(16).padStart(64, "f")}`,
    sourceHeight: 100n + nonce,
    sourceIndex: 0,
  };
  return observed;
}

/**
 * Records in `store` a loan the mirror has seen opened and answered Active:
 * both sides, and the pool's LOAN_ACTIVE (from `poolApp`, default POOL_APP)
 * delivered, the packet the installment mirror reads the pool from.
 */
export async function recordActiveLoan(
  store: Store,
  loan: {
    nonce: bigint;
    loanId: Hex;
    collateralEid: number;
    lendingEid: number;
    principal: bigint;
    rateBps: number;
    installments?: number;
    startTime?: bigint;
    dueTime?: bigint;
    poolApp?: Hex;
  },
): Promise<{ observed: ObservedPacket; active: LoanMessage }> {
  const { loanId, collateralEid, lendingEid, principal, rateBps } = loan;
  const ids = { loanId, collateralEid, lendingEid };
  await store.upsertLoan({
    ...ids,
    side: "vault",
    state: "Requested",
    borrower: word(0xbb),
    recipient: word(0xcc),
    collateralAsset: word(0),
    collateralAmount: 10n ** 18n,
    principal,
    ...(loan.installments !== undefined && { installments: loan.installments }),
  });
  await store.upsertLoan({ ...ids, side: "pool", state: "Active", principal, rateBps });
  const active: LoanMessage = {
    type: "LOAN_ACTIVE",
    loanId,
    principal,
    rateBps,
    startTime: loan.startTime ?? 1n,
    dueTime: loan.dueTime ?? 2n,
  };
  const observed = loanPacket(
    loan.nonce,
    active,
    lendingEid,
    collateralEid,
    loan.poolApp === undefined ? undefined : { sender: loan.poolApp, receiver: word(0xee) },
  );
  await store.recordObserved(observed);
  await store.markVerified(observed.guid, { loanId });
  await store.markDelivered(observed.guid, { destTx: word(0xde) });
  return { observed, active };
}

export const openLoan = (n: number): LoanMessage => ({
  type: "OPEN_LOAN",
  loanId: word(0x1000 + n),
  borrower: word(0xbb),
  recipient: word(0xbb),
  collateralAsset: word(0),
  collateralAmount: 10n ** 18n,
  principal: 1_000_000n,
  maxRateBps: 1_000,
  termSeconds: 86_400n,
  expiresAt: 2_000_000_000n,
  installments: 1,
});

export class ListWatcher implements PacketWatcher {
  readonly eid = SRC;
  readonly polls: bigint[] = [];
  readonly states: (WatchState | undefined)[] = [];
  batches: WatchBatch[] = [];
  poll(cursor: bigint, state?: WatchState): Promise<WatchBatch> {
    this.polls.push(cursor);
    this.states.push(state);
    const batch = this.batches.shift();
    return Promise.resolve(batch ?? { packets: [], scannedTo: cursor, finalizedHead: cursor });
  }
}

export class ScriptedVerifier implements PacketVerifier {
  readonly eid = SRC;
  result: VerificationResult = { ok: true };
  verify(): Promise<VerificationResult> {
    return Promise.resolve(this.result);
  }
}

/** The destination endpoint's rules in memory: epoch, set, threshold, delivered once. */
export class MemoryDestination implements PacketDeliverer {
  readonly eid = DST;
  endpoint: Hex = ENDPOINT;
  readonly delivered = new Map<Hex, Attestation[]>();
  calls = 0;
  failNext: Error | undefined;
  /** Our transaction is sent, and then another relayer's lands first. */
  loseRaceAfterSending: "reverted" | "already_delivered" | undefined;
  /** Deliveries whose confirmation waits for the promise (sent at once). */
  readonly confirmations = new Map<Hex, Promise<void>>();
  /** Deliveries between the call and its answer: now, and the most at once. */
  inFlight = 0;
  maxInFlight = 0;
  /** What the pipeline asked, in order: `prepare`, `isDelivered` and `deliver`, each with its guid. */
  readonly asked: string[] = [];
  /** The handle each delivery was given (`prepare`'s, or none). */
  readonly handles: (PreparedDelivery | undefined)[] = [];
  verifierSet() {
    return Promise.resolve({ epoch: EPOCH, threshold: 2, signers: [...VERIFIER_ADDRESSES] });
  }
  prepare(packet: Uint8Array): PreparedDelivery {
    const { guid } = decodePacket(packet);
    this.asked.push(`prepare ${guid}`);
    return { guid, at: Date.now() };
  }
  isDelivered(guid: Hex) {
    this.asked.push(`isDelivered ${guid}`);
    return Promise.resolve(this.delivered.has(guid));
  }
  walletBalance() {
    return Promise.resolve({ account: "executor", balance: 1 });
  }
  async deliver(
    packet: Uint8Array,
    attestations: Attestation[],
    onProgress?: DeliveryProgress,
    prepared?: PreparedDelivery,
  ): Promise<DeliveryReceipt> {
    this.asked.push(`deliver ${decodePacket(packet).guid}`);
    this.handles.push(prepared);
    this.calls++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      return await this.#deliver(packet, attestations, onProgress);
    } finally {
      this.inFlight--;
    }
  }

  async #deliver(
    packet: Uint8Array,
    attestations: Attestation[],
    onProgress?: DeliveryProgress,
  ): Promise<DeliveryReceipt> {
    if (this.failNext !== undefined) {
      const error = this.failNext;
      this.failNext = undefined;
      throw error;
    }
    const guid = attestations[0]?.guid ?? word(0);
    if (this.loseRaceAfterSending !== undefined) {
      // As the EVM deliverer reports a lost race: the winner's receipt, or
      // (Solana) AlreadyDelivered after our own transaction was sent.
      onProgress?.("signed", `0xmine${this.calls}`);
      onProgress?.("sent", `0xmine${this.calls}`);
      this.delivered.set(guid, []);
      if (this.loseRaceAfterSending === "reverted") {
        return { tx: "0xtheirs", height: 7n, outcome: "delivered" };
      }
      throw new AlreadyDeliveredError(guid);
    }
    if (this.delivered.has(guid)) throw new AlreadyDeliveredError(guid);
    const digest = packetAttestationDigest(ENDPOINT, EPOCH, packet);
    const ok = attestations.filter((a) => recoverSigner(digest, a.signature) === a.signer);
    if (ok.length < 2) throw new Error("not enough valid signatures");
    const tx = `0xdead${this.calls}`;
    onProgress?.("signed", tx);
    onProgress?.("sent", tx);
    await this.confirmations.get(guid);
    if (this.delivered.has(guid)) throw new AlreadyDeliveredError(guid);
    this.delivered.set(guid, attestations);
    return { tx, height: 7n, outcome: "delivered" };
  }
}

/**
 * A chain that names its own loan apps (as the Solana program does): the
 * vault and the pool, each the other's peer on every remote eid. `down`
 * makes every read fail as an unreachable chain would.
 */
export class MemoryLoanApps implements LoanAppRegistry {
  readonly eid: number;
  down = false;
  peerReads = 0;

  constructor(eid: number) {
    this.eid = eid;
  }

  roleOf(app: Hex): Promise<LoanRole | undefined> {
    const roles: Record<Hex, LoanRole> = { [VAULT_APP]: "vault", [POOL_APP]: "pool" };
    return Promise.resolve(roles[app]);
  }

  peerOf(app: Hex): Promise<Hex | undefined> {
    this.peerReads++;
    if (this.down) return Promise.reject(new RpcQuorumError("getAccountInfo", 1, 0, []));
    const peers: Record<Hex, Hex> = { [VAULT_APP]: POOL_APP, [POOL_APP]: VAULT_APP };
    return Promise.resolve(peers[app]);
  }
}
