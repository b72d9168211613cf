/**
 * Recorded traffic: a bounded sample of the live requests one router served (method, path,
 * query, chosen headers), kept so a load test can replay traffic that looks like production's
 * and a traffic comparison can send the same requests to two versions.
 *
 * Nothing personal is kept: only the headers the stage names are recorded at all, and of those
 * the configured headers, cookies and query keys are dropped or replaced before the request is
 * stored. Only live traffic is recorded (chosen by weight or a sticky pin): previews, replays and
 * mirrored copies are not, so a replay never records itself.
 *
 * The router's hot path pays one comparison when recording is off and one Math.random() when
 * it is on; the copy and the redaction run only for the sampled share.
 */
import type { IncomingMessage } from 'node:http';
import type { TrafficSpec } from '../../core/index.js';
import { SLOT_COOKIE, STICKY_COOKIE } from './types.js';

/** What of a stage's live requests is recorded (slipway.yaml `traffic.record`, see core's TrafficSpec). */
export type RecordSpec = TrafficSpec['record'];

export interface RecordedRequest {
  /** UTC ms when the router received it. */
  at: number;
  method: string;
  /** Path and query as redacted, e.g. `/cart?page=2`. */
  path: string;
  headers: Record<string, string>;
}

export const DEFAULT_RECORD_HEADERS = ['accept', 'accept-language', 'content-type', 'user-agent'] as const;
export const DEFAULT_DROP_HEADERS = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key'] as const;
export const DEFAULT_DROP_QUERY = ['token', 'access_token', 'id_token', 'password', 'passwd', 'secret', 'api_key', 'apikey', 'session', 'sig', 'signature'] as const;
/** Routing cookies of Slipway's own: a replay must be routed by the replayer, not by a recorded pin. */
const ROUTING_COOKIES = new Set([SLOT_COOKIE, STICKY_COOKIE]);

export class TrafficRecorder {
  private readonly ring: (RecordedRequest | undefined)[];
  private next = 0;
  private seen = 0;
  private kept = 0;
  private readonly keep: Set<string>;
  private readonly dropQuery: Set<string>;
  private readonly dropCookies: Set<string>;

  constructor(readonly spec: RecordSpec, private readonly now: () => number) {
    this.ring = new Array<RecordedRequest | undefined>(spec.max);
    const drop = new Set(spec.dropHeaders.map((h) => h.toLowerCase()));
    this.keep = new Set(spec.headers.map((h) => h.toLowerCase()).filter((h) => !drop.has(h)));
    this.dropQuery = new Set(spec.dropQuery.map((q) => q.toLowerCase()));
    this.dropCookies = new Set([...spec.dropCookies, ...ROUTING_COOKIES]);
  }

  /** Called for each live request: records it with probability `sample`. */
  offer(req: IncomingMessage): void {
    this.seen++;
    if (this.spec.sample < 1 && Math.random() >= this.spec.sample) return;
    this.ring[this.next] = this.redact(req);
    this.next = (this.next + 1) % this.spec.max;
    this.kept++;
  }

  /** The kept requests, oldest first. */
  requests(): RecordedRequest[] {
    const out: RecordedRequest[] = [];
    for (let i = 0; i < this.spec.max; i++) {
      const r = this.ring[(this.next + i) % this.spec.max];
      if (r) out.push(r);
    }
    return out;
  }

  /** Live requests seen and recorded since recording began (recorded counts ones the ring since let go). */
  counts(): { seen: number; recorded: number } {
    return { seen: this.seen, recorded: this.kept };
  }

  /** Starts over with a recording someone kept (a restart): the newest `max` of them. */
  restore(requests: readonly RecordedRequest[]): void {
    for (const r of requests.slice(-this.spec.max)) {
      this.ring[this.next] = r;
      this.next = (this.next + 1) % this.spec.max;
    }
  }

  private redact(req: IncomingMessage): RecordedRequest {
    const headers: Record<string, string> = {};
    for (const name of this.keep) {
      const raw = req.headers[name];
      if (raw === undefined) continue;
      const value = Array.isArray(raw) ? raw.join(', ') : raw;
      const replaced = this.spec.replace.headers[name];
      const kept = replaced ?? (name === 'cookie' ? this.cookies(value) : value);
      if (kept !== '') headers[name] = kept;
    }
    return { at: this.now(), method: req.method ?? 'GET', path: this.query(req.url ?? '/'), headers };
  }

  private cookies(header: string): string {
    const out: string[] = [];
    for (const part of header.split(';')) {
      const eq = part.indexOf('=');
      const name = (eq < 0 ? part : part.slice(0, eq)).trim();
      if (name === '' || this.dropCookies.has(name)) continue;
      const replaced = this.spec.replace.cookies[name];
      out.push(replaced === undefined ? part.trim() : `${name}=${replaced}`);
    }
    return out.join('; ');
  }

  private query(url: string): string {
    const q = url.indexOf('?');
    if (q < 0) return url;
    const params = new URLSearchParams(url.slice(q + 1));
    const out = new URLSearchParams();
    for (const [key, value] of params) {
      if (this.dropQuery.has(key.toLowerCase())) continue;
      out.append(key, this.spec.replace.query[key] ?? value);
    }
    const text = out.toString();
    return text === '' ? url.slice(0, q) : `${url.slice(0, q)}?${text}`;
  }
}
