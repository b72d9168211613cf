import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MockExecutorContext } from '../../src/executors/index.js';

describe('MockExecutorContext', () => {
  it('builds a full context with a stable task id, a temp workDir and a settable clock', () => {
    const ctx = new MockExecutorContext({ now: 1_000, run: { id: 'r9' }, task: { name: 'deploy', attempt: 2 } });
    expect(ctx.task.id).toBe('r9.deploy.2');
    expect(ctx.task.triggeredAt).toBe(1_000);
    expect(existsSync(ctx.workDir)).toBe(true);
    expect(ctx.run.projectDir).toBe(ctx.workDir);
    ctx.advance(500);
    expect(ctx.now()).toBe(1_500);
    ctx.setNow(9_000);
    expect(ctx.now()).toBe(9_000);
    ctx.dispose();
    expect(existsSync(ctx.workDir)).toBe(false);
  });

  it('records heartbeats and log lines, and aborts its signal with a reason', () => {
    const ctx = new MockExecutorContext({ now: 5 });
    ctx.heartbeat({ step: 1 });
    ctx.log.warn('careful', { a: 1 });
    ctx.abort(new Error('run aborted'));
    expect(ctx.heartbeats).toEqual([{ at: 5, details: { step: 1 } }]);
    expect(ctx.logs).toEqual([{ level: 'warn', msg: 'careful', fields: { a: 1 } }]);
    expect(ctx.signal.aborted).toBe(true);
    expect((ctx.signal.reason as Error).message).toBe('run aborted');
    ctx.dispose();
  });

  it('keeps a shared workDir it did not create', () => {
    const first = new MockExecutorContext();
    const second = new MockExecutorContext({ workDir: first.workDir });
    second.dispose();
    expect(existsSync(first.workDir)).toBe(true);
    first.dispose();
  });
});
