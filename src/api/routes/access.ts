/** Tokens and push subscriptions (admin). Secrets and tokens are shown once, when made. */
import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { recordAudit } from '../../audit/index.js';
import { SlipwayError } from '../../core/index.js';
import type { Slipway } from '../../main.js';
import { SCOPE_HELP, SCOPE_PATTERN } from '../auth/scopes.js';
import type { TokenCache } from '../auth/tokens.js';
import { newToken, saveToken } from '../auth/tokens.js';
import type { Deliverer } from '../push/deliverer.js';
import { IdParams, Name, errors } from '../schemas/common.js';
import type { Api } from '../types.js';
import { by } from '../types.js';

const Scope = z.string().regex(SCOPE_PATTERN, `a scope is one of ${SCOPE_HELP}`);
const Group = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, "a group name uses letters, digits, '.', '_' and '-'");
const TokenInfo = z.object({ id: z.string(), name: z.string(), scopes: z.array(z.string()), groups: z.array(z.string()), createdAt: z.number().int(), createdBy: z.string().nullable() });
const SubscriptionInfo = z.object({ id: z.string(), kind: z.string(), url: z.string(), createdAt: z.number().int(), createdBy: z.string().nullable() });
const HttpUrl = z.url({ protocol: /^https?$/, error: 'give an http:// or https:// URL' });

export interface AccessDeps {
  slipway: Slipway;
  tokens: TokenCache;
  deliverer: Deliverer;
}

export function accessRoutes(app: Api, { slipway, tokens, deliverer }: AccessDeps): void {
  const { store } = slipway;

  app.post('/api/v1/tokens', {
    config: { scope: 'admin' },
    schema: {
      summary: 'Create a token (shown once)',
      body: z.object({ name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$/, "use letters, digits, '.', '_', '@' and '-'"), scopes: z.array(Scope).min(1), groups: z.array(Group).max(50).optional().describe('groups approval policies count approvers by (e.g. qa, release-managers)') }),
      response: { 201: z.object({ id: z.string(), name: z.string(), scopes: z.array(z.string()), groups: z.array(z.string()), token: z.string() }), ...errors },
    },
    handler: async (req, reply) => {
      const token = newToken();
      const row = await saveToken(store, { name: req.body.name, scopes: req.body.scopes, ...(req.body.groups ? { groups: req.body.groups } : {}), token, createdBy: by(req.identity), now: Date.now() });
      tokens.forget();
      await recordAudit(store, { actor: by(req.identity), action: 'token.create', target: row.name, details: { id: row.id, scopes: row.scopes, groups: row.groups } });
      return reply.code(201).send({ id: row.id, name: row.name, scopes: row.scopes, groups: row.groups ?? [], token });
    },
  });

  app.get('/api/v1/tokens', {
    config: { scope: 'admin' },
    schema: { summary: 'List tokens (never their values)', response: { 200: z.object({ tokens: z.array(TokenInfo) }), ...errors } },
    handler: async () => ({
      tokens: (await store.listTokens()).map((t) => ({ id: t.id, name: t.name, scopes: t.scopes, groups: t.groups ?? [], createdAt: t.createdAt, createdBy: t.createdBy ?? null })),
    }),
  });

  app.delete('/api/v1/tokens/:id', {
    config: { scope: 'admin' },
    schema: { summary: 'Revoke a token', params: IdParams, response: { 204: z.null(), ...errors } },
    handler: async (req, reply) => {
      const name = (await store.listTokens()).find((t) => t.id === req.params.id)?.name;
      if (!(await store.deleteToken(req.params.id))) throw new SlipwayError('UNKNOWN_TOKEN', `token '${req.params.id}' does not exist; GET /api/v1/tokens lists them`, { field: 'id' });
      tokens.forget();
      await recordAudit(store, { actor: by(req.identity), action: 'token.revoke', target: name ?? req.params.id, details: { id: req.params.id } });
      return reply.code(204).send(null);
    },
  });

  app.post('/api/v1/subscriptions', {
    config: { scope: 'admin' },
    schema: {
      summary: 'Push tasks of a kind to a URL, signed with a secret (shown once)',
      body: z.object({ kind: Name, url: HttpUrl, secret: z.string().min(16).max(200).optional() }),
      response: { 201: z.object({ id: z.string(), kind: z.string(), url: z.string(), secret: z.string() }), ...errors },
    },
    handler: async (req, reply) => {
      const { kind, url } = req.body;
      if (slipway.executors.some((e) => e.kind === kind)) {
        throw new SlipwayError('INVALID_INPUT', `kind '${kind}' is served by a built-in executor; subscriptions are for kinds no built-in executor serves`, { field: 'kind' });
      }
      const secret = req.body.secret ?? `whsec_${randomBytes(24).toString('base64url')}`;
      const row = { id: `sub_${randomUUID()}`, kind, url, secret, createdAt: Date.now(), createdBy: by(req.identity) };
      await store.addSubscription(row);
      await recordAudit(store, { actor: row.createdBy, action: 'subscription.create', target: row.id, details: { kind, url: withoutCredentials(url) } });
      await deliverer.refresh();
      return reply.code(201).send({ id: row.id, kind, url, secret });
    },
  });

  app.get('/api/v1/subscriptions', {
    config: { scope: 'admin' },
    schema: { summary: 'List push subscriptions (never their secrets)', response: { 200: z.object({ subscriptions: z.array(SubscriptionInfo) }), ...errors } },
    handler: async () => ({
      subscriptions: (await store.listSubscriptions()).map((s) => ({ id: s.id, kind: s.kind, url: s.url, createdAt: s.createdAt, createdBy: s.createdBy ?? null })),
    }),
  });

  app.delete('/api/v1/subscriptions/:id', {
    config: { scope: 'admin' },
    schema: { summary: 'Delete a push subscription', params: IdParams, response: { 204: z.null(), ...errors } },
    handler: async (req, reply) => {
      if (!(await store.deleteSubscription(req.params.id))) {
        throw new SlipwayError('UNKNOWN_SUBSCRIPTION', `subscription '${req.params.id}' does not exist; GET /api/v1/subscriptions lists them`, { field: 'id' });
      }
      await recordAudit(store, { actor: by(req.identity), action: 'subscription.delete', target: req.params.id });
      await deliverer.refresh();
      return reply.code(204).send(null);
    },
  });
}

/** A URL may carry credentials (user:password@, ?token=): the audit row keeps scheme, host and path only. */
function withoutCredentials(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname}`;
}
