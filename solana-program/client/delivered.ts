// A path's delivered nonces (src/state/endpoint.rs `DeliveredNonces`): bit
// `nonce % 1024` of the range's account, least significant bit first; and
// which transactions delivered a packet.
import { decodePacket, type Hex } from "@loanbridge/shared";
import { type Address, getBase58Encoder } from "@solana/kit";
import { decodeAccount, instructionName } from "./idl.ts";
import { type DeliveredNonceKey, NONCES_PER_DELIVERED_ACCOUNT, pda } from "./pda.ts";
import type { SolanaRpc } from "./rpc.ts";

/** Whether the `DeliveredNonces` account `data` records `nonce` as delivered. */
export function isNonceDelivered(data: Uint8Array, nonce: bigint): boolean {
  const bits = decodeAccount("DeliveredNonces", data).bits as number[];
  const bit = Number(nonce % NONCES_PER_DELIVERED_ACCOUNT);
  return ((bits[bit >> 3] ?? 0) & (1 << (bit & 7))) !== 0;
}

/** The guid of the packet a `Deliver` instruction's data carries (discriminator, u32 length, packet). */
function deliveredGuid(data: Uint8Array): Hex | undefined {
  if (instructionName(data) !== "deliver") return undefined;
  try {
    return decodePacket(data.subarray(5)).guid;
  } catch {
    return undefined;
  }
}

/**
 * The successful transactions whose `Deliver` (to `program`) carried the
 * packet `key` (a decoded packet will do): the confirmed history of its range's delivered-nonces account
 * (every delivery of the range's 1,024 nonces touches it), kept where a
 * top-level instruction delivered this packet's guid. Relayers deliver with
 * a top-level `Deliver`, so this counts their sends, double sends included.
 */
export async function deliveriesOf(
  rpc: SolanaRpc,
  program: Address,
  key: DeliveredNonceKey & { guid: Hex },
): Promise<string[]> {
  const account = await pda.deliveredNonces(program, key);
  const touching = await rpc.getSignaturesForAddress(account, { commitment: "confirmed" }).send();
  const deliveries: string[] = [];
  for (const { signature, err } of touching) {
    if (err !== null) continue;
    const landed = await rpc
      .getTransaction(signature, {
        commitment: "confirmed",
        encoding: "json",
        maxSupportedTransactionVersion: 0,
      })
      .send();
    const message = landed?.transaction.message;
    const carried = message?.instructions.some(
      (instruction) =>
        message.accountKeys[instruction.programIdIndex] === program &&
        deliveredGuid(new Uint8Array(getBase58Encoder().encode(instruction.data))) === key.guid,
    );
    if (carried === true) deliveries.push(signature);
  }
  return deliveries;
}
