// The deploy CLI against a real `hardhat node`: what it writes is what is on
// chain, and bad input fails before any transaction with a clear message.
import { execFile } from "node:child_process";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Contract, type InterfaceAbi, JsonRpcProvider } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type EvmDeployment,
  type LocalNode,
  readArtifact,
  startHardhatNode,
} from "../src/index.ts";
import { buildContracts } from "./hre.ts";

const run = promisify(execFile);
const SCRIPT = new URL("../scripts/deploy.ts", import.meta.url).pathname;
// Hardhat's default dev accounts #1..#3, given out of order on purpose.
const VERIFIERS = [
  "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
  "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
  "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
];
const REMOTE_POOL = `0x${"ab".repeat(32)}`;
const REMOTE_VAULT = `0x${"cd".repeat(32)}`;

async function deployCli(args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, [SCRIPT, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe("deploy CLI", () => {
  let node: LocalNode;
  let provider: JsonRpcProvider;
  let deployment: EvmDeployment;
  let output: string;

  const contract = async (source: string, name: string, address: string) => {
    const { abi } = await readArtifact(source, name);
    return new Contract(address, abi as InterfaceAbi, provider);
  };

  beforeAll(async () => {
    await buildContracts();
    node = await startHardhatNode();
    provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true });
    const out = join(await mkdtemp(join(tmpdir(), "loanbridge-deploy-")), "deployment.json");
    const result = await deployCli([
      "--rpc",
      node.url,
      "--out",
      out,
      "--verifiers",
      VERIFIERS.join(","),
      "--threshold",
      "2",
      "--remote-pool",
      REMOTE_POOL,
      "--remote-vault",
      REMOTE_VAULT,
    ]);
    output = result.stdout;
    expect(result.code, result.stderr).toBe(0);
    deployment = JSON.parse(await readFile(out, "utf8")) as EvmDeployment;
  });

  afterAll(async () => {
    provider.destroy();
    await node.stop();
  });

  it("writesEveryContract_withCodeOnChain", async () => {
    for (const address of Object.values(deployment.contracts)) {
      expect((await provider.getCode(address)).length, address).toBeGreaterThan(2);
    }
    expect(deployment).toMatchObject({ chainId: 31337, localEid: 40161, remoteEid: 40168 });
  });

  it("reportsProgressPerStep", () => {
    expect(output).toContain(`deployed Endpoint: ${deployment.contracts.endpoint}`);
    expect(output).toMatch(/^wrote .*deployment\.json/m);
  });

  it("endpoint_holdsSortedVerifierSet", async () => {
    const endpoint = await contract(
      "contracts/Endpoint.sol",
      "Endpoint",
      deployment.contracts.endpoint,
    );
    const [signers, threshold, epoch] = (await endpoint
      .getFunction("verifierSet")
      .staticCall()) as [string[], bigint, bigint];
    const sorted = [...VERIFIERS].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
    expect([...signers]).toEqual(sorted);
    expect(deployment.verifiers).toEqual(sorted);
    expect(threshold).toBe(2n);
    expect(epoch).toBe(1n);
  });

  it("endpoint_registersPeersOfBothApps", async () => {
    const endpoint = await contract(
      "contracts/Endpoint.sol",
      "Endpoint",
      deployment.contracts.endpoint,
    );
    const { collateralVault, lendingPool } = deployment.contracts;
    expect(await endpoint.getFunction("peer").staticCall(collateralVault, 40168)).toBe(REMOTE_POOL);
    expect(await endpoint.getFunction("peer").staticCall(lendingPool, 40168)).toBe(REMOTE_VAULT);
  });

  it("apps_pointAtTheEndpointAndStablecoin", async () => {
    const { endpoint, collateralVault, lendingPool, stablecoin } = deployment.contracts;
    const vault = await contract(
      "contracts/CollateralVault.sol",
      "CollateralVault",
      collateralVault,
    );
    const pool = await contract("contracts/LendingPool.sol", "LendingPool", lendingPool);
    expect(await vault.getFunction("endpoint").staticCall()).toBe(endpoint);
    expect(await vault.getFunction("lendingEid").staticCall()).toBe(40168n);
    expect(await pool.getFunction("endpoint").staticCall()).toBe(endpoint);
    expect(await pool.getFunction("asset").staticCall()).toBe(stablecoin);
    // Dev defaults: one-day due buckets, terms up to the 62 buckets the ring covers.
    expect(await pool.getFunction("dueBucketSeconds").staticCall()).toBe(86_400n);
    expect(await pool.getFunction("maxTermSeconds").staticCall()).toBe(62n * 86_400n);
    // Up to 12 installments of a day, a week or 30 days.
    expect(await pool.getFunction("maxInstallments").staticCall()).toBe(12n);
    const periods = (await pool.getFunction("installmentPeriods").staticCall()) as bigint[];
    expect([...periods]).toEqual([86_400n, 604_800n, 2_592_000n, 0n]);
  });

  it.each([
    [["--threshold", "4"], "threshold 4 is above the 3 verifiers"],
    [["--threshold", "0"], "threshold must be at least 1, got 0"],
    [["--threshold", "two"], "--threshold must be a whole number"],
    [["--threshold", "2", "--local-eid", "40168"], "localEid and remoteEid must differ"],
  ])("badInput_%j_failsBeforeDeploying", async (args, message) => {
    const result = await deployCli([
      "--rpc",
      node.url,
      "--verifiers",
      VERIFIERS.join(","),
      ...args,
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stdout).toBe("");
  });

  it("unreachableNode_failsWithTheUrl", async () => {
    const result = await deployCli([
      "--rpc",
      "http://127.0.0.1:1",
      "--verifiers",
      VERIFIERS[0] ?? "",
      "--threshold",
      "1",
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("no JSON-RPC node answers at http://127.0.0.1:1");
  });
});
