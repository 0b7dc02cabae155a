import { describe, expect, it } from "vitest";
import { RpcError } from "../rpc.ts";
import { isNonceError } from "./nonces.ts";

const answered = (message: string) =>
  new RpcError(message, {
    kind: "rpc_error",
    method: "eth_sendRawTransaction",
    url: "http://node",
    code: -32000,
  });

describe("isNonceError", () => {
  it.each([
    "nonce too low",
    "Nonce too high. Expected nonce to be 1 but got 2.",
    "nonce has already been used",
    "replacement transaction underpriced",
    "already known",
  ])("%s_meansTheChainKnowsTheNextNonce", (message) => {
    expect(isNonceError(answered(message))).toBe(true);
  });

  it("otherAnswers_andTransportFailures_areNot", () => {
    expect(isNonceError(answered("insufficient funds for gas * price + value"))).toBe(false);
    expect(isNonceError(new Error("nonce too low"))).toBe(false);
    expect(
      isNonceError(
        new RpcError("request failed", {
          kind: "transport_error",
          method: "eth_sendRawTransaction",
          url: "http://node",
        }),
      ),
    ).toBe(false);
  });
});
