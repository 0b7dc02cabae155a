// The IDL against the running program: every instruction the IDL declares
// is built with Anchor's coder from the IDL and succeeds on the SBF
// program, and every account type the IDL declares decodes from what the
// program wrote and encodes back to the same bytes. The IDL is generated
// from the program's own table (src/idl.rs, checked against the structs at
// compile time; tests/idl.rs fails while the committed JSON differs), so
// with this the IDL and the program cannot drift apart unnoticed.
import { beforeAll, describe, expect, it } from "vitest";
import {
  accountSize,
  decodePoolLoan,
  IDL_ACCOUNTS,
  IDL_INSTRUCTIONS,
  INSTALLMENT_RECORD_SIZE,
  reencodeAccount,
} from "../client/index.ts";
import { allSteps, runScenario, type ScenarioResult, scenarioAccounts } from "./scenario.ts";

describe("IDL against the program", () => {
  let result: ScenarioResult;

  beforeAll(async () => {
    result = await runScenario();
  });

  it("everyIdlInstruction_succeedsThroughTheCoder", () => {
    const succeeded = new Set(allSteps(result).map((step) => step.instruction));

    expect([...IDL_INSTRUCTIONS].filter((name) => !succeeded.has(name))).toEqual([]);
    expect(IDL_INSTRUCTIONS).toHaveLength(32);
  });

  it("everyIdlAccount_decodesAndReencodesToTheProgramsBytes", async () => {
    const accounts = await scenarioAccounts(result);
    expect(Object.keys(accounts).sort()).toEqual([...IDL_ACCOUNTS].sort());

    for (const name of IDL_ACCOUNTS) {
      const address = accounts[name];
      if (!address) throw new Error(`no ${name}`);
      const data = result.fixture.program.data(address);
      if (!data) throw new Error(`no ${name} account at ${address}`);
      expect(data.length, name).toBe(accountSize(name));
      expect(reencodeAccount(name, data), name).toEqual(data);
    }
  });

  it("everyPoolLoan_isItsIdlFieldsThenOneInstallmentRecordEach", () => {
    // A pool loan's size depends on its installments: the IDL's fields, then
    // 24 bytes per installment (none for a rejected loan).
    const { fixture } = result;
    const loans = fixture.program.svm
      .getProgramAccounts(fixture.id)
      .filter((account) => account.data[0] === 21);
    const counts = new Set<number>();
    for (const { data } of loans) {
      const fixed = accountSize("PoolLoan");
      const loan = decodePoolLoan(data);
      counts.add(loan.schedule.installments);
      expect(data.length).toBe(fixed + INSTALLMENT_RECORD_SIZE * loan.schedule.installments);
      const head = data.slice(0, fixed);
      expect(reencodeAccount("PoolLoan", head)).toEqual(head);
      expect(loan.records.filter((record) => record.paidAt !== 0n)).toHaveLength(
        loan.schedule.paidInstallments,
      );
    }
    // Rejected (0), bullet (1) and the scenario's installment loan (3).
    expect([...counts].sort()).toEqual([0, 1, 3]);
  });

  it("decodedValuesAreTheOnesTheProgramWrote", () => {
    // Spot checks of fields whose values the scenario fixed.
    const { fixture } = result;
    expect(fixture.program.decode("Endpoint", fixture.endpoint)).toMatchObject({
      admin: fixture.admin.address,
      epoch: 2n,
      threshold: 2,
    });
    expect(fixture.program.decode("Vault", fixture.vault)).toMatchObject({
      loan_nonce: 2n,
      native_locked: 0n,
    });
  });
});
