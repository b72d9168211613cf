/** Routes for operators and tools: health, Prometheus metrics, the OpenAPI document. */
import type { Registry } from 'prom-client';
import { z } from 'zod';
import type { Metrics } from '../metrics.js';
import type { Api } from '../types.js';

/** `extra`: further registries to expose, such as the local platform's routers (per-slot traffic). */
export function systemRoutes(app: Api, metrics: Metrics, extra: readonly Registry[] = []): void {
  app.get('/healthz', {
    config: { scope: 'none' },
    schema: { summary: 'Liveness', response: { 200: z.object({ ok: z.literal(true) }) } },
    handler: async () => ({ ok: true as const }),
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
