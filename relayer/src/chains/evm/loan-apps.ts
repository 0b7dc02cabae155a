// An EVM chain's loan apps, the collateral vault and the lending pool its
// deployment file names (the operator's statement of which apps on the
// endpoint are loanbridge's: the endpoint serves any app its owner
// registers), and the peers the endpoint holds for them, read at finality
// by quorum.
import { addressToWire, type Hex, wireToEvmAddress } from "@loanbridge/shared";
import type { JsonRpc } from "../rpc.ts";
import type { LoanAppRegistry, LoanRole } from "../types.ts";
import { endpointInterface } from "./endpointAbi.ts";
import { type EvmFinality, finalizedHead } from "./finality.ts";
import { evmView } from "./view.ts";

export interface EvmLoanAppsOptions {
  eid: number;
  rpc: JsonRpc;
  finality: EvmFinality;
  /** The loanbridge Endpoint contract. */
  endpoint: string;
  /** The deployment's collateral vault and lending pool. */
  apps: { vault: string; pool: string };
  /** How long a peer read is reused (an owner's peer change reaches the mirror within it). */
  peerCacheMs?: number;
}

const ZERO_APP: Hex = `0x${"00".repeat(32)}`;

export class EvmLoanApps implements LoanAppRegistry {
  readonly eid: number;
  readonly #rpc: JsonRpc;
  readonly #finality: EvmFinality;
  readonly #endpoint: string;
  readonly #roles: ReadonlyMap<Hex, LoanRole>;
  readonly #peerCacheMs: number;
  readonly #peers = new Map<string, { peer: Promise<Hex | undefined>; readAt: number }>();

  constructor(options: EvmLoanAppsOptions) {
    this.eid = options.eid;
    this.#rpc = options.rpc;
    this.#finality = options.finality;
    this.#endpoint = options.endpoint;
    this.#roles = new Map<Hex, LoanRole>([
      [addressToWire(options.apps.vault).toLowerCase() as Hex, "vault"],
      [addressToWire(options.apps.pool).toLowerCase() as Hex, "pool"],
    ]);
    this.#peerCacheMs = options.peerCacheMs ?? 60_000;
  }

  roleOf(app: Hex): Promise<LoanRole | undefined> {
    return Promise.resolve(this.#roles.get(app.toLowerCase() as Hex));
  }

  peerOf(app: Hex, remoteEid: number): Promise<Hex | undefined> {
    const key = `${app.toLowerCase()}:${remoteEid}`;
    const cached = this.#peers.get(key);
    if (cached !== undefined && Date.now() - cached.readAt < this.#peerCacheMs) return cached.peer;
    const peer = this.#readPeer(app, remoteEid);
    this.#peers.set(key, { peer, readAt: Date.now() });
    // A failed read is not an answer: the next call asks again.
    peer.catch(() => {
      if (this.#peers.get(key)?.peer === peer) this.#peers.delete(key);
    });
    return peer;
  }

  async #readPeer(app: Hex, remoteEid: number): Promise<Hex | undefined> {
    let address: string;
    try {
      address = wireToEvmAddress(app);
    } catch {
      // Not an EVM address: no app of this chain, so no peer here.
      return undefined;
    }
    const head = await finalizedHead(this.#rpc, this.#finality);
    const [remote] = await evmView(
      this.#rpc,
      endpointInterface,
      this.#endpoint,
      "peer",
      [address, remoteEid],
      head,
    );
    const peer = (remote as string).toLowerCase() as Hex;
    return peer === ZERO_APP ? undefined : peer;
  }
}
