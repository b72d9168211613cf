import { afterEach, describe, expect, it } from 'vitest';
import type { Result } from '../../src/core/index.js';
import { NonRetryableTaskError } from '../../src/engine/executor.js';
import { createApprovalExecutor, mockExecutorContext, type MockExecutorContext } from '../../src/executors/index.js';

const approval = createApprovalExecutor();
let ctx: MockExecutorContext;
afterEach(() => ctx.dispose());

function approvalTask(properties: Record<string, unknown>, resultSoFar?: Result): MockExecutorContext {
  return mockExecutorContext({
    task: { name: 'approve', kind: 'approval', properties },
    run: resultSoFar === undefined ? {} : { resultSoFar },
  });
}

type Mode = 'automatic' | 'manual' | undefined;
const modes: Mode[] = ['automatic', 'manual', undefined];
const soFar: (Result | undefined)[] = [undefined, 'pass', 'warning', 'fail'];
const matrix = modes.flatMap((pass) => modes.flatMap((warning) => soFar.map((result) => ({ pass, warning, result }))));

function expected(pass: Mode, warning: Mode, result: Result | undefined): 'pass' | 'fail' | 'suspend' {
  if (result === 'fail') return 'fail';
  const mode = result === 'warning' ? warning : pass;
  return mode === 'automatic' ? 'pass' : 'suspend';
}

describe('approval executor (Keptn semantics)', () => {
  it.each(matrix)('pass=$pass warning=$warning, result so far $result', async ({ pass, warning, result }) => {
    const props: Record<string, unknown> = {};
    if (pass) props.pass = pass;
    if (warning) props.warning = warning;
    ctx = approvalTask(props, result);
    const outcome = await approval.execute(ctx);
    const want = expected(pass, warning, result);
    if (want === 'suspend') {
      expect(outcome).toEqual({
        suspend: { waitingFor: 'approve|reject', message: `waiting for manual approval (result so far: ${result ?? 'none'})` },
      });
    } else if (want === 'fail') {
      expect(outcome).toEqual({ result: 'fail', message: 'a failed result is never approved' });
    } else {
      expect(outcome).toMatchObject({ result: 'pass', message: expect.stringContaining('approved automatically') });
    }
  });

  it('passes when approved, naming the approver and comment', async () => {
    ctx = approvalTask({});
    const outcome = await approval.resume!(ctx, { signal: 'approve', by: 'carol', payload: { comment: 'ship it' } });
    expect(outcome).toEqual({ result: 'pass', message: 'approved by carol: ship it' });
  });

  it('fails when rejected', async () => {
    ctx = approvalTask({});
    const outcome = await approval.resume!(ctx, { signal: 'reject', by: 'dave' });
    expect(outcome).toEqual({ result: 'fail', message: 'rejected by dave' });
  });

  it('refuses an unknown signal without retry', async () => {
    ctx = approvalTask({});
    await expect(approval.resume!(ctx, { signal: 'skip' })).rejects.toThrow(NonRetryableTaskError);
    await expect(approval.resume!(ctx, { signal: 'skip' })).rejects.toThrow(/valid signals: approve, reject/);
  });

  it('rejects modes other than automatic and manual', async () => {
    expect(approval.validate!({ pass: 'auto', warning: 'manual' })).toEqual([
      { field: 'pass', message: 'pass must be `automatic` or `manual` (missing means manual), got "auto"' },
    ]);
    expect(approval.validate!({})).toEqual([]);
    ctx = approvalTask({ warning: true });
    await expect(approval.execute(ctx)).rejects.toBeInstanceOf(NonRetryableTaskError);
  });

  it('waits up to seven days by default', () => {
    expect(approval.defaultTimeoutMs!({})).toBe(7 * 24 * 3_600_000);
  });
});
