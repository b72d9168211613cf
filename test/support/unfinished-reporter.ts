/**
 * A vitest reporter (vitest.config.ts) that says, last in the run's output, which test files
 * did not finish: a file whose worker process died (a signal, a native crash, running out
 * of memory) is otherwise only "Worker exited unexpectedly", naming nothing. For each it
 * names the project, the file and the test that was running, and how long it had run.
 */
import type { Reporter, TestCase, TestModule } from 'vitest/node';

type Running = { project: string; file: string; since: number; test?: string; testSince?: number };

export default class UnfinishedReporter implements Reporter {
  private readonly running = new Map<string, Running>();

  onTestModuleStart(m: TestModule): void {
    this.running.set(m.id, { project: m.project.name, file: m.relativeModuleId, since: Date.now() });
  }

  onTestCaseReady(t: TestCase): void {
    const r = this.running.get(t.module.id);
    if (r) Object.assign(r, { test: t.fullName, testSince: Date.now() });
  }

  onTestModuleEnd(m: TestModule): void {
    // A module whose worker died ends too, but with no result for the test that was running.
    const r = this.running.get(m.id);
    if (r && m.state() !== 'pending' && m.state() !== 'queued' && !this.hasUnfinishedTest(m)) this.running.delete(m.id);
  }

  private hasUnfinishedTest(m: TestModule): boolean {
    for (const t of m.children.allTests()) {
      const state = t.result().state;
      if (state === 'pending') return true;
    }
    return false;
  }

  onTestRunEnd(): void {
    if (this.running.size === 0) return;
    const now = Date.now();
    const lines = [...this.running.values()].map(
      (r) => `  [${r.project}] ${r.file}: ran ${((now - r.since) / 1000).toFixed(0)} s; ${r.test ? `last test started: "${r.test}" (${(((now - (r.testSince ?? now)) / 1000)).toFixed(0)} s before the end)` : 'no test had started'}`,
    );
    process.stderr.write(`\nTest files that did not finish (their worker exited, or the run was stopped):\n${lines.join('\n')}\n`);
  }
}
