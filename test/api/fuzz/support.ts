/**
 * What the fuzz tests share: how many cases to run (FUZZ_RUNS: a few thousand in all by
 * default, `npm run test:fuzz` sets 100000), what counts as the world's state, and what
 * every answer must look like: no 5xx, and every 4xx `{code, message, field?}` with a code
 * from the registry whose status is the one sent.
 */
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { ErrorCodes } from '../../../src/core/index.js';
import { engineIdle, type Harness } from '../harness.js';

/** Cases for the main property; others take a share of it. */
export const FUZZ_RUNS = Number(process.env['FUZZ_RUNS'] ?? 1500);
export const LONG = FUZZ_RUNS > 10_000;
/** Time for one property: minutes in long mode. */
export const TIMEOUT = LONG ? 4 * 60 * 60_000 : 120_000;

export function runs(share: number, min = 20): number {
  return Math.max(min, Math.ceil(FUZZ_RUNS * share));
}

/** fast-check settings: a seed from FUZZ_SEED replays a failure. */
export function params(numRuns: number): fc.Parameters<unknown> {
  const seed = process.env['FUZZ_SEED'];
  return { numRuns, ...(seed !== undefined ? { seed: Number(seed) } : {}), endOnFailure: !LONG };
}

/** Everything a request could have changed. */
export async function snapshot(h: Harness): Promise<string> {
  const { store } = h.slipway;
  return JSON.stringify({
    events: await store.lastEventSeq(),
    runs: await store.listRuns({ limit: 10_000 }),
    pipelines: await store.latestPipelines(),
    tokens: await store.listTokens(),
    subscriptions: await store.listSubscriptions(),
    secrets: await store.listSecrets(),
    outbox: await store.outbox(),
    timers: await store.dueTimers(Number.MAX_SAFE_INTEGER, 10_000),
  });
}

/** Waits until the state stops changing (after an accepted request set the engine going). */
export async function settle(h: Harness): Promise<string> {
  // The engine first: every input committed and no task in flight (noop tasks finish at once,
  // but a commit may take long on a loaded machine); then the state must hold still a while.
  await engineIdle(h);
  let last = await snapshot(h);
  const deadline = Date.now() + 30_000;
  for (let same = 0; same < 3; ) {
    if (Date.now() > deadline) throw new Error('the state still changed after 30 s');
    await new Promise((r) => setTimeout(r, 30));
    await engineIdle(h);
    const now = await snapshot(h);
    same = now === last ? same + 1 : 0;
    last = now;
  }
  return last;
}

/** Which parts of two snapshots differ. */
function changed(before: string, after: string): string {
  const a = JSON.parse(before) as Record<string, unknown>;
  const b = JSON.parse(after) as Record<string, unknown>;
  return Object.keys(b)
    .filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]))
    .join(', ');
}

export interface Answer {
  statusCode: number;
  headers: Record<string, unknown>;
  body: string;
}

/** What is wrong with an answer, if anything. */
export function problemWith(res: Answer | LightMyRequestResponse): string | undefined {
  const status = res.statusCode;
  if (status >= 500) return `${status} ${res.body.slice(0, 300)}`;
  if (status < 400) return undefined;
  if (!/^application\/json/.test(String(res.headers['content-type'] ?? ''))) return `${status} with content-type ${String(res.headers['content-type'])}`;
  let body: unknown;
  try {
    body = JSON.parse(res.body);
  } catch {
    return `${status} body is not JSON: ${res.body.slice(0, 200)}`;
  }
  // Keptn's routes answer as Keptn's API did: {code: <status>, message, fields}, Slipway's code in `reason`.
  const keptn = body as { code?: unknown; reason?: unknown; fields?: unknown };
  if (typeof keptn.code === 'number' && keptn.code !== status) return `${status} with Keptn code ${keptn.code}`;
  const { code, message, field, file } = (typeof keptn.code === 'number' ? { ...body as object, code: keptn.reason, field: keptn.fields } : body) as { code?: unknown; message?: unknown; field?: unknown; file?: unknown };
  if (typeof code !== 'string' || !(code in ErrorCodes)) return `${status} with code ${String(code)} not in the registry`;
  if (ErrorCodes[code as keyof typeof ErrorCodes].status !== status) return `${status} with code ${code}, whose status is ${ErrorCodes[code as keyof typeof ErrorCodes].status}`;
  if (typeof message !== 'string' || message.length < 10) return `${status} ${code} with message ${JSON.stringify(message)}`;
  if (field !== undefined && (typeof field !== 'string' || field === '')) return `${status} ${code} with field ${JSON.stringify(field)}`;
  if (status === 400 && field === undefined && file === undefined) return `400 ${code} names no field: ${message}`;
  return undefined;
}

/**
 * Sends one request and fails the case on a bad answer, or when a refused request (or a
 * read) changed anything. After an accepted change it waits for the engine to settle and
 * returns the new state.
 */
export async function expectSafe(
  h: Harness,
  method: string,
  send: () => Promise<Answer | LightMyRequestResponse>,
  before: string,
  what: string,
): Promise<{ res: Answer | LightMyRequestResponse; state: string }> {
  const res = await send();
  const problem = problemWith(res);
  if (problem) throw new Error(`${what}: ${problem}`);
  if (res.statusCode >= 400 || method === 'GET' || method === 'HEAD') {
    const after = await snapshot(h);
    if (after !== before) throw new Error(`${what}: answered ${res.statusCode} but the state changed (${changed(before, after)}): ${res.body.slice(0, 200)}`);
    return { res, state: before };
  }
  return { res, state: await settle(h) };
}

/** Strings a hostile client might send where a name or an id goes. */
export const junk = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ minLength: 90, maxLength: 400 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom('', '.', '..', '%', '%zz', '%E0%A4%A', '%00', '%2F', '../../etc/passwd', '\u0000', '\uD800', 'a'.repeat(301), '1e999', '-1', 'NaN', 'null', '__proto__', 'constructor'),
  },
);

/** JSON bodies: random values, deep nesting, huge strings. */
export const jsonBody = fc.oneof(
  { weight: 6, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)) },
  { weight: 2, arbitrary: fc.integer({ min: 20, max: 12_000 }).map((d) => '['.repeat(d) + ']'.repeat(d)) },
  { weight: 2, arbitrary: fc.integer({ min: 20, max: 6_000 }).map((d) => '{"a":'.repeat(d) + '1' + '}'.repeat(d)) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 1_300_000 }).map((n) => JSON.stringify({ result: 'pass', output: { log: 'x'.repeat(n) }, message: 'y'.repeat(n % 70_000) })) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  { weight: 1, arbitrary: fc.constantFrom('', '{', '{"a":', 'null', '[]', '"x"', '1e999999', '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"x":1}}}', '\uFEFF{}') },
);

export const contentTypes = fc.oneof(
  fc.constantFrom(
    'application/json',
    'application/cloudevents+json',
    'application/yaml',
    'text/yaml',
    'text/plain',
    'application/xml',
    'multipart/form-data; boundary=x',
    'application/json; charset=utf-16',
    'APPLICATION/JSON',
    '',
  ),
  fc.string({ maxLength: 30 }).filter((s) => /^[\x21-\x7e]*$/.test(s)),
);
