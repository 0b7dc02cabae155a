// The Deliver lookup table as the relayer compiles with it: an accepted
// OPEN_LOAN with 3 signatures and both compute-budget instructions fits
// 1,232 bytes through the table and not without it; the table account's
// layout as the Address Lookup Table program writes it.
import {
  addressToWire,
  encodeLoanMessage,
  encodePacket,
  packetAttestationDigest,
  toBytes,
  toHex,
} from "@loanbridge/shared";
import {
  type Address,
  type Blockhash,
  generateKeyPairSigner,
  getAddressEncoder,
} from "@solana/kit";
import { describe, expect, it } from "vitest";
import { addressBytes, signAttestation } from "./ed25519.ts";
import { IDL_PROGRAM_ADDRESS } from "./idl.ts";
import { deliverInstructions } from "./instructions.ts";
import {
  decodeLookupTable,
  deliverLookupTableAddresses,
  extendLookupTableInstruction,
  LookupTableError,
  type LookupTable,
  usableLookupTableAddresses,
} from "./lookup-table.ts";
import { PACKET_DATA_SIZE } from "./padding.ts";
import { pda } from "./pda.ts";
import { poolReceiveAccounts } from "./pool.ts";
import { signV0Transaction } from "./transaction.ts";

const PROGRAM = IDL_PROGRAM_ADDRESS;
const REMOTE_EID = 40_161;
const PRICE_ID = new Uint8Array(32).fill(0xe7);
const BLOCKHASH = "EkSnNWid2cvwEVnVx9aBqawnmiCNiDgp3gUdkDPTKN1N" as Blockhash;

/** `Deliver` of an accepted OPEN_LOAN (every pool account) signed by `verifiers` verifiers. */
async function openLoanDelivery(verifiers: number) {
  const payer = await generateKeyPairSigner();
  const recipient = await generateKeyPairSigner();
  const loanId = crypto.getRandomValues(new Uint8Array(32));
  const pool = await pda.pool(PROGRAM);
  const packet = encodePacket(
    {
      nonce: 7n,
      srcEid: REMOTE_EID,
      sender: addressToWire("0x1111111111111111111111111111111111111111"),
      dstEid: 40_168,
      receiver: toHex(addressBytes(pool)),
    },
    encodeLoanMessage({
      type: "OPEN_LOAN",
      loanId: toHex(loanId),
      borrower: addressToWire("0x5555555555555555555555555555555555555555"),
      recipient: toHex(addressBytes(recipient.address)),
      collateralAsset: toHex(new Uint8Array(32)),
      collateralAmount: 10n ** 18n,
      principal: 1_000_000_000n,
      maxRateBps: 800,
      termSeconds: 30n * 86_400n,
      expiresAt: 1_900_000_000n,
      installments: 1,
    }),
  );
  const digest = toBytes(packetAttestationDigest(toHex(addressBytes(PROGRAM)), 1n, packet));
  const signers = await Promise.all(Array.from({ length: verifiers }, generateKeyPairSigner));
  const instructions = await deliverInstructions(PROGRAM, {
    payer,
    packet,
    digest,
    attestations: await Promise.all(signers.map((signer) => signAttestation(signer, digest))),
    appAccounts: await poolReceiveAccounts(PROGRAM, {
      loanId,
      srcEid: REMOTE_EID,
      packetNonce: 12n,
      asset: new Uint8Array(32),
      priceId: PRICE_ID,
      recipientTokens: (await generateKeyPairSigner()).address,
    }),
  });
  return { payer, instructions };
}

async function size(verifiers: number, table: Address[] | undefined): Promise<number> {
  const { payer, instructions } = await openLoanDelivery(verifiers);
  const { size } = await signV0Transaction({
    feePayer: payer,
    instructions,
    lifetime: { blockhash: BLOCKHASH, lastValidBlockHeight: 1_000n },
    // The largest values: the instructions' sizes do not depend on them.
    budget: { units: 1_400_000, microLamports: 0xffff_ffff_ffff_ffffn },
    ...(table && { lookupTables: { [(await generateKeyPairSigner()).address]: table } }),
  });
  return size;
}

describe("the Deliver lookup table", () => {
  it("openLoanWithThreeSignaturesAndTheComputeBudget_fitsThroughTheTable_andNotWithout", async () => {
    const table = await deliverLookupTableAddresses(PROGRAM, {
      remoteEid: REMOTE_EID,
      priceId: PRICE_ID,
    });

    const through = await size(3, table);
    const inline = await size(3, undefined);

    console.log(
      `OPEN_LOAN, 3 signatures + compute budget: ${inline} bytes inline, ${through} through the table`,
    );
    expect(through).toBeLessThan(PACKET_DATA_SIZE);
    expect(inline).toBeGreaterThan(PACKET_DATA_SIZE);
  });

  it("tableMissingAccounts_leavesThemInline_32BytesEach", async () => {
    const table = await deliverLookupTableAddresses(PROGRAM, {
      remoteEid: REMOTE_EID,
      priceId: PRICE_ID,
    });

    const left = new Set([
      await pda.endpoint(PROGRAM),
      await pda.pool(PROGRAM),
      await pda.liquidity(PROGRAM),
    ]);

    const full = await size(2, table);
    const partial = await size(
      2,
      table.filter((entry) => !left.has(entry)),
    );

    // Each account left out: 32 bytes of key in, one index byte out.
    expect(partial - full).toBe(3 * 31);
  });

  it("addresses_areTheStaticAccountsOfEveryDeliver_andNoInvokedProgram", async () => {
    const vaultAsset = (await generateKeyPairSigner()).address;

    const addresses = await deliverLookupTableAddresses(PROGRAM, {
      remoteEid: REMOTE_EID,
      priceId: PRICE_ID,
      vaultAssets: [vaultAsset],
    });

    expect(new Set(addresses).size).toBe(addresses.length);
    expect(addresses).toContain(await pda.endpoint(PROGRAM));
    expect(addresses).toContain(await pda.custody(PROGRAM, vaultAsset));
    expect(addresses).not.toContain(PROGRAM);
    expect(addresses).toHaveLength(13);
  });
});

/** A table account's data as the program lays it out. */
function tableData(
  table: Omit<LookupTable, "authority"> & { authority?: Address | null },
): Uint8Array {
  const data = new Uint8Array(56 + 32 * table.addresses.length);
  const view = new DataView(data.buffer);
  view.setUint32(0, 1, true);
  view.setBigUint64(4, table.deactivationSlot, true);
  view.setBigUint64(12, table.lastExtendedSlot, true);
  data[20] = table.lastExtendedStartIndex;
  if (table.authority != null) {
    data[21] = 1;
    data.set(getAddressEncoder().encode(table.authority), 22);
  }
  table.addresses.forEach((entry, index) => {
    data.set(getAddressEncoder().encode(entry), 56 + 32 * index);
  });
  return data;
}

describe("decodeLookupTable / usableLookupTableAddresses", () => {
  const ACTIVE = 0xffff_ffff_ffff_ffffn;

  it("decodesTheLayout_andExtendWritesTheSameAddresses", async () => {
    const authority = await generateKeyPairSigner();
    const addresses = [authority.address, (await generateKeyPairSigner()).address];
    const extend = extendLookupTableInstruction({
      table: authority.address,
      authority,
      payer: authority,
      addresses,
    });

    const table = decodeLookupTable(
      tableData({
        deactivationSlot: ACTIVE,
        lastExtendedSlot: 9n,
        lastExtendedStartIndex: 1,
        authority: authority.address,
        addresses,
      }),
    );

    expect(table).toEqual({
      deactivationSlot: ACTIVE,
      lastExtendedSlot: 9n,
      lastExtendedStartIndex: 1,
      authority: authority.address,
      addresses,
    });
    // ExtendLookupTable: u32 2, u64 count, then the addresses as the table stores them.
    const data = extend.data ?? new Uint8Array();
    expect([...data.subarray(0, 12)]).toEqual([2, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0]);
    expect(data.subarray(12)).toEqual(tableData({ ...table, authority: null }).subarray(56));
  });

  it("addressesOfTheLastExtension_areUsableFromTheNextSlot", async () => {
    const addresses = [
      (await generateKeyPairSigner()).address,
      (await generateKeyPairSigner()).address,
    ];
    const table = decodeLookupTable(
      tableData({
        deactivationSlot: ACTIVE,
        lastExtendedSlot: 9n,
        lastExtendedStartIndex: 1,
        addresses,
      }),
    );

    expect(usableLookupTableAddresses(table, 9n)).toEqual(addresses.slice(0, 1));
    expect(usableLookupTableAddresses(table, 10n)).toEqual(addresses);
  });

  it("deactivatedTable_offersNothing", async () => {
    const addresses = [(await generateKeyPairSigner()).address];
    const table = decodeLookupTable(
      tableData({
        deactivationSlot: 5n,
        lastExtendedSlot: 1n,
        lastExtendedStartIndex: 0,
        addresses,
      }),
    );

    expect(usableLookupTableAddresses(table, 10n)).toEqual([]);
  });

  it("otherData_isALookupTableError", () => {
    const uninitialized = tableData({
      deactivationSlot: ACTIVE,
      lastExtendedSlot: 0n,
      lastExtendedStartIndex: 0,
      addresses: [],
    });
    uninitialized[0] = 0;

    for (const [data, message] of [
      [new Uint8Array(55), "not a lookup table: 55 bytes"],
      [new Uint8Array(56 + 31), "not a lookup table: 87 bytes"],
      [uninitialized, "not a lookup table: type 0"],
    ] as const) {
      expect(() => decodeLookupTable(data)).toThrow(LookupTableError);
      expect(() => decodeLookupTable(data)).toThrow(message);
    }
  });
});
