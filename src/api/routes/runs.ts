/** Runs: list (newest first, cursor pages), show with tasks, a task's output, and abort / pause / resume / retry. */
import { randomUUID } from 'node:crypto';
import { SlipwayError } from '../../core/index.js';
import type { Slipway } from '../../main.js';
import { RunParams, errors } from '../schemas/common.js';
import { ControlAnswer, ControlBody, RunList, RunQuery, RunView } from '../schemas/runs.js';
import type { Api } from '../types.js';
import { by } from '../types.js';
import { runView } from '../views.js';
import { taskOutputRoute } from './task-output.js';

const CONTROLS = [
  { action: 'abort', type: 'run.abort', summary: 'Abort a run: tasks in flight are told to stop, queued work is dropped' },
  { action: 'pause', type: 'run.pause', summary: 'Pause a run: tasks in flight finish, no new task starts' },
  { action: 'resume', type: 'run.resume', summary: 'Resume a paused run' },
  { action: 'retry', type: 'run.retry', summary: 'Retry a failed or aborted run: it queues again from its failed step' },
] as const;

export function runRoutes(app: Api, slipway: Slipway): void {
  const { engine, store } = slipway;

  app.get('/api/v1/runs', {
    config: { scope: 'read' },
    schema: { summary: 'List runs, newest first', querystring: RunQuery, response: { 200: RunList, ...errors } },
    handler: async (req) => {
      const q = req.query;
      const runs = await store.listRuns({
        ...(q.project !== undefined ? { project: q.project } : {}),
        ...(q.stage !== undefined ? { stage: q.stage } : {}),
        ...(q.release !== undefined ? { releaseId: q.release } : {}),
        ...(q.service !== undefined ? { service: q.service } : {}),
        ...(q.state !== undefined ? { states: [q.state].flat() } : {}),
        ...(q.cursor !== undefined ? { beforeSeq: Number(q.cursor) } : {}),
        limit: q.limit,
      });
      const last = runs.at(-1);
      return { runs: runs.map(runView), nextCursor: runs.length === q.limit && last ? String(last.queueSeq) : null };
    },
  });

  app.get('/api/v1/runs/:runId', {
    config: { scope: 'read' },
    schema: { summary: 'Show a run with its tasks', params: RunParams, response: { 200: RunView, ...errors } },
    handler: async (req) => {
      const run = await store.getRun(req.params.runId);
      if (!run) throw new SlipwayError('UNKNOWN_RUN', `run '${req.params.runId}' does not exist`, { field: 'runId' });
      return runView(run);
    },
  });

  taskOutputRoute(app, slipway);

  for (const c of CONTROLS) {
    app.post(`/api/v1/runs/:runId/${c.action}`, {
      config: { scope: 'trigger' },
      schema: { summary: c.summary, params: RunParams, body: ControlBody, response: { 200: ControlAnswer, ...errors } },
      handler: async (req) => {
        const d = await engine.apply({
          type: c.type,
          id: randomUUID(),
          runId: req.params.runId,
          by: by(req.identity),
          ...(req.body.reason !== undefined ? { reason: req.body.reason } : {}),
        });
        const runId = d.value!.runId!;
        const run = engine.view.runs.get(runId) ?? (await store.getRun(runId));
        return { runId, state: run!.state };
      },
    });
  }
}
