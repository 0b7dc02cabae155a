import { encodeBase58 } from "ethers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeBase58 } from "./base58.ts";

describe("decodeBase58", () => {
  it("decodeBase58_ofEthersEncoding_givesTheBytesBack", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 80 }), (bytes) => {
        expect(decodeBase58(encodeBase58(bytes))).toEqual(bytes);
      }),
    );
  });

  it("decodeBase58_solanaSystemProgram_is32ZeroBytes", () => {
    expect(decodeBase58("11111111111111111111111111111111")).toEqual(new Uint8Array(32));
  });

  it("decodeBase58_characterOutsideAlphabet_isNull", () => {
    for (const text of ["0abc", "Oabc", "Iabc", "labc", "ab c", "ab+"]) {
      expect(decodeBase58(text)).toBeNull();
    }
  });
});
