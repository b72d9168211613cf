/**
 * How answers become JSON. Every route's answer is encoded through its zod response schema
 * (fastify-type-provider-zod's serializer): keys the schema does not name are dropped, and a
 * wrong shape is a 500 rather than a surprise for the client.
 *
 * That encoding walks every value. For the project status (50 stages × 50 services: 12,500
 * cells, 66 kB) it cost as much server time as building the view, and up to four times more
 * once V8 had seen many other object shapes go through zod's shared parse code (the bench's
 * API part: 3.6 ms per answer instead of 1.2 ms). Routes whose handler builds its answer field
 * by field from a typed view, and that answer large, frequent reads, take `viewSerializer`:
 * `JSON.stringify` alone. The schema still documents the answer (OpenAPI), and with
 * SLIPWAY_STRICT_RESPONSES=1 (the test suite sets it) such a route is encoded through it too and
 * fails if the encoding would change the answer at all: a field the schema does not declare, a
 * wrong type, a missing key.
 */
import { isDeepStrictEqual } from 'node:util';
import type { FastifyRouteSchemaDef } from 'fastify/types/schema.js';
import { serializerCompiler } from 'fastify-type-provider-zod';
import { SlipwayError } from '../core/index.js';

type ZodRoute = Parameters<typeof serializerCompiler>[0];

/** Read at each route's registration, so a test can set it before it builds a server. */
export const strictResponses = (): boolean => (process.env['SLIPWAY_STRICT_RESPONSES'] ?? '') === '1';

/** `JSON.stringify` for a route's answers; checked against the route's schema when strict (above). */
export function viewSerializer<T>(route: FastifyRouteSchemaDef<T>): (data: unknown) => string {
  if (!strictResponses()) return (data) => JSON.stringify(data);
  // The route option's type names the whole route schema; at run time fastify hands over one
  // status code's response schema, which is what the zod compiler takes.
  const encode = serializerCompiler(route as unknown as ZodRoute);
  return (data) => {
    const plain = JSON.stringify(data);
    const sent = JSON.parse(plain) as unknown;
    const encoded = JSON.parse(encode(data)) as unknown;
    if (!isDeepStrictEqual(encoded, sent)) {
      throw new SlipwayError('INTERNAL', `${route.method} ${route.url}: the answer is not exactly what its response schema describes (SLIPWAY_STRICT_RESPONSES): ${firstDifference(sent, encoded)}`);
    }
    return plain;
  };
}

/** Where two JSON values first differ, as a path: for the error above. */
export function firstDifference(sent: unknown, schema: unknown, path = '$'): string {
  if (Array.isArray(sent) && Array.isArray(schema)) {
    if (sent.length !== schema.length) return `${path}: ${sent.length} items sent, ${schema.length} after encoding`;
    for (let i = 0; i < sent.length; i++) if (!isDeepStrictEqual(sent[i], schema[i])) return firstDifference(sent[i], schema[i], `${path}[${i}]`);
  } else if (isRecord(sent) && isRecord(schema)) {
    for (const k of new Set([...Object.keys(sent), ...Object.keys(schema)])) {
      if (!(k in schema)) return `${path}.${k} is sent but the schema does not declare it`;
      if (!(k in sent)) return `${path}.${k} is added by the schema`;
      if (!isDeepStrictEqual(sent[k], schema[k])) return firstDifference(sent[k], schema[k], `${path}.${k}`);
    }
  }
  return `${path}: ${JSON.stringify(sent)} sent, ${JSON.stringify(schema)} after encoding`;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
