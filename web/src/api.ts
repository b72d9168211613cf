/**
 * The dashboard's only way to the server: the public HTTP API under /api/v1, with the
 * pasted token. A refusal becomes an ApiError carrying the API's own code and message,
 * which the page shows in words.
 *
 * Every change (POST, PUT, PATCH, DELETE) carries an Idempotency-Key (docs/api.md), and is sent
 * again with the same key, as the CLI does, when its answer was lost (the connection failed),
 * when no replica is active yet (503 NO_ACTIVE_REPLICA, LEASE_LOST) or while the first send is
 * still being handled (409 IDEMPOTENCY_KEY_IN_FLIGHT), for up to RETRY_FOR_MS: an approval or a
 * rollback clicked once is applied once, even when its answer never arrived.
 */
import { token } from './auth.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export function authHeaders(): Record<string, string> {
  const t = token.get();
  return t ? { authorization: `Bearer ${t}` } : {};
}

const CHANGES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** How long a change is sent again: a replica's failover (5 s leases by default) with room to spare. */
export const RETRY_FOR_MS = 15_000;
const AGAIN = new Set(['NO_ACTIVE_REPLICA', 'LEASE_LOST', 'IDEMPOTENCY_KEY_IN_FLIGHT']);

/** A fresh key per change. crypto.randomUUID needs a secure context (https or localhost); a dashboard served over plain http elsewhere has only getRandomValues. */
function newKey(): string {
  return `web-${Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Says why a change is being sent again (a `retry` CustomEvent whose detail is the sentence), for the page to show while it waits. */
export const retries = new EventTarget();
const say = (why: string) => retries.dispatchEvent(new CustomEvent<string>('retry', { detail: why }));

export async function api<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const key = CHANGES.has(method) ? newKey() : undefined;
  const until = Date.now() + RETRY_FOR_MS;
  for (;;) {
    let res: Response;
    try {
      res = await send(method, path, body, key, signal);
    } catch (e) {
      // The answer was lost (or never came): with a key, sending it again applies it at most once.
      if (!key || signal?.aborted || Date.now() + 1000 > until) throw e;
      say('the answer was lost; sending it again with the same Idempotency-Key (applied at most once)');
      await pause(1000);
      continue;
    }
    const text = await res.text();
    const json = parse(text);
    const code = (json as { code?: unknown } | undefined)?.code;
    if (key && (res.status === 503 || res.status === 409) && typeof code === 'string' && AGAIN.has(code)) {
      const wait = Math.min(5000, Math.max(250, Number(res.headers.get('retry-after') ?? '1') * 1000 || 1000));
      if (Date.now() + wait <= until) {
        say(code === 'IDEMPOTENCY_KEY_IN_FLIGHT' ? 'the server is still handling it; asking again for its answer' : `waiting for an active replica (${code}); sending it again with the same Idempotency-Key`);
        await pause(wait);
        continue;
      }
    }
    return answer<T>(res, text, json);
  }
}

function send(method: string, path: string, body: unknown, key: string | undefined, signal: AbortSignal | undefined): Promise<Response> {
  return fetch(path, {
    method,
    headers: { accept: 'application/json', ...authHeaders(), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(key ? { 'idempotency-key': key } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    ...(signal ? { signal } : {}),
  });
}

function parse(text: string): unknown {
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

function answer<T>(res: Response, text: string, json: unknown): T {
  if (!res.ok) {
    const e = (json ?? {}) as { code?: string; message?: string; field?: string };
    throw new ApiError(res.status, e.code ?? `HTTP_${res.status}`, e.message ?? (text.slice(0, 300) || res.statusText), e.field);
  }
  return json as T;
}

export const get = <T>(path: string, signal?: AbortSignal) => api<T>('GET', path, undefined, signal);
export const post = <T>(path: string, body: unknown = {}) => api<T>('POST', path, body);

/** `/a/b?x=1&x=2` from parts; undefined values are left out. */
export function url(path: string, query: Record<string, string | string[] | undefined> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) for (const one of [v ?? []].flat()) q.append(k, one);
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

export const enc = encodeURIComponent;
