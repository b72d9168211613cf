/**
 * Request bodies. JSON (and structured CloudEvents) are parsed here so a syntax error
 * names its position; YAML routes get the text as sent. Each route lists the media types
 * it accepts (`config.accepts`, JSON by default): any other is a 415 before the body is
 * read. An empty body on a JSON route reads as `{}`, so optional bodies may be left out.
 * JSON nested deeper than MAX_JSON_DEPTH is refused here, before any route or the engine
 * walks it recursively.
 */
import type { FastifyRequest } from 'fastify';
import { SlipwayError } from '../core/index.js';
import { MAX_JSON_DEPTH, fieldPath, tooDeepAt } from './json-limits.js';
import type { Api } from './types.js';

export const JSON_TYPES = ['application/json'] as const;
export const CLOUDEVENT_TYPES = ['application/cloudevents+json', 'application/json'] as const;
export const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/plain'] as const;

const WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]!.trim().toLowerCase();
}

function hasBody(req: FastifyRequest): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

export function installContent(app: Api): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['application/json', 'application/cloudevents+json'], { parseAs: 'string' }, (_req, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      return done(new SlipwayError('INVALID_INPUT', `the body is not valid JSON: ${(e as Error).message}`, { field: 'body' }), undefined);
    }
    const deep = tooDeepAt(value, MAX_JSON_DEPTH);
    if (deep) {
      const field = fieldPath(deep);
      const message = `the body nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep (at ${field}); flatten it, or keep the data elsewhere and send a link`;
      return done(new SlipwayError('INVALID_INPUT', message, { field }), undefined);
    }
    done(null, value);
  });
  app.addContentTypeParser([...YAML_TYPES], { parseAs: 'string' }, (_req, body, done) => done(null, String(body)));

  app.addHook('preParsing', async (req) => {
    if (!WITH_BODY.has(req.method) || !hasBody(req)) return;
    const accepts = req.routeOptions.config.accepts ?? JSON_TYPES;
    const media = mediaType(req.headers['content-type']);
    if (!accepts.includes(media)) {
      const got = media === '' ? 'no Content-Type' : `Content-Type '${media}'`;
      throw new SlipwayError('UNSUPPORTED_MEDIA_TYPE', `${req.method} ${req.routeOptions.url ?? req.url} takes ${accepts.join(', ')}; got ${got}`, { field: 'content-type' });
    }
  });
  app.addHook('preValidation', async (req) => {
    const accepts = req.routeOptions.config.accepts ?? JSON_TYPES;
    if (WITH_BODY.has(req.method) && req.body == null && accepts.includes('application/json')) req.body = {};
  });
}
