/**
 * What a gate keeps between samples, in its task's `progress` (and so in each sample's
 * `.waiting` event): how many samples it took, since when every signal passes, when the next
 * sample is due, and the last sample's readings. A restart hands it back; nothing lives in memory.
 */
import type { Reading, ReadingValue, SignalType } from './signal.js';
import { SIGNAL_TYPES } from './signal.js';

export interface GateProgress {
  samples: number;
  /** When the current run of all-passing samples began (UTC ms); absent while one fails. */
  passingSince?: number;
  /** When the last sample was taken. */
  lastAt?: number;
  /** When the next sample is due. */
  nextAt?: number;
  last?: Reading[];
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function reading(v: unknown): Reading | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const r = v as Record<string, unknown>;
  if (typeof r.name !== 'string' || typeof r.pass !== 'boolean') return undefined;
  const value = r.value;
  const ok = value === null || ['number', 'string', 'boolean'].includes(typeof value);
  return {
    name: r.name,
    type: SIGNAL_TYPES.includes(r.type as SignalType) ? (r.type as SignalType) : 'http',
    pass: r.pass,
    value: ok ? (value as ReadingValue) : null,
    detail: typeof r.detail === 'string' ? r.detail : '',
  };
}

/** The progress a suspension kept, read defensively (it comes back from the store). */
export function readProgress(raw: Readonly<Record<string, unknown>> | undefined): GateProgress {
  if (!raw) return { samples: 0 };
  const samples = num(raw.samples);
  const passingSince = num(raw.passingSince);
  const lastAt = num(raw.lastAt);
  const nextAt = num(raw.nextAt);
  const last = Array.isArray(raw.last) ? raw.last.map(reading).filter((r): r is Reading => r !== undefined) : undefined;
  return {
    samples: samples !== undefined && samples >= 0 ? Math.floor(samples) : 0,
    ...(passingSince !== undefined ? { passingSince } : {}),
    ...(lastAt !== undefined ? { lastAt } : {}),
    ...(nextAt !== undefined ? { nextAt } : {}),
    ...(last ? { last } : {}),
  };
}

export function progressRecord(p: GateProgress): Record<string, unknown> {
  return { ...p };
}
