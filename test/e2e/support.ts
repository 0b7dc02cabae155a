// Helpers of the end-to-end tests: waiting on real chains, reading both
// chains' loan state, and asking relayers' APIs.
import {
  addressToWire,
  computeGuid,
  decodeLoanMessage,
  decodePacket,
  type Hex,
  type Packet,
  type LoanMessage,
  toBytes,
  toHex,
} from "@loanbridge/shared";
import {
  addressBytes,
  clusterTime,
  decodeAccount,
  mintToOwner,
  openNativeLoan,
  deliveriesOf,
  pda,
  poolLoanOf,
  readAccount,
  type Plain,
  rpcSender,
  setPriceInstruction,
  type SolanaRpc,
  vaultLoanOf,
} from "@loanbridge/solana-program";
import { type Address, generateKeyPairSigner, type KeyPairSigner } from "@solana/kit";
import {
  type Contract,
  type ContractRunner,
  type ContractTransactionResponse,
  type JsonRpcProvider,
  parseEther,
  type TransactionReceipt,
  type Wallet,
  ZeroAddress,
} from "ethers";
import type { BorrowerList, ScheduleView } from "../../relayer/src/api/views.ts";
import { endpointInterface } from "../../relayer/src/chains/evm/endpointAbi.ts";
import { decodePacketSent, PACKET_SENT_TOPIC } from "../../relayer/src/chains/evm/proof.ts";
import {
  contractAt,
  ETH_PRICE_ID,
  EVM_EID,
  type Localnet,
  SOL_PRICE_ID,
  SOLANA_EID,
} from "../localnet/index.ts";
import { rpcCall } from "../../relayer/src/chains/evm/testing.ts";

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
  const data = await readAccount(rpc, account);
  return data === null ? 0n : Buffer.from(data).readBigUInt64LE(64);
}

/** The fields of the API's packet view (relayer/src/api/views.ts) these tests read. */
export interface ApiPacket {
  guid: Hex;
  status: string;
  srcChain: { eid: number };
  dstChain: { eid: number };
  destTx: string | null;
  /** The whole packet, hex. */
  packet: Hex;
  /** The relayer worker holding it, if any. */
  leaseOwner: string | null;
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

// ---------------------------------------------------------------------------
// Shared by the journeys and faults tests.
// ---------------------------------------------------------------------------

/** A relayer's packet by guid, or undefined on 404. */
export async function packetByGuid(apiUrl: string, guid: Hex): Promise<ApiPacket | undefined> {
  const reply = await fetch(`${apiUrl}/v1/packets/${guid}`);
  if (reply.status === 404) return undefined;
  if (!reply.ok) throw new Error(`GET packet: ${reply.status}`);
  return (await reply.json()) as ApiPacket;
}

/** The fields of the API's loan view these tests read; states are lower case. */
export interface ApiLoan {
  loanId: Hex;
  vaultState: string | null;
  poolState: string | null;
  agrees: boolean;
}

/** A relayer's mirror of a loan, or undefined on 404. */
export async function loanOf(apiUrl: string, loanId: Hex): Promise<ApiLoan | undefined> {
  const reply = await fetch(`${apiUrl}/v1/loans/${loanId}`);
  if (reply.status === 404) return undefined;
  if (!reply.ok) throw new Error(`GET loan: ${reply.status}`);
  return (await reply.json()) as ApiLoan;
}

/** A relayer's installments of a loan (GET /v1/loans/{id}/schedule), or undefined on 404. */
export async function scheduleOf(apiUrl: string, loanId: Hex): Promise<ScheduleView | undefined> {
  const reply = await fetch(`${apiUrl}/v1/loans/${loanId}/schedule`);
  if (reply.status === 404) return undefined;
  if (!reply.ok) throw new Error(`GET schedule: ${reply.status}`);
  return (await reply.json()) as ScheduleView;
}

/** The borrowers a relayer finds for an address (GET /v1/borrowers/{address}), or undefined on 404. */
export async function borrowersOf(
  apiUrl: string,
  address: string,
): Promise<BorrowerList | undefined> {
  const reply = await fetch(`${apiUrl}/v1/borrowers/${encodeURIComponent(address)}`);
  if (reply.status === 404) return undefined;
  if (!reply.ok) throw new Error(`GET borrowers: ${reply.status}`);
  return (await reply.json()) as BorrowerList;
}

// A raw JSON-RPC call (anvil cheats, the Solana node's dev methods).
export { rpcCall };

/** Lamports of an account at `confirmed`. */
export async function lamportsOf(rpc: SolanaRpc, account: Address): Promise<bigint> {
  const { value } = await rpc.getBalance(account, { commitment: "confirmed" }).send();
  return BigInt(value);
}

// ---------------------------------------------------------------------------
// Loans on both chains.
// ---------------------------------------------------------------------------

const DELIVERED_TOPIC = endpointInterface.getEvent("PacketDelivered")?.topicHash ?? "";

/** EVM vault states (ICollateralVault.LoanState) and pool statuses (ILendingPool.LoanStatus). */
export const EvmVaultState = { Requested: 1n, Active: 2n, Released: 3n, Seized: 4n, Refunded: 5n };
export const EvmPoolStatus = {
  Active: 1n,
  Repaid: 2n,
  Rejected: 3n,
  Defaulted: 4n,
  Liquidated: 5n,
};

export interface EvmContracts {
  vault: Contract;
  pool: Contract;
  feed: Contract;
  coin: Contract;
}

/** The EVM deployment's contracts, called as `runner`. */
export async function evmContracts(net: Localnet, runner: ContractRunner): Promise<EvmContracts> {
  const { collateralVault, lendingPool, priceFeed, stablecoin } = net.evm.deployment.contracts;
  return {
    vault: await contractAt(
      collateralVault,
      "contracts/CollateralVault.sol",
      "CollateralVault",
      runner,
    ),
    pool: await contractAt(lendingPool, "contracts/LendingPool.sol", "LendingPool", runner),
    feed: await contractAt(
      priceFeed,
      "contracts/price/AdminPriceFeed.sol",
      "AdminPriceFeed",
      runner,
    ),
    coin: await contractAt(stablecoin, "contracts/dev/DevStablecoin.sol", "DevStablecoin", runner),
  };
}

/** Sends a contract call and waits for its receipt; throws when it reverted. */
export async function sent(
  contract: Contract,
  method: string,
  ...args: unknown[]
): Promise<TransactionReceipt> {
  const tx = (await contract.getFunction(method)(...args)) as ContractTransactionResponse;
  const receipt = await tx.wait();
  if (receipt === null || receipt.status !== 1) throw new Error(`${method} reverted`);
  return receipt;
}

/** The packet an EVM transaction sent (its `PacketSent` log). */
export function packetSentBy(receipt: TransactionReceipt) {
  const log = receipt.logs.find((entry) => entry.topics[0] === PACKET_SENT_TOPIC);
  if (log === undefined) throw new Error(`transaction ${receipt.hash} sent no packet`);
  return decodePacketSent(log).packet;
}

export interface OpenedLoan {
  loanId: Hex;
  /** The OPEN_LOAN packet's guid. */
  guid: Hex;
}

/** Locks native ETH in the EVM vault and asks the Solana pool for a loan. */
export async function openEthLoan(
  net: Localnet,
  borrower: Wallet,
  input: {
    collateral: bigint;
    principal: bigint;
    recipient: Address;
    maxRateBps?: number;
    termSeconds?: bigint;
    /** 1 (a bullet loan) when absent. */
    installments?: number;
  },
): Promise<OpenedLoan & { packet: Packet; receipt: TransactionReceipt; gasCost: bigint }> {
  const { vault } = await evmContracts(net, borrower);
  const receipt = await sent(
    vault,
    "open",
    ZeroAddress,
    input.collateral,
    input.principal,
    input.maxRateBps ?? 1_000,
    input.termSeconds ?? 30n * 86_400n,
    input.installments ?? 1,
    toHex(addressBytes(input.recipient)),
    { value: input.collateral },
  );
  const packet = packetSentBy(receipt);
  const message = decodeLoanMessage(packet.message);
  return {
    loanId: message.loanId,
    guid: packet.guid,
    packet,
    receipt,
    gasCost: receipt.gasUsed * receipt.gasPrice,
  };
}

/** Locks native SOL in the Solana vault and asks the EVM pool for a loan (paid to an EVM address). */
export async function openSolLoan(
  net: Localnet,
  borrower: KeyPairSigner,
  input: {
    collateral: bigint;
    principal: bigint;
    recipient: string;
    maxRateBps?: number;
    termSeconds?: bigint;
    /** 1 (a bullet loan) when absent. */
    installments?: number;
  },
): Promise<OpenedLoan> {
  const { rpc, deployment } = net.solana;
  const { loanId, packetNonce } = await openNativeLoan(
    rpc,
    rpcSender(rpc, { feePayer: borrower }),
    deployment.programId,
    {
      borrower,
      lamports: input.collateral,
      principal: input.principal,
      maxRateBps: input.maxRateBps ?? 1_000,
      termSeconds: input.termSeconds ?? 30n * 86_400n,
      installments: input.installments ?? 1,
      recipient: addressToWire(input.recipient),
    },
  );
  const guid = computeGuid({
    nonce: packetNonce,
    srcEid: SOLANA_EID,
    sender: toHex(addressBytes(deployment.vault)),
    dstEid: EVM_EID,
    receiver: addressToWire(net.evm.deployment.contracts.lendingPool),
  });
  return { loanId, guid };
}

/** An app's outbound nonce (packets sent so far) from its nonce account. */
async function sentNonce(rpc: SolanaRpc, account: Address): Promise<bigint> {
  const data = await readAccount(rpc, account);
  return data === null ? 0n : (decodeAccount("OutboundNonce", data).nonce as bigint);
}

/** The Solana pool's next packet nonce towards the EVM chain (for repay/default/liquidate). */
export async function nextPoolPacketNonce(net: Localnet): Promise<bigint> {
  const { rpc, deployment } = net.solana;
  return (
    (await sentNonce(rpc, await pda.nonce(deployment.programId, deployment.pool, EVM_EID))) + 1n
  );
}

/** The Solana vault's record of a loan (null when it has none). */
export async function solanaVaultLoan(
  net: Localnet,
  loanId: Hex,
): Promise<Record<string, Plain> | null> {
  return vaultLoanOf(net.solana.rpc, net.solana.deployment.programId, loanId);
}

/** The Solana pool's record of a loan (null when it has none). */
export async function solanaPoolLoan(
  net: Localnet,
  loanId: Hex,
): Promise<Record<string, Plain> | null> {
  return poolLoanOf(net.solana.rpc, net.solana.deployment.programId, loanId);
}

/**
 * How many successful transactions delivered the packet on Solana (a
 * decoded packet, or one as a relayer's API lists it).
 */
export async function solanaDeliveries(
  net: Localnet,
  packet: Packet | Pick<ApiPacket, "packet">,
): Promise<number> {
  const { rpc, deployment } = net.solana;
  const decoded = "packet" in packet ? decodePacket(toBytes(packet.packet)) : packet;
  return (await deliveriesOf(rpc, deployment.programId, decoded)).length;
}

/** How many `PacketDelivered` logs the EVM endpoint emitted for `guid`. */
export async function evmDeliveries(
  net: Localnet,
  provider: JsonRpcProvider,
  guid: Hex,
): Promise<number> {
  const logs = await provider.getLogs({
    address: net.evm.deployment.contracts.endpoint,
    topics: [DELIVERED_TOPIC, guid],
    fromBlock: net.evm.deployment.startBlock,
  });
  return logs.length;
}

export interface SeenPacket extends ApiPacket {
  message: LoanMessage;
}

/**
 * Waits until each of `relayers` lists exactly the loan's packets of
 * `types` (in any order), every one `delivered`; returns relayer-by-relayer
 * lists with their decoded messages.
 */
export async function waitForDeliveredPackets(
  relayers: readonly { index: number; apiUrl: string }[],
  loanId: Hex,
  types: readonly LoanMessage["type"][],
  timeoutMs = 60_000,
): Promise<SeenPacket[][]> {
  const want = [...types].sort().join(",");
  const lists: SeenPacket[][] = [];
  for (const relayer of relayers) {
    let seen = "";
    const list = await waitFor(
      `relayer ${relayer.index} to deliver ${want} of ${loanId}`,
      async () => {
        const packets = (await packetsOfLoan(relayer.apiUrl, loanId)).map((packet) => ({
          ...packet,
          message: decodeLoanMessage(decodePacket(toBytes(packet.packet)).message),
        }));
        seen = packets.map((p) => `${p.message.type}:${p.status}`).join(",");
        const got = packets
          .map((p) => p.message.type)
          .sort()
          .join(",");
        return got === want && packets.every((p) => p.status === "delivered") ? packets : undefined;
      },
      timeoutMs,
    ).catch((error: unknown) => {
      throw new Error(`${(error as Error).message} (last seen: ${seen || "none"})`);
    });
    lists.push(list);
  }
  return lists;
}

/** The one packet of `type` in a relayer's list. */
export function packetOfType(list: readonly SeenPacket[], type: LoanMessage["type"]): SeenPacket {
  const found = list.filter((packet) => packet.message.type === type);
  if (found.length !== 1) throw new Error(`${found.length} ${type} packets`);
  return found[0] as SeenPacket;
}

/** Waits until every relayer mirrors the loan with these (lower-case) vault and pool states. */
export async function waitForMirroredLoan(
  relayers: readonly { index: number; apiUrl: string }[],
  loanId: Hex,
  vaultState: string,
  poolState: string | null,
): Promise<void> {
  for (const relayer of relayers) {
    let last = "";
    await waitFor(
      `relayer ${relayer.index} to mirror ${loanId} as ${vaultState}/${poolState}`,
      async () => {
        const loan = await loanOf(relayer.apiUrl, loanId);
        last = JSON.stringify(loan);
        return loan?.vaultState === vaultState && loan.poolState === poolState && loan.agrees
          ? true
          : undefined;
      },
      30_000,
    ).catch((error: unknown) => {
      throw new Error(`${(error as Error).message} (last seen: ${last})`);
    });
  }
}

/**
 * Moves both chains' clocks `seconds` ahead (EVM: `evm_increaseTime` and a
 * block; Solana: the Clock set to the new EVM time) and re-posts every
 * price so it is fresh again.
 */
export async function travel(
  net: Localnet,
  provider: JsonRpcProvider,
  seconds: number,
): Promise<void> {
  await rpcCall(net.evm.url, "evm_increaseTime", [seconds]);
  await rpcCall(net.evm.url, "evm_mine", []);
  const block = await provider.getBlock("latest");
  if (block === null) throw new Error("no latest block");
  await rpcCall(net.solana.url, "svm_setUnixTimestamp", [block.timestamp]);
  const { feed } = await evmContracts(net, net.evm.deployer);
  const [evmPrice] = (await feed.getFunction("price")(toHex(SOL_PRICE_ID))) as [bigint, bigint];
  await sent(feed, "setPrice", toHex(SOL_PRICE_ID), evmPrice);
  await setSolanaPrice(net, ETH_PRICE_ID, await solanaPrice(net, ETH_PRICE_ID));
}

/** The chain whose lending pool holds a loan (and decides when it may be declared in default). */
export type LendingChain = "evm" | "solana";

export interface DefaultDeadline {
  /** The pool's recorded due time: start + term rounded up to a multiple of its due-bucket width. */
  dueTime: bigint;
  /** The pool's grace period after the due time. */
  gracePeriodSeconds: bigint;
  /** `dueTime + gracePeriodSeconds`: the pool accepts a default once its clock is past this. */
  defaultableAfter: bigint;
}

/** When the lending pool lets anyone declare an active loan in default, read from its state. */
export async function defaultDeadline(
  net: Localnet,
  provider: JsonRpcProvider,
  lendingChain: LendingChain,
  loanId: Hex,
): Promise<DefaultDeadline> {
  let dueTime: bigint;
  let gracePeriodSeconds: bigint;
  if (lendingChain === "evm") {
    const { pool } = await evmContracts(net, provider);
    dueTime = ((await pool.getFunction("getLoan")(loanId)) as { dueTime: bigint }).dueTime;
    gracePeriodSeconds = (await pool.getFunction("gracePeriodSeconds")()) as bigint;
  } else {
    const loan = await solanaPoolLoan(net, loanId);
    if (loan === null) throw new Error(`the Solana pool has no loan ${loanId}`);
    dueTime = loan.due_time as bigint;
    const { rpc, deployment } = net.solana;
    const pool = await readAccount(rpc, deployment.pool);
    if (pool === null) throw new Error("no Solana pool account");
    gracePeriodSeconds = decodeAccount("Pool", pool).grace_period_seconds as bigint;
  }
  if (dueTime === 0n) throw new Error(`loan ${loanId} has no due time on ${lendingChain}`);
  return { dueTime, gracePeriodSeconds, defaultableAfter: dueTime + gracePeriodSeconds };
}

/** A chain's clock: the latest EVM block's timestamp, or the Solana Clock's unix time. */
export async function chainTime(
  net: Localnet,
  provider: JsonRpcProvider,
  chain: LendingChain,
): Promise<bigint> {
  if (chain === "solana") return clusterTime(net.solana.rpc);
  const block = await provider.getBlock("latest");
  if (block === null) throw new Error("no latest block");
  return BigInt(block.timestamp);
}

/**
 * Moves both chains' clocks (as `travel`) to `marginSeconds` past the loan's
 * recorded due time + its pool's grace period, so the lending pool accepts
 * `declareDefault`. Due times are rounded up to the pool's due-bucket width,
 * so this is not `term + grace` from the start. Returns the deadline.
 */
export async function travelPastDefault(
  net: Localnet,
  provider: JsonRpcProvider,
  lendingChain: LendingChain,
  loanId: Hex,
  marginSeconds = 60,
): Promise<DefaultDeadline> {
  const deadline = await defaultDeadline(net, provider, lendingChain, loanId);
  // `travel` drives the EVM clock and sets the Solana Clock to the new EVM time.
  const ahead =
    deadline.defaultableAfter + BigInt(marginSeconds) - (await chainTime(net, provider, "evm"));
  await travel(net, provider, Number(ahead > 0n ? ahead : 0n));
  const now = await chainTime(net, provider, lendingChain);
  if (now <= deadline.defaultableAfter) {
    throw new Error(
      `travelled to ${now} on ${lendingChain}, not past due ${deadline.dueTime} + grace ${deadline.gracePeriodSeconds}`,
    );
  }
  return deadline;
}

/** The Solana pool's price of `priceId`. */
export async function solanaPrice(net: Localnet, priceId: Uint8Array): Promise<bigint> {
  const { rpc, deployment } = net.solana;
  const data = await readAccount(rpc, await pda.price(deployment.programId, priceId));
  if (data === null) throw new Error("no price account");
  return decodeAccount("Price", data).price as bigint;
}

/** Sets a price on the Solana pool (as its admin, now). */
export async function setSolanaPrice(
  net: Localnet,
  priceId: Uint8Array,
  price: bigint,
): Promise<void> {
  const { rpc, admin, deployment } = net.solana;
  await rpcSender(rpc, { feePayer: admin })(
    await setPriceInstruction(deployment.programId, { payer: admin, admin, priceId, price }),
  );
}

/** Mints Solana stablecoin to `owner`'s token account (created if missing; 0 just creates it). */
export async function mintToOwnerFor(
  net: Localnet,
  owner: Address,
  amount: bigint,
): Promise<Address> {
  const { rpc, admin, deployment } = net.solana;
  return mintToOwner(
    rpcSender(rpc, { feePayer: admin }),
    admin,
    deployment.stablecoin,
    owner,
    amount,
  );
}

/** An ETH-collateral loan borrowing on Solana, to a fresh recipient with a token account. */
export async function ethLoanToFreshRecipient(net: Localnet, borrower: Wallet, principal: bigint) {
  const recipient = await generateKeyPairSigner();
  const tokens = await mintToOwnerFor(net, recipient.address, 0n);
  const opened = await openEthLoan(net, borrower, {
    collateral: parseEther("2"),
    principal,
    recipient: recipient.address,
  });
  return { ...opened, recipient, tokens, principal };
}

/** Waits until an ETH-collateral loan is active on both chains. */
export async function waitEthLoanActive(
  net: Localnet,
  provider: JsonRpcProvider,
  loan: OpenedLoan & { tokens: Address; principal: bigint },
  timeoutMs?: number,
): Promise<void> {
  const { vault } = await evmContracts(net, provider);
  await waitFor(
    `the principal of ${loan.loanId} on Solana`,
    async () =>
      (await tokenBalance(net.solana.rpc, loan.tokens)) === loan.principal ? true : undefined,
    timeoutMs,
  );
  await waitFor(
    `LOAN_ACTIVE of ${loan.loanId} on Ethereum`,
    async () =>
      ((await vault.getFunction("getLoan")(loan.loanId)) as { state: bigint }).state ===
      EvmVaultState.Active
        ? true
        : undefined,
    timeoutMs,
  );
}
