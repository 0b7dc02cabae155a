import { defineConfig } from "vitest/config";

// Two projects so CI can run and report them apart: `unit` is pure and fast,
// `chain` needs a real chain (Hardhat's network, a local node, or LiteSVM
// running the SBF program) and so runs its files one at a time.
export default defineConfig({
  test: {
    reporters: ["default", "./scripts/vitest-summary.ts"],
    projects: [
      {
        test: {
          name: "unit",
          include: ["**/*.test.ts"],
          exclude: ["**/node_modules/**"],
        },
      },
      {
        test: {
          name: "chain",
          include: ["**/*.chain-test.ts"],
          exclude: ["**/node_modules/**"],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
