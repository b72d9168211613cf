/**
 * Delivering one queue row: resolve the sink's secret references (only now, and only into
 * this request), format, POST with a timeout, and record the outcome on the row. A failure
 * that may pass (5xx, 408, 429, timeout, refused, a secret not set yet) is tried again after
 * an exponential backoff capped at `maxDelayMs`, until `attempts`; one that will not pass
 * (another 4xx, a sink removed from slipway.yaml) gives up at once. Given-up rows stay as
 * `dead`, with their last error, for `notifications status`.
 */
import type { NotificationSinkSpec } from '../core/index.js';
import type { SecretResolver } from '../engine/index.js';
import type { NotificationRow } from '../store/index.js';
import { slackBody, webhookBody } from './format.js';
import type { Notice } from './notice.js';
import { DELIVERY_HEADER, send, webhookHeaders, type SendOutcome } from './send.js';

export interface NotifyOptions {
  /** Tries per notice before it is given up (default 10). */
  attempts: number;
  /** Delay after the first failure; doubles each time (default 2 s). */
  baseDelayMs: number;
  /** Longest delay between tries (default 5 min). */
  maxDelayMs: number;
  /** Time one POST may take (default 10 s). */
  timeoutMs: number;
  /** Sinks delivered to at once (default 4); each sink gets one request at a time, in order. */
  concurrency: number;
}

export const DEFAULT_NOTIFY: NotifyOptions = { attempts: 10, baseDelayMs: 2_000, maxDelayMs: 300_000, timeoutMs: 10_000, concurrency: 4 };

export interface SendDeps {
  secrets: SecretResolver;
  options: NotifyOptions;
  publicUrl: () => string | undefined;
  now: () => number;
  signal: AbortSignal;
}

/** One POST of `n` to `sink` under delivery id `deliveryId`. */
export async function sendNotice(deps: SendDeps, sink: NotificationSinkSpec, n: Notice, deliveryId: string): Promise<SendOutcome> {
  let target: { url: string; secret?: string };
  try {
    const props = { url: sink.url, ...(sink.secret !== undefined ? { secret: sink.secret } : {}) };
    target = deps.secrets.resolve(props, { id: deliveryId, name: sink.name, kind: 'notification sink' }) as { url: string; secret?: string };
  } catch (e) {
    // The resolver speaks of tasks; this is a sink.
    return { ok: false, retryable: true, reason: (e as Error).message.replace("notification sink task '", "notification sink '") };
  }
  if (sink.kind === 'slack') return send(target.url, slackBody(n, deps.publicUrl()), { [DELIVERY_HEADER]: deliveryId }, deps.options.timeoutMs, deps.signal);
  const body = webhookBody(n, deliveryId, deps.publicUrl());
  return send(target.url, body, webhookHeaders(target.secret ?? '', body, deliveryId, deps.now()), deps.options.timeoutMs, deps.signal);
}

/** The row after one try that ended with `out` at `now`. */
export function settle(row: NotificationRow, out: SendOutcome, now: number, o: NotifyOptions): NotificationRow {
  const attempts = row.attempts + 1;
  if (out.ok) {
    const { firstFailedAt: _f, ...rest } = row;
    return { ...rest, state: 'delivered', attempts, lastAttemptAt: now, deliveredAt: now, nextAt: now };
  }
  const failed = { ...row, attempts, lastAttemptAt: now, lastError: out.reason, firstFailedAt: row.firstFailedAt ?? now };
  if (!out.retryable || attempts >= o.attempts) return { ...failed, state: 'dead', nextAt: now };
  return { ...failed, nextAt: now + Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** (attempts - 1)) };
}

/** A row whose sink is gone from the pipeline: nothing can deliver it. */
export function orphaned(row: NotificationRow, now: number): NotificationRow {
  return { ...row, state: 'dead', nextAt: now, lastError: `sink '${row.sink}' is no longer in project ${row.project}'s slipway.yaml` };
}
