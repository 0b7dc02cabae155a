// Endpoint (contracts/Endpoint.sol) on Hardhat's in-process network, with a
// RecordingApp as the receiving app and real secp256k1 attestations from
// ethers wallets over the digest `@loanbridge/shared` computes, so the
// TypeScript and Solidity digests are checked against each other.
import {
  addressToWire,
  decodePacket,
  encodeLoanMessage,
  encodePacket,
  type Hex,
  type PacketHeader,
  packetAttestationDigest,
  wireToEvmAddress,
} from "@loanbridge/shared";
import {
  AbiCoder,
  type Contract,
  type ContractTransactionResponse,
  concat,
  getBytes,
  hexlify,
  id,
  keccak256,
  type LogDescription,
  toBeHex,
  type TransactionReceipt,
  Wallet,
  ZeroAddress,
  ZeroHash,
  zeroPadValue,
} from "ethers";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { buildContracts, hre } from "./hre.ts";
import { revertData } from "./support/revertData.ts";

const LOCAL_EID = 40161;
const REMOTE_EID = 40168;
const OTHER_EID = 30101;
/** The peer app on the remote chain: a full 32-byte (Solana-style) address. */
const REMOTE_APP = id("remote collateral vault") as Hex;
const MIN_RECEIVE_GAS = 300_000n;
/** Gas `deliver` keeps back to record a failure (Endpoint's `_FAILURE_GAS`). */
const FAILURE_GAS = 75_000n;
const MAX_VERIFIERS = 32;
/** secp256k1 group order. */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
/** More runs in CI: FUZZ_RUNS=1000. */
const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 40);

const MESSAGE = encodeLoanMessage({
  type: "LOAN_ACTIVE",
  loanId: id("loan 1") as Hex,
  principal: 1_000_000_000n,
  rateBps: 750,
  startTime: 1_700_000_000n,
  dueTime: 1_731_536_000n,
});
const OTHER_MESSAGE = encodeLoanMessage({
  type: "REPAID",
  loanId: id("loan 1") as Hex,
  amountRepaid: 1_075_000_000n,
});

const byAddress = (a: Wallet, b: Wallet) =>
  BigInt(a.address) < BigInt(b.address) ? -1 : BigInt(a.address) > BigInt(b.address) ? 1 : 0;
const wallets = (label: string, count: number) =>
  Array.from({ length: count }, (_, i) => new Wallet(id(`${label} ${i}`))).sort(byAddress);

/** The three verifiers, sorted by address. */
const VERIFIERS = wallets("verifier", 3);
const [V0, V1, V2] = VERIFIERS as [Wallet, Wallet, Wallet];
const OUTSIDERS = wallets("outsider", 2);
const [OUTSIDER] = OUTSIDERS as [Wallet, Wallet];

const { ethers } = await hre.network.create();
const accounts = await ethers.getSigners();
function account(index: number) {
  const signer = accounts[index];
  if (signer === undefined) throw new Error(`Hardhat network has no account ${index}`);
  return signer;
}
const owner = account(0);
const guardian = account(1);
const other = account(2);
type Signer = typeof owner;

/** What the tests use of a deployed contract (ethers' `Contract` minus its class identity). */
type Handle = Pick<Contract, "connect" | "getAddress" | "getFunction" | "interface">;

/** The contract as another signer. */
const as = (contract: Handle, signer: Signer): Handle => contract.connect(signer);

interface Fixture {
  endpoint: Handle;
  app: Handle;
  appAddress: string;
  appWire: Hex;
  /** The endpoint's address as bytes32: what attestations for it bind. */
  endpointWire: Hex;
}

beforeAll(buildContracts);

async function deploy(threshold = 2, signers: readonly Wallet[] = VERIFIERS): Promise<Fixture> {
  const endpoint = await ethers.deployContract("Endpoint", [
    LOCAL_EID,
    owner.address,
    guardian.address,
    signers.map((w) => w.address),
    threshold,
  ]);
  const app = await ethers.deployContract("RecordingApp", [await endpoint.getAddress()]);
  const appAddress = await app.getAddress();
  await send(endpoint, "setPeer", appAddress, REMOTE_EID, REMOTE_APP);
  return {
    endpoint,
    app,
    appAddress,
    appWire: addressToWire(appAddress),
    endpointWire: addressToWire(await endpoint.getAddress()),
  };
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/** A view, called with eth_call. */
async function read<T>(contract: Handle, fn: string, ...args: unknown[]): Promise<T> {
  return (await contract.getFunction(fn).staticCall(...args)) as T;
}

/** Whether `endpoint` marked `packet` delivered: its nonce's bit in its path's bitmap. */
async function isDelivered(endpoint: Handle, packet: Uint8Array): Promise<boolean> {
  const { receiver, srcEid, sender, nonce } = decodePacket(packet);
  return read<boolean>(endpoint, "delivered", wireToEvmAddress(receiver), srcEid, sender, nonce);
}

/** Sends a transaction and waits for its receipt. */
async function send(contract: Handle, fn: string, ...args: unknown[]): Promise<TransactionReceipt> {
  const tx: ContractTransactionResponse = await contract.getFunction(fn).send(...args);
  const receipt = await tx.wait();
  if (receipt === null) throw new Error(`${fn}: no receipt`);
  return receipt;
}

/** Events named `name` that `contract` emitted in `receipt`, in order. */
async function eventsOf(
  receipt: TransactionReceipt,
  contract: Handle,
  name: string,
): Promise<LogDescription[]> {
  const address = (await contract.getAddress()).toLowerCase();
  return receipt.logs.flatMap((log) => {
    if (log.address.toLowerCase() !== address) return [];
    const parsed = contract.interface.parseLog(log);
    return parsed?.name === name ? [parsed] : [];
  });
}

/** The single event named `name`, as its argument array. */
async function eventArgs(
  receipt: TransactionReceipt,
  contract: Handle,
  name: string,
): Promise<unknown[]> {
  const events = await eventsOf(receipt, contract, name);
  expect(events, `${name} events`).toHaveLength(1);
  return (events[0]?.args.toArray(true) ?? []) as unknown[];
}

/** Awaits a transaction that must revert with a custom error of `contract`; returns it. */
async function expectRevert(
  contract: Handle,
  pending: Promise<unknown>,
): Promise<{ name: string; args: unknown[] }> {
  const data = await revertData(pending);
  const decoded = contract.interface.parseError(data);
  if (decoded === null) throw new Error(`reverted with unknown data ${data}`);
  return { name: decoded.name, args: decoded.args.toArray(true) as unknown[] };
}

/** Whether a transaction reverted (for any reason, out-of-gas included). */
async function reverts(pending: Promise<unknown>): Promise<boolean> {
  return pending.then(
    () => false,
    () => true,
  );
}

/** A packet from the remote peer to the fixture's app, fields overridable. */
function inbound(
  f: Fixture,
  nonce: bigint,
  overrides: Partial<PacketHeader> = {},
  message: Uint8Array = MESSAGE,
): Uint8Array {
  const header: PacketHeader = {
    nonce,
    srcEid: REMOTE_EID,
    sender: REMOTE_APP,
    dstEid: LOCAL_EID,
    receiver: f.appWire,
    ...overrides,
  };
  return encodePacket(header, message);
}

/** The guid a packet carries (bytes 81..113). */
const guidOf = (packet: Uint8Array) => hexlify(packet.slice(81, 113));

/** Concatenated 65-byte signatures of `digest`, in the order given. */
const signDigest = (signers: readonly Wallet[], digest: string): string =>
  concat(signers.map((w) => w.signingKey.sign(digest).serialized));

/** Attestations of `packet` for `f`'s endpoint at `epoch` by `signers`, in the order given. */
const attest = (
  f: Pick<Fixture, "endpointWire">,
  packet: Uint8Array,
  signers: readonly Wallet[],
  epoch = 1n,
): string => signDigest(signers, packetAttestationDigest(f.endpointWire, epoch, packet));

/** One signature's (r, s, v) re-assembled, so tests can tamper with s and v. */
function rawSignature(r: string, s: bigint, v: number): string {
  return concat([r, toBeHex(s, 32), toBeHex(v, 1)]);
}

async function deliver(f: Fixture, packet: Uint8Array, signers: readonly Wallet[] = [V0, V1]) {
  return send(f.endpoint, "deliver", packet, attest(f, packet, signers));
}

interface StoredFailure {
  messageHash: string;
  epoch: bigint;
  approvedEpoch: bigint;
}

async function storedFailureOf(f: Fixture, guid: string): Promise<StoredFailure> {
  const result = await read<{ toObject(): StoredFailure }>(f.endpoint, "storedFailure", guid);
  return result.toObject();
}

/** A packet whose app call failed and is stored; the app accepts again afterwards. */
async function storedFailure(f: Fixture, nonce = 1n) {
  await send(f.app, "setRejecting", true);
  const packet = inbound(f, nonce);
  await deliver(f, packet);
  await send(f.app, "setRejecting", false);
  return { packet, guid: guidOf(packet) };
}

/** A fresh verifier set of outsiders only: every earlier verifier rotated out (epoch + 1). */
async function rotateEveryVerifierOut(f: Fixture) {
  await send(
    f.endpoint,
    "setVerifierSet",
    OUTSIDERS.map((w) => w.address),
    2,
  );
}

// ---------------------------------------------------------------------------------------------
// send
// ---------------------------------------------------------------------------------------------

describe("Endpoint.send", () => {
  it("send_emitsPacketSentWhoseEncodedPacketDecodesToThePath", async () => {
    const f = await deploy();

    const receipt = await send(f.app, "sendPacket", REMOTE_EID, OTHER_MESSAGE);

    const [packet, guid, dstEid, sender, nonce] = (await eventArgs(
      receipt,
      f.endpoint,
      "PacketSent",
    )) as [string, string, bigint, string, bigint];
    expect(decodePacket(getBytes(packet))).toEqual({
      nonce: 1n,
      srcEid: LOCAL_EID,
      sender: f.appWire,
      dstEid: REMOTE_EID,
      receiver: REMOTE_APP,
      guid,
      message: hexlify(OTHER_MESSAGE),
    });
    expect([dstEid, sender, nonce]).toEqual([BigInt(REMOTE_EID), f.appAddress, 1n]);
  });

  it("send_returnsGuidAndNonce", async () => {
    const f = await deploy();

    const [guid, nonce] = await read<[string, bigint]>(
      f.app,
      "sendPacket",
      REMOTE_EID,
      OTHER_MESSAGE,
    );

    const expected = encodePacket(
      { nonce: 1n, srcEid: LOCAL_EID, sender: f.appWire, dstEid: REMOTE_EID, receiver: REMOTE_APP },
      OTHER_MESSAGE,
    );
    expect([guid, nonce]).toEqual([guidOf(expected), 1n]);
  });

  it("send_incrementsNoncePerPath", async () => {
    const f = await deploy();
    const otherApp = await ethers.deployContract("RecordingApp", [await f.endpoint.getAddress()]);
    const otherRemote = id("other remote app");
    await send(f.endpoint, "setPeer", await otherApp.getAddress(), REMOTE_EID, REMOTE_APP);
    await send(f.endpoint, "setPeer", f.appAddress, OTHER_EID, otherRemote);

    const sentNonce = async (app: Handle, dstEid: number) => {
      const receipt = await send(app, "sendPacket", dstEid, MESSAGE);
      return (await eventArgs(receipt, f.endpoint, "PacketSent"))[4];
    };
    expect(await sentNonce(f.app, REMOTE_EID)).toBe(1n);
    expect(await sentNonce(f.app, REMOTE_EID)).toBe(2n);
    expect(await sentNonce(f.app, OTHER_EID)).toBe(1n);
    expect(await sentNonce(otherApp, REMOTE_EID)).toBe(1n);
    expect(await sentNonce(f.app, REMOTE_EID)).toBe(3n);
    // A new peer on the same eid is a new path (receiver is part of it).
    await send(f.endpoint, "setPeer", f.appAddress, REMOTE_EID, otherRemote);
    expect(await sentNonce(f.app, REMOTE_EID)).toBe(1n);

    const nonce = (app: string, eid: number, receiver: string) =>
      read<bigint>(f.endpoint, "outboundNonce", app, eid, receiver);
    expect(await nonce(f.appAddress, REMOTE_EID, REMOTE_APP)).toBe(3n);
    expect(await nonce(f.appAddress, REMOTE_EID, otherRemote)).toBe(1n);
    expect(await nonce(f.appAddress, OTHER_EID, otherRemote)).toBe(1n);
    expect(await nonce(await otherApp.getAddress(), REMOTE_EID, REMOTE_APP)).toBe(1n);
  });

  it("send_revertsWithoutPeer", async () => {
    const f = await deploy();

    const reverted = await expectRevert(f.endpoint, send(f.app, "sendPacket", OTHER_EID, MESSAGE));

    expect(reverted).toEqual({ name: "EndpointNoPeer", args: [f.appAddress, BigInt(OTHER_EID)] });
  });

  it("send_revertsAfterPeerUnset", async () => {
    const f = await deploy();
    await send(f.endpoint, "setPeer", f.appAddress, REMOTE_EID, ZeroHash);

    const reverted = await expectRevert(f.endpoint, send(f.app, "sendPacket", REMOTE_EID, MESSAGE));

    expect(reverted.name).toBe("EndpointNoPeer");
  });

  it("send_whilePaused_emitsPacketSent", async () => {
    // A pause stops what comes in, not what local users do: a repayment made during a pause
    // must still send its REPAID, or the pause runs out the borrower's clock.
    const f = await deploy();
    await send(as(f.endpoint, guardian), "pause");

    const receipt = await send(f.app, "sendPacket", REMOTE_EID, MESSAGE);

    const [packet] = (await eventArgs(receipt, f.endpoint, "PacketSent")) as [string];
    expect(decodePacket(getBytes(packet)).message).toBe(hexlify(MESSAGE));
    expect(await read(f.endpoint, "outboundNonce", f.appAddress, REMOTE_EID, REMOTE_APP)).toBe(1n);
  });
});

// ---------------------------------------------------------------------------------------------
// deliver: acceptance
// ---------------------------------------------------------------------------------------------

describe("Endpoint.deliver", () => {
  it.each([1, 2, 3])("deliver_acceptsThresholdSignatures [%i of 3]", async (threshold) => {
    const f = await deploy(threshold);
    const packet = inbound(f, 1n);

    await deliver(f, packet, VERIFIERS.slice(0, threshold));

    expect(await isDelivered(f.endpoint, packet)).toBe(true);
    expect(await read(f.app, "received")).toBe(1n);
  });

  it.each([1, 2, 3])("deliver_rejectsOneSignatureBelowThreshold [%i of 3]", async (threshold) => {
    const f = await deploy(threshold);
    const packet = inbound(f, 1n);

    const reverted = await expectRevert(
      f.endpoint,
      send(f.endpoint, "deliver", packet, attest(f, packet, VERIFIERS.slice(0, threshold - 1))),
    );

    expect(reverted).toEqual({
      name: "EndpointBelowThreshold",
      args: [BigInt(threshold - 1), BigInt(threshold)],
    });
  });

  it("deliver_acceptsExtraValidSignatures", async () => {
    const f = await deploy(2);
    const packet = inbound(f, 1n);

    await deliver(f, packet, VERIFIERS);

    expect(await isDelivered(f.endpoint, packet)).toBe(true);
  });

  it("deliver_emitsPacketDeliveredAndCallsAppWithPacketFields", async () => {
    const f = await deploy();
    const packet = inbound(f, 7n);
    const guid = guidOf(packet);

    const receipt = await deliver(f, packet);

    expect(await eventArgs(receipt, f.endpoint, "PacketDelivered")).toEqual([
      guid,
      BigInt(REMOTE_EID),
      REMOTE_APP,
      f.appAddress,
      7n,
    ]);
    expect(await eventsOf(receipt, f.endpoint, "PacketFailed")).toHaveLength(0);
    expect(await read(f.app, "lastSrcEid")).toBe(BigInt(REMOTE_EID));
    expect(await read(f.app, "lastSender")).toBe(REMOTE_APP);
    expect(await read(f.app, "lastGuid")).toBe(guid);
    expect(await read(f.app, "lastMessage")).toBe(hexlify(MESSAGE));
    expect(await read(f.endpoint, "failedPayloadHash", guid)).toBe(ZeroHash);
  });

  it("deliver_acceptsAnyNonceOrder", async () => {
    const f = await deploy();

    for (const nonce of [5n, 1n, 3n]) await deliver(f, inbound(f, nonce));

    expect(await read(f.app, "received")).toBe(3n);
  });

  it("deliver_acceptsEmptyMessage", async () => {
    const f = await deploy();
    const packet = inbound(f, 1n, {}, new Uint8Array());

    await deliver(f, packet);

    expect(await read(f.app, "lastMessage")).toBe("0x");
  });

  // ---------------------------------------------------------------------------------------------
  // deliver: signatures
  // ---------------------------------------------------------------------------------------------

  it("deliver_revertsOnSignerOutsideVerifierSet", async () => {
    const f = await deploy();
    const packet = inbound(f, 1n);
    const signers = [V0, OUTSIDER].sort(byAddress);

    const reverted = await expectRevert(
      f.endpoint,
      send(f.endpoint, "deliver", packet, attest(f, packet, signers)),
    );

    expect(reverted).toEqual({
      name: "EndpointSignerNotVerifier",
      args: [BigInt(signers.indexOf(OUTSIDER)), OUTSIDER.address],
    });
  });

  it("deliver_revertsOnSignatureOverAnotherPacket", async () => {
    const f = await deploy();
    const packet = inbound(f, 1n);
    const otherPacket = inbound(f, 2n);

    const reverted = await expectRevert(
      f.endpoint,
      send(f.endpoint, "deliver", packet, attest(f, otherPacket, [V0, V1])),
    );

    // The signature recovers to some unrelated address.
    expect(["EndpointSignerNotVerifier", "EndpointSignersNotAscending"]).toContain(reverted.name);
  });

  it("deliver_revertsOnDuplicateSigner", async () => {
    const f = await deploy();
    const packet = inbound(f, 1n);

    const reverted = await expectRevert(
      f.endpoint,
      send(f.endpoint, "deliver", packet, attest(f, packet, [V0, V0])),
    );

    expect(reverted).toEqual({ name: "EndpointSignersNotAscending", args: [1n, V0.address] });
  });

  it("deliver_revertsOnUnsortedSigners", async () => {
    const f = await deploy();
    const packet = inbound(f, 1n);

    const reverted = await expectRevert(
      f.endpoint,
      send(f.endpoint, "deliver", packet, attest(f, packet, [V1, V0])),
    );

    expect(reverted).toEqual({ name: "EndpointSignersNotAscending", args: [1n, V0.address] });
  });

  it("deliver_revertsOnNoSignatures", async () => {
    const f = await deploy();

    const reverted = await expectRevert(
      f.endpoint,
      send(f.endpoint, "deliver", inbound(f, 1n), "0x"),
    );

    expect(reverted).toEqual({ name: "EndpointBelowThreshold", args: [0n, 2n] });
  });

  it("deliver_revertsOnOldEpochSignaturesAfterRotation", async () => {
    const f = await deploy();
    const packet = inbound(f, 1n);
    const oldSignatures = attest(f, packet, [V0, V1], 1n);
    await send(
      f.endpoint,
      "setVerifierSet",
      VERIFIERS.map((w) => w.address),
      2,
    );

    const reverted = await expectRevert(
      f.endpoint,
      send(f.endpoint, "deliver", packet, oldSignatures),
    );

    // Over epoch 2's digest, an epoch-1 signature recovers to an unrelated address.
    expect(reverted.name).toBe("EndpointSignerNotVerifier");
    expect(reverted.args[0]).toBe(0n);
    await send(f.endpoint, "deliver", packet, attest(f, packet, [V0, V1], 2n));
    expect(await isDelivered(f.endpoint, packet)).toBe(true);
  });

  it("test_deliver_attestationForAnotherDeployment_revertsOnSameEidPeersAndSet", async () => {
    // Two deployments that share the eid, the receiving app's peer and the verifier set (two
    // chains with the same eid, or a redeployment): an attestation is good on one only.
    const f = await deploy();
    const second = await ethers.deployContract("Endpoint", [
      LOCAL_EID,
      owner.address,
      guardian.address,
      VERIFIERS.map((w) => w.address),
      2,
    ]);
    await send(second, "setPeer", f.appAddress, REMOTE_EID, REMOTE_APP);
    const packet = inbound(f, 1n);
    const signatures = attest(f, packet, [V0, V1]);

    const reverted = await expectRevert(second, send(second, "deliver", packet, signatures));

    // Over the second endpoint's digest, the first one's signatures recover to other addresses.
    expect(reverted.name).toBe("EndpointSignerNotVerifier");
    expect(await isDelivered(second, packet)).toBe(false);
    await send(f.endpoint, "deliver", packet, signatures);
    expect(await isDelivered(f.endpoint, packet)).toBe(true);
  });

  it("deliver_revertsOnRemovedVerifierAfterRotation", async () => {
    const f = await deploy();
    const newSet = [V1, V2, OUTSIDER].sort(byAddress);
    await send(
      f.endpoint,
      "setVerifierSet",
      newSet.map((w) => w.address),
      2,
    );
    const packet = inbound(f, 1n);
    const signers = [V0, V1].sort(byAddress);

    const reverted = await expectRevert(
      f.endpoint,
      send(f.endpoint, "deliver", packet, attest(f, packet, signers, 2n)),
    );

    expect(reverted).toEqual({
      name: "EndpointSignerNotVerifier",
      args: [BigInt(signers.indexOf(V0)), V0.address],
    });
  });

  it("deliver_revertsOnMalleableHighS", async () => {
    const f = await deploy(1);
    const packet = inbound(f, 1n);
    const digest = packetAttestationDigest(f.endpointWire, 1n, packet);
    const sig = V0.signingKey.sign(digest);
    const malleable = rawSignature(sig.r, SECP256K1_N - BigInt(sig.s), sig.v === 27 ? 28 : 27);
    // The raw precompile accepts the twin and recovers the same signer ...
    const recovered = await ethers.provider.call({
      to: "0x0000000000000000000000000000000000000001",
      data: AbiCoder.defaultAbiCoder().encode(
        ["bytes32", "uint8", "bytes32", "bytes32"],
        [digest, sig.v === 27 ? 28 : 27, sig.r, toBeHex(SECP256K1_N - BigInt(sig.s), 32)],
      ),
    });
    expect(recovered).toBe(zeroPadValue(V0.address, 32).toLowerCase());

    // ... the endpoint does not.
    const reverted = await expectRevert(f.endpoint, send(f.endpoint, "deliver", packet, malleable));

    expect(reverted).toEqual({ name: "EndpointInvalidSignature", args: [0n] });
  });

  it.each([0, 1, 26, 29])("deliver_revertsOnBadV [v=%i]", async (v) => {
    const f = await deploy(1);
    const packet = inbound(f, 1n);
    const sig = V0.signingKey.sign(packetAttestationDigest(f.endpointWire, 1n, packet));

    const reverted = await expectRevert(
      f.endpoint,
      send(f.endpoint, "deliver", packet, rawSignature(sig.r, BigInt(sig.s), v)),
    );

    expect(reverted).toEqual({ name: "EndpointInvalidSignature", args: [0n] });
  });

  it("deliver_revertsOnInvalidSignatureAfterValidOnes", async () => {
    const f = await deploy(1);
    const packet = inbound(f, 1n);
    const sig = V1.signingKey.sign(packetAttestationDigest(f.endpointWire, 1n, packet));
    const signatures = concat([attest(f, packet, [V0]), rawSignature(sig.r, 0n, sig.v)]);

    const reverted = await expectRevert(
      f.endpoint,
      send(f.endpoint, "deliver", packet, signatures),
    );

    expect(reverted).toEqual({ name: "EndpointInvalidSignature", args: [1n] });
  });

  it.each([1, 64, 66, 129])("deliver_revertsOnSignaturesLength [%i bytes]", async (length) => {
    const f = await deploy(1);
    const packet = inbound(f, 1n);
    const signatures = getBytes(attest(f, packet, VERIFIERS)).slice(0, length);

    const reverted = await expectRevert(
      f.endpoint,
      send(f.endpoint, "deliver", packet, signatures),
    );

    expect(reverted).toEqual({
      name: "EndpointInvalidSignaturesLength",
      args: [BigInt(length)],
    });
  });

  // ---------------------------------------------------------------------------------------------
  // deliver: packet, path and replay
  // ---------------------------------------------------------------------------------------------

  it("deliver_revertsOnWrongDestination", async () => {
    const f = await deploy();
    const packet = inbound(f, 1n, { dstEid: OTHER_EID });

    const reverted = await expectRevert(
      f.endpoint,
      send(f.endpoint, "deliver", packet, attest(f, packet, [V0, V1])),
    );

    expect(reverted).toEqual({ name: "EndpointWrongDestination", args: [BigInt(OTHER_EID)] });
  });

  it.each([
    { name: "other sender", srcEid: REMOTE_EID, sender: id("impostor") as Hex },
    { name: "zero sender", srcEid: REMOTE_EID, sender: ZeroHash as Hex },
    { name: "eid without peer", srcEid: OTHER_EID, sender: REMOTE_APP },
    { name: "zero sender, eid without peer", srcEid: OTHER_EID, sender: ZeroHash as Hex },
  ])("deliver_revertsOnUnknownSourcePeer [$name]", async ({ srcEid, sender }) => {
    const f = await deploy();
    const packet = inbound(f, 1n, { srcEid, sender });

    const reverted = await expectRevert(
      f.endpoint,
      send(f.endpoint, "deliver", packet, attest(f, packet, [V0, V1])),
    );

    expect(reverted).toEqual({ name: "EndpointUnknownPeer", args: [BigInt(srcEid), sender] });
  });

  it("deliver_revertsOnReceiverWithoutCode", async () => {
    const f = await deploy();
    await send(f.endpoint, "setPeer", other.address, REMOTE_EID, REMOTE_APP);
    const packet = inbound(f, 1n, { receiver: addressToWire(other.address) });

    const reverted = await expectRevert(
      f.endpoint,
      send(f.endpoint, "deliver", packet, attest(f, packet, [V0, V1])),
    );

    expect(reverted).toEqual({ name: "EndpointReceiverNotContract", args: [other.address] });
  });

  it("deliver_revertsOnReceiverWithDirtyUpperBytes", async () => {
    const f = await deploy();
    const receiver = concat(["0x01", new Uint8Array(11), f.appAddress]) as Hex;
    const packet = inbound(f, 1n, { receiver });

    const reverted = await expectRevert(
      f.endpoint,
      send(f.endpoint, "deliver", packet, attest(f, packet, [V0, V1])),
    );

    expect(reverted).toEqual({ name: "NotAnEvmAddress", args: [receiver] });
  });

  it("deliver_revertsOnReplayedGuid", async () => {
    const f = await deploy();
    const packet = inbound(f, 1n);
    await deliver(f, packet);

    const reverted = await expectRevert(
      f.endpoint,
      send(f.endpoint, "deliver", packet, attest(f, packet, [V1, V2])),
    );

    expect(reverted).toEqual({ name: "EndpointAlreadyDelivered", args: [guidOf(packet)] });
    expect(await read(f.app, "received")).toBe(1n);
  });

  it("deliver_revertsOnReplayedGuidWithOtherMessage", async () => {
    const f = await deploy();
    await deliver(f, inbound(f, 1n));
    // Same header, so same guid, other message: still a replay.
    const packet = inbound(f, 1n, {}, OTHER_MESSAGE);

    const reverted = await expectRevert(
      f.endpoint,
      send(f.endpoint, "deliver", packet, attest(f, packet, [V0, V1])),
    );

    expect(reverted.name).toBe("EndpointAlreadyDelivered");
  });

  it("deliver_revertsOnReplayedGuidAfterFailure", async () => {
    const f = await deploy();
    await send(f.app, "setRejecting", true);
    const packet = inbound(f, 1n);
    await deliver(f, packet);
    await send(f.app, "setRejecting", false);

    const reverted = await expectRevert(
      f.endpoint,
      send(f.endpoint, "deliver", packet, attest(f, packet, [V0, V1])),
    );

    expect(reverted.name).toBe("EndpointAlreadyDelivered");
    expect(await read(f.app, "received")).toBe(0n);
  });

  const malformed: { name: string; error: string; mutate: (p: Uint8Array) => Uint8Array }[] = [
    { name: "112 bytes", error: "PacketTooShort", mutate: (p) => p.slice(0, 112) },
    { name: "empty", error: "PacketTooShort", mutate: () => new Uint8Array() },
    { name: "version 2", error: "UnsupportedPacketVersion", mutate: (p) => withByte(p, 0, 2) },
    { name: "version 0", error: "UnsupportedPacketVersion", mutate: (p) => withByte(p, 0, 0) },
    { name: "guid byte flipped", error: "GuidMismatch", mutate: (p) => withByte(p, 100, 0xff) },
    { name: "nonce changed", error: "GuidMismatch", mutate: (p) => withByte(p, 8, 9) },
  ];
  function withByte(bytes: Uint8Array, offset: number, value: number): Uint8Array {
    const copy = bytes.slice();
    copy[offset] = value;
    return copy;
  }

  it.each(malformed)("deliver_revertsOnMalformedPacket $error [$name]", async (c) => {
    const f = await deploy();
    const valid = inbound(f, 1n);

    const reverted = await expectRevert(
      f.endpoint,
      send(f.endpoint, "deliver", c.mutate(valid), attest(f, valid, [V0, V1])),
    );

    expect(reverted.name).toBe(c.error);
  });

  it("deliver_revertsWhilePaused", async () => {
    const f = await deploy();
    await send(as(f.endpoint, guardian), "pause");
    const packet = inbound(f, 1n);

    const reverted = await expectRevert(
      f.endpoint,
      send(f.endpoint, "deliver", packet, attest(f, packet, [V0, V1])),
    );

    expect(reverted.name).toBe("EndpointPaused");
    await send(f.endpoint, "unpause");
    await deliver(f, packet);
  });

  // ---------------------------------------------------------------------------------------------
  // deliver: app failures, retry, reentrancy, gas
  // ---------------------------------------------------------------------------------------------

  it("deliver_appRevert_storesFailureAndKeepsPacketDelivered", async () => {
    const f = await deploy();
    await send(f.app, "setRejecting", true);
    const packet = inbound(f, 1n);
    const guid = guidOf(packet);

    const receipt = await deliver(f, packet);

    const [failedGuid, reason] = (await eventArgs(receipt, f.endpoint, "PacketFailed")) as [
      string,
      string,
    ];
    expect(failedGuid).toBe(guid);
    expect(f.app.interface.parseError(reason)?.name).toBe("RecordingAppRejected");
    expect(f.app.interface.parseError(reason)?.args.toArray()).toEqual([guid]);
    expect(await eventsOf(receipt, f.endpoint, "PacketDelivered")).toHaveLength(1);
    expect(await isDelivered(f.endpoint, packet)).toBe(true);
    expect(await read(f.endpoint, "failedPayloadHash", guid)).toBe(keccak256(MESSAGE));
    expect(await read(f.app, "received")).toBe(0n);
  });

  it("retry_afterAppFixed_callsAppClearsFailureAndEmitsPacketRetried", async () => {
    const f = await deploy();
    await send(f.app, "setRejecting", true);
    const packet = inbound(f, 1n);
    const guid = guidOf(packet);
    await deliver(f, packet);

    // Still broken: the app's reason bubbles up and the failure stays stored.
    const stillBroken = await expectRevert(f.app, send(as(f.endpoint, other), "retry", packet));
    expect(stillBroken).toEqual({ name: "RecordingAppRejected", args: [guid] });
    expect(await read(f.endpoint, "failedPayloadHash", guid)).toBe(keccak256(MESSAGE));

    await send(f.app, "setRejecting", false);
    const receipt = await send(as(f.endpoint, other), "retry", packet);

    expect(await eventArgs(receipt, f.endpoint, "PacketRetried")).toEqual([guid]);
    expect(await read(f.endpoint, "failedPayloadHash", guid)).toBe(ZeroHash);
    expect(await isDelivered(f.endpoint, packet)).toBe(true);
    expect(await read(f.app, "received")).toBe(1n);
    expect(await read(f.app, "lastMessage")).toBe(hexlify(MESSAGE));
    const again = await expectRevert(f.endpoint, send(f.endpoint, "retry", packet));
    expect(again).toEqual({ name: "EndpointNoFailedPacket", args: [guid] });
  });

  it("retry_revertsForUnknownGuid", async () => {
    const f = await deploy();
    const packet = inbound(f, 1n);

    const reverted = await expectRevert(f.endpoint, send(f.endpoint, "retry", packet));

    expect(reverted).toEqual({ name: "EndpointNoFailedPacket", args: [guidOf(packet)] });
  });

  it("retry_revertsForSuccessfullyDeliveredGuid", async () => {
    const f = await deploy();
    const packet = inbound(f, 1n);
    await deliver(f, packet);

    const reverted = await expectRevert(f.endpoint, send(f.endpoint, "retry", packet));

    expect(reverted).toEqual({ name: "EndpointNoFailedPacket", args: [guidOf(packet)] });
  });

  it("retry_revertsForChangedMessage", async () => {
    const f = await deploy();
    await send(f.app, "setRejecting", true);
    await deliver(f, inbound(f, 1n));
    await send(f.app, "setRejecting", false);
    const changed = inbound(f, 1n, {}, OTHER_MESSAGE);

    const reverted = await expectRevert(f.endpoint, send(f.endpoint, "retry", changed));

    expect(reverted).toEqual({
      name: "EndpointFailedMessageMismatch",
      args: [guidOf(changed), keccak256(MESSAGE), keccak256(OTHER_MESSAGE)],
    });
  });

  it("retry_revertsOnMalformedPacket", async () => {
    const f = await deploy();

    const reverted = await expectRevert(
      f.endpoint,
      send(f.endpoint, "retry", inbound(f, 1n).slice(0, 100)),
    );

    expect(reverted.name).toBe("PacketTooShort");
  });

  it("retry_revertsWhilePaused", async () => {
    const f = await deploy();
    await send(f.app, "setRejecting", true);
    const packet = inbound(f, 1n);
    await deliver(f, packet);
    await send(f.app, "setRejecting", false);
    await send(as(f.endpoint, guardian), "pause");

    const reverted = await expectRevert(f.endpoint, send(f.endpoint, "retry", packet));

    expect(reverted.name).toBe("EndpointPaused");
  });

  it("deliver_appRevert_storesMessageHashAndEpoch", async () => {
    const f = await deploy();
    await send(f.app, "setRejecting", true);
    const packet = inbound(f, 1n);

    await deliver(f, packet);

    expect(await storedFailureOf(f, guidOf(packet))).toEqual({
      messageHash: keccak256(MESSAGE),
      epoch: 1n,
      approvedEpoch: 0n,
    });
  });

  it("deliver_reentryIntoDeliverFromApp_isBlocked", async () => {
    const f = await deploy();
    const inner = inbound(f, 2n);
    await send(
      f.app,
      "setReentryCall",
      f.endpoint.interface.encodeFunctionData("deliver", [inner, attest(f, inner, [V0, V1])]),
    );
    const outer = inbound(f, 1n);

    const receipt = await deliver(f, outer);

    const [, reason] = (await eventArgs(receipt, f.endpoint, "PacketFailed")) as [string, string];
    expect(f.endpoint.interface.parseError(reason)?.name).toBe("ReentrancyGuardReentrantCall");
    expect(await isDelivered(f.endpoint, inner)).toBe(false);
    // Outside the outer call the same packet goes through.
    await send(f.app, "setReentryCall", "0x");
    await deliver(f, inner);
    expect(await read(f.app, "lastGuid")).toBe(guidOf(inner));
  });

  it("deliver_reentryIntoRetryFromApp_isBlocked", async () => {
    const f = await deploy();
    await send(f.app, "setRejecting", true);
    const failed = inbound(f, 1n);
    await deliver(f, failed);
    await send(f.app, "setRejecting", false);
    await send(f.app, "setReentryCall", f.endpoint.interface.encodeFunctionData("retry", [failed]));

    const receipt = await deliver(f, inbound(f, 2n));

    const [, reason] = (await eventArgs(receipt, f.endpoint, "PacketFailed")) as [string, string];
    expect(f.endpoint.interface.parseError(reason)?.name).toBe("ReentrancyGuardReentrantCall");
    expect(await read(f.endpoint, "failedPayloadHash", guidOf(failed))).toBe(keccak256(MESSAGE));
  });

  it("deliver_appMaySendFromOnPacket", async () => {
    const f = await deploy();
    await send(
      f.app,
      "setReentryCall",
      f.endpoint.interface.encodeFunctionData("send", [REMOTE_EID, OTHER_MESSAGE]),
    );

    const receipt = await deliver(f, inbound(f, 1n));

    expect(await eventsOf(receipt, f.endpoint, "PacketFailed")).toHaveLength(0);
    const [packet] = (await eventArgs(receipt, f.endpoint, "PacketSent")) as [string];
    expect(decodePacket(getBytes(packet)).message).toBe(hexlify(OTHER_MESSAGE));
    expect(await read(f.app, "received")).toBe(1n);
  });

  it("deliver_revertsWithInsufficientGasForApp", async () => {
    const f = await deploy();
    await send(f.app, "setQuiet", true);
    const packet = inbound(f, 1n);
    const signatures = attest(f, packet, [V0, V1]);
    const needed = await f.endpoint.getFunction("deliver").estimateGas(packet, signatures);

    const reverted = await expectRevert(
      f.endpoint,
      send(f.endpoint, "deliver", packet, signatures, { gasLimit: needed - 5_000n }),
    );

    expect(reverted.name).toBe("EndpointInsufficientGas");
    const [available, required] = reverted.args as [bigint, bigint];
    expect(required).toBe(MIN_RECEIVE_GAS + FAILURE_GAS);
    expect(available).toBeLessThan(required);
    expect(await isDelivered(f.endpoint, packet)).toBe(false);
    await send(f.endpoint, "deliver", packet, signatures, { gasLimit: needed });
    expect(await isDelivered(f.endpoint, packet)).toBe(true);
  });

  it("deliver_atLeastGasLimit_givesAppMinReceiveGas", async () => {
    const f = await deploy();
    const packet = inbound(f, 1n);
    const signatures = attest(f, packet, [V0, V1]);
    const needed = await f.endpoint.getFunction("deliver").estimateGas(packet, signatures);

    await send(f.endpoint, "deliver", packet, signatures, { gasLimit: needed });

    // gasleft() is read a few opcodes into onPacket, after dispatch.
    const gasAtEntry = await read<bigint>(f.app, "lastGasAtEntry");
    expect(gasAtEntry).toBeGreaterThan(MIN_RECEIVE_GAS - 500n);
  });

  it("deliver_appExhaustingItsGas_storedAsFailure", async () => {
    const f = await deploy();
    await send(f.app, "setGasToBurn", 50_000_000n);
    const packet = inbound(f, 1n);

    const receipt = await send(f.endpoint, "deliver", packet, attest(f, packet, [V0, V1]), {
      gasLimit: 1_000_000n,
    });

    expect(await eventArgs(receipt, f.endpoint, "PacketFailed")).toEqual([guidOf(packet), "0x"]);
    expect(await read(f.endpoint, "failedPayloadHash", guidOf(packet))).toBe(keccak256(MESSAGE));
  });

  it("test_fuzz_deliver_appWithinMinReceiveGas_neverStoredAsFailed", async () => {
    // An app that needs just under MIN_RECEIVE_GAS, delivered with any gas limit:
    // the transaction reverts or the app succeeds; the packet is never stored as failed.
    const f = await deploy();
    await send(f.app, "setQuiet", true);
    await send(f.app, "setGasToBurn", MIN_RECEIVE_GAS - 10_000n);
    const probe = inbound(f, 1_000_000n);
    const needed = await f.endpoint
      .getFunction("deliver")
      .estimateGas(probe, attest(f, probe, [V0, V1]));
    let nonce = 0n;
    let succeeded = 0;

    await fc.assert(
      fc.asyncProperty(fc.bigInt({ min: 60_000n, max: needed + 200_000n }), async (gasLimit) => {
        nonce += 1n;
        const packet = inbound(f, nonce);
        const guid = guidOf(packet);
        const pending = send(f.endpoint, "deliver", packet, attest(f, packet, [V0, V1]), {
          gasLimit,
        });
        if (await reverts(pending)) {
          expect(await isDelivered(f.endpoint, packet)).toBe(false);
        } else {
          succeeded += 1;
          expect(await isDelivered(f.endpoint, packet)).toBe(true);
          expect(await read(f.endpoint, "failedPayloadHash", guid)).toBe(ZeroHash);
        }
      }),
      { numRuns: FUZZ_RUNS, examples: [[needed - 1n], [needed], [needed + 1n]] },
    );
    expect(succeeded).toBeGreaterThan(0);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties over signature sets and replays
// ---------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------
// stored failures: retry only while still deliverable
// ---------------------------------------------------------------------------------------------

describe("Endpoint replay bitmap", () => {
  // Replay protection is one bit per nonce, 256 nonces a storage word, per path (receiver,
  // srcEid, sender): these pin the word arithmetic and the path separation.

  it("deliver_outOfOrderNoncesAcrossA256Boundary_eachDeliveredOnceAndNeighboursUntouched", async () => {
    const f = await deploy();
    const order = [300n, 1n, 256n, 255n, 2n, 257n, 511n, 512n, 0n, 2n ** 64n - 1n];

    for (const nonce of order) await deliver(f, inbound(f, nonce));

    for (const nonce of order) {
      const packet = inbound(f, nonce);
      expect(await isDelivered(f.endpoint, packet)).toBe(true);
      const replayed = await expectRevert(
        f.endpoint,
        send(f.endpoint, "deliver", packet, attest(f, packet, [V1, V2])),
      );
      expect(replayed).toEqual({ name: "EndpointAlreadyDelivered", args: [guidOf(packet)] });
    }
    for (const nonce of [3n, 254n, 258n, 299n, 301n, 510n, 513n, 2n ** 64n - 2n]) {
      expect(await isDelivered(f.endpoint, inbound(f, nonce))).toBe(false);
    }
    expect(await read(f.app, "received")).toBe(BigInt(order.length));
  });

  it("deliver_sameNonceOnDistinctPaths_doNotInterfere", async () => {
    const f = await deploy();
    const otherApp = await ethers.deployContract("RecordingApp", [await f.endpoint.getAddress()]);
    const otherAppWire = addressToWire(await otherApp.getAddress());
    await send(f.endpoint, "setPeer", f.appAddress, OTHER_EID, REMOTE_APP);
    await send(f.endpoint, "setPeer", await otherApp.getAddress(), REMOTE_EID, REMOTE_APP);
    const paths = [
      inbound(f, 7n),
      inbound(f, 7n, { srcEid: OTHER_EID }),
      inbound(f, 7n, { receiver: otherAppWire }),
    ];

    for (const [i, packet] of paths.entries()) {
      await deliver(f, packet);
      for (const [j, other] of paths.entries()) {
        expect(await isDelivered(f.endpoint, other)).toBe(j <= i);
      }
    }
    expect(await read(f.app, "received")).toBe(2n);
    expect(await read(otherApp, "received")).toBe(1n);
  });

  it("deliver_afterPeerReplaced_newSendersNoncesStartFresh_oldOnesStayDelivered", async () => {
    const f = await deploy();
    const oldPacket = inbound(f, 1n);
    await deliver(f, oldPacket);
    const newPeer = id("redeployed remote vault") as Hex;
    await send(f.endpoint, "setPeer", f.appAddress, REMOTE_EID, newPeer);

    const newPacket = inbound(f, 1n, { sender: newPeer });
    await deliver(f, newPacket);

    expect(await isDelivered(f.endpoint, newPacket)).toBe(true);
    expect(await isDelivered(f.endpoint, oldPacket)).toBe(true);
    await send(f.endpoint, "setPeer", f.appAddress, REMOTE_EID, REMOTE_APP);
    const replayed = await expectRevert(f.endpoint, deliver(f, oldPacket));
    expect(replayed).toEqual({ name: "EndpointAlreadyDelivered", args: [guidOf(oldPacket)] });
  });

  it("deliver_replayAfterVerifierRotation_revertsAlreadyDelivered", async () => {
    const f = await deploy();
    const packet = inbound(f, 256n);
    await deliver(f, packet);
    await rotateEveryVerifierOut(f);

    const replayed = await expectRevert(
      f.endpoint,
      send(f.endpoint, "deliver", packet, attest(f, packet, OUTSIDERS, 2n)),
    );

    expect(replayed).toEqual({ name: "EndpointAlreadyDelivered", args: [guidOf(packet)] });
    expect(await read(f.app, "received")).toBe(1n);
  });

  it("storedFailure_inAFreshWord_retriesOnceAndIsNeverReplayed", async () => {
    const f = await deploy();
    await deliver(f, inbound(f, 255n));
    const { packet, guid } = await storedFailure(f, 256n);
    expect(await isDelivered(f.endpoint, packet)).toBe(true);
    expect(await read(f.endpoint, "failedPayloadHash", guid)).toBe(keccak256(MESSAGE));
    await deliver(f, inbound(f, 257n));

    await send(as(f.endpoint, other), "retry", packet);

    expect(await read(f.app, "timesReceived", guid)).toBe(1n);
    expect(await read(f.endpoint, "failedPayloadHash", guid)).toBe(ZeroHash);
    const retried = await expectRevert(f.endpoint, send(f.endpoint, "retry", packet));
    expect(retried).toEqual({ name: "EndpointNoFailedPacket", args: [guid] });
    const redelivered = await expectRevert(f.endpoint, deliver(f, packet));
    expect(redelivered).toEqual({ name: "EndpointAlreadyDelivered", args: [guid] });
    expect(await read(f.app, "received")).toBe(3n);
  });
});

describe("Endpoint stored failures", () => {
  it.each([
    ["unset", ZeroHash],
    ["replaced", id("another remote app")],
  ])("test_retry_revertsAfterPeerRevokedAndSetRotated [peer %s]", async (_label, newPeer) => {
    // The owner revoked the source app and retired every verifier: nothing that app or that
    // set attested may take effect any more, stored failures included.
    const f = await deploy();
    const { packet, guid } = await storedFailure(f);
    await send(f.endpoint, "setPeer", f.appAddress, REMOTE_EID, newPeer);
    await rotateEveryVerifierOut(f);

    const reverted = await expectRevert(f.endpoint, send(as(f.endpoint, other), "retry", packet));

    expect(reverted).toEqual({
      name: "EndpointRetryPeerChanged",
      args: [guid, REMOTE_APP, newPeer],
    });
    expect(await read(f.app, "received")).toBe(0n);
    expect(await read(f.endpoint, "failedPayloadHash", guid)).toBe(keccak256(MESSAGE));
  });

  it("retry_revertsAfterPeerChangedOnly", async () => {
    const f = await deploy();
    const { packet, guid } = await storedFailure(f);
    const newPeer = id("another remote app");
    await send(f.endpoint, "setPeer", f.appAddress, REMOTE_EID, newPeer);

    const reverted = await expectRevert(f.endpoint, send(as(f.endpoint, other), "retry", packet));

    expect(reverted).toEqual({
      name: "EndpointRetryPeerChanged",
      args: [guid, REMOTE_APP, newPeer],
    });
    expect(await read(f.app, "received")).toBe(0n);
  });

  it("retry_revertsAfterSetRotatedOnly", async () => {
    const f = await deploy();
    const { packet, guid } = await storedFailure(f);
    await rotateEveryVerifierOut(f);

    const reverted = await expectRevert(f.endpoint, send(as(f.endpoint, other), "retry", packet));

    expect(reverted).toEqual({ name: "EndpointRetryNotApproved", args: [guid, 1n, 2n] });
    expect(await read(f.app, "received")).toBe(0n);
  });

  it("retry_afterRotation_worksOnceOwnerApprovedUnderCurrentEpoch", async () => {
    const f = await deploy();
    const { packet, guid } = await storedFailure(f);
    await rotateEveryVerifierOut(f);

    const approved = await send(f.endpoint, "approveRetry", guid);

    expect(await eventArgs(approved, f.endpoint, "RetryApproved")).toEqual([guid, 2n]);
    expect((await storedFailureOf(f, guid)).approvedEpoch).toBe(2n);
    const receipt = await send(as(f.endpoint, other), "retry", packet);
    expect(await eventArgs(receipt, f.endpoint, "PacketRetried")).toEqual([guid]);
    expect(await read(f.app, "timesReceived", guid)).toBe(1n);
  });

  it("approveRetry_isVoidedByTheNextRotation", async () => {
    const f = await deploy();
    const { packet, guid } = await storedFailure(f);
    await rotateEveryVerifierOut(f);
    await send(f.endpoint, "approveRetry", guid);
    await rotateEveryVerifierOut(f);

    const reverted = await expectRevert(f.endpoint, send(f.endpoint, "retry", packet));

    expect(reverted).toEqual({ name: "EndpointRetryNotApproved", args: [guid, 1n, 3n] });
  });

  it("approveRetry_doesNotOverrideAChangedPeer", async () => {
    const f = await deploy();
    const { packet, guid } = await storedFailure(f);
    await rotateEveryVerifierOut(f);
    await send(f.endpoint, "setPeer", f.appAddress, REMOTE_EID, ZeroHash);
    await send(f.endpoint, "approveRetry", guid);

    const reverted = await expectRevert(f.endpoint, send(f.endpoint, "retry", packet));

    expect(reverted).toEqual({
      name: "EndpointRetryPeerChanged",
      args: [guid, REMOTE_APP, ZeroHash],
    });
  });

  it("retry_peerRestored_sameEpoch_works", async () => {
    const f = await deploy();
    const { packet, guid } = await storedFailure(f);
    await send(f.endpoint, "setPeer", f.appAddress, REMOTE_EID, ZeroHash);
    await send(f.endpoint, "setPeer", f.appAddress, REMOTE_EID, REMOTE_APP);

    await send(f.endpoint, "retry", packet);

    expect(await read(f.app, "timesReceived", guid)).toBe(1n);
  });

  it("clearFailure_forgetsTheFailure_retryAndRedeliveryRevert", async () => {
    const f = await deploy();
    const { packet, guid } = await storedFailure(f);

    const receipt = await send(f.endpoint, "clearFailure", guid);

    expect(await eventArgs(receipt, f.endpoint, "FailureCleared")).toEqual([
      guid,
      keccak256(MESSAGE),
    ]);
    expect(await read(f.endpoint, "failedPayloadHash", guid)).toBe(ZeroHash);
    expect((await storedFailureOf(f, guid)).messageHash).toBe(ZeroHash);
    expect(await isDelivered(f.endpoint, packet)).toBe(true);
    const retried = await expectRevert(f.endpoint, send(as(f.endpoint, other), "retry", packet));
    expect(retried).toEqual({ name: "EndpointNoFailedPacket", args: [guid] });
    const redelivered = await expectRevert(f.endpoint, deliver(f, packet));
    expect(redelivered).toEqual({ name: "EndpointAlreadyDelivered", args: [guid] });
    expect(await read(f.app, "received")).toBe(0n);
  });

  it.each(["approveRetry", "clearFailure"])("%s_byNonOwner_reverts", async (fn) => {
    const f = await deploy();
    const { guid } = await storedFailure(f);

    for (const caller of [guardian, other]) {
      const reverted = await expectRevert(f.endpoint, send(as(f.endpoint, caller), fn, guid));
      expect(reverted).toEqual({ name: "OwnableUnauthorizedAccount", args: [caller.address] });
    }
    expect((await storedFailureOf(f, guid)).approvedEpoch).toBe(0n);
    expect(await read(f.endpoint, "failedPayloadHash", guid)).toBe(keccak256(MESSAGE));
  });

  it.each(["approveRetry", "clearFailure"])("%s_withoutStoredFailure_reverts", async (fn) => {
    const f = await deploy();
    const delivered = inbound(f, 1n);
    await deliver(f, delivered);
    const never = guidOf(inbound(f, 2n));

    for (const guid of [guidOf(delivered), never]) {
      const reverted = await expectRevert(f.endpoint, send(f.endpoint, fn, guid));
      expect(reverted).toEqual({ name: "EndpointNoFailedPacket", args: [guid] });
    }
  });
});

describe("Endpoint properties", () => {
  it("test_fuzz_deliver_acceptsExactlyAscendingMemberSetsAtThreshold", async () => {
    const f = await deploy(2);
    const pool = [...VERIFIERS, ...OUTSIDERS];
    let nonce = 0n;

    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: pool.length - 1 }), { maxLength: 6 }),
        async (picks) => {
          nonce += 1n;
          const packet = inbound(f, nonce);
          const signers = picks.map((i) => pool[i] as Wallet);
          const addresses = signers.map((w) => BigInt(w.address));
          const valid =
            signers.length >= 2 &&
            signers.every((w) => VERIFIERS.includes(w)) &&
            addresses.every((a, i) => i === 0 || a > (addresses[i - 1] ?? 0n));

          const rejected = await reverts(
            send(f.endpoint, "deliver", packet, attest(f, packet, signers)),
          );

          expect(!rejected).toBe(valid);
          expect(await isDelivered(f.endpoint, packet)).toBe(valid);
        },
      ),
      { numRuns: FUZZ_RUNS },
    );
  });

  it("test_fuzz_guidIsNeverDeliveredTwice", async () => {
    type Op =
      | { kind: "deliver"; nonce: number; signers: number[] }
      | { kind: "setRejecting"; value: boolean }
      | { kind: "retry"; nonce: number };
    const nonce = fc.integer({ min: 1, max: 4 });
    const signerSet = fc.subarray([0, 1, 2], { minLength: 2 });
    const op: fc.Arbitrary<Op> = fc.oneof(
      {
        weight: 4,
        arbitrary: fc.record({ kind: fc.constant("deliver"), nonce, signers: signerSet }),
      },
      {
        weight: 1,
        arbitrary: fc.record({ kind: fc.constant("setRejecting"), value: fc.boolean() }),
      },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant("retry"), nonce }) },
    );

    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 12 }), async (ops) => {
        const f = await deploy(2);
        const delivered = new Set<number>();
        const failed = new Set<number>();
        let rejecting = false;

        for (const o of ops) {
          if (o.kind === "setRejecting") {
            rejecting = o.value;
            await send(f.app, "setRejecting", o.value);
            continue;
          }
          const packet = inbound(f, BigInt(o.nonce));
          if (o.kind === "deliver") {
            const signers = o.signers.map((i) => VERIFIERS[i] as Wallet);
            const pending = send(f.endpoint, "deliver", packet, attest(f, packet, signers));
            if (delivered.has(o.nonce)) {
              expect((await expectRevert(f.endpoint, pending)).name).toBe(
                "EndpointAlreadyDelivered",
              );
            } else {
              await pending;
              delivered.add(o.nonce);
              if (rejecting) failed.add(o.nonce);
            }
          } else {
            const pending = send(f.endpoint, "retry", packet);
            if (failed.has(o.nonce) && !rejecting) {
              await pending;
              failed.delete(o.nonce);
            } else {
              expect(await reverts(pending)).toBe(true);
            }
          }
        }

        for (const n of [1, 2, 3, 4]) {
          const packet = inbound(f, BigInt(n));
          const times = await read<bigint>(f.app, "timesReceived", guidOf(packet));
          expect(times).toBe(delivered.has(n) && !failed.has(n) ? 1n : 0n);
          expect(await isDelivered(f.endpoint, packet)).toBe(delivered.has(n));
        }
      }),
      { numRuns: FUZZ_RUNS },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Administration
// ---------------------------------------------------------------------------------------------

describe("Endpoint administration", () => {
  it("constructor_setsEidOwnerGuardianAndEpochOneVerifierSet", async () => {
    const f = await deploy(2);

    expect(await read(f.endpoint, "localEid")).toBe(BigInt(LOCAL_EID));
    expect(await read(f.endpoint, "owner")).toBe(owner.address);
    expect(await read(f.endpoint, "guardian")).toBe(guardian.address);
    expect(await read(f.endpoint, "paused")).toBe(false);
    expect(await read(f.endpoint, "MIN_RECEIVE_GAS")).toBe(MIN_RECEIVE_GAS);
    const set = await read<[string[], bigint, bigint]>(f.endpoint, "verifierSet");
    expect([[...set[0]], set[1], set[2]]).toEqual([VERIFIERS.map((w) => w.address), 2n, 1n]);
    for (const w of VERIFIERS) expect(await read(f.endpoint, "isVerifier", w.address)).toBe(true);
    // Epoch 1, never 0: an unset membership slot (0) must not count.
    for (const address of [OUTSIDER.address, ZeroAddress]) {
      expect(await read(f.endpoint, "isVerifier", address)).toBe(false);
    }
  });

  it("constructor_revertsOnInvalidVerifierSet", async () => {
    const f = await deploy();
    const factory = await ethers.getContractFactory("Endpoint");

    const pending = factory.deploy(LOCAL_EID, owner.address, guardian.address, [V0.address], 0);

    expect(await expectRevert(f.endpoint, pending)).toEqual({
      name: "EndpointInvalidThreshold",
      args: [0n, 1n],
    });
  });

  it("setVerifierSet_bumpsEpochReplacesMembersAndEmits", async () => {
    const f = await deploy(2);
    const newSet = [V2, ...OUTSIDERS].sort(byAddress).map((w) => w.address);

    const receipt = await send(f.endpoint, "setVerifierSet", newSet, 3);

    expect(await eventArgs(receipt, f.endpoint, "VerifierSetChanged")).toEqual([2n, newSet, 3n]);
    const set = await read<[string[], bigint, bigint]>(f.endpoint, "verifierSet");
    expect([[...set[0]], set[1], set[2]]).toEqual([newSet, 3n, 2n]);
    expect(await read(f.endpoint, "isVerifier", V0.address)).toBe(false);
    expect(await read(f.endpoint, "isVerifier", V2.address)).toBe(true);
    expect(await read(f.endpoint, "isVerifier", OUTSIDER.address)).toBe(true);
  });

  it("setVerifierSet_acceptsMaxVerifiers", async () => {
    const f = await deploy();
    const signers = wallets("many", MAX_VERIFIERS).map((w) => w.address);

    await send(f.endpoint, "setVerifierSet", signers, MAX_VERIFIERS);

    const set = await read<[string[], bigint, bigint]>(f.endpoint, "verifierSet");
    expect([...set[0]]).toEqual(signers);
  });

  const [A, B, C] = VERIFIERS.map((w) => w.address) as [string, string, string];
  it.each([
    {
      name: "unsorted",
      signers: [A, C, B],
      threshold: 2,
      error: "EndpointVerifiersNotAscending",
      args: [2n, B],
    },
    {
      name: "duplicate",
      signers: [A, B, B],
      threshold: 2,
      error: "EndpointVerifiersNotAscending",
      args: [2n, B],
    },
    {
      name: "zero address",
      signers: [ZeroAddress, A, B],
      threshold: 2,
      error: "EndpointZeroVerifier",
      args: [0n],
    },
    {
      name: "threshold 0",
      signers: [A, B, C],
      threshold: 0,
      error: "EndpointInvalidThreshold",
      args: [0n, 3n],
    },
    {
      name: "threshold above n",
      signers: [A, B, C],
      threshold: 4,
      error: "EndpointInvalidThreshold",
      args: [4n, 3n],
    },
    {
      name: "empty set",
      signers: [],
      threshold: 1,
      error: "EndpointInvalidThreshold",
      args: [1n, 0n],
    },
    {
      name: "n above cap",
      signers: wallets("many", MAX_VERIFIERS + 1).map((w) => w.address),
      threshold: 2,
      error: "EndpointTooManyVerifiers",
      args: [BigInt(MAX_VERIFIERS + 1), BigInt(MAX_VERIFIERS)],
    },
  ])("setVerifierSet_reverts [$name]", async ({ signers, threshold, error, args }) => {
    const f = await deploy();

    const reverted = await expectRevert(
      f.endpoint,
      send(f.endpoint, "setVerifierSet", signers, threshold),
    );

    expect(reverted).toEqual({ name: error, args });
    const set = await read<[string[], bigint, bigint]>(f.endpoint, "verifierSet");
    expect(set[2]).toBe(1n);
  });

  it("setPeer_setsAndUnsetsAndEmits", async () => {
    const f = await deploy();
    const remote = id("another remote") as Hex;

    const receipt = await send(f.endpoint, "setPeer", f.appAddress, OTHER_EID, remote);

    expect(await eventArgs(receipt, f.endpoint, "PeerSet")).toEqual([
      f.appAddress,
      BigInt(OTHER_EID),
      remote,
    ]);
    expect(await read(f.endpoint, "peer", f.appAddress, OTHER_EID)).toBe(remote);
    const unset = await send(f.endpoint, "setPeer", f.appAddress, REMOTE_EID, ZeroHash);
    expect(await eventArgs(unset, f.endpoint, "PeerSet")).toEqual([
      f.appAddress,
      BigInt(REMOTE_EID),
      ZeroHash,
    ]);
    const packet = inbound(f, 1n);
    const reverted = await expectRevert(
      f.endpoint,
      send(f.endpoint, "deliver", packet, attest(f, packet, [V0, V1])),
    );
    expect(reverted).toEqual({
      name: "EndpointUnknownPeer",
      args: [BigInt(REMOTE_EID), REMOTE_APP],
    });
  });

  it.each([
    { fn: "setPeer", args: () => [other.address, REMOTE_EID, REMOTE_APP] },
    { fn: "setVerifierSet", args: () => [[OUTSIDER.address], 1] },
    { fn: "setGuardian", args: () => [other.address] },
    { fn: "unpause", args: () => [] },
    { fn: "transferOwnership", args: () => [other.address] },
    { fn: "renounceOwnership", args: () => [] },
  ])("onlyOwner_revertsForNonOwner [$fn]", async ({ fn, args }) => {
    const f = await deploy();
    await send(f.endpoint, "pause");

    for (const caller of [other, guardian]) {
      const reverted = await expectRevert(f.endpoint, send(as(f.endpoint, caller), fn, ...args()));
      expect(reverted).toEqual({ name: "OwnableUnauthorizedAccount", args: [caller.address] });
    }
  });

  it("pause_byGuardian_blocksAndEmits_unpauseOnlyByOwner", async () => {
    const f = await deploy();

    const paused = await send(as(f.endpoint, guardian), "pause");

    expect(await eventArgs(paused, f.endpoint, "Paused")).toEqual([guardian.address]);
    expect(await read(f.endpoint, "paused")).toBe(true);
    const byGuardian = await expectRevert(f.endpoint, send(as(f.endpoint, guardian), "unpause"));
    expect(byGuardian).toEqual({ name: "OwnableUnauthorizedAccount", args: [guardian.address] });
    const unpaused = await send(f.endpoint, "unpause");
    expect(await eventArgs(unpaused, f.endpoint, "Unpaused")).toEqual([owner.address]);
    expect(await read(f.endpoint, "paused")).toBe(false);
  });

  it("pause_byOwner_emits", async () => {
    const f = await deploy();

    const receipt = await send(f.endpoint, "pause");

    expect(await eventArgs(receipt, f.endpoint, "Paused")).toEqual([owner.address]);
  });

  it("pause_revertsForOthers", async () => {
    const f = await deploy();

    const reverted = await expectRevert(f.endpoint, send(as(f.endpoint, other), "pause"));

    expect(reverted).toEqual({ name: "EndpointNotGuardian", args: [other.address] });
  });

  it("pause_revertsWhenPaused_unpauseRevertsWhenNotPaused", async () => {
    const f = await deploy();

    expect((await expectRevert(f.endpoint, send(f.endpoint, "unpause"))).name).toBe(
      "EndpointNotPaused",
    );
    await send(f.endpoint, "pause");
    expect((await expectRevert(f.endpoint, send(as(f.endpoint, guardian), "pause"))).name).toBe(
      "EndpointPaused",
    );
  });

  it("setGuardian_replacesGuardianAndEmits", async () => {
    const f = await deploy();

    const receipt = await send(f.endpoint, "setGuardian", other.address);

    expect(await eventArgs(receipt, f.endpoint, "GuardianChanged")).toEqual([
      guardian.address,
      other.address,
    ]);
    expect(await read(f.endpoint, "guardian")).toBe(other.address);
    const reverted = await expectRevert(f.endpoint, send(as(f.endpoint, guardian), "pause"));
    expect(reverted).toEqual({ name: "EndpointNotGuardian", args: [guardian.address] });
    await send(as(f.endpoint, other), "pause");
  });

  it("transferOwnership_takesEffectOnAccept", async () => {
    const f = await deploy();

    await send(f.endpoint, "transferOwnership", other.address);
    expect(await read(f.endpoint, "owner")).toBe(owner.address);
    await send(as(f.endpoint, other), "acceptOwnership");

    expect(await read(f.endpoint, "owner")).toBe(other.address);
    await send(as(f.endpoint, other), "setGuardian", ZeroAddress);
  });

  it("renounceOwnership_byOwner_revertsAndKeepsOwnership", async () => {
    const f = await deploy();
    await send(f.endpoint, "transferOwnership", other.address);

    const reverted = await expectRevert(f.endpoint, send(f.endpoint, "renounceOwnership"));

    expect(reverted).toEqual({ name: "EndpointRenounceDisabled", args: [] });
    expect(await read(f.endpoint, "owner")).toBe(owner.address);
    expect(await read(f.endpoint, "pendingOwner")).toBe(other.address);
  });
});
