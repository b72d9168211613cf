/**
 * Crash recovery with a real process: `slipway run` is killed with SIGKILL in the middle
 * of a run and started again on the same data directory. The run finishes, each finished
 * task's side effect happened once, and a soak ends at its original due time.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/index.js';
import { slipway } from './support/slipway-process.js';

const yaml = `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: crashy}
spec:
  stages:
    - name: dev
      tasks:
        - {name: first, kind: shell, properties: {run: "echo once >> first.txt"}}
        - {name: soak, kind: wait, properties: {duration: 3s}}
        - {name: slow, kind: shell, properties: {run: "sleep 2; echo once >> slow.txt"}}
        - {name: last, kind: shell, properties: {run: "echo once >> last.txt"}}
`;

let dir: string;
const args = () => ['run', 'slipway.yaml', '--service', 'api', '--artifact', 'api:1', '--data', join(dir, 'data'), '--json'];
const lines = async (f: string) => (await readFile(join(dir, f), 'utf8').catch(() => '')).split('\n').filter(Boolean).length;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-crash-'));
  await writeFile(join(dir, 'slipway.yaml'), yaml);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function soakTimes() {
  const store = await openSqliteStore({ file: join(dir, 'data', 'slipway.db') });
  try {
    const events = (await store.events({})).map((e) => e.event);
    const waiting = events.find((e) => e.type === 'sh.slipway.task.soak.waiting')!;
    const finished = events.find((e) => e.type === 'sh.slipway.task.soak.finished')!;
    return { dueAt: (waiting.data as { dueAt: number }).dueAt, finishedAt: Date.parse(finished.time), events };
  } finally {
    await store.close();
  }
}

describe('crash recovery of a local run', () => {
  it('killed during a soak, it resumes and the soak ends at its original due time', async () => {
    const first = slipway(args(), dir);
    await first.waitFor(/soak\s+waiting/);
    first.proc.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    // Stay down a while: a soak restarted from scratch would end 3 s after the restart.
    await new Promise((r) => setTimeout(r, 1200));
    const second = slipway(args(), dir);
    const { code } = await second.exited;
    expect(second.stderr()).toContain('resuming release');
    expect(code, second.stderr()).toBe(0);
    const out = JSON.parse(second.stdout()) as { stages: { dev: { state: string; tasks: { name: string; result: string }[] } } };
    expect(out.stages.dev.state).toBe('succeeded');
    expect(out.stages.dev.tasks.map((t) => t.result)).toEqual(['pass', 'pass', 'pass', 'pass']);
    const { dueAt, finishedAt, events } = await soakTimes();
    expect(finishedAt).toBeGreaterThanOrEqual(dueAt);
    // A soak restarted from scratch would wait again with a later due time. Every wait names
    // the original one (a bound on finishedAt - dueAt failed on a loaded machine, where the
    // second process itself started seconds after the due time).
    const dues = events.filter((e) => e.type === 'sh.slipway.task.soak.waiting').map((e) => (e.data as { dueAt: number }).dueAt);
    expect(new Set(dues)).toEqual(new Set([dueAt]));
    expect([await lines('first.txt'), await lines('slow.txt'), await lines('last.txt')]).toEqual([1, 1, 1]);
  });

  it('killed during a shell task, it resumes and the task side effect happens exactly once', async () => {
    const first = slipway(args(), dir);
    await first.waitFor(/slow\s+started/);
    first.proc.kill('SIGKILL');
    await first.exited;
    const second = slipway(args(), dir);
    const { code } = await second.exited;
    expect(code, second.stderr()).toBe(0);
    expect([await lines('first.txt'), await lines('slow.txt'), await lines('last.txt')]).toEqual([1, 1, 1]);
    const { events } = await soakTimes();
    // The slow task was triggered once (same task id after restart), and finished once.
    expect(events.filter((e) => e.type === 'sh.slipway.task.slow.triggered')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'sh.slipway.task.slow.finished')).toHaveLength(1);
  });
});

describe('task files', () => {
  it('a shell task keeps its log but drops its pid and exit files once its outcome is committed', async () => {
    const child = slipway(args(), dir);
    expect((await child.exited).code).toBe(0);
    const { readdir } = await import('node:fs/promises');
    const files = await readdir(join(dir, 'data', 'tasks'));
    expect(files.filter((f) => f.endsWith('.log'))).toHaveLength(3);
    expect(files.filter((f) => f.endsWith('.pid') || f.endsWith('.exit'))).toEqual([]);
  });
});
