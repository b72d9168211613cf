/**
 * A shell task's output while it runs and after: `GET /api/v1/runs/{runId}/tasks/{task}/output?from=`
 * answers the log's bytes from an offset (at most `limit`) and the offset to ask from next,
 * so the run page and `slipway runs logs --follow` follow it by asking again. Secret values
 * are redacted from every chunk, as from everything else a task reports.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { SlipwayError, taskId as makeTaskId } from '../../core/index.js';
import { ShellLogReader } from '../../executors/index.js';
import type { Slipway } from '../../main.js';
import { Name, errors } from '../schemas/common.js';
import type { Api } from '../types.js';

const DEFAULT_LIMIT = 64 * 1024;
const MAX_LIMIT = 256 * 1024;

const Params = z.object({ runId: Name, task: Name.describe("the task's name in the run's stage") });
const Query = z.object({
  from: z.coerce.number().int().min(0).default(0).describe('byte offset in the log: 0, or the `next` of the previous answer'),
  limit: z.coerce.number().int().min(1).max(MAX_LIMIT).default(DEFAULT_LIMIT).describe('at most this many bytes'),
  attempt: z.coerce.number().int().min(1).optional().describe("the task's attempt; default the latest"),
});
export const TaskOutputAnswer = z.object({
  taskId: z.string(),
  state: z.string().describe("the task's state; `finished` or `skipped` means the log grows no more"),
  from: z.number().int().describe('where this text starts, in bytes of the redacted log'),
  next: z.number().int().describe('the offset to ask from next'),
  text: z.string().describe('the output from `from` to `next`; while the command runs, whole lines only'),
  done: z.boolean().describe('no more output will come: the task ended and `next` is the end of the log'),
  logged: z.boolean().describe('whether the task keeps a log (shell tasks do once their command started)'),
});

const ENDED = new Set(['finished', 'skipped']);

export function taskOutputRoute(app: Api, slipway: Slipway): void {
  const logs = new ShellLogReader(join(slipway.dataDir, 'tasks'), (text) => slipway.secrets.redact(text));
  app.get('/api/v1/runs/:runId/tasks/:task/output', {
    config: { scope: 'read' },
    schema: {
      summary: "A shell task's output from a byte offset, while it runs and after (follow by asking again from `next`)",
      params: Params,
      querystring: Query,
      response: { 200: TaskOutputAnswer, ...errors },
    },
    handler: async (req) => {
      const { runId, task: name } = req.params;
      const run = slipway.engine.view.runs.get(runId) ?? (await slipway.store.getRun(runId));
      if (!run) throw new SlipwayError('UNKNOWN_RUN', `run '${runId}' does not exist`, { field: 'runId' });
      const task = run.tasks.find((t) => t.name === name);
      if (!task) throw new SlipwayError('UNKNOWN_TASK', `run '${runId}' has no task '${name}'; its tasks: ${run.tasks.map((t) => t.name).join(', ')}`, { field: 'task' });
      const attempt = req.query.attempt ?? task.attempt;
      if (attempt > task.attempt) throw new SlipwayError('UNKNOWN_TASK', `task '${name}' of run '${runId}' has had ${task.attempt} attempt(s), not ${attempt}`, { field: 'attempt' });
      const id = makeTaskId(runId, name, attempt);
      // A past attempt's log grows no more; the current one's stops when the task ended.
      const ended = attempt < task.attempt || ENDED.has(task.state);
      const chunk = await logs.read(id, req.query.from, req.query.limit, ended);
      return { taskId: id, state: attempt < task.attempt ? 'finished' : task.state, from: chunk.from, next: chunk.next, text: chunk.text, done: chunk.done, logged: chunk.exists };
    },
  });
}
