// SetVerifierSet: the admin replaces the set; every rotation bumps the epoch
// (old signatures stop counting: see deliver.chain-test.ts).
import { type Address } from "@solana/kit";
import { beforeEach, describe, expect, it } from "vitest";
import { LoanbridgeProgramError as E, setVerifierSetInstruction } from "../client/index.ts";
import {
  type EndpointFixture,
  expectCustomError,
  expectOk,
  sortedSigners,
  startEndpoint,
} from "./fixture.ts";

describe("SetVerifierSet", () => {
  let fixture: EndpointFixture;
  let next: Address[];

  beforeEach(async () => {
    fixture = await startEndpoint();
    next = (await sortedSigners(4)).map((signer) => signer.address);
  });

  const rotate = async (verifiers: Address[], threshold: number, admin = fixture.admin) =>
    fixture.program.send(
      await setVerifierSetInstruction(fixture.id, { admin, threshold, verifiers }),
    );

  it("rotation_replacesSetAndBumpsEpoch", async () => {
    // Given the epoch-1 endpoint, when the admin rotates to four keys, 3 of 4
    expectOk(await rotate(next, 3));

    // then the state holds the new set at epoch 2, and the rest is zeroed
    const state = fixture.program.decode("Endpoint", fixture.endpoint);
    expect(state).toMatchObject({ epoch: 2n, threshold: 3, verifier_count: 4 });
    expect((state.verifiers as Address[]).slice(0, 4)).toEqual(next);

    // and a smaller set clears the slots it no longer uses.
    expectOk(await rotate(next.slice(0, 1), 1));
    const smaller = fixture.program.decode("Endpoint", fixture.endpoint);
    expect(smaller).toMatchObject({ epoch: 3n, threshold: 1, verifier_count: 1 });
    expect(
      (smaller.verifiers as Address[])
        .slice(1)
        .every((key) => key === "11111111111111111111111111111111"),
    ).toBe(true);
  });

  it("notAdmin_failsWithUnauthorized", async () => {
    expectCustomError(await rotate(next, 2, fixture.guardian), E.Unauthorized);
  });

  it("invalidSets_areRejectedAndLeaveTheEpoch", async () => {
    const [a, b] = next as [Address, Address];
    expectCustomError(await rotate([b, a], 1), E.VerifiersNotAscending);
    expectCustomError(await rotate(next, 0), E.InvalidVerifierSet);
    expectCustomError(await rotate(next, 5), E.InvalidVerifierSet);
    expectCustomError(await rotate([], 1), E.InvalidVerifierSet);

    expect(fixture.program.decode("Endpoint", fixture.endpoint).epoch).toBe(1n);
  });
});
