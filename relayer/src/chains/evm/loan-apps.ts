// An EVM chain's loan apps, the collateral vault and the lending pool its
// deployment file names (the operator's statement of which apps on the
// endpoint are loanbridge's: the endpoint serves any app its owner
// registers), and the peers the endpoint holds for them, read at finality
// by quorum.
import { addressToWire, type Hex, wireToEvmAddress } from "@loanbridge/shared";
import { noPeerIfZero, PeerCache } from "../peer-cache.ts";
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

export class EvmLoanApps implements LoanAppRegistry {
  readonly eid: number;
  readonly #rpc: JsonRpc;
  readonly #finality: EvmFinality;
  readonly #endpoint: string;
  readonly #roles: ReadonlyMap<Hex, LoanRole>;
  readonly #peers: PeerCache;

  constructor(options: EvmLoanAppsOptions) {
    this.eid = options.eid;
    this.#rpc = options.rpc;
    this.#finality = options.finality;
    this.#endpoint = options.endpoint;
    this.#roles = new Map<Hex, LoanRole>([
      [addressToWire(options.apps.vault).toLowerCase() as Hex, "vault"],
      [addressToWire(options.apps.pool).toLowerCase() as Hex, "pool"],
    ]);
    this.#peers = new PeerCache(options.peerCacheMs ?? 60_000);
  }

  roleOf(app: Hex): Promise<LoanRole | undefined> {
    return Promise.resolve(this.#roles.get(app.toLowerCase() as Hex));
  }

  peerOf(app: Hex, remoteEid: number): Promise<Hex | undefined> {
    return this.#peers.peerOf(app, remoteEid, () => this.#readPeer(app, remoteEid));
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
    return noPeerIfZero((remote as string).toLowerCase() as Hex);
  }
}
