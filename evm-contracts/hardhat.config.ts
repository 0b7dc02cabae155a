import { createRequire } from "node:module";
import hardhatEthers from "@nomicfoundation/hardhat-ethers";
import { defineConfig } from "hardhat/config";

const require = createRequire(import.meta.url);

export default defineConfig({
  plugins: [hardhatEthers],
  solidity: {
    version: "0.8.28",
    // solc-js from npm: with a local compiler path Hardhat skips its compiler
    // download, so builds work on machines that only reach the npm registry.
    path: require.resolve("solc/soljson.js"),
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: "cancun",
    },
  },
});
