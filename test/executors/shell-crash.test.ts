/**
 * The engine may be SIGKILLed while a shell task runs and dispatches the same task id
 * after restart; the command must run once. "Crash" here drops the first execute() and
 * starts a second one on a new executor, as a restarted engine would, over the same
 * workDir; the last case kills a real engine process.
 */
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createShellExecutor,
  mockExecutorContext,
  shellTaskFiles,
  type MockExecutorContext,
} from '../../src/executors/index.js';
import { finished, lines, processAlive, waitUntil } from './helpers.js';

const contexts: MockExecutorContext[] = [];
afterEach(() => {
  for (const c of contexts.splice(0)) c.dispose();
});

/** A fresh context (an engine's view of the task) over a shared workDir. */
function dispatch(run: string, workDir?: string, extra: Record<string, unknown> = {}): MockExecutorContext {
  const ctx = mockExecutorContext({
    ...(workDir ? { workDir } : {}),
    task: { name: 'deploy', kind: 'shell', properties: { run, ...extra } },
  });
  contexts.push(ctx);
  return ctx;
}

/** The command appends to `ran` when it starts and to `done` when it is about to finish. */
const command = (seconds: number, exit = 0): string =>
  `echo once >> ran; echo working; sleep ${seconds}; echo finished >> done; exit ${exit}`;

/**
 * Like `command`, but it finishes only once the file `go` exists in its directory: the test
 * lets it go after the executor said it adopted it, so a slow machine cannot let it finish first.
 */
const gated = (exit = 0): string => `echo once >> ran; echo working; while [ ! -f go ]; do sleep 0.05; done; echo finished >> done; exit ${exit}`;

/** Lets a gated command finish once the executor has logged that it adopted it. */
async function releaseWhenAdopted(ctx: { workDir: string; logs: { msg: string }[] }): Promise<void> {
  await waitUntil(() => ctx.logs.some((l) => l.msg === 'adopting the command left running before a restart'), 20_000, 'the executor to adopt the command');
  writeFileSync(join(ctx.workDir, 'go'), '');
}

function dropped(outcome: Promise<unknown>): void {
  outcome.catch(() => undefined);
}

describe('shell executor after a crash', () => {
  it('adopts the command still running and reports its outcome, running it once', async () => {
    const first = dispatch(gated(3), undefined, { warningExitCode: 3 });
    dropped(createShellExecutor().execute(first));
    await waitUntil(() => lines(join(first.workDir, 'ran')).length === 1, 5000, 'the command to start');

    const second = dispatch(gated(3), first.workDir, { warningExitCode: 3 });
    const executing = createShellExecutor({ pollIntervalMs: 50 }).execute(second);
    await releaseWhenAdopted(second);
    const outcome = finished(await executing);

    expect(outcome).toMatchObject({ result: 'warning', output: { exitCode: 3, tail: 'working\n' } });
    expect(second.logs.map((l) => l.msg)).toContain('adopting the command left running before a restart');
    expect(lines(join(first.workDir, 'ran'))).toEqual(['once']);
    expect(lines(join(first.workDir, 'done'))).toEqual(['finished']);
  });

  it('returns the recorded outcome when the command finished while Slipway was down', async () => {
    const first = dispatch(command(0, 2));
    dropped(createShellExecutor().execute(first));
    const files = shellTaskFiles(first.workDir, first.task.id);
    await waitUntil(() => existsSync(files.exit), 5000, 'the exit file');

    const second = dispatch(command(0, 2), first.workDir);
    const outcome = finished(await createShellExecutor().execute(second));

    expect(outcome).toMatchObject({
      result: 'fail',
      message: `command failed with exit code 2\nits last line of output:\n  working\nfull log: ${shellTaskFiles(second.workDir, second.task.id).log}`,
      output: { exitCode: 2, tail: 'working\n' },
    });
    expect(second.logs.map((l) => l.msg)[0]).toBe('command already finished before a restart; not running it again');
    expect(lines(join(first.workDir, 'ran'))).toEqual(['once']);
  });

  it('fails rather than runs again when the recorded process died without an exit status', async () => {
    const ctx = dispatch('echo once >> ran');
    // A pid that is alive but not this task's (pid reuse): this test process itself.
    writeFileSync(shellTaskFiles(ctx.workDir, ctx.task.id).pid, `${process.pid}\n`);
    const outcome = finished(await createShellExecutor().execute(ctx));
    expect(outcome.result).toBe('fail');
    expect(outcome.message).toMatch(/ended while Slipway was down without recording an exit status/);
    expect(lines(join(ctx.workDir, 'ran'))).toEqual([]);
  });

  it('kills an adopted command’s process group when the run is aborted', async () => {
    const run = 'sleep 300 & echo $! > grandchild.pid; echo once >> ran; wait';
    const first = dispatch(run);
    dropped(createShellExecutor().execute(first));
    const pidFile = join(first.workDir, 'grandchild.pid');
    await waitUntil(() => lines(pidFile).length === 1 && lines(join(first.workDir, 'ran')).length === 1);
    const grandchild = Number(lines(pidFile)[0]);

    const second = dispatch(run, first.workDir);
    const outcome = createShellExecutor({ pollIntervalMs: 50 }).execute(second);
    await waitUntil(() => second.logs.length > 0, 5000, 'the adoption');
    second.abort(new Error('run aborted'));

    expect(finished(await outcome)).toMatchObject({ result: 'fail', message: 'aborted (run aborted); the command was killed' });
    await waitUntil(() => !processAlive(grandchild), 5000, 'the grandchild to die');
    expect(lines(join(first.workDir, 'ran'))).toEqual(['once']);
  });

  it('joins a duplicate dispatch that arrives while the task runs', async () => {
    const shell = createShellExecutor();
    const ctx = dispatch(command(0.2));
    const [a, b] = await Promise.all([shell.execute(ctx), shell.execute(dispatch(command(0.2), ctx.workDir))]);
    expect(a).toEqual(b);
    expect(lines(join(ctx.workDir, 'ran'))).toEqual(['once']);
  });

  it('survives a SIGKILL of the engine process and is adopted after restart', async () => {
    const ctx = dispatch(gated());
    const fixture = fileURLToPath(new URL('./fixtures/shell-engine.ts', import.meta.url));
    const engine = spawn(process.execPath, ['--import', 'tsx', fixture, ctx.workDir, gated()], { stdio: 'ignore' });
    const engineExit = new Promise((resolve) => engine.once('exit', resolve));
    await waitUntil(() => lines(join(ctx.workDir, 'ran')).length === 1, 20_000, 'the command to start');
    engine.kill('SIGKILL');
    await engineExit;

    const executing = createShellExecutor({ pollIntervalMs: 50 }).execute(ctx);
    await releaseWhenAdopted(ctx);
    const outcome = finished(await executing);
    expect(outcome).toMatchObject({ result: 'pass', output: { exitCode: 0, tail: 'working\n' } });
    expect(ctx.logs.map((l) => l.msg)).toContain('adopting the command left running before a restart');
    expect(lines(join(ctx.workDir, 'ran'))).toEqual(['once']);
    expect(lines(join(ctx.workDir, 'done'))).toEqual(['finished']);
  });
});
