/**
 * What every gate signal type provides: a parser that turns its properties into a checked spec
 * (or problems naming the field), and a reader that takes one sample. A reader never throws for
 * the signal's own trouble (an unreachable URL, no data): that is a failing reading with the
 * reason, because a gate keeps sampling until its timeout.
 */
import type { ExecutorContext } from '../../engine/executor.js';
import { refersToSecret, type Problem } from '../properties.js';

/** A sampled value as kept in progress and events: JSON scalars only, strings bounded. */
export type ReadingValue = number | string | boolean | null;

export interface Reading {
  name: string;
  type: SignalType;
  pass: boolean;
  value: ReadingValue;
  /** Why, in words: what was read and what it was compared with. */
  detail: string;
}

export const SIGNAL_TYPES = ['http', 'prometheus', 'alarm', 'businessHours', 'stage'] as const;
export type SignalType = (typeof SIGNAL_TYPES)[number];

/** What a reader may use besides its spec. */
export interface SampleEnv {
  ctx: ExecutorContext;
  /** Aborts when the task is aborted or the read took longer than `timeoutMs`. */
  signal: AbortSignal;
  /** Per request (ms). */
  timeoutMs: number;
  /** The sample's time (UTC ms). */
  now: number;
}

export interface SignalModule<S> {
  /** Problems of `raw` (the object under the type's key); `field` is its field path for messages. */
  parse(raw: unknown, field: string): Parsed<S>;
  /** One sample; trouble with the signal itself is a failing reading, not a throw. */
  read(spec: S, env: SampleEnv): Promise<Omit<Reading, 'name' | 'type'>>;
}

export type Parsed<S> = { spec: S } | { problems: Problem[] };

/** A plain object (not null, not a list). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Problems for keys of `raw` outside `allowed`. */
export function unknownKeys(raw: Record<string, unknown>, allowed: readonly string[], field: string): Problem[] {
  return Object.keys(raw)
    .filter((k) => !allowed.includes(k))
    .map((k) => ({ field: `${field}.${k}`, message: `${field} has no field '${k}'; allowed: ${allowed.join(', ')}` }));
}

const MAX_TEXT = 300;

/** Text bounded for progress and events (which hold at most 64 KiB per task). */
export function bounded(text: string, max = MAX_TEXT): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

/** Any JSON value as a ReadingValue: scalars as they are, the rest as bounded JSON text. */
export function readingValue(value: unknown): ReadingValue {
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'string') return bounded(value, 200);
  if (value === undefined) return null;
  return bounded(JSON.stringify(value) ?? String(value), 200);
}

/** An http(s) URL, or a `${secret:NAME}` reference that is known only when the task runs. */
export function isHttpUrl(text: unknown): text is string {
  if (typeof text !== 'string') return false;
  if (refersToSecret(text)) return true;
  try {
    return ['http:', 'https:'].includes(new URL(text).protocol);
  } catch {
    return false;
  }
}
