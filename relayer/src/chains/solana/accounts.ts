// One program account read by quorum at a commitment: what the pool reader
// and the loan-app registry share.
import type { Address } from "@solana/kit";
import type { JsonRpc } from "../rpc.ts";
import { accountData, accountInfoSchema, type Commitment } from "./schemas.ts";

export interface ProgramAccountSource {
  rpc: JsonRpc;
  programId: Address;
  commitment: Commitment;
}

/**
 * `account` decoded by `decode`, as a quorum of endpoints holds it at the
 * commitment; undefined when it is absent or not the program's (an account
 * anyone else owns says nothing about the program's state).
 */
export function readProgramAccount<T>(
  source: ProgramAccountSource,
  account: Address,
  decode: (data: Uint8Array) => T,
): Promise<T | undefined> {
  return source.rpc.quorumRead("getAccountInfo", async (endpoint) => {
    const { value } = await endpoint.call(
      "getAccountInfo",
      [account, { commitment: source.commitment, encoding: "base64" }],
      accountInfoSchema,
    );
    if (value === null || value.owner !== source.programId) return undefined;
    return decode(accountData(value));
  });
}
