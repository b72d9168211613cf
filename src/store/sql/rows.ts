/**
 * Domain objects to rows and back. The body is the object itself as JSON, so reading
 * returns exactly what was written (fields that were undefined come back absent); the
 * other columns are copies for filtering and ordering.
 */
import type { Insertable } from 'kysely';
import type { ArtifactPass, LiveEntry, Release, Run, SlipwayEvent, StagePass, Timer } from '../../core/index.js';
import { SlipwayError } from '../../core/errors.js';
import { eventJson } from '../event-json.js';
import type { OutboxRow, PipelineVersionRow } from '../port.js';
import type { Database } from './schema.js';

type Row<T extends keyof Database> = Insertable<Database[T]>;

/** A value that cannot be serialized (nested too deep, a cycle, a BigInt) fails naming its row, before any write. */
function json<T>(value: T, what: () => string, encode: (v: T) => string = JSON.stringify): string {
  try {
    return encode(value);
  } catch (e) {
    throw new SlipwayError('INVALID_INPUT', `${what()} cannot be encoded as JSON: ${e instanceof Error ? e.message : String(e)}`, {}, { cause: e });
  }
}

export function decode<T>(body: string): T {
  return JSON.parse(body) as T;
}

export function eventRow(e: SlipwayEvent): Row<'events'> {
  const time = Date.parse(e.time);
  if (Number.isNaN(time)) {
    throw new SlipwayError('INVALID_INPUT', `event '${e.id}' has time '${e.time}', which is not an RFC 3339 timestamp; use new Date(ms).toISOString()`, { field: 'time', eventId: e.id });
  }
  return { id: e.id, project: e.project, type: e.type, run_id: e.runid ?? null, time_ms: time, body: json(e, () => `event '${e.id}'`, eventJson) };
}

export function releaseRow(r: Release): Row<'releases'> {
  return { id: r.id, project: r.project, created_at: r.createdAt, body: json(r, () => `release '${r.id}'`) };
}

export function runRow(r: Run): Row<'runs'> {
  return {
    id: r.id,
    project: r.project,
    stage: r.stage,
    sequence: r.sequence,
    release_id: r.releaseId,
    state: r.state,
    queue_seq: r.queueSeq,
    queued_at: r.queuedAt,
    finished_at: r.finishedAt ?? null,
    // The spec goes to run_specs once (runSpecRow); the row carries what changes.
    body: json({ ...r, spec: undefined }, () => `run '${r.id}'`),
  };
}

export function runSpecRow(r: Run): Row<'run_specs'> {
  return { run_id: r.id, body: json(r.spec, () => `the spec of run '${r.id}'`) };
}

/** Written once with the spec: which services the run's release holds, for the history by service. */
export function runServiceRows(r: Run): Row<'run_services'>[] {
  return [...new Set(r.services)].map((service) => ({ run_id: r.id, service, project: r.project, stage: r.stage, queue_seq: r.queueSeq }));
}

export function stagePassRow(p: StagePass): Row<'stage_passes'> {
  return { release_id: p.releaseId, stage: p.stage, sequence: p.sequence, at: p.at, body: json(p, () => `the pass of release '${p.releaseId}' in stage '${p.stage}'`) };
}

export function artifactPassRow(p: ArtifactPass): Row<'artifact_passes'> {
  return { project: p.project, service: p.service, artifact: p.artifact, stage: p.stage, at: p.at, body: json(p, () => `the pass of artifact '${p.artifact}' in stage '${p.stage}'`) };
}

export function liveRow(l: LiveEntry): Row<'live'> {
  return { project: l.project, stage: l.stage, service: l.service, body: json(l, () => `the live entry of ${l.project}/${l.stage}/${l.service}`) };
}

export function outboxRow(o: OutboxRow): Row<'outbox'> {
  return { id: o.id, task_id: o.taskId, created_at: o.createdAt, body: json(o, () => `outbox row '${o.id}'`) };
}

export function timerRow(t: Timer): Row<'timers'> {
  return { id: t.id, due_at: t.dueAt, body: json(t, () => `timer '${t.id}'`) };
}

export function pipelineVersionRow(p: PipelineVersionRow): Row<'pipeline_versions'> {
  return { project: p.project, version: p.version, created_at: p.createdAt, body: json(p, () => `version ${p.version} of pipeline '${p.project}'`) };
}
