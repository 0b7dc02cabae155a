// What an operator reads (status, loans, packets) and the two admin actions,
// from either of two places that give the same views: the store itself, or
// a running relayer's API (when that relayer holds the embedded store's
// lock). Queries are the API's own query strings, parsed by params.ts on
// both paths, so a flag means the same whichever way the answer comes.
import { BaseError, type Hex } from "@loanbridge/shared";
import { z } from "zod";
import type { Secret } from "../config/secret.ts";
import type { Store } from "../store/store.ts";
import type { ChainDirectory } from "./chains.ts";
import { lookUpBorrowers } from "./credit.ts";
import { borrowerParam, loansQuery, packetsQuery } from "./params.ts";
import { toLoanView, toPacketView, toScheduleView, toStatusView } from "./present.ts";
import {
  type BorrowerList,
  borrowerListSchema,
  errorViewSchema,
  loanListSchema,
  type LoanView,
  loanViewSchema,
  packetListSchema,
  type PacketView,
  packetViewSchema,
  type ScheduleView,
  scheduleViewSchema,
  type StatusView,
  statusViewSchema,
} from "./views.ts";

export type LoanList = z.infer<typeof loanListSchema>;
export type PacketList = z.infer<typeof packetListSchema>;

/** `?state=&borrower=&limit=&cursor=` as strings, as the API takes them. */
export type LoansQueryText = Partial<Record<keyof z.input<typeof loansQuery>, string | undefined>>;
/** `?status=&loanId=&tx=&limit=&cursor=` as strings, as the API takes them. */
export type PacketsQueryText = Partial<
  Record<keyof z.input<typeof packetsQuery>, string | undefined>
>;

export interface ActionInput {
  actor: string;
  reason?: string;
}

export interface OperatorReads {
  /** Where the answers come from, for messages ("the store", "http://…"). */
  readonly source: string;
  status(): Promise<StatusView>;
  loans(query: LoansQueryText): Promise<LoanList>;
  loan(loanId: Hex): Promise<LoanView | undefined>;
  /** The loan's installments (GET /v1/loans/<loanId>/schedule); no loan or no schedule read yet: undefined. */
  schedule(loanId: Hex): Promise<ScheduleView | undefined>;
  packets(query: PacketsQueryText): Promise<PacketList>;
  packet(guid: Hex): Promise<PacketView | undefined>;
  /** The borrowers an EVM or Solana address names (GET /v1/borrowers/<address>); none: undefined. */
  borrowers(address: string): Promise<BorrowerList | undefined>;
  retry(guid: Hex, input: ActionInput): Promise<PacketView>;
  deny(guid: Hex, input: ActionInput & { reason: string }): Promise<PacketView>;
}

/** A query the API would refuse with 400; the message names the parameter. */
export class QueryError extends BaseError {
  override name = "QueryError";
}

function parseQuery<T extends z.ZodType>(schema: T, query: object): z.output<T> {
  const defined = Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined));
  const result = schema.safeParse(defined);
  if (result.success) return result.data;
  throw new QueryError(result.error.issues[0]?.message ?? "invalid query");
}

/** Reads straight from a store; actions audited with `via: "cli"`. */
export function storeReads(store: Store, chains: ChainDirectory, relayerId: string): OperatorReads {
  const audit = (action: "retry" | "deny", guid: Hex, input: ActionInput) => ({
    actor: input.actor,
    action,
    subject: guid,
    detail: { via: "cli", ...(input.reason !== undefined && { reason: input.reason }) },
  });
  return {
    source: "the store",
    async status() {
      const [cursors, packets] = await Promise.all([
        store.listCursors(),
        store.countPacketsByStatus(),
      ]);
      return toStatusView(relayerId, chains, { cursors, packets });
    },
    async loans(query) {
      const page = await store.loanPage(parseQuery(loansQuery, query));
      return {
        loans: page.items.map((loan) => toLoanView(loan, chains)),
        nextCursor: page.nextCursor,
      };
    },
    async loan(loanId) {
      const loan = await store.getLoan(loanId);
      return loan === undefined ? undefined : toLoanView(loan, chains);
    },
    async schedule(loanId) {
      const loan = await store.getLoan(loanId);
      if (loan === undefined) return undefined;
      return toScheduleView(loan, await store.listInstallments(loanId), chains, new Date());
    },
    async packets(query) {
      const page = await store.packetPage(parseQuery(packetsQuery, query));
      return {
        packets: page.items.map((packet) => toPacketView(packet, chains)),
        nextCursor: page.nextCursor,
      };
    },
    async packet(guid) {
      const packet = await store.getPacket(guid);
      return packet === undefined ? undefined : toPacketView(packet, chains);
    },
    async borrowers(address) {
      const parsed = borrowerParam.safeParse(address);
      if (!parsed.success) throw new QueryError(parsed.error.issues[0]?.message ?? "bad address");
      const account = parsed.data;
      const list = await lookUpBorrowers(store, chains, address, account, new Date());
      return list.borrowers.length === 0 ? undefined : list;
    },
    async retry(guid, input) {
      return toPacketView(
        await store.requeue(guid, { audit: audit("retry", guid, input) }),
        chains,
      );
    },
    async deny(guid, input) {
      const packet = await store.deny(guid, input.reason, { audit: audit("deny", guid, input) });
      return toPacketView(packet, chains);
    },
  };
}

/** The relayer's API could not be reached at all (not running, another port). */
export class ApiUnreachableError extends BaseError {
  override name = "ApiUnreachableError";
  readonly url: string;

  constructor(url: string, cause: unknown) {
    // fetch says "fetch failed"; why (connect ECONNREFUSED …) is its cause.
    const why = cause instanceof Error ? (cause.cause as Error | undefined)?.message : undefined;
    const because = why === undefined || why === "" ? "" : ` (${why})`;
    super(`the relayer's API at ${url} cannot be reached${because}`, {
      cause,
    });
    this.url = url;
  }
}

/** The API answered with an error (its status and message). */
export class ApiAnswerError extends BaseError {
  override name = "ApiAnswerError";
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

const REQUEST_TIMEOUT_MS = 10_000;

/**
 * Reads through a running relayer's API at `baseUrl`; every answer is checked
 * against its view schema. Actions need the admin token, loaded only then
 * (a read needs no secret).
 */
export function apiReads(baseUrl: string, adminToken?: () => Promise<Secret>): OperatorReads {
  async function call<T extends z.ZodType>(
    schema: T,
    path: string,
    init: { method?: "POST"; body?: unknown; admin?: boolean; missing?: "undefined" } = {},
  ): Promise<z.output<T> | undefined> {
    const url = `${baseUrl}${path}`;
    const headers: Record<string, string> = { accept: "application/json" };
    if (init.body !== undefined) headers["content-type"] = "application/json";
    if (init.admin === true) {
      if (adminToken === undefined) {
        throw new ApiAnswerError(
          403,
          "retry and deny through the relayer's API need its admin token: set api.adminToken in the config",
        );
      }
      headers.authorization = `Bearer ${(await adminToken()).reveal()}`;
    }
    let reply: Response;
    try {
      reply = await fetch(url, {
        method: init.method ?? "GET",
        headers,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
      });
    } catch (error) {
      throw new ApiUnreachableError(baseUrl, error);
    }
    const body: unknown = await reply.json().catch(() => undefined);
    if (reply.status === 404 && init.missing === "undefined") return undefined;
    if (!reply.ok) {
      const answer = errorViewSchema.safeParse(body);
      const message = answer.success ? answer.data.error.message : `HTTP ${reply.status}`;
      if (reply.status === 400) throw new QueryError(message);
      throw new ApiAnswerError(reply.status, message);
    }
    return schema.parse(body);
  }
  const required = async <T>(value: Promise<T | undefined>): Promise<T> => {
    const result = await value;
    // Only calls that ask for `missing: "undefined"` resolve without a value.
    if (result === undefined) throw new ApiAnswerError(404, "not found");
    return result;
  };
  const queryString = (query: object) => {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (typeof value === "string") params.set(key, value);
    }
    const text = params.toString();
    return text === "" ? "" : `?${text}`;
  };
  return {
    source: baseUrl,
    status: () => required(call(statusViewSchema, "/v1/status")),
    loans: (query) => required(call(loanListSchema, `/v1/loans${queryString(query)}`)),
    loan: (loanId) => call(loanViewSchema, `/v1/loans/${loanId}`, { missing: "undefined" }),
    schedule: (loanId) =>
      call(scheduleViewSchema, `/v1/loans/${loanId}/schedule`, { missing: "undefined" }),
    packets: (query) => required(call(packetListSchema, `/v1/packets${queryString(query)}`)),
    packet: (guid) => call(packetViewSchema, `/v1/packets/${guid}`, { missing: "undefined" }),
    borrowers: (address) =>
      call(borrowerListSchema, `/v1/borrowers/${encodeURIComponent(address)}`, {
        missing: "undefined",
      }),
    retry: (guid, input) =>
      required(
        call(packetViewSchema, `/v1/packets/${guid}/retry`, {
          method: "POST",
          body: input,
          admin: true,
        }),
      ),
    deny: (guid, input) =>
      required(
        call(packetViewSchema, `/v1/packets/${guid}/deny`, {
          method: "POST",
          body: input,
          admin: true,
        }),
      ),
  };
}

/** Where a client on this machine reaches the API the config serves (a wildcard host is loopback). */
export function apiUrlOf(api: { host: string; port: number }): string {
  const host =
    api.host === "0.0.0.0"
      ? "127.0.0.1"
      : api.host === "::"
        ? "[::1]"
        : api.host.includes(":")
          ? `[${api.host}]`
          : api.host;
  return `http://${host}:${api.port}`;
}
