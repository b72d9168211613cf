/**
 * How long to wait before restarting a crashed instance: `initialMs` doubled for each crash
 * in a row, up to `maxMs`. A crash after the instance stayed up for `resetAfterMs` counts as
 * the first again, so a rare crash is restarted quickly and a crash loop slows down.
 */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  resetAfterMs: number;
}

export const defaultBackoff: BackoffOptions = { initialMs: 500, maxMs: 30_000, resetAfterMs: 60_000 };

export function restartDelay(crashesInARow: number, opts: BackoffOptions): number {
  return Math.min(opts.maxMs, opts.initialMs * 2 ** Math.min(crashesInARow, 30));
}
