import { describe, expect, it } from "vitest";
import { BaseError } from "./errors.ts";

class ConfigError extends BaseError {
  override name = "ConfigError";
}

describe("BaseError", () => {
  it("message_isShortMessageAlone_withoutDetails", () => {
    const error = new ConfigError("rpcUrl is missing");

    expect(error.message).toMatchInlineSnapshot(`"rpcUrl is missing"`);
    expect(error.details).toBeUndefined();
  });

  it("message_appendsExplicitDetails", () => {
    const error = new ConfigError("rpcUrl is not a URL", { details: 'got "localhost"' });

    expect(error.message).toMatchInlineSnapshot(`
      "rpcUrl is not a URL

      Details: got "localhost""
    `);
  });

  it("details_comeFromCause_whenNotGiven", () => {
    const cause = new TypeError("Invalid URL");
    const error = new ConfigError("rpcUrl is not a URL", { cause });

    expect(error.details).toBe("Invalid URL");
    expect(error.cause).toBe(cause);
    expect(error).toBeInstanceOf(BaseError);
    expect(error.name).toBe("ConfigError");
  });

  it("details_useShortMessage_ofNestedBaseError", () => {
    const inner = new ConfigError("rpcUrl is missing", { details: "env LB_RPC_URL unset" });
    const outer = new BaseError("cannot start relayer", { cause: inner });

    expect(outer.details).toBe("rpcUrl is missing");
  });
});
