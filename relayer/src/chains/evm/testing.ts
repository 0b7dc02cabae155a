// Test support for the EVM adapters' chain tests: dev keys, two Endpoints
// (with a RecordingApp each, peered both ways), and a loan pair (a
// collateral and a lending loanbridge, ready to lend) deployed over JSON-RPC
// onto a local node, the way a real deployment reaches a chain. Not used at
// run time.
import {
  contractAt,
  DEV_DEFAULTS,
  deployLoanbridge,
  type EvmDeployment,
  readArtifact,
} from "@loanbridge/evm-contracts";
import { addressToWire, type Hex, toBytes } from "@loanbridge/shared";
import {
  Contract,
  ContractFactory,
  HDNodeWallet,
  id,
  type InterfaceAbi,
  type Signer,
  JsonRpcProvider,
  Mnemonic,
  NonceManager,
  type TransactionReceipt,
  Wallet,
} from "ethers";
import { sendWithGasHeadroom } from "../../user/evm.ts";
import { PACKET_SENT_TOPIC } from "./proof.ts";

/** anvil's and hardhat node's funded dev accounts (the well-known test mnemonic). */
export const DEV_MNEMONIC = "test test test test test test test test test test test junk";

export function devKey(index: number): Hex {
  return HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(DEV_MNEMONIC), `m/44'/60'/0'/0/${index}`)
    .privateKey as Hex;
}

/** Three fixed verifier keys, sorted by address (as the endpoint wants its set). */
export const VERIFIER_KEYS: Hex[] = [1, 2, 3]
  .map((i) => id(`loanbridge relayer test verifier ${i}`) as Hex)
  .sort((a, b) => (BigInt(new Wallet(a).address) < BigInt(new Wallet(b).address) ? -1 : 1));
export const VERIFIER_ADDRESSES = VERIFIER_KEYS.map((key) => new Wallet(key).address);

export const SRC_EID = 40161;
export const DST_EID = 40168;

export function providerFor(url: string): JsonRpcProvider {
  const provider = new JsonRpcProvider(url, undefined, { staticNetwork: true, cacheTimeout: -1 });
  provider.pollingInterval = 50;
  return provider;
}

export async function rpcCall(
  url: string,
  method: string,
  params: unknown[] = [],
): Promise<unknown> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = (await response.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

/** Mines `count` blocks (anvil and hardhat both take `hardhat_mine`-style calls under their own names). */
export async function mine(url: string, count: number): Promise<void> {
  const client = String(await rpcCall(url, "web3_clientVersion"));
  const method = client.toLowerCase().startsWith("anvil") ? "anvil_mine" : "hardhat_mine";
  await rpcCall(url, method, [`0x${count.toString(16)}`]);
}

export async function deployArtifact(
  deployer: NonceManager,
  source: string,
  name: string,
  args: unknown[],
): Promise<Contract> {
  const { abi, bytecode } = await readArtifact(source, name);
  const contract = await new ContractFactory(abi as InterfaceAbi, bytecode, deployer).deploy(
    ...args,
  );
  await contract.waitForDeployment();
  return new Contract(await contract.getAddress(), abi as InterfaceAbi, deployer);
}

/** Sends `fn(...args)` as the user commands do (`sendWithGasHeadroom`) and waits for it. */
export async function sendTx(
  contract: Contract,
  fn: string,
  ...args: unknown[]
): Promise<TransactionReceipt> {
  const receipt = await (await sendWithGasHeadroom(contract.getFunction(fn), ...args)).wait();
  if (receipt === null) throw new Error(`${fn}: no receipt`);
  return receipt;
}

export interface EndpointPair {
  provider: JsonRpcProvider;
  addresses: { source: string; destination: string; sourceApp: string; destinationApp: string };
  owner: NonceManager;
  source: Contract;
  destination: Contract;
  sourceApp: Contract;
  destinationApp: Contract;
  /** The source app sends `message` to the destination app; the receipt and packet. */
  send(message?: Hex): Promise<{ receipt: TransactionReceipt; packet: Uint8Array }>;
}

/**
 * Endpoint `SRC_EID` and Endpoint `DST_EID` on one node, each with a
 * RecordingApp, peered both ways, verifier set `VERIFIER_ADDRESSES`.
 */
export async function deployEndpointPair(
  url: string,
  options: { threshold?: number; ownerIndex?: number } = {},
): Promise<EndpointPair> {
  const provider = providerFor(url);
  const owner = new NonceManager(new Wallet(devKey(options.ownerIndex ?? 0), provider));
  const ownerAddress = await owner.getAddress();
  const threshold = options.threshold ?? 2;
  const endpoint = (eid: number) =>
    deployArtifact(owner, "contracts/Endpoint.sol", "Endpoint", [
      eid,
      ownerAddress,
      ownerAddress,
      VERIFIER_ADDRESSES,
      threshold,
    ]);
  const source = await endpoint(SRC_EID);
  const destination = await endpoint(DST_EID);
  const app = (at: Contract) =>
    deployArtifact(owner, "contracts/test/RecordingApp.sol", "RecordingApp", [at.target]);
  const sourceApp = await app(source);
  const destinationApp = await app(destination);
  const sourceAppAddress = await sourceApp.getAddress();
  const destinationAppAddress = await destinationApp.getAddress();
  await sendTx(source, "setPeer", sourceAppAddress, DST_EID, addressToWire(destinationAppAddress));
  await sendTx(
    destination,
    "setPeer",
    destinationAppAddress,
    SRC_EID,
    addressToWire(sourceAppAddress),
  );

  let count = 0;
  const send = async (message?: Hex) => {
    count++;
    const receipt = await sendTx(
      sourceApp,
      "sendPacket",
      DST_EID,
      message ?? `0x${count.toString(16).padStart(8, "0")}`,
    );
    const log = receipt.logs.find((entry) => entry.topics[0] === PACKET_SENT_TOPIC);
    if (log === undefined) throw new Error("no PacketSent");
    const parsed = source.interface.parseLog(log);
    if (parsed === null) throw new Error("PacketSent does not parse");
    return { receipt, packet: toBytes(parsed.args[0] as Hex) };
  };
  const addresses = {
    source: await source.getAddress(),
    destination: await destination.getAddress(),
    sourceApp: sourceAppAddress,
    destinationApp: destinationAppAddress,
  };
  return { provider, owner, addresses, source, destination, sourceApp, destinationApp, send };
}

/** The EIDs of the loan pair `deployEvmLoanPair` puts on one node. */
export const COLLATERAL_EID = 40161;
export const LENDING_EID = 40168;
/** The lending pool's price of the collateral chain's native coin, and its stablecoin's unit. */
export const ETH_PRICE_ID = id("ETH/USD");
export const USD = 10n ** 6n;
/** The native coin as a collateral asset. */
export const NATIVE_ASSET: Hex = `0x${"00".repeat(32)}`;

/** A collateral chain and a lending chain's loanbridge on one node, ready to lend. */
export interface EvmLoanPair {
  collateral: EvmDeployment;
  lending: EvmDeployment;
  /** The lending side's pool, price feed and stablecoin, as the deployer. */
  pool: Contract;
  priceFeed: Contract;
  stablecoin: Contract;
}

/**
 * Deploys loanbridge twice on one node (COLLATERAL_EID and LENDING_EID, the
 * verifier set of VERIFIER_ADDRESSES, 2 of 3), peers the vault with the
 * pool, and readies the pool: native ETH accepted as collateral (50 % LTV,
 * liquidated at 80 %) priced 3,000 USD, and 500,000 USD deposited by the
 * deployer.
 */
export async function deployEvmLoanPair(deployer: Signer): Promise<EvmLoanPair> {
  const config = {
    verifiers: VERIFIER_ADDRESSES,
    threshold: 2,
    vault: DEV_DEFAULTS.vault,
    pool: DEV_DEFAULTS.pool,
  };
  const collateral = await deployLoanbridge(deployer, {
    ...config,
    localEid: COLLATERAL_EID,
    remoteEid: LENDING_EID,
  });
  const lending = await deployLoanbridge(deployer, {
    ...config,
    localEid: LENDING_EID,
    remoteEid: COLLATERAL_EID,
    remoteVault: addressToWire(collateral.contracts.collateralVault),
  });
  const endpoint = await contractAt(
    collateral.contracts.endpoint,
    "contracts/Endpoint.sol",
    "Endpoint",
    deployer,
  );
  await sendTx(
    endpoint,
    "setPeer",
    collateral.contracts.collateralVault,
    LENDING_EID,
    addressToWire(lending.contracts.lendingPool),
  );
  const [pool, priceFeed, stablecoin] = await Promise.all([
    contractAt(lending.contracts.lendingPool, "contracts/LendingPool.sol", "LendingPool", deployer),
    contractAt(
      lending.contracts.priceFeed,
      "contracts/price/AdminPriceFeed.sol",
      "AdminPriceFeed",
      deployer,
    ),
    contractAt(
      lending.contracts.stablecoin,
      "contracts/dev/DevStablecoin.sol",
      "DevStablecoin",
      deployer,
    ),
  ]);
  await sendTx(pool, "setCollateral", COLLATERAL_EID, NATIVE_ASSET, {
    maxLtvBps: 5_000,
    liquidationLtvBps: 8_000,
    priceId: ETH_PRICE_ID,
  });
  await sendTx(priceFeed, "setPrice", ETH_PRICE_ID, 3_000n * USD);
  const lender = await deployer.getAddress();
  await sendTx(stablecoin, "mint", lender, 1_000_000n * USD);
  await sendTx(stablecoin, "approve", lending.contracts.lendingPool, 2n ** 255n);
  await sendTx(pool, "deposit", 500_000n * USD, lender);
  return { collateral, lending, pool, priceFeed, stablecoin };
}
