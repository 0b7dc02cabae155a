// Doubling pauses after consecutive failures, per key: a chain that cannot
// be reached is asked again, and so logged, ever less often (up to a cap)
// instead of at every iteration, and at once again after a success.

export class FailureBackoff {
  readonly #baseMs: number;
  readonly #maxMs: number;
  readonly #failing = new Map<string, { failures: number; nextAt: number }>();

  constructor(baseMs: number, maxMs: number) {
    this.#baseMs = baseMs;
    this.#maxMs = maxMs;
  }

  /** Whether `key` may be tried now (it has not failed, or its pause is over). */
  due(key: string, now = Date.now()): boolean {
    const failing = this.#failing.get(key);
    return failing === undefined || now >= failing.nextAt;
  }

  /** Records a failure: the next try waits twice as long as the last (capped). */
  failed(key: string, now = Date.now()): void {
    const failures = (this.#failing.get(key)?.failures ?? 0) + 1;
    const pauseMs = Math.min(this.#maxMs, this.#baseMs * 2 ** (failures - 1));
    this.#failing.set(key, { failures, nextAt: now + pauseMs });
  }

  succeeded(key: string): void {
    this.#failing.delete(key);
  }
}
