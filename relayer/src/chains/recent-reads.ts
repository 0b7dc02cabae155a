// Reads reused for a while: values that change rarely (a loan app's peers)
// or that a burst of callers all want at once (an EVM chain's market fees).
// A read still running is shared too; a failed one is not kept.

export class RecentReads<V> {
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #reads = new Map<string, { value: Promise<V>; readAt: number }>();

  /** `ttlMs`: how long a read is reused. */
  constructor(ttlMs: number, now: () => number = Date.now) {
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  /**
   * The last read of `key` if it is younger than the TTL (or still running),
   * else `read()`. A failed read is not an answer: it is not kept, so the
   * next call reads again.
   */
  get(key: string, read: () => Promise<V>): Promise<V> {
    const cached = this.#reads.get(key);
    if (cached !== undefined && this.#now() - cached.readAt < this.#ttlMs) return cached.value;
    const value = read();
    this.#reads.set(key, { value, readAt: this.#now() });
    value.catch(() => {
      if (this.#reads.get(key)?.value === value) this.#reads.delete(key);
    });
    return value;
  }

  /** Forgets every read: the next call of each key reads again. */
  clear(): void {
    this.#reads.clear();
  }
}
