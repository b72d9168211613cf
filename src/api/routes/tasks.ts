/**
 * What people do with tasks: see the approvals waiting, approve or reject one (scope
 * `approve:<stage>`), or send another signal (`stop`/`skip` a soak; scope `trigger`).
 * Approvals go through their own routes so the stage-bound scope cannot be bypassed.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { SlipwayError, taskId } from '../../core/index.js';
import type { Slipway } from '../../main.js';
import { BoundedJson, Name, TaskParams, errors } from '../schemas/common.js';
import type { Api } from '../types.js';
import { by } from '../types.js';
import { requireTask } from './task-lookup.js';

const Approval = z.object({
  taskId: z.string(),
  project: z.string(),
  stage: z.string(),
  runId: z.string(),
  releaseId: z.string(),
  task: z.string(),
  since: z.number().int().nullable(),
  message: z.string().nullable(),
});
const Answer = z.object({ taskId: z.string(), runId: z.string() });
const APPROVAL_SIGNALS = new Set(['approve', 'reject']);

export function taskRoutes(app: Api, slipway: Slipway): void {
  const { engine } = slipway;

  app.get('/api/v1/approvals', {
    config: { scope: 'read' },
    schema: { summary: 'Tasks waiting for approve or reject', querystring: z.object({ project: z.string().optional() }), response: { 200: z.object({ approvals: z.array(Approval) }), ...errors } },
    handler: async (req) => {
      const approvals: z.infer<typeof Approval>[] = [];
      for (const run of engine.view.runs.values()) {
        if (req.query.project !== undefined && run.project !== req.query.project) continue;
        for (const t of run.tasks) {
          if (t.state !== 'waiting' || !(t.waitingFor ?? '').split('|').includes('approve')) continue;
          const id = taskId(run.id, t.name, t.attempt);
          approvals.push({ taskId: id, project: run.project, stage: run.stage, runId: run.id, releaseId: run.releaseId, task: t.name, since: t.startedAt ?? t.triggeredAt ?? null, message: t.message ?? null });
        }
      }
      return { approvals: approvals.sort((a, b) => (a.since ?? 0) - (b.since ?? 0)) };
    },
  });

  const signal = async (id: string, name: string, payload: Record<string, unknown> | undefined, who: string) => {
    const { run } = await requireTask(slipway, id);
    await engine.apply({ type: 'task.signal', id: randomUUID(), taskId: id, signal: name, by: who, ...(payload ? { payload } : {}) });
    return { taskId: id, runId: run.id };
  };

  for (const name of APPROVAL_SIGNALS) {
    app.post(`/api/v1/tasks/:taskId/${name}`, {
      config: { scope: 'approve' },
      schema: {
        summary: name === 'approve' ? 'Approve a waiting approval task' : 'Reject a waiting approval task (it fails)',
        params: TaskParams,
        body: z.object({ comment: z.string().max(2000).optional() }),
        response: { 200: Answer, ...errors },
      },
      handler: async (req) => signal(req.params.taskId, name, req.body.comment !== undefined ? { comment: req.body.comment } : undefined, by(req.identity)),
    });
  }

  app.post('/api/v1/tasks/:taskId/signal', {
    config: { scope: 'trigger' },
    schema: {
      summary: 'Send a waiting task a signal other than approve/reject (e.g. stop or skip a soak)',
      params: TaskParams,
      body: z.object({ signal: Name, payload: BoundedJson.optional() }),
      response: { 200: Answer, ...errors },
    },
    handler: async (req) => {
      if (APPROVAL_SIGNALS.has(req.body.signal)) {
        throw new SlipwayError('INVALID_INPUT', `signal '${req.body.signal}' goes through POST /api/v1/tasks/{taskId}/${req.body.signal}, which checks the approve:<stage> scope`, { field: 'signal' });
      }
      return signal(req.params.taskId, req.body.signal, req.body.payload, by(req.identity));
    },
  });
}
