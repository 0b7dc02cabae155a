// Proves a Solana packet before it is signed: the outbound packet account
// `[b"packet", sender, dstEid, nonce]`, read at the configured commitment
// from a quorum of RPC endpoints, exists, is owned by the program, and
// stores this packet's keccak256 and guid. Only the program can create an
// account at its PDA, so a packet logged by anyone else cannot pass.
import { decodePacket, type Packet, toBytes, toHex } from "@loanbridge/shared";
import { addressFromBytes32, decodeAccount, pda } from "@loanbridge/solana-program";
import { address, type Address } from "@solana/kit";
import { keccak256 } from "ethers";
import { type JsonRpc, RpcDisagreementError } from "../rpc.ts";
import type {
  ObservedPacket,
  PacketVerifier,
  VerificationFailure,
  VerificationResult,
} from "../types.ts";
import { accountData, accountInfoSchema, type Commitment } from "./schemas.ts";

/** `OutboundPacket.status` of a sent packet (src/state/endpoint.rs). */
const PACKET_SENT = 1;

export interface SolanaVerifierOptions {
  eid: number;
  rpc: JsonRpc;
  programId: string;
  commitment: Commitment;
}

const fail = (reason: VerificationFailure, detail: string): VerificationResult => ({
  ok: false,
  reason,
  detail,
});

export class SolanaPacketVerifier implements PacketVerifier {
  readonly eid: number;
  readonly #rpc: JsonRpc;
  readonly #programId: Address;
  readonly #commitment: Commitment;

  constructor(options: SolanaVerifierOptions) {
    this.eid = options.eid;
    this.#rpc = options.rpc;
    this.#programId = address(options.programId);
    this.#commitment = options.commitment;
  }

  async verify(observed: ObservedPacket): Promise<VerificationResult> {
    let packet: Packet;
    try {
      packet = decodePacket(observed.packet);
    } catch (error) {
      return fail("malformed_packet", error instanceof Error ? error.message : String(error));
    }
    if (packet.guid !== observed.guid.toLowerCase() || packet.srcEid !== this.eid) {
      return fail(
        "malformed_packet",
        `packet (guid ${packet.guid}, srcEid ${packet.srcEid}) is not the one observed on ${this.eid}`,
      );
    }
    const account = await pda.packet(
      this.#programId,
      addressFromBytes32(toBytes(packet.sender)),
      packet.dstEid,
      packet.nonce,
    );
    let value;
    try {
      value = await this.#rpc.quorumRead("getAccountInfo", async (endpoint) => {
        const answer = await endpoint.call(
          "getAccountInfo",
          [account, { commitment: this.#commitment, encoding: "base64" }],
          accountInfoSchema,
        );
        // The context slot differs between endpoints; the account must not.
        return answer.value;
      });
    } catch (error) {
      if (error instanceof RpcDisagreementError) return fail("rpc_disagreement", error.message);
      throw error;
    }
    if (value === null) {
      return fail("not_finalized", `no packet account ${account} at ${this.#commitment}`);
    }
    if (value.owner !== this.#programId) {
      return fail("account_owner_mismatch", `packet account ${account} is owned by ${value.owner}`);
    }
    let stored;
    try {
      stored = decodeAccount("OutboundPacket", accountData(value));
    } catch {
      return fail("packet_hash_mismatch", `${account} is not an outbound packet account`);
    }
    if (stored.status !== PACKET_SENT) {
      return fail("packet_hash_mismatch", `packet account status ${JSON.stringify(stored.status)}`);
    }
    const storedHash = toHex(stored.packet_hash as Uint8Array);
    if (storedHash !== keccak256(observed.packet)) {
      return fail("packet_hash_mismatch", `stored hash ${storedHash} is not the packet's`);
    }
    if (toHex(stored.guid as Uint8Array) !== packet.guid) {
      return fail("packet_hash_mismatch", "stored guid is not the packet's");
    }
    return { ok: true };
  }
}
