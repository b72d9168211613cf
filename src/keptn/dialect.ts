/**
 * Slipway's events in Keptn's dialect (the Keptn CloudEvents spec, shkeptnspecversion 0.2.3 as
 * Keptn's own traces show). A pure mapping: one Slipway event and what it belongs to (its run,
 * its release's artifacts, what earlier tasks of the release returned) → the Keptn events
 * Keptn's control plane would have sent, one per service of the release (Keptn runs a
 * sequence per service; a Slipway release of several services is one run).
 *
 * | Slipway | Keptn |
 * | --- | --- |
 * | first `run.started` of a run | `sh.keptn.event.<stage>.<sequence>.triggered` |
 * | `run.finished` | `sh.keptn.event.<stage>.<sequence>.finished` (`triggeredid`: the sequence's `.triggered`) |
 * | `task.<t>.triggered` | `sh.keptn.event.<t>.triggered` |
 * | `task.<t>.started` / `.finished` | `sh.keptn.event.<t>.started` / `.finished` (`triggeredid`: the task's `.triggered`) |
 * | other events (queue, waits, approvals, freezes, skips) | none: Keptn has no such event |
 */
import type { Artifacts, Result, RunFinishedData, SlipwayEvent, TaskEventData } from '../core/index.js';
import { parseTaskEventType } from '../core/index.js';
import { keptnContextOf, keptnEventId, sequenceTriggeredId } from './ids.js';

export const KEPTN_SPEC_VERSION = '0.2.3';
export const KEPTN_PREFIX = 'sh.keptn.event.';
/** `source` of the events Slipway sends as Keptn's control plane. */
export const KEPTN_SOURCE = 'slipway';

/** Keys every Keptn event's data has in common; they are never carried from one task to the next. */
export const COMMON_KEYS: ReadonlySet<string> = new Set(['project', 'stage', 'service', 'labels', 'status', 'result', 'message']);

export type KeptnStatus = 'succeeded' | 'errored' | 'aborted';

export interface KeptnData {
  project: string;
  stage: string;
  service: string;
  labels?: Record<string, string>;
  status?: KeptnStatus;
  result?: Result;
  message?: string;
  [key: string]: unknown;
}

export interface KeptnEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  time: string;
  datacontenttype: 'application/json';
  shkeptncontext: string;
  shkeptnspecversion: string;
  triggeredid?: string;
  data: KeptnData;
}

/** What a Slipway event belongs to, as the mapping needs it. */
export interface KeptnRunContext {
  run: { id: string; project: string; stage: string; sequence: string; releaseId: string; services: readonly string[] };
  /** The release's artifacts by service: each service's `configurationChange.values.image`. */
  artifacts: Artifacts;
  /** Keptn's labels (Slipway: the release's provenance). */
  labels?: Readonly<Record<string, string>>;
  /** Per service: the Keptn-shaped data earlier finished tasks of the release returned, merged in log order. */
  carried?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Keptn's merge of event data: objects merge key by key, anything else replaces. */
export function mergeData(into: Obj, from: Readonly<Obj>): Obj {
  const out: Obj = { ...into };
  for (const [k, v] of Object.entries(from)) out[k] = isObj(v) && isObj(out[k]) ? mergeData(out[k], v) : v;
  return out;
}

/**
 * A finished task's output as Keptn data. Output whose values are all objects (what a Keptn
 * executor reports: `{deployment: {...}}`) is already Keptn-shaped; anything else (a built-in
 * executor's `{score, objectives}`) is put under the task's name, as Keptn's executors do.
 * A string `status` (succeeded|errored) is the Keptn status the executor reported.
 */
export function keptnOutput(task: string, output: Readonly<Obj> | undefined): { data: Obj; status?: KeptnStatus } {
  if (!output) return { data: {} };
  const { status, ...rest } = output;
  const known = status === 'succeeded' || status === 'errored' ? { status: status as KeptnStatus } : {};
  const body = Object.fromEntries(Object.entries(rest).filter(([k]) => !COMMON_KEYS.has(k)));
  if (Object.keys(body).length > 0 && Object.values(body).every(isObj)) return { data: body, ...known };
  // Nothing but Keptn's common keys (a service's own result and message): no task data.
  if (Object.keys(body).length === 0) return { data: {}, ...known };
  return { data: { [task]: rest }, ...known };
}

/** Keptn's status for a finished task: what the executor said, else `errored` only when it failed without a verdict task's reason. */
function taskStatus(result: Result | undefined, reported: KeptnStatus | undefined): KeptnStatus {
  if (reported) return reported;
  return result === 'fail' ? 'errored' : 'succeeded';
}

/** Maps one Slipway event to Keptn's events (none when Keptn has no such event). */
export function toKeptn(event: SlipwayEvent, ctx: KeptnRunContext, opts: { firstStart?: boolean; executor?: string } = {}): KeptnEvent[] {
  const { run } = ctx;
  const services = run.services.length > 0 ? run.services : Object.keys(ctx.artifacts);
  const each = (make: (service: string) => Omit<KeptnEvent, 'specversion' | 'datacontenttype' | 'shkeptncontext' | 'shkeptnspecversion' | 'time'>): KeptnEvent[] =>
    services.map((service) => {
      const e = make(service);
      return {
        specversion: '1.0',
        id: e.id,
        source: e.source,
        type: e.type,
        time: event.time,
        datacontenttype: 'application/json',
        shkeptncontext: keptnContextOf(run.project, run.releaseId),
        shkeptnspecversion: KEPTN_SPEC_VERSION,
        ...(e.triggeredid !== undefined ? { triggeredid: e.triggeredid } : {}),
        data: e.data,
      };
    });
  const base = (service: string): KeptnData => ({ project: run.project, stage: run.stage, service, labels: { ...(ctx.labels ?? {}) } });
  const change = (service: string): Obj => (ctx.artifacts[service] !== undefined ? { configurationChange: { values: { image: ctx.artifacts[service] } } } : {});
  const carried = (service: string): Obj => ({ ...(ctx.carried?.[service] ?? {}) });
  const seqType = (phase: string) => `${KEPTN_PREFIX}${run.stage}.${run.sequence}.${phase}`;

  if (event.type === 'sh.slipway.run.started') {
    if (opts.firstStart === false) return [];
    return each((service) => ({
      id: sequenceTriggeredId(run.id, service),
      source: KEPTN_SOURCE,
      type: seqType('triggered'),
      data: { ...base(service), ...mergeData(carried(service), change(service)) } as KeptnData,
    }));
  }
  if (event.type === 'sh.slipway.run.finished') {
    const d = event.data as unknown as RunFinishedData;
    const status: KeptnStatus = d.state === 'aborted' ? 'aborted' : d.state === 'failed' ? 'errored' : 'succeeded';
    return each((service) => ({
      id: keptnEventId(event.id, service),
      source: KEPTN_SOURCE,
      type: seqType('finished'),
      triggeredid: sequenceTriggeredId(run.id, service),
      data: { ...base(service), status, result: d.result ?? 'fail', message: d.reason ?? '' },
    }));
  }
  const parsed = parseTaskEventType(event.type);
  if (!parsed) return [];
  const d = event.data as unknown as TaskEventData;
  const type = `${KEPTN_PREFIX}${parsed.task}.${parsed.phase}`;
  if (parsed.phase === 'triggered') {
    return each((service) => {
      const props = d.properties ?? {};
      const fromProps: Obj = Object.keys(props).length > 0 || !(parsed.task in carried(service)) ? { [parsed.task]: { ...props } } : {};
      const data = mergeData(mergeData(carried(service), change(service)), fromProps);
      return { id: keptnEventId(event.id, service), source: KEPTN_SOURCE, type, data: { ...base(service), ...data } as KeptnData };
    });
  }
  const triggeredid = event.triggeredid;
  if (triggeredid === undefined) return [];
  if (parsed.phase === 'started') {
    return each((service) => ({
      id: keptnEventId(event.id, service),
      source: d.executor ?? KEPTN_SOURCE,
      type,
      triggeredid: keptnEventId(triggeredid, service),
      data: { ...base(service), status: 'succeeded' },
    }));
  }
  if (parsed.phase === 'finished') {
    return each((service) => {
      const own = isObj(d.output?.['services']) && isObj((d.output['services'] as Obj)[service]) ? ((d.output['services'] as Obj)[service] as Obj) : undefined;
      const perService = own ?? d.output;
      const out = keptnOutput(parsed.task, perService);
      // A release of several services keeps each service's own answer (executor-api.ts): its result and message.
      const result = own && (own['result'] === 'pass' || own['result'] === 'warning' || own['result'] === 'fail') ? own['result'] : (d.result ?? 'fail');
      const message = own && typeof own['message'] === 'string' ? own['message'] : (d.message ?? '');
      return {
        id: keptnEventId(event.id, service),
        source: d.executor ?? opts.executor ?? KEPTN_SOURCE,
        type,
        triggeredid: keptnEventId(triggeredid, service),
        data: { ...base(service), status: taskStatus(result, out.status), result, message, ...out.data } as KeptnData,
      };
    });
  }
  return [];
}
