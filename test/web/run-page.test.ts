/**
 * The run page and the pipeline graph in Chromium against a real `slipway server`: a shell
 * task's lines show on the run page while the command still runs (it waits on files the
 * test writes, so "before it finishes" is certain), without a reload; the page passes
 * axe-core while it follows the output. The fan-out / fan-in pipeline is drawn as a graph:
 * one column per depth, a curve per `after:`, the ones into a stage with a run going on
 * marked active.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerProcess } from '../e2e/support/server-process.js';
import { SHOTS, browserSkipReason, call, openSignedIn, seriousViolations, type Browser } from './support/browser.js';
import { closeDashboard, openDashboard } from './support/dashboard.js';

const ADMIN = `slw_test_admin_${'r'.repeat(24)}`;
const skip = browserSkipReason();

let dir: string;
let server: ServerProcess;
let b: Browser;
let base: string;

const pipeline = (dir: string) => `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: shop}
spec:
  services: [web]
  stages:
    - name: build
      tasks:
        - name: compile
          kind: shell
          properties:
            run: |
              echo "compiling step one"
              while [ ! -f '${dir}/go1' ]; do sleep 0.05; done
              echo "compiling step two"
              while [ ! -f '${dir}/go2' ]; do sleep 0.05; done
              echo "all compiled"
    - {name: test-a, after: [build], tasks: [{name: check, kind: noop}]}
    - {name: test-b, after: [build], tasks: [{name: check, kind: noop}]}
    - {name: production, after: [test-a, test-b], tasks: [{name: approval, kind: approval, properties: {pass: manual}}]}
`;

describe.skipIf(skip !== undefined)(`the run page and the pipeline graph in a browser ${skip ?? ''}`, () => {
  beforeAll(async () => {
    ({ dir, server, base, b } = await openDashboard('run', pipeline, ADMIN));
  });
  afterAll(() => closeDashboard({ dir, server, b }));

  it("shows a shell task's lines on the run page while the command runs, and the rest when it ends, without a reload", async () => {
    const { page } = b;
    await call(base, ADMIN, 'POST', '/api/v1/projects/shop/releases', { artifacts: { web: 'registry/web:1.0.0' } });
    const runId = await pollRun();
    await openSignedIn(page, base, ADMIN, `/runs/${runId}`);
    await page.evaluate("window.marker = 'same page'");
    const task = page.locator('li.task[data-task="compile"]');
    const output = task.locator('pre[data-output="compile"]');
    await output.getByText('compiling step one').waitFor();
    expect(await task.getAttribute('data-state')).toBe('started');
    expect(await output.textContent()).not.toContain('compiling step two');
    expect(await seriousViolations(page)).toStrictEqual([]);

    await writeFile(join(dir, 'go1'), '');
    await output.getByText('compiling step two').waitFor();
    expect(await task.getAttribute('data-state')).toBe('started');
    await page.screenshot({ path: join(SHOTS, 'run-live-output.png'), fullPage: true });

    await writeFile(join(dir, 'go2'), '');
    await page.locator('li.task[data-task="compile"][data-state="finished"]').waitFor();
    await output.getByText('all compiled').waitFor();
    expect(await output.textContent()).toBe('compiling step one\ncompiling step two\nall compiled\n');
    expect(await page.evaluate('window.marker')).toBe('same page');
  });

  it('draws the pipeline as a graph with its fan-out and fan-in edges, the run waiting in production marked', async () => {
    const { page } = b;
    await page.goto(`${base}/projects/shop/pipeline`);
    // The release went through build and both tests; production waits on an approval.
    await page.locator('[data-stage="production"] .run-link').waitFor({ timeout: 20_000 });
    const edges = page.locator('svg.graph-edges path.edge');
    await page.waitForFunction("document.querySelectorAll('svg.graph-edges path.edge').length === 4");
    const drawn = await edges.evaluateAll((els) => els.map((e) => `${e.getAttribute('data-from')}>${e.getAttribute('data-to')}${e.getAttribute('data-active') ? ' active' : ''}`));
    expect(drawn.sort()).toStrictEqual(['build>test-a', 'build>test-b', 'test-a>production active', 'test-b>production active']);
    const x = async (stage: string) => (await page.locator(`li.stage-box[data-stage="${stage}"]`).boundingBox())!.x;
    const [build, a, bx, production] = [await x('build'), await x('test-a'), await x('test-b'), await x('production')];
    expect(a).toBe(bx);
    expect(build).toBeLessThan(a);
    expect(a).toBeLessThan(production);
    // Each curve starts at the right edge of its first stage and ends at the left edge of the next.
    const ends = await page.locator('svg.graph-edges path[data-from="build"][data-to="test-b"]').getAttribute('d');
    const box = (await page.locator('li.stage-box[data-stage="build"]').boundingBox())!;
    const wrap = (await page.locator('.graph-wrap').boundingBox())!;
    expect(Number(/^M([\d.]+),/.exec(ends!)![1])).toBeCloseTo(box.x + box.width - wrap.x, 0);
    await page.screenshot({ path: join(SHOTS, 'pipeline-graph.png'), fullPage: true });
    expect(await seriousViolations(page)).toStrictEqual([]);
  });
});

async function pollRun(): Promise<string> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const { runs } = await call<{ runs: { id: string; stage: string }[] }>(base, ADMIN, 'GET', '/api/v1/runs?project=shop&stage=build');
    if (runs[0]) return runs[0].id;
    if (Date.now() > deadline) throw new Error('no build run within 20 s');
    await new Promise((r) => setTimeout(r, 100));
  }
}
