/**
 * buildServer: one fastify instance with the whole API. Order matters: the guard's
 * onRoute hook must see every route, so it is installed before any route is added.
 * What runs beside the routes (the event feed, the push deliverer, metrics) starts when
 * the server is ready and stops before it closes; long-polls and event streams are told
 * to end first, so closing never waits on a client.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { fastify, type FastifyBaseLogger } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { pino, type Logger } from 'pino';
import { DOCS_PREFIX, installGuard, type RouteEntry } from './auth/guard.js';
import { TokenCache } from './auth/tokens.js';
import { installContent } from './content.js';
import { MAX_PARAM_LENGTH, clientError, frameworkError, installConnectRefusal, installErrorHandling } from './errors.js';
import { EventFeed } from './event-feed.js';
import { installIdempotency } from './idempotency.js';
import { Metrics } from './metrics.js';
import { registerDoraGauges } from '../insights/index.js';
import { openapiTransform } from './openapi.js';
import { DEFAULT_PUSH, Deliverer } from './push/deliverer.js';
import { accessRoutes } from './routes/access.js';
import { eventRoutes } from './routes/events.js';
import { executorRoutes } from './routes/executors.js';
import { keptnRoutes } from './routes/keptn.js';
import { projectRoutes } from './routes/projects.js';
import { releaseRoutes } from './routes/releases.js';
import { secretRoutes } from './routes/secrets.js';
import { freezeRoutes } from './routes/freezes.js';
import { hookRoutes } from './routes/hooks.js';
import { automationRoutes } from './routes/automation.js';
import { migrationRoutes } from './routes/migrations.js';
import { backupRoutes } from './routes/backup.js';
import { notificationRoutes } from './routes/notifications.js';
import { pullRequestRoutes } from './routes/pull-requests.js';
import { runRoutes } from './routes/runs.js';
import { streamRoutes } from './routes/stream.js';
import { DEFAULT_SSE_LIMITS } from './sse-sink.js';
import { systemRoutes } from './routes/system.js';
import { replicaRoutes, singleReplica } from './routes/replicas.js';
import { taskRoutes } from './routes/tasks.js';
import { trafficRoutes } from './routes/traffic.js';
import { approvalRoutes } from './routes/approvals.js';
import { auditRoutes } from './routes/audit.js';
import { insightsRoutes } from './routes/insights.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { flagRoutes } from './routes/flags.js';
import { ofrepRoutes } from './routes/ofrep.js';
import { webRoutes } from './static.js';
import type { Api, ApiDeps } from './types.js';
import { secretLogHooks } from '../secrets/index.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route with the scope it declared: what the scope tests walk. */
    slipwayRoutes: readonly RouteEntry[];
  }
}

export const REDACT = ['req.headers.authorization', '*.token', '*.secret', '*.leaseToken', '*.leasetoken', '*.headers.authorization', '*.authorization', 'req.headers["x-token"]', '*.headers["x-token"]'];

export async function buildServer(deps: ApiDeps): Promise<Api> {
  const { slipway } = deps;
  const log = deps.log ?? pino({ level: process.env['SLIPWAY_LOG_LEVEL'] ?? 'silent', redact: REDACT, hooks: secretLogHooks() });
  const app = fastify({
    loggerInstance: httpLogger(log) as FastifyBaseLogger,
    bodyLimit: deps.bodyLimit ?? 1024 * 1024,
    exposeHeadRoutes: false,
    return503OnClosing: true,
    // A restart that recovers many runs keeps the event loop busy while plugins load: fastify's
    // default 10 s made a loaded server exit with "Plugin did not start in time" (fault harness).
    pluginTimeout: 120_000,
    forceCloseConnections: 'idle',
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: frameworkError,
    clientErrorHandler: clientError,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  const shutdown = new AbortController();
  const tokens = new TokenCache(slipway.store);
  const feed = new EventFeed(slipway.engine, slipway.store);
  const metrics = new Metrics(slipway.engine, (registry) =>
    registerDoraGauges(registry, { store: slipway.store, pipelines: () => slipway.engine.view.pipelines.values(), now: () => slipway.clock.now(), onError: (project, err) => log.warn({ err, project }, 'DORA gauges: figures failed') }),
  );
  const deliverer = new Deliverer(slipway.engine, slipway.store, { ...DEFAULT_PUSH, ...deps.push }, log.child({ module: 'push' }), slipway.dataDir);
  // Every long-poll and event stream adds a listener to the engine's emitter.
  slipway.engine.emitter.setMaxListeners(0);

  const table = installGuard(app, { slipway, tokens, openRead: deps.openRead });
  app.decorate('slipwayRoutes', table);
  installContent(app);
  // After the guard (it keys answers by token) and the body parser (the fingerprint holds the body).
  installIdempotency(app, { store: slipway.store, now: () => slipway.clock.now(), ...(deps.idempotency ? { options: deps.idempotency } : {}) });
  installErrorHandling(app);
  installConnectRefusal(app);

  await app.register(swagger, {
    openapi: {
      info: { title: 'Slipway', version: 'v1', description: 'Release orchestrator API. Send Authorization: Bearer <token>.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: openapiTransform,
  });
  await app.register(swaggerUi, { routePrefix: DOCS_PREFIX });

  systemRoutes(app, metrics, [slipway.platform.registry, ...(deps.registries ?? [])], () => slipway.storeHealth.readiness());
  replicaRoutes(app, deps.replicas ?? singleReplica());
  projectRoutes(app, slipway);
  releaseRoutes(app, slipway);
  runRoutes(app, slipway);
  taskRoutes(app, slipway);
  approvalRoutes(app, slipway);
  executorRoutes(app, slipway, shutdown.signal);
  keptnRoutes(app, slipway);
  eventRoutes(app, slipway);
  streamRoutes(app, { store: slipway.store, feed, shutdown: shutdown.signal, heartbeatMs: deps.sseHeartbeatMs ?? 15_000, limits: { ...DEFAULT_SSE_LIMITS, ...deps.sseLimits }, pipeline: (p) => slipway.engine.pipeline(p) });
  accessRoutes(app, { slipway, tokens, deliverer });
  secretRoutes(app, slipway);
  freezeRoutes(app, slipway);
  hookRoutes(app, slipway);
  auditRoutes(app, slipway);
  insightsRoutes(app, slipway);
  automationRoutes(app, slipway);
  migrationRoutes(app, slipway);
  notificationRoutes(app, slipway);
  pullRequestRoutes(app, slipway);
  dashboardRoutes(app, slipway);
  backupRoutes(app, slipway);
  flagRoutes(app, slipway);
  ofrepRoutes(app, slipway);
  trafficRoutes(app, slipway);
  await webRoutes(app, deps.webRoot);

  app.addHook('onReady', async () => {
    await feed.start();
    await deliverer.start();
  });
  app.addHook('preClose', async () => {
    shutdown.abort();
    await deliverer.stop();
    feed.stop();
    metrics.stop();
  });
  return app;
}

/** Per-request lines only at debug: at info the log tells what happened to releases, not every GET. */
function httpLogger(log: Logger): Logger {
  return log.levelVal <= 20 || log.levelVal >= 40 ? log : log.child({}, { level: 'warn' });
}
