import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseRoute, type Route, routeHash } from "./route.ts";

const LOAN = `0x${"12".repeat(32)}`;

describe("parseRoute", () => {
  it("parseRoute_emptyOrRoot_isTheLoanList", () => {
    for (const hash of ["", "#", "#/", "#/loans"])
      expect(parseRoute(hash)).toEqual({ view: "loans" });
  });

  it("parseRoute_eachView_readsItsParameters", () => {
    expect(parseRoute("#/loans?borrower=0xAb&cursor=c1")).toEqual({
      view: "loans",
      borrower: "0xAb",
      cursor: "c1",
    });
    expect(parseRoute(`#/loan/${LOAN}?tx=abc`)).toEqual({ view: "loan", loanId: LOAN, tx: "abc" });
    expect(parseRoute("#/search/hello%20world")).toEqual({ view: "search", query: "hello world" });
  });

  it("parseRoute_unknownOrMalformed_isUnknown", () => {
    expect(parseRoute("#/nothing")).toEqual({ view: "unknown", hash: "/nothing" });
    expect(parseRoute("#/loan/%E0%A4%A")).toEqual({ view: "unknown", hash: "/loan/%E0%A4%A" });
    expect(parseRoute("#/loan/a/b")).toEqual({ view: "unknown", hash: "/loan/a/b" });
  });

  it("routeHash_thenParseRoute_givesTheRouteBack", () => {
    const text = fc.string({ minLength: 1, maxLength: 40 });
    const route: fc.Arbitrary<Route> = fc.oneof(
      fc.record(
        { view: fc.constant("loans" as const), borrower: text, cursor: text },
        { requiredKeys: ["view"] },
      ),
      fc.record(
        { view: fc.constant("loan" as const), loanId: text, tx: text },
        { requiredKeys: ["view", "loanId"] },
      ),
      fc.record({ view: fc.constant("search" as const), query: text }),
    );
    fc.assert(
      fc.property(route, (value) => {
        expect(parseRoute(routeHash(value))).toEqual(value);
      }),
    );
  });
});
