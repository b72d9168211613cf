/**
 * `http` signal: one request per sample; it passes when the status is expected (default any
 * 2xx) and, with a condition, when a value at a JSON path of the body meets it
 * (`condition: '$.status == "green"'`, or `jsonPath: $.errors` with `condition: '< 5'`).
 * Messages name the URL's origin only: paths and headers often carry tokens.
 */
import { describe, isStringMap, type Problem } from '../properties.js';
import { atPath, parseCondition, parsePath, showValue, test, type Condition, type PathStep } from './condition.js';
import { bounded, isHttpUrl, isObject, readingValue, unknownKeys, type Parsed, type SampleEnv, type SignalModule } from './signal.js';

const KEYS = ['url', 'method', 'headers', 'body', 'expectStatus', 'jsonPath', 'condition'] as const;
const METHODS = ['GET', 'HEAD', 'POST'] as const;
type Method = (typeof METHODS)[number];
/** A health answer is small; more than this is not read. */
const BODY_LIMIT = 1024 * 1024;

/** An inclusive range of status codes: 200 is [200, 200], `2xx` is [200, 299]. */
type StatusRange = readonly [number, number];

export interface HttpSpec {
  url: string;
  method: Method;
  headers: Readonly<Record<string, string>>;
  body?: unknown;
  expect: readonly StatusRange[];
  /** The expected statuses as written, for messages. */
  expectText: string;
  path?: readonly PathStep[];
  pathText?: string;
  condition?: Condition;
}

function statusRange(v: unknown): StatusRange | undefined {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 100 && v <= 599) return [v, v];
  if (typeof v === 'string' && /^[1-5]xx$/.test(v)) {
    const c = Number(v[0]) * 100;
    return [c, c + 99];
  }
  return undefined;
}

function parseExpect(raw: unknown, field: string): { ranges: StatusRange[]; text: string } | Problem {
  if (raw === undefined) return { ranges: [[200, 299]], text: '2xx' };
  const items = Array.isArray(raw) ? raw : [raw];
  const ranges = items.map(statusRange);
  if (items.length === 0 || ranges.some((r) => r === undefined)) {
    return { field, message: `expectStatus must be a status code (200), a class ('2xx') or a list of them, got ${describe(raw)}` };
  }
  return { ranges: ranges as StatusRange[], text: items.map(String).join(', ') };
}

export function parseHttp(raw: unknown, field: string): Parsed<HttpSpec> {
  if (!isObject(raw)) return { problems: [{ field, message: `http must be a mapping with at least url, got ${describe(raw)}` }] };
  const problems = unknownKeys(raw, KEYS, field);
  const url = raw.url;
  if (!isHttpUrl(url)) {
    problems.push({ field: `${field}.url`, message: `url must be an http or https URL, got ${describe(url)}` });
  }
  const method = typeof raw.method === 'string' ? raw.method.toUpperCase() : raw.method === undefined ? 'GET' : raw.method;
  if (!METHODS.includes(method as Method)) {
    problems.push({ field: `${field}.method`, message: `method must be one of ${METHODS.join(', ')} (a gate only reads), got ${describe(raw.method)}` });
  }
  if (raw.headers !== undefined && !isStringMap(raw.headers)) {
    problems.push({ field: `${field}.headers`, message: `headers must be a map of strings, got ${describe(raw.headers)}` });
  }
  if (raw.body !== undefined && method !== 'POST') {
    problems.push({ field: `${field}.body`, message: `body is sent with method POST only; this signal uses ${String(method)}` });
  }
  const expect = parseExpect(raw.expectStatus, `${field}.expectStatus`);
  if ('field' in expect) problems.push(expect);
  let path: PathStep[] | undefined;
  if (raw.jsonPath !== undefined) {
    const p = typeof raw.jsonPath === 'string' ? parsePath(raw.jsonPath) : `jsonPath must be a text like $.status, got ${describe(raw.jsonPath)}`;
    if (typeof p === 'string') problems.push({ field: `${field}.jsonPath`, message: p });
    else path = p;
  }
  let condition: Condition | undefined;
  if (raw.condition !== undefined) {
    const c = parseCondition(raw.condition, { path: true, optional: raw.jsonPath !== undefined });
    if (typeof c === 'string') problems.push({ field: `${field}.condition`, message: c });
    else if (c.path && raw.jsonPath !== undefined) {
      problems.push({ field: `${field}.condition`, message: `condition '${c.text}' names a path and jsonPath names one too; give it once: drop jsonPath, or write the condition as '${c.op} ${showValue(c.literal)}'` });
    } else condition = c;
  }
  if (method === 'HEAD' && (raw.jsonPath !== undefined || raw.condition !== undefined)) {
    problems.push({ field: `${field}.method`, message: 'a HEAD answer has no body to read jsonPath or condition from; use GET' });
  }
  if (problems.length > 0) return { problems };
  const finalPath = condition?.path ?? path;
  return {
    spec: {
      url: url as string,
      method: method as Method,
      headers: isStringMap(raw.headers) ? raw.headers : {},
      ...(raw.body !== undefined ? { body: raw.body } : {}),
      expect: (expect as { ranges: StatusRange[] }).ranges,
      expectText: (expect as { text: string }).text,
      ...(finalPath ? { path: finalPath, pathText: condition?.subject ?? (raw.jsonPath as string) } : {}),
      ...(condition ? { condition } : {}),
    },
  };
}

async function readBody(res: Response): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (res.body) {
    for await (const chunk of res.body) {
      chunks.push(chunk);
      size += chunk.byteLength;
      if (size > BODY_LIMIT) {
        await res.body.cancel();
        throw new Error(`the body is larger than ${BODY_LIMIT} bytes`);
      }
    }
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The URL's origin for messages (its path and query may hold tokens). */
export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'the URL';
  }
}

/** fetch's "fetch failed" hides the reason (ECONNREFUSED …) in its cause. */
export function fetchFailure(err: unknown): string {
  const cause = err instanceof Error ? err.cause : undefined;
  if (cause instanceof Error) return 'code' in cause && typeof cause.code === 'string' ? `${cause.code}: ${cause.message}` : cause.message;
  return err instanceof Error ? err.message : String(err);
}

async function readHttp(s: HttpSpec, env: SampleEnv) {
  const origin = originOf(s.url);
  const headers = new Headers(s.headers);
  if (!headers.has('user-agent')) headers.set('user-agent', 'slipway-gate');
  headers.set('x-slipway-task-id', env.ctx.task.id);
  let body: string | undefined;
  if (s.body !== undefined) {
    body = typeof s.body === 'string' ? s.body : JSON.stringify(s.body);
    if (!headers.has('content-type')) headers.set('content-type', typeof s.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json');
  }
  let res: Response;
  try {
    res = await fetch(s.url, { method: s.method, headers, ...(body !== undefined ? { body } : {}), signal: env.signal });
  } catch (err) {
    return { pass: false, value: null, detail: `${origin} is unreachable (${fetchFailure(err)})` };
  }
  const statusOk = s.expect.some(([lo, hi]) => res.status >= lo && res.status <= hi);
  if (!statusOk || !s.path) {
    await res.body?.cancel();
    return statusOk
      ? { pass: true, value: res.status, detail: `HTTP ${res.status} from ${origin}` }
      : { pass: false, value: res.status, detail: `HTTP ${res.status} from ${origin}, expected ${s.expectText}` };
  }
  let doc: unknown;
  try {
    const text = await readBody(res);
    doc = JSON.parse(text);
  } catch (err) {
    const why = err instanceof SyntaxError ? 'the body is not JSON' : fetchFailure(err);
    return { pass: false, value: res.status, detail: `HTTP ${res.status} from ${origin}, but ${why}, so ${s.pathText} cannot be read` };
  }
  const found = atPath(doc, s.path);
  if ('missing' in found) {
    return { pass: false, value: null, detail: `HTTP ${res.status} from ${origin}; the body has no ${found.missing}` };
  }
  if (!s.condition) {
    const present = found.value !== null;
    return { pass: present, value: readingValue(found.value), detail: `${s.pathText} is ${showValue(found.value)}${present ? '' : ', expected a value'}` };
  }
  const t = test(found.value, s.condition);
  return {
    pass: t.pass,
    value: readingValue(found.value),
    detail: bounded(t.pass ? `${s.pathText} is ${showValue(found.value)}, ${s.condition.op} ${showValue(s.condition.literal)}` : `${s.pathText}: ${t.why ?? ''}`),
  };
}

export const httpSignal: SignalModule<HttpSpec> = { parse: parseHttp, read: readHttp };
