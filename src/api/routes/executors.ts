/**
 * Outside executors that pull: claim a task of their kinds (long-poll up to 30 s), renew
 * the lease while working, finish it. The claim answer carries a lease token; heartbeats
 * and reports send it back with the executor name, and the core refuses them from anyone
 * else (409 NOT_CLAIM_HOLDER) and for tasks Slipway runs itself (403 BUILTIN_TASK). A
 * claim whose client went away stops waiting. A task claimed just as its client left (its
 * connection closed before the answer was written) fails at once with that reason, as a push
 * delivery that no attempt got through does, and its retries take over: no executor holds it,
 * so waiting for its lease (60 s by default) would only delay them.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { FastifyBaseLogger } from 'fastify';
import type { Slipway } from '../../main.js';
import type { ExecutorActor } from '../../core/index.js';
import type { ClaimedTask } from '../../engine/index.js';
import { SlipwayError } from '../../core/index.js';
import { executeKinds } from '../auth/scopes.js';
import { executorActor } from '../executor-actor.js';
import { FinishBody, Json, Name, TaskParams, errors } from '../schemas/common.js';
import type { Api } from '../types.js';
import { by } from '../types.js';
import { requireTask } from './task-lookup.js';

const ClaimBody = z.object({
  kinds: z.array(Name).min(1).max(50),
  executor: Name.describe('name of this executor instance, recorded with the claim'),
  waitMs: z.number().int().min(0).max(30_000).default(0),
  leaseMs: z.number().int().min(1000).max(86_400_000).default(60_000),
});

const Claimed = z.object({
  task: z.object({ id: z.string(), name: z.string(), kind: z.string(), attempt: z.number().int(), properties: Json, deadline: z.number().int().nullable() }),
  run: z.object({ id: z.string(), project: z.string(), stage: z.string(), sequence: z.string(), releaseId: z.string(), artifacts: z.record(z.string(), z.string()) }),
  event: Json.nullable().describe('the task\'s .triggered CloudEvent'),
  leaseExpiresAt: z.number().int(),
  leaseToken: z.string().describe('proves the claim: send it with the executor name on every heartbeat and report for this task'),
});

/** What names the claim on a heartbeat or a report: the claim answer's executor name and lease token. */
const ClaimProof = {
  executor: Name.optional().describe('the executor name the task was claimed with'),
  leaseToken: z.string().max(200).optional().describe('the leaseToken of the claim answer'),
};

/**
 * Fails a claimed task whose claim answer never reached its executor (once, however often
 * called): it could not start it, and no one else may, until the lease ran out.
 */
function giveBack(slipway: Slipway, c: ClaimedTask, actor: ExecutorActor, who: string, log: FastifyBaseLogger): () => Promise<void> {
  let done = false;
  return async () => {
    if (done) return;
    done = true;
    log.warn({ taskId: c.task.id, executor: actor.executor }, 'a claim could not be answered: its client had gone; the task fails and its retries take over');
    await slipway.engine
      .apply({
        type: 'task.finished',
        id: `claim:${c.task.id}:undelivered:${randomUUID()}`,
        taskId: c.task.id,
        result: 'fail',
        by: who,
        actor,
        message: `the claim's answer could not be sent to executor '${actor.executor}': its connection closed first (the task is failed now, as when a lease runs out)`,
      })
      .catch((e: unknown) => log.warn({ err: e, taskId: c.task.id }, 'could not fail a task whose claim answer was lost; its lease will run out'));
  };
}

export function executorRoutes(app: Api, slipway: Slipway, shutdown: AbortSignal): void {
  const { engine } = slipway;

  app.post('/api/v1/tasks/claim', {
    config: { scope: 'execute' },
    schema: {
      summary: 'Claim a task of one of your kinds; 204 when none came within waitMs',
      body: ClaimBody,
      response: { 200: Claimed, 204: z.null().describe('nothing to do'), ...errors },
    },
    handler: async (req, reply) => {
      const served = executeKinds(req.identity?.scopes ?? []);
      const refused = served === undefined ? undefined : req.body.kinds.find((k) => !served.includes(k));
      if (refused !== undefined) {
        throw new SlipwayError('FORBIDDEN', `token '${req.identity?.name}' may not claim kind '${refused}': it serves only ${served!.join(', ')}; it needs scope execute:${refused} or execute`, { field: 'kinds' });
      }
      const gone = new AbortController();
      const onClose = () => {
        if (!reply.raw.writableEnded) gone.abort();
      };
      reply.raw.on('close', onClose);
      // The client may have closed before this handler ran (its token looked up, its body read):
      // the 'close' above has then come and gone.
      if (req.raw.socket.destroyed) gone.abort();
      let c: ClaimedTask | undefined;
      try {
        c = await engine.claim({
          kinds: req.body.kinds,
          executor: req.body.executor,
          leaseMs: req.body.leaseMs,
          waitMs: req.body.waitMs,
          by: by(req.identity),
          ...(served ? { scopeKinds: served } : {}),
          signal: AbortSignal.any([gone.signal, shutdown]),
        });
      } finally {
        reply.raw.off('close', onClose);
      }
      if (!c) return reply.code(204).send(null);
      const undelivered = giveBack(slipway, c, executorActor(req.identity, req.body.executor, c.leaseToken), by(req.identity), req.log);
      if (gone.signal.aborted || req.raw.socket.destroyed) {
        await undelivered();
        return reply.hijack();
      }
      // The answer is written after this returns: a connection that closes before all of it went out gets nothing either.
      let sent = false;
      reply.raw.once('finish', () => (sent = true));
      reply.raw.once('close', () => {
        if (!sent) void undelivered();
      });
      return {
        task: { ...c.task, properties: { ...c.task.properties }, deadline: c.task.deadline ?? null },
        run: { ...c.run, artifacts: { ...c.run.artifacts } },
        event: c.event ? { ...c.event } : null,
        leaseExpiresAt: c.leaseExpiresAt,
        leaseToken: c.leaseToken,
      };
    },
  });

  app.post('/api/v1/tasks/:taskId/heartbeat', {
    config: { scope: 'execute' },
    schema: {
      summary: 'Renew the lease of a task you claimed; 409 INVALID_STATE when the task ended or its run was aborted (stop working on it), 409 NOT_CLAIM_HOLDER when you do not hold its claim',
      params: TaskParams,
      body: z.object({ leaseMs: z.number().int().min(1000).max(86_400_000).default(60_000), ...ClaimProof }),
      response: { 200: z.object({ leaseExpiresAt: z.number().int() }), ...errors },
    },
    handler: async (req) => ({
      leaseExpiresAt: await engine.heartbeat(req.params.taskId, req.body.leaseMs, executorActor(req.identity, req.body.executor, req.body.leaseToken), by(req.identity)),
    }),
  });

  app.post('/api/v1/tasks/:taskId/finish', {
    config: { scope: 'execute' },
    schema: {
      summary: 'Report the result of a task you claimed (the same as posting its .finished event)',
      params: TaskParams,
      body: FinishBody.extend(ClaimProof),
      response: { 200: z.object({ taskId: z.string(), applied: z.boolean() }), ...errors },
    },
    handler: async (req) => {
      const { taskId } = req.params;
      await requireTask(slipway, taskId);
      const d = await engine.apply({
        type: 'task.finished',
        id: `api:${taskId}:finished:${randomUUID()}`,
        taskId,
        result: req.body.result,
        by: by(req.identity),
        actor: executorActor(req.identity, req.body.executor, req.body.leaseToken),
        ...(req.body.message !== undefined ? { message: req.body.message } : {}),
        ...(req.body.output !== undefined ? { output: req.body.output } : {}),
      });
      return { taskId, applied: d.ignored === undefined };
    },
  });
}
