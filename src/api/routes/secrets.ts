/**
 * Secrets (admin): set, list, delete. No answer ever holds a value: set answers with the
 * name and dates, list with names, sources and dates. The value arrives as JSON
 * `{"value": "…"}` or as a text/plain body (one trailing newline dropped, as `echo` adds it).
 */
import { z } from 'zod';
import { auditDraft } from '../../audit/index.js';
import type { Slipway } from '../../main.js';
import { SECRET_NAME, SECRET_NAME_HELP } from '../../secrets/index.js';
import { errors } from '../schemas/common.js';
import type { Api } from '../types.js';
import { by } from '../types.js';

const SecretParams = z.object({ name: z.string().regex(SECRET_NAME, `a secret name is ${SECRET_NAME_HELP}`) });
const SecretInfo = z.object({
  name: z.string(),
  source: z.enum(['env', 'store']).describe('env: SLIPWAY_SECRET_<NAME> in the server environment; store: set through this API'),
  createdAt: z.number().int().nullable(),
  updatedAt: z.number().int().nullable(),
  updatedBy: z.string().nullable(),
  problem: z.string().nullable().describe('why a stored value cannot be used now (wrong key, damaged), else null'),
});
const SecretBody = z.union([z.object({ value: z.string().describe('the secret value; never shown again') }), z.string().describe('text/plain: the value')]);

export function secretRoutes(app: Api, slipway: Slipway): void {
  app.put('/api/v1/secrets/:name', {
    // The body is the secret: not even its hash is kept for an Idempotency-Key (setting a value twice is harmless).
    config: { scope: 'admin', accepts: ['application/json', 'text/plain'], idempotency: false },
    schema: {
      summary: 'Set a secret (JSON {"value": …} or a text/plain body); tasks refer to it as ${secret:NAME}',
      params: SecretParams,
      body: SecretBody,
      response: { 200: SecretInfo.extend({ created: z.boolean() }), 201: SecretInfo.extend({ created: z.boolean() }), ...errors },
    },
    handler: async (req, reply) => {
      const value = typeof req.body === 'string' ? req.body.replace(/\r?\n$/, '') : req.body.value;
      const { info, created } = await slipway.secrets.set(req.params.name, value, by(req.identity), (created) => auditDraft({ actor: by(req.identity), action: 'secret.set', target: req.params.name, details: { created } }));
      return reply.code(created ? 201 : 200).send({ ...info, created });
    },
  });

  app.get('/api/v1/secrets', {
    config: { scope: 'admin' },
    schema: { summary: 'List secrets: names, sources and dates (never values)', response: { 200: z.object({ secrets: z.array(SecretInfo) }), ...errors } },
    handler: async () => ({ secrets: slipway.secrets.list() }),
  });

  app.delete('/api/v1/secrets/:name', {
    config: { scope: 'admin' },
    schema: { summary: 'Delete a stored secret (tasks that use it then fail, naming it)', params: SecretParams, response: { 204: z.null(), ...errors } },
    handler: async (req, reply) => {
      await slipway.secrets.delete(req.params.name, auditDraft({ actor: by(req.identity), action: 'secret.delete', target: req.params.name }));
      return reply.code(204).send(null);
    },
  });
}
