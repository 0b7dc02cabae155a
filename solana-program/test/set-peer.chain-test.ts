// SetPeer: the admin names each app's peer per remote chain; the first call
// also creates the app's outbound nonce for that chain.
import { toBytes } from "@loanbridge/shared";
import { AccountRole, generateKeyPairSigner } from "@solana/kit";
import { beforeEach, describe, expect, it } from "vitest";
import { LoanbridgeProgramError as E, pda, setPeerInstruction } from "../client/index.ts";
import {
  type EndpointFixture,
  expectCustomError,
  expectOk,
  REMOTE_EID,
  REMOTE_POOL,
  REMOTE_VAULT,
  startEndpoint,
  withAccount,
} from "./fixture.ts";

describe("SetPeer", () => {
  let fixture: EndpointFixture;

  beforeEach(async () => {
    fixture = await startEndpoint({ peers: false });
  });

  const setPeer = async (
    app = fixture.vault,
    remoteEid = REMOTE_EID,
    remoteApp = toBytes(REMOTE_POOL),
  ) =>
    setPeerInstruction(fixture.id, {
      payer: fixture.program.payer,
      admin: fixture.admin,
      app,
      remoteEid,
      remoteApp,
    });

  it("firstCall_createsPeerAndNonce", async () => {
    expectOk(await fixture.program.send(await setPeer()));

    expect(
      fixture.program.decode("Peer", await pda.peer(fixture.id, fixture.vault, REMOTE_EID)),
    ).toMatchObject({
      version: 1,
      remote_eid: REMOTE_EID,
      local_app: fixture.vault,
      remote_app: toBytes(REMOTE_POOL),
    });
    expect(
      fixture.program.decode(
        "OutboundNonce",
        await pda.nonce(fixture.id, fixture.vault, REMOTE_EID),
      ),
    ).toMatchObject({
      dst_eid: REMOTE_EID,
      app: fixture.vault,
      nonce: 0n,
    });
  });

  it("secondCall_updatesTheRemoteAppAndKeepsTheNonce", async () => {
    expectOk(await fixture.program.send(await setPeer()));
    expectOk(
      await fixture.program.send(await setPeer(fixture.vault, REMOTE_EID, toBytes(REMOTE_VAULT))),
    );

    const peer = fixture.program.decode(
      "Peer",
      await pda.peer(fixture.id, fixture.vault, REMOTE_EID),
    );
    expect(peer.remote_app).toEqual(toBytes(REMOTE_VAULT));
  });

  it("poolApp_isAccepted", async () => {
    expectOk(
      await fixture.program.send(await setPeer(fixture.pool, REMOTE_EID, toBytes(REMOTE_VAULT))),
    );
  });

  it("appOtherThanVaultOrPool_failsWithInvalidPeer", async () => {
    const stranger = await generateKeyPairSigner();

    expectCustomError(await fixture.program.send(await setPeer(stranger.address)), E.InvalidPeer);
  });

  it("zeroRemoteEid_failsWithInvalidPeer", async () => {
    expectCustomError(await fixture.program.send(await setPeer(fixture.vault, 0)), E.InvalidPeer);
  });

  it("notAdmin_failsWithUnauthorized", async () => {
    const instruction = await setPeerInstruction(fixture.id, {
      payer: fixture.program.payer,
      admin: fixture.guardian,
      app: fixture.vault,
      remoteEid: REMOTE_EID,
      remoteApp: toBytes(REMOTE_POOL),
    });

    expectCustomError(await fixture.program.send(instruction), E.Unauthorized);
  });

  it("peerAccountOfAnotherEid_failsWithInvalidPda", async () => {
    const wrongPeer = await pda.peer(fixture.id, fixture.vault, REMOTE_EID + 1);
    const instruction = withAccount(await setPeer(), 3, {
      address: wrongPeer,
      role: AccountRole.WRITABLE,
    });

    expectCustomError(await fixture.program.send(instruction), E.InvalidPda);
  });

  it("readonlyPeerAccount_failsWithAccountNotWritable", async () => {
    const peer = await pda.peer(fixture.id, fixture.vault, REMOTE_EID);
    const instruction = withAccount(await setPeer(), 3, {
      address: peer,
      role: AccountRole.READONLY,
    });

    expectCustomError(await fixture.program.send(instruction), E.AccountNotWritable);
  });
});
