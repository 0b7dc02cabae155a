// Turns: work that must not overlap with other work on the same key (a
// Solana delivery deriving the pool's next outbound nonce, until it has sent
// the transaction naming it) waits for the turns taken before it, in order.
// Work without a key never waits.

/** A turn: held until released; releasing again does nothing. */
export interface Turn {
  readonly held: boolean;
  release(): void;
}

export class Turns {
  /** Per key, the release of the last turn taken: the next one waits for it. */
  readonly #last = new Map<string, Promise<void>>();

  /** Resolves once every turn taken before on `key` is released; at once for no key. */
  async take(key: string | undefined): Promise<Turn> {
    if (key === undefined) return { held: false, release: () => undefined };
    const before = this.#last.get(key) ?? Promise.resolve();
    let signal: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      signal = resolve;
    });
    this.#last.set(key, released);
    await before;
    let held = true;
    return {
      get held() {
        return held;
      },
      release: () => {
        if (!held) return;
        held = false;
        // The last turn of its key: nothing waits behind it, so nothing is kept.
        if (this.#last.get(key) === released) this.#last.delete(key);
        signal();
      },
    };
  }

  /** Keys with a turn held or waiting. */
  get busyKeys(): number {
    return this.#last.size;
  }
}
