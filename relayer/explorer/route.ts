// Hash routes, so the relayer only ever serves static files:
//   #/loans[?borrower=…&cursor=…]   the list (a borrower's loans; a later page)
//   #/loan/<loanId>[?tx=…]          a loan and its packets (tx: the one searched for)
//   #/search/<text>                 resolves a search box entry into one of the above
export type Route =
  | { view: "loans"; borrower?: string; cursor?: string }
  | { view: "loan"; loanId: string; tx?: string }
  | { view: "search"; query: string }
  | { view: "unknown"; hash: string };

export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#/, "");
  const [path, search] = splitOnce(raw, "?");
  const query = new URLSearchParams(search);
  const borrower = query.get("borrower") ?? undefined;
  const cursor = query.get("cursor") ?? undefined;
  const tx = query.get("tx") ?? undefined;
  if (path === "" || path === "/" || path === "/loans") {
    return {
      view: "loans",
      ...(borrower !== undefined && { borrower }),
      ...(cursor !== undefined && { cursor }),
    };
  }
  const loan = /^\/loan\/([^/]+)$/.exec(path);
  if (loan?.[1] !== undefined) {
    const loanId = safeDecode(loan[1]);
    if (loanId !== null) return { view: "loan", loanId, ...(tx !== undefined && { tx }) };
  }
  const searched = /^\/search\/(.+)$/.exec(path);
  if (searched?.[1] !== undefined) {
    const text = safeDecode(searched[1]);
    if (text !== null) return { view: "search", query: text };
  }
  return { view: "unknown", hash: raw };
}

export function routeHash(route: Route): string {
  switch (route.view) {
    case "loans": {
      const query = new URLSearchParams();
      if (route.borrower !== undefined) query.set("borrower", route.borrower);
      if (route.cursor !== undefined) query.set("cursor", route.cursor);
      const search = query.toString();
      return search === "" ? "#/loans" : `#/loans?${search}`;
    }
    case "loan":
      return `#/loan/${encodeURIComponent(route.loanId)}${
        route.tx === undefined ? "" : `?${new URLSearchParams({ tx: route.tx }).toString()}`
      }`;
    case "search":
      return `#/search/${encodeURIComponent(route.query)}`;
    case "unknown":
      return `#${route.hash}`;
  }
}

function splitOnce(text: string, separator: string): [string, string] {
  const at = text.indexOf(separator);
  return at === -1 ? [text, ""] : [text.slice(0, at), text.slice(at + 1)];
}

function safeDecode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}
