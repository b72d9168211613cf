/**
 * Notification sinks over HTTP: per sink, what was delivered, what waits, what failed and
 * why (read); the newest deliveries of one sink with their errors (read); a test message
 * sent now to one sink (admin, since it posts to a real receiver). No answer holds a URL:
 * sink URLs are often secrets themselves.
 */
import { z } from 'zod';
import type { Slipway } from '../../main.js';
import { Ms, Name, ProjectParams, errors } from '../schemas/common.js';
import type { Api } from '../types.js';
import { by } from '../types.js';

const SinkStatus = z.object({
  project: z.string(),
  sink: z.string(),
  kind: z.string().describe('slack, webhook, or removed (rows of a sink no longer in slipway.yaml)'),
  on: z.array(z.string()).describe('the topics it hears about'),
  stages: z.array(z.string()).nullable().describe('only these stages; null: all'),
  delivered: z.number().int(),
  pending: z.number().int().describe('queued, not yet delivered (being tried, or waiting their turn)'),
  failed: z.number().int().describe('given up after their tries, or refused for good (a 4xx other than 408/429)'),
  failingSince: Ms.describe('when its first waiting notice first failed; null: not failing now'),
  lastError: z.string().nullable(),
  lastErrorAt: Ms,
  nextRetry: Ms.describe('when the failing notice is tried again'),
  attempts: z.number().int().describe('tries of the failing notice so far'),
  lastDeliveredAt: Ms,
});

const Delivery = z.object({
  id: z.string().describe('the delivery id (X-Slipway-Delivery): receivers dedupe on it'),
  topic: z.string(),
  title: z.string(),
  state: z.enum(['pending', 'delivered', 'dead']),
  attempts: z.number().int(),
  createdAt: z.number().int(),
  nextAt: z.number().int(),
  deliveredAt: Ms,
  lastError: z.string().nullable(),
});

const SinkParams = ProjectParams.extend({ sink: Name });

export function notificationRoutes(app: Api, slipway: Slipway): void {
  app.get('/api/v1/notifications', {
    config: { scope: 'read' },
    schema: {
      summary: 'Notification sinks: per sink, delivered, pending and failed notices, since when it fails, its last error and next retry',
      querystring: z.object({ project: Name.optional() }),
      response: { 200: z.object({ sinks: z.array(SinkStatus) }), ...errors },
    },
    handler: async (req) => ({ sinks: await slipway.notifier.status(req.query.project) }),
  });

  app.get('/api/v1/projects/:project/notifications/:sink/deliveries', {
    config: { scope: 'read' },
    schema: {
      summary: "One sink's newest deliveries, newest first, with their state and last error",
      params: SinkParams,
      querystring: z.object({ limit: z.coerce.number().int().min(1).max(500).default(50), state: z.enum(['pending', 'delivered', 'dead']).optional() }),
      response: { 200: z.object({ deliveries: z.array(Delivery) }), ...errors },
    },
    handler: async (req) => {
      const { project, sink } = req.params;
      const rows = await slipway.store.notifications({ project, sink, limit: req.query.limit, newest: true, ...(req.query.state ? { states: [req.query.state] } : {}) });
      return {
        deliveries: rows.map((r) => ({
          id: r.id,
          topic: String(r.notice['topic']),
          title: String(r.notice['title']),
          state: r.state,
          attempts: r.attempts,
          createdAt: r.createdAt,
          nextAt: r.nextAt,
          deliveredAt: r.deliveredAt ?? null,
          lastError: r.lastError ?? null,
        })),
      };
    },
  });

  app.post('/api/v1/projects/:project/notifications/:sink/test', {
    config: { scope: 'admin' },
    schema: {
      summary: 'Send a test notification to one sink now (past the queue) and say how it went',
      params: SinkParams,
      body: z.object({}).describe('nothing to send: {}'),
      response: { 200: z.object({ ok: z.boolean(), reason: z.string().describe('HTTP status, or why it was not delivered'), deliveryId: z.string() }), ...errors },
    },
    handler: async (req) => {
      const out = await slipway.notifier.test(req.params.project, req.params.sink, by(req.identity));
      return { ok: out.ok, reason: out.reason, deliveryId: out.deliveryId };
    },
  });
}
