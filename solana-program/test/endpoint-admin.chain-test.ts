// SetGuardian, Pause, Unpause, TransferAdmin, AcceptAdmin: who may do what
// to the endpoint.
import { address } from "@solana/kit";
import { beforeEach, describe, expect, it } from "vitest";
import {
  acceptAdminInstruction,
  LoanbridgeProgramError as E,
  pauseInstruction,
  setGuardianInstruction,
  transferAdminInstruction,
  unpauseInstruction,
} from "../client/index.ts";
import { type EndpointFixture, expectCustomError, expectOk, startEndpoint } from "./fixture.ts";

const NO_GUARDIAN = address("11111111111111111111111111111111");

describe("endpoint admin", () => {
  let fixture: EndpointFixture;

  beforeEach(async () => {
    fixture = await startEndpoint({ peers: false });
  });

  const send = async (instruction: Promise<Parameters<typeof fixture.program.send>[0]>) =>
    fixture.program.send(await instruction);
  const paused = () => fixture.program.decode("Endpoint", fixture.endpoint).paused;

  it("guardianPauses_adminUnpauses", async () => {
    expectOk(await send(pauseInstruction(fixture.id, fixture.guardian)));
    expect(paused()).toBe(1);

    expectCustomError(await send(unpauseInstruction(fixture.id, fixture.guardian)), E.Unauthorized);
    expectOk(await send(unpauseInstruction(fixture.id, fixture.admin)));
    expect(paused()).toBe(0);
  });

  it("adminPauses", async () => {
    expectOk(await send(pauseInstruction(fixture.id, fixture.admin)));
    expect(paused()).toBe(1);
  });

  it("pauseTwice_failsWithEndpointPaused", async () => {
    expectOk(await send(pauseInstruction(fixture.id, fixture.guardian)));
    expectCustomError(await send(pauseInstruction(fixture.id, fixture.guardian)), E.EndpointPaused);
  });

  it("unpauseWhenNotPaused_failsWithEndpointNotPaused", async () => {
    expectCustomError(
      await send(unpauseInstruction(fixture.id, fixture.admin)),
      E.EndpointNotPaused,
    );
  });

  it("stranger_cannotPause", async () => {
    const stranger = await fixture.program.fundedSigner();
    expectCustomError(await send(pauseInstruction(fixture.id, stranger)), E.NotGuardian);
  });

  it("setGuardian_replacesWhoMayPause", async () => {
    const next = await fixture.program.fundedSigner();
    expectCustomError(
      await send(setGuardianInstruction(fixture.id, fixture.guardian, next.address)),
      E.Unauthorized,
    );
    expectOk(await send(setGuardianInstruction(fixture.id, fixture.admin, next.address)));

    expectCustomError(await send(pauseInstruction(fixture.id, fixture.guardian)), E.NotGuardian);
    expectOk(await send(pauseInstruction(fixture.id, next)));
  });

  it("zeroGuardian_meansNone", async () => {
    // The all-zero key cannot sign, and a zero guardian never matches a signer.
    expectOk(await send(setGuardianInstruction(fixture.id, fixture.admin, NO_GUARDIAN)));
    expect(fixture.program.decode("Endpoint", fixture.endpoint).guardian).toBe(NO_GUARDIAN);
    expectCustomError(await send(pauseInstruction(fixture.id, fixture.guardian)), E.NotGuardian);
  });

  it("transferAdmin_takesEffectOnAccept", async () => {
    const next = await fixture.program.fundedSigner();
    expectOk(await send(transferAdminInstruction(fixture.id, fixture.admin, next.address)));
    expect(fixture.program.decode("Endpoint", fixture.endpoint)).toMatchObject({
      admin: fixture.admin.address,
      pending_admin: next.address,
    });

    // Only the pending admin can accept.
    expectCustomError(
      await send(acceptAdminInstruction(fixture.id, fixture.guardian)),
      E.NotPendingAdmin,
    );
    expectOk(await send(acceptAdminInstruction(fixture.id, next)));

    expect(fixture.program.decode("Endpoint", fixture.endpoint)).toMatchObject({
      admin: next.address,
      pending_admin: NO_GUARDIAN,
    });
    expectCustomError(await send(unpauseInstruction(fixture.id, fixture.admin)), E.Unauthorized);
  });

  it("acceptWithoutTransfer_failsWithNotPendingAdmin", async () => {
    expectCustomError(
      await send(acceptAdminInstruction(fixture.id, fixture.admin)),
      E.NotPendingAdmin,
    );
  });
});
