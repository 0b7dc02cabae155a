// Deploys the full EVM side (endpoint, collateral vault, lending pool, price
// feed, and on dev chains a stablecoin) and configures it, owned by the
// deployer. In production the deployer then hands ownership to a timelock
// (admin changes behind a delay). The CLI in scripts/deploy.ts reads flags
// and writes the deployments file.
import {
  type BaseContract,
  ContractFactory,
  getAddress,
  type InterfaceAbi,
  type Signer,
} from "ethers";
import { readArtifact } from "./artifacts.ts";

/** How to configure a deployment. Times are seconds; rates and LTVs basis points. */
export interface DeployConfig {
  localEid: number;
  /** The Solana side's endpoint id. */
  remoteEid: number;
  /** Verifier addresses (relayers' secp256k1 keys); sorted by the deployer. */
  verifiers: string[];
  threshold: number;
  /** May pause; defaults to the deployer. */
  guardian?: string;
  /** Stablecoin the pool lends; a DevStablecoin is deployed when absent. */
  stablecoin?: string;
  /** The Solana apps as bytes32, when known: peers are registered for them. */
  remoteVault?: string;
  remotePool?: string;
  /** Receives seized collateral on the Solana side, as bytes32. */
  remoteBeneficiary?: string;
  vault: { requestTtlSeconds: bigint };
  pool: {
    /** Due-bucket width W (fixed at deployment, 3,600 s to a year): due times round up to it. */
    dueBucketSeconds: bigint;
    rateBps: number;
    minTermSeconds: bigint;
    /** At most 62 × `dueBucketSeconds`. */
    maxTermSeconds: bigint;
    gracePeriodSeconds: bigint;
    maxPriceAgeSeconds: bigint;
    /** Most installments a loan may have (1..360; 1: bullet loans only). */
    maxInstallments: number;
    /** The periods an installment loan may have, each at most `maxTermSeconds` (0: unused). */
    installmentPeriods: readonly [bigint, bigint, bigint, bigint];
  };
}

export const DEV_DEFAULTS = {
  vault: { requestTtlSeconds: 3_600n },
  pool: {
    dueBucketSeconds: 86_400n,
    rateBps: 800,
    minTermSeconds: 60n,
    // The longest term a one-day bucket ring allows (62 × W).
    maxTermSeconds: 62n * 86_400n,
    gracePeriodSeconds: 86_400n,
    maxPriceAgeSeconds: 3_600n,
    maxInstallments: 12,
    // A day, a week, 30 days.
    installmentPeriods: [86_400n, 7n * 86_400n, 30n * 86_400n, 0n],
  },
} as const satisfies Pick<DeployConfig, "vault" | "pool">;

/** What the relayer and the CLI read: where everything is. */
export interface EvmDeployment {
  chainId: number;
  localEid: number;
  remoteEid: number;
  deployer: string;
  /** Block of the first deployment transaction: where watchers start. */
  startBlock: number;
  verifiers: string[];
  threshold: number;
  contracts: {
    endpoint: string;
    collateralVault: string;
    lendingPool: string;
    priceFeed: string;
    stablecoin: string;
  };
}

export type DeployProgress = (step: string, detail: string) => void;

export class DeployConfigError extends Error {
  override name = "DeployConfigError";
}

/** Checks a config before any transaction is sent, naming the bad field. */
export function assertDeployConfig(config: DeployConfig): void {
  const eid = (name: string, value: number) => {
    if (!Number.isInteger(value) || value <= 0 || value > 0xffff_ffff) {
      throw new DeployConfigError(`${name} must be an endpoint id in 1..4294967295, got ${value}`);
    }
  };
  eid("localEid", config.localEid);
  eid("remoteEid", config.remoteEid);
  if (config.localEid === config.remoteEid) {
    throw new DeployConfigError("localEid and remoteEid must differ");
  }
  if (config.verifiers.length === 0) throw new DeployConfigError("verifiers must not be empty");
  const unique = new Set(config.verifiers.map((address) => getAddress(address)));
  if (unique.size !== config.verifiers.length) {
    throw new DeployConfigError("verifiers must not repeat an address");
  }
  const { dueBucketSeconds, maxTermSeconds } = config.pool;
  if (dueBucketSeconds < 3_600n || dueBucketSeconds > 31_536_000n) {
    throw new DeployConfigError(
      `pool.dueBucketSeconds must be in 3600..31536000, got ${dueBucketSeconds}`,
    );
  }
  if (maxTermSeconds > 62n * dueBucketSeconds) {
    throw new DeployConfigError(
      `pool.maxTermSeconds must be at most 62 × dueBucketSeconds (${62n * dueBucketSeconds}), got ${maxTermSeconds}`,
    );
  }
  const { maxInstallments, installmentPeriods } = config.pool;
  if (!Number.isInteger(maxInstallments) || maxInstallments < 1 || maxInstallments > 360) {
    throw new DeployConfigError(`pool.maxInstallments must be in 1..360, got ${maxInstallments}`);
  }
  for (const period of installmentPeriods) {
    if (period < 0n || period > maxTermSeconds) {
      throw new DeployConfigError(
        `pool.installmentPeriods must each be in 0..maxTermSeconds (${maxTermSeconds}), got ${period}`,
      );
    }
  }
  if (!Number.isInteger(config.threshold) || config.threshold < 1) {
    throw new DeployConfigError(`threshold must be at least 1, got ${config.threshold}`);
  }
  if (config.threshold > config.verifiers.length) {
    throw new DeployConfigError(
      `threshold ${config.threshold} is above the ${config.verifiers.length} verifiers`,
    );
  }
}

export async function deployLoanbridge(
  deployer: Signer,
  config: DeployConfig,
  progress: DeployProgress = () => undefined,
): Promise<EvmDeployment> {
  assertDeployConfig(config);
  const provider = deployer.provider;
  if (!provider) throw new DeployConfigError("the deployer signer has no provider");
  const deployerAddress = await deployer.getAddress();
  const guardian = config.guardian ?? deployerAddress;
  const chainId = Number((await provider.getNetwork()).chainId);
  const startBlock = await provider.getBlockNumber();
  // Ascending order is what Endpoint requires of a verifier set.
  const verifiers = config.verifiers
    .map((address) => getAddress(address))
    .sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));

  const deploy = async (source: string, name: string, args: unknown[]) => {
    const { abi, bytecode } = await readArtifact(source, name);
    const contract = await new ContractFactory(abi as InterfaceAbi, bytecode, deployer).deploy(
      ...args,
    );
    await contract.waitForDeployment();
    const address = await contract.getAddress();
    progress(`deployed ${name}`, address);
    return { contract, address };
  };
  const send = async (contract: BaseContract, label: string, method: string, args: unknown[]) => {
    await (await contract.getFunction(method).send(...args)).wait();
    progress(label, `${method}(${args.map(String).join(", ")})`);
  };

  const stablecoin =
    config.stablecoin === undefined
      ? (await deploy("contracts/dev/DevStablecoin.sol", "DevStablecoin", [deployerAddress]))
          .address
      : getAddress(config.stablecoin);

  const endpoint = await deploy("contracts/Endpoint.sol", "Endpoint", [
    config.localEid,
    deployerAddress,
    guardian,
    verifiers,
    config.threshold,
  ]);
  const priceFeed = await deploy("contracts/price/AdminPriceFeed.sol", "AdminPriceFeed", [
    deployerAddress,
  ]);
  const vault = await deploy("contracts/CollateralVault.sol", "CollateralVault", [
    endpoint.address,
    config.remoteEid,
    config.vault.requestTtlSeconds,
    deployerAddress,
  ]);
  const pool = await deploy("contracts/LendingPool.sol", "LendingPool", [
    stablecoin,
    endpoint.address,
    deployerAddress,
    config.pool.dueBucketSeconds,
    "loanbridge pool share",
    "lbUSD",
  ]);

  const { pool: terms } = config;
  await send(pool.contract, "configured pool", "setLoanTerms", [
    terms.rateBps,
    terms.minTermSeconds,
    terms.maxTermSeconds,
    terms.gracePeriodSeconds,
  ]);
  await send(pool.contract, "configured pool", "setInstallmentTerms", [
    terms.maxInstallments,
    terms.installmentPeriods,
  ]);
  await send(pool.contract, "configured pool", "setPriceFeed", [
    priceFeed.address,
    terms.maxPriceAgeSeconds,
  ]);
  await send(pool.contract, "configured pool", "setGuardian", [guardian]);
  if (config.remoteBeneficiary !== undefined) {
    await send(pool.contract, "configured pool", "setBeneficiary", [
      config.remoteEid,
      config.remoteBeneficiary,
    ]);
  }
  if (config.remotePool !== undefined) {
    await send(endpoint.contract, "registered peer", "setPeer", [
      vault.address,
      config.remoteEid,
      config.remotePool,
    ]);
  }
  if (config.remoteVault !== undefined) {
    await send(endpoint.contract, "registered peer", "setPeer", [
      pool.address,
      config.remoteEid,
      config.remoteVault,
    ]);
  }

  return {
    chainId,
    localEid: config.localEid,
    remoteEid: config.remoteEid,
    deployer: deployerAddress,
    startBlock,
    verifiers,
    threshold: config.threshold,
    contracts: {
      endpoint: endpoint.address,
      collateralVault: vault.address,
      lendingPool: pool.address,
      priceFeed: priceFeed.address,
      stablecoin,
    },
  };
}
