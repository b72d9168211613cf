/** Tokens and push subscriptions (admin). Secrets and tokens are shown once, when made. */
import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { auditDraft } from '../../audit/index.js';
import { SlipwayError } from '../../core/index.js';
import type { Slipway } from '../../main.js';
import { SCOPE_HELP, SCOPE_PATTERN } from '../auth/scopes.js';
import type { TokenCache } from '../auth/tokens.js';
import { newToken, saveToken } from '../auth/tokens.js';
import type { WithheldAnswer } from '../idempotency.js';
import type { Deliverer } from '../push/deliverer.js';
import { IdParams, Name, errors } from '../schemas/common.js';
import type { Api } from '../types.js';
import { by } from '../types.js';
import type { TokenRow } from '../../store/index.js';

const Scope = z.string().regex(SCOPE_PATTERN, `a scope is one of ${SCOPE_HELP}`);
const Group = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, "a group name uses letters, digits, '.', '_' and '-'");
const TokenInfo = z.object({ id: z.string(), name: z.string(), scopes: z.array(z.string()), groups: z.array(z.string()), createdAt: z.number().int(), createdBy: z.string().nullable() });
const SubscriptionInfo = z.object({ id: z.string(), kind: z.string(), url: z.string(), createdAt: z.number().int(), createdBy: z.string().nullable(), dialect: z.enum(['slipway', 'keptn']), token: z.string().optional() });
const Dialect = z.enum(['slipway', 'keptn']).describe("slipway (default): Slipway's .triggered event with the claim; keptn: Keptn's .triggered CloudEvent, answered on POST /api/v1/event (docs/keptn.md)");
const HttpUrl = z.url({ protocol: /^https?$/, error: 'give an http:// or https:// URL' });

export interface AccessDeps {
  slipway: Slipway;
  tokens: TokenCache;
  deliverer: Deliverer;
}

const TOKEN_WITHHELD: WithheldAnswer = {
  made: (a) => `token '${String(a['name'])}' (id ${String(a['id'])})`,
  ifLost: (a) => `if it was lost, revoke it (slipway token revoke ${String(a['id'])}, or DELETE /api/v1/tokens/${String(a['id'])}) and create another`,
};

const SUBSCRIPTION_WITHHELD: WithheldAnswer = {
  // A secret the client chose is not kept, not even hashed in the fingerprint.
  secretFields: ['secret'],
  // Its URL may carry credentials: the kept message names scheme, host and path only.
  made: (a) => `subscription ${String(a['id'])} (${String(a['kind'])} tasks → ${typeof a['url'] === 'string' ? withoutCredentials(a['url']) : '?'})`,
  ifLost: (a) => `if its signing secret was lost, delete it (slipway subscription delete ${String(a['id'])}, or DELETE /api/v1/subscriptions/${String(a['id'])}) and create another`,
};

export function accessRoutes(app: Api, { slipway, tokens, deliverer }: AccessDeps): void {
  const { store } = slipway;

  app.post('/api/v1/tokens', {
    // The answer holds the token, which the server keeps only hashed: a repeat with the Idempotency-Key is told what was made, never the token.
    config: { scope: 'admin', idempotency: TOKEN_WITHHELD },
    schema: {
      summary: 'Create a token (shown once)',
      body: z.object({ name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$/, "use letters, digits, '.', '_', '@' and '-'"), scopes: z.array(Scope).min(1), groups: z.array(Group).max(50).optional().describe('groups approval policies count approvers by (e.g. qa, release-managers)') }),
      response: { 201: z.object({ id: z.string(), name: z.string(), scopes: z.array(z.string()), groups: z.array(z.string()), token: z.string() }), ...errors },
    },
    handler: async (req, reply) => {
      const token = newToken();
      const audit = (row: TokenRow) => auditDraft({ actor: by(req.identity), action: 'token.create', target: row.name, details: { id: row.id, scopes: row.scopes, groups: row.groups } });
      const row = await saveToken(store, { name: req.body.name, scopes: req.body.scopes, ...(req.body.groups ? { groups: req.body.groups } : {}), token, createdBy: by(req.identity), now: Date.now() }, audit);
      tokens.forget();
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
      const audit = auditDraft({ actor: by(req.identity), action: 'token.revoke', target: name ?? req.params.id, details: { id: req.params.id } });
      if (!(await store.deleteToken(req.params.id, audit))) throw new SlipwayError('UNKNOWN_TOKEN', `token '${req.params.id}' does not exist; GET /api/v1/tokens lists them`, { field: 'id' });
      tokens.forget();
      return reply.code(204).send(null);
    },
  });

  app.post('/api/v1/subscriptions', {
    // The answer holds the signing secret: a repeat with the Idempotency-Key is told what was made, never the secret.
    config: { scope: 'admin', idempotency: SUBSCRIPTION_WITHHELD },
    schema: {
      summary: 'Push tasks of a kind to a URL, signed with a secret (shown once)',
      body: z.object({
        kind: Name,
        url: HttpUrl,
        secret: z.string().min(16).max(200).optional(),
        dialect: Dialect.optional(),
        token: Name.optional().describe('with dialect keptn: the name of the token (scope execute or execute:<kind>) the receiver answers with; only it may report on a delivered task'),
      }),
      response: { 201: z.object({ id: z.string(), kind: z.string(), url: z.string(), secret: z.string(), dialect: Dialect, token: z.string().optional() }), ...errors },
    },
    handler: async (req, reply) => {
      const { kind, url, dialect = 'slipway', token } = req.body;
      if (slipway.executors.some((e) => e.kind === kind)) {
        throw new SlipwayError('INVALID_INPUT', `kind '${kind}' is served by a built-in executor; subscriptions are for kinds no built-in executor serves`, { field: 'kind' });
      }
      if (dialect === 'keptn') await checkAnswerToken(store, kind, token);
      else if (token !== undefined) throw new SlipwayError('INVALID_INPUT', "token names who answers a Keptn-dialect subscription; a Slipway-dialect receiver answers with the lease token each delivery carries: leave token out, or add dialect: 'keptn'", { field: 'token' });
      const secret = req.body.secret ?? `whsec_${randomBytes(24).toString('base64url')}`;
      const row = { id: `sub_${randomUUID()}`, kind, url, secret, createdAt: Date.now(), createdBy: by(req.identity), ...(dialect === 'keptn' ? { dialect, token } : {}) };
      await store.addSubscription(row, auditDraft({ actor: row.createdBy, action: 'subscription.create', target: row.id, details: { kind, url: withoutCredentials(url), ...(dialect === 'keptn' ? { dialect, token } : {}) } }));
      await deliverer.refresh();
      return reply.code(201).send({ id: row.id, kind, url, secret, dialect, ...(token !== undefined ? { token } : {}) });
    },
  });

  app.get('/api/v1/subscriptions', {
    config: { scope: 'admin' },
    schema: { summary: 'List push subscriptions (never their secrets)', response: { 200: z.object({ subscriptions: z.array(SubscriptionInfo) }), ...errors } },
    handler: async () => ({
      subscriptions: (await store.listSubscriptions()).map((s) => ({ id: s.id, kind: s.kind, url: s.url, createdAt: s.createdAt, createdBy: s.createdBy ?? null, dialect: s.dialect ?? 'slipway', ...(s.token !== undefined ? { token: s.token } : {}) })),
    }),
  });

  app.delete('/api/v1/subscriptions/:id', {
    config: { scope: 'admin' },
    schema: { summary: 'Delete a push subscription', params: IdParams, response: { 204: z.null(), ...errors } },
    handler: async (req, reply) => {
      if (!(await store.deleteSubscription(req.params.id, auditDraft({ actor: by(req.identity), action: 'subscription.delete', target: req.params.id })))) {
        throw new SlipwayError('UNKNOWN_SUBSCRIPTION', `subscription '${req.params.id}' does not exist; GET /api/v1/subscriptions lists them`, { field: 'id' });
      }
      await deliverer.refresh();
      return reply.code(204).send(null);
    },
  });
}

/** A Keptn-dialect receiver answers with a token of its own: it must exist and serve the kind. */
async function checkAnswerToken(store: Slipway['store'], kind: string, token: string | undefined): Promise<void> {
  if (token === undefined) {
    throw new SlipwayError('INVALID_INPUT', `a Keptn-dialect subscription names the token its receiver answers with (Keptn events carry no lease token); create one with: slipway token create <name> --scope execute:${kind}`, { field: 'token' });
  }
  const row = (await store.listTokens()).find((t) => t.name === token);
  if (!row) throw new SlipwayError('INVALID_INPUT', `token '${token}' does not exist; GET /api/v1/tokens lists them, slipway token create makes one`, { field: 'token' });
  const name = kind.startsWith('keptn.') ? kind.slice('keptn.'.length) : kind;
  const serves = row.scopes.some((s) => s === 'admin' || s === 'execute' || s === `execute:${kind}` || s === `execute:${name}`);
  if (!serves) throw new SlipwayError('INVALID_INPUT', `token '${token}' cannot report on tasks of kind '${kind}' (its scopes: ${row.scopes.join(', ')}); give it execute:${name}`, { field: 'token' });
}

/** A URL may carry credentials (user:password@, ?token=): the audit row keeps scheme, host and path only. */
function withoutCredentials(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname}`;
}
