/**
 * The raw revert bytes of a call or transaction that must revert. Hardhat's
 * in-process network rejects with its own SolidityError instead of ethers'
 * CALL_EXCEPTION; both carry the bytes in `data`.
 */
export async function revertData(pending: Promise<unknown>): Promise<string> {
  const error = await pending.then(
    () => {
      throw new Error("expected a revert, but the call succeeded");
    },
    (reason: unknown) => reason,
  );
  if (error instanceof Error && "data" in error && typeof error.data === "string") {
    return error.data;
  }
  throw new Error(`expected a revert carrying data, got ${String(error)}`);
}
