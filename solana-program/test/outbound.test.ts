// outboundPacketBytes: what relayers trust from a packet account. It returns
// exactly the stored packet and refuses anything else.
import { encodePacket, toBytes } from "@loanbridge/shared";
import { keccak256 } from "ethers";
import { describe, expect, it } from "vitest";
import {
  accountSize,
  OUTBOUND_PACKET_CAPACITY,
  OUTBOUND_PACKET_DISCRIMINATOR,
  outboundPacketBytes,
} from "../client/index.ts";

const PACKET = encodePacket(
  {
    nonce: 7n,
    srcEid: 40168,
    sender: `0x${"11".repeat(32)}`,
    dstEid: 40161,
    receiver: `0x${"22".repeat(32)}`,
  },
  new Uint8Array(66).fill(3),
);

/** An `OutboundPacket` account as the program writes it. */
function account(packet: Uint8Array = PACKET): Uint8Array {
  const data = new Uint8Array(accountSize("OutboundPacket"));
  data.set([OUTBOUND_PACKET_DISCRIMINATOR, 1, 255, 1]);
  data.set(toBytes(keccak256(packet) as `0x${string}`), 4);
  data.set(packet.slice(81, 113), 36);
  new DataView(data.buffer).setUint16(68, packet.length, true);
  data.set(packet, 70);
  return data;
}

describe("outboundPacketBytes", () => {
  it("returnsExactlyTheStoredPacket", () => {
    // 367 bytes of packet record, then its payer (32) and send time (8) for ClosePacket.
    expect(accountSize("OutboundPacket")).toBe(407);
    expect(outboundPacketBytes(account())).toEqual(PACKET);
  });

  it("otherDiscriminator_throws", () => {
    const data = account();
    data[0] = 3;
    expect(() => outboundPacketBytes(data)).toThrow(/discriminator/);
  });

  it("oldLayoutWithoutPacketBytes_throws", () => {
    expect(() => outboundPacketBytes(account().slice(0, 68))).toThrow(/68 bytes/);
  });

  it("lengthAboveCapacity_throws", () => {
    const data = account();
    new DataView(data.buffer).setUint16(68, OUTBOUND_PACKET_CAPACITY + 1, true);
    expect(() => outboundPacketBytes(data)).toThrow(/exceeds 297/);
  });

  it("bytesNotMatchingTheStoredHash_throw", () => {
    const data = account();
    data[70 + 120] = (data[70 + 120] ?? 0) ^ 1;
    expect(() => outboundPacketBytes(data)).toThrow(/packet_hash/);
    const shorter = account();
    new DataView(shorter.buffer).setUint16(68, PACKET.length - 1, true);
    expect(() => outboundPacketBytes(shorter)).toThrow(/packet_hash/);
  });
});
