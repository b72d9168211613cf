/**
 * Header rewriting at the hop between client and upstream: hop-by-hop headers (RFC 9110 §7.6.1,
 * plus any the Connection header names) stay on their hop; `x-forwarded-for` gains the client's
 * address; `x-forwarded-proto` and `x-forwarded-host` say what the client asked for. The router
 * is the edge, so it sets those two rather than trusting a client's values.
 */
import type { IncomingMessage } from 'node:http';

export type HeaderRecord = Readonly<Record<string, string | string[] | undefined>>;

const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization',
  'te', 'trailer', 'transfer-encoding', 'upgrade', 'expect', 'http2-settings',
]);
const REPLACED = new Set(['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host']);

/** Extra hop-by-hop names listed in a Connection header (rare; `keep-alive`/`close` are already dropped). */
function connectionTokens(value: string | string[] | undefined): Set<string> | undefined {
  if (!value) return undefined;
  if (Array.isArray(value)) value = value.join(',');
  const names = value.split(',').map((t) => t.trim().toLowerCase()).filter((t) => t && t !== 'keep-alive' && t !== 'close' && t !== 'upgrade');
  return names.length > 0 ? new Set(names) : undefined;
}

/**
 * The request headers to send upstream, as a flat [name, value, …] list in the client's order.
 * With `upgrade`, `connection: upgrade` and the `upgrade` header go along (a websocket handshake).
 */
export function upstreamHeaders(req: IncomingMessage, upgrade = false): string[] {
  const raw = req.rawHeaders;
  const extra = connectionTokens(req.headers.connection);
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (HOP_BY_HOP.has(name) || REPLACED.has(name) || extra?.has(name)) continue;
    out.push(raw[i]!, raw[i + 1]!);
  }
  const prior = req.headers['x-forwarded-for'];
  const client = req.socket.remoteAddress ?? '';
  out.push('x-forwarded-for', prior ? `${prior}, ${client}` : client, 'x-forwarded-proto', 'http');
  if (req.headers.host) out.push('x-forwarded-host', req.headers.host);
  if (upgrade) out.push('connection', 'upgrade', 'upgrade', req.headers.upgrade ?? 'websocket');
  return out;
}

/** The upstream's response headers for the client, as a flat list; `setCookie` is appended. */
export function clientHeaders(headers: HeaderRecord, setCookie?: string): string[] {
  const extra = connectionTokens(headers.connection);
  const out: string[] = [];
  for (const name in headers) {
    if (HOP_BY_HOP.has(name) || extra?.has(name)) continue;
    const v = headers[name];
    if (v === undefined) continue;
    if (typeof v === 'string') out.push(name, v);
    else for (const one of v) out.push(name, one);
  }
  if (setCookie) out.push('set-cookie', setCookie);
  return out;
}
