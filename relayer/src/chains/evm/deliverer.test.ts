// The deliverer's pure parts: which attestations count, and how reverts
// decode. Sending, replacement and nonces run on a node in
// deliverer.chain-test.ts.
import {
  addressToWire,
  decodePacket,
  encodePacket,
  type Hex,
  packetAttestationDigest,
} from "@loanbridge/shared";
import { id } from "ethers";
import { describe, expect, it } from "vitest";
import type { Attestation } from "../types.ts";
import { InsufficientAttestationsError } from "../errors.ts";
import { decodeRevert, EvmPacketDeliverer, selectAttestations } from "./deliverer.ts";
import { endpointInterface } from "./endpointAbi.ts";
import { JsonRpc, RpcError } from "../rpc.ts";
import { EvmAttestationSigner } from "./signer.ts";

const packetBytes = encodePacket(
  {
    nonce: 1n,
    srcEid: 40161,
    sender: addressToWire("0x00000000000000000000000000000000000000a1"),
    dstEid: 40168,
    receiver: addressToWire("0x00000000000000000000000000000000000000b2"),
  },
  "0x01",
);
const packet = decodePacket(packetBytes);
const signers = [1, 2, 3, 4]
  .map((i) => new EvmAttestationSigner(id(`deliverer unit ${i}`) as Hex))
  .sort((a, b) => (BigInt(a.signer) < BigInt(b.signer) ? -1 : 1));
const [s0, s1, s2, outsider] = signers as [
  EvmAttestationSigner,
  EvmAttestationSigner,
  EvmAttestationSigner,
  EvmAttestationSigner,
];
const set = { epoch: 4n, threshold: 2, signers: [s0.signer, s1.signer, s2.signer] };
const ENDPOINT = "0x00000000000000000000000000000000000000e1";
const digest = packetAttestationDigest(addressToWire(ENDPOINT), set.epoch, packetBytes);
const sign = (signer: EvmAttestationSigner, epoch = set.epoch) =>
  signer.sign(
    packet.guid,
    epoch,
    packetAttestationDigest(addressToWire(ENDPOINT), epoch, packetBytes),
  );

describe("selectAttestations", () => {
  it("takesTheThresholdOfValidOnes_inAscendingSignerOrder", async () => {
    const chosen = selectAttestations(packet, digest, set, [
      await sign(s2),
      await sign(s0),
      await sign(s1),
    ]);
    expect(chosen.map((a) => a.signer)).toEqual([s0.signer, s1.signer]);
  });

  it("dropsStaleEpochsOutsidersForgeriesAndDuplicates_andSaysWhy", async () => {
    const good = await sign(s0);
    const forged: Attestation = { ...(await sign(s1)), signature: good.signature };
    const attestations = [
      good,
      good,
      await sign(s1, 3n),
      await sign(outsider),
      forged,
      { ...(await sign(s2)), guid: id("other") as Hex },
    ];
    let error: unknown;
    try {
      selectAttestations(packet, digest, set, attestations);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InsufficientAttestationsError);
    const text = String(error);
    for (const reason of [
      "duplicate",
      "epoch 3, current 4",
      "not in the current verifier set",
      "does not recover",
      "another guid",
    ]) {
      expect(text).toContain(reason);
    }
  });
});

describe("decodeRevert", () => {
  const guid = packet.guid;
  const rpcError = (data: unknown, message = "execution reverted") =>
    new RpcError(message, { method: "eth_call", url: "u", kind: "rpc_error", code: 3, data });

  it("namesEndpointErrors_withTheirArguments", () => {
    const data = endpointInterface.encodeErrorResult("EndpointBelowThreshold", [1n, 2]);
    expect(decodeRevert(guid, rpcError(data))).toMatchObject({
      errorName: "EndpointBelowThreshold",
      args: [1n, 2n],
    });
    const nested = endpointInterface.encodeErrorResult("EndpointAlreadyDelivered", [guid]);
    expect(decodeRevert(guid, rpcError({ data: nested }))?.errorName).toBe(
      "EndpointAlreadyDelivered",
    );
  });

  it("unknownData_isAnUnnamedRevert_andNonReverts_areNotRevertsAtAll", () => {
    expect(decodeRevert(guid, rpcError("0x12345678"))).toMatchObject({
      errorName: undefined,
      data: "0x12345678",
    });
    expect(decodeRevert(guid, rpcError(undefined))?.errorName).toBeUndefined();
    expect(decodeRevert(guid, rpcError(undefined, "header not found"))).toBeUndefined();
    expect(
      decodeRevert(guid, new RpcError("t", { method: "eth_call", url: "u", kind: "timeout" })),
    ).toBeUndefined();
  });
});

describe("EvmPacketDeliverer.endpoint", () => {
  it("isTheEndpointContractsAddressLeftPaddedToBytes32", () => {
    const deliverer = new EvmPacketDeliverer({
      eid: 40168,
      rpc: new JsonRpc({ chain: "ethereum", urls: ["http://127.0.0.1:9"] }),
      endpoint: "0x00000000000000000000000000000000000000E1",
      senderKey: id("deliverer unit sender") as Hex,
      chainId: 31337n,
      fees: { maxFeePerGas: 10n ** 11n },
    });
    expect(deliverer.endpoint).toBe(`0x${"0".repeat(62)}e1`);
    // What selectAttestations checks against is the digest bound to it.
    expect(packetAttestationDigest(deliverer.endpoint, set.epoch, packetBytes)).toBe(digest);
  });
});
