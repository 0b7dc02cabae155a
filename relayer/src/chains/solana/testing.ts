// Test support for the Solana adapters' chain tests: our local Solana node
// with the program deployed and configured over JSON-RPC (endpoint k of 3,
// vault, pool with an ETH collateral price and liquidity, peers on an EVM
// chain, the Deliver lookup table), the way a real deployment reaches a
// cluster. Not used at run time.
import { generateKeyPairSync } from "node:crypto";
import { addressToWire } from "@loanbridge/shared";
import {
  airdrop,
  createDeliverLookupTable,
  deploySolana,
  IDL_PROGRAM_ADDRESS,
  readProgramBinary,
  rpcSender,
  type SendInstructions,
  SOLANA_DEV_DEFAULTS,
  type SolanaDeployment,
  setSolanaPeers,
  solanaRpc,
} from "@loanbridge/solana-program";
import { type SvmNode, startSvmNode } from "@loanbridge/solana-program/node";
import { type Address, createKeyPairSignerFromBytes, type KeyPairSigner } from "@solana/kit";
import { JsonRpc } from "../rpc.ts";

export const SOLANA_EID = 40168;
export const EVM_EID = 40161;
/** The EVM chain's vault, pool and beneficiary, as the Solana apps' peers. */
export const REMOTE_VAULT = addressToWire("0x1111111111111111111111111111111111111111");
export const REMOTE_POOL = addressToWire("0x2222222222222222222222222222222222222222");
export const REMOTE_BENEFICIARY = addressToWire("0x4444444444444444444444444444444444444444");
/** The pool's price of the EVM chain's native coin (3,000 stablecoin units). */
export const ETH_PRICE_ID = new Uint8Array(32).fill(0xe7);
/** One unit of the pool's stablecoin (6 decimals). */
export const USDC = 1_000_000n;

/** A fresh ed25519 keypair as solana-keygen writes it: 64 bytes, seed then public key. */
export function solanaKeypair(): Uint8Array {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const seed = privateKey.export({ format: "der", type: "pkcs8" }).subarray(-32);
  const key = publicKey.export({ format: "der", type: "spki" }).subarray(-32);
  return Uint8Array.from([...seed, ...key]);
}

/** A node with the program configured over RPC: endpoint (k of 3), vault, pool, peers. */
export interface SolanaTestChain {
  node: SvmNode;
  rpc: ReturnType<typeof solanaRpc>;
  send: SendInstructions;
  admin: KeyPairSigner;
  deployment: SolanaDeployment;
  /** The verifiers' 64-byte keypairs. */
  verifierKeys: Uint8Array[];
  jsonRpc: JsonRpc;
  programId: Address;
  /** The Deliver lookup table the deploy created. */
  lookupTable: Address;
}

/** Starts a node (50 ms slots, final 6 slots deep by default) and deploys the program on it. */
export async function startSolanaTestChain(
  options: {
    threshold?: number;
    blockhashValiditySlots?: number;
    slotMs?: number;
    finalityDepth?: number;
  } = {},
): Promise<SolanaTestChain> {
  const node = await startSvmNode({
    programs: [{ id: IDL_PROGRAM_ADDRESS, elf: await readProgramBinary() }],
    slotMs: options.slotMs ?? 50,
    finalityDepth: options.finalityDepth ?? 6,
    ...(options.blockhashValiditySlots === undefined
      ? {}
      : { blockhashValiditySlots: options.blockhashValiditySlots }),
  });
  const rpc = solanaRpc(node.url);
  const admin = await createKeyPairSignerFromBytes(solanaKeypair());
  await airdrop(rpc, admin.address, 1_000n);
  const send = rpcSender(rpc, { feePayer: admin, pollIntervalMs: 20 });
  const verifierKeys = [solanaKeypair(), solanaKeypair(), solanaKeypair()];
  const verifiers = await Promise.all(
    verifierKeys.map(async (key) => (await createKeyPairSignerFromBytes(key)).address),
  );
  const deployment = await deploySolana(rpc, send, admin, {
    localEid: SOLANA_EID,
    remoteEid: EVM_EID,
    verifiers,
    threshold: options.threshold ?? 2,
    vault: SOLANA_DEV_DEFAULTS.vault,
    pool: SOLANA_DEV_DEFAULTS.pool,
    collateral: {
      priceId: ETH_PRICE_ID,
      price: 3_000n * USDC,
      maxLtvBps: 7_000,
      liquidationLtvBps: 8_000,
    },
    stablecoinDecimals: SOLANA_DEV_DEFAULTS.stablecoinDecimals,
    initialLiquidity: 1_000_000n * USDC,
  });
  await setSolanaPeers(send, admin, deployment, {
    vault: REMOTE_VAULT,
    pool: REMOTE_POOL,
    beneficiary: REMOTE_BENEFICIARY,
  });
  const lookupTable = await createDeliverLookupTable(rpc, send, admin, deployment, {
    priceId: ETH_PRICE_ID,
  });
  return {
    node,
    lookupTable,
    rpc,
    send,
    admin,
    deployment,
    verifierKeys,
    jsonRpc: new JsonRpc({ chain: "solana", urls: [node.url] }),
    programId: IDL_PROGRAM_ADDRESS,
  };
}
