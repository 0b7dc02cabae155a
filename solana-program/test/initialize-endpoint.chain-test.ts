// InitializeEndpoint: creates the endpoint once, with a checked first
// verifier set at epoch 1 (Nomad lesson: initializer invariants).
import { AccountRole, type Address } from "@solana/kit";
import { beforeEach, describe, expect, it } from "vitest";
import {
  initializeEndpointInstruction,
  LoanbridgeProgramError as E,
  pda,
  readonly,
} from "../client/index.ts";
import { type ProgramHarness, startProgram } from "../client/litesvm.ts";
import { expectCustomError, expectOk, LOCAL_EID, sortedSigners, withAccount } from "./fixture.ts";

describe("InitializeEndpoint", () => {
  let program: ProgramHarness;
  let verifiers: Address[];

  beforeEach(async () => {
    program = await startProgram();
    verifiers = (await sortedSigners(3)).map((signer) => signer.address);
  });

  const init = async (
    overrides: { localEid?: number; threshold?: number; verifiers?: readonly Address[] } = {},
  ) =>
    initializeEndpointInstruction(program.programAddress, {
      payer: program.payer,
      admin: program.payer,
      localEid: overrides.localEid ?? LOCAL_EID,
      guardian: verifiers[0] ?? program.payer.address,
      threshold: overrides.threshold ?? 2,
      verifiers: [...(overrides.verifiers ?? verifiers)],
    });

  it("initialize_storesStateAtEpochOne", async () => {
    // Given a fresh program, when the endpoint is initialized
    const outcome = await program.send(await init());

    // then its state holds the set at epoch 1 and the apps' addresses.
    expectOk(outcome);
    const state = program.decode("Endpoint", await pda.endpoint(program.programAddress));
    expect(state).toMatchObject({
      version: 1,
      paused: 0,
      local_eid: LOCAL_EID,
      epoch: 1n,
      admin: program.payer.address,
      guardian: verifiers[0],
      vault: await pda.vault(program.programAddress),
      pool: await pda.pool(program.programAddress),
      threshold: 2,
      verifier_count: 3,
    });
    expect((state.verifiers as Address[]).slice(0, 3)).toEqual(verifiers);
    expect(
      (state.verifiers as Address[])
        .slice(3)
        .every((key) => key === "11111111111111111111111111111111"),
    ).toBe(true);
  });

  it("secondInitialize_failsWithAccountAlreadyInitialized", async () => {
    expectOk(await program.send(await init()));

    expectCustomError(await program.send(await init({ localEid: 1 })), E.AccountAlreadyInitialized);
  });

  it.each([
    ["emptySet", { verifiers: [] }, "InvalidVerifierSet"],
    ["zeroThreshold", { threshold: 0 }, "InvalidVerifierSet"],
    ["thresholdAboveCount", { threshold: 4 }, "InvalidVerifierSet"],
    ["zeroLocalEid", { localEid: 0 }, "InvalidEid"],
  ] as const)("%s_failsWith%s", async (_name, overrides, error) => {
    expectCustomError(await program.send(await init(overrides)), E[error]);
  });

  it("unsortedOrDuplicateVerifiers_failWithVerifiersNotAscending", async () => {
    const [a, b, c] = verifiers as [Address, Address, Address];
    for (const set of [
      [b, a, c],
      [a, a, c],
      [a, c, b],
    ]) {
      expectCustomError(
        await program.send(await init({ verifiers: set })),
        E.VerifiersNotAscending,
      );
    }
  });

  it("zeroKeyVerifier_failsWithVerifiersNotAscending", async () => {
    const zero = "11111111111111111111111111111111" as Address;
    expectCustomError(
      await program.send(await init({ verifiers: [zero, ...verifiers], threshold: 1 })),
      E.VerifiersNotAscending,
    );
  });

  it("seventeenVerifiers_failsWithInvalidVerifierSet", async () => {
    const many = (await sortedSigners(17)).map((signer) => signer.address);
    expectCustomError(
      await program.send(await init({ verifiers: many, threshold: 9 })),
      E.InvalidVerifierSet,
    );
  });

  it("adminNotSigning_failsWithMissingSignature", async () => {
    const other = await program.fundedSigner();
    const instruction = withAccount(await init(), 1, {
      address: other.address,
      role: AccountRole.READONLY,
    });

    expectCustomError(await program.send(instruction), E.MissingSignature);
  });

  it("endpointNotAtItsPda_failsWithInvalidPda", async () => {
    const elsewhere = await pda.vault(program.programAddress);
    const instruction = withAccount(await init(), 2, {
      address: elsewhere,
      role: AccountRole.WRITABLE,
    });

    expectCustomError(await program.send(instruction), E.InvalidPda);
  });

  it("wrongSystemProgram_failsWithInvalidProgramAccount", async () => {
    const instruction = withAccount(await init(), 3, readonly(program.payer.address));

    expectCustomError(await program.send(instruction), E.InvalidProgramAccount);
  });

  it("missingAccounts_failWithNotEnoughAccountKeys", async () => {
    const instruction = await init();
    const outcome = await program.send({
      ...instruction,
      accounts: instruction.accounts?.slice(0, 3) ?? [],
    });

    expect(outcome).toMatchObject({ ok: false, error: { kind: "builtin", code: 19 } });
  });
});
