// The peers a loan app registry read, reused for a while: a peer changes only
// by an admin's transaction, and every packet of a path asks for the same
// one. Shared by the EVM and Solana registries.
import type { Hex } from "@loanbridge/shared";

/** A peer of all zeros is no peer (unset, or unset again by the admin). */
export const noPeerIfZero = (remote: Hex): Hex | undefined =>
  /^0x0{64}$/i.test(remote) ? undefined : remote;

export class PeerCache {
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #peers = new Map<string, { peer: Promise<Hex | undefined>; readAt: number }>();

  /** `ttlMs`: how long a read is reused; a peer change reaches the loan mirror within it. */
  constructor(ttlMs: number, now: () => number = Date.now) {
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  /**
   * The peer of `app` for `remoteEid`: the last read if it is younger than
   * the TTL (or still running), else `read()`. A failed read is not an
   * answer: it is not kept, so the next call reads again.
   */
  peerOf(
    app: Hex,
    remoteEid: number,
    read: () => Promise<Hex | undefined>,
  ): Promise<Hex | undefined> {
    const key = `${app.toLowerCase()}:${remoteEid}`;
    const cached = this.#peers.get(key);
    if (cached !== undefined && this.#now() - cached.readAt < this.#ttlMs) return cached.peer;
    const peer = read();
    this.#peers.set(key, { peer, readAt: this.#now() });
    peer.catch(() => {
      if (this.#peers.get(key)?.peer === peer) this.#peers.delete(key);
    });
    return peer;
  }
}
