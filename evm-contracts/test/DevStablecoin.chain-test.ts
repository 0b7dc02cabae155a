import { beforeAll, describe, expect, it } from "vitest";
import { buildContracts, hre } from "./hre.ts";
import { revertData } from "./support/revertData.ts";

const { ethers } = await hre.network.create();

async function deploy() {
  const [owner, other] = await ethers.getSigners();
  if (owner === undefined || other === undefined) {
    throw new Error("Hardhat network must provide at least two accounts");
  }
  const token = await ethers.deployContract("DevStablecoin", [owner.address]);
  return { token, other };
}

describe("DevStablecoin", () => {
  beforeAll(buildContracts);

  it("decimals_isSix", async () => {
    const { token } = await deploy();
    expect(await token.getFunction("decimals")()).toBe(6n);
  });

  it("mint_byOwner_creditsRecipientAndSupply", async () => {
    const { token, other } = await deploy();
    const amount = 1_250_000n;

    await (await token.getFunction("mint").send(other.address, amount)).wait();

    expect(await token.getFunction("balanceOf")(other.address)).toBe(amount);
    expect(await token.getFunction("totalSupply")()).toBe(amount);
  });

  it("mint_revertsForNonOwner", async () => {
    const { token, other } = await deploy();

    const data = await revertData(token.connect(other).getFunction("mint")(other.address, 1n));

    const decoded = token.interface.parseError(data);
    expect(decoded?.name).toBe("OwnableUnauthorizedAccount");
    expect(decoded?.args[0]).toBe(other.address);
    expect(await token.getFunction("totalSupply")()).toBe(0n);
  });
});
