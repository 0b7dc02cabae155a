// Ends a vitest run with one plain `vitest: N passed, N failed, N skipped`
// line, the closing line CI reads to tell a run that tested from one that
// ran nothing.
import type { Reporter, TestModule } from "vitest/node";

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    for (const testModule of testModules) {
      for (const testCase of testModule.children.allTests()) {
        const { state } = testCase.result();
        if (state === "passed" || state === "failed" || state === "skipped") counts[state] += 1;
      }
    }
    console.log(
      `vitest: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`,
    );
  }
}
