// Configures the program on a running Solana node over JSON-RPC, the way a
// real deployment reaches a chain: the endpoint and its verifier set, the
// vault, the pool with a stablecoin (a new mint on dev chains), collateral
// settings for the remote chain's native coin, and peers once the remote
// apps are known. Used by the demo and the end-to-end tests.
import { setTimeout as sleep } from "node:timers/promises";
import { type Hex, toBytes } from "@loanbridge/shared";
import { getCreateAccountInstruction } from "@solana-program/system";
import {
  getCreateAssociatedTokenIdempotentInstructionAsync,
  getInitializeMint2Instruction,
  getMintToInstruction,
  TOKEN_PROGRAM_ADDRESS,
} from "@solana-program/token";
import { type Address, generateKeyPairSigner, type KeyPairSigner } from "@solana/kit";
import { readAccount } from "./actions.ts";
import { associatedTokenAccount } from "./deliver.ts";
import { addressBytes } from "./ed25519.ts";
import { IDL_PROGRAM_ADDRESS } from "./idl.ts";
import { initializeEndpointInstruction, setPeerInstruction } from "./instructions.ts";
import {
  createLookupTableInstruction,
  type DeliverTableInput,
  deliverLookupTableAddresses,
  extendLookupTableInstruction,
} from "./lookup-table.ts";
import { pda } from "./pda.ts";
import {
  depositInstruction,
  initializePoolInstruction,
  type InstallmentTerms,
  type LoanTerms,
  setBeneficiaryInstruction,
  setCollateralInstruction,
  setInstallmentTermsInstruction,
  setPriceInstruction,
} from "./pool.ts";
import { type SendInstructions, type SolanaRpc } from "./rpc.ts";
import { initializeVaultInstruction } from "./vault.ts";

const MINT_SIZE = 82n;
/** The remote chain's native coin as a collateral asset id (bytes32 zero). */
export const NATIVE_ASSET = new Uint8Array(32);

export interface SolanaDeployConfig {
  localEid: number;
  /** The EVM side's endpoint id. */
  remoteEid: number;
  /** Verifier public keys (relayers' ed25519 keys); sorted here. */
  verifiers: Address[];
  threshold: number;
  vault: { requestTtlSeconds: bigint };
  /**
   * `dueBucketSeconds`: the due-bucket width W, fixed at creation (3,600 s
   * to a year); due times round up to it and `maxTermSeconds` is at most 62 × W.
   */
  pool: LoanTerms & {
    maxPriceAgeSeconds: bigint;
    dueBucketSeconds: bigint;
    /**
     * Installment settings (`SetInstallmentTerms`, shared/LOANS.md "Installments"): the most
     * installments a loan may have and up to four allowed periods (seconds). Left out, the
     * pool allows bullet loans only.
     */
    installments?: InstallmentTerms;
  };
  /** The remote native coin: its price id and price (stablecoin base units per 10^18). */
  collateral: { priceId: Uint8Array; price: bigint; maxLtvBps: number; liquidationLtvBps: number };
  /** Stablecoin decimals of the dev mint. */
  stablecoinDecimals: number;
  /** Deposited by the admin as the first lender (base units); 0 for none. */
  initialLiquidity: bigint;
}

export const SOLANA_DEV_DEFAULTS = {
  vault: { requestTtlSeconds: 3_600n },
  pool: {
    dueBucketSeconds: 86_400n,
    rateBps: 800,
    minTermSeconds: 60n,
    // The longest term a one-day bucket ring allows (62 × W).
    maxTermSeconds: 62n * 86_400n,
    gracePeriodSeconds: 86_400n,
    maxPriceAgeSeconds: 3_600n,
    // Up to 12 equal payments, daily, weekly or every 30 days.
    installments: { maxInstallments: 12, periods: [86_400n, 7n * 86_400n, 30n * 86_400n, 0n] },
  },
  stablecoinDecimals: 6,
} as const;

export interface SolanaDeployment {
  programId: Address;
  localEid: number;
  remoteEid: number;
  admin: Address;
  endpoint: Address;
  vault: Address;
  pool: Address;
  stablecoin: Address;
  verifiers: Address[];
  threshold: number;
}

/** Deploys (configures) everything but the peers; see `setSolanaPeers`. */
export async function deploySolana(
  rpc: SolanaRpc,
  send: SendInstructions,
  admin: KeyPairSigner,
  config: SolanaDeployConfig,
  programId: Address = IDL_PROGRAM_ADDRESS,
  progress: (step: string) => void = () => undefined,
): Promise<SolanaDeployment> {
  // The endpoint wants its verifier set strictly ascending by key bytes.
  const verifiers = [...config.verifiers].sort((a, b) =>
    Buffer.compare(addressBytes(a), addressBytes(b)),
  );
  progress("endpoint");
  await send(
    await initializeEndpointInstruction(programId, {
      payer: admin,
      admin,
      localEid: config.localEid,
      guardian: admin.address,
      threshold: config.threshold,
      verifiers,
    }),
  );
  progress("vault");
  await send(
    await initializeVaultInstruction(programId, {
      payer: admin,
      admin,
      lendingEid: config.remoteEid,
      requestTtl: config.vault.requestTtlSeconds,
    }),
  );
  progress("stablecoin");
  const stablecoin = await createMintAccount(rpc, send, admin, config.stablecoinDecimals);
  progress("pool");
  const { maxPriceAgeSeconds, dueBucketSeconds, installments, ...terms } = config.pool;
  await send(
    await initializePoolInstruction(programId, {
      payer: admin,
      admin,
      stablecoin,
      terms,
      maxPriceAge: maxPriceAgeSeconds,
      dueBucketSeconds,
    }),
  );
  if (installments !== undefined) {
    await send(await setInstallmentTermsInstruction(programId, admin, installments));
  }
  await send(
    await setCollateralInstruction(programId, {
      payer: admin,
      admin,
      remoteEid: config.remoteEid,
      asset: NATIVE_ASSET,
      maxLtvBps: config.collateral.maxLtvBps,
      liquidationLtvBps: config.collateral.liquidationLtvBps,
      priceId: config.collateral.priceId,
    }),
    await setPriceInstruction(programId, {
      payer: admin,
      admin,
      priceId: config.collateral.priceId,
      price: config.collateral.price,
    }),
  );
  if (config.initialLiquidity > 0n) {
    progress("liquidity");
    const adminTokens = await mintToOwner(
      send,
      admin,
      stablecoin,
      admin.address,
      config.initialLiquidity,
    );
    const shares = await pda.shares(programId);
    await send(
      await getCreateAssociatedTokenIdempotentInstructionAsync({
        payer: admin,
        owner: admin.address,
        mint: shares,
      }),
    );
    await send(
      await depositInstruction(
        programId,
        {
          lender: admin,
          lenderStablecoin: adminTokens,
          lenderShares: await associatedTokenAccount(admin.address, shares),
        },
        config.initialLiquidity,
      ),
    );
  }
  return {
    programId,
    localEid: config.localEid,
    remoteEid: config.remoteEid,
    admin: admin.address,
    endpoint: await pda.endpoint(programId),
    vault: await pda.vault(programId),
    pool: await pda.pool(programId),
    stablecoin,
    verifiers,
    threshold: config.threshold,
  };
}

/**
 * Registers the remote apps (bytes32) as the vault's and pool's peers, and
 * the remote beneficiary of seized collateral.
 */
export async function setSolanaPeers(
  send: SendInstructions,
  admin: KeyPairSigner,
  deployment: SolanaDeployment,
  remote: { vault: Hex; pool: Hex; beneficiary: Hex },
): Promise<void> {
  const { programId, remoteEid } = deployment;
  await send(
    await setPeerInstruction(programId, {
      payer: admin,
      admin,
      app: deployment.vault,
      remoteEid,
      remoteApp: toBytes(remote.pool),
    }),
    await setPeerInstruction(programId, {
      payer: admin,
      admin,
      app: deployment.pool,
      remoteEid,
      remoteApp: toBytes(remote.vault),
    }),
    await setBeneficiaryInstruction(programId, {
      payer: admin,
      admin,
      remoteEid,
      beneficiary: toBytes(remote.beneficiary),
    }),
  );
}

/** Addresses per `ExtendLookupTable`: what fits one transaction with room to spare. */
const EXTEND_BATCH = 20;

/**
 * Creates a new lookup table with `authority` as its authority and
 * `addresses` in it; resolves once a transaction may load them (the slot
 * after the last extension).
 */
export async function createLookupTable(
  rpc: SolanaRpc,
  send: SendInstructions,
  authority: KeyPairSigner,
  addresses: readonly Address[],
  pollIntervalMs = 100,
): Promise<Address> {
  // A finalized slot is one every validator has in its SlotHashes. The
  // table's address follows from the authority and that slot, so a second
  // table of the authority's within one finalized slot would be the first:
  // the Address Lookup Table program leaves an existing table as it is, and
  // the extensions below would land in it. Wait for the next slot instead.
  let created: Awaited<ReturnType<typeof createLookupTableInstruction>>;
  for (;;) {
    const recentSlot = await rpc.getSlot({ commitment: "finalized" }).send();
    created = await createLookupTableInstruction({ authority, payer: authority, recentSlot });
    if ((await readAccount(rpc, created.table)) === null) break;
    await sleep(pollIntervalMs);
  }
  const { instruction, table } = created;
  let { slot } = await send(instruction);
  for (let start = 0; start < addresses.length; start += EXTEND_BATCH) {
    ({ slot } = await send(
      extendLookupTableInstruction({
        table,
        authority,
        payer: authority,
        addresses: addresses.slice(start, start + EXTEND_BATCH),
      }),
    ));
  }
  while ((await rpc.getSlot({ commitment: "confirmed" }).send()) <= slot) {
    await sleep(pollIntervalMs);
  }
  return table;
}

/**
 * The lookup table of the accounts every `Deliver` to `deployment` names
 * (`deliverLookupTableAddresses`); run once the program is configured, and
 * give its address to the relayers (`chains.solana.lookupTable`).
 */
export async function createDeliverLookupTable(
  rpc: SolanaRpc,
  send: SendInstructions,
  admin: KeyPairSigner,
  deployment: SolanaDeployment,
  input: Omit<DeliverTableInput, "remoteEid">,
): Promise<Address> {
  const addresses = await deliverLookupTableAddresses(deployment.programId, {
    ...input,
    remoteEid: deployment.remoteEid,
  });
  return createLookupTable(rpc, send, admin, addresses);
}

/** A new SPL mint with `authority` as its mint authority. */
export async function createMintAccount(
  rpc: SolanaRpc,
  send: SendInstructions,
  authority: KeyPairSigner,
  decimals: number,
): Promise<Address> {
  const mint = await generateKeyPairSigner();
  const rent = await rpc.getMinimumBalanceForRentExemption(MINT_SIZE).send();
  await send(
    getCreateAccountInstruction({
      payer: authority,
      newAccount: mint,
      lamports: rent,
      space: MINT_SIZE,
      programAddress: TOKEN_PROGRAM_ADDRESS,
    }),
    getInitializeMint2Instruction({
      mint: mint.address,
      decimals,
      mintAuthority: authority.address,
    }),
  );
  return mint.address;
}

/** Mints `amount` to `owner`'s associated token account (created if missing); returns it. */
export async function mintToOwner(
  send: SendInstructions,
  authority: KeyPairSigner,
  mint: Address,
  owner: Address,
  amount: bigint,
): Promise<Address> {
  const token = await associatedTokenAccount(owner, mint);
  await send(
    await getCreateAssociatedTokenIdempotentInstructionAsync({ payer: authority, owner, mint }),
    getMintToInstruction({ mint, token, mintAuthority: authority, amount }),
  );
  return token;
}
