/** A time on the command line: a duration back from now (`7d`, `12h`), UTC milliseconds, or an RFC 3339 time. */
import { SlipwayError } from '../../core/index.js';

export async function whenOf(value: string, now: number, option: string): Promise<number> {
  if (/^[\d.]+[a-zµμ]/.test(value)) {
    // Loaded only for a duration: other commands start without the spec module (fast start).
    const { parseDuration } = await import('../../spec/index.js');
    return now - parseDuration(value); // names the units when it is not one
  }
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (Number.isNaN(ms)) throw new SlipwayError('INVALID_INPUT', `${option} '${value}' is not a time; give a duration back from now (30d, 12h), an RFC 3339 time (2026-01-05T00:00:00Z) or UTC milliseconds`, { field: option });
  return ms;
}

/** `1h 5m`, `3d 4h`, `42s`: a duration for people. */
export function humanMs(ms: number | null): string {
  if (ms === null) return '-';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60 ? ` ${s % 60}s` : ''}`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${m % 60 ? ` ${m % 60}m` : ''}`;
  const d = Math.floor(h / 24);
  return `${d}d${h % 24 ? ` ${h % 24}h` : ''}`;
}
