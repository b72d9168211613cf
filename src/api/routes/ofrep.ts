/**
 * OpenFeature's remote evaluation protocol (OFREP, github.com/open-feature/protocol):
 * `POST /ofrep/v1/evaluate/flags/{key}` for one flag and `POST /ofrep/v1/evaluate/flags` for
 * all of a project's (with ETag / If-None-Match → 304), answered from the in-memory FlagBook.
 * Scope read, by `Authorization: Bearer <token>` or `X-API-Key: <token>`. Errors take OFREP's
 * shape (`{key?, errorCode, errorDetails}`), not the API's: OpenFeature providers read them.
 */
import { z } from 'zod';
import type { FastifyError } from 'fastify';
import { httpStatusOf } from '../../core/index.js';
import type { Slipway } from '../../main.js';
import { isRefusal } from '../../flags/index.js';
import { toSlipwayError } from '../errors.js';
import type { Api } from '../types.js';

const Context = z
  .record(z.string(), z.unknown())
  .describe('the evaluation context: targetingKey (a stable user id, for shares), stage (required: whose rollout applies), project (needed when several projects declare flags), and attributes rules match');
const Request = z.object({ context: Context.optional() });
const Key = z.string().min(1).max(200);
const Failure = z.object({ key: z.string().optional(), errorCode: z.enum(['FLAG_NOT_FOUND', 'PARSE_ERROR', 'TARGETING_KEY_MISSING', 'INVALID_CONTEXT', 'GENERAL']), errorDetails: z.string().optional() });
const ErrorAnswer = Failure.extend({ code: z.string().optional().describe("the API's own error code, beside OFREP's errorCode"), message: z.string().optional(), field: z.string().optional() });
const Success = z.object({
  key: z.string(),
  value: z.unknown(),
  variant: z.string(),
  reason: z.enum(['STATIC', 'DEFAULT', 'TARGETING_MATCH', 'SPLIT', 'DISABLED', 'ERROR']),
  metadata: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
});
const Bulk = z.object({ flags: z.array(z.union([Success, Failure])) });

/** The If-None-Match header names this ETag (a list, weak or not, or `*`). */
function notModified(header: string | string[] | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const tags = [header].flat().flatMap((h) => h.split(',')).map((t) => t.trim().replace(/^W\//, ''));
  return tags.includes('*') || tags.includes(etag);
}

export function ofrepRoutes(app: Api, slipway: Slipway): void {
  // Its own error handler (an encapsulated context): a bad body or token answers in OFREP's shape.
  void app.register(async (child: Api) => {
    child.setErrorHandler((err: FastifyError, req, reply) => {
      const e = toSlipwayError(err);
      const key = (req.params as { key?: string } | undefined)?.key;
      const parse = e.code === 'UNSUPPORTED_MEDIA_TYPE' || (e.code === 'INVALID_INPUT' && e.fields['field'] === 'body');
      const errorCode = parse ? 'PARSE_ERROR' : e.code === 'INVALID_INPUT' ? 'INVALID_CONTEXT' : 'GENERAL';
      const status = httpStatusOf(e.code);
      if (status >= 500) req.log.error({ err }, 'flag evaluation failed');
      // OFREP's fields for OpenFeature providers, beside the API's own {code, message, field} for everyone else.
      return reply.code(status).type('application/json').send({ ...e.toJSON(), ...(e.code === 'PAYLOAD_TOO_LARGE' ? { field: 'body' } : {}), ...(key !== undefined ? { key } : {}), errorCode, errorDetails: e.message });
    });

    child.post('/ofrep/v1/evaluate/flags/:key', {
      config: { scope: 'read' },
      schema: {
        summary: 'OFREP: evaluate one feature flag for a context (its stage, its targeting key)',
        tags: ['OFREP'],
        params: z.object({ key: Key }),
        body: Request,
        response: { 200: Success, '4xx': ErrorAnswer, '5xx': ErrorAnswer },
      },
      handler: async (req, reply) => {
        const out = slipway.flags.evaluate(req.params.key, req.body?.context ?? {});
        if (isRefusal(out)) return reply.code(out.status).send(out.body);
        if ('errorCode' in out) return reply.code(400).send({ ...out, code: 'INVALID_INPUT', message: out.errorDetails, field: 'context.targetingKey' });
        return out;
      },
    });

    child.post('/ofrep/v1/evaluate/flags', {
      config: { scope: 'read' },
      schema: {
        summary: "OFREP: evaluate every flag of a project for a context; ETag / If-None-Match answer 304 while nothing changed",
        tags: ['OFREP'],
        headers: z.object({ 'if-none-match': z.string().max(1000).optional() }).loose(),
        body: Request,
        response: { 200: Bulk, 304: z.null().describe('not modified'), '4xx': ErrorAnswer, '5xx': ErrorAnswer },
      },
      handler: async (req, reply) => {
        const out = slipway.flags.evaluateAll(req.body?.context ?? {});
        if (isRefusal(out)) return reply.code(out.status).send(out.body);
        reply.header('etag', out.etag);
        if (notModified(req.headers['if-none-match'], out.etag)) return reply.code(304).send(null);
        return { flags: out.flags };
      },
    });
  });
}
