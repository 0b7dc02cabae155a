// The page: a search box, the status strip, and the view the hash names,
// refreshed every few seconds while the tab is visible.
import { getLoan, getSchedule, getStatus, listLoans, listPackets } from "./api.ts";
import { el, replace } from "./dom.ts";
import { loanList } from "./loan-list.ts";
import { loanPage } from "./loan-page.ts";
import { parseRoute, type Route, routeHash } from "./route.ts";
import type { ScheduleState } from "./schedule.ts";
import { parseSearch } from "./search.ts";
import { statusStrip } from "./status-strip.ts";

const REFRESH_MS = 3_000;

const view = required("view");
const strip = required("status");
const form = required("search") as HTMLFormElement;
const input = required("search-input") as HTMLInputElement;

/** The render in flight; a newer route aborts it so an old answer never paints. */
let current: AbortController | undefined;
/** Where the last search led: the box keeps its text there, and is cleared elsewhere. */
let searchedHash: string | undefined;

async function show(route: Route, quiet: boolean): Promise<void> {
  current?.abort();
  const controller = new AbortController();
  current = controller;
  const { signal } = controller;
  if (!quiet) replace(view, el("p", { class: "loading" }, "Loading…"));
  try {
    const node = await render(route, signal);
    // Unchanged content stays as it is: a refresh keeps the reader's selection.
    if (signal.aborted || node === null || view.firstElementChild?.isEqualNode(node) === true)
      return;
    replace(view, node);
  } catch (error) {
    if (signal.aborted) return;
    replace(view, message("error", `Could not load this view: ${describe(error)}`));
  }
}

/** The view's content, or null when it moved to another route instead. */
async function render(route: Route, signal: AbortSignal): Promise<HTMLElement | null> {
  switch (route.view) {
    case "loans": {
      const list = await listLoans({ borrower: route.borrower, cursor: route.cursor }, signal);
      return loanList(list, route.borrower);
    }
    case "loan": {
      const [loan, packets, status] = await Promise.all([
        getLoan(route.loanId, signal),
        listPackets({ loanId: route.loanId }, signal),
        // Only for the explorer's address links: the page shows without them.
        getStatus(signal).catch(() => null),
      ]);
      if (loan === null) {
        return message("not-found", `Loan ${route.loanId} is not recorded by this relayer.`);
      }
      // Asked for only once the loan says it has installments.
      const schedule = loan.installments > 1 ? await scheduleOf(route.loanId, signal) : null;
      return loanPage(loan, packets.packets, { highlightTx: route.tx, status, schedule });
    }
    case "search":
      return search(route.query, signal);
    case "unknown":
      return message("not-found", `There is no page #${route.hash}.`);
  }
}

/** A loan's schedule; a failure shows in its section, and the rest of the page still shows. */
async function scheduleOf(loanId: string, signal: AbortSignal): Promise<ScheduleState> {
  try {
    const schedule = await getSchedule(loanId, signal);
    return schedule === null ? { kind: "notRead" } : { kind: "read", schedule };
  } catch (error) {
    if (signal.aborted) throw error;
    return { kind: "failed", reason: describe(error) };
  }
}

/** Resolves a search into a loan or a list (replacing the #/search entry in history). */
async function search(query: string, signal: AbortSignal): Promise<HTMLElement | null> {
  input.value = query;
  const target = parseSearch(query);
  const go = (route: Route) => {
    searchedHash = routeHash(route);
    location.replace(searchedHash);
    return null;
  };
  /** The loan a transaction carried a packet of, when this relayer recorded one. */
  const loanOfTx = async (tx: string) => {
    const { packets } = await listPackets({ tx }, signal);
    const loanId = packets.find((packet) => packet.loanId !== null)?.loanId ?? undefined;
    return { loanId, packets: packets.length };
  };
  switch (target.kind) {
    case "invalid":
      return message("not-found", `“${target.value}”: ${target.reason}.`);
    case "borrower":
      return go({ view: "loans", borrower: target.value });
    case "accountOrTx": {
      // A packet's source account first (an exact match), else a borrower.
      const { loanId } = await loanOfTx(target.value);
      if (loanId !== undefined) return go({ view: "loan", loanId, tx: target.value });
      return go({ view: "loans", borrower: target.value });
    }
    case "loanOrTx":
    case "tx": {
      if (target.kind === "loanOrTx" && (await getLoan(target.value, signal)) !== null) {
        return go({ view: "loan", loanId: target.value });
      }
      const { loanId, packets } = await loanOfTx(target.value);
      if (loanId !== undefined) return go({ view: "loan", loanId, tx: target.value });
      if (packets > 0) {
        return message("not-found", `Transaction ${target.value} carried packets of no loan.`);
      }
      const what = target.kind === "loanOrTx" ? "loan or transaction" : "transaction";
      return message("not-found", `No ${what} ${target.value} is recorded by this relayer.`);
    }
  }
}

async function refreshStatus(): Promise<void> {
  try {
    replace(strip, statusStrip(await getStatus(), Date.now()));
  } catch (error) {
    replace(strip, el("span", { class: "error" }, `Status unavailable: ${describe(error)}`));
  }
}

function message(kind: "not-found" | "error", text: string): HTMLElement {
  return el("p", { class: kind, testid: kind }, text);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function required(id: string): HTMLElement {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`the page has no #${id}`);
  return found;
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const query = input.value.trim();
  if (query === "") return;
  const hash = routeHash({ view: "search", query });
  // The same search again: hashchange would not fire.
  if (location.hash === hash) void show(parseRoute(hash), false);
  else location.hash = hash;
});

window.addEventListener("hashchange", () => {
  const route = parseRoute(location.hash);
  if (route.view !== "search" && location.hash !== searchedHash) input.value = "";
  void show(route, false);
});

let refreshing = false;
setInterval(() => {
  if (document.hidden || refreshing) return;
  const route = parseRoute(location.hash);
  // A search moves on by itself; re-running it would repeat its questions.
  if (route.view === "search") return;
  refreshing = true;
  void Promise.all([show(route, true), refreshStatus()]).finally(() => {
    refreshing = false;
  });
}, REFRESH_MS);

void show(parseRoute(location.hash), false);
void refreshStatus();
