/**
 * One error handler for every route. A SlipwayError answers with the status its code has
 * in the registry; fastify's own errors (validation, unparsable or oversized bodies,
 * unknown media types) are turned into registry codes first, so a client always gets
 * `{code, message, field?}` and bad input never a 5xx.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import type { ErrorCode } from '../core/index.js';
import { SlipwayError, httpStatusOf, isSlipwayError } from '../core/index.js';
import type { Api } from './types.js';

const PARTS: Record<string, string> = { body: 'the body', querystring: 'the query', params: 'the path', headers: 'the headers' };

export function installErrorHandling(app: Api): void {
  const limit = app.initialConfig.bodyLimit ?? 1024 * 1024;
  app.setErrorHandler((err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    let e = toSlipwayError(err);
    if (e.code === 'PAYLOAD_TOO_LARGE' && !isSlipwayError(err)) {
      e = new SlipwayError('PAYLOAD_TOO_LARGE', `the request body is larger than ${limit} bytes, the most this server accepts`, {}, { cause: err });
    }
    if (e.code === 'INTERNAL' || httpStatusOf(e.code) >= 500) req.log.error({ err }, 'request failed');
    return reply.code(httpStatusOf(e.code)).type('application/json').send(e.toJSON());
  });
  app.setNotFoundHandler((req, reply) => {
    const e = new SlipwayError('NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}; the routes are listed at /api/v1/openapi.json`);
    return reply.code(404).send(e.toJSON());
  });
}

export function toSlipwayError(err: unknown): SlipwayError {
  if (isSlipwayError(err)) return err;
  if (hasZodFastifySchemaValidationErrors(err)) {
    const first = err.validation[0]!;
    const part = (err as { validationContext?: string }).validationContext ?? 'body';
    const path = first.instancePath.replace(/^\//, '').replaceAll('/', '.');
    const field = path === '' ? part : path;
    const where = path === '' ? PARTS[part] ?? part : `${field} in ${PARTS[part] ?? part}`;
    const more = err.validation.length > 1 ? ` (and ${err.validation.length - 1} more problem${err.validation.length > 2 ? 's' : ''})` : '';
    return new SlipwayError('INVALID_INPUT', `${where}: ${first.message}${more}`, { field }, { cause: err });
  }
  const fe = err as Partial<FastifyError>;
  const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
  const message = fe.message ?? String(err);
  const code = codeFor(status, fe.code);
  if (code === 'INVALID_INPUT' && err instanceof SyntaxError) {
    return new SlipwayError(code, `the body is not valid JSON: ${message}`, { field: 'body' }, { cause: err });
  }
  if (code === 'INTERNAL') return new SlipwayError(code, 'the server failed on this request; the log has the details', {}, { cause: err });
  return new SlipwayError(code, message, status === 400 ? { field: 'body' } : {}, { cause: err });
}

function codeFor(status: number, fastifyCode: string | undefined): ErrorCode {
  if (status === 413 || fastifyCode === 'FST_ERR_CTP_BODY_TOO_LARGE') return 'PAYLOAD_TOO_LARGE';
  if (status === 415 || fastifyCode === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return 'UNSUPPORTED_MEDIA_TYPE';
  if (status === 404) return 'NOT_FOUND';
  if (status >= 400 && status < 500) return 'INVALID_INPUT';
  return 'INTERNAL';
}
