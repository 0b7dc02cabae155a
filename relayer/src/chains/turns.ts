// Turns: work that must not overlap with other work on the same key (a
// Solana delivery deriving the pool's next outbound nonce, until it has sent
// the transaction naming it) waits for the turns taken before it, in order.
// Work without a key never waits.

/** A turn: held until released; releasing again does nothing. */
export interface Turn {
  readonly held: boolean;
  release(): void;
  /** Takes the key's turn again (after the turns taken meanwhile); nothing while held. */
  retake(): Promise<void>;
}

export class Turns {
  /** Per key, the release of the last turn taken: the next one waits for it. */
  readonly #last = new Map<string, Promise<void>>();

  /** Resolves once every turn taken before on `key` is released; at once for no key. */
  async take(key: string | undefined): Promise<Turn> {
    if (key === undefined) {
      return { held: false, release: () => undefined, retake: () => Promise.resolve() };
    }
    let release = await this.#queue(key);
    let held = true;
    return {
      get held() {
        return held;
      },
      release: () => {
        if (!held) return;
        held = false;
        release();
      },
      retake: async () => {
        if (held) return;
        release = await this.#queue(key);
        held = true;
      },
    };
  }

  /** Keys with a turn held or waiting. */
  get busyKeys(): number {
    return this.#last.size;
  }

  /** Waits for the turns taken before on `key`; resolves with this one's release. */
  async #queue(key: string): Promise<() => void> {
    const before = this.#last.get(key) ?? Promise.resolve();
    let signal: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      signal = resolve;
    });
    this.#last.set(key, released);
    await before;
    return () => {
      // The last turn of its key: nothing waits behind it, so nothing is kept.
      if (this.#last.get(key) === released) this.#last.delete(key);
      signal();
    };
  }
}
