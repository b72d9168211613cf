/**
 * Domain objects to rows and back. The body is the object itself as JSON, so reading
 * returns exactly what was written (fields that were undefined come back absent); the
 * other columns are copies for filtering and ordering.
 */
import type { Insertable } from 'kysely';
import type { ArtifactPass, LiveEntry, Release, Run, SlipwayEvent, StagePass, Timer } from '../../core/index.js';
import { SlipwayError } from '../../core/errors.js';
import type { OutboxRow, PipelineVersionRow } from '../port.js';
import type { Database } from './schema.js';

type Row<T extends keyof Database> = Insertable<Database[T]>;

const json = (value: unknown): string => JSON.stringify(value);

export function decode<T>(body: string): T {
  return JSON.parse(body) as T;
}

export function eventRow(e: SlipwayEvent): Row<'events'> {
  const time = Date.parse(e.time);
  if (Number.isNaN(time)) {
    throw new SlipwayError('INVALID_INPUT', `event '${e.id}' has time '${e.time}', which is not an RFC 3339 timestamp; use new Date(ms).toISOString()`, { field: 'time', eventId: e.id });
  }
  return { id: e.id, project: e.project, type: e.type, run_id: e.runid ?? null, time_ms: time, body: json(e) };
}

export function releaseRow(r: Release): Row<'releases'> {
  return { id: r.id, project: r.project, created_at: r.createdAt, body: json(r) };
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
    body: json({ ...r, spec: undefined }),
  };
}

export function runSpecRow(r: Run): Row<'run_specs'> {
  return { run_id: r.id, body: json(r.spec) };
}

export function stagePassRow(p: StagePass): Row<'stage_passes'> {
  return { release_id: p.releaseId, stage: p.stage, sequence: p.sequence, at: p.at, body: json(p) };
}

export function artifactPassRow(p: ArtifactPass): Row<'artifact_passes'> {
  return { project: p.project, service: p.service, artifact: p.artifact, stage: p.stage, at: p.at, body: json(p) };
}

export function liveRow(l: LiveEntry): Row<'live'> {
  return { project: l.project, stage: l.stage, service: l.service, body: json(l) };
}

export function outboxRow(o: OutboxRow): Row<'outbox'> {
  return { id: o.id, task_id: o.taskId, created_at: o.createdAt, body: json(o) };
}

export function timerRow(t: Timer): Row<'timers'> {
  return { id: t.id, due_at: t.dueAt, body: json(t) };
}

export function pipelineVersionRow(p: PipelineVersionRow): Row<'pipeline_versions'> {
  return { project: p.project, version: p.version, created_at: p.createdAt, body: json(p) };
}
