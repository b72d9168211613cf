/** Times and ids as people read them. Times inside are UTC ms; shown in the browser's zone. */

/** How long ago, from the time of rendering (a page re-renders on a timer so this moves on). */
export function ago(ms: number | null): string {
  if (ms === null) return '';
  const s = Math.round((Date.now() - ms) / 1000);
  if (s < 5) return 'just now';
  return `${duration(s * 1000)} ago`;
}

export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

export function time(ms: number | null): string {
  if (ms === null) return '—';
  return new Date(ms).toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** `rel-3f9a…` ids shortened for cells; the full id stays in the title. */
export function short(id: string | null, n = 12): string {
  if (id === null) return '—';
  return id.length > n ? `${id.slice(0, n)}…` : id;
}

/** The CSS class for a run or task state / result. */
export function tone(state: string | null, result?: string | null): string {
  if (result === 'fail' || state === 'failed') return 'bad';
  if (state === 'aborted') return 'muted';
  if (result === 'warning') return 'warn';
  if (state === 'succeeded' || result === 'pass') return 'good';
  if (state === 'waiting' || state === 'paused') return 'wait';
  if (state === 'running' || state === 'started' || state === 'triggered' || state === 'queued') return 'busy';
  return 'none';
}
