/**
 * Where `slipway events --follow` starts: a log position to stream after, so the recent
 * backlog prints before live events. The API reads the log forwards only (`after` a seq),
 * so the position is found by bisection over `after` with `limit=1`: a few dozen small
 * requests even on a log of millions of events.
 */
import { SlipwayError } from '../core/index.js';
import { parseDuration } from '../spec/index.js';
import type { EventsPage } from './api-types.js';
import type { Client } from './client.js';

export interface EventQuery {
  project?: string | undefined;
  run?: string | undefined;
}

/** How many events `--follow` prints before streaming, when `--since` is not given. */
export const DEFAULT_BACKLOG = 20;

/**
 * The seq to stream after for `--since`: `now` (nothing old), a log position N (from
 * event N on), or a duration (`10m`: events of the last ten minutes). Without it, the
 * last DEFAULT_BACKLOG matching events. Undefined means "from now".
 */
export async function startOf(client: Client, q: EventQuery, since: string | undefined, now: number): Promise<number | undefined> {
  if (since === 'now') return undefined;
  if (since !== undefined && /^\d+$/.test(since)) return Math.max(0, Number(since) - 1);
  if (since !== undefined) return afterTime(client, q, now - durationOf(since));
  return beforeLast(client, q, DEFAULT_BACKLOG);
}

function durationOf(since: string): number {
  try {
    return parseDuration(since);
  } catch (e) {
    throw new SlipwayError('INVALID_INPUT', `--since takes a duration (10m, 2h), a log position (a seq) or 'now'; got '${since}'`, { field: 'since' }, { cause: e });
  }
}

async function firstAfter(client: Client, q: EventQuery, after: number): Promise<{ seq: number; time: number } | undefined> {
  const page = await client.request<EventsPage>('GET', '/api/v1/events', { query: { ...q, after, limit: 1 } });
  const e = page.events[0];
  return e ? { seq: e.seq, time: Date.parse(e.event.time ?? '') } : undefined;
}

/** Smallest x in [lo, hi] for which `ok(x)` holds; `ok` is monotone and holds at hi. */
async function bisect(lo: number, hi: number, ok: (x: number) => Promise<boolean>): Promise<number> {
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (await ok(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The newest seq in the whole log (0 when empty). */
async function lastSeq(client: Client): Promise<number> {
  let hi = 1;
  while ((await firstAfter(client, {}, hi)) !== undefined) hi *= 2;
  return bisect(0, hi, async (x) => (await firstAfter(client, {}, x)) === undefined);
}

/** The seq after which the log's events are those at or after `cutoff` (UTC ms). */
async function afterTime(client: Client, q: EventQuery, cutoff: number): Promise<number> {
  const last = await lastSeq(client);
  return bisect(0, last, async (x) => {
    const e = await firstAfter(client, q, x);
    return e === undefined || !(e.time < cutoff);
  });
}

/** The seq after which exactly the last `n` matching events lie (0 when there are fewer). */
async function beforeLast(client: Client, q: EventQuery, n: number): Promise<number> {
  const last = await lastSeq(client);
  for (let window = 64; ; window *= 4) {
    const from = Math.max(0, last - window);
    const seqs: number[] = [];
    for (let after = from; ; ) {
      const page = await client.request<EventsPage>('GET', '/api/v1/events', { query: { ...q, after, limit: 1000 } });
      seqs.push(...page.events.map((e) => e.seq));
      if (page.events.length < 1000) break;
      after = page.events.at(-1)!.seq;
    }
    if (seqs.length >= n || from === 0) return seqs.length > n ? seqs[seqs.length - n - 1]! : from;
  }
}
