import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SlipwayError } from '../../src/core/index.js';
import { NonRetryableTaskError } from '../../src/engine/executor.js';
import {
  artifactVariable,
  createShellExecutor,
  shellTaskFiles,
  mockExecutorContext,
  type MockExecutorContext,
  type MockExecutorContextOptions,
} from '../../src/executors/index.js';
import { finished, lines, processAlive, waitUntil } from './helpers.js';

const contexts: MockExecutorContext[] = [];
afterEach(() => {
  for (const c of contexts.splice(0)) c.dispose();
});

function shellTask(properties: Record<string, unknown>, options: MockExecutorContextOptions = {}): MockExecutorContext {
  const ctx = mockExecutorContext({ ...options, task: { name: 'deploy', kind: 'shell', properties, ...options.task } });
  contexts.push(ctx);
  return ctx;
}

const shell = createShellExecutor({ killGraceMs: 500 });

describe('shell executor: environment', () => {
  it('passes the task, run and artifacts in SLIPWAY_* variables and properties.env', async () => {
    const ctx = shellTask(
      { run: 'env | grep -E "^(SLIPWAY_|GREETING=)" | grep -v "^SLIPWAY_TEST_" | sort', env: { GREETING: 'hi' } },
      {
        run: { id: 'run-42', project: 'shop', stage: 'hardening', releaseId: 'rel-abc', artifacts: { 'web-ui': 'reg/ui:1', api: 'reg/api:2', 'pay.v2': 'x' } },
        task: { attempt: 3 },
      },
    );
    const tail = finished(await shell.execute(ctx)).output!.tail as string;
    expect(tail.trim().split('\n')).toEqual([
      'GREETING=hi',
      'SLIPWAY_ARTIFACT_API=reg/api:2',
      'SLIPWAY_ARTIFACT_PAY_V2=x',
      'SLIPWAY_ARTIFACT_WEB_UI=reg/ui:1',
      'SLIPWAY_ATTEMPT=3',
      'SLIPWAY_PROJECT=shop',
      'SLIPWAY_RELEASE=rel-abc',
      'SLIPWAY_RUN=run-42',
      'SLIPWAY_SEQUENCE=delivery',
      'SLIPWAY_SERVICES=api,pay.v2,web-ui',
      'SLIPWAY_STAGE=hardening',
      'SLIPWAY_TASK=deploy',
      'SLIPWAY_TASK_ID=run-42.deploy.3',
    ]);
  });

  it('names artifact variables in upper case with non-alphanumerics as _', () => {
    expect(artifactVariable('frontend')).toBe('SLIPWAY_ARTIFACT_FRONTEND');
    expect(artifactVariable('my-svc.v2')).toBe('SLIPWAY_ARTIFACT_MY_SVC_V2');
  });

  it('runs in properties.cwd resolved against the project directory', async () => {
    const ctx = shellTask({ run: 'pwd', cwd: 'sub/dir' });
    mkdirSync(join(ctx.run.projectDir, 'sub/dir'), { recursive: true });
    const tail = finished(await shell.execute(ctx)).output!.tail as string;
    expect(tail.trim()).toBe(join(ctx.run.projectDir, 'sub/dir'));
  });

  it('refuses a missing cwd without retry', async () => {
    const ctx = shellTask({ run: 'true', cwd: 'nope' });
    await expect(shell.execute(ctx)).rejects.toThrow(NonRetryableTaskError);
  });
});

describe('shell executor: outcomes', () => {
  it('passes on exit 0 and keeps stdout and stderr', async () => {
    const ctx = shellTask({ run: 'echo out; echo err >&2' });
    const outcome = finished(await shell.execute(ctx));
    expect(outcome).toMatchObject({ result: 'pass', output: { exitCode: 0, tail: 'out\nerr\n' } });
    expect(ctx.logs.map((l) => l.msg)).toEqual(['command started', 'command ended']);
  });

  it('gives a warning on the warningExitCode', async () => {
    const ctx = shellTask({ run: 'exit 3', warningExitCode: 3 });
    expect(finished(await shell.execute(ctx))).toMatchObject({ result: 'warning', output: { exitCode: 3 } });
  });

  it('fails on any other exit code, naming it', async () => {
    const ctx = shellTask({ run: 'exit 2', warningExitCode: 3 });
    expect(finished(await shell.execute(ctx))).toMatchObject({
      result: 'fail',
      message: 'command failed with exit code 2',
      output: { exitCode: 2 },
    });
  });

  it('a failed command names its last lines of output and the path of its log', async () => {
    const ctx = shellTask({ run: 'seq 1 30; echo "./deploy.sh: not found" >&2; exit 127' });
    const outcome = finished(await shell.execute(ctx));
    const logFile = outcome.output!.logFile as string;
    expect(outcome.message).toBe(
      [
        "command failed with exit code 127 (a shell's code for a command not found)",
        'its last 10 lines of output:',
        ...['22', '23', '24', '25', '26', '27', '28', '29', '30', './deploy.sh: not found'].map((l) => `  ${l}`),
        `full log: ${logFile}`,
      ].join('\n'),
    );
  });

  it('names the signal when the command was killed by one', async () => {
    const ctx = shellTask({ run: 'kill -KILL $$' });
    expect(finished(await shell.execute(ctx)).message?.split('\n')[0]).toBe(
      "command failed with exit code 137 (a shell's code for a process killed by SIGKILL)",
    );
  });

  it('bounds the output tail and caps the log file, noting the truncation', async () => {
    const small = createShellExecutor({ outputLimitBytes: 100, logLimitBytes: 10_000 });
    const ctx = shellTask({ run: 'seq 1 100000; echo done' });
    const outcome = finished(await small.execute(ctx));
    const tail = outcome.output!.tail as string;
    expect(Buffer.byteLength(tail)).toBeLessThanOrEqual(100);
    expect(tail).toMatch(/\[slipway: log truncated at 10000 bytes; \d+ more bytes dropped\]\n$/);
    const logFile = outcome.output!.logFile as string;
    expect(statSync(logFile).size).toBeLessThan(10_200);
    expect(readFileSync(logFile, 'utf8').startsWith('1\n2\n3\n')).toBe(true);
  });

  it('heartbeats while the command runs', async () => {
    const beating = createShellExecutor({ heartbeatIntervalMs: 50 });
    const ctx = shellTask({ run: 'sleep 0.4' });
    await beating.execute(ctx);
    expect(ctx.heartbeats.length).toBeGreaterThanOrEqual(3);
    expect(ctx.heartbeats[0]?.details).toHaveProperty('pid');
  });

  it('reports bad properties', () => {
    expect(shell.validate!({}).map((p) => p.field)).toEqual(['run']);
    expect(
      shell.validate!({ run: 'x', cwd: 1, warningExitCode: 0, env: { SLIPWAY_TASK_ID: 'x' } }).map((p) => p.field),
    ).toEqual(['cwd', 'warningExitCode', 'env.SLIPWAY_TASK_ID']);
    expect(shell.validate!({ run: 'x', env: { A: 1 } }).map((p) => p.field)).toEqual(['env']);
    expect(shell.validate!({ run: 'make deploy', cwd: 'app', warningExitCode: 2, env: { A: 'b' } })).toEqual([]);
  });
});

describe('shell executor: stopping', () => {
  it('kills the whole process group on abort, grandchildren included', async () => {
    const ctx = shellTask({ run: 'sleep 300 & echo $! > grandchild.pid; echo started; wait' });
    const outcome = shell.execute(ctx);
    const pidFile = join(ctx.workDir, 'grandchild.pid');
    // The pid file is written before `echo started` runs: wait for both, or an abort in between
    // leaves a tail without 'started' (CI met it: the tail was "Terminated").
    await waitUntil(
      () => lines(pidFile).length === 1 && lines(shellTaskFiles(ctx.workDir, ctx.task.id).log).includes('started'),
      5000,
      'the grandchild and the "started" line',
    );
    const grandchild = Number(lines(pidFile)[0]);
    expect(processAlive(grandchild)).toBe(true);
    ctx.abort(new Error('run aborted by alice'));
    expect(finished(await outcome)).toMatchObject({
      result: 'fail',
      message: 'aborted (run aborted by alice); the command was killed',
      output: { tail: expect.stringContaining('started') },
    });
    await waitUntil(() => !processAlive(grandchild), 5000, 'the grandchild to die');
  });

  it('escalates to SIGKILL when the command ignores SIGTERM', async () => {
    const ctx = shellTask({ run: "trap '' TERM; echo ready; sleep 300 & wait; sleep 300" });
    const outcome = shell.execute(ctx);
    await waitUntil(() => lines(shellTaskFiles(ctx.workDir, ctx.task.id).log).includes('ready'), 5000, 'the trap');
    const started = Date.now();
    ctx.abort();
    expect(finished(await outcome)).toMatchObject({
      result: 'fail',
      output: { exitCode: null, signal: 'SIGKILL', tail: 'ready\n' },
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
  });

  it('fails with a timeout when the deadline passes, killing the command', async () => {
    const now = Date.now();
    // 2 s: on a loaded machine `sh` may take a while to start and print before the kill.
    const ctx = shellTask({ run: 'echo working; sleep 300' }, { now, task: { triggeredAt: now, deadline: now + 2000 } });
    const outcome = finished(await shell.execute(ctx));
    expect(outcome).toMatchObject({ result: 'fail', message: 'timed out after 2s; the command was killed' });
    expect(outcome.output!.tail).toContain('working');
  });

  it('does not start when already aborted or past its deadline', async () => {
    const aborted = shellTask({ run: 'touch ran' });
    aborted.abort(new Error('gone'));
    expect(await shell.execute(aborted)).toEqual({ result: 'fail', message: 'aborted (gone) before the command started' });
    const now = Date.now();
    const late = shellTask({ run: 'touch ran' }, { now, task: { triggeredAt: now - 1000, deadline: now - 1 } });
    expect(await shell.execute(late)).toMatchObject({ result: 'fail', message: 'timed out after 999ms before the command started' });
    expect(lines(join(aborted.workDir, 'ran'))).toEqual([]);
  });

  it('leaves the command running when Slipway shuts down, to adopt it later', async () => {
    const ctx = shellTask({ run: 'echo x >> ran; sleep 1; echo done' });
    const first = shell.execute(ctx);
    await waitUntil(() => lines(join(ctx.workDir, 'ran')).length === 1);
    ctx.abort(new SlipwayError('SHUTTING_DOWN', 'stopping'));
    await expect(first).rejects.toThrow(/keeps running and is adopted/);
    const again = shellTask({ run: 'echo x >> ran; sleep 1; echo done' }, { workDir: ctx.workDir });
    const outcome = finished(await createShellExecutor().execute(again));
    expect(outcome).toMatchObject({ result: 'pass', output: { tail: 'done\n' } });
    expect(lines(join(ctx.workDir, 'ran'))).toEqual(['x']);
  });
});
