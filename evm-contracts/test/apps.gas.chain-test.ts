// Gas of the collateral vault's and lending pool's main paths, from receipts
// (whole transactions: 21,000 intrinsic gas and calldata included). Messages
// go through the SendRecorder, which costs about what the endpoint's own
// bookkeeping will (a nonce write and an event). Printed as a table; the
// ceilings only catch large regressions.
import { addressToWire, type Hex } from "@loanbridge/shared";
import { id, type TransactionReceipt } from "ethers";
import { beforeAll, describe, expect, it } from "vitest";
import {
  as,
  chain,
  encode,
  LENDING_EID,
  onlyEvent,
  send,
  type Signer,
  VAULT_EID,
  ZERO_BYTES32,
} from "./apps.ts";
import { buildContracts, hre } from "./hre.ts";

const { ethers } = await hre.network.create();
const time = chain(ethers);

const gas = new Map<string, bigint>();
const CEILINGS: Record<string, bigint> = {
  "vault open ETH (first loan)": 200_000n,
  "vault open ETH": 180_000n,
  "vault open ERC-20": 200_000n,
  "vault onPacket REPAID release ETH": 90_000n,
  "vault onPacket REPAID release ERC-20": 90_000n,
  "pool deposit (first)": 120_000n,
  "pool deposit": 90_000n,
  "pool onPacket OPEN_LOAN accept": 250_000n,
  "pool onPacket OPEN_LOAN reject": 120_000n,
  "pool repay partial": 120_000n,
  "pool repay full": 120_000n,
};

function note(label: string, receipt: TransactionReceipt): void {
  gas.set(label, receipt.gasUsed);
}

let owner: Signer;
let borrower: Signer;
let lender: Signer;

beforeAll(async () => {
  await buildContracts();
  const [s0, s1, s2] = await ethers.getSigners();
  if (!s0 || !s1 || !s2) throw new Error("need three signers");
  [owner, borrower, lender] = [s0, s1, s2];
});

describe("gas", () => {
  it("vault_paths", async () => {
    const recorder = await ethers.deployContract("SendRecorder", [VAULT_EID]);
    const vault = await ethers.deployContract("CollateralVault", [
      recorder.target,
      LENDING_EID,
      3_600,
      86_400,
      owner.address,
    ]);
    const token = await ethers.deployContract("TestToken", ["T", "T"]);
    await send(vault, "setAssetAllowed", token.target, true);
    await send(token, "mint", borrower.address, 10n ** 24n);
    await send(as(token, borrower), "approve", vault.target, 2n ** 256n - 1n);
    const recipient = addressToWire(borrower.address);
    const pool = addressToWire(owner.address);
    const borrowerVault = as(vault, borrower);

    const openEth = () =>
      send(
        borrowerVault,
        "open",
        ethers.ZeroAddress,
        10n ** 18n,
        10n ** 9n,
        1_500,
        2_592_000n,
        recipient,
        {
          value: 10n ** 18n,
        },
      );
    note("vault open ETH (first loan)", await openEth());
    const ethReceipt = await openEth();
    note("vault open ETH", ethReceipt);
    const tokenReceipt = await send(
      borrowerVault,
      "open",
      token.target,
      10n ** 18n,
      10n ** 9n,
      1_500,
      2_592_000n,
      recipient,
    );
    note("vault open ERC-20", tokenReceipt);

    for (const [label, receipt] of [
      ["vault onPacket REPAID release ETH", ethReceipt],
      ["vault onPacket REPAID release ERC-20", tokenReceipt],
    ] as const) {
      const [loanId] = onlyEvent(vault, receipt, "LoanRequested") as [Hex];
      const active = encode({
        type: "LOAN_ACTIVE",
        loanId,
        principal: 10n ** 9n,
        rateBps: 1_000,
        startTime: 1n,
        dueTime: 2n,
      });
      await send(recorder, "deliver", vault.target, LENDING_EID, pool, id(`a${label}`), active);
      const repaid = encode({ type: "REPAID", loanId, amountRepaid: 10n ** 9n });
      note(
        label,
        await send(recorder, "deliver", vault.target, LENDING_EID, pool, id(`r${label}`), repaid),
      );
    }
  });

  it("pool_paths", async () => {
    const stable = await ethers.deployContract("DevStablecoin", [owner.address]);
    const recorder = await ethers.deployContract("SendRecorder", [LENDING_EID]);
    const feed = await ethers.deployContract("AdminPriceFeed", [owner.address]);
    const pool = await ethers.deployContract("LendingPool", [
      stable.target,
      recorder.target,
      owner.address,
      "p",
      "P",
    ]);
    await send(pool, "setLoanTerms", 1_000, 86_400, 31_536_000, 259_200);
    await send(pool, "setCollateral", VAULT_EID, ZERO_BYTES32, [5_000, 8_000, id("ETH")]);
    await send(pool, "setBeneficiary", VAULT_EID, addressToWire(owner.address));
    await send(pool, "setPriceFeed", feed.target, 3_600);
    await send(feed, "setPrice", id("ETH"), 3_000_000_000n);
    for (const signer of [lender, borrower]) {
      await send(stable, "mint", signer.address, 10n ** 15n);
      await send(as(stable, signer), "approve", pool.target, 2n ** 256n - 1n);
    }

    note(
      "pool deposit (first)",
      await send(as(pool, lender), "deposit", 10n ** 12n, lender.address),
    );
    note("pool deposit", await send(as(pool, lender), "deposit", 10n ** 12n, lender.address));

    const openLoan = async (n: number, principal: bigint) =>
      encode({
        type: "OPEN_LOAN",
        loanId: id(`loan${n}`) as Hex,
        borrower: addressToWire(borrower.address),
        recipient: addressToWire(borrower.address),
        collateralAsset: ZERO_BYTES32,
        collateralAmount: 10n ** 18n,
        principal,
        maxRateBps: 1_500,
        termSeconds: 2_592_000n,
        expiresAt: (await time.now()) + 3_600n,
      });
    const vaultApp = addressToWire(owner.address);
    note(
      "pool onPacket OPEN_LOAN accept",
      await send(
        recorder,
        "deliver",
        pool.target,
        VAULT_EID,
        vaultApp,
        id("g1"),
        await openLoan(1, 10n ** 9n),
      ),
    );
    note(
      "pool onPacket OPEN_LOAN reject",
      await send(
        recorder,
        "deliver",
        pool.target,
        VAULT_EID,
        vaultApp,
        id("g2"),
        await openLoan(2, 10n ** 13n),
      ),
    );

    await time.increaseTime(86_400n);
    note("pool repay partial", await send(as(pool, borrower), "repay", id("loan1"), 10n ** 8n));
    await time.increaseTime(86_400n);
    note("pool repay full", await send(as(pool, borrower), "repay", id("loan1"), 10n ** 10n));
  });

  it("report", () => {
    console.table([...gas].map(([path, used]) => ({ path, gasUsed: Number(used) })));
    for (const [path, used] of gas) {
      const ceiling = CEILINGS[path];
      if (ceiling === undefined) throw new Error(`no ceiling for ${path}`);
      expect(used, path).toBeLessThan(ceiling);
    }
    expect(gas.size).toBe(Object.keys(CEILINGS).length);
  });
});
