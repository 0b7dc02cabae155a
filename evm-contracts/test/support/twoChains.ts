// Two loanbridge "chains" on one Hardhat network: a collateral side (endpoint
// + vault) and a lending side (endpoint + pool), each endpoint with its own
// eid and the same 2-of-3 verifier set. `relay` does what a relayer does:
// reads PacketSent from a receipt, signs the attestation digest with real
// secp256k1 keys, and delivers. Used by the integration test and the gas bench.
import {
  addressToWire,
  decodePacket,
  type Hex,
  packetAttestationDigest,
  toBytes,
} from "@loanbridge/shared";
import { concat, Contract, id, type TransactionReceipt, Wallet } from "ethers";
import type { hre } from "../hre.ts";

type Connection = Awaited<ReturnType<typeof hre.network.create>>;
type Ethers = Connection["ethers"];

export const COLLATERAL_EID = 40161;
export const LENDING_EID = 40168;
export const ETH_PRICE_ID = id("ETH/USD") as Hex;
export const NATIVE: Hex = `0x${"00".repeat(32)}`;
/** The vault's request time-to-live, seconds. */
export const REQUEST_TTL = 3_600n;
/** The pool's due-bucket width: due times round up to a whole day. */
export const DUE_BUCKET_SECONDS = 86_400n;
/** The pool's longest term: 62 buckets. */
export const POOL_MAX_TERM = 62n * DUE_BUCKET_SECONDS;
/** $3,000 per ETH: stablecoin base units (6 decimals) per 10^18 wei. */
export const ETH_PRICE = 3_000n * 10n ** 6n;

/** Fixed keys so signatures, and so gas, are the same on every run. */
export const VERIFIERS = [1, 2, 3]
  .map((i) => new Wallet(id(`loanbridge test verifier ${i}`)))
  .sort((a, b) => (BigInt(a.address) < BigInt(b.address) ? -1 : 1));

export async function sendTx(contract: Contract, fn: string, ...args: unknown[]) {
  const receipt = await (await contract.getFunction(fn).send(...args)).wait();
  if (receipt === null) throw new Error(`${fn}: no receipt`);
  return receipt;
}

export async function view<T>(contract: Contract, fn: string, ...args: unknown[]): Promise<T> {
  return (await contract.getFunction(fn).staticCall(...args)) as T;
}

export async function deployTwoChains(ethers: Ethers, threshold = 2) {
  const [owner, borrower, lender, beneficiary] = await ethers.getSigners();
  if (!owner || !borrower || !lender || !beneficiary) throw new Error("need four signers");
  const deploy = async (name: string, args: unknown[]) =>
    new Contract(
      await (await ethers.deployContract(name, args)).getAddress(),
      (await ethers.getContractFactory(name)).interface,
      owner,
    );
  const verifierAddresses = VERIFIERS.map((wallet) => wallet.address);

  const collateralEndpoint = await deploy("Endpoint", [
    COLLATERAL_EID,
    owner.address,
    owner.address,
    verifierAddresses,
    threshold,
  ]);
  const lendingEndpoint = await deploy("Endpoint", [
    LENDING_EID,
    owner.address,
    owner.address,
    verifierAddresses,
    threshold,
  ]);
  const stablecoin = await deploy("DevStablecoin", [owner.address]);
  const priceFeed = await deploy("AdminPriceFeed", [owner.address]);
  const vault = await deploy("CollateralVault", [
    await collateralEndpoint.getAddress(),
    LENDING_EID,
    REQUEST_TTL,
    owner.address,
  ]);
  const pool = await deploy("LendingPool", [
    await stablecoin.getAddress(),
    await lendingEndpoint.getAddress(),
    owner.address,
    DUE_BUCKET_SECONDS,
    "loanbridge pool share",
    "lbUSD",
  ]);
  const vaultWire = addressToWire(await vault.getAddress());
  const poolWire = addressToWire(await pool.getAddress());

  await sendTx(collateralEndpoint, "setPeer", await vault.getAddress(), LENDING_EID, poolWire);
  await sendTx(lendingEndpoint, "setPeer", await pool.getAddress(), COLLATERAL_EID, vaultWire);
  await sendTx(pool, "setLoanTerms", 800, 60, POOL_MAX_TERM, 86_400n);
  await sendTx(pool, "setPriceFeed", await priceFeed.getAddress(), 3_600n);
  await sendTx(pool, "setCollateral", COLLATERAL_EID, NATIVE, {
    maxLtvBps: 5_000,
    liquidationLtvBps: 8_000,
    priceId: ETH_PRICE_ID,
  });
  await sendTx(pool, "setBeneficiary", COLLATERAL_EID, addressToWire(beneficiary.address));
  await sendTx(priceFeed, "setPrice", ETH_PRICE_ID, ETH_PRICE);

  const endpointByEid = new Map([
    [COLLATERAL_EID, collateralEndpoint],
    [LENDING_EID, lendingEndpoint],
  ]);

  /** Every packet a transaction sent, as the relayer sees them. */
  const packetsOf = (receipt: TransactionReceipt): Uint8Array[] =>
    receipt.logs.flatMap((log) => {
      const parsed = collateralEndpoint.interface.parseLog(log);
      return parsed?.name === "PacketSent" ? [toBytes(parsed.args[0] as Hex)] : [];
    });

  /** The one packet a transaction sent. */
  function onlyPacketOf(receipt: TransactionReceipt): Uint8Array {
    const [packet, ...rest] = packetsOf(receipt);
    if (packet === undefined || rest.length > 0) {
      throw new Error(`expected one PacketSent, got ${rest.length + (packet ? 1 : 0)}`);
    }
    return packet;
  }

  /** The endpoint a packet is addressed to. */
  function destinationOf(packet: Uint8Array): Contract {
    const destination = endpointByEid.get(decodePacket(packet).dstEid);
    if (destination === undefined) throw new Error("packet for an unknown endpoint");
    return destination;
  }

  /**
   * Attestations of `packet` by `wallets` (ascending) for its destination endpoint at its
   * current epoch: what a quorum of verifiers, honest or not, would sign.
   */
  async function attest(packet: Uint8Array, wallets: readonly Wallet[]): Promise<string> {
    const destination = destinationOf(packet);
    const [, , epoch] = await view<[string[], bigint, bigint]>(destination, "verifierSet");
    const endpoint = addressToWire(await destination.getAddress());
    const digest = packetAttestationDigest(endpoint, epoch, packet);
    return concat(wallets.map((wallet) => wallet.signingKey.sign(digest).serialized));
  }

  /** Delivers `packet` with attestations by `wallets`. */
  async function deliverSigned(packet: Uint8Array, wallets: readonly Wallet[]) {
    return sendTx(destinationOf(packet), "deliver", packet, await attest(packet, wallets));
  }

  /** Signs the one packet `receipt` sent with `signers` verifiers and delivers it. */
  async function relay(receipt: TransactionReceipt, signers = threshold) {
    return deliverSigned(onlyPacketOf(receipt), VERIFIERS.slice(0, signers));
  }

  return {
    signers: { owner, borrower, lender, beneficiary },
    collateralEndpoint,
    lendingEndpoint,
    stablecoin,
    priceFeed,
    vault,
    pool,
    packetsOf,
    onlyPacketOf,
    attest,
    deliverSigned,
    relay,
  };
}
