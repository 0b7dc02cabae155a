import { describe, expect, it } from "vitest";
import { EndpointId } from "./chains.ts";

describe("EndpointId", () => {
  it("matchesTheIdsInDesign", () => {
    // DESIGN.md: Ethereum 30101, Solana 30168; testnets 40161 / 40168.
    expect(EndpointId).toEqual({
      EthereumMainnet: 30101,
      SolanaMainnet: 30168,
      EthereumSepolia: 40161,
      SolanaDevnet: 40168,
    });
  });
});
