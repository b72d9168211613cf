/** Small typed builders for store tests: each returns a complete, plausible domain object. */
import {
  DELIVERY,
  eventTypes,
  taskId,
  type ArtifactPass,
  type LiveEntry,
  type Release,
  type Run,
  type SequenceSpec,
  type SlipwayEvent,
  type StagePass,
  type TaskRun,
  type Timer,
} from '../../src/core/index.js';
import type { CommitBatch, OutboxRow, PipelineVersionRow } from '../../src/store/index.js';

let counter = 0;
const next = (prefix: string): string => `${prefix}-${++counter}`;

export const T0 = Date.UTC(2025, 0, 1);

export function emptyBatch(): CommitBatch {
  return {
    events: [],
    releases: [],
    runs: [],
    stagePasses: [],
    artifactPasses: [],
    live: [],
    outboxSettle: [],
    outboxPut: [],
    timersPut: [],
    timersDelete: [],
  };
}

export function batch(parts: Partial<CommitBatch>): CommitBatch {
  return { ...emptyBatch(), ...parts };
}

export function aRelease(over: Partial<Release> = {}): Release {
  return {
    id: next('rel'),
    project: 'shop',
    artifacts: { frontend: 'registry/frontend:1.4.2@sha256:abc', backend: 'registry/backend:2.0.0' },
    provenance: { commit: 'a1b2c3d', commitTime: T0 - 60_000, author: 'ada', source: 'cli' },
    createdAt: T0,
    ...over,
  };
}

export function aSequence(): SequenceSpec {
  return {
    name: DELIVERY,
    triggeredOn: [{ stage: 'dev', sequence: DELIVERY, results: ['pass', 'warning'] }],
    join: 'all',
    steps: [
      {
        tasks: [
          {
            name: 'deploy',
            kind: 'deploy',
            properties: { strategy: 'blue-green', replicas: 2 },
            retries: 1,
            delayMs: 0,
            if: { kind: 'success' },
            continueOnFailure: false,
            source: { file: 'slipway.yaml', line: 14, column: 7 },
          },
        ],
      },
      {
        tasks: [
          {
            name: 'approval',
            kind: 'approval',
            properties: {},
            timeoutMs: 3_600_000,
            retries: 0,
            delayMs: 0,
            if: { kind: 'result', task: 'deploy', results: ['pass'], negate: false },
            continueOnFailure: false,
          },
        ],
      },
    ],
  };
}

export function aTask(over: Partial<TaskRun> = {}): TaskRun {
  return { name: 'deploy', kind: 'deploy', step: 0, state: 'pending', attempt: 1, ...over };
}

/** A run with a finished deploy and an approval waiting on a person. */
export function aRun(over: Partial<Run> = {}): Run {
  return {
    id: next('run'),
    project: 'shop',
    stage: 'hardening',
    sequence: DELIVERY,
    releaseId: 'rel-x',
    services: ['frontend', 'backend'],
    state: 'waiting',
    result: 'pass',
    spec: aSequence(),
    pipelineVersion: 'pv-1',
    step: 1,
    tasks: [
      aTask({ state: 'finished', result: 'pass', data: { url: 'http://127.0.0.1:8080' }, triggeredAt: T0 + 1, startedAt: T0 + 2, finishedAt: T0 + 3 }),
      aTask({ name: 'approval', kind: 'approval', step: 1, state: 'waiting', triggeredAt: T0 + 4, waitingFor: 'approval' }),
    ],
    queuedAt: T0,
    startedAt: T0 + 1,
    queueSeq: ++counter,
    triggeredBy: 'cli:ada',
    ...over,
  };
}

export function anEvent(over: Partial<SlipwayEvent> = {}): SlipwayEvent {
  const runid = over.runid ?? 'run-x';
  return {
    specversion: '1.0',
    id: next('evt'),
    source: '/projects/shop/stages/hardening',
    type: eventTypes.task('deploy', 'finished'),
    time: new Date(T0 + counter).toISOString(),
    datacontenttype: 'application/json',
    project: 'shop',
    runid,
    taskid: taskId(runid, 'deploy', 1),
    data: { stage: 'hardening', result: 'pass', output: { nested: [1, 'two', { three: true }] } },
    ...over,
  };
}

export function aStagePass(over: Partial<StagePass> = {}): StagePass {
  return { stage: 'hardening', sequence: DELIVERY, releaseId: 'rel-x', runId: 'run-x', result: 'pass', at: T0, taskResults: { deploy: 'pass' }, ...over };
}

export function anArtifactPass(over: Partial<ArtifactPass> = {}): ArtifactPass {
  return { project: 'shop', service: 'frontend', artifact: 'registry/frontend:1.4.2', stage: 'dev', releaseId: 'rel-x', result: 'pass', at: T0, ...over };
}

export function aLiveEntry(over: Partial<LiveEntry> = {}): LiveEntry {
  return {
    project: 'shop',
    stage: 'production',
    service: 'frontend',
    releaseId: 'rel-x',
    artifact: 'registry/frontend:1.4.2',
    runId: 'run-x',
    state: 'succeeded',
    since: T0,
    lastGoodReleaseId: 'rel-w',
    lastGoodArtifact: 'registry/frontend:1.4.1',
    ...over,
  };
}

export function anOutboxRow(over: Partial<OutboxRow> & { taskId?: string } = {}): OutboxRow {
  const task = over.taskId ?? taskId('run-x', 'deploy', 1);
  return { id: `dispatch:${task}`, taskId: task, project: 'shop', kind: 'dispatch', payload: {}, createdAt: T0, ...over };
}

export function aResumeRow(task: string, n: number): OutboxRow {
  return anOutboxRow({ id: `resume:${task}:${n}`, taskId: task, kind: 'resume', payload: { signal: 'approve', payload: { note: 'ok' }, by: 'ada' } });
}

export function aTimer(over: Partial<Timer> = {}): Timer {
  const id = over.id ?? next('timer');
  return {
    id,
    project: 'shop',
    dueAt: T0 + 1000,
    input: { id: `input:${id}`, type: 'timer', timerId: id, purpose: 'task.timeout', taskId: taskId('run-x', 'deploy', 1) },
    ...over,
  };
}

export function aPipelineVersion(over: Partial<PipelineVersionRow> = {}): PipelineVersionRow {
  return { project: 'shop', version: next('pv'), source: 'stages:\n  - name: dev\n', origin: 'slipway.yaml', createdAt: T0, ...over };
}
