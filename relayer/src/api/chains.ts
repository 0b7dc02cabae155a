// What the API knows of each chain to show its data as people read it: the
// chain's name for an eid, its assets' symbols and decimals, and its block
// explorer's links. Built from the relayer config; an eid or asset it does
// not know shows as null, never as a guess.
import type { RelayerConfig } from "../config/schema.ts";
import { bytes32FromNative, nativeAddress } from "./format.ts";
import type { ChainName, ChainRef } from "./views.ts";

export interface AssetInfo {
  symbol: string;
  decimals: number;
}

export interface ChainInfo {
  name: ChainName;
  eid: number;
  /** By SPEC.md bytes32 (lower case; zero for the native coin). */
  assets: ReadonlyMap<string, AssetInfo>;
  /** The asset the lending pool on this chain lends, when configured. */
  principal: AssetInfo | undefined;
  explorer: { tx: string | null; address: string | null };
}

/** A chain's assets and explorer as the config gives them. */
export interface ChainSettings {
  eid: number;
  assets?: readonly { asset: string; symbol: string; decimals: number; principal?: boolean }[];
  explorer?: { tx?: string | undefined; address?: string | undefined } | undefined;
}

const NATIVE = `0x${"00".repeat(32)}`;

/** The native coins, known without configuration. */
export const NATIVE_ASSETS: Record<ChainName, AssetInfo> = {
  evm: { symbol: "ETH", decimals: 18 },
  solana: { symbol: "SOL", decimals: 9 },
};

function chainInfo(name: ChainName, settings: ChainSettings): ChainInfo {
  const assets = new Map<string, AssetInfo>([[NATIVE, NATIVE_ASSETS[name]]]);
  let principal: AssetInfo | undefined;
  for (const { asset, symbol, decimals, principal: lent } of settings.assets ?? []) {
    const key = asset === "native" ? NATIVE : bytes32FromNative(asset);
    if (key === undefined) continue; // the config schema has checked the address
    assets.set(key, { symbol, decimals });
    if (lent === true) principal = { symbol, decimals };
  }
  return {
    name,
    eid: settings.eid,
    assets,
    principal,
    explorer: { tx: settings.explorer?.tx ?? null, address: settings.explorer?.address ?? null },
  };
}

export class ChainDirectory {
  readonly chains: readonly ChainInfo[];
  readonly #byEid: ReadonlyMap<number, ChainInfo>;

  constructor(chains: readonly ChainInfo[]) {
    this.chains = chains;
    this.#byEid = new Map(chains.map((chain) => [chain.eid, chain]));
  }

  /** The configured chains; `extraEvm` are further EVM chains (test topologies). */
  static fromConfig(
    chains: Partial<Record<ChainName, ChainSettings>> | RelayerConfig["chains"],
    extraEvm: readonly ChainSettings[] = [],
  ): ChainDirectory {
    const infos: ChainInfo[] = [];
    if (chains.evm !== undefined) infos.push(chainInfo("evm", chains.evm));
    for (const extra of extraEvm) infos.push(chainInfo("evm", extra));
    if (chains.solana !== undefined) infos.push(chainInfo("solana", chains.solana));
    return new ChainDirectory(infos);
  }

  get(eid: number): ChainInfo | undefined {
    return this.#byEid.get(eid);
  }

  ref(eid: number): ChainRef {
    return { name: this.get(eid)?.name ?? null, eid };
  }

  /** A bytes32 account in the chain's native form; unchanged when the chain is not known. */
  address(eid: number, bytes32: string): string {
    const chain = this.get(eid);
    return chain === undefined ? bytes32 : nativeAddress(chain.name, bytes32);
  }

  asset(eid: number, bytes32: string | null): AssetInfo | undefined {
    if (bytes32 === null) return undefined;
    return this.get(eid)?.assets.get(bytes32.toLowerCase());
  }

  principal(eid: number): AssetInfo | undefined {
    return this.get(eid)?.principal;
  }

  /** The chain's block-explorer link for an account, when one is configured. */
  addressUrl(eid: number, address: string): string | null {
    const template = this.get(eid)?.explorer.address ?? null;
    return template === null ? null : template.replace("{address}", address);
  }

  /** The chain's block-explorer link for a transaction, when one is configured. */
  txUrl(eid: number, tx: string | null): string | null {
    const template = this.get(eid)?.explorer.tx ?? null;
    return template === null || tx === null ? null : template.replace("{tx}", tx);
  }
}
