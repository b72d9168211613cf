/**
 * Where `slipway events --follow` starts: a log position to stream after, so the recent
 * backlog prints before live events. One read of the log finds it: the newest N matching
 * events (`last`), or the first one recorded since a time (`since`).
 */
import { SlipwayError } from '../core/index.js';
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
  if (since !== undefined) {
    const first = await read(client, { ...q, since: now - (await durationOf(since)), limit: 1 });
    return first === undefined ? undefined : first - 1;
  }
  const oldest = await read(client, { ...q, last: 'true', limit: DEFAULT_BACKLOG });
  return oldest === undefined ? 0 : oldest - 1;
}

/** The seq of the first event of the page the query answers (undefined: none). */
async function read(client: Client, query: Record<string, string | number | undefined>): Promise<number | undefined> {
  const page = await client.request<EventsPage>('GET', '/api/v1/events', { query });
  return page.events[0]?.seq;
}

async function durationOf(since: string): Promise<number> {
  // Loaded only for a duration: other commands start without the spec module (fast start).
  const { parseDuration } = await import('../spec/index.js');
  try {
    return parseDuration(since);
  } catch (e) {
    throw new SlipwayError('INVALID_INPUT', `--since takes a duration (10m, 2h), a log position (a seq) or 'now'; got '${since}'`, { field: 'since' }, { cause: e });
  }
}
