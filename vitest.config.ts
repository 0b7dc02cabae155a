import { defineConfig } from "vitest/config";

// Projects so CI can run and report them apart: `unit` is pure and fast,
// `chain` needs a real chain (Hardhat's network, a local node, or LiteSVM
// running the SBF program) and so runs its files one at a time; `e2e` starts
// a whole localnet per file (test/e2e, test/chaos: chains and relayer
// processes), one file at a time too, and `make test` splits its files over
// two more vitest processes beside the one for `unit` and `chain`
// (scripts/test-ts.sh); `chaos` is the long fault-injection cases only
// `make chaos` runs.
export default defineConfig({
  test: {
    reporters: ["default", "./scripts/vitest-summary.ts", "./scripts/vitest-watchdog.ts"],
    projects: [
      {
        test: {
          name: "unit",
          include: ["**/*.test.ts"],
          exclude: ["**/node_modules/**"],
          // Some suites open an embedded PGlite store before their tests:
          // seconds alone, longer beside the chain and e2e processes.
          hookTimeout: 60_000,
          // The files share one module graph instead of importing it again
          // each (ethers, Kysely, PGlite, the relayer): measured over the
          // whole project, 261 CPU-seconds against 336. Each file still has
          // its own module and state; what they share (store/testing.ts's
          // image) is read-only, and a test that changes anything global
          // (process.env, a spy) puts it back.
          isolate: false,
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
