/**
 * The CLI's connection to a Slipway server: where it is (`--server`, SLIPWAY_SERVER, the
 * config file, default http://127.0.0.1:7300) and who we are (SLIPWAY_TOKEN or the config
 * file). Errors from the server become one-line SlipwayErrors with the server's message.
 */
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
   * Between a replica's death and the takeover, a standby answers 503 NO_ACTIVE_REPLICA without
   * forwarding anything (and a replica that finds it lost its lease, 503 LEASE_LOST, having
   * written nothing), so the request is sent again after its Retry-After, saying once what
   * it waits for, for at most `SLIPWAY_REPLICA_WAIT_MS` (default 30 s; the lease time plus recovery).
   * Not so a change the standby did forward (`forwarded`) to an active replica that then stopped
   * answering: it may have been applied, and a trigger sent again would run twice.
   */
  async request<T>(method: string, path: string, opts: { body?: unknown; query?: Record<string, string | number | string[] | undefined>; signal?: AbortSignal } = {}): Promise<T> {
    const deadline = Date.now() + (Number(process.env['SLIPWAY_REPLICA_WAIT_MS'] ?? '') || 30_000);
    let said = false;
    for (;;) {
      try {
        return await this.requestOnce<T>(method, path, opts);
      } catch (e) {
        const err = e instanceof SlipwayError ? e : undefined;
        const unsure = err?.fields['forwarded'] === true && method !== 'GET' && method !== 'HEAD';
        if (unsure) throw new SlipwayError('NO_ACTIVE_REPLICA', `${err.message}. Not sent again: check whether it took effect (slipway runs, slipway status) before sending it again`, err.fields);
        // LEASE_LOST: the replica that answered had just lost the engine lease and wrote nothing; the next try reaches the active one.
        const wait = err?.code === 'NO_ACTIVE_REPLICA' || err?.code === 'LEASE_LOST' ? Number(err.fields['retryAfterMs'] ?? 1000) : undefined;
        if (wait === undefined || Date.now() + wait > deadline || opts.signal?.aborted) throw e;
        if (!said) process.stderr.write(`waiting for an active replica at ${this.config.server}: ${err!.message}\n`);
        said = true;
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  private async requestOnce<T>(method: string, path: string, opts: { body?: unknown; query?: Record<string, string | number | string[] | undefined>; signal?: AbortSignal }): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.url(path, opts.query), {
        method,
        headers: this.headers(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
    } catch (e) {
      throw new SlipwayError('INVALID_INPUT', `cannot reach the Slipway server at ${this.config.server} (${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}); start it with 'slipway server' or point --server / SLIPWAY_SERVER at it`);
    }
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    const body = text ? (JSON.parse(text) as unknown) : undefined;
    if (!res.ok) throw toError(res.status, body, this.config, res.headers.get('retry-after'));
    return body as T;
  }
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
