// Deliver: the endpoint accepts a packet only when a threshold of current
// verifiers signed its attestation digest through the Ed25519 precompile
// instruction right before Deliver, from the registered peer, to this
// endpoint, once. Every rejection of shared/DESIGN.md's lessons is here.
import { decodePacket, encodeLoanMessage, toHex } from "@loanbridge/shared";
import {
  type AccountMeta,
  AccountRole,
  type Address,
  generateKeyPairSigner,
  getProgramDerivedAddress,
  lamports,
} from "@solana/kit";
import { beforeEach, describe, expect, it } from "vitest";
import {
  accountSize,
  addressBytes,
  type DeliveredNonceKey,
  deliveredNoncesSeeds,
  type DeliverInput,
  deliverInstruction as deliverInstructionWith,
  ed25519Instruction,
  ED25519_PROGRAM_ADDRESS,
  ed25519InstructionData,
  LoanbridgeProgramError as E,
  NONCES_PER_DELIVERED_ACCOUNT,
  pauseInstruction,
  pda,
  setPeerInstruction,
  setVerifierSetInstruction,
  vaultReceiveAccounts,
  versionInstruction,
  WireProgramError,
} from "../client/index.ts";
import { loggedComputeUnits } from "../client/litesvm.ts";
import {
  attest,
  deliver as deliverWith,
  deliveryInstructions as deliveryInstructionsWith,
  type EndpointFixture,
  expectCustomError,
  expectOk,
  inboundPacket,
  REMOTE_EID,
  sortedSigners,
  startVault,
} from "./fixture.ts";

const LOAN_ID = new Uint8Array(32).fill(0xab);
const DELIVERED_NONCES_LEN = accountSize("DeliveredNonces");
const loanActive = encodeLoanMessage({
  type: "LOAN_ACTIVE",
  loanId: `0x${"ab".repeat(32)}`,
  principal: 1_000_000n,
  rateBps: 500,
  startTime: 1_700_000_000n,
  dueTime: 1_700_086_400n,
});

describe("Deliver", () => {
  let fixture: EndpointFixture;
  let packet: Uint8Array;
  let appAccounts: AccountMeta[];
  const deliver = (
    target: EndpointFixture,
    bytes: Uint8Array,
    options: Parameters<typeof deliverWith>[2] = {},
  ) => deliverWith(target, bytes, { appAccounts, ...options });
  const deliveryInstructions = (
    target: EndpointFixture,
    bytes: Uint8Array,
    options: Parameters<typeof deliveryInstructionsWith>[2] = {},
  ) => deliveryInstructionsWith(target, bytes, { appAccounts, ...options });
  const deliverInstruction = async (program: Address, input: DeliverInput) =>
    deliverInstructionWith(program, { appAccounts, ...input });

  beforeEach(async () => {
    fixture = await startVault();
    packet = inboundPacket(fixture.vault, loanActive);
    appAccounts = await vaultReceiveAccounts(fixture.id, LOAN_ID);
  });

  // The packets here are LOAN_ACTIVE for a loan the vault never opened: one
  // that passes every endpoint check reaches the vault's handler, which
  // fails with VaultUnexpectedLoanState (successful deliveries are in
  // vault-receive.chain-test.ts).
  const passedEndpointChecks = E.VaultUnexpectedLoanState;

  it("twoOfThreeSignatures_passEndpointChecks", async () => {
    const outcome = await deliver(fixture, packet);

    expectCustomError(outcome, passedEndpointChecks);
    console.log(
      `Deliver endpoint checks (2 signatures): ${loggedComputeUnits(outcome.logs, fixture.id)} CU, tx ${outcome.size} bytes`,
    );
  });

  it("allThreeSignatures_passEndpointChecks", async () => {
    expectCustomError(
      await deliver(fixture, packet, { signers: fixture.verifiers }),
      passedEndpointChecks,
    );
  });

  it("forgedInstructionsSysvar_failsWithInvalidInstructionsSysvar", async () => {
    // Given an account holding a sysvar-shaped copy of the transaction whose
    // "previous instruction" is a precompile call with valid-looking data
    const forged = await generateKeyPairSigner();
    const { digest, attestations } = await attest(
      fixture.verifiers.slice(0, 2),
      packet,
      1n,
      fixture.id,
    );
    const fakeData = fakeInstructionsSysvar(ed25519InstructionData(attestations, digest));
    fixture.program.svm.setAccount({
      address: forged.address,
      data: fakeData,
      executable: false,
      lamports: lamports(1_000_000_000n),
      programAddress: "Sysvar1111111111111111111111111111111111111" as never,
      space: BigInt(fakeData.length),
    });

    // when Deliver is sent with it in the sysvar's place and no precompile
    const outcome = await fixture.program.send(
      await deliverInstruction(fixture.id, {
        payer: fixture.program.payer,
        packet,
        overrides: { instructionsSysvar: forged.address },
      }),
    );

    // then the address check rejects it (Wormhole, Feb 2022).
    expectCustomError(outcome, E.InvalidInstructionsSysvar);
  });

  it("noPrecompileInstruction_failsWithMissingEd25519Instruction", async () => {
    const outcome = await fixture.program.send(
      await deliverInstruction(fixture.id, { payer: fixture.program.payer, packet }),
    );

    expectCustomError(outcome, E.MissingEd25519Instruction);
  });

  it("precompileNotRightBefore_failsWithMissingEd25519Instruction", async () => {
    const [precompile, deliverIx] = await deliveryInstructions(fixture, packet);
    if (!precompile || !deliverIx) throw new Error("no instructions");

    const outcome = await fixture.program.send(
      precompile,
      versionInstruction(fixture.id),
      deliverIx,
    );

    expectCustomError(outcome, E.MissingEd25519Instruction);
  });

  it("emptyPrecompileInstruction_failsWithBelowThreshold", async () => {
    const outcome = await fixture.program.send(
      { programAddress: ED25519_PROGRAM_ADDRESS, accounts: [], data: Uint8Array.of(0, 0) },
      await deliverInstruction(fixture.id, { payer: fixture.program.payer, packet }),
    );

    expectCustomError(outcome, E.BelowThreshold);
  });

  it("oneSignatureOfTwoNeeded_failsWithBelowThreshold", async () => {
    const outcome = await deliver(fixture, packet, { signers: fixture.verifiers.slice(1, 2) });

    expectCustomError(outcome, E.BelowThreshold);
  });

  it("sameVerifierTwice_failsWithDuplicateSigner", async () => {
    const [first] = fixture.verifiers;
    if (!first) throw new Error("no verifier");

    const outcome = await deliver(fixture, packet, { signers: [first, first] });

    expectCustomError(outcome, E.DuplicateSigner);
  });

  it("keyOutsideTheSet_failsWithSignerNotVerifier", async () => {
    const [outsider] = await sortedSigners(1);
    if (!outsider) throw new Error("no signer");

    const outcome = await deliver(fixture, packet, {
      signers: [fixture.verifiers[0] ?? outsider, outsider],
    });

    expectCustomError(outcome, E.SignerNotVerifier);
  });

  it("signaturesOverAnotherPacket_failWithWrongAttestedMessage", async () => {
    // Given valid signatures of another packet's digest
    const other = inboundPacket(fixture.vault, loanActive, { nonce: 2n });
    const { digest, attestations } = await attest(
      fixture.verifiers.slice(0, 2),
      other,
      1n,
      fixture.id,
    );

    // when they accompany this packet
    const outcome = await fixture.program.send(
      ed25519Instruction(attestations, digest),
      await deliverInstruction(fixture.id, { payer: fixture.program.payer, packet }),
    );

    // then the digest check rejects them.
    expectCustomError(outcome, E.WrongAttestedMessage);
  });

  it("signaturesForAnotherEndpoint_failWithWrongAttestedMessage", async () => {
    // Given the same verifiers' signatures of this very packet at this epoch,
    // made for another deployment (another program id: same eid, same apps)
    const otherDeployment = (await generateKeyPairSigner()).address;

    // when they are replayed here
    const outcome = await deliver(fixture, packet, { endpoint: otherDeployment });

    // then the digest binds this program id as the endpoint and rejects them,
    // while signatures for this program pass.
    expectCustomError(outcome, E.WrongAttestedMessage);
    expectCustomError(await deliver(fixture, packet), passedEndpointChecks);
  });

  it("oldEpochAfterRotation_failsWithWrongAttestedMessage", async () => {
    // Given signatures made at epoch 1
    const instructions = await deliveryInstructions(fixture, packet, { epoch: 1n });
    // when the admin rotates the set (same keys: only the epoch moves)
    expectOk(
      await fixture.program.send(
        await setVerifierSetInstruction(fixture.id, {
          admin: fixture.admin,
          threshold: 2,
          verifiers: fixture.verifiers.map((v) => v.address),
        }),
      ),
    );

    // then the old signatures no longer count, and new ones do.
    expectCustomError(await fixture.program.send(...instructions), E.WrongAttestedMessage);
    expectCustomError(await deliver(fixture, packet, { epoch: 2n }), passedEndpointChecks);
  });

  it("removedVerifier_failsWithSignerNotVerifier", async () => {
    // Given a rotation that drops the first verifier
    const [removed, kept, other] = fixture.verifiers;
    if (!removed || !kept || !other) throw new Error("three verifiers expected");
    expectOk(
      await fixture.program.send(
        await setVerifierSetInstruction(fixture.id, {
          admin: fixture.admin,
          threshold: 2,
          verifiers: [kept.address, other.address],
        }),
      ),
    );

    // then its signature no longer counts, the others' do.
    expectCustomError(
      await deliver(fixture, packet, { signers: [removed, kept] }),
      E.SignerNotVerifier,
    );
    expectCustomError(
      await deliver(fixture, packet, { signers: [kept, other] }),
      passedEndpointChecks,
    );
  });

  it("offsetsIntoAnotherInstruction_failWithEd25519OffsetsNotInSameInstruction", async () => {
    // Given a first precompile instruction holding real signatures, keys and
    // the digest, and a second one, right before Deliver, whose offsets all
    // point into the first (the runtime verifies both)
    const { digest, attestations } = await attest(
      fixture.verifiers.slice(0, 2),
      packet,
      1n,
      fixture.id,
    );
    const holder = ed25519Instruction(attestations, digest);
    const holderData = holder.data ?? new Uint8Array();
    const pointer = Uint8Array.from(holderData.subarray(0, 2 + 2 * 14));
    const view = new DataView(pointer.buffer);
    for (let i = 0; i < 2; i++) {
      for (const field of [1, 3, 6]) view.setUint16(2 + i * 14 + 2 * field, 0, true);
    }

    // when Deliver follows the pointing instruction
    const outcome = await fixture.program.send(
      holder,
      { programAddress: ED25519_PROGRAM_ADDRESS, accounts: [], data: pointer },
      await deliverInstruction(fixture.id, { payer: fixture.program.payer, packet }),
    );

    // then the endpoint refuses bytes it did not see verified in place.
    expectCustomError(outcome, E.Ed25519OffsetsNotInSameInstruction);
  });

  it("explicitOwnInstructionIndex_failsWithEd25519OffsetsNotInSameInstruction", async () => {
    // Index 0 names the precompile instruction itself, but only u16::MAX is
    // accepted: the program never resolves indices.
    const { digest, attestations } = await attest(
      fixture.verifiers.slice(0, 2),
      packet,
      1n,
      fixture.id,
    );
    const data = ed25519InstructionData(attestations, digest);
    new DataView(data.buffer).setUint16(2 + 2 * 6, 0, true);

    const outcome = await fixture.program.send(
      { programAddress: ED25519_PROGRAM_ADDRESS, accounts: [], data },
      await deliverInstruction(fixture.id, { payer: fixture.program.payer, packet }),
    );

    expectCustomError(outcome, E.Ed25519OffsetsNotInSameInstruction);
  });

  it("badSignature_failsInThePrecompile", async () => {
    const { digest, attestations } = await attest(
      fixture.verifiers.slice(0, 2),
      packet,
      1n,
      fixture.id,
    );
    const [first] = attestations;
    if (!first) throw new Error("no attestation");
    first.signature[0] = (first.signature[0] ?? 0) ^ 1;

    const outcome = await fixture.program.send(
      ed25519Instruction(attestations, digest),
      await deliverInstruction(fixture.id, { payer: fixture.program.payer, packet }),
    );

    // The runtime fails the precompile instruction (index 0) before Deliver runs.
    expect(outcome).toMatchObject({ ok: false, error: { index: 0 } });
  });

  /**
   * Plants the `DeliveredNonces` account of `key`'s path and range, at its
   * canonical address and bump, with the bits of `delivered` nonces set.
   */
  async function plantDeliveredNonces(key: DeliveredNonceKey, delivered: bigint[]) {
    const [address, bump] = await getProgramDerivedAddress({
      programAddress: fixture.id,
      seeds: deliveredNoncesSeeds(key),
    });
    const data = new Uint8Array(DELIVERED_NONCES_LEN);
    data.set([6, 1, bump]);
    for (const nonce of delivered) {
      const bit = Number(nonce % NONCES_PER_DELIVERED_ACCOUNT);
      data[3 + (bit >> 3)] = (data[3 + (bit >> 3)] ?? 0) | (1 << (bit & 7));
    }
    fixture.program.svm.setAccount({
      address,
      data,
      executable: false,
      lamports: lamports(10_000_000n),
      programAddress: fixture.id,
      space: BigInt(DELIVERED_NONCES_LEN),
    });
    return address;
  }

  it("alreadyDeliveredNonce_failsWithAlreadyDelivered", async () => {
    // Given the path's delivered nonces with this packet's nonce set (a
    // successful delivery is in the vault tests; here the account is planted
    // to isolate the check)
    const key = decodePacket(packet);
    await plantDeliveredNonces(key, [key.nonce]);

    expectCustomError(await deliver(fixture, packet), E.AlreadyDelivered);
  });

  it("otherNoncesOfTheRangeDelivered_passEndpointChecks", async () => {
    // Given every other nonce of the packet's range delivered
    const key = decodePacket(packet);
    const first = key.nonce - (key.nonce % NONCES_PER_DELIVERED_ACCOUNT);
    const others = Array.from({ length: 1024 }, (_, i) => first + BigInt(i)).filter(
      (nonce) => nonce !== key.nonce,
    );
    await plantDeliveredNonces(key, others);

    expectCustomError(await deliver(fixture, packet), passedEndpointChecks);
  });

  it("prefundedDeliveredNoncesAddress_stillDelivers", async () => {
    // Given lamports sent to the range's future account (anyone can)
    fixture.program.svm.airdrop(
      await pda.deliveredNonces(fixture.id, decodePacket(packet)),
      lamports(1n),
    );

    // then delivery still creates it (top up, allocate, assign).
    expectCustomError(await deliver(fixture, packet), passedEndpointChecks);
  });

  it("deliveredNoncesOfAnotherRange_failsWithInvalidPda", async () => {
    const key = decodePacket(packet);
    const nextRange = { ...key, nonce: key.nonce + NONCES_PER_DELIVERED_ACCOUNT };

    // Not yet created: not the canonical address of this packet's range.
    const missing = await pda.deliveredNonces(fixture.id, nextRange);
    expectCustomError(
      await deliver(fixture, packet, { overrides: { delivered: missing } }),
      E.InvalidPda,
    );
    // Created, with this nonce's bit clear: its stored bump derives another address.
    const created = await plantDeliveredNonces(nextRange, []);
    expectCustomError(
      await deliver(fixture, packet, { overrides: { delivered: created } }),
      E.InvalidPda,
    );
  });

  it("deliveredNoncesOfAnotherPath_failsWithInvalidPda", async () => {
    // The pool's path from the same source and the same nonce.
    const key = decodePacket(packet);
    const poolPath = await plantDeliveredNonces(
      { ...key, receiver: toHex(addressBytes(fixture.pool)) },
      [],
    );

    expectCustomError(
      await deliver(fixture, packet, { overrides: { delivered: poolPath } }),
      E.InvalidPda,
    );
  });

  it("anotherAccountOfTheProgramAsDeliveredNonces_isRefused", async () => {
    const outcome = await deliver(fixture, packet, {
      overrides: { delivered: await pda.peer(fixture.id, fixture.vault, REMOTE_EID) },
    });

    expectCustomError(outcome, E.InvalidAccountData);
  });

  it("otherDestination_failsWithWrongDestination", async () => {
    const elsewhere = inboundPacket(fixture.vault, loanActive, { dstEid: 30168 });

    expectCustomError(await deliver(fixture, elsewhere), E.WrongDestination);
  });

  it("receiverNeitherVaultNorPool_failsWithUnknownReceiver", async () => {
    const stranger = await generateKeyPairSigner();

    expectCustomError(
      await deliver(fixture, inboundPacket(stranger.address, loanActive)),
      E.UnknownReceiver,
    );
  });

  it("sourceWithoutPeer_failsWithUnknownPeer", async () => {
    const fromElsewhere = inboundPacket(fixture.vault, loanActive, { srcEid: 30101 });

    expectCustomError(await deliver(fixture, fromElsewhere), E.UnknownPeer);
  });

  it("senderOtherThanPeer_failsWithUnknownPeer", async () => {
    const impostor = inboundPacket(fixture.vault, loanActive, {
      sender: `0x${"00".repeat(12)}${"33".repeat(20)}`,
    });

    expectCustomError(await deliver(fixture, impostor), E.UnknownPeer);
  });

  it("unsetPeer_failsWithUnknownPeer", async () => {
    // Given the admin unset the vault's peer (zero remote app)
    expectOk(
      await fixture.program.send(
        await setPeerInstruction(fixture.id, {
          payer: fixture.program.payer,
          admin: fixture.admin,
          app: fixture.vault,
          remoteEid: REMOTE_EID,
          remoteApp: new Uint8Array(32),
        }),
      ),
    );
    // then even a zero sender is not taken for the peer (Nomad, Aug 2022).
    const zeroSender = inboundPacket(fixture.vault, loanActive, { sender: `0x${"00".repeat(32)}` });

    expectCustomError(await deliver(fixture, packet), E.UnknownPeer);
    expectCustomError(await deliver(fixture, zeroSender), E.UnknownPeer);
  });

  it("peerOfTheOtherApp_failsWithUnknownPeer", async () => {
    // The pool's peer account passed for a packet to the vault.
    const outcome = await deliver(fixture, packet, {
      overrides: { peer: await pda.peer(fixture.id, fixture.pool, REMOTE_EID) },
    });

    expectCustomError(outcome, E.UnknownPeer);
  });

  it("paused_failsWithEndpointPaused", async () => {
    expectOk(await fixture.program.send(await pauseInstruction(fixture.id, fixture.guardian)));

    expectCustomError(await deliver(fixture, packet), E.EndpointPaused);
  });

  it.each([
    ["tooShort", (bytes: Uint8Array) => bytes.subarray(0, 112), WireProgramError.PacketTooShort],
    [
      "wrongVersion",
      (bytes: Uint8Array) => Uint8Array.from(bytes, (b, i) => (i === 0 ? 2 : b)),
      WireProgramError.UnsupportedPacketVersion,
    ],
    [
      "guidMismatch",
      (bytes: Uint8Array) => Uint8Array.from(bytes, (b, i) => (i === 100 ? b ^ 1 : b)),
      WireProgramError.GuidMismatch,
    ],
  ])("malformedPacket_%s_failsWithWireError", async (_name, mangle, code) => {
    const bad = mangle(packet);
    const outcome = await fixture.program.send(
      await deliverInstruction(fixture.id, {
        payer: fixture.program.payer,
        packet: bad,
        overrides: {
          peer: await pda.peer(fixture.id, fixture.vault, REMOTE_EID),
          delivered: fixture.vault,
        },
      }),
    );

    expectCustomError(outcome, code);
  });

  it("wrongEndpointAccount_failsWithInvalidAccountOwner", async () => {
    const outcome = await deliver(fixture, packet, {
      overrides: { endpoint: fixture.program.payer.address },
    });

    expectCustomError(outcome, E.InvalidAccountOwner);
  });

  it("peerAccountOfAnotherProgramLayout_failsWithInvalidAccountData", async () => {
    // The endpoint account (owned by the program, another layout) as the peer.
    const outcome = await deliver(fixture, packet, { overrides: { peer: fixture.endpoint } });

    expectCustomError(outcome, E.InvalidAccountData);
  });

  it("payerNotSigning_failsWithMissingSignature", async () => {
    const [precompile, deliverIx] = await deliveryInstructions(fixture, packet);
    if (!precompile || !deliverIx?.accounts) throw new Error("no instructions");
    const notSigning = await fixture.program.fundedSigner();
    const accounts = [...deliverIx.accounts];
    accounts[0] = { address: notSigning.address, role: AccountRole.WRITABLE };

    const outcome = await fixture.program.send(precompile, { ...deliverIx, accounts });

    expectCustomError(outcome, E.MissingSignature);
  });
});

/** An instructions-sysvar-shaped buffer: [precompile(data), deliver(empty)], current = 1. */
function fakeInstructionsSysvar(precompileData: Uint8Array): Uint8Array {
  const parts: number[] = [];
  const u16 = (value: number) => parts.push(value & 0xff, value >> 8);
  u16(2);
  const offsetsAt = parts.length;
  u16(0);
  u16(0);
  const instruction = (programId: Uint8Array, data: Uint8Array) => {
    u16(0);
    parts.push(...programId);
    u16(data.length);
    parts.push(...data);
  };
  const first = parts.length;
  instruction(addressBytes(ED25519_PROGRAM_ADDRESS), precompileData);
  const second = parts.length;
  instruction(new Uint8Array(32), new Uint8Array());
  u16(1);
  const bytes = Uint8Array.from(parts);
  new DataView(bytes.buffer).setUint16(offsetsAt, first, true);
  new DataView(bytes.buffer).setUint16(offsetsAt + 2, second, true);
  return bytes;
}
