import { connect } from "node:net";
import { ContractFactory, type InterfaceAbi, JsonRpcProvider } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalNode, readArtifact, startHardhatNode } from "../src/index.ts";
import { buildContracts } from "./hre.ts";

function acceptsConnections(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => {
      resolve(false);
    });
  });
}

describe("startHardhatNode", () => {
  let node: LocalNode;
  let provider: JsonRpcProvider;

  beforeAll(async () => {
    await buildContracts();
    node = await startHardhatNode();
    provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true });
  });

  afterAll(async () => {
    provider.destroy();
    await node.stop();
    const { hostname, port } = new URL(node.url);
    expect(await acceptsConnections(hostname, Number(port))).toBe(false);
  });

  it("url_bindsToLoopback", () => {
    expect(new URL(node.url).hostname).toBe("127.0.0.1");
  });

  it("chainId_isHardhatDefault", async () => {
    expect(await provider.send("eth_chainId", [])).toBe("0x7a69");
  });

  it("devStablecoin_deploysAndMintsWithUnlockedDevAccount", async () => {
    const { abi, bytecode } = await readArtifact(
      "contracts/dev/DevStablecoin.sol",
      "DevStablecoin",
    );
    const deployer = await provider.getSigner(0);
    const factory = new ContractFactory(abi as InterfaceAbi, bytecode, deployer);
    const token = await (await factory.deploy(deployer.address)).waitForDeployment();
    const recipient = "0x000000000000000000000000000000000000bEEF";

    await (await token.getFunction("mint").send(recipient, 42_000_000n)).wait();

    expect(await token.getFunction("balanceOf")(recipient)).toBe(42_000_000n);
  });
});
