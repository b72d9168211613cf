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

  it('names the field of every bad policy property', () => {
    expect(approval.validate!({ minApprovers: 'two', approvers: [{ groups: ['qa'], min: 0 }], allowTriggerer: 'yes', timeout: 'soon', onTimeout: 'skip' }).map((p) => p.field)).toEqual([
      'minApprovers',
      'approvers[0].min',
      'allowTriggerer',
      'timeout',
      'onTimeout',
    ]);
    expect(approval.validate!({ onTimeout: 'pass' })).toEqual([
      { field: 'onTimeout', message: 'onTimeout needs a timeout (e.g. `timeout: 4h`): without one the approval waits until the task times out and fails' },
    ]);
    expect(approval.validate!({ timeout: '500ms' })[0]!.message).toContain('shorter than 1s');
    expect(approval.validate!({ minApprovers: 2, approvers: [{ groups: ['qa'], min: 2 }], allowTriggerer: true, timeout: '4h', onTimeout: 'pass', pass: 'manual' })).toEqual([]);
  });

  it('says what the policy needs while it waits, and when it times out', async () => {
    ctx = mockExecutorContext({
      task: { name: 'approve', kind: 'approval', properties: { minApprovers: 3, approvers: [{ groups: ['release-managers'] }, { groups: ['qa'], min: 2 }], timeout: '2h', onTimeout: 'pass' } },
      now: Date.UTC(2026, 11, 1),
    });
    expect(await approval.execute(ctx)).toEqual({
      suspend: {
        waitingFor: 'approve|reject',
        until: Date.UTC(2026, 11, 1, 2),
        message:
          'waiting for manual approval (result so far: none); needs 3 approvals; 1 from group release-managers and 2 from group qa; the triggerer cannot count; passes without a decision at 2026-12-01T02:00:00.000Z',
      },
    });
  });

  it('on its timer: waits out the rest when early, then ends as onTimeout says', async () => {
    const start = Date.UTC(2026, 11, 1);
    for (const [onTimeout, result] of [['pass', 'pass'], ['fail', 'fail'], [undefined, 'fail']] as const) {
      ctx = mockExecutorContext({ task: { name: 'approve', kind: 'approval', properties: { timeout: '1h', ...(onTimeout ? { onTimeout } : {}) } }, now: start });
      expect(await approval.resume!(ctx, { signal: 'timer' })).toMatchObject({ suspend: { until: start + 3_600_000 } });
      ctx.advance(3_600_000);
      expect(await approval.resume!(ctx, { signal: 'timer' })).toEqual({
        result,
        message: `no approval decision within 1h: ${result === 'pass' ? 'passed' : 'failed'} (onTimeout: ${onTimeout ?? 'fail'})`,
      });
      ctx.dispose();
    }
    ctx = approvalTask({});
  });

  it('names the approvers the policy counted, and who rejected a release ahead of its run', async () => {
    ctx = approvalTask({ minApprovers: 2 });
    expect(await approval.resume!(ctx, { signal: 'approve', by: 'token:carol', payload: { approvers: ['bob', 'carol'], comment: 'ship it' } })).toEqual({
      result: 'pass',
      message: 'approved by bob, carol: ship it',
    });
    expect(await approval.resume!(ctx, { signal: 'reject', by: 'executor:approval', payload: { by: 'token:dave', comment: 'not now' } })).toEqual({
      result: 'fail',
      message: 'rejected by dave: not now',
    });
  });

  it('outlives a long approval timeout by an hour', () => {
    expect(approval.defaultTimeoutMs!({ timeout: '14d' })).toBe((14 * 24 + 1) * 3_600_000);
  });
});
