// Measures the gas of loanbridge's EVM paths on Hardhat's in-process network,
// for `make gas-report` (which writes gas-report.md) and for the test that
// keeps that file in step with the code, and beside them LayerZero V2's
// destination path (their published EndpointV2 and ReceiveUln302 artifacts)
// for the same message in the same run. Every input is fixed (keys, block
// times, amounts), so the figures repeat exactly.
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  addressToWire,
  decodeLoanMessage,
  decodePacket,
  encodeLoanMessage,
  encodePacket,
  type Hex,
  packetAttestationDigest,
} from "@loanbridge/shared";
import {
  concat,
  Contract,
  ContractFactory,
  getBytes,
  hashMessage,
  hexlify,
  id,
  type InterfaceAbi,
  keccak256,
  parseEther,
  solidityPacked,
  type TransactionReceipt,
} from "ethers";
import { hre } from "../test/hre.ts";
import { deployTwoChains, sendTx, VERIFIERS } from "../test/support/twoChains.ts";

export interface GasRow {
  operation: string;
  gasUsed: bigint;
}

/** LayerZero V2's destination path for one message, transaction by transaction. */
export interface LayerZeroGas {
  /** The npm packages the artifacts come from, with their versions. */
  packages: string[];
  rows: GasRow[];
}

/** Our `deliver` at each signature count, for the side-by-side ratio. */
export interface DeliverGas {
  label: string;
  gasUsed: bigint;
}

/** Hyperlane's `Mailbox.process` for one message behind a 2-of-3 static multisig ISM. */
export interface HyperlaneGas {
  /** The npm package the artifacts come from, with its version. */
  package: string;
  row: GasRow;
}

export interface GasReport {
  hardfork: string;
  rows: GasRow[];
  deliver: DeliverGas[];
  layerZero: LayerZeroGas;
  hyperlane: HyperlaneGas;
}

/** Block times of the measured transactions: far from "now", one minute apart. */
const T0 = 2_000_000_000;

export async function measureGas(): Promise<GasReport> {
  const rows: GasRow[] = [];
  const record = (operation: string, receipt: TransactionReceipt) => {
    rows.push({ operation, gasUsed: receipt.gasUsed });
    return receipt;
  };
  const connection = await hre.network.create();
  const { ethers, provider } = connection;
  let clock = T0;
  const tick = async (seconds = 60) => {
    clock += seconds;
    await provider.request({ method: "evm_setNextBlockTimestamp", params: [clock] });
  };

  const deliver = await endpointAlone(ethers, tick, record);
  await loanFlow(ethers, tick, record);
  const layerZero = await layerZeroPath(ethers, tick);
  const hyperlane = await hyperlanePath(ethers, tick);
  const config = connection.networkConfig;
  return {
    hardfork: "hardfork" in config ? config.hardfork : "unknown",
    rows,
    deliver,
    layerZero,
    hyperlane,
  };
}

type Ethers = Awaited<ReturnType<typeof hre.network.create>>["ethers"];
type Tick = (seconds?: number) => Promise<void>;
type Record = (operation: string, receipt: TransactionReceipt) => TransactionReceipt;

const REMOTE_EID = 40168;
const LOCAL_EID = 40161;
const REMOTE_APP = id("remote app") as Hex;

/** The message both systems carry: an OPEN_LOAN, byte for byte the same. */
const MESSAGE = encodeLoanMessage({
  type: "OPEN_LOAN",
  loanId: id("gas loan") as Hex,
  borrower: id("borrower") as Hex,
  recipient: id("recipient") as Hex,
  collateralAsset: `0x${"00".repeat(32)}`,
  collateralAmount: 10n ** 18n,
  principal: 1_000n * 10n ** 6n,
  maxRateBps: 900,
  termSeconds: 30n * 86_400n,
  expiresAt: BigInt(T0 + 86_400),
  installments: 1,
});

/** The endpoint's own cost: a receiver that does nothing, verifier sets of 1–3 of 3. */
async function endpointAlone(ethers: Ethers, tick: Tick, record: Record): Promise<DeliverGas[]> {
  const [owner, app] = await ethers.getSigners();
  if (!owner || !app) throw new Error("need two signers");
  const attach = async (name: string, address: string) =>
    new Contract(address, (await ethers.getContractFactory(name)).interface, owner);
  const deploy = async (name: string, args: unknown[]) =>
    attach(name, await (await ethers.deployContract(name, args)).getAddress());
  // Replay protection is a bitmap of 256 nonces per slot and path: the first
  // nonce of a word fills a fresh slot, the next 255 rewrite it. Each endpoint
  // delivers nonce 1 first, then nonce 2 is the steady state measured.
  let endpoint: Contract | undefined;
  let firstOfWord: TransactionReceipt | undefined;
  const deliverGas: DeliverGas[] = [];
  for (const threshold of [1, 2, 3]) {
    const verifiers = VERIFIERS.map((wallet) => wallet.address);
    endpoint = await deploy("Endpoint", [
      LOCAL_EID,
      owner.address,
      owner.address,
      verifiers,
      threshold,
    ]);
    const receiver = await deploy("RecordingApp", [endpoint.target]);
    await sendTx(receiver, "setQuiet", true);
    await sendTx(endpoint, "setPeer", receiver.target, REMOTE_EID, REMOTE_APP);
    const receiverWire = addressToWire(await receiver.getAddress());
    const endpointWire = addressToWire(await endpoint.getAddress());
    const deliver = async (nonce: bigint) => {
      const packet = encodePacket(
        {
          nonce,
          srcEid: REMOTE_EID,
          sender: REMOTE_APP,
          dstEid: LOCAL_EID,
          receiver: receiverWire,
        },
        MESSAGE,
      );
      const digest = packetAttestationDigest(endpointWire, 1n, packet);
      const signatures = concat(
        VERIFIERS.slice(0, threshold).map((wallet) => wallet.signingKey.sign(digest).serialized),
      );
      await tick();
      return sendTx(endpoint as Contract, "deliver", packet, signatures);
    };
    const first = await deliver(1n);
    if (threshold === 2) firstOfWord = first;
    const steady = await deliver(2n);
    record(`Endpoint.deliver, ${threshold} of 3 signatures (no-op receiver)`, steady);
    deliverGas.push({ label: `${threshold} of 3 signatures`, gasUsed: steady.gasUsed });
  }
  if (!firstOfWord) throw new Error("no first delivery measured");
  record(
    "Endpoint.deliver, 2 of 3, first nonce of a 256-nonce bitmap word (1 delivery in 256)",
    firstOfWord,
  );
  deliverGas.push({
    label: "2 of 3, first nonce of a bitmap word",
    gasUsed: firstOfWord.gasUsed,
  });

  // Send's cost does not depend on the verifier set: measured on the last endpoint.
  if (!endpoint) throw new Error("no endpoint deployed");
  await sendTx(endpoint, "setPeer", app.address, REMOTE_EID, REMOTE_APP);
  const asApp = new Contract(endpoint.target, endpoint.interface, app);
  await tick();
  record("Endpoint.send, first packet on a path", await sendTx(asApp, "send", REMOTE_EID, MESSAGE));
  await tick();
  record("Endpoint.send, next packet", await sendTx(asApp, "send", REMOTE_EID, MESSAGE));
  return deliverGas;
}

/** A whole loan through both endpoints with 2-of-3 attestations. */
async function loanFlow(ethers: Ethers, tick: Tick, record: Record) {
  const world = await deployTwoChains(ethers);
  const { vault, pool, stablecoin, priceFeed, signers } = world;
  const as = (contract: Contract, signer: typeof signers.owner) =>
    new Contract(contract.target, contract.interface, signer);
  const token = new Contract(
    await (await ethers.deployContract("TestToken", ["Wrapped Test", "WTST"])).getAddress(),
    (await ethers.getContractFactory("TestToken")).interface,
    signers.owner,
  );
  await sendTx(vault, "setAssetAllowed", token.target, true);
  await sendTx(token, "mint", signers.borrower.address, parseEther("100"));
  await sendTx(as(token, signers.borrower), "approve", vault.target, 2n ** 255n);
  await sendTx(stablecoin, "mint", signers.lender.address, 1_000_000n * 10n ** 6n);
  await sendTx(as(stablecoin, signers.lender), "approve", pool.target, 2n ** 255n);
  await sendTx(stablecoin, "mint", signers.borrower.address, 100_000n * 10n ** 6n);
  await sendTx(as(stablecoin, signers.borrower), "approve", pool.target, 2n ** 255n);
  const lenderPool = as(pool, signers.lender);
  const borrowerPool = as(pool, signers.borrower);
  await tick();
  await sendTx(lenderPool, "deposit", 100_000n * 10n ** 6n, signers.lender.address);
  await tick();
  record(
    "LendingPool.deposit",
    await sendTx(lenderPool, "deposit", 400_000n * 10n ** 6n, signers.lender.address),
  );
  // The feed's price must be fresh at the block times used below.
  await tick();
  await sendTx(priceFeed, "setPrice", id("ETH/USD"), 3_000n * 10n ** 6n);

  const borrowerWire = addressToWire(signers.borrower.address);
  const eth = "0x0000000000000000000000000000000000000000";
  const open = (asset: string, amount: bigint, value: bigint) =>
    sendTx(
      as(vault, signers.borrower),
      "open",
      asset,
      amount,
      12_000n * 10n ** 6n,
      1_000,
      30n * 86_400n,
      1,
      borrowerWire,
      { value },
    );

  // The vault's first loan also fills its nonce, the paths' slots and the
  // words of both delivered-nonce bitmaps: measure the steady state after one
  // unrecorded loan, opened and answered.
  await tick();
  const warmUp = await open(eth, parseEther("1"), parseEther("1"));
  await tick();
  await world.relay(await world.relay(warmUp));
  await tick();
  record(
    "CollateralVault.open, ERC-20 collateral (sends OPEN_LOAN)",
    await open(await token.getAddress(), parseEther("10"), 0n),
  );
  await tick();
  const opened = record(
    "CollateralVault.open, ETH collateral (sends OPEN_LOAN)",
    await open(eth, parseEther("10"), parseEther("10")),
  );
  await tick();
  const accepted = record(
    "Endpoint.deliver OPEN_LOAN → LendingPool: checks, disburses, sends LOAN_ACTIVE",
    await world.relay(opened),
  );
  await tick();
  record("Endpoint.deliver LOAN_ACTIVE → CollateralVault", await world.relay(accepted));
  const [packet] = world.packetsOf(opened);
  if (!packet) throw new Error("no OPEN_LOAN packet");
  const { loanId } = decodeLoanMessage(decodePacket(packet).message);
  await tick(15 * 86_400);
  record(
    "LendingPool.repay, partial",
    await sendTx(borrowerPool, "repay", loanId, 5_000n * 10n ** 6n),
  );
  await tick();
  const repaid = record(
    "LendingPool.repay, full (sends REPAID)",
    await sendTx(borrowerPool, "repay", loanId, 2n ** 128n - 1n),
  );
  await tick();
  record("Endpoint.deliver REPAID → CollateralVault: releases ETH", await world.relay(repaid));

  await installmentFlow(world, tick, record);
}

/**
 * Installment loans (shared/LOANS.md "Installments"): 4 weekly payments on the
 * pool of `loanFlow`. Measured in a pool whose buckets are in use, as they are
 * in steady state: an unpaid loan stays in the measured loan's first bucket and
 * another, one installment ahead, is in its second, so a completed installment
 * moves the loan between two buckets that hold other loans. A loan moving into
 * a bucket no loan is in yet writes its sums into fresh slots (its own row).
 */
async function installmentFlow(
  world: Awaited<ReturnType<typeof deployTwoChains>>,
  tick: Tick,
  record: Record,
) {
  const { vault, pool, signers } = world;
  const as = (contract: Contract, signer: typeof signers.owner) =>
    new Contract(contract.target, contract.interface, signer);
  const borrowerPool = as(pool, signers.borrower);
  const week = 7n * 86_400n;
  await tick();
  await sendTx(pool, "setInstallmentTerms", 12, [86_400n, week, 30n * 86_400n, 0n]);
  const openWeekly = async () => {
    // The feed's price must be fresh when the OPEN_LOAN arrives.
    await tick();
    await sendTx(world.priceFeed, "setPrice", id("ETH/USD"), 3_000n * 10n ** 6n);
    await tick();
    const requested = await sendTx(
      as(vault, signers.borrower),
      "open",
      "0x0000000000000000000000000000000000000000",
      parseEther("10"),
      12_000n * 10n ** 6n,
      1_000,
      4n * week,
      4,
      addressToWire(signers.borrower.address),
      { value: parseEther("10") },
    );
    await tick();
    const accepted = await world.relay(requested);
    await tick();
    await world.relay(accepted);
    const [packet] = world.packetsOf(requested);
    if (!packet) throw new Error("no OPEN_LOAN packet");
    const { loanId } = decodeLoanMessage(decodePacket(packet).message);
    const { installmentAmount } = (await pool.getFunction("loanSchedule").staticCall(loanId)) as {
      installmentAmount: bigint;
    };
    return { accepted, loanId, installmentAmount };
  };

  // The first installment loan is alone in its buckets: its first installment moves it into an
  // empty one. It then shares the measured loan's second bucket.
  const first = await openWeekly();
  await tick();
  record(
    "LendingPool.repay, one installment, into a bucket no loan is in yet (4 weekly)",
    await sendTx(borrowerPool, "repay", first.loanId, first.installmentAmount),
  );
  await openWeekly(); // stays unpaid in the first bucket
  const measured = await openWeekly();
  record(
    "Endpoint.deliver OPEN_LOAN → LendingPool, 4 weekly installments (bucket in use)",
    measured.accepted,
  );
  await tick(6 * 86_400);
  record(
    "LendingPool.repay, one installment (4 weekly; moves between buckets in use)",
    await sendTx(borrowerPool, "repay", measured.loanId, measured.installmentAmount),
  );
  await tick();
  record(
    "LendingPool.repay, part of an installment (4 weekly)",
    await sendTx(borrowerPool, "repay", measured.loanId, measured.installmentAmount / 2n),
  );
  // Installments 2 and 3 (with the half already paid), then the rest a week later.
  await tick();
  await sendTx(borrowerPool, "repay", measured.loanId, measured.installmentAmount * 2n);
  await tick(7 * 86_400);
  record(
    "LendingPool.repay, the last installment (4 weekly; sends REPAID)",
    await sendTx(borrowerPool, "repay", measured.loanId, 2n ** 128n - 1n),
  );
}

const require = createRequire(import.meta.url);

/** A Hardhat artifact as LayerZero publishes it on npm (no library links to resolve). */
interface Artifact {
  abi: InterfaceAbi;
  bytecode: string;
}

const LZ_PACKAGES = ["@layerzerolabs/lz-evm-protocol-v2", "@layerzerolabs/lz-evm-messagelib-v2"];
const LZ_ENDPOINT_V2 =
  require("@layerzerolabs/lz-evm-protocol-v2/artifacts/contracts/EndpointV2.sol/EndpointV2.json") as Artifact;
const LZ_RECEIVE_ULN_302 =
  require("@layerzerolabs/lz-evm-messagelib-v2/artifacts/contracts/uln/uln302/ReceiveUln302.sol/ReceiveUln302.json") as Artifact;

/**
 * LayerZero V2's destination path for the same OPEN_LOAN: their EndpointV2 and
 * ReceiveUln302 as published, two required DVNs (EOAs calling `verify`
 * directly; a production DVN is a contract, which costs more), anyone's
 * `commitVerification`, then the executor's `lzReceive` into a receiver that
 * checks what `OAppReceiver` checks. Like ours, measured on a path's second
 * message (the first also initialises the path's nonce slots).
 */
async function layerZeroPath(ethers: Ethers, tick: Tick): Promise<LayerZeroGas> {
  const [owner, , dvnA, dvnB, executor] = await ethers.getSigners();
  if (!owner || !dvnA || !dvnB || !executor) throw new Error("need five signers");
  const deployArtifact = async ({ abi, bytecode }: Artifact, args: unknown[]) => {
    const deployed = await new ContractFactory(abi, bytecode, owner).deploy(...args);
    return new Contract(await deployed.getAddress(), abi, owner);
  };
  const endpoint = await deployArtifact(LZ_ENDPOINT_V2, [LOCAL_EID, owner.address]);
  const uln = await deployArtifact(LZ_RECEIVE_ULN_302, [endpoint.target]);
  const receiver = new Contract(
    await (await ethers.deployContract("MinimalOAppReceiver", [endpoint.target])).getAddress(),
    (await ethers.getContractFactory("MinimalOAppReceiver")).interface,
    owner,
  );
  await sendTx(receiver, "setPeer", REMOTE_EID, REMOTE_APP);
  // ReceiveUln302 wants its DVNs ascending and unique.
  const dvns = [dvnA, dvnB].sort((a, b) => (BigInt(a.address) < BigInt(b.address) ? -1 : 1));
  await sendTx(endpoint, "registerLibrary", uln.target);
  await sendTx(uln, "setDefaultUlnConfigs", [
    {
      eid: REMOTE_EID,
      config: {
        confirmations: 1,
        requiredDVNCount: 2,
        optionalDVNCount: 0,
        optionalDVNThreshold: 0,
        requiredDVNs: dvns.map((dvn) => dvn.address),
        optionalDVNs: [],
      },
    },
  ]);
  await sendTx(endpoint, "setDefaultReceiveLibrary", REMOTE_EID, uln.target, 0);

  const receiverWire = addressToWire(await receiver.getAddress());
  const as = (contract: Contract, signer: typeof owner) =>
    new Contract(contract.target, contract.interface, signer);
  const relay = async (nonce: bigint): Promise<GasRow[]> => {
    const packet = encodePacket(
      { nonce, srcEid: REMOTE_EID, sender: REMOTE_APP, dstEid: LOCAL_EID, receiver: receiverWire },
      MESSAGE,
    );
    const header = packet.slice(0, 81);
    const guid = hexlify(packet.slice(81, 113));
    // LayerZero's payloadHash: keccak256(guid ‖ message), the packet's bytes 81..end.
    const payloadHash = keccak256(packet.slice(81));
    const rows: GasRow[] = [];
    for (const [i, dvn] of dvns.entries()) {
      await tick();
      const verified = await sendTx(as(uln, dvn), "verify", header, payloadHash, 1);
      rows.push({
        operation: `ReceiveUln302.verify, DVN ${i + 1} of 2`,
        gasUsed: verified.gasUsed,
      });
    }
    await tick();
    const committed = await sendTx(as(uln, executor), "commitVerification", header, payloadHash);
    rows.push({
      operation: "ReceiveUln302.commitVerification (→ EndpointV2.verify)",
      gasUsed: committed.gasUsed,
    });
    await tick();
    const received = await sendTx(
      as(endpoint, executor),
      "lzReceive",
      { srcEid: REMOTE_EID, sender: REMOTE_APP, nonce },
      receiver.target,
      guid,
      MESSAGE,
      "0x",
    );
    rows.push({
      operation: "EndpointV2.lzReceive → minimal OApp receiver",
      gasUsed: received.gasUsed,
    });
    return rows;
  };
  await relay(1n);
  const rows = await relay(2n);
  const packages = LZ_PACKAGES.map(
    (name) => `${name}@${(require(`${name}/package.json`) as { version: string }).version}`,
  );
  return { packages, rows };
}

const HYPERLANE_PACKAGE = "@hyperlane-xyz/core";
/** The package's `dist/`, found through a file its exports map does name. */
const HYPERLANE_DIST = dirname(require.resolve(`${HYPERLANE_PACKAGE}/buildArtifact.json`));
/** Hyperlane's message version (`Mailbox.VERSION`). */
const HYPERLANE_MESSAGE_VERSION = 3;

/**
 * A contract's ABI and bytecode from Hyperlane's typechain factories, the form
 * their npm package ships them in; read by path, as the package's exports map
 * hides them (the factories import only `ethers` and `@ethersproject/abi`).
 */
async function hyperlaneArtifact(path: string): Promise<Artifact> {
  const url = pathToFileURL(join(HYPERLANE_DIST, "typechain/factories/contracts", path)).href;
  const [factory] = Object.values((await import(url)) as { [name: string]: Artifact });
  if (factory === undefined) throw new Error(`no factory in ${path}`);
  return { abi: factory.abi, bytecode: factory.bytecode };
}

/**
 * Hyperlane's destination path for the same OPEN_LOAN body: their Mailbox
 * (deployed bare; production mailboxes sit behind a proxy, which costs more),
 * a StaticMessageIdMultisigIsm of our three verifier keys with threshold 2 as
 * the default ISM (made by their factory), and a recipient that checks what a
 * `Router` checks. One `process` by the relayer with two validator signatures
 * over the message-id checkpoint; measured on a path's second message.
 */
async function hyperlanePath(ethers: Ethers, tick: Tick): Promise<HyperlaneGas> {
  const [owner, , , , executor] = await ethers.getSigners();
  if (!owner || !executor) throw new Error("need five signers");
  const deployArtifact = async ({ abi, bytecode }: Artifact, args: unknown[]) => {
    const deployed = await new ContractFactory(abi, bytecode, owner).deploy(...args);
    return new Contract(await deployed.getAddress(), abi, owner);
  };
  const mailbox = await deployArtifact(await hyperlaneArtifact("Mailbox__factory.js"), [LOCAL_EID]);
  const hook = await deployArtifact(await hyperlaneArtifact("hooks/MerkleTreeHook__factory.js"), [
    mailbox.target,
  ]);
  const ismFactory = await deployArtifact(
    await hyperlaneArtifact(
      "isms/multisig/StaticMultisigIsm.sol/StaticMessageIdMultisigIsmFactory__factory.js",
    ),
    [],
  );
  const validators = VERIFIERS.map((wallet) => wallet.address);
  const ism = (await ismFactory.getFunction("deploy").staticCall(validators, 2)) as string;
  await sendTx(ismFactory, "deploy", validators, 2);
  await sendTx(mailbox, "initialize", owner.address, ism, hook.target, hook.target);
  const recipient = new Contract(
    await (await ethers.deployContract("MinimalHyperlaneRecipient", [mailbox.target])).getAddress(),
    (await ethers.getContractFactory("MinimalHyperlaneRecipient")).interface,
    owner,
  );
  await sendTx(recipient, "enrollRemoteRouter", REMOTE_EID, REMOTE_APP);

  const recipientWire = addressToWire(await recipient.getAddress());
  const originMerkleTreeHook = id("origin merkle tree hook");
  const checkpointRoot = id("checkpoint root");
  const asExecutor = new Contract(mailbox.target, mailbox.interface, executor);
  const processMessage = async (nonce: number) => {
    const message = solidityPacked(
      ["uint8", "uint32", "uint32", "bytes32", "uint32", "bytes32", "bytes"],
      [HYPERLANE_MESSAGE_VERSION, nonce, REMOTE_EID, REMOTE_APP, LOCAL_EID, recipientWire, MESSAGE],
    );
    // CheckpointLib.digest: EIP-191 over (domainHash, root, index, messageId).
    const domainHash = keccak256(
      solidityPacked(
        ["uint32", "bytes32", "string"],
        [REMOTE_EID, originMerkleTreeHook, "HYPERLANE"],
      ),
    );
    const digest = hashMessage(
      getBytes(
        keccak256(
          solidityPacked(
            ["bytes32", "bytes32", "uint32", "bytes32"],
            [domainHash, checkpointRoot, nonce, keccak256(message)],
          ),
        ),
      ),
    );
    // MessageIdMultisigIsmMetadata: merkle tree hook, root, index, then the signatures in the
    // validators' order.
    const metadata = concat([
      originMerkleTreeHook,
      checkpointRoot,
      solidityPacked(["uint32"], [nonce]),
      ...VERIFIERS.slice(0, 2).map((wallet) => wallet.signingKey.sign(digest).serialized),
    ]);
    await tick();
    return sendTx(asExecutor, "process", metadata, message);
  };
  await processMessage(1);
  const processed = await processMessage(2);
  const version = (require(join(HYPERLANE_DIST, "../package.json")) as { version: string }).version;
  return {
    package: `${HYPERLANE_PACKAGE}@${version}`,
    row: {
      operation: "Mailbox.process, 2 of 3 StaticMessageIdMultisigIsm → minimal recipient",
      gasUsed: processed.gasUsed,
    },
  };
}

/** Gas with thousands separators, as the tables show it. */
const gas = (value: bigint) => value.toLocaleString("en-US");

/** A Markdown table whose columns are padded to their widest cell, the first left-aligned. */
function table(head: string[], body: string[][]): string[] {
  const widths = head.map((cell, i) =>
    Math.max(cell.length, ...body.map((row) => row[i]?.length ?? 0)),
  );
  const line = (cells: string[]) =>
    `| ${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join(" | ")} |`;
  const rule = `| ${widths.map((w, i) => (i === 0 ? "-".repeat(w) : `${"-".repeat(w - 1)}:`)).join(" | ")} |`;
  return [line(head), rule, ...body.map(line)];
}

export function renderGasReport(report: GasReport): string {
  const lzTotal = report.layerZero.rows.reduce((sum, row) => sum + row.gasUsed, 0n);
  const ratio = (ours: bigint, theirs: bigint) => (Number(ours) / Number(theirs)).toFixed(2);
  const hyperlaneGas = report.hyperlane.row.gasUsed;
  return [
    "# EVM gas report",
    "",
    "Written by `make gas-report` (evm-contracts/scripts/gas-report.ts): gasUsed of",
    "whole transactions (21,000 intrinsic gas and calldata included) on Hardhat's",
    `in-process network, hardfork ${report.hardfork}, solc 0.8.28 with 200 optimizer runs.`,
    "Keys, block times and amounts are fixed, so the figures repeat exactly; a test",
    "fails when this file differs from a fresh measurement.",
    "",
    "Replay protection is a bitmap per path (256 nonces a storage slot): a path's",
    "deliveries are measured in a word already in use, as 255 of every 256 are; the",
    "first nonce of each word fills a fresh slot (its own row). Loan paths are warmed",
    "by one unmeasured loan. Installment loans (4 weekly payments) are measured in a",
    "pool whose due buckets hold other loans, as they do in steady state; one row",
    "shows a loan moving into a bucket no loan is in yet (fresh storage slots).",
    "",
    ...table(
      ["operation", "gas"],
      report.rows.map((row) => [row.operation, gas(row.gasUsed)]),
    ),
    "",
    "## Side by side: LayerZero V2",
    "",
    "The same OPEN_LOAN message bytes delivered through LayerZero V2 in the same run:",
    "EndpointV2 and ReceiveUln302 deployed from their npm artifacts",
    `(${report.layerZero.packages.map((p) => `\`${p}\``).join(", ")}),`,
    "two required DVNs (EOAs calling `verify` directly; a production DVN is a",
    "multisig contract, which costs more), and a receiver that checks what",
    "`OAppReceiver` checks (the caller is the endpoint, the sender is the peer). No",
    "fees are paid on either side. Both are measured on a path's second message.",
    "",
    ...table(
      ["LayerZero V2 transaction", "gas"],
      [
        ...report.layerZero.rows.map((row) => [row.operation, gas(row.gasUsed)]),
        [`total per message (${report.layerZero.rows.length} transactions)`, gas(lzTotal)],
      ],
    ),
    "",
    "## Side by side: Hyperlane",
    "",
    "The same OPEN_LOAN bytes as the body of a Hyperlane message, processed by",
    `their Mailbox from their npm package (\`${report.hyperlane.package}\`, typechain`,
    "factories), deployed without the proxy production mailboxes sit behind, with",
    "a StaticMessageIdMultisigIsm of three validators, threshold 2, as its default",
    "ISM, into a recipient that checks what a Hyperlane `Router` checks. One",
    "transaction by the relayer; measured on a path's second message.",
    "",
    ...table(
      ["Hyperlane transaction", "gas"],
      [[report.hyperlane.row.operation, gas(hyperlaneGas)]],
    ),
    "",
    "## Ours against both",
    "",
    ...table(
      ["loanbridge Endpoint.deliver (one transaction)", "gas", "of LayerZero V2", "of Hyperlane"],
      report.deliver.map((row) => [
        row.label,
        gas(row.gasUsed),
        ratio(row.gasUsed, lzTotal),
        ratio(row.gasUsed, hyperlaneGas),
      ]),
    ),
    "",
  ].join("\n");
}
