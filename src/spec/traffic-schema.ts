/**
 * A stage's `traffic` in slipway.yaml: recording a bounded, redacted sample of its live
 * requests on the local platform's routers, which `loadtest` replays and `traffic-compare`
 * sends to two versions. See docs/loadtests.md.
 */
import { z } from 'zod';
import type { TrafficSpec } from '../core/index.js';
import { strict } from './fields.js';
import { show } from './problems.js';

/** Kept in step with src/platform/router/record.ts (the spec does not import the platform). */
const DEFAULT_HEADERS = ['accept', 'accept-language', 'content-type', 'user-agent'];
const DEFAULT_DROP_HEADERS = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key'];
const DEFAULT_DROP_QUERY = ['token', 'access_token', 'id_token', 'password', 'passwd', 'secret', 'api_key', 'apikey', 'session', 'sig', 'signature'];

const headerName = z
  .string({ error: (iss) => `expected a header name, got ${show(iss.input)}` })
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, { error: (iss) => `${show(iss.input)} is not a header name (letters, digits and - _ . only)` })
  .transform((h) => h.toLowerCase());
const key = z.string({ error: (iss) => `expected a name, got ${show(iss.input)}` }).min(1, { error: 'expected a non-empty name' });
const values = z.record(z.string(), z.string({ error: (iss) => `expected the replacement text, got ${show(iss.input)}` }));

export const trafficSchema = strict({
  record: strict({
    sample: z
      .number({ error: (iss) => `expected a share from 0 to 1 such as 0.1, got ${show(iss.input)}` })
      .gt(0, { error: (iss) => `sample is the share of live requests recorded, more than 0 and at most 1, got ${show(iss.input)}` })
      .max(1, { error: (iss) => `sample is the share of live requests recorded, more than 0 and at most 1, got ${show(iss.input)}` })
      .default(0.1)
      .meta({ description: 'Share of live requests recorded, (0, 1] (default 0.1).' }),
    max: z
      .int({ error: (iss) => `expected a whole number of requests, got ${show(iss.input)}` })
      .min(1, { error: (iss) => `max is how many requests are kept, 1 to 100000, got ${show(iss.input)}` })
      .max(100_000, { error: (iss) => `max is how many requests are kept, 1 to 100000, got ${show(iss.input)}` })
      .default(1000)
      .meta({ description: 'Most requests kept: the newest (default 1000, at most 100000).' }),
    headers: z.array(headerName).default(DEFAULT_HEADERS).meta({ description: `Headers recorded; any other header is never kept (default: ${DEFAULT_HEADERS.join(', ')}).` }),
    dropHeaders: z.array(headerName).default(DEFAULT_DROP_HEADERS).meta({ description: `Headers never kept even if listed in headers (default: ${DEFAULT_DROP_HEADERS.join(', ')}); setting it replaces the default list.` }),
    dropCookies: z.array(key).default([]).meta({ description: 'Cookies removed from a recorded Cookie header (Cookie must be in headers and not in dropHeaders).' }),
    dropQuery: z.array(key).default(DEFAULT_DROP_QUERY).meta({ description: `Query keys removed (case-insensitive; default: ${DEFAULT_DROP_QUERY.join(', ')}); setting it replaces the default list.` }),
    replace: strict({
      headers: values.default({}).meta({ description: 'Header name → the value recorded in place of the real one.' }),
      cookies: values.default({}).meta({ description: 'Cookie name → the value recorded in place of the real one.' }),
      query: values.default({}).meta({ description: 'Query key → the value recorded in place of the real one.' }),
    })
      .default({ headers: {}, cookies: {}, query: {} })
      .meta({ description: 'Values replaced rather than dropped, so requests keep their shape without the personal value.' }),
  }).meta({ description: 'Record a bounded sample of live requests on the local platform router (method, path, query, chosen headers; no bodies).' }),
}).meta({ id: 'Traffic', description: "The stage's recorded traffic, replayed by loadtest and traffic-compare tasks (docs/loadtests.md)." });

export type SlipwayTraffic = z.output<typeof trafficSchema>;

export function mapTraffic(t: SlipwayTraffic): TrafficSpec {
  const r = t.record;
  const replaceHeaders = Object.fromEntries(Object.entries(r.replace.headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { record: { sample: r.sample, max: r.max, headers: r.headers, dropHeaders: r.dropHeaders, dropCookies: r.dropCookies, dropQuery: r.dropQuery, replace: { ...r.replace, headers: replaceHeaders } } };
}
