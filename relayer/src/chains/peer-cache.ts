// The peers a loan app registry read, reused for a while: a peer changes only
// by an admin's transaction, and every packet of a path asks for the same
// one. Shared by the EVM and Solana registries.
import type { Hex } from "@loanbridge/shared";
import { RecentReads } from "./recent-reads.ts";

/** A peer of all zeros is no peer (unset, or unset again by the admin). */
export const noPeerIfZero = (remote: Hex): Hex | undefined =>
  /^0x0{64}$/i.test(remote) ? undefined : remote;

export class PeerCache {
  readonly #peers: RecentReads<Hex | undefined>;

  /** `ttlMs`: how long a read is reused; a peer change reaches the loan mirror within it. */
  constructor(ttlMs: number, now: () => number = Date.now) {
    this.#peers = new RecentReads(ttlMs, now);
  }

  /** The peer of `app` for `remoteEid`, read through `RecentReads` (shared while running, a failure not kept). */
  peerOf(
    app: Hex,
    remoteEid: number,
    read: () => Promise<Hex | undefined>,
  ): Promise<Hex | undefined> {
    return this.#peers.get(`${app.toLowerCase()}:${remoteEid}`, read);
  }
}
