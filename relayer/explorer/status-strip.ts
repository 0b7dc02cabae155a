// The strip under the header: each chain's head, finalized block/slot,
// finality lag and last poll, and how many packets wait in each status.
import type { StatusView } from "../src/api/views.ts";
import { el } from "./dom.ts";
import { chainName, formatAgo } from "./format.ts";

export function statusStrip(status: StatusView, now: number): HTMLElement {
  const chains = status.chains.map(
    ({ chain, head, finalized, cursor, finalityLag, lastPollAt }) => {
      // Unknown figures are left out rather than shown as blanks.
      const figures = [
        head === null ? null : `head ${head}`,
        finalized === null ? null : `finalized ${finalized}`,
        finalityLag === null ? null : `lag ${finalityLag}`,
        cursor === null ? null : `scanned ${cursor}`,
        `polled ${formatAgo(lastPollAt, now)}`,
      ].filter((figure) => figure !== null);
      return el(
        "li",
        { class: "chain", testid: `chain-${chain.eid}` },
        el("strong", {}, chainName(chain)),
        ` ${figures.join(" · ")}`,
      );
    },
  );
  const counts = Object.entries(status.packets).map(([name, count]) =>
    el(
      "li",
      { class: count > 0 ? `count status-${name}` : "count zero", testid: `count-${name}` },
      `${name} ${count}`,
    ),
  );
  return el(
    "div",
    { class: "strip" },
    el("span", { class: "relayer", title: "this relayer" }, status.relayerId),
    el("ul", { class: "chains" }, ...chains),
    el("ul", { class: "counts", title: "packets by status" }, ...counts),
  );
}
