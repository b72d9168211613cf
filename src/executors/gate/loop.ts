/**
 * The gate's sampling rule, Azure Pipelines' release gates: the first sample comes `delay` after
 * the gate starts, then one every `interval`. Every signal must pass in the SAME sample; from the
 * first such sample they must keep passing for `steady` (any failing sample resets that); the gate
 * fails at `timeout` (counted from its start) naming what failed last. Pure: the time, the
 * progress and the readings in, the next outcome out, so tests drive it with any clock.
 */
import { formatDurationMs } from '../duration.js';
import type { GateProgress } from './progress.js';
import type { Reading } from './signal.js';
import type { GateSpec } from './spec.js';

export type Step =
  | { kind: 'wait'; until: number; progress: GateProgress; message: string }
  | { kind: 'pass' | 'fail'; progress: GateProgress; message: string };

/** Messages are shown by `slipway watch` on one line: keep them short. */
const MESSAGE_LIMIT = 600;

function dur(ms: number): string {
  return ms <= 0 ? '0s' : formatDurationMs(ms);
}

function time(ms: number): string {
  return new Date(ms).toISOString();
}

function cut(text: string): string {
  return text.length > MESSAGE_LIMIT ? `${text.slice(0, MESSAGE_LIMIT - 3)}...` : text;
}

export function failingText(readings: readonly Reading[]): string {
  return readings
    .filter((r) => !r.pass)
    .map((r) => `${r.name}: ${r.detail}`)
    .join('; ');
}

function of(passing: number, n: number): string {
  return `${passing} of ${n} signal${n === 1 ? '' : 's'}`;
}

function counted(readings: readonly Reading[]): string {
  return `${of(readings.filter((r) => r.pass).length, readings.length)} passing`;
}

/** When the first sample is due. */
export function firstSampleAt(spec: GateSpec, startedAt: number): number {
  return startedAt + spec.delayMs;
}

/** Before the first sample (during `delay`), or after a timer that fired early. */
export function waitStep(gate: string, spec: GateSpec, startedAt: number, progress: GateProgress): Step {
  const until = progress.nextAt ?? firstSampleAt(spec, startedAt);
  const message =
    progress.samples === 0
      ? `gate ${gate}: first of its samples at ${time(until)}${spec.delayMs > 0 ? ` (after a delay of ${dur(spec.delayMs)})` : ''}`
      : summary(gate, spec, progress, until);
  return { kind: 'wait', until, progress: { ...progress, nextAt: until }, message: cut(message) };
}

function summary(gate: string, spec: GateSpec, p: GateProgress, nextAt: number): string {
  const readings = p.last ?? [];
  const state =
    p.passingSince !== undefined
      ? `steady for ${dur((p.lastAt ?? p.passingSince) - p.passingSince)} of ${dur(spec.steadyMs)}`
      : `failing: ${failingText(readings)}`;
  return `gate ${gate}: ${counted(readings)}; ${state}; sample ${p.samples}, next at ${time(nextAt)}`;
}

/** What follows a sample taken at `at` with these readings. */
export function afterSample(gate: string, spec: GateSpec, startedAt: number, before: GateProgress, readings: Reading[], at: number): Step {
  const allPass = readings.every((r) => r.pass);
  const samples = before.samples + 1;
  const passingSince = allPass ? (before.passingSince ?? at) : undefined;
  const progress: GateProgress = { samples, ...(passingSince !== undefined ? { passingSince } : {}), lastAt: at, last: readings };
  const n = readings.length;
  if (passingSince !== undefined && at - passingSince >= spec.steadyMs) {
    const held = spec.steadyMs > 0 ? `${of(n, n)} held for ${dur(at - passingSince)}` : `${of(n, n)} passing`;
    return { kind: 'pass', progress, message: cut(`gate ${gate} passed: ${held} (sample ${samples})`) };
  }
  const failAt = startedAt + spec.timeoutMs;
  if (at >= failAt) {
    const why =
      passingSince !== undefined
        ? `${of(n, n)} pass but have held only ${dur(at - passingSince)} of the ${dur(spec.steadyMs)} steady period`
        : `${counted(readings)}; failing at the last sample: ${failingText(readings)}`;
    return { kind: 'fail', progress, message: cut(`gate ${gate} failed: timed out after ${dur(spec.timeoutMs)} (sample ${samples}): ${why}`) };
  }
  let next = at + spec.intervalMs;
  // Steadiness is confirmed by a sample when it completes, not up to an interval later.
  if (passingSince !== undefined) next = Math.min(next, passingSince + spec.steadyMs);
  // A last sample at the timeout itself: the gate gets every chance its timeout allows.
  next = Math.min(next, failAt);
  const waiting = { ...progress, nextAt: next };
  return { kind: 'wait', until: next, progress: waiting, message: cut(summary(gate, spec, waiting, next)) };
}
