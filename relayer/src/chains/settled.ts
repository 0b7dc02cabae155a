// Reads run at once with Promise.allSettled, then judged in an order of the
// caller's choosing (which answer matters first), not in the order they fail.

/** A settled read's value, or its error thrown. */
export function settled<T>(result: PromiseSettledResult<T>): T {
  if (result.status === "rejected") throw result.reason;
  return result.value;
}
