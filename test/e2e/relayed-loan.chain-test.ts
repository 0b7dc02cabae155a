// A loan across both chains through the real system: anvil with the EVM
// contracts, the SBF program on the local Solana node, and three relayer
// processes (2 of 3). A borrower locks ETH on the EVM vault; OPEN_LOAN is
// watched at finality, proven, attested and delivered to the Solana pool,
// which disburses and answers LOAN_ACTIVE back to the vault. Each packet is
// delivered exactly once and every relayer attested and mirrored both.
import { decodeLoanMessage, type Hex, toHex } from "@loanbridge/shared";
import {
  addressBytes,
  associatedTokenAccount,
  deliveriesOf,
  mintToOwner,
  rpcSender,
} from "@loanbridge/solana-program";
import { generateKeyPairSigner } from "@solana/kit";
import { parseEther, Wallet, ZeroAddress } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { endpointInterface } from "../../relayer/src/chains/evm/endpointAbi.ts";
import { decodePacketSent, PACKET_SENT_TOPIC } from "../../relayer/src/chains/evm/proof.ts";
import { devKey, providerFor } from "../../relayer/src/chains/evm/testing.ts";
import { contractAt, type Localnet, startLocalnet } from "../localnet/index.ts";
import { attestationSigners, packetsOfLoan, tokenBalance, waitFor } from "./support.ts";

const VAULT_ACTIVE = 2n;
const DELIVERED_TOPIC = endpointInterface.getEvent("PacketDelivered")?.topicHash ?? "";

let net: Localnet;

beforeAll(async () => {
  net = await startLocalnet();
}, 300_000);

afterAll(async () => {
  await net.stop();
});

describe("a loan relayed between Ethereum and Solana by 3 relayer processes (2 of 3)", () => {
  it("ethCollateral_borrowsOnSolana_eachPacketDeliveredOnce", async () => {
    const provider = providerFor(net.evm.url);
    const borrower = new Wallet(devKey(1), provider);
    const vault = await contractAt(
      net.evm.deployment.contracts.collateralVault,
      "contracts/CollateralVault.sol",
      "CollateralVault",
      borrower,
    );
    const { rpc, admin, deployment } = net.solana;
    const recipient = await generateKeyPairSigner();
    const send = rpcSender(rpc, { feePayer: admin });
    const recipientTokens = await mintToOwner(
      send,
      admin,
      deployment.stablecoin,
      recipient.address,
      0n,
    );
    const principal = 12_000n * 10n ** 6n;

    const opened = (await vault.getFunction("open")(
      ZeroAddress,
      parseEther("10"),
      principal,
      1_000,
      30n * 86_400n,
      1,
      toHex(addressBytes(recipient.address)),
      { value: parseEther("10") },
    )) as { hash: string };
    const receipt = await provider.waitForTransaction(opened.hash);
    const log = receipt?.logs.find((entry) => entry.topics[0] === PACKET_SENT_TOPIC);
    if (log === undefined) throw new Error("open sent no packet");
    const { packet: openLoan } = decodePacketSent(log);
    const loanId = decodeLoanMessage(openLoan.message).loanId;

    // Solana: the pool disbursed to the recipient's associated token account.
    await waitFor("the principal on Solana", async () =>
      (await tokenBalance(rpc, recipientTokens)) === principal ? true : undefined,
    );
    expect(recipientTokens).toBe(
      await associatedTokenAccount(recipient.address, deployment.stablecoin),
    );
    // Ethereum: LOAN_ACTIVE came back and activated the vault's loan.
    await waitFor("LOAN_ACTIVE on Ethereum", async () => {
      const loan = (await vault.getFunction("getLoan")(loanId)) as { state: bigint };
      return loan.state === VAULT_ACTIVE ? true : undefined;
    });

    // Every relayer saw both packets through to delivered and signed both.
    const guids = new Set<Hex>();
    for (const relayer of net.relayers) {
      const packets = await waitFor(`relayer ${relayer.index} to mirror both packets`, async () => {
        const found = await packetsOfLoan(relayer.apiUrl, loanId);
        return found.length === 2 && found.every((p) => p.status === "delivered")
          ? found
          : undefined;
      });
      for (const packet of packets) {
        guids.add(packet.guid);
        expect(await attestationSigners(relayer.apiUrl, packet.guid)).toHaveLength(1);
      }
    }
    expect(guids.size).toBe(2);
    expect(guids.has(openLoan.guid)).toBe(true);
    const answerGuid = [...guids].find((guid) => guid !== openLoan.guid) as Hex;

    // Exactly once: one successful transaction ever delivered the OPEN_LOAN
    // on Solana, and one PacketDelivered log exists for the answer on Ethereum.
    expect(await deliveriesOf(rpc, deployment.programId, openLoan)).toHaveLength(1);
    const logs = await provider.getLogs({
      address: net.evm.deployment.contracts.endpoint,
      topics: [DELIVERED_TOPIC, answerGuid],
      fromBlock: net.evm.deployment.startBlock,
    });
    expect(logs).toHaveLength(1);
  });
});
