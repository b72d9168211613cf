/**
 * The event log: read it page by page (`after` a seq), and accept CloudEvents from
 * outside executors (`.started` / `.finished`). A repeated event, or one for a task
 * that already ended, is accepted and changes nothing (`applied: false`).
 */
import { z } from 'zod';
import type { Slipway } from '../../main.js';
import { checkTaskAttributes, claimOf, readCloudEvent, toTaskInput } from '../cloudevent-in.js';
import { CLOUDEVENT_TYPES } from '../content.js';
import { executorActor } from '../executor-actor.js';
import { Json, errors } from '../schemas/common.js';
import type { Api } from '../types.js';
import { by } from '../types.js';
import { requireTask } from './task-lookup.js';

const EventQuery = z.object({
  project: z.string().optional(),
  run: z.string().optional(),
  after: z.coerce.number().int().min(0).optional().describe('a seq: events after it'),
  type: z.string().optional(),
  since: z.coerce.number().int().min(0).optional().describe('UTC ms: events recorded at or after this time'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  last: z.stringbool().optional().describe('true: the newest `limit` matching events (still in log order), e.g. the recent backlog before following the stream'),
});

export function eventRoutes(app: Api, slipway: Slipway): void {
  const { engine, store } = slipway;

  app.get('/api/v1/events', {
    config: { scope: 'read' },
    schema: {
      summary: 'Events in log order, after a seq',
      querystring: EventQuery,
      response: { 200: z.object({ events: z.array(z.object({ seq: z.number().int(), event: Json })), next: z.number().int() }), ...errors },
    },
    handler: async (req) => {
      const q = req.query;
      const events = await store.events({
        limit: q.limit,
        ...(q.project !== undefined ? { project: q.project } : {}),
        ...(q.run !== undefined ? { runId: q.run } : {}),
        ...(q.after !== undefined ? { afterSeq: q.after } : {}),
        ...(q.type !== undefined ? { types: [q.type] } : {}),
        ...(q.since !== undefined ? { sinceMs: q.since } : {}),
        ...(q.last ? { newest: true } : {}),
      });
      return { events: events.map((e) => ({ seq: e.seq, event: { ...e.event } })), next: events.at(-1)?.seq ?? q.after ?? 0 };
    },
  });

  app.post('/api/v1/events', {
    config: { scope: 'execute', accepts: CLOUDEVENT_TYPES },
    schema: {
      summary: 'Report a task you claimed .started or .finished as a CloudEvent (structured or binary mode), with the executor and leasetoken extensions of the claim',
      body: z.unknown(),
      response: { 202: z.object({ id: z.string(), applied: z.boolean() }), ...errors },
    },
    handler: async (req, reply) => {
      const ce = readCloudEvent(req.headers, req.body);
      const claim = claimOf(ce);
      const input = toTaskInput(ce, by(req.identity), executorActor(req.identity, claim.executor, claim.leaseToken));
      const { run } = await requireTask(slipway, input.taskId, 'taskid');
      checkTaskAttributes(ce, run);
      const d = await engine.apply(input);
      return reply.code(202).send({ id: ce.id, applied: d.ignored === undefined });
    },
  });
}
