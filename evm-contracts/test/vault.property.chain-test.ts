// CollateralVault invariants under random sequences (fast-check) of opens,
// answers from the lending chain (in any order, for any loan), time warps
// (a request long past its deadline is still only refunded by LOAN_REJECTED)
// and claims, with a borrower contract that refuses ETH.
// A model predicts every outcome; after every step: each loan's collateral
// moved at most once (exactly once once it is settled), the vault's ETH equals
// the Requested+Active ETH collateral plus the claimable balances, and its
// token balance equals the Requested+Active token collateral.
import { addressToWire, type Hex, type LoanMessage, RejectReason } from "@loanbridge/shared";
import fc from "fast-check";
import { type Contract, id, type TransactionReceipt } from "ethers";
import { beforeAll, describe, expect, it } from "vitest";
import {
  as,
  call,
  chain,
  encode,
  eventsOf,
  expectRevert,
  LENDING_EID,
  onlyEvent,
  send,
  type Signer,
  VAULT_EID,
} from "./apps.ts";
import { buildContracts, hre } from "./hre.ts";

const { ethers } = await hre.network.create();
const time = chain(ethers);

const REQUEST_TTL = 3_600n;
/** Warps reach well past a request's deadline (there is no timeout refund to reach). */
const MAX_WARP = 2n * 86_400n;
const POOL: Hex = addressToWire("0x000000000000000000000000000000000000b001");
const ETH = "0x0000000000000000000000000000000000000000";
const NUM_RUNS = 40;
const MAX_STEPS = 15;
const REASONS = Object.keys(RejectReason) as (keyof typeof RejectReason)[];

/** Borrowers 0 and 1 are accounts; 2 is a contract that refuses ETH pushes. */
const HOSTILE = 2;

type Answer = "active" | "rejected" | "repaid" | "defaulted" | "liquidated";

type Command =
  | { kind: "open"; who: number; native: boolean; amount: bigint }
  | { kind: "answer"; answer: Answer; loan: number; reason: number }
  | { kind: "warp"; seconds: bigint }
  | { kind: "claim" };

const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("open" as const),
      who: fc.nat(2),
      native: fc.boolean(),
      amount: fc.bigInt(1n, 10n ** 20n),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("answer" as const),
      // Twice as many LOAN_ACTIVE and REPAID: the later answers need an active loan.
      answer: fc.constantFrom<Answer>(
        "active",
        "active",
        "rejected",
        "repaid",
        "repaid",
        "defaulted",
        "liquidated",
      ),
      loan: fc.nat(),
      reason: fc.nat(REASONS.length - 1),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("warp" as const),
      seconds: fc.bigInt(1n, MAX_WARP),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("claim" as const) }) },
);

type State = "Requested" | "Active" | "Released" | "Seized" | "Refunded";
const STATE_CODE: Record<State, bigint> = {
  Requested: 1n,
  Active: 2n,
  Released: 3n,
  Seized: 4n,
  Refunded: 5n,
};

interface ModelLoan {
  id: Hex;
  borrower: string;
  native: boolean;
  amount: bigint;
  state: State;
}

let borrowers: Signer[];
let beneficiary: Signer;
let recorder: Contract;
let vault: Contract;
let token: Contract;
let hostile: Contract;
let baseSnapshot: string;

beforeAll(async () => {
  await buildContracts();
  const [owner, b0, b1, b2] = await ethers.getSigners();
  if (!owner || !b0 || !b1 || !b2) throw new Error("need four signers");
  borrowers = [b0, b1];
  beneficiary = b2;
  recorder = await ethers.deployContract("SendRecorder", [VAULT_EID]);
  vault = await ethers.deployContract("CollateralVault", [
    recorder.target,
    LENDING_EID,
    REQUEST_TTL,
    owner.address,
  ]);
  token = await ethers.deployContract("TestToken", ["Wrapped Test", "WTST"]);
  await send(vault, "setAssetAllowed", token.target, true);
  for (const borrower of borrowers) {
    await send(token, "mint", borrower.address, 10n ** 24n);
    await send(as(token, borrower), "approve", vault.target, 2n ** 256n - 1n);
  }
  hostile = await ethers.deployContract("ReentrantBorrower", [vault.target]);
  await send(hostile, "setMode", 2, "0x"); // Refuse
  baseSnapshot = await time.snapshot();
});

/** Which loan each payout event paid, by name. */
function payouts(receipt: TransactionReceipt): Hex[] {
  return ["LoanRefunded", "CollateralReleased", "CollateralSeized"].flatMap((name) =>
    eventsOf(vault, receipt, name).map(([loanId]) => loanId as Hex),
  );
}

function messageFor(cmd: Extract<Command, { kind: "answer" }>, loanId: Hex): LoanMessage {
  switch (cmd.answer) {
    case "active":
      return { type: "LOAN_ACTIVE", loanId, principal: 1n, rateBps: 1, startTime: 1n, dueTime: 2n };
    case "rejected":
      return { type: "LOAN_REJECTED", loanId, reason: REASONS[cmd.reason] ?? "Paused" };
    case "repaid":
      return { type: "REPAID", loanId, amountRepaid: 1n };
    case "defaulted":
    case "liquidated":
      return {
        type: cmd.answer === "defaulted" ? "DEFAULTED" : "LIQUIDATED",
        loanId,
        outstanding: 1n,
        beneficiary: addressToWire(beneficiary.address),
      };
  }
}

/** The state an answer needs, and the state it leads to. */
const TRANSITIONS: Record<Answer, [State, State]> = {
  active: ["Requested", "Active"],
  rejected: ["Requested", "Refunded"],
  repaid: ["Active", "Released"],
  defaulted: ["Active", "Seized"],
  liquidated: ["Active", "Seized"],
};

let guidCounter = 0;

/** What the random sequences reached, across all runs (printed). */
const reached = new Map<string, number>();
const count = (outcome: string) => reached.set(outcome, (reached.get(outcome) ?? 0) + 1);

async function runSequence(commands: Command[]): Promise<void> {
  await time.revert(baseSnapshot);
  baseSnapshot = await time.snapshot();

  const loans: ModelLoan[] = [];
  const moved = new Map<Hex, number>();
  let hostileClaimable = 0n;
  const pick = (index: number): ModelLoan | undefined => loans[index % Math.max(loans.length, 1)];
  const record = (receipt: TransactionReceipt) => {
    for (const loanId of payouts(receipt)) moved.set(loanId, (moved.get(loanId) ?? 0) + 1);
  };
  /** A settled loan's collateral went to `to`: deferred if `to` is the hostile borrower. */
  const paidTo = (loan: ModelLoan, to: string) => {
    if (loan.native && to === hostile.target) hostileClaimable += loan.amount;
  };

  // Every sequence starts with a loan of the ETH-refusing borrower and an ERC-20 loan.
  const start: Command[] = [
    { kind: "open", who: HOSTILE, native: true, amount: 10n ** 18n },
    { kind: "open", who: 0, native: false, amount: 5n * 10n ** 18n },
  ];
  for (const cmd of [...start, ...commands]) {
    switch (cmd.kind) {
      case "open": {
        const native = cmd.native || cmd.who === HOSTILE;
        const recipient = addressToWire(beneficiary.address);
        let receipt: TransactionReceipt;
        let borrower: string;
        if (cmd.who === HOSTILE) {
          borrower = hostile.target as string;
          receipt = await send(hostile, "openNative", 1n, 1, 1n, recipient, { value: cmd.amount });
        } else {
          const signer = borrowers[cmd.who] as Signer;
          borrower = signer.address;
          receipt = await send(
            as(vault, signer),
            "open",
            native ? ETH : token.target,
            cmd.amount,
            1n,
            1,
            1n,
            1,
            recipient,
            { value: native ? cmd.amount : 0n },
          );
        }
        const [loanId] = onlyEvent(vault, receipt, "LoanRequested") as [Hex];
        loans.push({
          id: loanId,
          borrower,
          native,
          amount: cmd.amount,
          state: "Requested",
        });
        break;
      }
      case "answer": {
        const loan = pick(cmd.loan);
        const loanId = loan?.id ?? (id("unknown") as Hex);
        guidCounter += 1;
        const pending = recorder
          .getFunction("deliver")
          .send(
            vault.target,
            LENDING_EID,
            POOL,
            id(`g${guidCounter}`),
            encode(messageFor(cmd, loanId)),
          );
        const [from, to] = TRANSITIONS[cmd.answer];
        if (loan?.state !== from) {
          const reverted = await expectRevert(pending, vault.interface);
          expect(reverted.name).toBe("VaultUnexpectedLoanState");
          count(`${cmd.answer}:reverted`);
          break;
        }
        count(`${cmd.answer}:done`);
        const receipt = await (await pending).wait();
        if (receipt === null) throw new Error("no receipt");
        record(receipt);
        loan.state = to;
        if (to === "Refunded" || to === "Released") paidTo(loan, loan.borrower);
        break;
      }
      case "warp":
        await time.increaseTime(cmd.seconds);
        break;
      case "claim": {
        await send(hostile, "setMode", 0, "0x"); // Accept
        const pending = hostile.getFunction("claim").send();
        if (hostileClaimable === 0n) {
          expect((await expectRevert(pending, vault.interface)).name).toBe("VaultNothingToClaim");
        } else {
          await (await pending).wait();
          hostileClaimable = 0n;
          count("claim:done");
        }
        await send(hostile, "setMode", 2, "0x"); // Refuse
        break;
      }
    }

    // Invariants after every step.
    let lockedEth = 0n;
    let lockedToken = 0n;
    for (const loan of loans) {
      const settled = loan.state !== "Requested" && loan.state !== "Active";
      expect(moved.get(loan.id) ?? 0, `payouts of ${loan.id}`).toBe(settled ? 1 : 0);
      const onChain = await call<{ state: bigint }>(vault, "getLoan", loan.id);
      expect(onChain.state).toBe(STATE_CODE[loan.state]);
      if (!settled) {
        if (loan.native) lockedEth += loan.amount;
        else lockedToken += loan.amount;
      }
    }
    expect(await call(vault, "claimable", hostile.target)).toBe(hostileClaimable);
    expect(await call(vault, "totalClaimable")).toBe(hostileClaimable);
    expect(await time.balance(vault.target as string)).toBe(lockedEth + hostileClaimable);
    expect(await call(token, "balanceOf", vault.target)).toBe(lockedToken);
  }
}

describe("CollateralVault properties", () => {
  it("randomSequences_moveCollateralAtMostOnceAndKeepBalancesEqualToLocked", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 5, maxLength: MAX_STEPS }), runSequence),
      { numRuns: NUM_RUNS },
    );
    console.log("vault sequences reached:", Object.fromEntries([...reached].sort()));
  });
});
