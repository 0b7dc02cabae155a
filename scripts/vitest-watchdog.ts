// Names what a stuck vitest run is stuck on. Every test and hook has a
// timeout, but a blocked event loop or a worker that never reports back
// outlasts them all, and a run that only ends when CI kills it shows nothing
// of where it stopped (session 10's CI run ended that way, its last line a
// finished file). Once a minute this prints each file that has reported
// nothing for STALL_MS, with the test it is on, or that every file has ended
// but the run has not; scripts/test-ts.sh then ends the run at its limit.
import type { Reporter, TestCase, TestModule } from "vitest/node";

const CHECK_MS = 60_000;
// Past the longest test and hook timeout (vitest.config.ts: 180 s for chaos).
const STALL_MS = 4 * 60_000;

interface Progress {
  lastReportAt: number;
  // A blocked worker may not have sent its next test's start, so the last
  // one to end says where it stopped when this is unset.
  currentTest: string | undefined;
  lastEndedTest: string | undefined;
}

export default class WatchdogReporter implements Reporter {
  readonly #running = new Map<string, Progress>();
  #lastModuleEndAt = Date.now();
  #timer: NodeJS.Timeout | undefined;

  onTestRunStart(): void {
    this.#timer = setInterval(() => {
      this.#reportStalls(Date.now());
    }, CHECK_MS);
    this.#timer.unref();
  }

  onTestModuleStart(testModule: TestModule): void {
    this.#running.set(testModule.moduleId, {
      lastReportAt: Date.now(),
      currentTest: undefined,
      lastEndedTest: undefined,
    });
  }

  // A test's events can come after its file's end (they are sent in
  // batches): only a file still running is updated.
  onTestCaseReady(testCase: TestCase): void {
    const progress = this.#running.get(testCase.module.moduleId);
    if (progress === undefined) return;
    progress.lastReportAt = Date.now();
    progress.currentTest = testCase.fullName;
  }

  onTestCaseResult(testCase: TestCase): void {
    const progress = this.#running.get(testCase.module.moduleId);
    if (progress === undefined) return;
    progress.lastReportAt = Date.now();
    progress.currentTest = undefined;
    progress.lastEndedTest = testCase.fullName;
  }

  onTestModuleEnd(testModule: TestModule): void {
    this.#running.delete(testModule.moduleId);
    this.#lastModuleEndAt = Date.now();
  }

  onTestRunEnd(): void {
    clearInterval(this.#timer);
  }

  #reportStalls(now: number): void {
    if (this.#running.size === 0 && now - this.#lastModuleEndAt >= STALL_MS) {
      console.log(
        `vitest-watchdog: no file has run for ${minutes(now - this.#lastModuleEndAt)} min and the run has not ended (queued files not started, or teardown)`,
      );
    }
    for (const [moduleId, progress] of this.#running) {
      const silentMs = now - progress.lastReportAt;
      if (silentMs < STALL_MS) continue;
      const at =
        progress.currentTest !== undefined
          ? `in "${progress.currentTest}"`
          : `after "${progress.lastEndedTest ?? "(no test yet)"}" (in the next test, a hook or teardown)`;
      console.log(
        `vitest-watchdog: ${moduleId} has reported nothing for ${minutes(silentMs)} min, ${at}`,
      );
    }
  }
}

function minutes(ms: number): number {
  return Math.round(ms / 60_000);
}
