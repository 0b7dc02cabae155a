// InitializeVault, SetRequestTtl, SetAssetAllowed: the admin's vault settings.
import { beforeEach, describe, expect, it } from "vitest";
import {
  createMint,
  initializeVaultInstruction,
  LoanbridgeProgramError as E,
  pda,
  setAssetAllowedInstruction,
  setRequestTtlInstruction,
} from "../client/index.ts";
import {
  type EndpointFixture,
  expectCustomError,
  expectOk,
  REMOTE_EID,
  REQUEST_TTL,
  startEndpoint,
} from "./fixture.ts";

describe("vault admin", () => {
  let fixture: EndpointFixture;

  beforeEach(async () => {
    fixture = await startEndpoint();
  });

  const initialize = async (
    requestTtl = REQUEST_TTL,
    admin = fixture.admin,
    lendingEid = REMOTE_EID,
  ) =>
    fixture.program.send(
      await initializeVaultInstruction(fixture.id, {
        payer: fixture.program.payer,
        admin,
        lendingEid,
        requestTtl,
      }),
    );

  it("initializeVault_storesItsSettings", async () => {
    expectOk(await initialize());

    expect(fixture.program.decode("Vault", fixture.vault)).toMatchObject({
      lending_eid: REMOTE_EID,
      request_ttl: REQUEST_TTL,
      loan_nonce: 0n,
      native_locked: 0n,
    });
    expectCustomError(await initialize(), E.AccountAlreadyInitialized);
  });

  it("initializeVault_rejectsNonAdminZeroTtlAndZeroEid", async () => {
    expectCustomError(await initialize(REQUEST_TTL, fixture.guardian), E.Unauthorized);
    expectCustomError(await initialize(0n), E.VaultZeroRequestTtl);
    expectCustomError(await initialize(REQUEST_TTL, fixture.admin, 0), E.InvalidEid);
  });

  it("setRequestTtl_appliesToTheVault", async () => {
    expectOk(await initialize());
    expectOk(
      await fixture.program.send(await setRequestTtlInstruction(fixture.id, fixture.admin, 60n)),
    );

    expect(fixture.program.decode("Vault", fixture.vault).request_ttl).toBe(60n);
    expectCustomError(
      await fixture.program.send(await setRequestTtlInstruction(fixture.id, fixture.admin, 0n)),
      E.VaultZeroRequestTtl,
    );
    expectCustomError(
      await fixture.program.send(await setRequestTtlInstruction(fixture.id, fixture.guardian, 60n)),
      E.Unauthorized,
    );
  });

  it("setAssetAllowed_createsTheEntryAndCustodyThenToggles", async () => {
    expectOk(await initialize());
    const mint = await createMint(fixture.program.svm, fixture.admin.address, 6);
    const allow = async (allowed: boolean, admin = fixture.admin) =>
      fixture.program.send(
        await setAssetAllowedInstruction(fixture.id, {
          payer: fixture.program.payer,
          admin,
          mint,
          allowed,
        }),
      );

    expectOk(await allow(true));
    const asset = await pda.asset(fixture.id, mint);
    expect(fixture.program.decode("AllowedAsset", asset)).toMatchObject({ allowed: 1, mint });
    // The custody account is a token account of the mint owned by the vault.
    const custody = fixture.program.data(await pda.custody(fixture.id, mint));
    expect(custody?.length).toBe(165);

    expectOk(await allow(false));
    expect(fixture.program.decode("AllowedAsset", asset).allowed).toBe(0);
    expectCustomError(await allow(true, fixture.guardian), E.Unauthorized);
  });

  it("setAssetAllowed_rejectsAnAccountThatIsNotAMint", async () => {
    expectOk(await initialize());
    const notAMint = fixture.admin.address;

    expectCustomError(
      await fixture.program.send(
        await setAssetAllowedInstruction(fixture.id, {
          payer: fixture.program.payer,
          admin: fixture.admin,
          mint: notAMint,
          allowed: true,
        }),
      ),
      E.InvalidMint,
    );
  });
});
