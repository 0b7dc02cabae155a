// The Solana program's loan apps, its vault and pool (PDAs of the program,
// so nothing else can send as them), and the peers each registered for a
// remote eid (`[peer, app, remoteEid]`, written only by the program's
// admin), read by quorum at the configured commitment.
import { type Hex, toBytes, toHex } from "@loanbridge/shared";
import { addressBytes, addressFromBytes32, decodeAccount, pda } from "@loanbridge/solana-program";
import { address } from "@solana/kit";
import { noPeerIfZero, PeerCache } from "../peer-cache.ts";
import type { JsonRpc } from "../rpc.ts";
import type { LoanAppRegistry, LoanRole } from "../types.ts";
import { type ProgramAccountSource, readProgramAccount } from "./accounts.ts";
import type { Commitment } from "./schemas.ts";

export interface SolanaLoanAppsOptions {
  eid: number;
  rpc: JsonRpc;
  programId: string;
  commitment: Commitment;
  /**
   * How long a peer read is reused. An admin's peer change reaches the
   * relayer's loan mirror within it; the destination checks its peer on
   * every delivery anyway.
   */
  peerCacheMs?: number;
}

export class SolanaLoanApps implements LoanAppRegistry {
  readonly eid: number;
  readonly #source: ProgramAccountSource;
  readonly #peers: PeerCache;
  #roles: Promise<ReadonlyMap<Hex, LoanRole>> | undefined;

  constructor(options: SolanaLoanAppsOptions) {
    this.eid = options.eid;
    this.#source = {
      rpc: options.rpc,
      programId: address(options.programId),
      commitment: options.commitment,
    };
    this.#peers = new PeerCache(options.peerCacheMs ?? 60_000);
  }

  async roleOf(app: Hex): Promise<LoanRole | undefined> {
    this.#roles ??= (async () => {
      const { programId } = this.#source;
      const [vault, pool] = await Promise.all([pda.vault(programId), pda.pool(programId)]);
      return new Map<Hex, LoanRole>([
        [toHex(addressBytes(vault)), "vault"],
        [toHex(addressBytes(pool)), "pool"],
      ]);
    })();
    return (await this.#roles).get(app.toLowerCase() as Hex);
  }

  peerOf(app: Hex, remoteEid: number): Promise<Hex | undefined> {
    return this.#peers.peerOf(app, remoteEid, () => this.#readPeer(app, remoteEid));
  }

  async #readPeer(app: Hex, remoteEid: number): Promise<Hex | undefined> {
    const account = await pda.peer(
      this.#source.programId,
      addressFromBytes32(toBytes(app)),
      remoteEid,
    );
    const remote = await readProgramAccount(this.#source, account, (data) =>
      toHex(decodeAccount("Peer", data).remote_app as Uint8Array),
    );
    return remote === undefined ? undefined : noPeerIfZero(remote);
  }
}
