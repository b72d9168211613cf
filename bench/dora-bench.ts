/**
 * `api.dora_p99_ms`: GET /api/v1/insights/dora on a project with 100,000 runs over a year,
 * through a real server (`startServer`), the window covering the whole history (every run
 * is read). The history is written straight into the store (store.commit, in batches), not
 * run through the engine, so seeding takes seconds: 5 stages, a release every ~27 minutes
 * passing each, every 10th one failing in production and rolled back (with its rollback
 * event). Beside it, in the same run and on the same file, the reference: better-sqlite3
 * reading the (stage, release, state, finished_at) columns of the same runs, the least any
 * computation over them costs.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { startServer } from '../src/api/index.js';
import { eventTypes, type Release, type Run, type SlipwayEvent } from '../src/core/index.js';
import { openSlipway } from '../src/main.js';
import { emptyCommit } from './dora-seed.js';
import { percentile, round } from './stats.js';

export const DORA_P99_TARGET_MS = 200;
export const DORA_RUNS = 100_000;
const STAGES = ['dev', 'test', 'staging', 'canary', 'production'] as const;
const STAGE_DELAY_MIN = [5, 10, 20, 40, 60];
const DAY = 86_400_000;

export interface DoraBenchResult {
  runs: number;
  releases: number;
  seedSeconds: number;
  requests: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Median ms of the raw column scan over the same runs. */
  referenceScanMs: number;
  /**
   * The first request: the figures computed from the store. Later requests with no commit in
   * between are answered from the figures kept for that log position (src/insights/cache.ts).
   */
  coldMs: number;
  /** The figures' deployments counts, so a reader sees the work was real. */
  deployments: number;
}

const yaml = `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: shop}
spec:
  services: [web]
  stages:
${STAGES.map((s) => `    - name: ${s}\n      tasks:\n        - {name: deploy, kind: noop}`).join('\n')}
`;

/** `runs`: the history's size (default DORA_RUNS; `--quick` seeds less, and its target line says how much). */
export async function runDoraBench(dataDir: string, opts: { requests: number; warmup?: number; runs?: number }, progress: (line: string) => void): Promise<DoraBenchResult> {
  // Releases R: 5 runs each, plus a rollback after every 10th (failed) one: 5R + R/10 = 100,000.
  const releases = Math.round((opts.runs ?? DORA_RUNS) / 5.1);
  const end = Date.UTC(2026, 0, 1);
  const start = end - 365 * DAY;
  const every = Math.floor((365 * DAY - 2 * 3_600_000) / releases);
  progress(`dora: seeding ${opts.runs ?? DORA_RUNS} runs (${releases} releases × ${STAGES.length} stages, every 10th failing in production and rolled back) …`);
  const t0 = performance.now();
  const slipway = await openSlipway({ dataDir });
  let runs = 0;
  try {
    await slipway.addPipelineText(yaml, 'bench:dora', dataDir);
    const p = slipway.engine.pipeline('shop')!;
    let batch = emptyCommit();
    let seq = 0;
    let previous: string | undefined;
    const run = (id: string, stage: number, releaseId: string, at: number, over: Partial<Run> = {}): Run => ({
      id,
      project: 'shop',
      stage: STAGES[stage]!,
      sequence: 'delivery',
      releaseId,
      services: ['web'],
      state: 'succeeded',
      result: 'pass',
      spec: p.stages[stage]!.sequences[0]!,
      pipelineVersion: p.version,
      step: 0,
      tasks: [{ name: 'deploy', kind: 'noop', step: 0, state: 'finished', attempt: 1, result: 'pass', triggeredAt: at - 2000, startedAt: at - 1500, finishedAt: at - 10 }],
      queuedAt: at - 3000,
      startedAt: at - 2500,
      finishedAt: at,
      queueSeq: ++seq,
      triggeredBy: 'token:ci',
      ...over,
    });
    for (let i = 0; i < releases; i++) {
      const commitTime = start + i * every;
      const id = `rel-${i.toString(36)}`;
      const release: Release = { id, project: 'shop', artifacts: { web: `registry/web:${i}` }, provenance: { commit: i.toString(16).padStart(8, '0'), commitTime, source: 'bench' }, createdAt: commitTime + 60_000 };
      batch.releases.push(release);
      const fails = i % 10 === 9;
      STAGES.forEach((_, s) => {
        const at = commitTime + STAGE_DELAY_MIN[s]! * 60_000;
        const failed = fails && s === STAGES.length - 1;
        batch.runs.push(run(`run-${i.toString(36)}-${s}`, s, id, at, failed ? { state: 'failed', result: 'fail', reason: 'deploy failed' } : {}));
      });
      if (fails && previous) {
        const at = commitTime + 65 * 60_000;
        batch.runs.push(run(`run-${i.toString(36)}-rb`, STAGES.length - 1, previous, at, { cause: 'rollback', triggeredBy: 'token:ops' }));
        batch.events.push(rollbackEvent(`ev-rb-${i}`, at - 30_000, id, previous));
      }
      if (!fails) previous = id;
      if (batch.runs.length >= 5000) {
        runs += batch.runs.length;
        await slipway.store.commit(batch);
        batch = emptyCommit();
      }
    }
    runs += batch.runs.length;
    await slipway.store.commit(batch);
  } finally {
    await slipway.close();
  }
  const seedSeconds = round((performance.now() - t0) / 1000, 1);
  progress(`  ${runs} runs in ${seedSeconds} s`);

  const token = randomBytes(32).toString('hex');
  const server = await startServer({ port: 0, host: '127.0.0.1', dataDir, files: [], openRead: false, adminToken: token, log: pino({ level: 'warn' }, pino.destination(2)) });
  const path = `/api/v1/insights/dora?project=shop&from=${start - DAY}&to=${end + DAY}`;
  const times: number[] = [];
  const warmup = opts.warmup ?? 3;
  let deployments = 0;
  let coldMs = Number.NaN;
  try {
    progress(`dora: GET ${path} × ${opts.requests} (after ${warmup} warm-up requests) …`);
    for (let i = 0; i < opts.requests + warmup; i++) {
      const s = performance.now();
      const res = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
      const body = (await res.json()) as { changeFailRate?: { deployments: number } };
      const ms = performance.now() - s;
      if (res.status !== 200) throw new Error(`dora: answered ${res.status}: ${JSON.stringify(body)}`);
      deployments = body.changeFailRate?.deployments ?? 0;
      if (i === 0) coldMs = ms;
      if (i >= warmup) times.push(ms);
    }
  } finally {
    await server.close();
  }
  const referenceScanMs = scanReference(join(dataDir, 'slipway.db'), start - DAY, end + DAY, Math.min(opts.requests, 20));
  const sorted = [...times].sort((a, b) => a - b);
  const result = { runs, releases, seedSeconds, requests: times.length, p50Ms: round(percentile(sorted, 50, true), 1), p99Ms: round(percentile(sorted, 99, true), 1), maxMs: round(sorted.at(-1)!, 1), referenceScanMs, coldMs: round(coldMs, 1), deployments };
  progress(`  p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms over ${deployments} production deployments (first, computed: ${result.coldMs} ms); raw column scan ${referenceScanMs} ms`);
  return result;
}

function rollbackEvent(id: string, at: number, failed: string, to: string): SlipwayEvent {
  return {
    specversion: '1.0',
    id,
    source: '/projects/shop/stages/production',
    type: eventTypes.releaseRollback,
    time: new Date(at).toISOString(),
    datacontenttype: 'application/json',
    project: 'shop',
    data: { stage: 'production', from: { web: failed }, releaseId: to, reason: 'deploy failed', by: 'token:ops' },
  };
}

/** Median ms of reading the runs' columns the figures rest on, directly with better-sqlite3. */
function scanReference(file: string, from: number, to: number, times: number): number {
  const db = new Database(file, { readonly: true });
  try {
    const st = db.prepare('select stage, release_id, state, finished_at from runs where project = ? and finished_at >= ? and finished_at < ?');
    const ms: number[] = [];
    for (let i = 0; i < times + 1; i++) {
      const s = performance.now();
      st.all('shop', from, to);
      if (i > 0) ms.push(performance.now() - s);
    }
    return round(percentile(ms, 50), 1);
  } finally {
    db.close();
  }
}
