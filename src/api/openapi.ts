/**
 * What the OpenAPI document says a route takes: each request body is listed under the
 * media types the route's `config.accepts` names (JSON by default), the same list the
 * server enforces (content.ts), so the document never offers a type the server refuses.
 * Each change that takes an Idempotency-Key (idempotency.ts) lists the header.
 */
import type { SwaggerTransform } from '@fastify/swagger';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { JSON_TYPES } from './content.js';
import { takesIdempotencyKey } from './idempotency.js';

const KEY_HEADER = {
  type: 'string',
  minLength: 1,
  maxLength: 255,
  pattern: '^[\\x20-\\x7e]+$',
  description:
    'a fresh random key (a UUID) per change, sent again unchanged with each retry: a repeat with the same method, path and body gets the first answer (Idempotent-Replayed: true) for 24 h and runs nothing; 422 IDEMPOTENCY_KEY_REUSED for another request, 409 IDEMPOTENCY_KEY_IN_FLIGHT while the first runs',
};

export const openapiTransform: SwaggerTransform = (arg) => {
  const out = jsonSchemaTransform(arg);
  const config = arg.route.config ?? {};
  const keyed = [arg.route.method].flat().some((m) => takesIdempotencyKey(String(m), arg.url, config));
  const schema = keyed ? { ...out.schema, headers: withKeyHeader(out.schema.headers) } : out.schema;
  if (schema.body === undefined) return { ...out, schema };
  const accepts = config.accepts ?? JSON_TYPES;
  return { ...out, schema: { ...schema, consumes: [...accepts] } };
};

function withKeyHeader(headers: unknown): object {
  const h = (headers ?? { type: 'object', properties: {} }) as { properties?: Record<string, unknown> };
  return { ...h, properties: { ...h.properties, 'idempotency-key': KEY_HEADER } };
}
