// Helpers of the end-to-end tests: waiting on real chains, reading both
// chains' loan state, and asking relayers' APIs.
import { type Hex } from "@loanbridge/shared";
import { type SolanaRpc } from "@loanbridge/solana-program";
import type { Address } from "@solana/kit";

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 120_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: string | undefined;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error instanceof Error ? error.message : JSON.stringify(error);
    }
    await new Promise((done) => setTimeout(done, 250));
  }
  throw new Error(`timed out waiting for ${what}${last === undefined ? "" : `: ${last}`}`);
}

/** An SPL token account's balance (0 when the account does not exist). */
export async function tokenBalance(rpc: SolanaRpc, account: Address): Promise<bigint> {
  const { value } = await rpc
    .getAccountInfo(account, { commitment: "confirmed", encoding: "base64" })
    .send();
  if (value === null) return 0n;
  const data = Buffer.from(value.data[0], "base64");
  return data.readBigUInt64LE(64);
}

export interface ApiPacket {
  guid: Hex;
  status: string;
  srcEid: number;
  dstEid: number;
  destTx: string | null;
}

/** A relayer's packets of one loan. */
export async function packetsOfLoan(apiUrl: string, loanId: Hex): Promise<ApiPacket[]> {
  const reply = await fetch(`${apiUrl}/v1/packets?loanId=${loanId}`);
  if (!reply.ok) throw new Error(`GET packets: ${reply.status}`);
  return ((await reply.json()) as { packets: ApiPacket[] }).packets;
}

/** The signers of a relayer's attestations for a guid. */
export async function attestationSigners(apiUrl: string, guid: Hex): Promise<string[]> {
  const reply = await fetch(`${apiUrl}/v1/attestations/${guid}`);
  if (!reply.ok) throw new Error(`GET attestations: ${reply.status}`);
  const body = (await reply.json()) as { attestations: { signer: string }[] };
  return body.attestations.map((attestation) => attestation.signer);
}
