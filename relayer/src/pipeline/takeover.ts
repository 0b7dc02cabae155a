// Who delivers a packet, and when the others take over. Every relayer ranks
// the destination's verifiers the same way for a guid (rendezvous hashing:
// by keccak256(guid ‖ signer)), with nothing to agree on but the verifier
// set both read from the destination. The first delivers as soon as it has
// a threshold of attestations; the relayer ranked k takes over k windows
// after it had them, if the packet has not shown up as delivered by then. So
// one delivery transaction is normally sent, a dead or stuck executor is
// replaced within a window, and hashing per guid spreads the work evenly
// across relayers.
import type { Hex } from "@loanbridge/shared";
import { concat, keccak256, toUtf8Bytes } from "ethers";
import type { ChainKind } from "../chains/types.ts";

/** A signer as compared across relayers: EVM addresses in any case, Solana keys as they are. */
export const signerKey = (kind: ChainKind, signer: string): string =>
  kind === "evm" ? signer.toLowerCase() : signer;

/** The destination's verifiers in the order they take a packet on: first the executor. */
export function executorOrder(kind: ChainKind, guid: Hex, signers: readonly string[]): string[] {
  const weighted = [...new Set(signers.map((signer) => signerKey(kind, signer)))].map((key) => ({
    key,
    weight: keccak256(concat([guid, toUtf8Bytes(key)])),
  }));
  weighted.sort((a, b) => (a.weight < b.weight ? -1 : a.weight > b.weight ? 1 : 0));
  return weighted.map((entry) => entry.key);
}

/** `signer`'s place in `executorOrder` (0 executes first), or undefined if it is no verifier. */
export function executorRank(
  kind: ChainKind,
  guid: Hex,
  signers: readonly string[],
  signer: string,
): number | undefined {
  const rank = executorOrder(kind, guid, signers).indexOf(signerKey(kind, signer));
  return rank < 0 ? undefined : rank;
}

/**
 * Remembers when this relayer first had a threshold of attestations for a
 * packet, the start of every rank's window. In memory: after a restart the
 * windows start again, which delays a takeover by at most one turn.
 */
export class ReadyTimes {
  readonly #since = new Map<Hex, number>();
  readonly #takenOver = new Set<Hex>();

  /** When `guid` was first seen ready (now, the first time it is asked). */
  since(guid: Hex, now: number): number {
    const known = this.#since.get(guid);
    if (known !== undefined) return known;
    this.#since.set(guid, now);
    return now;
  }

  /** When `guid` was first seen ready, if it has been. */
  known(guid: Hex): number | undefined {
    return this.#since.get(guid);
  }

  /**
   * Whether this is the first time this relayer takes over `guid` (a
   * takeover is one event per packet, however many attempts it takes).
   */
  firstTakeover(guid: Hex): boolean {
    if (this.#takenOver.has(guid)) return false;
    this.#takenOver.add(guid);
    return true;
  }

  /** The packet is settled (delivered or failed): nothing more to time. */
  forget(guid: Hex): void {
    this.#since.delete(guid);
    this.#takenOver.delete(guid);
  }

  get size(): number {
    return this.#since.size;
  }
}
