// Every cross-language test vector, built from the TypeScript implementation.
// `scripts/generate-vectors.ts` writes them to the JSON files beside this one;
// the TypeScript, Solidity and Rust suites all read those files.
import {
  accruedInterest,
  addressToWire,
  annuitySchedule,
  ATTESTATION_DOMAIN,
  attestationDigest,
  collateralValue,
  decodePacket,
  encodeLoanMessage,
  encodePacket,
  exceedsLtv,
  type Hex,
  installmentDueTimes,
  type LoanMessage,
  MESSAGE_LAYOUTS,
  messageLength,
  type MessageTypeName,
  type PacketHeader,
  packetHeaderBytes,
  payloadHash,
  RejectReason,
  type RejectReasonName,
  toHex,
  type WireErrorName,
  wireToEvmAddress,
} from "../src/index.ts";

const U16_MAX = 2 ** 16 - 1;
const U32_MAX = 2 ** 32 - 1;
const U64_MAX = 2n ** 64n - 1n;
const U128_MAX = 2n ** 128n - 1n;
const ONES: Hex = `0x${"ff".repeat(32)}`;
const ZERO: Hex = `0x${"00".repeat(32)}`;
const repeat = (byte: string): Hex => `0x${byte.repeat(32)}`;

// Realistic addresses: EVM ones left-padded, Solana keys as is.
const EVM_BORROWER = addressToWire("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
const EVM_VAULT = addressToWire("0x5FbDB2315678afecb367f032d93F642f64180aa3");
const EVM_USDC = addressToWire("0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48");
const SOLANA_POOL = addressToWire("LbPoo1AvUQF4rNXWXR5uZ4SQCYxqTqbTt1WePn8dB6z");
const SOLANA_BORROWER = addressToWire("9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM");
const SPL_TOKEN_MINT = addressToWire("So11111111111111111111111111111111111111112");

type Invalid = { name: string; encoded: Hex; error: WireErrorName };

const hex = (bytes: Uint8Array | number[]): Hex => toHex(Uint8Array.from(bytes));

// --- loan messages ------------------------------------------------------------

const validMessages: { name: string; message: LoanMessage }[] = [
  {
    name: "open_loan_eth_collateral_to_solana",
    message: {
      type: "OPEN_LOAN",
      loanId: repeat("a1"),
      borrower: EVM_BORROWER,
      recipient: SOLANA_BORROWER,
      collateralAsset: ZERO,
      collateralAmount: 25n * 10n ** 18n, // 25 ETH in wei: above u64
      principal: 40_000n * 10n ** 6n,
      maxRateBps: 1_200,
      termSeconds: 30n * 86_400n,
      expiresAt: 1_767_225_600n,
      installments: 1,
    },
  },
  {
    name: "open_loan_spl_collateral_to_evm",
    message: {
      type: "OPEN_LOAN",
      loanId: repeat("b2"),
      borrower: SOLANA_BORROWER,
      recipient: EVM_BORROWER,
      collateralAsset: SPL_TOKEN_MINT,
      collateralAmount: 150n * 10n ** 9n,
      principal: 9_000n * 10n ** 6n,
      maxRateBps: 800,
      termSeconds: 7n * 86_400n,
      expiresAt: 1_767_229_200n,
      installments: 3,
    },
  },
  {
    name: "open_loan_360_monthly_installments",
    message: {
      type: "OPEN_LOAN",
      loanId: repeat("d4"),
      borrower: EVM_BORROWER,
      recipient: SOLANA_BORROWER,
      collateralAsset: EVM_USDC,
      collateralAmount: 500_000n * 10n ** 6n,
      principal: 250_000n * 10n ** 6n,
      maxRateBps: 650,
      termSeconds: 360n * 30n * 86_400n,
      expiresAt: 1_767_232_800n,
      installments: 360,
    },
  },
  {
    name: "open_loan_max_values",
    message: {
      type: "OPEN_LOAN",
      loanId: ONES,
      borrower: ONES,
      recipient: ONES,
      collateralAsset: ONES,
      collateralAmount: U128_MAX,
      principal: U128_MAX,
      maxRateBps: U32_MAX,
      termSeconds: U64_MAX,
      expiresAt: U64_MAX,
      installments: U16_MAX,
    },
  },
  {
    name: "open_loan_zero_values",
    message: {
      type: "OPEN_LOAN",
      loanId: ZERO,
      borrower: ZERO,
      recipient: ZERO,
      collateralAsset: ZERO,
      collateralAmount: 0n,
      principal: 0n,
      maxRateBps: 0,
      termSeconds: 0n,
      expiresAt: 0n,
      installments: 0,
    },
  },
  {
    name: "loan_active_typical",
    message: {
      type: "LOAN_ACTIVE",
      loanId: repeat("a1"),
      principal: 40_000n * 10n ** 6n,
      rateBps: 950,
      startTime: 1_767_225_000n,
      dueTime: 1_769_817_000n,
    },
  },
  {
    name: "loan_active_max_values",
    message: {
      type: "LOAN_ACTIVE",
      loanId: ONES,
      principal: U128_MAX,
      rateBps: U32_MAX,
      startTime: U64_MAX,
      dueTime: U64_MAX,
    },
  },
  ...Object.keys(RejectReason).map((reason) => ({
    name: `loan_rejected_${reason}`,
    message: {
      type: "LOAN_REJECTED" as const,
      loanId: repeat("c3"),
      reason: reason as RejectReasonName,
    },
  })),
  {
    name: "repaid_with_interest",
    message: { type: "REPAID", loanId: repeat("a1"), amountRepaid: 40_312_328_767n },
  },
  { name: "repaid_zero", message: { type: "REPAID", loanId: ZERO, amountRepaid: 0n } },
  { name: "repaid_max", message: { type: "REPAID", loanId: ONES, amountRepaid: U128_MAX } },
  {
    name: "defaulted_to_evm_beneficiary",
    message: {
      type: "DEFAULTED",
      loanId: repeat("b2"),
      outstanding: 9_123_456_789n,
      beneficiary: EVM_VAULT,
    },
  },
  {
    name: "defaulted_max_values",
    message: { type: "DEFAULTED", loanId: ONES, outstanding: U128_MAX, beneficiary: ONES },
  },
  {
    name: "liquidated_to_solana_beneficiary",
    message: {
      type: "LIQUIDATED",
      loanId: repeat("a1"),
      outstanding: 40_100_000_000n,
      beneficiary: SOLANA_POOL,
    },
  },
  {
    name: "liquidated_zero_values",
    message: { type: "LIQUIDATED", loanId: ZERO, outstanding: 0n, beneficiary: ZERO },
  },
];

const sampleOf = (type: MessageTypeName): Uint8Array => {
  const sample = validMessages.find(({ message }) => message.type === type);
  if (!sample) throw new Error(`no valid vector of type ${type}`);
  return encodeLoanMessage(sample.message);
};

const withByte = (bytes: Uint8Array, index: number, value: number): Uint8Array => {
  const copy = bytes.slice();
  copy[index] = value;
  return copy;
};

const invalidMessages: Invalid[] = [
  { name: "empty", encoded: "0x", error: "MessageTooShort" },
  { name: "version_only", encoded: "0x01", error: "MessageTooShort" },
  {
    name: "version_0",
    encoded: hex(withByte(sampleOf("REPAID"), 0, 0)),
    error: "UnsupportedMessageVersion",
  },
  {
    // Version 1 had no OPEN_LOAN.installments; its messages are refused by version first.
    name: "version_1",
    encoded: hex(withByte(sampleOf("REPAID"), 0, 1)),
    error: "UnsupportedMessageVersion",
  },
  {
    name: "version_3",
    encoded: hex(withByte(sampleOf("REPAID"), 0, 3)),
    error: "UnsupportedMessageVersion",
  },
  { name: "version_checked_before_type", encoded: "0x0109", error: "UnsupportedMessageVersion" },
  { name: "type_0", encoded: hex(withByte(sampleOf("REPAID"), 1, 0)), error: "UnknownMessageType" },
  { name: "type_7", encoded: hex(withByte(sampleOf("REPAID"), 1, 7)), error: "UnknownMessageType" },
  {
    name: "type_255",
    encoded: hex(withByte(sampleOf("REPAID"), 1, 255)),
    error: "UnknownMessageType",
  },
  { name: "type_checked_before_length", encoded: "0x0209", error: "UnknownMessageType" },
  ...(Object.keys(MESSAGE_LAYOUTS) as MessageTypeName[]).flatMap((type): Invalid[] => {
    const bytes = sampleOf(type);
    return [
      { name: `${type}_header_only`, encoded: hex(bytes.subarray(0, 2)), error: "MessageTooShort" },
      {
        name: `${type}_truncated_by_one`,
        encoded: hex(bytes.subarray(0, -1)),
        error: "MessageTooShort",
      },
      { name: `${type}_trailing_byte`, encoded: hex([...bytes, 0]), error: "MessageTooLong" },
    ];
  }),
  {
    // The 182-byte layout from before `installments`, as a sender not yet upgraded sends it.
    name: "OPEN_LOAN_version_1_without_installments",
    encoded: hex(withByte(sampleOf("OPEN_LOAN"), 0, 1).subarray(0, messageLength("OPEN_LOAN") - 2)),
    error: "UnsupportedMessageVersion",
  },
  {
    name: "OPEN_LOAN_version_2_without_installments",
    encoded: hex(sampleOf("OPEN_LOAN").subarray(0, messageLength("OPEN_LOAN") - 2)),
    error: "MessageTooShort",
  },
  {
    name: "DEFAULTED_type_with_OPEN_LOAN_length",
    encoded: hex(withByte(sampleOf("OPEN_LOAN"), 1, MESSAGE_LAYOUTS.DEFAULTED.code)),
    error: "MessageTooLong",
  },
  {
    name: "length_checked_before_reject_reason",
    encoded: hex([
      ...withByte(sampleOf("LOAN_REJECTED"), messageLength("LOAN_REJECTED") - 1, 0),
      0,
    ]),
    error: "MessageTooLong",
  },
  ...[0, 8, 255].map((reason): Invalid => ({
    name: `rejected_reason_${reason}`,
    encoded: hex(withByte(sampleOf("LOAN_REJECTED"), messageLength("LOAN_REJECTED") - 1, reason)),
    error: "UnknownRejectReason",
  })),
];

// --- packets ------------------------------------------------------------------

const validPackets: { name: string; header: PacketHeader; message: Uint8Array }[] = [
  {
    name: "open_loan_ethereum_to_solana",
    header: { nonce: 1n, srcEid: 30101, sender: EVM_VAULT, dstEid: 30168, receiver: SOLANA_POOL },
    message: sampleOf("OPEN_LOAN"),
  },
  {
    name: "repaid_solana_to_ethereum",
    header: { nonce: 42n, srcEid: 30168, sender: SOLANA_POOL, dstEid: 30101, receiver: EVM_VAULT },
    message: sampleOf("REPAID"),
  },
  {
    name: "empty_message",
    header: {
      nonce: 7n,
      srcEid: 40161,
      sender: EVM_USDC,
      dstEid: 40168,
      receiver: SOLANA_BORROWER,
    },
    message: new Uint8Array(),
  },
  {
    name: "max_header_values",
    header: { nonce: U64_MAX, srcEid: U32_MAX, sender: ONES, dstEid: U32_MAX, receiver: ONES },
    message: sampleOf("LIQUIDATED"),
  },
  {
    name: "zero_header_values",
    header: { nonce: 0n, srcEid: 0, sender: ZERO, dstEid: 0, receiver: ZERO },
    message: Uint8Array.of(0xde, 0xad, 0xbe, 0xef),
  },
];

const encodedPackets = validPackets.map(({ name, header, message }) => ({
  name,
  bytes: encodePacket(header, message),
}));

const samplePacket = (): Uint8Array => {
  const first = encodedPackets[0];
  if (!first) throw new Error("no valid packet vector");
  return first.bytes;
};

const invalidPackets: Invalid[] = [
  { name: "empty", encoded: "0x", error: "PacketTooShort" },
  {
    name: "header_and_guid_minus_one",
    encoded: hex(samplePacket().subarray(0, 112)),
    error: "PacketTooShort",
  },
  {
    name: "version_0",
    encoded: hex(withByte(samplePacket(), 0, 0)),
    error: "UnsupportedPacketVersion",
  },
  {
    name: "version_2",
    encoded: hex(withByte(samplePacket(), 0, 2)),
    error: "UnsupportedPacketVersion",
  },
  {
    // The guid does not cover the version byte, so this also needs a bad guid
    // to show the version is checked first.
    name: "version_checked_before_guid",
    encoded: hex(withByte(withByte(samplePacket(), 0, 2), 81, (samplePacket()[81] ?? 0) ^ 1)),
    error: "UnsupportedPacketVersion",
  },
  {
    name: "length_checked_before_version",
    encoded: hex(withByte(samplePacket(), 0, 2).subarray(0, 112)),
    error: "PacketTooShort",
  },
  {
    name: "guid_bit_flipped",
    encoded: hex(withByte(samplePacket(), 81, (samplePacket()[81] ?? 0) ^ 1)),
    error: "GuidMismatch",
  },
  {
    name: "nonce_changed_after_guid",
    encoded: hex(withByte(samplePacket(), 8, 2)),
    error: "GuidMismatch",
  },
  {
    name: "dst_eid_changed_after_guid",
    encoded: hex(withByte(samplePacket(), 48, 0)),
    error: "GuidMismatch",
  },
  {
    // A zero hash must never pass as proven (Nomad, 2022).
    name: "zero_guid",
    encoded: hex([
      ...samplePacket().subarray(0, 81),
      ...new Uint8Array(32),
      ...samplePacket().subarray(113),
    ]),
    error: "GuidMismatch",
  },
];

// --- attestations and addresses --------------------------------------------

const epochs = [0n, 1n, 7n, U64_MAX];
// Destination endpoints as bytes32: an EVM address (left-padded), a Solana program id, all-ones.
const endpoints: Hex[] = [
  addressToWire("0x5FbDB2315678afecb367f032d93F642f64180aa3"),
  addressToWire("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"),
  hex(new Uint8Array(32).fill(0xff)),
];

const attestations = encodedPackets.flatMap(({ name, bytes }, index) => {
  const epoch = epochs[index % epochs.length] ?? 0n;
  const endpoint = endpoints[index % endpoints.length] ?? ONES;
  const packet = decodePacket(bytes);
  const hash = payloadHash(packet);
  return {
    name: `${name}_epoch_${epoch}`,
    endpoint,
    epoch,
    packet: hex(bytes),
    header: hex(packetHeaderBytes(bytes)),
    payloadHash: hash,
    digest: attestationDigest(endpoint, epoch, packetHeaderBytes(bytes), hash),
  };
});

const validEvmAddresses = [
  "0x0000000000000000000000000000000000000000",
  "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
  "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48",
  "0xFFfFfFffFFfffFFfFFfFFFFFffFFFffffFfFFFfF",
].map((address) => {
  const bytes32 = addressToWire(address);
  return {
    name: `address_${address.slice(2, 10).toLowerCase()}`,
    bytes32,
    address: wireToEvmAddress(bytes32),
  };
});

const invalidEvmAddresses = [
  { name: "first_byte_set", bytes32: `0x01${"00".repeat(11)}${"ab".repeat(20)}` },
  { name: "twelfth_byte_set", bytes32: `0x${"00".repeat(11)}01${"ab".repeat(20)}` },
  { name: "all_ones", bytes32: ONES },
  { name: "solana_key", bytes32: SOLANA_POOL },
].map((vector) => ({ ...vector, error: "NotAnEvmAddress" as const }));

// --- loan arithmetic (LOANS.md) ----------------------------------------------

/** A fixed-seed generator (xorshift64*), so "random" cases are the same on every run. */
function seededBigInts(seed: bigint): (bits: number) => bigint {
  let state = seed;
  const next64 = (): bigint => {
    state ^= state >> 12n;
    state ^= (state << 25n) & U64_MAX;
    state ^= state >> 27n;
    return (state * 0x2545f4914f6cdd1dn) & U64_MAX;
  };
  return (bits) => {
    let value = 0n;
    for (let filled = 0; filled < bits; filled += 64) value = (value << 64n) | next64();
    // A random width up to `bits`, so small and large magnitudes both appear.
    const width = BigInt(Number(next64() % BigInt(bits + 1)));
    return value & ((1n << width) - 1n);
  };
}

const randomBits = seededBigInts(0x10a2b41d6e5n);
const YEAR = 31_536_000n;

const interestCases = [
  {
    name: "typical_30_days",
    principal: 40_000n * 10n ** 6n,
    rateBps: 950n,
    elapsedSeconds: 30n * 86_400n,
  },
  { name: "one_year_at_10_percent", principal: 1_000_000n, rateBps: 1_000n, elapsedSeconds: YEAR },
  { name: "rounds_down_to_zero", principal: 1n, rateBps: 1n, elapsedSeconds: 1n },
  { name: "zero_elapsed", principal: 5n * 10n ** 12n, rateBps: 2_000n, elapsedSeconds: 0n },
  { name: "zero_rate", principal: 5n * 10n ** 12n, rateBps: 0n, elapsedSeconds: YEAR },
  { name: "max_widths", principal: U128_MAX, rateBps: BigInt(U32_MAX), elapsedSeconds: U64_MAX },
  { name: "max_principal_one_year", principal: U128_MAX, rateBps: 10_000n, elapsedSeconds: YEAR },
  ...Array.from({ length: 24 }, (_, i) => ({
    name: `seeded_${i}`,
    principal: randomBits(128),
    rateBps: randomBits(32),
    elapsedSeconds: randomBits(64),
  })),
].map((c) => ({ ...c, interest: accruedInterest(c.principal, c.rateBps, c.elapsedSeconds) }));

const valueCases = [
  { name: "eth_25_at_3000_usd", amount: 25n * 10n ** 18n, price: 3_000n * 10n ** 6n },
  { name: "sol_150_at_150_usd", amount: 150n * 10n ** 9n, price: 150n * 10n ** 6n * 10n ** 9n },
  { name: "one_wei_rounds_down", amount: 1n, price: 10n ** 17n },
  { name: "zero_amount", amount: 0n, price: 3_000n * 10n ** 6n },
  { name: "max_widths", amount: U128_MAX, price: U128_MAX },
  ...Array.from({ length: 24 }, (_, i) => ({
    name: `seeded_${i}`,
    amount: randomBits(128),
    price: randomBits(128),
  })),
].map((c) => ({ ...c, value: collateralValue(c.amount, c.price) }));

const ltvCases = [
  { name: "exactly_at_limit_is_not_above", debt: 5_000n, value: 10_000n, ltvBps: 5_000n },
  { name: "one_above_limit", debt: 5_001n, value: 10_000n, ltvBps: 5_000n },
  { name: "zero_value_with_debt", debt: 1n, value: 0n, ltvBps: 8_000n },
  { name: "zero_debt", debt: 0n, value: 0n, ltvBps: 0n },
  {
    name: "value_above_u128",
    debt: U128_MAX,
    value: collateralValue(U128_MAX, U128_MAX),
    ltvBps: 1n,
  },
  { name: "max_debt_max_value_full_ltv", debt: U128_MAX, value: U128_MAX, ltvBps: 10_000n },
  ...Array.from({ length: 24 }, (_, i) => ({
    name: `seeded_${i}`,
    debt: randomBits(128),
    value: randomBits(196),
    ltvBps: randomBits(14),
  })),
].map((c) => ({ ...c, exceeds: exceedsLtv(c.debt, c.value, c.ltvBps) }));

// --- installment schedules (LOANS.md "Installments") ----------------------------

const DAY = 86_400n;
const scheduleLabels: [string, bigint][] = [
  ["1", 1n],
  ["2", 2n],
  ["999", 999n],
  ["1500000000", 1_500_000_000n],
  ["u64max_minus_1", U64_MAX - 1n],
  ["u64max", U64_MAX],
];
// Rows of a 360-installment schedule are 360 lines each: a handful pins the
// long tail of rounding, the rest check periodRate and payment only.
const full360 = new Set([
  "n360_rate800_period2592000_principal_1500000000",
  "n360_rate10000_period2592000_principal_u64max",
  "n360_rate10000_period86400_principal_999",
]);

const scheduleTerms = [
  ...[1, 2, 12, 360].flatMap((installments) =>
    [0n, 1n, 800n, 10_000n, 100_000n].flatMap((rateBps) =>
      [3_600n, DAY, 30n * DAY, 365n * DAY].flatMap((periodSeconds) =>
        scheduleLabels.map(([label, principal]) => {
          const name = `n${installments}_rate${rateBps}_period${periodSeconds}_principal_${label}`;
          const withRows = installments < 360 || full360.has(name);
          return { name, principal, rateBps, periodSeconds, installments, withRows };
        }),
      ),
    ),
  ),
  ...(() => {
    // Its own seed, so these cases do not shift the loan-math ones. Rates and
    // periods stay within 1000% a year and one year, and principals within
    // u64, so Rust's u128 arithmetic holds every intermediate.
    const random = seededBigInts(0x5c4ed01e5n);
    return Array.from({ length: 20 }, (_, i) => {
      const installments = 1 + Number(random(9) % 360n);
      return {
        name: `seeded_${i}`,
        principal: random(64),
        rateBps: random(17) % 100_001n,
        periodSeconds: random(25) % (365n * DAY + 1n),
        installments,
        withRows: installments <= 24,
      };
    });
  })(),
];

const schedules = scheduleTerms.map(({ withRows, ...terms }) => {
  const { periodRate, payment, rows } = annuitySchedule(terms);
  return {
    ...terms,
    periodRate,
    payment,
    ...(withRows ? { rows: rows.map(({ interest, principal }) => ({ interest, principal })) } : {}),
  };
});

const dueTimeCases = [
  {
    name: "bullet_30_days_hour_buckets",
    startTime: 1_767_225_000n,
    periodSeconds: 30n * DAY,
    installments: 1,
    dueBucketSeconds: 3_600n,
  },
  {
    name: "monthly_12_day_buckets",
    startTime: 1_767_225_000n,
    periodSeconds: 30n * DAY,
    installments: 12,
    dueBucketSeconds: DAY,
  },
  {
    name: "weekly_on_bucket_boundary",
    startTime: 1_767_225_600n,
    periodSeconds: 7n * DAY,
    installments: 4,
    dueBucketSeconds: 3_600n,
  },
  {
    name: "unit_buckets_do_not_round",
    startTime: 1_767_225_001n,
    periodSeconds: DAY,
    installments: 3,
    dueBucketSeconds: 1n,
  },
  {
    name: "buckets_wider_than_the_period",
    startTime: 1_767_225_000n,
    periodSeconds: 3_600n,
    installments: 6,
    dueBucketSeconds: 7n * DAY,
  },
  { name: "zero_start", startTime: 0n, periodSeconds: DAY, installments: 2, dueBucketSeconds: 7n },
  {
    name: "monthly_360",
    startTime: 1_767_225_000n,
    periodSeconds: 30n * DAY,
    installments: 360,
    dueBucketSeconds: DAY,
  },
  {
    // Large but within u64, which is where the chains keep times.
    name: "large_times",
    startTime: 1n << 63n,
    periodSeconds: (1n << 40n) + 1n,
    installments: 3,
    dueBucketSeconds: 1n << 32n,
  },
  ...(() => {
    const random = seededBigInts(0xd0e71e5n);
    return Array.from({ length: 10 }, (_, i) => ({
      name: `seeded_${i}`,
      startTime: random(40),
      periodSeconds: random(25),
      installments: 1 + Number(random(6) % 24n),
      dueBucketSeconds: 1n + random(20),
    }));
  })(),
].map((c) => ({
  ...c,
  dueTimes: installmentDueTimes(c.startTime, c.periodSeconds, c.installments, c.dueBucketSeconds),
}));

/** The vector files by name, as plain JSON values. */
export function buildVectors(): Record<string, unknown> {
  return {
    "packets.json": {
      valid: validPackets.map(({ name, header, message }, index) => {
        const bytes = encodedPackets[index]?.bytes ?? new Uint8Array();
        const packet = decodePacket(bytes);
        return {
          name,
          ...header,
          guid: packet.guid,
          message: hex(message),
          header: hex(packetHeaderBytes(bytes)),
          payloadHash: payloadHash(packet),
          encoded: hex(bytes),
        };
      }),
      invalid: invalidPackets,
    },
    "loan-messages.json": {
      valid: validMessages.map(({ name, message: { type, ...fields } }) => ({
        name,
        type,
        fields,
        encoded: hex(encodeLoanMessage({ type, ...fields } as LoanMessage)),
      })),
      invalid: invalidMessages,
    },
    "attestations.json": { domain: ATTESTATION_DOMAIN, valid: attestations },
    "evm-addresses.json": { valid: validEvmAddresses, invalid: invalidEvmAddresses },
    "loan-math.json": {
      accruedInterest: interestCases,
      collateralValue: valueCases,
      exceedsLtv: ltvCases,
    },
    "loan-schedules.json": { schedules, dueTimes: dueTimeCases },
  };
}

/** JSON text of one vector file: integers as decimal strings, stable formatting. */
export function toVectorJson(value: unknown): string {
  return `${JSON.stringify(value, (_key, field: unknown) => (typeof field === "bigint" || typeof field === "number" ? field.toString() : field), 2)}\n`;
}
