/**
 * What people do with tasks: approve or reject one (scope `approve:<stage>`), or send
 * another signal (`stop`/`skip` a soak; scope `trigger`). Approvals go through their own
 * routes so the stage-bound scope cannot be bypassed; the list of what waits is in
 * approvals.ts. An approve under a policy may be recorded without deciding the task: the
 * answer says whether it counted and what is still missing.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { SlipwayError } from '../../core/index.js';
import type { Slipway } from '../../main.js';
import { BoundedJson, Name, TaskParams, errors } from '../schemas/common.js';
import type { Api, Identity } from '../types.js';
import { by } from '../types.js';
import { ApprovalResult } from './approvals.js';
import { requireTask } from './task-lookup.js';

const Answer = z.object({
  taskId: z.string(),
  runId: z.string(),
  approval: ApprovalResult.optional().describe('for an approval task under a policy: whether this answer counted and what is still missing'),
});
const APPROVAL_SIGNALS = new Set(['approve', 'reject']);

export function taskRoutes(app: Api, slipway: Slipway): void {
  const { engine } = slipway;

  const signal = async (id: string, name: string, payload: Record<string, unknown> | undefined, identity: Identity | null) => {
    const { run } = await requireTask(slipway, id);
    const groups = identity && identity.groups.length > 0 ? { groups: identity.groups } : {};
    const d = await engine.apply({ type: 'task.signal', id: randomUUID(), taskId: id, signal: name, by: by(identity), ...groups, ...(payload ? { payload } : {}) });
    const a = d.value?.approval;
    return { taskId: id, runId: run.id, ...(a ? { approval: { counts: a.counts, why: a.why ?? null, outcome: a.outcome, progress: a.progress } } : {}) };
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
      handler: async (req) => signal(req.params.taskId, name, req.body.comment !== undefined ? { comment: req.body.comment } : undefined, req.identity),
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
      return signal(req.params.taskId, req.body.signal, req.body.payload, req.identity);
    },
  });
}
