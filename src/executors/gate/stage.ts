/**
 * `stage` signal: another stage's state, e.g. "no run failed in dev in the last hour"
 * (`stage: {name: dev, noFailedRunsFor: 1h}`), read from the store's runs of that stage. A run
 * counts from when it failed (its finish time), so a run that started before the window but
 * failed inside it holds the gate.
 */
import { durationBoundsProblem, formatDurationMs, parseDurationMs } from '../duration.js';
import { describe } from '../properties.js';
import { isObject, unknownKeys, type Parsed, type SampleEnv, type SignalModule } from './signal.js';

const KEYS = ['name', 'noFailedRunsFor'] as const;
const STAGE_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** Failed runs read per sample: newest first, far more than a window holds in practice. */
const LOOK_BACK = 100;

export interface StageSpec {
  name: string;
  noFailedRunsForMs: number;
}

export function parseStage(raw: unknown, field: string): Parsed<StageSpec> {
  if (!isObject(raw)) return { problems: [{ field, message: `stage must be a mapping {name, noFailedRunsFor}, got ${describe(raw)}` }] };
  const problems = unknownKeys(raw, KEYS, field);
  if (typeof raw.name !== 'string' || !STAGE_NAME.test(raw.name)) {
    problems.push({ field: `${field}.name`, message: `name must be a stage of this pipeline (e.g. dev), got ${describe(raw.name)}` });
  }
  const ms = parseDurationMs(raw.noFailedRunsFor);
  if (raw.noFailedRunsFor === undefined) {
    problems.push({ field: `${field}.noFailedRunsFor`, message: 'noFailedRunsFor is required: how far back no run may have failed, e.g. 1h' });
  } else if (ms === undefined) {
    problems.push({ field: `${field}.noFailedRunsFor`, message: `noFailedRunsFor ${describe(raw.noFailedRunsFor)} is not a duration; use e.g. 30m, 1h, 2d` });
  } else {
    const bounds = durationBoundsProblem(ms, `noFailedRunsFor ${describe(raw.noFailedRunsFor)}`, 'a window');
    if (bounds) problems.push({ field: `${field}.noFailedRunsFor`, message: bounds });
  }
  if (problems.length > 0 || ms === undefined) return { problems };
  return { spec: { name: raw.name as string, noFailedRunsForMs: ms } };
}

async function readStage(s: StageSpec, env: SampleEnv) {
  const window = formatDurationMs(s.noFailedRunsForMs);
  if (!env.ctx.runs) return { pass: false, value: null, detail: `runs of stage '${s.name}' cannot be read here (no store is wired to this executor)` };
  const since = env.now - s.noFailedRunsForMs;
  let failed;
  try {
    failed = await env.ctx.runs({ project: env.ctx.run.project, stage: s.name, states: ['failed'], limit: LOOK_BACK });
  } catch (err) {
    return { pass: false, value: null, detail: `runs of stage '${s.name}' could not be read: ${err instanceof Error ? err.message : String(err)}` };
  }
  const inWindow = failed.filter((r) => (r.finishedAt ?? r.startedAt ?? r.queuedAt) >= since);
  if (inWindow.length === 0) return { pass: true, value: 0, detail: `no run failed in ${s.name} in the last ${window}` };
  const latest = inWindow.reduce((a, b) => ((b.finishedAt ?? 0) > (a.finishedAt ?? 0) ? b : a));
  const when = latest.finishedAt !== undefined ? ` at ${new Date(latest.finishedAt).toISOString()}` : '';
  const runs = inWindow.length === 1 ? '1 run' : `${inWindow.length} runs`;
  return { pass: false, value: inWindow.length, detail: `${runs} failed in ${s.name} in the last ${window}; the latest${when} (${latest.id}, release ${latest.releaseId})` };
}

export const stageSignal: SignalModule<StageSpec> = { parse: parseStage, read: readStage };
