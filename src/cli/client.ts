/**
 * The CLI's connection to a Slipway server: where it is (`--server`, SLIPWAY_SERVER, the
 * config file, default http://127.0.0.1:7300) and who we are (SLIPWAY_TOKEN or the config
 * file). Errors from the server become one-line SlipwayErrors with the server's message.
 * Every change carries an Idempotency-Key, so a change whose answer was lost is sent again.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ErrorCode } from '../core/index.js';
import { ErrorCodes, SlipwayError } from '../core/index.js';

export interface ClientConfig {
  server: string;
  token?: string;
}

export function configPath(): string {
  return process.env['SLIPWAY_CONFIG'] ?? join(process.env['XDG_CONFIG_HOME'] ?? join(homedir(), '.config'), 'slipway', 'config.json');
}

export function loadConfig(serverFlag?: string): ClientConfig {
  let file: Partial<ClientConfig> = {};
  try {
    file = JSON.parse(readFileSync(configPath(), 'utf8')) as Partial<ClientConfig>;
  } catch {
    // no config file: flags and environment only
  }
  const server = serverFlag ?? process.env['SLIPWAY_SERVER'] ?? file.server ?? 'http://127.0.0.1:7300';
  const token = process.env['SLIPWAY_TOKEN'] ?? file.token;
  return { server: server.replace(/\/+$/, ''), ...(token ? { token } : {}) };
}

export class Client {
  constructor(readonly config: ClientConfig) {}

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.config.token ? { authorization: `Bearer ${this.config.token}` } : {}), ...extra };
  }

  url(path: string, query: Record<string, string | number | string[] | undefined> = {}): string {
    const u = new URL(`${this.config.server}${path}`);
    for (const [k, v] of Object.entries(query)) {
      if (v === undefined) continue;
      for (const one of Array.isArray(v) ? v : [v]) u.searchParams.append(k, String(one));
    }
    return u.toString();
  }

  /**
   * Sends a request, and sends it again where that is safe, with the same Idempotency-Key
   * (every change gets a fresh random one: the server answers a repeat from the first answer
   * and applies nothing twice, docs/api.md "Idempotency"):
   * - 503 NO_ACTIVE_REPLICA (between a replica's death and the takeover, including a change a
   *   standby forwarded to an active replica that then stopped answering, `forwarded: true`) and
   *   503 LEASE_LOST: after their Retry-After;
   * - 409 IDEMPOTENCY_KEY_IN_FLIGHT (the first send is still being handled): after Retry-After;
   * - a connection lost before the answer: at once, then every half second.
   * It says once on stderr what it waits for, and gives up after `SLIPWAY_REPLICA_WAIT_MS`
   * (default 30 s; the lease time plus recovery). A server that cannot be reached at all on the
   * first try is reported at once.
   */
  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const waitMs = Number(process.env['SLIPWAY_REPLICA_WAIT_MS'] ?? '') || 30_000;
    const deadline = Date.now() + waitMs;
    const key = CHANGES.has(method) ? randomUUID() : undefined;
    let said = false;
    let lost = false;
    for (;;) {
      let wait: number | undefined;
      let note: string;
      try {
        return await this.requestOnce<T>(method, path, opts, key);
      } catch (e) {
        if (opts.signal?.aborted) throw e;
        if (e instanceof Unanswered) {
          // Refused or unresolvable on the first try: nothing was sent, and no server is there to wait for.
          if (!e.sent && !lost) throw this.unreachable(e.reason);
          lost ||= e.sent;
          wait = 500;
          note = `the answer to ${method} ${path} from ${this.config.server} was lost (${e.reason}); sending it again${key ? ' with the same Idempotency-Key' : ''}`;
          if (Date.now() + wait > deadline) throw this.gaveUp(method, path, e.reason, waitMs, key);
        } else {
          const err = e instanceof SlipwayError ? e : undefined;
          // LEASE_LOST: the replica that answered had just lost the engine lease and wrote nothing; the next try reaches the active one.
          if (err?.code === 'NO_ACTIVE_REPLICA' || err?.code === 'LEASE_LOST' || (err?.code === 'IDEMPOTENCY_KEY_IN_FLIGHT' && key)) wait = Number(err.fields['retryAfterMs'] ?? 1000);
          if (wait === undefined || !err) throw e;
          if (Date.now() + wait > deadline) throw err.fields['forwarded'] === true && key ? this.gaveUp(method, path, err.message, waitMs, key, err) : e;
          note = err.code === 'IDEMPOTENCY_KEY_IN_FLIGHT' ? `waiting for the server to finish ${method} ${path}: ${err.message}` : `waiting for an active replica at ${this.config.server}: ${err.message}`;
        }
      }
      if (!said) process.stderr.write(`${note}\n`);
      said = true;
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  private async requestOnce<T>(method: string, path: string, opts: RequestOptions, key: string | undefined): Promise<T> {
    let res: Response;
    let text: string;
    try {
      res = await fetch(this.url(path, opts.query), {
        method,
        headers: this.headers({ ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}), ...(key ? { 'idempotency-key': key } : {}) }),
        ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      text = res.status === 204 ? '' : await res.text();
    } catch (e) {
      if (opts.signal?.aborted) throw e;
      throw unanswered(e);
    }
    if (res.status === 204) return undefined as T;
    const body = text ? (JSON.parse(text) as unknown) : undefined;
    if (!res.ok) throw toError(res.status, body, this.config, res.headers.get('retry-after'));
    return body as T;
  }

  private unreachable(reason: string): SlipwayError {
    return new SlipwayError('INVALID_INPUT', `cannot reach the Slipway server at ${this.config.server} (${reason}); start it with 'slipway server' or point --server / SLIPWAY_SERVER at it`);
  }

  /** The request reached a server, which may have applied it, and no answer came back in time. */
  private gaveUp(method: string, path: string, reason: string, waitMs: number, key: string | undefined, err?: SlipwayError): SlipwayError {
    const message = `${reason}; ${method} ${path} was sent again${key ? ` with the same Idempotency-Key (${key})` : ''} for ${Math.round(waitMs / 1000)} s without an answer. It may have been applied: check whether it took effect (slipway runs, slipway status) before running the command again (a new command is a new request)`;
    return new SlipwayError(err?.code ?? 'NO_ACTIVE_REPLICA', message, { ...err?.fields, ...(key ? { idempotencyKey: key } : {}) });
  }
}

export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | string[] | undefined>;
  signal?: AbortSignal;
}

/** Methods that change something: each request gets an Idempotency-Key. */
const CHANGES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/**
 * Errors of a connection lost after the request went out (reset, closed by the other side, no
 * answer in time): it may have been applied. Any other (refused, unresolvable, a bad URL) sent nothing.
 */
const LOST = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** fetch failed without an answer: `sent` unless the connection was never made. */
class Unanswered extends Error {
  constructor(
    readonly reason: string,
    readonly sent: boolean,
  ) {
    super(reason);
  }
}

function unanswered(e: unknown): Unanswered {
  const cause = (e as Error).cause as (Error & { code?: string }) | undefined;
  const code = cause?.code ?? (e as { code?: string }).code;
  const reason = cause instanceof Error ? cause.message : (e as Error).message;
  return new Unanswered(reason, code !== undefined && LOST.has(code));
}

function toError(status: number, body: unknown, config: ClientConfig, retryAfter?: string | null): SlipwayError {
  const b = (body ?? {}) as { code?: string; message?: string; field?: string; forwarded?: unknown };
  const code = (b.code && b.code in ErrorCodes ? b.code : 'INVALID_INPUT') as ErrorCode;
  let message = b.message ?? `the server answered ${status}`;
  if (status === 401) message += config.token ? ' (the token in SLIPWAY_TOKEN or the config file was refused)' : '; set SLIPWAY_TOKEN to a token (see `slipway token create`)';
  if (status === 403) message += '; ask an admin for a token with that scope';
  const retryAfterMs = retryAfter && Number.isFinite(Number(retryAfter)) ? Number(retryAfter) * 1000 : undefined;
  return new SlipwayError(code, message, { ...(b.field ? { field: b.field } : {}), status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}), ...(b.forwarded === true ? { forwarded: true } : {}) });
}
