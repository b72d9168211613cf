/**
 * Approvals: what waits on whom (`GET /api/v1/approvals`, with each policy's progress and
 * the approvals given ahead), and approving or rejecting a release in a stage before (or
 * while) its approval task waits (`POST /api/v1/releases/{releaseId}/approvals`, scope
 * approve:<stage>). Who counts is decided by the core; the answer says whether this one did.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { SlipwayError, approvalProgress, taskId } from '../../core/index.js';
import type { Slipway } from '../../main.js';
import { allows, describeNeed } from '../auth/scopes.js';
import { Name, errors } from '../schemas/common.js';
import type { Api } from '../types.js';
import { by } from '../types.js';

const Rule = z.object({ names: z.array(z.string()), groups: z.array(z.string()), min: z.number().int() });
const Given = z.object({
  by: z.string(),
  groups: z.array(z.string()),
  decision: z.enum(['approve', 'reject']),
  at: z.number().int().describe('when it was given (UTC ms)'),
  comment: z.string().nullable(),
  ahead: z.boolean().describe('given before the run reached the stage'),
});
const Approval = z.object({
  taskId: z.string(),
  project: z.string(),
  stage: z.string(),
  runId: z.string(),
  releaseId: z.string(),
  task: z.string(),
  since: z.number().int().nullable(),
  message: z.string().nullable(),
  policy: z.object({ minApprovers: z.number().int(), approvers: z.array(Rule), allowTriggerer: z.boolean() }),
  triggeredBy: z.array(z.string()).describe('identities that triggered the release or promoted it into the stage'),
  progress: z.object({
    counted: z.array(z.string()).describe('identities whose approval counts'),
    missing: z.array(z.string()).describe('what is still missing, in words'),
    notCounting: z.array(z.object({ by: z.string(), why: z.string() })),
    mayApprove: z.string().describe('who may still approve, in words'),
    summary: z.string(),
  }),
  approvals: z.array(Given.extend({ counts: z.boolean() })),
});
const Ahead = Given.extend({ releaseId: z.string(), project: z.string(), stage: z.string() });
const Decision = z.enum(['approve', 'reject']);
export const ApprovalResult = z.object({
  counts: z.boolean().describe('whether it counts toward the policy now (false for one kept ahead)'),
  why: z.string().nullable().describe('why it does not count'),
  outcome: z.enum(['approved', 'rejected', 'waiting', 'kept']).describe('approved/rejected: it decided the task; waiting: more approvals are needed; kept: given ahead'),
  progress: z.string().describe("the policy's progress in words"),
});

export function approvalRoutes(app: Api, slipway: Slipway): void {
  const { engine } = slipway;

  app.get('/api/v1/approvals', {
    config: { scope: 'read' },
    schema: {
      summary: 'Approval tasks waiting, with their policy and progress, and approvals given ahead',
      querystring: z.object({ project: z.string().optional() }),
      response: { 200: z.object({ approvals: z.array(Approval), ahead: z.array(Ahead) }), ...errors },
    },
    handler: async (req) => {
      const view = engine.view;
      const approvals: z.infer<typeof Approval>[] = [];
      for (const run of view.runs.values()) {
        if (req.query.project !== undefined && run.project !== req.query.project) continue;
        for (const t of run.tasks) {
          if (t.state !== 'waiting' || !(t.waitingFor ?? '').split('|').includes('approve')) continue;
          const base = {
            taskId: taskId(run.id, t.name, t.attempt),
            project: run.project,
            stage: run.stage,
            runId: run.id,
            releaseId: run.releaseId,
            task: t.name,
            since: t.startedAt ?? t.triggeredAt ?? null,
            message: t.message ?? null,
          };
          if (t.kind !== 'approval') {
            // An outside executor's approval: no policy the core knows; one answer decides.
            const none = { counted: [], missing: ['1 approval'], notCounting: [], mayApprove: 'anyone with approve scope for the stage', summary: t.message ?? 'waiting for approval' };
            approvals.push({ ...base, policy: { minApprovers: 1, approvers: [], allowTriggerer: true }, triggeredBy: run.triggeredBy ? [run.triggeredBy] : [], progress: none, approvals: [] });
            continue;
          }
          const { policy, progress, triggerers } = approvalProgress(view, run, t);
          const notCounting = new Set(progress.notCounting.map((n) => n.by));
          approvals.push({
            ...base,
            policy: { minApprovers: policy.minApprovers, approvers: policy.approvers.map((r) => ({ names: [...r.names], groups: [...r.groups], min: r.min })), allowTriggerer: policy.allowTriggerer },
            triggeredBy: triggerers,
            progress: { counted: progress.counted, missing: progress.missing, notCounting: progress.notCounting, mayApprove: progress.mayApprove, summary: progress.summary },
            approvals: (t.approvals ?? [])
              .filter((a) => a.attempt === t.attempt)
              .map((a) => ({ by: a.by, groups: [...a.groups], decision: a.decision, at: a.at, comment: a.comment ?? null, ahead: a.ahead === true, counts: !notCounting.has(a.by) })),
          });
        }
      }
      const ahead: z.infer<typeof Ahead>[] = [];
      for (const rs of view.releases.values()) {
        if (req.query.project !== undefined && rs.release.project !== req.query.project) continue;
        for (const [stage, list] of rs.ahead ?? []) {
          for (const a of list) {
            ahead.push({ releaseId: rs.release.id, project: rs.release.project, stage, by: a.by, groups: [...a.groups], decision: a.decision, at: a.at, comment: a.comment ?? null, ahead: true });
          }
        }
      }
      return { approvals: approvals.sort((a, b) => (a.since ?? 0) - (b.since ?? 0)), ahead: ahead.sort((a, b) => a.at - b.at) };
    },
  });

  app.post('/api/v1/releases/:releaseId/approvals', {
    // The stage is in the body, read after the guard: the handler checks approve:<stage> itself.
    config: { scope: 'approve' },
    schema: {
      summary: "Approve or reject a release in a stage: counted on its waiting approval task, or kept until the task waits (scope approve:<stage>)",
      params: z.object({ releaseId: Name }),
      body: z.object({ stage: Name, decision: Decision, comment: z.string().max(2000).optional() }),
      response: { 200: ApprovalResult.extend({ releaseId: z.string(), stage: z.string(), runId: z.string().nullable() }), ...errors },
    },
    handler: async (req) => {
      const identity = req.identity;
      if (identity && !allows(identity.scopes, 'approve', req.body.stage)) {
        throw new SlipwayError('FORBIDDEN', `token '${identity.name}' lacks ${describeNeed('approve', req.body.stage)}; it has: ${identity.scopes.join(', ') || '(none)'}`);
      }
      const d = await engine.apply({
        type: 'release.approval',
        id: randomUUID(),
        releaseId: req.params.releaseId,
        stage: req.body.stage,
        decision: req.body.decision,
        by: by(identity),
        groups: identity?.groups ?? [],
        ...(req.body.comment !== undefined ? { comment: req.body.comment } : {}),
      });
      const a = d.value?.approval;
      if (!a) throw new SlipwayError('INTERNAL', `the approval of release ${req.params.releaseId} in '${req.body.stage}' was not recorded`);
      return { releaseId: req.params.releaseId, stage: req.body.stage, runId: d.value?.runId ?? null, counts: a.counts, why: a.why ?? null, outcome: a.outcome, progress: a.progress };
    },
  });
}

