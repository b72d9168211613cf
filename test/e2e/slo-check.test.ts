/**
 * `slipway slo check` as users run it in CI: the real command (bin/slipway.js → dist/), offline,
 * scoring the Keptn quickstart slo.yaml. Exit 0 pass, 1 fail, 3 warning, 2 bad input.
 */
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slipway } from './support/slipway-process.js';

const QUICKSTART = fileURLToPath(new URL('../conformance/keptn/slo/02_examples_quickstart_demo_slo.yaml', import.meta.url));
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-slo-'));
  await copyFile(QUICKSTART, join(dir, 'slo.yaml'));
  // Newest passing evaluation had throughput 100, so >=-80% means ≥ 20.
  await writeFile(join(dir, 'history.json'), JSON.stringify([{ result: 'pass', values: { request_throughput: 100 } }]));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function check(values: Record<string, unknown>, ...extra: string[]) {
  await writeFile(join(dir, 'values.json'), JSON.stringify(values));
  const child = slipway(['slo', 'check', 'slo.yaml', '--values', 'values.json', '--history', 'history.json', ...extra], dir);
  const { code } = await child.exited;
  return { code, stdout: child.stdout(), stderr: child.stderr() };
}

const good = { http_response_time_seconds_main_page_sum: 0.35, request_throughput: 90, go_routines: 25, failing_request: 3 };

describe('slipway slo check', () => {
  it('exits 0 on pass and prints a table with every objective and the verdict', async () => {
    const r = await check(good);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^SLI\s+KEY\s+VALUE\s+TARGETS\s+COMPARED WITH\s+SCORE\s+STATUS$/m);
    expect(r.stdout).toMatch(/^request_throughput \(Request Throughput\)\s+90\s+>=-80% \(20\)\s+avg 100 of 1\s+1\/1\s+pass$/m);
    expect(r.stdout).toMatch(/^pass: score 100% \(4 of 4\) ≥ pass 90%$/m);
  });

  it('exits 3 on warning and prints the --json shape', async () => {
    // Page time 0.5 fails (its warning <=0.1 is stricter): 3 of 4 = 75% → warning.
    const r = await check({ ...good, http_response_time_seconds_main_page_sum: 0.5 }, '--json');
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout)).toEqual({
      score: 75,
      result: 'warning',
      objectives: [
        { sli: 'http_response_time_seconds_main_page_sum', value: 0.5, score: 0, status: 'fail' },
        { sli: 'request_throughput', value: 90, score: 1, status: 'pass' },
        { sli: 'go_routines', value: 25, score: 1, status: 'pass' },
        { sli: 'failing_request', value: 3, score: 1, status: 'pass' },
      ],
    });
  });

  it('exits 1 when the key SLI fails', async () => {
    const r = await check({ ...good, go_routines: 31 }, '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ score: 75, result: 'fail' });
  });

  it('exits 2 on a bad SLO file, naming file:line and the field', async () => {
    const text = (await readFile(QUICKSTART, 'utf8')).replace('"<10"', '"below 10"');
    await writeFile(join(dir, 'bad-slo.yaml'), text);
    await writeFile(join(dir, 'values.json'), JSON.stringify(good));
    const child = slipway(['slo', 'check', 'bad-slo.yaml', '--values', 'values.json'], dir);
    expect((await child.exited).code).toBe(2);
    expect(child.stderr()).toMatch(/^slipway: bad-slo\.yaml:32:13: objectives\[3\]\.pass\[0\]\.criteria\[0\]: 'below 10' does not start with an operator/m);
    expect(child.stdout()).toBe('');
  });

  it('exits 2 on values that are not numbers, naming the file and the SLI', async () => {
    const r = await check({ ...good, go_routines: 'many' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^slipway: values\.json \(--values\): go_routines: expected a number, got "many"; the file holds \{"SLI name": number, …\}$/m);
  });

  it('exits 2, not 1 (a failed SLO), when --values is missing', async () => {
    const child = slipway(['slo', 'check', 'slo.yaml'], dir);
    expect((await child.exited).code).toBe(2);
    expect(child.stderr()).toMatch(/required option '--values <file>' not specified/);
  });

  it('exits 2 on a history entry with an unknown result, naming the entry', async () => {
    await writeFile(join(dir, 'bad-history.json'), JSON.stringify([{ result: 'pass', values: {} }, { result: 'passed', values: {} }]));
    await writeFile(join(dir, 'values.json'), JSON.stringify(good));
    const child = slipway(['slo', 'check', 'slo.yaml', '--values', 'values.json', '--history', 'bad-history.json'], dir);
    expect((await child.exited).code).toBe(2);
    expect(child.stderr()).toMatch(/^slipway: bad-history\.json \(--history\): \[1\]\.result: expected 'pass', 'warning' or 'fail', got "passed"/m);
  });
});
