// A request's deadline: its own timeout, or an earlier abort of a signal that
// outlives it (the daemon's stop). `AbortSignal.any([timeout, stop])` does
// the same, but in Node each call leaves bookkeeping on the long-lived
// signal (a WeakRef and a finalization-registry entry per composed signal)
// that is freed only as the garbage collector gets round to it: heap
// snapshots of a relayer in the soak held 35,000 such WeakRefs after ten
// minutes, and the heap grew with them. Here the listener on the long-lived
// signal is removed and the timer cleared as soon as the request settles.

/**
 * Runs `request` with a signal that aborts after `timeoutMs` (reason: a
 * `TimeoutError` DOMException, as `AbortSignal.timeout` gives) or when
 * `until` aborts (its reason), whichever is first.
 */
export async function withDeadline<T>(
  timeoutMs: number,
  until: AbortSignal | undefined,
  request: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => {
    controller.abort(new DOMException("The operation was aborted due to timeout", "TimeoutError"));
  }, timeoutMs);
  const stop = () => {
    controller.abort(until?.reason);
  };
  if (until?.aborted === true) stop();
  else until?.addEventListener("abort", stop, { once: true });
  try {
    return await request(controller.signal);
  } finally {
    clearTimeout(timer);
    until?.removeEventListener("abort", stop);
  }
}
