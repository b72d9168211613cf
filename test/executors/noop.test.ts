import { afterEach, describe, expect, it } from 'vitest';
import { NonRetryableTaskError } from '../../src/engine/executor.js';
import { builtinExecutors, createNoopExecutor, mockExecutorContext, type MockExecutorContext } from '../../src/executors/index.js';

let ctx: MockExecutorContext | undefined;
afterEach(() => ctx?.dispose());

describe('noop executor', () => {
  it('passes at once', async () => {
    ctx = mockExecutorContext({ task: { kind: 'noop' } });
    expect(await createNoopExecutor().execute(ctx)).toEqual({ result: 'pass' });
  });

  it('returns a scripted result and message', async () => {
    ctx = mockExecutorContext({ task: { kind: 'noop', properties: { result: 'warning', message: 'scripted' } } });
    expect(await createNoopExecutor().execute(ctx)).toEqual({ result: 'warning', message: 'scripted' });
  });

  it('refuses an unknown result without retry', async () => {
    ctx = mockExecutorContext({ task: { kind: 'noop', properties: { result: 'failed' } } });
    await expect(createNoopExecutor().execute(ctx)).rejects.toBeInstanceOf(NonRetryableTaskError);
    expect(createNoopExecutor().validate!({ result: 'failed' })).toEqual([
      { field: 'result', message: 'result must be one of pass, warning, fail, got "failed"' },
    ]);
  });
});

describe('builtinExecutors', () => {
  it('serves each built-in kind once', () => {
    const kinds = builtinExecutors().map((e) => e.kind);
    expect(new Set(kinds).size).toBe(kinds.length);
    expect([...kinds].sort()).toEqual(['alarm-check', 'approval', 'evaluation', 'gate', 'git-tag', 'migrate', 'noop', 'shell', 'wait', 'webhook']);
  });
});
