/**
 * The one place access is decided. Every route declares `config.scope`; a route that
 * does not is refused when it is registered (the docs page's own routes are public), and
 * every route lands in the route table the scope tests walk. One onRequest hook reads
 * `Authorization: Bearer <token>` and checks the scope before the body is even read.
 */
import type { FastifyRequest } from 'fastify';
import { SlipwayError, parseTaskId } from '../../core/index.js';
import type { Slipway } from '../../main.js';
import type { Api, RouteScope } from '../types.js';
import { allows, describeNeed } from './scopes.js';
import type { TokenCache } from './tokens.js';

export const DOCS_PREFIX = '/api/v1/docs';

export interface RouteEntry {
  method: string;
  url: string;
  scope: RouteScope;
}

export interface GuardDeps {
  slipway: Slipway;
  tokens: TokenCache;
  openRead: boolean;
}

export function installGuard(app: Api, deps: GuardDeps): RouteEntry[] {
  const table: RouteEntry[] = [];
  app.decorateRequest('identity', null);
  app.addHook('onRoute', (route) => {
    const config = (route.config ??= {});
    if (config.scope === undefined) {
      if (!route.url.startsWith(DOCS_PREFIX)) throw new Error(`route ${String(route.method)} ${route.url} declares no config.scope`);
      config.scope = 'none';
    }
    for (const method of [route.method].flat()) table.push({ method, url: route.url, scope: config.scope });
  });
  app.addHook('onRequest', async (req) => {
    const scope = req.is404 ? 'none' : (req.routeOptions.config.scope ?? 'none');
    if (scope === 'none') return;
    // Keptn's executors and CLI send their token in `x-token`; it is read as a bearer token.
    const xToken = req.headers['x-token'];
    // OpenFeature's OFREP providers may send theirs as `X-API-Key`.
    const apiKey = req.headers['x-api-key'];
    const header = req.headers.authorization ?? (typeof xToken === 'string' ? `Bearer ${xToken}` : typeof apiKey === 'string' ? `Bearer ${apiKey}` : undefined);
    if (header === undefined) {
      if (scope === 'read' && deps.openRead) return;
      throw new SlipwayError('UNAUTHORIZED', 'this route needs a token: send Authorization: Bearer <token> or x-token: <token> (the first start wrote an admin token to <data>/admin-token)');
    }
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) throw new SlipwayError('UNAUTHORIZED', "the Authorization header must be 'Bearer <token>'", { field: 'authorization' });
    const identity = await deps.tokens.identify(m[1]!);
    if (!identity) throw new SlipwayError('UNAUTHORIZED', 'the token is not known here (revoked, or from another server)', { field: 'authorization' });
    req.identity = identity;
    if (scope === 'read' && deps.openRead) return;
    const stage = scope === 'approve' ? await stageOfTask(deps.slipway, req) : undefined;
    if (!allows(identity.scopes, scope, stage)) {
      throw new SlipwayError('FORBIDDEN', `token '${identity.name}' lacks ${describeNeed(scope, stage)}; it has: ${identity.scopes.join(', ') || '(none)'}`);
    }
  });
  return table;
}

/** The stage of the run a `:taskId` route parameter names, if that run exists. */
async function stageOfTask(slipway: Slipway, req: FastifyRequest): Promise<string | undefined> {
  const taskId = (req.params as Record<string, string | undefined>)['taskId'];
  const parsed = taskId === undefined ? undefined : parseTaskId(taskId);
  if (!parsed) return undefined;
  const run = slipway.engine.view.runs.get(parsed.runId) ?? (await slipway.store.getRun(parsed.runId));
  return run?.stage;
}
