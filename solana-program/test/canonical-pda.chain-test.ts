// Accounts whose address must be unique for their key — a path's range of
// delivered nonces (the replay guard), a pool loan id, an answer packet's
// nonce — are created
// only at their canonical PDA. The program computes the canonical bump itself
// (src/pda.rs: sha256 and the curve check per try, no instruction-data bump),
// so an account at another bump of the same seeds, or at no PDA at all, is
// refused, and a delivered packet cannot be delivered again through one.
import { createHash } from "node:crypto";
import {
  decodePacket,
  type Hex,
  type LoanMessageOf,
  type Packet,
  toBytes,
  toHex,
} from "@loanbridge/shared";
import {
  AccountRole,
  type Address,
  generateKeyPairSigner,
  getAddressDecoder,
  getProgramDerivedAddress,
  type Instruction,
  isOffCurveAddress,
} from "@solana/kit";
import { beforeEach, describe, expect, it } from "vitest";
import {
  addressBytes,
  deliveredNoncesSeeds,
  LoanbridgeProgramError as E,
  leBytes,
  NONCES_PER_DELIVERED_ACCOUNT,
  pda,
  tokenBalance,
} from "../client/index.ts";
import {
  expectCustomError,
  expectOk,
  openLoanDelivery,
  openLoanMessage,
  type PoolFixture,
  REMOTE_EID,
  startPool,
  withAccount,
} from "./fixture.ts";

type Seeds = Uint8Array[];
const text = (value: string) => new TextEncoder().encode(value);

/** The address `seeds` and `bump` derive, or undefined when it is on the curve (no PDA). */
function pdaAtBump(program: Address, seeds: Seeds, bump: number): Address | undefined {
  const hash = createHash("sha256");
  for (const seed of seeds) hash.update(seed);
  hash.update(Uint8Array.of(bump));
  hash.update(addressBytes(program));
  hash.update(text("ProgramDerivedAddress"));
  const address = getAddressDecoder().decode(hash.digest());
  return isOffCurveAddress(address) ? address : undefined;
}

/** The canonical PDA of `seeds`. */
async function pdaOf(program: Address, seeds: Seeds): Promise<Address> {
  const [address] = await getProgramDerivedAddress({ programAddress: program, seeds });
  return address;
}

/** The next valid PDA below the canonical one: same seeds, another address. */
async function lowerBumpPda(program: Address, seeds: Seeds): Promise<Address> {
  const [, canonical] = await getProgramDerivedAddress({ programAddress: program, seeds });
  for (let bump = canonical - 1; bump >= 0; bump--) {
    const address = pdaAtBump(program, seeds, bump);
    if (address !== undefined) return address;
  }
  throw new Error("no second PDA for these seeds");
}

/** A random loan id whose pool loan PDA's canonical bump is at most `maxBump`. */
async function loanIdWithBumpAtMost(program: Address, maxBump: number): Promise<Hex> {
  for (;;) {
    const loanId = crypto.getRandomValues(new Uint8Array(32));
    const [, bump] = await getProgramDerivedAddress({
      programAddress: program,
      seeds: [text("pool_loan"), loanId],
    });
    if (bump <= maxBump) return toHex(loanId);
  }
}

/** Deliver's accounts: payer, endpoint, peer, delivered, sysvar, system program, then the pool's. */
const DELIVERED_INDEX = 3;
const POOL_LOAN_INDEX = 6 + 1;
const ANSWER_PACKET_INDEX = 6 + 8;

/** `instructions` (Ed25519, Deliver) with Deliver's account at `index` replaced by a writable `address`. */
function replacing(instructions: Instruction[], index: number, address: Address): Instruction[] {
  const deliver = instructions.at(-1);
  if (deliver === undefined) throw new Error("no Deliver instruction");
  return [
    ...instructions.slice(0, -1),
    withAccount(deliver, index, { address, role: AccountRole.WRITABLE }),
  ];
}

/** The packet a Deliver carries (data: discriminator, u32 length, packet). */
function packetOf(instructions: Instruction[]): Packet {
  const data = instructions.at(-1)?.data;
  if (data === undefined) throw new Error("no Deliver instruction");
  return decodePacket(data.subarray(5));
}

/** The seeds of the packet's delivered-nonces account, as raw bytes. */
const deliveredSeeds = (packet: Packet): Seeds =>
  deliveredNoncesSeeds(packet).map((seed) =>
    typeof seed === "string" ? text(seed) : Uint8Array.from(seed),
  );

describe("canonical PDAs of Deliver's new accounts", () => {
  let fixture: PoolFixture;
  let recipient: { tokens: Address; wallet: { address: Address } };
  let message: LoanMessageOf<"OPEN_LOAN">;
  let instructions: Instruction[];
  let packet: Packet;

  beforeEach(async () => {
    fixture = await startPool();
    recipient = await fixture.recipient();
    message = openLoanMessage(recipient.wallet.address);
    instructions = await openLoanDelivery(fixture, message, {
      recipientTokens: recipient.tokens,
    });
    packet = packetOf(instructions);
  });

  const send = (list: Instruction[]) => fixture.program.send(...list);
  const disbursed = () => tokenBalance(fixture.program.svm, recipient.tokens);

  it("theHelper_derivesTheClientsCanonicalAddress", async () => {
    const seeds = deliveredSeeds(packet);
    const [address, bump] = await getProgramDerivedAddress({
      programAddress: fixture.id,
      seeds,
    });

    expect(pdaAtBump(fixture.id, seeds, bump)).toBe(address);
    expect(await pda.deliveredNonces(fixture.id, packet)).toBe(address);
  });

  it("replayThroughAnotherBumpOrAForgedAccount_isRefused", async () => {
    // Given the packet delivered once (loan disbursed)
    expectOk(await send(instructions));
    const once = disbursed();
    expect(once).toBe(message.principal);

    // when it is replayed through its range's delivered-nonces PDA at a lower bump
    const lower = await lowerBumpPda(fixture.id, deliveredSeeds(packet));
    expectCustomError(await send(replacing(instructions, DELIVERED_INDEX, lower)), E.InvalidPda);
    // or through an address that is no PDA of it
    const forged = (await generateKeyPairSigner()).address;
    expectCustomError(await send(replacing(instructions, DELIVERED_INDEX, forged)), E.InvalidPda);
    // or through the delivered nonces of the next range, once they exist
    const nextRange = await openLoanDelivery(fixture, openLoanMessage(recipient.wallet.address), {
      recipientTokens: recipient.tokens,
      nonce: packet.nonce + NONCES_PER_DELIVERED_ACCOUNT,
    });
    expectOk(await send(nextRange));
    const other = await pda.deliveredNonces(fixture.id, packetOf(nextRange));
    expect(fixture.program.data(other)).not.toBeNull();
    expectCustomError(await send(replacing(instructions, DELIVERED_INDEX, other)), E.InvalidPda);
    // or as it was first sent
    expectCustomError(await send(instructions), E.AlreadyDelivered);

    // then nothing moved a second time (the next range's loan aside).
    expect(disbursed()).toBe(once + message.principal);
  });

  it("firstDeliveryThroughALowerBump_isRefused_andTheCanonicalOneDelivers", async () => {
    const lower = await lowerBumpPda(fixture.id, deliveredSeeds(packet));

    expectCustomError(await send(replacing(instructions, DELIVERED_INDEX, lower)), E.InvalidPda);
    expect(fixture.program.data(lower)).toBeNull();
    expectOk(await send(instructions));
  });

  it("poolLoanAtALowerBump_isRefused", async () => {
    const lower = await lowerBumpPda(fixture.id, [text("pool_loan"), toBytes(message.loanId)]);

    expectCustomError(await send(replacing(instructions, POOL_LOAN_INDEX, lower)), E.InvalidPda);
    expect(disbursed()).toBe(0n);
  });

  it("answerPacketAtALowerBump_isRefused", async () => {
    // An answer off its canonical address would be invisible to relayers,
    // who walk the pool's packets by nonce at canonical addresses.
    const seeds = [
      text("packet"),
      addressBytes(fixture.pool),
      leBytes(REMOTE_EID, 4),
      leBytes(fixture.packetNonce(), 8),
    ];
    const lower = await lowerBumpPda(fixture.id, seeds);

    expectCustomError(
      await send(replacing(instructions, ANSWER_PACKET_INDEX, lower)),
      E.InvalidPda,
    );
    expect(disbursed()).toBe(0n);
  });

  it("answerPacketAtALowerBumpAmongCandidates_isNeverCreated", async () => {
    // Given the next nonce's packet account at a lower bump as the first candidate
    const nonce = fixture.packetNonce();
    const seeds = (n: bigint) => [
      text("packet"),
      addressBytes(fixture.pool),
      leBytes(REMOTE_EID, 4),
      leBytes(n, 8),
    ];
    const lower = await lowerBumpPda(fixture.id, seeds(nonce));
    const candidates = await openLoanDelivery(fixture, message, {
      recipientTokens: recipient.tokens,
      packetCandidates: 2,
    });
    const afterLower = replacing(candidates, ANSWER_PACKET_INDEX, lower);

    // when the other candidate is the next nonce's but one, the delivery is refused;
    const skipping = replacing(
      afterLower,
      ANSWER_PACKET_INDEX + 1,
      await pdaOf(fixture.id, seeds(nonce + 1n)),
    );
    expectCustomError(await send(skipping), E.InvalidPda);
    // when it is the next nonce's at its canonical bump, the answer is created there only.
    const canonical = await pdaOf(fixture.id, seeds(nonce));
    expectOk(await send(replacing(afterLower, ANSWER_PACKET_INDEX + 1, canonical)));
    expect(fixture.program.data(lower)).toBeNull();
    expect(fixture.program.decode("OutboundPacket", canonical).guid).toBeInstanceOf(Uint8Array);
    expect(disbursed()).toBe(message.principal);
  });

  it("manyKeys_areCreatedAtTheClientsCanonicalBump", async () => {
    // Half the loan ids are chosen so their loan account's canonical bump is
    // at most 250 (six or more tries, five of them on the curve), half are
    // random; the delivered-nonces ranges and packet nonces vary too. Every created account
    // must hold the client's canonical bump.
    const bumps: number[] = [];
    for (let i = 0; i < 20; i++) {
      const packetNonce = fixture.packetNonce();
      const loanId = i % 2 === 0 ? { loanId: await loanIdWithBumpAtMost(fixture.id, 250) } : {};
      const next = openLoanMessage(recipient.wallet.address, loanId);
      // A nonce in a range of its own, so each delivery creates its range's account.
      const delivery = await openLoanDelivery(fixture, next, {
        recipientTokens: recipient.tokens,
        nonce: BigInt(i + 1) * NONCES_PER_DELIVERED_ACCOUNT + BigInt(i),
      });
      expectOk(await send(delivery));
      const created: Seeds[] = [
        deliveredSeeds(packetOf(delivery)),
        [text("pool_loan"), toBytes(next.loanId)],
        [
          text("packet"),
          addressBytes(fixture.pool),
          leBytes(REMOTE_EID, 4),
          leBytes(packetNonce, 8),
        ],
      ];
      for (const seeds of created) {
        const [address, bump] = await getProgramDerivedAddress({
          programAddress: fixture.id,
          seeds,
        });
        expect(fixture.program.data(address)?.[2]).toBe(bump);
        bumps.push(bump);
      }
    }
    expect(Math.min(...bumps)).toBeLessThanOrEqual(250);
  });
});
