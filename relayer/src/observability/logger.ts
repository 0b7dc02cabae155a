// winston JSON lines on stdout. Secrets cannot reach a line: `Secret`
// values print as `[redacted]` and the format below replaces any that sit
// in a log field, and credentials in URLs are masked. Packet lines carry
// `guid` (and `loanId` when known).
import type { Writable } from "node:stream";
import winston from "winston";
import { type LogLevel, REDACTED, Secret } from "../config/index.ts";
import type { PacketRef, RelayerEvents } from "./events.ts";

export type Logger = winston.Logger;

export interface CreateLoggerOptions {
  level: LogLevel;
  relayerId: string;
  /** Where lines go; stdout by default. */
  stream?: Writable;
}

// `scheme://user:password@` → `scheme://user:[redacted]@`
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/[^\s/:@]*):[^\s/@]+@/gi;
const MAX_DEPTH = 6;

/** A log field made safe and JSON-friendly: secrets and URL passwords hidden, bytes as hex. */
function clean(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (value instanceof Secret) return REDACTED;
  if (typeof value === "string") return value.replace(URL_CREDENTIALS, `$1:${REDACTED}@`);
  if (typeof value === "bigint") return value.toString();
  if (typeof value !== "object" || value === null) return value;
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return `0x${Buffer.from(value).toString("hex")}`;
  if (seen.has(value) || depth >= MAX_DEPTH) return "[…]";
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => clean(item, depth + 1, seen));
  if (value instanceof Error) {
    return {
      name: value.name,
      message: clean(value.message, depth + 1, seen),
      ...("code" in value && { code: clean(value.code, depth + 1, seen) }),
    };
  }
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, clean(item, depth + 1, seen)]),
  );
}

/** The winston format that applies `clean` to every field of a line. */
export const redactFormat = winston.format((info) => {
  const seen = new WeakSet<object>();
  for (const key of Object.keys(info)) info[key] = clean(info[key], 0, seen);
  return info;
});

export function createLogger(options: CreateLoggerOptions): Logger {
  return winston.createLogger({
    level: options.level,
    levels: winston.config.npm.levels,
    defaultMeta: { relayerId: options.relayerId },
    format: winston.format.combine(
      redactFormat(),
      winston.format.timestamp(),
      winston.format.json(),
    ),
    transports: [
      // winston types its transports as interfaces with a constructor signature.
      // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
      new winston.transports.Stream({ stream: options.stream ?? process.stdout }),
    ],
  });
}

/** The fields every packet line carries. */
export const packetFields = (packet: Pick<PacketRef, "guid" | "loanId">) => ({
  guid: packet.guid,
  ...(packet.loanId !== undefined && { loanId: packet.loanId }),
});

/** A child logger whose lines all carry the packet's guid (and loanId). */
export const packetLogger = (logger: Logger, packet: Pick<PacketRef, "guid" | "loanId">): Logger =>
  logger.child(packetFields(packet));

const route = (ref: PacketRef) => ({
  ...packetFields(ref),
  srcEid: ref.srcEid,
  dstEid: ref.dstEid,
});

/** Subscribes the logger to the events; returns the unsubscribe function. */
export function attachLogger(events: RelayerEvents, logger: Logger): () => void {
  const off = [
    events.on("packetObserved", (event) =>
      logger.info("packet observed", {
        ...route(event),
        nonce: event.nonce,
        sourceTx: event.sourceTx,
        sourceHeight: event.sourceHeight,
      }),
    ),
    events.on("packetVerified", (event) => logger.info("packet verified", route(event))),
    events.on("verificationFailed", (event) =>
      logger.log(event.final ? "error" : "warn", "packet verification failed", {
        ...route(event),
        chain: event.chain,
        reason: event.reason,
        detail: event.detail,
        final: event.final,
      }),
    ),
    events.on("packetAttested", (event) =>
      // The digest and signature: an audit trail of what this key signed.
      logger.info("packet attested", {
        ...route(event),
        signer: event.signer,
        epoch: event.epoch,
        digest: event.digest,
        signature: event.signature,
      }),
    ),
    events.on("deliverySubmitted", (event) =>
      logger.info("delivery submitted", {
        ...route(event),
        chain: event.chain,
        destTx: event.destTx,
      }),
    ),
    events.on("packetDelivered", (event) =>
      logger.info("packet delivered", {
        ...route(event),
        chain: event.chain,
        destTx: event.destTx,
        seconds: event.seconds,
        outcome: event.outcome,
      }),
    ),
    events.on("executorTakeover", (event) =>
      logger.warn("taking over a packet's delivery", {
        ...route(event),
        chain: event.chain,
        rank: event.rank,
        waitedMs: event.waitedMs,
      }),
    ),
    events.on("feeCapReached", (event) =>
      logger.warn("delivery fees reached the configured cap", {
        chain: event.chain,
        dstEid: event.dstEid,
        guid: event.guid,
        maxFeePerGas: event.maxFeePerGas.toString(),
      }),
    ),
    events.on("deliveryBudget", (event) =>
      logger.info("delivery compute budget", {
        chain: event.chain,
        dstEid: event.dstEid,
        guid: event.guid,
        destTx: event.tx,
        computeUnitLimit: event.computeUnitLimit,
        computeUnitPriceMicroLamports: event.computeUnitPrice,
        bytes: event.bytes,
        lookupTable: event.lookupTable,
      }),
    ),
    events.on("lookupTableRead", (event) =>
      "error" in event
        ? logger.warn(
            "lookup table unusable: deliveries name every account inline, and those too large for that fail",
            { chain: event.chain, dstEid: event.dstEid, table: event.table, error: event.error },
          )
        : logger.info("lookup table read", {
            chain: event.chain,
            dstEid: event.dstEid,
            table: event.table,
            usable: event.usable,
          }),
    ),
    events.on("deliveryExpired", (event) =>
      logger.warn("delivery expired before it landed; signing it again with a fresh blockhash", {
        chain: event.chain,
        dstEid: event.dstEid,
        guid: event.guid,
        expiredTx: event.tx,
        attempt: event.attempt,
      }),
    ),
    events.on("deliveryAccountsMoved", (event) =>
      logger.info(
        "delivery refused: another delivery moved the receiving app's state; accounts derived again",
        {
          chain: event.chain,
          dstEid: event.dstEid,
          guid: event.guid,
          rebuilds: event.rebuilds,
        },
      ),
    ),
    events.on("duplicateDelivery", (event) =>
      logger.warn("delivery lost to another relayer's transaction", {
        ...route(event),
        chain: event.chain,
        sentTxs: event.sentTxs,
        deliveredTx: event.deliveredTx,
      }),
    ),
    events.on("deliveryFailed", (event) =>
      logger.log(event.final ? "error" : "warn", "packet delivery failed", {
        ...route(event),
        chain: event.chain,
        error: event.error,
        attempts: event.attempts,
        final: event.final,
      }),
    ),
    events.on("operatorAction", (event) =>
      logger.warn(`packet ${event.action} by operator`, {
        ...packetFields(event),
        actor: event.actor,
        ...(event.reason !== undefined && { reason: event.reason }),
      }),
    ),
    events.on("rpcCall", (event) => {
      if (event.outcome === "ok") {
        logger.debug("rpc call", {
          chain: event.chain,
          method: event.method,
          ms: event.durationMs,
        });
        return;
      }
      logger.warn("rpc call failed", {
        chain: event.chain,
        method: event.method,
        outcome: event.outcome,
        ms: event.durationMs,
        ...(event.endpoint !== undefined && { endpoint: event.endpoint }),
        ...(event.error !== undefined && { error: event.error }),
      });
    }),
    events.on("claimContradicted", (event) =>
      logger.warn("packet claim contradicts the recorded one", {
        chain: event.chain,
        guid: event.guid,
        srcEid: event.srcEid,
        sourceTx: event.sourceTx,
        sourceIndex: event.sourceIndex,
        outcome: event.outcome,
      }),
    ),
    events.on("rpcDisagreement", (event) =>
      logger.warn("rpc endpoint outvoted: it answered otherwise than the quorum", {
        chain: event.chain,
        method: event.method,
        endpoint: event.endpoint,
      }),
    ),
    events.on("closedPacketPassed", (event) =>
      logger.warn(
        "packet closed before this relayer read it: it lagged more than the 30 days a packet stays open",
        {
          chain: event.chain,
          srcEid: event.srcEid,
          dstEid: event.dstEid,
          app: event.app,
          receiver: event.receiver,
          nonce: event.nonce,
        },
      ),
    ),
    events.on("nonceGapDetected", (event) =>
      logger.error("nonce gap: a source packet could not be read", {
        chain: event.chain,
        srcEid: event.srcEid,
        dstEid: event.dstEid,
        app: event.app,
        receiver: event.receiver,
        nonce: event.nonce,
        reason: event.reason,
      }),
    ),
    events.on("cursorAdvanced", (event) => logger.debug("cursor advanced", { ...event })),
    events.on("headAdvanced", (event) => logger.debug("head advanced", { ...event })),
    events.on("loansCounted", ({ disagreeing }) => {
      if (disagreeing > 0) logger.warn("loan halves disagree", { disagreeing });
    }),
  ];
  return () => {
    for (const unsubscribe of off) unsubscribe();
  };
}
