import { describe, expect, it } from 'vitest';
import type { Effect, ReleaseState } from '../../src/core/index.js';
import { createState, evolve, foldAhead } from '../../src/core/index.js';
import { Harness, pipeline } from './harness.js';

const gated = (properties: Record<string, unknown>) =>
  pipeline('shop', [
    { name: 'dev', tasks: [{ name: 'deploy' }] },
    { name: 'production', tasks: [{ name: 'deploy' }, { name: 'sign-off', kind: 'approval', properties }, { name: 'release' }] },
  ]);

/** Triggers a release as `by`, passes dev and production's deploy, and suspends the approval task as its executor would. */
function atApproval(h: Harness, by = 'token:alice', artifact = 'shop:1') {
  const releaseId = h.decide({ type: 'trigger', project: 'shop', artifacts: { web: artifact }, by }).value!.releaseId!;
  h.drain('pass', 2);
  const run = h.runsOf('production').find((r) => r.releaseId === releaseId)!;
  const taskId = `${run.id}.sign-off.1`;
  suspend(h, taskId);
  return { releaseId, run, taskId };
}

function suspend(h: Harness, taskId: string) {
  return h.decide({ type: 'task.suspended', taskId, waitingFor: 'approve|reject', message: 'waiting for manual approval' });
}

const approve = (h: Harness, taskId: string, by: string, groups: string[] = [], comment?: string) =>
  h.decide({ type: 'task.signal', taskId, signal: 'approve', by, groups, ...(comment ? { payload: { comment } } : {}) });

const resumes = (effects: Effect[]) => effects.filter((e) => e.type === 'resume');
const approvalEvents = (h: Harness) => h.log.filter((e) => e.type === 'sh.slipway.release.approval');

describe('core: approval policies', () => {
  it('minApprovers 2: the triggerer is recorded but does not count, a repeated approver is told so, the second approver resumes the task', () => {
    const h = new Harness(gated({ minApprovers: 2 }));
    const { run, taskId } = atApproval(h);
    const task = () => h.state.runs.get(run.id)!.tasks.find((t) => t.name === 'sign-off')!;

    const byAlice = approve(h, taskId, 'token:alice');
    expect(byAlice.value?.approval).toEqual({
      counts: false,
      why: 'alice triggered the release or promoted it into the stage and cannot count',
      outcome: 'waiting',
      progress: '0 of 2 approvals; needs 2 more approvers; alice triggered the release or promoted it into the stage and cannot count',
    });
    expect(resumes(byAlice.effects)).toEqual([]);
    expect(task().state).toBe('waiting');

    const byBob = approve(h, taskId, 'token:bob', [], 'looks good');
    expect(byBob.value?.approval).toMatchObject({ counts: true, outcome: 'waiting', progress: expect.stringMatching(/^1 of 2 approvals \(bob\); needs 1 more approver; alice triggered/) });
    expect(task().message).toBe(byBob.value?.approval?.progress);

    const again = approve(h, taskId, 'token:bob');
    expect(again.error?.code).toBe('INVALID_STATE');
    expect(again.error?.message).toMatch(/^bob already approved task 'sign-off' of run run-\w+ at 2026-11-01T00:00:00.000Z; an identity counts once/);
    expect(again.events).toEqual([]);

    const byCarol = approve(h, taskId, 'token:carol', [], 'ship it');
    expect(byCarol.value?.approval).toMatchObject({ counts: true, outcome: 'approved' });
    expect(resumes(byCarol.effects)).toEqual([
      { type: 'resume', taskId, project: 'shop', signal: 'approve', payload: { approvers: ['bob', 'carol'], comment: 'ship it', summary: expect.stringContaining('2 of 2 approvals (bob, carol)') }, by: 'token:carol' },
    ]);
    expect(approvalEvents(h).map((e) => [e.data['by'], e.data['counts'], e.subject])).toEqual([
      ['token:alice', false, taskId],
      ['token:bob', true, taskId],
      ['token:carol', true, taskId],
    ]);
    h.finish(taskId, 'pass');
    h.drain();
    expect(h.state.runs.get(run.id)!.state).toBe('succeeded');
  });

  it('a rule per group: one from release-managers and two from qa, counted by the groups each answer carried', () => {
    const h = new Harness(gated({ approvers: [{ groups: ['release-managers'] }, { groups: ['qa'], min: 2 }] }));
    const { taskId } = atApproval(h);
    expect(approve(h, taskId, 'token:quinn', ['qa']).value?.approval?.progress).toBe('1 of 2 approvals (quinn); needs 1 more from group release-managers and 1 more from group qa');
    expect(approve(h, taskId, 'token:dave', ['dev']).value?.approval).toMatchObject({ counts: false, why: 'dave (groups: dev) is not among the approvers (group release-managers; group qa)' });
    expect(approve(h, taskId, 'token:rita', ['release-managers']).value?.approval?.outcome).toBe('waiting');
    const last = approve(h, taskId, 'token:quentin', ['qa']);
    expect(last.value?.approval?.outcome).toBe('approved');
    expect(resumes(last.effects)[0]).toMatchObject({ signal: 'approve', payload: { approvers: ['quinn', 'rita', 'quentin'] } });
  });

  it('one rejection, with its comment, resumes the task with reject at once', () => {
    const h = new Harness(gated({ minApprovers: 3 }));
    const { taskId } = atApproval(h);
    approve(h, taskId, 'token:bob');
    const no = h.decide({ type: 'task.signal', taskId, signal: 'reject', by: 'token:carol', payload: { comment: 'error rate doubled' } });
    expect(no.value?.approval).toMatchObject({ counts: true, outcome: 'rejected', progress: 'rejected by carol: error rate doubled' });
    expect(resumes(no.effects)).toEqual([
      { type: 'resume', taskId, project: 'shop', signal: 'reject', payload: { by: 'token:carol', comment: 'error rate doubled', summary: 'rejected by carol: error rate doubled' }, by: 'token:carol' },
    ]);
    expect(approve(h, taskId, 'token:dave').error?.code).toBe('INVALID_STATE');
  });

  it('approvals given ahead are kept on the release and counted when its approval task in that stage waits', () => {
    const h = new Harness(gated({ minApprovers: 2 }));
    const releaseId = h.decide({ type: 'trigger', project: 'shop', artifacts: { web: 'shop:1' }, by: 'token:alice' }).value!.releaseId!;
    const kept = h.decide({ type: 'release.approval', releaseId, stage: 'production', decision: 'approve', by: 'token:bob', comment: 'pre-approved' });
    expect(kept.value?.approval).toMatchObject({ counts: false, outcome: 'kept', progress: expect.stringContaining("counts when release") });
    expect(kept.events.map((e) => [e.type, e.runid, e.subject])).toEqual([['sh.slipway.release.approval', undefined, releaseId]]);
    expect(h.decide({ type: 'release.approval', releaseId, stage: 'production', decision: 'approve', by: 'token:bob' }).error?.message).toMatch(/^bob already approved release \S+ in stage 'production' ahead of its run/);
    expect(h.decide({ type: 'release.approval', releaseId, stage: 'dev', decision: 'approve', by: 'token:bob' }).error?.message).toContain("stage 'dev' of project 'shop' has no approval task");
    expect(h.decide({ type: 'release.approval', releaseId, stage: 'qa', decision: 'approve', by: 'token:bob' }).error?.code).toBe('UNKNOWN_STAGE');
    expect(h.decide({ type: 'release.approval', releaseId: 'nope', stage: 'production', decision: 'approve', by: 'token:bob' }).error?.code).toBe('UNKNOWN_RELEASE');
    expect(h.state.releases.get(releaseId)!.ahead?.get('production')?.map((a) => a.by)).toEqual(['token:bob']);

    // A restart: the engine folds the log's approval events into the release it loads.
    const reloaded: ReleaseState = { release: h.state.releases.get(releaseId)!.release, passes: new Map() };
    for (const ev of approvalEvents(h)) foldAhead(reloaded, ev);
    expect(reloaded.ahead?.get('production')?.map((a) => [a.by, a.comment])).toEqual([['token:bob', 'pre-approved']]);

    h.drain('pass', 2);
    const run = h.runsOf('production')[0]!;
    const taskId = `${run.id}.sign-off.1`;
    const waits = suspend(h, taskId);
    // Counted on the task now, naming the event that kept it; one more approval is needed.
    expect(waits.events.filter((e) => e.type === 'sh.slipway.release.approval').map((e) => [e.data['by'], e.data['ahead'], e.data['aheadId'], e.taskid])).toEqual([
      ['token:bob', true, kept.events[0]!.id, taskId],
    ]);
    expect(h.state.releases.get(releaseId)!.ahead?.get('production')).toBeUndefined();
    expect(h.state.runs.get(run.id)!.tasks.find((t) => t.name === 'sign-off')!.message).toMatch(/^1 of 2 approvals \(bob\); needs 1 more approver/);
    expect(approve(h, taskId, 'token:bob').error?.message).toContain('bob already approved');
    expect(approve(h, taskId, 'token:carol').value?.approval?.outcome).toBe('approved');

    // Replaying the whole log from nothing gives the same approvals.
    const replay = createState();
    for (const p of h.state.pipelines.values()) replay.pipelines.set(p.name, p);
    for (const ev of h.log) evolve(replay, ev);
    expect(replay.runs.get(run.id)!.tasks.find((t) => t.name === 'sign-off')!.approvals).toEqual(h.state.runs.get(run.id)!.tasks.find((t) => t.name === 'sign-off')!.approvals);
  });

  it('approvals given ahead that meet the policy pass the task the moment it waits; one given while it waits counts at once', () => {
    const h = new Harness(gated({}));
    const releaseId = h.decide({ type: 'trigger', project: 'shop', artifacts: { web: 'shop:1' }, by: 'token:alice' }).value!.releaseId!;
    h.decide({ type: 'release.approval', releaseId, stage: 'production', decision: 'approve', by: 'token:bob' });
    h.drain('pass', 2);
    const run = h.runsOf('production')[0]!;
    const waits = suspend(h, `${run.id}.sign-off.1`);
    expect(resumes(waits.effects)).toEqual([expect.objectContaining({ signal: 'approve', payload: expect.objectContaining({ approvers: ['bob'] }) })]);

    const h2 = new Harness(gated({ minApprovers: 2 }));
    const { releaseId: r2, taskId } = atApproval(h2);
    approve(h2, taskId, 'token:bob');
    const now = h2.decide({ type: 'release.approval', releaseId: r2, stage: 'production', decision: 'approve', by: 'token:carol' });
    expect(now.value).toMatchObject({ runId: taskId.split('.')[0], approval: { outcome: 'approved', counts: true } });
  });

  it('a rejection given ahead fails the approval task when it waits', () => {
    const h = new Harness(gated({ minApprovers: 2 }));
    const releaseId = h.decide({ type: 'trigger', project: 'shop', artifacts: { web: 'shop:1' }, by: 'token:alice' }).value!.releaseId!;
    h.decide({ type: 'release.approval', releaseId, stage: 'production', decision: 'reject', by: 'token:carol', comment: 'not this one' });
    h.drain('pass', 2);
    const run = h.runsOf('production')[0]!;
    const waits = suspend(h, `${run.id}.sign-off.1`);
    expect(resumes(waits.effects)).toEqual([expect.objectContaining({ signal: 'reject', payload: expect.objectContaining({ by: 'token:carol', comment: 'not this one' }) })]);
  });

  it("a retried approval task starts with no approvals: the last attempt's do not count", () => {
    const h = new Harness(gated({ minApprovers: 2 }));
    const { run, taskId } = atApproval(h);
    approve(h, taskId, 'token:bob');
    h.decide({ type: 'task.signal', taskId, signal: 'reject', by: 'token:carol' });
    h.finish(taskId, 'fail');
    expect(h.state.runs.get(run.id)!.state).toBe('failed');
    h.decide({ type: 'run.retry', runId: run.id, by: 'token:ops' });
    const next = `${run.id}.sign-off.2`;
    suspend(h, next);
    expect(approve(h, next, 'token:bob').value?.approval?.progress).toMatch(/^1 of 2 approvals \(bob\)/);
  });

  it('who promoted a release into the stage cannot count; an automatic promotion names no promoter', () => {
    const p = pipeline('shop', [
      { name: 'dev', tasks: [{ name: 'ok', kind: 'approval' }] },
      { name: 'production', promotion: 'manual', tasks: [{ name: 'sign-off', kind: 'approval', properties: { minApprovers: 2 } }] },
    ]);
    const h = new Harness(p);
    const releaseId = h.decide({ type: 'trigger', project: 'shop', artifacts: { web: 'shop:1' }, by: 'token:ci' }).value!.releaseId!;
    const dev = h.runsOf('dev')[0]!;
    suspend(h, `${dev.id}.ok.1`);
    approve(h, `${dev.id}.ok.1`, 'token:bob');
    h.finish(`${dev.id}.ok.1`, 'pass', { by: 'token:bob' });
    h.decide({ type: 'promote', project: 'shop', releaseId, stage: 'production', by: 'token:pat' });
    const prod = h.runsOf('production')[0]!;
    suspend(h, `${prod.id}.sign-off.1`);
    expect(approve(h, `${prod.id}.sign-off.1`, 'token:pat').value?.approval?.why).toBe('pat triggered the release or promoted it into the stage and cannot count');
    expect(approve(h, `${prod.id}.sign-off.1`, 'token:ci').value?.approval?.counts).toBe(false);
    expect(approve(h, `${prod.id}.sign-off.1`, 'token:bob').value?.approval?.counts).toBe(true);
  });

  it("an automatic promotion is not a promoter: whoever's answer finished the stage before still counts", () => {
    const p = pipeline('shop', [
      { name: 'dev', tasks: [{ name: 'ok', kind: 'approval' }] },
      { name: 'production', tasks: [{ name: 'sign-off', kind: 'approval', properties: { minApprovers: 2 } }] },
    ]);
    const h = new Harness(p);
    h.decide({ type: 'trigger', project: 'shop', artifacts: { web: 'shop:1' }, by: 'token:ci' });
    const dev = h.runsOf('dev')[0]!;
    suspend(h, `${dev.id}.ok.1`);
    approve(h, `${dev.id}.ok.1`, 'token:bob');
    // The approval executor reports its outcome as the approver: the promotion it sets off records bob.
    h.finish(`${dev.id}.ok.1`, 'pass', { by: 'token:bob' });
    const prod = h.runsOf('production')[0]!;
    expect(prod.triggeredBy).toBe('token:bob');
    suspend(h, `${prod.id}.sign-off.1`);
    expect(approve(h, `${prod.id}.sign-off.1`, 'token:bob').value?.approval?.counts).toBe(true);
    expect(approve(h, `${prod.id}.sign-off.1`, 'token:ci').value?.approval?.counts).toBe(false);
  });

  it('approvals outlast a timer wake that finds the approval still undecided (the executor waits again)', () => {
    const h = new Harness(gated({ minApprovers: 2, timeout: '1h', onTimeout: 'fail' }));
    const { run, taskId } = atApproval(h);
    approve(h, taskId, 'token:bob');
    // The executor asked to be woken at its timeout; a wake that came early makes it suspend again.
    h.decide({ type: 'timer', timerId: `${taskId}:wake`, purpose: 'task.wake', taskId });
    expect(h.state.runs.get(run.id)!.tasks.find((t) => t.name === 'sign-off')!.state).toBe('started');
    expect(h.decide({ type: 'task.signal', taskId, signal: 'approve', by: 'token:carol' }).error?.code).toBe('INVALID_STATE');
    suspend(h, taskId);
    const done = approve(h, taskId, 'token:carol');
    expect(done.value?.approval).toMatchObject({ outcome: 'approved', progress: expect.stringContaining('2 of 2 approvals (bob, carol)') });
  });
});
