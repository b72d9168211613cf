/**
 * `Idempotency-Key` on the API's changes (the IETF httpapi draft; docs/api.md, "Idempotency").
 * A POST, PUT, PATCH or DELETE under /api/v1 made with a token may carry a key. The first
 * request with it claims the key (a pending row) and runs; its answer (status, content type,
 * body) is kept for `ttlMs` under (key, token id) with a fingerprint of the request. A repeat
 * with the same fingerprint gets that answer again with `Idempotent-Replayed: true` and runs
 * nothing; another request with the key is refused (422 IDEMPOTENCY_KEY_REUSED), and a repeat
 * while the first still runs is told to come back (409 IDEMPOTENCY_KEY_IN_FLIGHT).
 * 5xx answers are not kept, nor streamed ones (a backup): the key is released and a retry runs
 * again. Routes without a token (webhooks, which carry delivery ids of their own) ignore keys, and
 * so do routes whose request holds a secret (`config.idempotency: false`: setting a secret, which
 * is harmless to repeat). A route whose answer holds a secret shown once (creating a token or a
 * subscription: `config.idempotency: WithheldAnswer`) takes keys, but its success is kept as a
 * 409 IDEMPOTENT_ANSWER_WITHHELD naming what it made: a repeat makes nothing a second time, and
 * the server keeps no secret (secret fields of the request are left out of the fingerprint).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SlipwayError, httpStatusOf } from '../core/index.js';
import type { IdempotencyRow, Store } from '../store/index.js';
import type { Api } from './types.js';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const REPLAYED_HEADER = 'Idempotent-Replayed';
const CHANGES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const MAX_KEY = 255;

export interface IdempotencyOptions {
  /** How long an answer is replayed (default 24 h). */
  ttlMs: number;
  /** How long a claimed key waits for its first request's answer before it is given up for lost (default 5 min). */
  pendingMs: number;
  /** How often expired rows are pruned, on the next change that carries a key (default 10 min). */
  pruneEveryMs: number;
}

export const DEFAULT_IDEMPOTENCY: IdempotencyOptions = { ttlMs: 24 * 3_600_000, pendingMs: 5 * 60_000, pruneEveryMs: 10 * 60_000 };

export interface IdempotencyDeps {
  store: Store;
  now(): number;
  options?: Partial<IdempotencyOptions>;
}

/** A route whose successful answer holds a secret shown once: what a repeat is told instead. */
export interface WithheldAnswer {
  /** Top-level body fields holding a secret the client chose: left out of the fingerprint, so not even their hash is kept. */
  secretFields?: readonly string[];
  /** What the first request made, read from its answer (which is not kept), e.g. `token 'ci' (id tok_…)`. */
  made(answer: Record<string, unknown>): string;
  /** What to do when that secret was lost, e.g. how to revoke it. */
  ifLost(answer: Record<string, unknown>): string;
}

interface Claim {
  key: string;
  principal: string;
  /** `POST /api/v1/…` and when it was first sent. */
  request: string;
  at: number;
  withheld: WithheldAnswer | undefined;
}

/** Engine input ids of the keyed changes in progress (changeInputId). */
const keyedInputs = new WeakMap<FastifyRequest, string>();

/**
 * The engine input id a change applies under. With an Idempotency-Key it is derived from the
 * token, the key and the request's fingerprint, so a retry after a server stopped between
 * applying the change and keeping its answer is the same input: the engine never applies it
 * twice, and a route that made a run finds it in the log (`runQueuedBy`). Without a key, a
 * fresh id.
 */
export function changeInputId(req: FastifyRequest): { id: string; keyed: boolean } {
  const id = keyedInputs.get(req);
  return id !== undefined ? { id, keyed: true } : { id: randomUUID(), keyed: false };
}

/** Whether a route takes a key: a change under /api/v1 made with a token, unless the route ignores keys (`config.idempotency: false`). */
export function takesIdempotencyKey(method: string, url: string, config: { scope?: string; idempotency?: false | WithheldAnswer }): boolean {
  return CHANGES.has(method) && url.startsWith('/api/v1/') && config.scope !== 'none' && config.idempotency !== false;
}

/** The key as sent, or why it is refused. A structured-field string (`"…"`, as the draft writes it) is its text. */
export function parseIdempotencyKey(header: string): string {
  const key = header.length >= 2 && header.startsWith('"') && header.endsWith('"') ? header.slice(1, -1) : header;
  const bad = key.length === 0 ? 'is empty' : key.length > MAX_KEY ? `is ${key.length} characters long` : /[^\x20-\x7e]/.test(key) ? 'holds a character that is not printable ASCII' : undefined;
  if (bad === undefined) return key;
  throw new SlipwayError('INVALID_INPUT', `the Idempotency-Key header ${bad}; a key is 1 to ${MAX_KEY} printable ASCII characters: send a fresh random one (a UUID) per change`, { field: IDEMPOTENCY_HEADER });
}

/** sha256 over the method, the path with its query, and the body as parsed (JSON as its value, YAML as its text), less `secretFields`. */
export function fingerprintOf(method: string, url: string, body: unknown, secretFields: readonly string[] = []): string {
  const kept = secretFields.length > 0 && body !== null && typeof body === 'object' && !Array.isArray(body) ? Object.fromEntries(Object.entries(body).filter(([k]) => !secretFields.includes(k))) : body;
  const text = kept === undefined ? '' : typeof kept === 'string' ? kept : JSON.stringify(kept);
  const bodyHash = createHash('sha256').update(text).digest('hex');
  return createHash('sha256').update(`${method}\n${url}\n${bodyHash}`).digest('hex');
}

export function installIdempotency(app: Api, deps: IdempotencyDeps): void {
  const o = { ...DEFAULT_IDEMPOTENCY, ...deps.options };
  const { store } = deps;
  const claims = new WeakMap<FastifyRequest, Claim>();
  let nextPrune = 0;

  const prune = async (req: FastifyRequest | undefined, pendingToo: boolean) => {
    const now = deps.now();
    nextPrune = now + o.pruneEveryMs;
    try {
      await store.pruneIdempotencyKeys(now, pendingToo);
    } catch (err) {
      (req?.log ?? app.log).warn({ err }, 'idempotency keys: pruning the expired ones failed; the next change tries again');
    }
  };
  // Pending rows at start are a stopped server's: none of its requests will answer now.
  app.addHook('onReady', () => prune(undefined, true));

  app.addHook('preValidation', async (req, reply) => {
    const header = req.headers[IDEMPOTENCY_HEADER];
    if (header === undefined || !req.identity || req.is404 || !takesIdempotencyKey(req.method, req.url, req.routeOptions.config)) return;
    const key = parseIdempotencyKey(String(header));
    const principal = req.identity.tokenId;
    const now = deps.now();
    if (now >= nextPrune) await prune(req, false);
    const request = `${req.method} ${req.url.split('?')[0]}`;
    const withheld = req.routeOptions.config.idempotency || undefined;
    const mine: IdempotencyRow = { key, principal, fingerprint: fingerprintOf(req.method, req.url, req.body, withheld?.secretFields), request, createdAt: now, expiresAt: now + o.pendingMs };
    const held = await store.claimIdempotencyKey(mine);
    if (!held) {
      claims.set(req, { key, principal, request, at: now, withheld });
      keyedInputs.set(req, `key-${createHash('sha256').update(JSON.stringify([principal, key, mine.fingerprint])).digest('hex').slice(0, 32)}`);
      return;
    }
    const first = `${held.request} at ${new Date(held.createdAt).toISOString()}`;
    if (held.fingerprint !== mine.fingerprint) {
      const what = held.request === request ? 'with another query or body' : `while this is ${request}`;
      throw new SlipwayError('IDEMPOTENCY_KEY_REUSED', `Idempotency-Key '${key}' was first used for ${first} ${what}; a key stands for one request: send this one with a new key`, {
        field: IDEMPOTENCY_HEADER,
        firstRequest: held.request,
      });
    }
    if (!held.answer) {
      void reply.header('retry-after', '1');
      throw new SlipwayError('IDEMPOTENCY_KEY_IN_FLIGHT', `the request first sent with Idempotency-Key '${key}' (${first}) is still being handled; send it again in a moment to get its answer`, { field: IDEMPOTENCY_HEADER });
    }
    void reply.code(held.answer.status).header(REPLAYED_HEADER, 'true');
    if (held.answer.contentType !== '') void reply.type(held.answer.contentType);
    return reply.send(held.answer.status === 204 ? undefined : held.answer.body);
  });

  app.addHook('onSend', async (req, reply, payload) => {
    const claim = claims.get(req);
    if (!claim) return payload;
    claims.delete(req);
    await settle(req, reply, claim, payload);
    return payload;
  });
  // No answer was sent (the connection went first): the key may be used again.
  app.addHook('onResponse', async (req) => {
    const claim = claims.get(req);
    if (!claim) return;
    claims.delete(req);
    await store.releaseIdempotencyKey(claim.key, claim.principal).catch((err: unknown) => req.log.warn({ err }, 'idempotency key: releasing it failed'));
  });

  async function settle(req: FastifyRequest, reply: FastifyReply, claim: Claim, payload: unknown): Promise<void> {
    try {
      const kept = reply.statusCode < 500 && (payload === undefined || payload === null || typeof payload === 'string');
      if (!kept) return await store.releaseIdempotencyKey(claim.key, claim.principal);
      const body = (payload as string | null | undefined) ?? '';
      const answer =
        claim.withheld && reply.statusCode < 300
          ? withheldAnswer(claim, claim.withheld, body)
          : { status: reply.statusCode, contentType: String(reply.getHeader('content-type') ?? ''), body };
      await store.settleIdempotencyKey(claim.key, claim.principal, answer, deps.now() + o.ttlMs);
    } catch (err) {
      // The answer still goes out; a retry with the key meets the pending row and, after pendingMs, runs again.
      req.log.warn({ err, key: claim.key }, 'idempotency key: keeping the answer failed');
    }
  }
}

/** What a repeat of a change whose answer held a secret gets: a 409 naming what the first one made, never the secret. */
function withheldAnswer(claim: Claim, withheld: WithheldAnswer, body: string): { status: number; contentType: string; body: string } {
  let made: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) made = parsed as Record<string, unknown>;
  } catch {
    // An answer that is not a JSON object names nothing; the message still says the change was applied.
  }
  const first = `${claim.request} at ${new Date(claim.at).toISOString()}`;
  const e = new SlipwayError(
    'IDEMPOTENT_ANSWER_WITHHELD',
    `the request first sent with Idempotency-Key '${claim.key}' (${first}) was applied: it made ${withheld.made(made)}. Its answer held a secret that is shown once and not kept, so it is not sent again; ${withheld.ifLost(made)}`,
    { field: IDEMPOTENCY_HEADER, ...(typeof made['id'] === 'string' ? { id: made['id'] } : {}) },
  );
  return { status: httpStatusOf(e.code), contentType: 'application/json; charset=utf-8', body: JSON.stringify(e.toJSON()) };
}
