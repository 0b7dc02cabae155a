import { PassThrough } from "node:stream";
import type { Hex } from "@loanbridge/shared";
import { describe, expect, it } from "vitest";
import { Secret } from "../config/secret.ts";
import { RelayerEvents } from "./events.ts";
import { attachLogger, createLogger, type Logger, packetLogger } from "./logger.ts";

const GUID: Hex = `0x${"22".repeat(32)}`;
const LOAN: Hex = `0x${"33".repeat(32)}`;
const KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

/** A logger writing into an array of parsed JSON lines. */
function capture(level: "debug" | "info" = "debug"): {
  logger: Logger;
  lines: () => Record<string, unknown>[];
  raw: () => string;
} {
  const stream = new PassThrough();
  let text = "";
  stream.on("data", (chunk: Buffer) => (text += chunk.toString()));
  const logger = createLogger({ level, relayerId: "relayer-a", stream });
  return {
    logger,
    raw: () => text,
    lines: () =>
      text
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe("logger", () => {
  it("line_isOneJsonObject_withLevelMessageTimestampAndRelayer", () => {
    const { logger, lines } = capture();

    logger.info("started", { port: 8080, nonce: 2n ** 64n - 1n, bytes: Uint8Array.from([1, 2]) });

    const [line] = lines();
    expect(line).toEqual({
      level: "info",
      message: "started",
      relayerId: "relayer-a",
      port: 8080,
      nonce: "18446744073709551615",
      bytes: "0x0102",
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as string,
    });
  });

  it("levelBelowConfigured_isDropped", () => {
    const { logger, lines } = capture("info");

    logger.debug("noise");
    logger.warn("kept");

    expect(lines().map((line) => line.message)).toEqual(["kept"]);
  });

  it("secrets_neverReachALine", () => {
    const { logger, raw } = capture();
    const secret = new Secret(KEY, "env LOANBRIDGE_EVM_SIGNER_KEY");

    logger.info("key loaded", { key: secret, nested: { deeper: [secret] } });
    logger.info(`template ${String(secret)} and ${secret.toString()}`);
    logger.info("as meta", secret);
    logger.warn("db", { url: "postgresql://lb:hunter2@db:5432/lb" });
    logger.error("failed", { error: new Error("connect to https://user:pa55@rpc.example failed") });

    expect(raw()).not.toContain(KEY.slice(2));
    expect(raw()).not.toContain("hunter2");
    expect(raw()).not.toContain("pa55");
    expect(raw()).toContain('"key":"[redacted]"');
    expect(raw()).toContain("postgresql://lb:[redacted]@db:5432/lb");
  });

  it("packetLogger_stampsGuidAndLoanIdOnEveryLine", () => {
    const { logger, lines } = capture();

    packetLogger(logger, { guid: GUID, loanId: LOAN }).info("simulating");
    packetLogger(logger, { guid: GUID }).info("no loan yet");

    expect(lines()).toMatchObject([
      { message: "simulating", guid: GUID, loanId: LOAN },
      { message: "no loan yet", guid: GUID },
    ]);
    expect(lines()[1]).not.toHaveProperty("loanId");
  });
});

describe("attachLogger", () => {
  it("packetEvents_logWithGuidAndLoanId", () => {
    const { logger, lines } = capture();
    const events = new RelayerEvents();
    attachLogger(events, logger);
    const ref = { guid: GUID, loanId: LOAN, srcEid: 40161, dstEid: 40168 };

    events.emit("packetObserved", { ...ref, nonce: 7n, sourceTx: "0xtx", sourceHeight: 100n });
    events.emit("packetVerified", ref);
    events.emit("verificationFailed", {
      ...ref,
      chain: "evm",
      reason: "wrong_emitter",
      detail: "log from 0xbad",
      final: true,
    });
    events.emit("packetAttested", {
      ...ref,
      signer: "0xSigner",
      epoch: 3n,
      digest: `0x${"ab".repeat(32)}`,
      signature: `0x${"cd".repeat(65)}`,
    });
    events.emit("deliverySubmitted", { ...ref, chain: "solana", destTx: "5sig" });
    events.emit("packetDelivered", {
      ...ref,
      chain: "solana",
      destTx: "5sig",
      seconds: 4.5,
      outcome: "delivered",
    });
    events.emit("deliveryFailed", {
      ...ref,
      chain: "solana",
      error: "blockhash expired",
      attempts: 2,
      final: false,
    });
    events.emit("operatorAction", { guid: GUID, action: "deny", actor: "admin", reason: "spam" });

    const logged = lines();
    expect(logged.every((line) => line.guid === GUID)).toBe(true);
    expect(logged.slice(0, 7).every((line) => line.loanId === LOAN)).toBe(true);
    expect(logged.map((line) => `${String(line.level)} ${String(line.message)}`)).toEqual([
      "info packet observed",
      "info packet verified",
      "error packet verification failed",
      "info packet attested",
      "info delivery submitted",
      "info packet delivered",
      "warn packet delivery failed",
      "warn packet deny by operator",
    ]);
    expect(logged[0]).toMatchObject({
      nonce: "7",
      sourceHeight: "100",
      srcEid: 40161,
      dstEid: 40168,
    });
    expect(logged[2]).toMatchObject({
      reason: "wrong_emitter",
      detail: "log from 0xbad",
      chain: "evm",
    });
  });

  it("rpcEvents_debugWhenOk_warnWhenFailed", () => {
    const { logger, lines } = capture();
    const events = new RelayerEvents();
    const detach = attachLogger(events, logger);

    events.emit("rpcCall", {
      chain: "evm",
      method: "eth_blockNumber",
      outcome: "ok",
      durationMs: 12,
    });
    events.emit("rpcCall", {
      chain: "evm",
      method: "eth_getLogs",
      outcome: "timeout",
      durationMs: 10_000,
      endpoint: "https://rpc.example/…",
    });
    detach();
    events.emit("rpcCall", {
      chain: "evm",
      method: "eth_chainId",
      outcome: "error",
      durationMs: 1,
    });

    expect(lines()).toMatchObject([
      { level: "debug", message: "rpc call", method: "eth_blockNumber", ms: 12 },
      {
        level: "warn",
        message: "rpc call failed",
        outcome: "timeout",
        endpoint: "https://rpc.example/…",
      },
    ]);
    expect(lines()).toHaveLength(2);
  });
});
