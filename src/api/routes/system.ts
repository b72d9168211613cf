/** Routes for operators and tools: health, Prometheus metrics, the OpenAPI document. */
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { SlipwayError } from '../../core/index.js';
import type { Readiness } from '../../engine/index.js';
import { errors } from '../schemas/common.js';
import type { Metrics } from '../metrics.js';
import type { Api } from '../types.js';

/**
 * `extra`: further registries to expose, such as the local platform's routers (per-slot traffic).
 * `readiness`: whether the store answers (engine/store-health.ts), for `GET /readyz`.
 */
export function systemRoutes(app: Api, metrics: Metrics, extra: readonly Registry[] = [], readiness?: () => Promise<Readiness>): void {
  app.get('/healthz', {
    config: { scope: 'none' },
    schema: { summary: 'Liveness', response: { 200: z.object({ ok: z.literal(true) }) } },
    handler: async () => ({ ok: true as const }),
  });

  // Liveness (/healthz) stays 200 while the store is down: restarting Slipway would not bring
  // the database back. Readiness says whether this server can do work now.
  app.get('/readyz', {
    config: { scope: 'none' },
    schema: { summary: 'Readiness: 200 while the store answers, 503 STORE while it does not', response: { 200: z.object({ ok: z.literal(true) }), ...errors } },
    handler: async () => {
      const r = readiness ? await readiness() : ({ ok: true } as const);
      if (r.ok) return { ok: true as const };
      const since = new Date(r.sinceMs).toISOString();
      throw new SlipwayError('STORE', `the store is unavailable since ${since} (${r.reason}); retrying every second; runs pause and resume by themselves when it answers`, { since });
    },
  });

  app.get('/metrics', {
    config: { scope: 'none' },
    schema: { summary: 'Prometheus metrics (text exposition format)', hide: true },
    handler: async (_req, reply) => {
      const texts = await Promise.all([metrics.registry, ...extra].map((r) => r.metrics()));
      return reply.type(metrics.registry.contentType).send(texts.join('\n'));
    },
  });

  app.get('/api/v1/openapi.json', {
    config: { scope: 'none' },
    schema: { summary: 'This API as an OpenAPI 3 document', hide: true },
    handler: async () => app.swagger(),
  });
}
