// The API the page reads (relayer/src/api/views.ts describes each answer;
// only its types come here, so no zod reaches the browser).
import type { LoanView, PacketView, ScheduleView, StatusView } from "../src/api/views.ts";

export interface LoanList {
  loans: LoanView[];
  nextCursor: string | null;
}
export interface PacketList {
  packets: PacketView[];
  nextCursor: string | null;
}

/** An answer other than 2xx: the API's own message when it sent one. */
export class ApiRequestError extends Error {
  override name = "ApiRequestError";
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const reply = await fetch(path, {
    headers: { accept: "application/json" },
    signal: signal ?? null,
  });
  if (reply.ok) return (await reply.json()) as T;
  let message = `${reply.status} ${reply.statusText}`;
  try {
    const body = (await reply.json()) as { error?: { message?: string } };
    if (typeof body.error?.message === "string") message = body.error.message;
  } catch {
    // not JSON: keep the status line
  }
  throw new ApiRequestError(reply.status, message);
}

function withQuery(path: string, query: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, value);
  const text = params.toString();
  return text === "" ? path : `${path}?${text}`;
}

export const LIST_LIMIT = 50;

export function listLoans(
  query: { borrower?: string | undefined; cursor?: string | undefined },
  signal?: AbortSignal,
): Promise<LoanList> {
  return getJson(withQuery("/v1/loans", { ...query, limit: String(LIST_LIMIT) }), signal);
}

/** A loan, or null when the relayer has not recorded it. */
export async function getLoan(loanId: string, signal?: AbortSignal): Promise<LoanView | null> {
  try {
    return await getJson<LoanView>(`/v1/loans/${encodeURIComponent(loanId)}`, signal);
  } catch (error) {
    if (error instanceof ApiRequestError && error.status === 404) return null;
    throw error;
  }
}

/**
 * A loan's installments, or null while the relayer has not read them from
 * the lending pool yet (the API answers 404 until then).
 */
export async function getSchedule(
  loanId: string,
  signal?: AbortSignal,
): Promise<ScheduleView | null> {
  try {
    return await getJson<ScheduleView>(`/v1/loans/${encodeURIComponent(loanId)}/schedule`, signal);
  } catch (error) {
    if (error instanceof ApiRequestError && error.status === 404) return null;
    throw error;
  }
}

export function listPackets(
  query: { loanId?: string; tx?: string },
  signal?: AbortSignal,
): Promise<PacketList> {
  return getJson(withQuery("/v1/packets", { ...query, limit: "100" }), signal);
}

export function getStatus(signal?: AbortSignal): Promise<StatusView> {
  return getJson("/v1/status", signal);
}
