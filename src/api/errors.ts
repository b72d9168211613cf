/**
 * One error handler for every route. A SlipwayError answers with the status its code has
 * in the registry; fastify's own errors (validation, unparsable or oversized bodies,
 * unknown media types) are turned into registry codes first, so a client always gets
 * `{code, message, field?}` and bad input never a 5xx. The same holds for what fails
 * before a route is found (bad percent-encoding, an over-long path parameter: fastify's
 * `frameworkErrors`) and for requests Node's HTTP parser refuses itself (headers too
 * large, malformed HTTP: the server's 'clientError').
 */
import { STATUS_CODES, maxHeaderSize } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import type { ErrorCode } from '../core/index.js';
import { SlipwayError, httpStatusOf, isSlipwayError } from '../core/index.js';
import type { Api } from './types.js';

/** The longest path parameter the router takes; every id the API builds (a task id is `<run>.<task>.<attempt>`) fits. */
export const MAX_PARAM_LENGTH = 300;

const PARTS: Record<string, string> = { body: 'the body', querystring: 'the query', params: 'the path', headers: 'the headers' };

export function installErrorHandling(app: Api): void {
  const limit = app.initialConfig.bodyLimit ?? 1024 * 1024;
  app.setErrorHandler((err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    let e = toSlipwayError(err);
    if (e.code === 'PAYLOAD_TOO_LARGE' && !isSlipwayError(err)) {
      e = new SlipwayError('PAYLOAD_TOO_LARGE', `the request body is larger than ${limit} bytes, the most this server accepts`, { field: 'body' }, { cause: err });
    }
    if (e.code === 'INTERNAL' || httpStatusOf(e.code) >= 500) req.log.error({ err }, 'request failed');
    return reply.code(httpStatusOf(e.code)).type('application/json').send(e.toJSON());
  });
  app.setNotFoundHandler((req, reply) => {
    const e = new SlipwayError('NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}; the routes are listed at /api/v1/openapi.json`);
    return reply.code(404).send(e.toJSON());
  });
}

/** fastify's `frameworkErrors`: what fails before a route is found, in the registry's shape. */
export const frameworkError: NonNullable<FastifyServerOptions['frameworkErrors']> = (err, _req, reply) => {
  const e = toSlipwayError(err);
  // The option is typed for any route generics; this reply belongs to no route.
  void (reply as unknown as FastifyReply).code(httpStatusOf(e.code)).type('application/json').send(e.toJSON());
};

/**
 * The server's 'clientError' (fastify's `clientErrorHandler`): Node's HTTP parser refused
 * the request before fastify saw it. Answers in the registry's shape, then closes.
 */
export function clientError(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const e = parserError(err);
  const status = httpStatusOf(e.code);
  const body = JSON.stringify(e.toJSON());
  const started = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
  if (socket.writable && !started) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

/**
 * Node hands CONNECT requests to the server's 'connect' event and, with no listener,
 * closes the socket without a word: answer them like any other unknown route.
 */
export function installConnectRefusal(app: Api): void {
  refuseConnect(app.server);
}

/** The same for any HTTP server (a replica's listener, which hands requests to fastify apps). */
export function refuseConnect(server: Pick<Api['server'], 'on'>): void {
  server.on('connect', (req: { method?: string; url?: string }, socket: Socket) => {
    const e = new SlipwayError('NOT_FOUND', `no route ${req.method ?? 'CONNECT'} ${clip(req.url ?? '')}; Slipway is not a proxy; the routes are listed at /api/v1/openapi.json`);
    const body = JSON.stringify(e.toJSON());
    socket.on('error', () => undefined);
    socket.end(`HTTP/1.1 404 Not Found\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  });
}

function parserError(err: Error & { code?: string }): SlipwayError {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return new SlipwayError(
        'HEADERS_TOO_LARGE',
        `the request line and headers are larger than ${maxHeaderSize} bytes, the most this server accepts; send a shorter URL (filters belong in the query or the body) and fewer or smaller headers`,
        { field: 'headers' },
        { cause: err },
      );
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new SlipwayError('REQUEST_TIMEOUT', 'the request did not arrive in time; send it again', {}, { cause: err });
    default:
      return new SlipwayError('INVALID_INPUT', `the request is not valid HTTP/1.1 (${err.code ?? err.message}); send a well-formed request`, { field: 'request' }, { cause: err });
  }
}

export function toSlipwayError(err: unknown): SlipwayError {
  if (isSlipwayError(err)) return err;
  const framework = frameworkCode(err);
  if (framework) return framework;
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

/** fastify's errors raised before a route runs, by their fastify code. */
function frameworkCode(err: unknown): SlipwayError | undefined {
  const fe = err as Partial<FastifyError>;
  const path = clip(fe.message?.match(/^'(.*)' /s)?.[1] ?? '');
  switch (fe.code) {
    case 'FST_ERR_BAD_URL':
      return new SlipwayError(
        'INVALID_INPUT',
        `the path '${path}' is not valid percent-encoding; a '%' must start %XX with two hex digits of UTF-8 (write '%' itself as %25)`,
        { field: 'path' },
        { cause: err },
      );
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new SlipwayError('URI_TOO_LONG', `a path parameter in '${path}' is longer than ${MAX_PARAM_LENGTH} characters, the most this server accepts; no id it issues is that long`, { field: 'path' }, { cause: err });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new SlipwayError('UNSUPPORTED_MEDIA_TYPE', 'this route takes no body of that Content-Type; the media types each route takes are listed at /api/v1/openapi.json', { field: 'content-type' }, { cause: err });
    default:
      return undefined;
  }
}

const clip = (s: string): string => (s.length > 200 ? `${s.slice(0, 200)}…` : s);

function codeFor(status: number, fastifyCode: string | undefined): ErrorCode {
  if (status === 413 || fastifyCode === 'FST_ERR_CTP_BODY_TOO_LARGE') return 'PAYLOAD_TOO_LARGE';
  if (status === 415 || fastifyCode === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return 'UNSUPPORTED_MEDIA_TYPE';
  if (status === 404) return 'NOT_FOUND';
  if (status >= 400 && status < 500) return 'INVALID_INPUT';
  return 'INTERNAL';
}
