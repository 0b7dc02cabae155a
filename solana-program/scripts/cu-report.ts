// Measures the compute units of every program instruction in LiteSVM and
// writes solana-program/cu-report.md.
//
//   node solana-program/scripts/cu-report.ts [--runs N] [--out FILE]
//
// Runs test/scenario.ts (every IDL instruction, built with the IDL's coder,
// on the SBF build: run `make setup` first) N times (default 5) with fresh
// keys, and reports per step the CU the runtime logged for the program and
// the transaction's size. Figures vary between runs because creating an
// account at a canonical PDA searches its bump (src/pda.rs, about 370 CU per
// try) and how many tries depends on the keys, so each row gives
// min / median / max.
//
// It then delivers one more accepted OPEN_LOAN per run the way a relayer
// does at its largest: 3 signatures (the verifier set raised to 3 of 3),
// both compute-budget instructions, and the static accounts loaded from the
// deploy's lookup table (`deliverLookupTableAddresses`), to show that
// transaction fits Solana's 1,232 bytes.
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { toBytes } from "@loanbridge/shared";
import { type ReadonlyUint8Array } from "@solana/kit";
import * as prettier from "prettier";
import {
  ANSWER_PACKET_CANDIDATES,
  createLookupTableInstruction,
  NONCES_PER_DELIVERED_ACCOUNT,
  accountSize,
  decodePoolLoan,
  deliverLookupTableAddresses,
  extendLookupTableInstruction,
  INSTALLMENT_RECORD_SIZE,
  PACKET_DATA_SIZE,
  pda,
  PoolLoanStatus,
  poolReceiveAccounts,
  setPriceInstruction,
  setVerifierSetInstruction,
} from "../client/index.ts";
import { loggedComputeUnits, type Outcome } from "../client/litesvm.ts";
import {
  deliveryInstructions,
  ETH_PRICE,
  ETH_PRICE_ID,
  expectOk,
  inboundPacket,
  nextInboundNonce,
  openLoanMessage,
  type PoolFixture,
  REMOTE_EID,
  REMOTE_VAULT,
} from "../test/fixture.ts";
import { allSteps, runScenario, type ScenarioResult } from "../test/scenario.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    out: { type: "string", default: fileURLToPath(new URL("../cu-report.md", import.meta.url)) },
  },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1)
  throw new Error(`--runs must be a positive integer, got ${values.runs}`);

interface Row {
  instruction: string;
  label: string;
  programCu: number[];
  transactionCu: number[];
  bytes: number[];
}

const THREE_SIGNATURES =
  "Deliver OPEN_LOAN to the pool, accepted (3 signatures + compute budget, lookup table)";

/**
 * An accepted OPEN_LOAN delivered as a relayer sends it at its largest, on
 * the scenario's chain: the set raised to 3 of 3, the table created and
 * extended (usable from the next slot), then `Deliver` with both
 * compute-budget instructions through it.
 */
async function deliverWithThreeSignatures(fixture: PoolFixture): Promise<Outcome> {
  const { program, id } = fixture;
  // The scenario ends with ETH at 2,500 and its price aged: priced afresh
  // (and the request below unexpired) so the loan is accepted, the heaviest path.
  expectOk(
    await program.send(
      await setPriceInstruction(id, {
        payer: program.payer,
        admin: fixture.admin,
        priceId: ETH_PRICE_ID,
        price: ETH_PRICE,
      }),
    ),
  );
  expectOk(
    await program.send(
      await setVerifierSetInstruction(id, {
        admin: fixture.admin,
        threshold: 3,
        verifiers: fixture.verifiers.map((verifier) => verifier.address),
      }),
    ),
  );
  // The table's address derives from a slot the SlotHashes sysvar holds.
  const slot = program.svm.getClock().slot;
  // The native binding takes plain `{ slot, hash }` (as node/chain.ts does).
  // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
  program.svm.setSlotHashes([{ slot, hash: program.svm.latestBlockhash() }]);
  const { instruction, table } = await createLookupTableInstruction({
    authority: program.payer,
    payer: program.payer,
    recentSlot: slot,
  });
  const addresses = await deliverLookupTableAddresses(id, {
    remoteEid: REMOTE_EID,
    priceId: ETH_PRICE_ID,
  });
  expectOk(await program.send(instruction));
  expectOk(
    await program.send(
      extendLookupTableInstruction({
        table,
        authority: program.payer,
        payer: program.payer,
        addresses,
      }),
    ),
  );
  program.svm.warpToSlot(slot + 1n);

  const recipient = await fixture.recipient();
  // The scenario moved the clock past the default request's expiry.
  const message = openLoanMessage(recipient.wallet.address, {
    principal: 1_000_000_000n,
    expiresAt: program.now() + 3_600n,
  });
  // As a relayer names its answer: the next nonce's packet account and the spare candidates.
  const appAccounts = await poolReceiveAccounts(id, {
    loanId: toBytes(message.loanId),
    srcEid: REMOTE_EID,
    packetNonce: fixture.packetNonce(),
    packetCandidates: ANSWER_PACKET_CANDIDATES,
    asset: toBytes(message.collateralAsset),
    priceId: ETH_PRICE_ID,
    recipientTokens: recipient.tokens,
  });
  const packet = inboundPacket(fixture.pool, message, {
    sender: REMOTE_VAULT,
    nonce: nextInboundNonce(),
  });
  const outcome = await program.sendWith(
    // The limit's and price's values do not change the size.
    {
      budget: { units: 1_400_000, microLamports: 1_000_000n },
      lookupTables: { [table]: addresses },
    },
    ...(await deliveryInstructions(fixture, packet, { appAccounts, signers: fixture.verifiers })),
  );
  expectOk(outcome);
  const loan = program.decode("PoolLoan", await pda.poolLoan(id, toBytes(message.loanId)));
  const status = loan.status as number;
  if (status !== 1) throw new Error(`the 3-signature OPEN_LOAN was not accepted: status ${status}`);
  return outcome;
}

/** What one kind of account a completed loan leaves behind costs, from a real account of it. */
interface RentLine {
  account: string;
  why: string;
  /** Records the loan needs. */
  count: number;
  /** Records one account holds (a delivered-nonces account: 1,024 nonces). */
  perAccount: bigint;
  closed: boolean;
  size: number;
  lamports: bigint;
}

/** The loan's share of `line`'s rent: its records' part of the accounts holding them, rounded up. */
const rentShare = (line: RentLine): bigint =>
  (BigInt(line.count) * line.lamports + line.perAccount - 1n) / line.perAccount;

/**
 * The rent a repaid loan locks on Solana, on either side, before and after
 * `ClosePacket`: each account's size is read from an account of its kind the
 * scenario left behind, and its rent-exempt minimum from LiteSVM's rent
 * sysvar. Loan records and delivered nonces stay (the loan's final state and
 * the replay guard; a delivered-nonces account holds 1,024 of a path's
 * nonces, so a loan's share is its nonces' part of it); outbound packets are
 * closed to their payers.
 */
function rentPerCompletedLoan(result: ScenarioResult): { side: string; lines: RentLine[] }[] {
  const { svm } = result.fixture.program;
  const accounts = svm.getProgramAccounts(result.fixture.id);
  const sizeOf = (
    discriminator: number,
    name: string,
    pick: (data: ReadonlyUint8Array) => boolean = () => true,
  ): number => {
    const sizes = new Set(
      accounts.filter((a) => a.data[0] === discriminator && pick(a.data)).map((a) => a.data.length),
    );
    const [size, ...others] = [...sizes];
    if (size === undefined || others.length > 0)
      throw new Error(`${name}: expected one size, found ${[...sizes].join(", ") || "none"}`);
    return size;
  };
  const line = (
    account: string,
    discriminator: number,
    why: string,
    [count, closed]: [number, boolean],
    pick?: (data: ReadonlyUint8Array) => boolean,
  ): RentLine => {
    const size = sizeOf(discriminator, account, pick);
    return {
      account,
      why,
      count,
      perAccount: account === "DeliveredNonces" ? NONCES_PER_DELIVERED_ACCOUNT : 1n,
      closed,
      size,
      lamports: svm.minimumBalanceForRentExemption(BigInt(size)),
    };
  };
  const packet = sizeOf(4, "OutboundPacket");
  // What the two fields ClosePacket needs (payer 32 bytes, sent_at 8) cost each packet.
  packetFieldsRent =
    svm.minimumBalanceForRentExemption(BigInt(packet)) -
    svm.minimumBalanceForRentExemption(BigInt(packet - 40));
  // The replay guard the bitmap replaced: an account per delivered guid
  // (header 3 bytes, guid 32, payload hash 32).
  perGuidRecordRent = svm.minimumBalanceForRentExemption(3n + 32n + 32n);
  return [
    {
      side: "Collateral chain (vault), a repaid loan",
      lines: [
        line("VaultLoan", 11, "the loan's state (Released)", [1, false]),
        line("OutboundPacket", 4, "OPEN_LOAN", [1, true]),
        line("DeliveredNonces", 6, "LOAN_ACTIVE and REPAID delivered (replay guard)", [2, false]),
      ],
    },
    {
      side: "Lending chain (pool), a repaid loan",
      lines: [
        line(
          "PoolLoan",
          21,
          "the loan's state (Repaid), a bullet loan: one installment record",
          [1, false],
          (data) => {
            const loan = decodePoolLoan(data);
            return loan.status === PoolLoanStatus.Repaid && loan.schedule.installments === 1;
          },
        ),
        line("OutboundPacket", 4, "LOAN_ACTIVE and REPAID", [2, true]),
        line("DeliveredNonces", 6, "OPEN_LOAN delivered (replay guard)", [1, false]),
      ],
    },
  ];
}

let packetFieldsRent = 0n;
let perGuidRecordRent = 0n;
let lastRentSvm: ScenarioResult["fixture"]["program"]["svm"] | undefined;
const rows = new Map<string, Row>();
let rent: ReturnType<typeof rentPerCompletedLoan> = [];
for (let run = 0; run < runs; run++) {
  const result = await runScenario();
  if (run === 0) {
    rent = rentPerCompletedLoan(result);
    lastRentSvm = result.fixture.program.svm;
  }
  // The scenario's steps first: the extra delivery's setup is not a step.
  const steps = allSteps(result);
  const largest = await deliverWithThreeSignatures(result.fixture);
  for (const step of [
    ...steps,
    { instruction: "deliver", label: THREE_SIGNATURES, outcome: largest },
  ]) {
    const row = rows.get(step.label) ?? {
      instruction: step.instruction,
      label: step.label,
      programCu: [],
      transactionCu: [],
      bytes: [],
    };
    row.programCu.push(Number(loggedComputeUnits(step.outcome.logs, result.fixture.id)));
    row.transactionCu.push(Number(step.outcome.computeUnits));
    row.bytes.push(step.outcome.size);
    rows.set(step.label, row);
  }
}

const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
const stats = (values: number[]) => {
  const s = sorted(values);
  const min = s[0] ?? 0;
  const max = s.at(-1) ?? 0;
  const median = s[Math.floor(s.length / 2)] ?? 0;
  return min === max ? `${min}` : `${min} / ${median} / ${max}`;
};

/** shared/DESIGN.md: `Deliver` with 2 signatures, the Ed25519 precompile aside. */
const DELIVER_TARGET_CU = 30_000;
const deliverRows = [...rows.values()].filter(
  (row) => row.instruction === "deliver" && row.label !== THREE_SIGNATURES,
);
const worstDeliver = Math.max(...deliverRows.flatMap((row) => row.programCu));
const endpointOnly = rows.get("Deliver LOAN_ACTIVE to the vault (2 signatures)");
const endpointWorst = endpointOnly ? Math.max(...endpointOnly.programCu) : NaN;
const verdict = (cu: number) =>
  cu < DELIVER_TARGET_CU ? "under the target" : `over the target by ${cu - DELIVER_TARGET_CU}`;
const heaviest = deliverRows.find((row) => Math.max(...row.programCu) === worstDeliver);
const largestBytes = Math.max(...(rows.get(THREE_SIGNATURES)?.bytes ?? [NaN]));
const largestCu = Math.max(...(rows.get(THREE_SIGNATURES)?.programCu ?? [NaN]));
const largestUnbudgeted = Math.max(
  ...(rows.get("Deliver OPEN_LOAN to the pool, accepted (2 signatures)")?.bytes ?? [NaN]),
);

const sol = (lamports: bigint) => (Number(lamports) / 1e9).toFixed(6);

/**
 * `Repay` before installments (cu-report.md at commit 4873294): a partial
 * repayment and the completing one. A repayment that completes one installment
 * must stay within 10% of the partial one.
 */
const REPAY_BEFORE = { partial: 8_194, full: 10_867 };
const REPAY_INSTALLMENT_LIMIT = Math.floor(REPAY_BEFORE.partial * 1.1);
const worst = (label: string) => Math.max(...(rows.get(label)?.programCu ?? [NaN]));
const oneInstallment = worst("Repay (installment loan: completes one installment)");
const percentOver = (cu: number, base: number) =>
  `${cu >= base ? "+" : ""}${(((cu - base) / base) * 100).toFixed(1)} %`;
const poolLoanRent = (installments: number) => {
  const size = accountSize("PoolLoan") + INSTALLMENT_RECORD_SIZE * installments;
  return `${size} bytes, ${lastRentSvm?.minimumBalanceForRentExemption(BigInt(size)) ?? NaN} lamports`;
};

const lines = [
  "# Compute units per instruction",
  "",
  `Generated by \`node solana-program/scripts/cu-report.ts\` (${runs} runs of \`test/scenario.ts\` in LiteSVM,`,
  "each with fresh keys); do not edit by hand. *Program CU* is what the runtime logged for the",
  "program's own invocation (CPIs included); *transaction CU* is LiteSVM's total for the",
  "transaction; *bytes* is the signed transaction's size (the limit is 1,232). Where runs differ,",
  "figures are min / median / max: creating an account at a canonical PDA searches its bump",
  "(src/pda.rs: one sha256 and one curve check per try, about 370 CU), and how many tries",
  "depends on the keys. The offline build (sbf-link) lets LLVM load and store integers at",
  "unaligned addresses, as the SBF VM and platform-tools' SBF target do: an integer of an",
  "alignment-1 account layout is one load, not one per byte.",
  "",
  "## Deliver with 2 signatures",
  "",
  `- Target (shared/DESIGN.md): under ${DELIVER_TARGET_CU.toLocaleString("en-US")} CU, the Ed25519 precompile aside.`,
  `- Every 2-signature \`deliver\` row: at most ${worstDeliver} CU (${heaviest?.label ?? "none"}) — ${verdict(worstDeliver)}.`,
  `- Endpoint path plus the lightest handler (LOAN_ACTIVE to the vault: decode, verify 2`,
  `  signatures through the instructions sysvar, record the nonce delivered, update the loan):`,
  `  at most ${endpointWorst} CU, as the path's first delivery, which creates its range's account.`,
  `- Replay guard: the first delivery of each path's ${NONCES_PER_DELIVERED_ACCOUNT}-nonce range creates the range's`,
  "  `DeliveredNonces` account at its canonical bump (the search above); every later one finds it",
  "  by its stored bump (one sha256, no search) and sets the nonce's bit. Here the first",
  "  LOAN_ACTIVE to the vault and the first accepted OPEN_LOAN to the pool create it; the REPAID",
  "  and LOAN_REJECTED to the vault and the pool's later OPEN_LOANs do not.",
  `- Heaviest delivery, OPEN_LOAN accepted by the pool, creates the loan and answer packet`,
  "  accounts at canonical PDAs (and its range's delivered nonces when first), disburses with an",
  "  SPL transfer and logs the LOAN_ACTIVE packet.",
  "",
  "## Transaction size",
  "",
  `- Limit: ${PACKET_DATA_SIZE.toLocaleString("en-US")} bytes. The relayer sends every delivery as a v0 transaction`,
  "  with a compute-unit limit and a priority fee, loading the accounts every `Deliver` names",
  "  (endpoint, peers, pool and vault state, price, liquidity, nonce, SPL Token, sysvars) from",
  "  the lookup table the deploy creates; per-packet accounts and invoked programs stay inline.",
  `- Largest delivery, an accepted OPEN_LOAN with 3 signatures, both compute-budget instructions,`,
  `  the table and ${ANSWER_PACKET_CANDIDATES} candidates for its answer's packet account (the relayer's`,
  "  `ANSWER_PACKET_CANDIDATES`: another delivery may take the nonce it read; 33 bytes each):",
  `  ${largestBytes} bytes — ${largestBytes < PACKET_DATA_SIZE ? `under the limit by ${PACKET_DATA_SIZE - largestBytes}` : `over the limit by ${largestBytes - PACKET_DATA_SIZE}`}`,
  `  (with 2 signatures, no compute budget and no table, as the scenario's rows are sent: ${largestUnbudgeted});`,
  `  at most ${largestCu} program CU, ${verdict(largestCu)} too.`,
  "",
  "## Installment repayments",
  "",
  'Loans repaid in equal installments (shared/LOANS.md "Installments"): the scenario opens one of',
  "three payments every four weeks and repays one installment, then part of the next, then the rest.",
  "A repayment that completes installments writes their 24-byte records into the loan account and",
  "moves a performing loan's sums to the due bucket of its next installment.",
  "",
  `- Target: a \`Repay\` that completes one installment within 10 % of \`Repay\` before installments`,
  `  (partial ${REPAY_BEFORE.partial} CU, full ${REPAY_BEFORE.full} CU): at most ${REPAY_INSTALLMENT_LIMIT} CU.`,
  `- Completing one installment: ${oneInstallment} CU (${percentOver(oneInstallment, REPAY_BEFORE.partial)} on the partial \`Repay\` before) — ${oneInstallment <= REPAY_INSTALLMENT_LIMIT ? "within the target" : `over the target by ${oneInstallment - REPAY_INSTALLMENT_LIMIT}`}.`,
  `- Partial payment of an installment loan: ${worst("Repay (installment loan: partial)")} CU; the last two installments with REPAID: ${worst("Repay (installment loan: the last two, sends REPAID)")} CU`,
  `  (${percentOver(worst("Repay (installment loan: the last two, sends REPAID)"), REPAY_BEFORE.full)} on the full \`Repay\` before).`,
  `- Bullet loans in the same runs: partial ${worst("Repay (partial)")} CU, full ${worst("Repay (full, sends REPAID)")} CU.`,
  `- Deliver of an OPEN_LOAN with 3 installments: ${worst("Deliver OPEN_LOAN to the pool, accepted, 3 installments (2 signatures)")} CU (the schedule's payment is computed at delivery).`,
  `- A pool loan account is its fields plus one record per installment: bullet ${poolLoanRent(1)};`,
  `  12 installments ${poolLoanRent(12)}; 360 (the most) ${poolLoanRent(360)}, within the 10,240 bytes a program may create.`,
  "",
  "## Rent per completed loan",
  "",
  "Lamports a repaid loan leaves locked in accounts on Solana, before (no account closed) and",
  "after `ClosePacket` (each outbound packet closed to its payer once the loan is final here and",
  'the packet is 30 days old; shared/LOANS.md "On Solana"). Sizes are read from accounts the',
  "scenario left behind, rent-exempt minimums from LiteSVM's rent sysvar. Loan records and",
  "delivered nonces stay: the loan's final state (which `ClosePacket` reads) and the replay guard.",
  `A \`DeliveredNonces\` account holds ${NONCES_PER_DELIVERED_ACCOUNT} nonces of one path, so a loan's share of it is`,
  "its nonces' part (rounded up).",
  "",
  "| side | account | for | count | bytes | lamports each | the loan's share | closed by `ClosePacket` |",
  "| --- | --- | --- | --- | --- | --- | --- | --- |",
  ...rent.flatMap(({ side, lines }) =>
    lines.map(
      (l) =>
        `| ${side} | \`${l.account}\` | ${l.why} | ${l.perAccount === 1n ? l.count : `${l.count} of ${l.perAccount} nonces`} | ${l.size} | ${l.lamports} | ${rentShare(l)} | ${l.closed ? "yes" : "no"} |`,
    ),
  ),
  "",
  "| side | locked before (lamports) | locked after (lamports) | returned |",
  "| --- | --- | --- | --- |",
  ...rent.map(({ side, lines }) => {
    const total = (kept: (l: RentLine) => boolean) =>
      lines.filter(kept).reduce((sum, l) => sum + rentShare(l), 0n);
    const before = total(() => true);
    const after = total((l) => !l.closed);
    return `| ${side} | ${before} (${sol(before)} SOL) | ${after} (${sol(after)} SOL) | ${before - after} |`;
  }),
  "",
  `Recording each packet's payer and send time (40 bytes, what \`ClosePacket\` checks) costs`,
  `${packetFieldsRent} lamports of a packet's rent while it is open, all of it returned on close.`,
  `The replay guard was an account per delivered guid until the bitmap replaced it: ${perGuidRecordRent}`,
  "lamports locked per delivery for good.",
  "",
  "## Every step",
  "",
  "| step | instruction | program CU | transaction CU | bytes |",
  "| --- | --- | --- | --- | --- |",
  ...[...rows.values()].map(
    (row) =>
      `| ${row.label} | \`${row.instruction}\` | ${stats(row.programCu)} | ${stats(row.transactionCu)} | ${stats(row.bytes)} |`,
  ),
  "",
];
// Formatted as `make lint` checks it (Prettier, the repository's config).
const options = (await prettier.resolveConfig(values.out)) ?? {};
await writeFile(
  values.out,
  await prettier.format(lines.join("\n"), { ...options, parser: "markdown" }),
);
console.log(`wrote ${values.out}: ${rows.size} steps, ${runs} runs`);
