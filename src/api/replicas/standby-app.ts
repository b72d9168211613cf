/**
 * What a standby replica answers: /healthz, /metrics and the replica status itself; every
 * other request is forwarded, streamed both ways (event streams and claim long-polls pass
 * through), to the active replica's advertised URL. While no replica is active (between a
 * failure and the takeover) the answer is 503 NO_ACTIVE_REPLICA with Retry-After: 1 and what
 * it waits for.
 */
import replyFrom from '@fastify/reply-from';
import { fastify, type FastifyBaseLogger, type FastifyReply } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { SlipwayError } from '../../core/index.js';
import type { Store } from '../../store/index.js';
import { allows } from '../auth/scopes.js';
import { TokenCache } from '../auth/tokens.js';
import { installErrorHandling } from '../errors.js';
import { replicaRoutes, type ReplicaStatusSource } from '../routes/replicas.js';
import type { Api } from '../types.js';

/** Where requests go now: the active replica, or why there is none. */
export type ForwardTarget = { url: string; holder: string; expiresAt: number } | { unavailable: string };

export interface StandbyDeps {
  id: string;
  log: Logger;
  store: Store;
  openRead: boolean;
  target(): ForwardTarget;
  /** Re-reads the lease (after the active replica did not answer). */
  refresh(): Promise<void>;
  status: ReplicaStatusSource;
  registry: Registry;
  /**
   * How long a forwarded request may wait for the active replica's headers, and between two
   * chunks of its body; past it the answer is 503 NO_ACTIVE_REPLICA (a frozen or cut-off active
   * replica must not hold requests forever). Above the longest claim long-poll (30 s); event
   * streams send a comment every 15 s.
   */
  forwardTimeoutMs: number;
}

/** Set on requests a standby forwards: a request arriving with it is not forwarded again (a loop between misconfigured replicas). */
export const FORWARDED_BY = 'x-slipway-forwarded-by';

export async function buildStandbyApp(deps: StandbyDeps): Promise<Api> {
  const app = fastify({ loggerInstance: deps.log.child({}, { level: 'warn' }) as FastifyBaseLogger, exposeHeadRoutes: false, return503OnClosing: true }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandling(app);
  // Bodies pass through unread: the active replica checks them (and their size) itself.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
  // Each request has its timeout (forwardTimeoutMs); event streams and long polls stay open while the active replica keeps them alive.
  await app.register(replyFrom, { undici: { headersTimeout: 0, bodyTimeout: 0 } });

  const tokens = new TokenCache(deps.store);
  app.addHook('onRequest', async (req) => {
    if (req.routeOptions.config.scope !== 'read') return;
    const header = req.headers.authorization;
    if (header === undefined && deps.openRead) return;
    const m = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
    const identity = m ? await tokens.identify(m[1]!) : undefined;
    if (!identity) throw new SlipwayError('UNAUTHORIZED', 'this route needs a known token: send Authorization: Bearer <token>');
    if (!allows(identity.scopes, 'read')) throw new SlipwayError('FORBIDDEN', `token '${identity.name}' lacks the scope read`);
  });

  app.get('/healthz', { config: { scope: 'none' } }, async () => ({ ok: true as const }));
  app.get('/metrics', { config: { scope: 'none' } }, async (_req, reply) => reply.type(deps.registry.contentType).send(await deps.registry.metrics()));
  replicaRoutes(app, deps.status);

  const unavailable = (reply: FastifyReply, why: string, fields: { forwarded?: true } = {}) =>
    reply.code(503).header('retry-after', '1').type('application/json').send(new SlipwayError('NO_ACTIVE_REPLICA', `no active replica to answer (this is standby '${deps.id}'): ${why}`, fields).toJSON());

  app.all('/*', { config: { scope: 'none' } }, (req, reply) => {
    if (req.headers[FORWARDED_BY] !== undefined) {
      return unavailable(reply, `the request was forwarded here by '${String(req.headers[FORWARDED_BY])}' and would go round again; check each replica's --advertise-url`);
    }
    const t = deps.target();
    if ('unavailable' in t) return unavailable(reply, t.unavailable);
    return reply.from(`${t.url}${req.url}`, {
      timeout: deps.forwardTimeoutMs,
      rewriteRequestHeaders: (_r, headers) => ({ ...headers, [FORWARDED_BY]: deps.id }),
      rewriteHeaders: (headers) => ({ ...headers, 'x-slipway-via': deps.id }),
      onError: (r, { error }) => {
        void deps.refresh().catch(() => undefined);
        const until = new Date(t.expiresAt).toISOString();
        // `forwarded`: the request reached it, which may have applied it before it stopped answering, so a
        // client must not simply send a trigger again (it would run twice); the other 503s forwarded nothing.
        // A refused connection sent nothing: that one may be sent again whatever it was.
        const sent = (error as { cause?: { code?: unknown } }).cause?.code !== 'ECONNREFUSED';
        void unavailable(
          r as FastifyReply,
          `the active replica '${t.holder}' at ${t.url} does not answer (${error.message})${sent ? '; the request was sent to it and may have been applied' : ''}; its lease expires at ${until}, then a standby takes over`,
          sent ? { forwarded: true } : {},
        );
      },
    });
  });
  return app;
}
