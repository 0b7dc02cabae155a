// Issue 12, finding 1: whoever builds a Solana transaction that makes the
// program send a packet can spend the runtime's 10 kB log budget first (many
// cheap instructions before it, in a v0 transaction whose accounts come from
// an address lookup table), so the packet's `Program data:` line never
// appears and the logs end in "Log truncated". The relayers read packets from
// the outbound packet accounts, so each of these is still relayed end to end
// on the localnet (anvil + the local Solana node + 3 relayers, 2 of 3):
//   (b) a padded Deliver of an accepted OPEN_LOAN, sent by whoever holds a
//       threshold of attestations before the relayers act: LOAN_ACTIVE still
//       reaches the EVM vault;
//   (c) a griefer completing someone's loan with a padded Repay: REPAID is
//       relayed and the borrower's ETH released;
//   (a) a padded DeclareDefault of an overdue loan: the EVM vault ends Seized.
//
// And bytes that only look like a loan's: another app the EVM endpoint
// serves sends OPEN_LOAN and DEFAULTED to the Solana loan apps, naming a
// victim's loan and address. They are real packets, proven and relayed like
// any app's (the Solana program refuses them: not the apps' peer), but no
// relayer names a loan by them or changes its mirror or the victim's record.
import {
  encodeLoanMessage,
  encodePacket,
  type Hex,
  type LoanMessage,
  packetAttestationDigest,
  toBytes,
  toHex,
} from "@loanbridge/shared";
import {
  ADDRESS_LOOKUP_TABLE_PROGRAM_ADDRESS,
  addressBytes,
  airdrop,
  decodeAccount,
  declareDefaultInstruction,
  deliverAppAccounts,
  deliverInstructions,
  leBytes,
  LOG_TRUNCATED,
  logsTruncatedBeforePacket,
  lookupTableAddresses,
  PACKET_DATA_SIZE,
  paddedV0Message,
  pda,
  PoolLoanStatus,
  readAccount,
  repayInstruction,
  rpcSender,
  signAttestation,
  SYSTEM_PROGRAM_ADDRESS,
  versionInstruction,
} from "@loanbridge/solana-program";
import {
  AccountRole,
  type Address,
  createKeyPairSignerFromBytes,
  generateKeyPairSigner,
  getAddressEncoder,
  getBase64EncodedWireTransaction,
  getProgramDerivedAddress,
  getSignatureFromTransaction,
  type Instruction,
  type KeyPairSigner,
  signTransactionMessageWithSigners,
} from "@solana/kit";
import { contractAt, readArtifact } from "@loanbridge/evm-contracts";
import {
  type Contract,
  ContractFactory,
  hexlify,
  type InterfaceAbi,
  type JsonRpcProvider,
  parseEther,
  randomBytes,
  Wallet,
} from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devKey, providerFor } from "../../relayer/src/chains/evm/testing.ts";
import { EVM_EID, type Localnet, SOLANA_EID, startLocalnet } from "../localnet/index.ts";
import {
  borrowersOf,
  evmContracts,
  EvmVaultState,
  loanOf,
  mintToOwnerFor,
  nextPoolPacketNonce,
  openEthLoan,
  openSolLoan,
  packetsOfLoan,
  packetSentBy,
  scheduleOf,
  sent,
  solanaPoolLoan,
  tokenBalance,
  travelPastDefault,
  waitFor,
  waitForDeliveredPackets,
  waitForMirroredLoan,
} from "./support.ts";

const USDC = 1_000_000n;
const TERM_SECONDS = 600n;

let net: Localnet;
let provider: JsonRpcProvider;

beforeAll(async () => {
  // One executor, so that stopping it leaves the deliveries to the attacker.
  net = await startLocalnet({ executors: [0] });
  provider = providerFor(net.evm.url);
}, 300_000);

afterAll(async () => {
  await net.stop();
});

const u32 = (value: number) => leBytes(value, 4);
const u64 = (value: bigint) => leBytes(value, 8);

/**
 * An address lookup table holding `addresses`, created and extended through
 * the Address Lookup Table program by the Solana admin, and active (a slot
 * after its extension).
 */
async function lookupTable(addresses: readonly Address[]): Promise<Address> {
  const { rpc, admin, node } = net.solana;
  const recentSlot = await rpc.getSlot({ commitment: "finalized" }).send();
  const [table, bump] = await getProgramDerivedAddress({
    programAddress: ADDRESS_LOOKUP_TABLE_PROGRAM_ADDRESS,
    seeds: [getAddressEncoder().encode(admin.address), u64(recentSlot)],
  });
  const accounts = [
    { address: table, role: AccountRole.WRITABLE },
    { address: admin.address, role: AccountRole.READONLY_SIGNER, signer: admin },
    { address: admin.address, role: AccountRole.WRITABLE_SIGNER, signer: admin },
    { address: SYSTEM_PROGRAM_ADDRESS, role: AccountRole.READONLY },
  ];
  const encoder = getAddressEncoder();
  const create: Instruction = {
    programAddress: ADDRESS_LOOKUP_TABLE_PROGRAM_ADDRESS,
    accounts,
    data: Uint8Array.from([...u32(0), ...u64(recentSlot), bump]),
  };
  const extend: Instruction = {
    programAddress: ADDRESS_LOOKUP_TABLE_PROGRAM_ADDRESS,
    accounts,
    data: Uint8Array.from([
      ...u32(2),
      ...u64(BigInt(addresses.length)),
      ...addresses.flatMap((entry) => [...encoder.encode(entry)]),
    ]),
  };
  await rpcSender(rpc, { feePayer: admin })(create, extend);
  const extendedAt = node.slot();
  await waitFor("the lookup table to activate", () =>
    Promise.resolve(node.slot() > extendedAt ? true : undefined),
  );
  return table;
}

interface Padded {
  signature: string;
  /** The landed transaction's logs, as getTransaction returns them. */
  logs: string[];
  padding: number;
  size: number;
}

/**
 * Sends `instructions` after as many `Version` instructions as it takes for
 * the runtime to truncate the logs before any `Program data:` line, in a v0
 * transaction whose non-signer accounts come from a lookup table; waits
 * until it is confirmed and returns its logs.
 */
async function sendPadded(payer: KeyPairSigner, instructions: Instruction[]): Promise<Padded> {
  const { rpc, deployment } = net.solana;
  const addresses = lookupTableAddresses(instructions);
  const table = await lookupTable(addresses);
  const { value: lifetime } = await rpc.getLatestBlockhash({ commitment: "confirmed" }).send();
  for (let padding = 32; padding <= 256; padding += 8) {
    const transaction = await signTransactionMessageWithSigners(
      paddedV0Message({
        feePayer: payer,
        lifetime,
        padding: { instruction: versionInstruction(deployment.programId), count: padding },
        instructions,
        lookupTable: { address: table, addresses },
      }),
    );
    const wire = getBase64EncodedWireTransaction(transaction);
    const size = Buffer.from(wire, "base64").length;
    if (size > PACKET_DATA_SIZE) {
      throw new Error(`${padding} padding instructions make a ${size}-byte transaction`);
    }
    const { value: simulated } = await rpc.simulateTransaction(wire, { encoding: "base64" }).send();
    if (simulated.err !== null) {
      throw new Error(
        `simulation failed: ${JSON.stringify(simulated.err)}\n${(simulated.logs ?? []).slice(-8).join("\n")}`,
      );
    }
    if (!logsTruncatedBeforePacket(simulated.logs ?? [])) continue;
    await rpc.sendTransaction(wire, { encoding: "base64" }).send();
    const signature = getSignatureFromTransaction(transaction);
    const landed = await waitFor(`${signature} to be confirmed`, async () => {
      const found = await rpc
        .getTransaction(signature, {
          commitment: "confirmed",
          encoding: "json",
          maxSupportedTransactionVersion: 0,
        })
        .send();
      return found ?? undefined;
    });
    expect(landed.meta?.err).toBeNull();
    return { signature, logs: [...(landed.meta?.logMessages ?? [])], padding, size };
  }
  throw new Error("the logs never truncated");
}

/** The landed logs really end the packet's line: truncated, and no `Program data:` at all. */
function expectHidden(padded: Padded): void {
  expect(padded.logs).toContain(LOG_TRUNCATED);
  expect(padded.logs.some((line) => line.startsWith("Program data: "))).toBe(false);
}

async function evmVaultState(loanId: Hex): Promise<bigint> {
  const { vault } = await evmContracts(net, provider);
  return ((await vault.getFunction("getLoan")(loanId)) as { state: bigint }).state;
}

const vaultState = (loanId: Hex, state: bigint) => () =>
  evmVaultState(loanId).then((found) => (found === state ? true : undefined));

/** A Solana recipient of stablecoin with its token account and SOL for fees. */
async function solanaAccount(stablecoin = 0n) {
  const signer = await generateKeyPairSigner();
  await airdrop(net.solana.rpc, signer.address, 1n);
  const tokens = await mintToOwnerFor(net, signer.address, stablecoin);
  return { signer, tokens };
}

/** An ETH-collateral loan from the Solana pool, Active on both chains. */
async function activeEthLoan(borrower: Wallet, principal: bigint, termSeconds?: bigint) {
  const { signer: recipient, tokens } = await solanaAccount();
  const opened = await openEthLoan(net, borrower, {
    collateral: parseEther("1"),
    principal,
    recipient: recipient.address,
    ...(termSeconds !== undefined && { termSeconds }),
  });
  await waitFor("LOAN_ACTIVE on Ethereum", vaultState(opened.loanId, EvmVaultState.Active));
  expect(await tokenBalance(net.solana.rpc, tokens)).toBe(principal);
  return opened;
}

describe("packets whose Solana logs were truncated are still relayed", () => {
  // Opened first, while nothing else happens on the Solana pool.
  let overdue: Awaited<ReturnType<typeof activeEthLoan>>;
  let completed: Awaited<ReturnType<typeof activeEthLoan>>;

  beforeAll(async () => {
    [overdue, completed] = await Promise.all([
      activeEthLoan(new Wallet(devKey(1), provider), 500n * USDC, TERM_SECONDS),
      activeEthLoan(new Wallet(devKey(2), provider), 700n * USDC),
    ]);
  }, 180_000);

  it("paddedDeliverOfAnAcceptedOpenLoan_byWhoeverHoldsTheAttestations_loanActiveStillReachesEthereum", async () => {
    const { rpc, admin, deployment } = net.solana;
    const program = deployment.programId;
    const borrower = new Wallet(devKey(3), provider);
    const { signer: recipient, tokens } = await solanaAccount();
    const principal = 600n * USDC;
    // The executor is stopped so nobody delivers before the attacker; the
    // other relayers only confirm.
    const executor = net.relayers[0];
    if (executor === undefined) throw new Error("no executor");
    await executor.stop();
    let padded: Padded;
    let opened: Awaited<ReturnType<typeof openEthLoan>>;
    try {
      opened = await openEthLoan(net, borrower, {
        collateral: parseEther("1"),
        principal,
        recipient: recipient.address,
      });
      const sentPacket = packetSentBy(opened.receipt);
      const packet = encodePacket(sentPacket, sentPacket.message);
      const endpoint = await readAccount(rpc, await pda.endpoint(program));
      if (endpoint === null) throw new Error("no endpoint");
      const epoch = decodeAccount("Endpoint", endpoint).epoch as bigint;
      const digest = toBytes(packetAttestationDigest(toHex(addressBytes(program)), epoch, packet));
      const verifiers = await Promise.all(
        net.verifierKeys.slice(0, 2).map((key) => createKeyPairSignerFromBytes(key.solana)),
      );
      const attestations = await Promise.all(verifiers.map((v) => signAttestation(v, digest)));
      const instructions = await deliverInstructions(program, {
        payer: admin,
        packet,
        appAccounts: (
          await deliverAppAccounts(program, packet, (account) => readAccount(rpc, account))
        ).accounts,
        attestations,
        digest,
      });
      padded = await sendPadded(admin, instructions);
    } finally {
      await executor.start();
    }
    expectHidden(padded);
    expect(padded.size).toBeLessThanOrEqual(PACKET_DATA_SIZE);
    expect((await solanaPoolLoan(net, opened.loanId))?.status).toBe(PoolLoanStatus.Active);
    expect(await tokenBalance(rpc, tokens)).toBe(principal);

    await waitFor("LOAN_ACTIVE on Ethereum", vaultState(opened.loanId, EvmVaultState.Active));
    await waitForDeliveredPackets(net.relayers, opened.loanId, ["OPEN_LOAN", "LOAN_ACTIVE"]);
  });

  it("griefersPaddedRepayCompletingSomeonesLoan_repaidStillRelayed_ethReleased", async () => {
    const { rpc, deployment } = net.solana;
    const borrower = new Wallet(devKey(2), provider);
    const before = await provider.getBalance(borrower.address);
    const griefer = await solanaAccount(701n * USDC);
    const padded = await sendPadded(griefer.signer, [
      await repayInstruction(deployment.programId, {
        payer: griefer.signer,
        payerTokens: griefer.tokens,
        loanId: toBytes(completed.loanId),
        srcEid: EVM_EID,
        packetNonce: await nextPoolPacketNonce(net),
        amount: 701n * USDC,
      }),
    ]);
    expectHidden(padded);
    expect((await solanaPoolLoan(net, completed.loanId))?.status).toBe(PoolLoanStatus.Repaid);
    expect(await tokenBalance(rpc, griefer.tokens)).toBeLessThan(USDC);

    await waitFor("REPAID on Ethereum", vaultState(completed.loanId, EvmVaultState.Released));
    expect(await provider.getBalance(borrower.address)).toBe(before + parseEther("1"));
    await waitForDeliveredPackets(net.relayers, completed.loanId, [
      "OPEN_LOAN",
      "LOAN_ACTIVE",
      "REPAID",
    ]);
  });

  it("paddedDeclareDefaultOfAnOverdueLoan_defaultedStillRelayed_ethSeized", async () => {
    const { admin, deployment } = net.solana;
    await travelPastDefault(net, provider, "solana", overdue.loanId);
    const padded = await sendPadded(admin, [
      await declareDefaultInstruction(deployment.programId, {
        payer: admin,
        loanId: toBytes(overdue.loanId),
        srcEid: EVM_EID,
        packetNonce: await nextPoolPacketNonce(net),
      }),
    ]);
    expectHidden(padded);
    expect((await solanaPoolLoan(net, overdue.loanId))?.status).toBe(PoolLoanStatus.Defaulted);

    await waitFor("DEFAULTED on Ethereum", vaultState(overdue.loanId, EvmVaultState.Seized));
    await waitForDeliveredPackets(net.relayers, overdue.loanId, [
      "OPEN_LOAN",
      "LOAN_ACTIVE",
      "DEFAULTED",
    ]);
  });
});

describe("loan messages another app sends count for no loan", () => {
  const SOL = 1_000_000_000n;

  /** An app the EVM endpoint's owner registered, peered with a Solana loan app. */
  async function otherApp(peer: Address): Promise<Contract> {
    const { abi, bytecode } = await readArtifact("contracts/test/RecordingApp.sol", "RecordingApp");
    const { endpoint: endpointAddress } = net.evm.deployment.contracts;
    const factory = new ContractFactory(abi as InterfaceAbi, bytecode, net.evm.deployer);
    const app = (await factory.deploy(endpointAddress)) as Contract;
    await app.waitForDeployment();
    const endpoint = await contractAt(
      endpointAddress,
      "contracts/Endpoint.sol",
      "Endpoint",
      net.evm.deployer,
    );
    await sent(endpoint, "setPeer", await app.getAddress(), SOLANA_EID, toHex(addressBytes(peer)));
    return app;
  }

  interface PacketView {
    status: string;
    loanId: Hex | null;
    messageType: string | null;
  }

  async function packetView(apiUrl: string, guid: Hex): Promise<PacketView | undefined> {
    const reply = await fetch(`${apiUrl}/v1/packets/${guid}`);
    return reply.ok ? ((await reply.json()) as PacketView) : undefined;
  }

  it("otherAppsOpenLoanAndDefault_namingAVictim_relayedButNoMirrorOrRecordChanges", async () => {
    const { rpc, deployment } = net.solana;
    // The victim: a SOL-collateral loan from the EVM pool, Active everywhere.
    const victim = await generateKeyPairSigner();
    await airdrop(rpc, victim.address, 20n);
    const opened = await openSolLoan(net, victim, {
      collateral: 10n * SOL,
      principal: 300n * USDC,
      recipient: Wallet.createRandom().address,
    });
    await waitForMirroredLoan(net.relayers, opened.loanId, "active", "active");
    // And its plan read from the pool (the installment mirror): the record is
    // settled before it is compared.
    for (const relayer of net.relayers) {
      await waitFor(`relayer ${relayer.index} to read ${opened.loanId}'s schedule`, async () =>
        (await scheduleOf(relayer.apiUrl, opened.loanId)) === undefined ? undefined : true,
      );
    }
    const records = await Promise.all(
      net.relayers.map((relayer) => borrowersOf(relayer.apiUrl, victim.address)),
    );
    // The installment mirror reads the pool now and then and stamps `updatedAt`.
    const loanSides = async () =>
      Promise.all(
        net.relayers.map(async (relayer) => {
          const loan: Record<string, unknown> = {
            ...(await loanOf(relayer.apiUrl, opened.loanId)),
          };
          delete loan.updatedAt;
          return loan;
        }),
      );
    const loans = await loanSides();

    const toVault = await otherApp(deployment.vault);
    const toPool = await otherApp(deployment.pool);
    const victimBytes = toHex(addressBytes(victim.address));
    const forgedOpen: LoanMessage = {
      type: "OPEN_LOAN",
      loanId: hexlify(randomBytes(32)) as Hex,
      borrower: victimBytes,
      recipient: victimBytes,
      collateralAsset: `0x${"00".repeat(32)}`,
      collateralAmount: 10n ** 18n,
      principal: 1_000n * USDC,
      maxRateBps: 1_000,
      termSeconds: 86_400n,
      expiresAt: 4_000_000_000n,
      installments: 1,
    };
    const forgedDefault: LoanMessage = {
      type: "DEFAULTED",
      loanId: opened.loanId,
      outstanding: 300n * USDC,
      beneficiary: victimBytes,
    };
    const forged = [
      packetSentBy(await sent(toPool, "sendPacket", SOLANA_EID, encodeLoanMessage(forgedOpen))),
      packetSentBy(await sent(toVault, "sendPacket", SOLANA_EID, encodeLoanMessage(forgedDefault))),
    ];

    for (const relayer of net.relayers) {
      for (const packet of forged) {
        const view = await waitFor(`relayer ${relayer.index} to prove ${packet.guid}`, async () => {
          const found = await packetView(relayer.apiUrl, packet.guid);
          return found !== undefined && found.status !== "observed" ? found : undefined;
        });
        expect(view).toMatchObject({ loanId: null, messageType: null });
      }
      expect(await loanOf(relayer.apiUrl, forgedOpen.loanId)).toBeUndefined();
      const guids = (await packetsOfLoan(relayer.apiUrl, opened.loanId)).map((p) => p.guid);
      expect(guids).not.toContain(forged[1]?.guid);
    }
    expect(await loanSides()).toEqual(loans);
    expect(
      await Promise.all(net.relayers.map((relayer) => borrowersOf(relayer.apiUrl, victim.address))),
    ).toEqual(records);
  }, 180_000);
});
