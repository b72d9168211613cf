/** Routes for operators and tools: health, Prometheus metrics, the OpenAPI document. */
import { z } from 'zod';
import type { Metrics } from '../metrics.js';
import type { Api } from '../types.js';

export function systemRoutes(app: Api, metrics: Metrics): void {
  app.get('/healthz', {
    config: { scope: 'none' },
    schema: { summary: 'Liveness', response: { 200: z.object({ ok: z.literal(true) }) } },
    handler: async () => ({ ok: true as const }),
  });

  app.get('/metrics', {
    config: { scope: 'none' },
    schema: { summary: 'Prometheus metrics (text exposition format)', hide: true },
    handler: async (_req, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  });

  app.get('/api/v1/openapi.json', {
    config: { scope: 'none' },
    schema: { summary: 'This API as an OpenAPI 3 document', hide: true },
    handler: async () => app.swagger(),
  });
}
