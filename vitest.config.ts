import { defineConfig } from "vitest/config";

// Projects so CI can run and report them apart: `unit` is pure and fast,
// `chain` needs a real chain (Hardhat's network, a local node, or LiteSVM
// running the SBF program) and so runs its files one at a time; `e2e` starts
// a whole localnet per file (test/e2e, test/chaos: chains and relayer
// processes, mostly waiting on finality and takeover windows), one file at a
// time too but beside `chain`, so the two streams share the machine's cores;
// `chaos` is the long fault-injection cases only `make chaos` runs (`make
// test` runs `unit`, `chain` and `e2e`).
export default defineConfig({
  test: {
    // Two streams at once (vitest's default on 2 cores is one): `chain`
    // files are CPU-bound, `e2e` files mostly wait on chains.
    maxWorkers: 2,
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
          exclude: ["**/node_modules/**", "test/e2e/**", "test/chaos/**"],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.chain-test.ts", "test/chaos/**/*.chain-test.ts"],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: "chaos",
          include: ["**/*.chaos-test.ts"],
          exclude: ["**/node_modules/**"],
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
