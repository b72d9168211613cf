/**
 * The API scenario: a real server (`startServer`, as `slipway server` runs it) on
 * 127.0.0.1, a SQLite file in a temp dir, driven over HTTP by a load generator in a worker
 * thread.
 *
 * Seeding drives the engine in-process (`openSlipway`) before the server starts: P projects
 * of S stages (`after:` the previous one, auto promotion, one `noop` task each) and V services.
 * Either one release per service (P × V releases, P × V × S runs), or one release per project
 * carrying all V services (a bracket: P releases, P × S runs). Either way every release passes
 * every stage, so the live table holds P × S × V rows written by the engine. The seeding
 * Slipway is then closed and the server opens the same directory, reloading the saved
 * pipelines the way a restart does.
 *
 * Then `GET /api/v1/projects/{p}/status` round-robin over the projects at each concurrency
 * of the plan, and `POST /api/v1/projects/{p}/releases` with a new release of one service
 * per request (into the first stage), counting 201 answers per second; then both at once
 * (for information; full only); then it waits until every triggered release has passed every stage.
 */
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { startServer, type RunningServer } from '../src/api/index.js';
import { openSlipway } from '../src/main.js';
import { runLoad, type LoadRequest, type LoadResult } from './http-load.js';
import { percentile, round } from './stats.js';
import { runUnderLoad, type UnderLoadPlan, type UnderLoadResult } from './under-load.js';

export const STAGES = ['dev', 'test', 'staging', 'canary', 'production'] as const;

export interface ApiPlan {
  projects: number;
  services: number;
  /** `per-service`: one release per service; `bracket`: one release per project with all its services. */
  seed: 'per-service' | 'bracket';
  /** Warm-up status requests (discarded), then `statusRequests` at each concurrency. */
  statusWarmup: number;
  statusRequests: number;
  statusConcurrency: number[];
  /** The concurrency the `api.status_*` figures come from; one of statusConcurrency. */
  statusHeadline: number;
  triggerWarmup: number;
  triggerRequests: number;
  triggerConcurrency: number;
  /**
   * Triggers sent while status requests (at statusHeadline) go on, for information; 0 leaves
   * the phase out (quick: `api.status_p99_ms_under_load` measures status beside triggers).
   */
  mixedTriggerRequests: number;
  /** How long to wait for the triggered releases to pass every stage. */
  drainTimeoutMs: number;
  /** Status latency with SSE readers and paced triggers (bench/under-load.ts), after the drain. */
  underLoad: UnderLoadPlan;
}

export interface LatencyStats {
  concurrency: number;
  requests: number;
  seconds: number;
  perS: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Answers by HTTP status. */
  statuses: Record<string, number>;
  errors: string[];
}

export interface ApiResult {
  projects: number;
  stages: number;
  services: number;
  seed: {
    mode: ApiPlan['seed'];
    releases: number;
    runs: number;
    runsSucceeded: number;
    seconds: number;
    liveRows: number;
  };
  /** From calling startServer on the seeded directory until it listens. */
  serverStartMs: number;
  /** Bytes of one status answer (a project's S × V matrix). */
  statusBytes: number;
  status: LatencyStats[];
  statusHeadline: LatencyStats;
  /** Status latency while triggers are sent at the same time (no target): what a dashboard sees while CI triggers. */
  /** Absent when the plan leaves the phase out (mixedTriggerRequests 0). */
  mixed?: { status: LatencyStats; trigger: LatencyStats & { created: number } };
  trigger: LatencyStats & {
    created: number;
    /** Answers other than 201 in every trigger phase, warm-up and mixed included (the figure must be 0). */
    non201: number;
    /** From the last trigger answer until no run is open (the triggered releases passed every stage); null: not within the timeout. */
    drainSeconds: number | null;
    /** Runs that failed or were aborted, counted after the drain. */
    runsFailed: number;
  };
  underLoad: UnderLoadResult;
}

const projectName = (i: number): string => `proj-${String(i).padStart(2, '0')}`;
const serviceName = (i: number): string => `svc-${String(i).padStart(2, '0')}`;
const artifact = (project: string, service: string, version: string): string => `registry.example/${project}/${service}:${version}`;

export function projectYaml(name: string, services: number): string {
  const lines = [
    'apiVersion: slipway/v1',
    'kind: Pipeline',
    `metadata: {name: ${name}}`,
    'spec:',
    `  services: [${Array.from({ length: services }, (_, i) => serviceName(i)).join(', ')}]`,
    '  stages:',
  ];
  STAGES.forEach((stage, i) => {
    lines.push(`    - name: ${stage}`);
    if (i > 0) lines.push(`      after: [${STAGES[i - 1]}]`);
    lines.push('      tasks:', '        - {name: deploy, kind: noop}');
  });
  return `${lines.join('\n')}\n`;
}

function stats(concurrency: number, r: LoadResult): LatencyStats {
  const sorted = [...r.latenciesMs].sort((a, b) => a - b);
  return {
    concurrency,
    requests: sorted.length,
    seconds: round(r.seconds, 3),
    perS: round(sorted.length / r.seconds, 0),
    p50Ms: round(percentile(sorted, 50, true), 3),
    p90Ms: round(percentile(sorted, 90, true), 3),
    p99Ms: round(percentile(sorted, 99, true), 3),
    maxMs: round(sorted.at(-1) ?? Number.NaN, 3),
    statuses: r.statuses,
    errors: r.errors,
  };
}

async function seed(dataDir: string, plan: ApiPlan, timeoutMs: number): Promise<ApiResult['seed']> {
  const slipway = await openSlipway({ dataDir });
  const { engine } = slipway;
  try {
    for (let p = 0; p < plan.projects; p++) {
      const name = projectName(p);
      await slipway.addPipelineText(projectYaml(name, plan.services), `bench:${name}`, dataDir);
    }
    const releases: { project: string; artifacts: Record<string, string> }[] = [];
    for (let p = 0; p < plan.projects; p++) {
      const project = projectName(p);
      const all = Array.from({ length: plan.services }, (_, v) => serviceName(v));
      if (plan.seed === 'bracket') releases.push({ project, artifacts: Object.fromEntries(all.map((s) => [s, artifact(project, s, '1.0.0')])) });
      else for (const s of all) releases.push({ project, artifacts: { [s]: artifact(project, s, '1.0.0') } });
    }
    const runs = releases.length * STAGES.length;
    let finished = 0;
    let succeeded = 0;
    const allDone = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`seeding: only ${finished} of ${runs} runs finished within ${timeoutMs} ms`)), timeoutMs);
      engine.emitter.on('store:error', (e) => reject(e));
      engine.emitter.on('run:finished', (run) => {
        finished++;
        if (run.state === 'succeeded') succeeded++;
        if (finished === runs) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const start = performance.now();
    await Promise.all([
      ...releases.map((r, i) => engine.apply({ type: 'trigger', id: `seed-${i}`, project: r.project, artifacts: r.artifacts, provenance: { source: 'bench' } })),
      allDone,
    ]);
    const seconds = (performance.now() - start) / 1000;
    const liveRows = (await slipway.store.live()).filter((l) => l.state === 'succeeded' && l.lastGoodReleaseId !== undefined).length;
    return { mode: plan.seed, releases: releases.length, runs, runsSucceeded: succeeded, seconds: round(seconds, 3), liveRows };
  } finally {
    await slipway.close();
  }
}

/** One status answer, read here to check its shape: every stage × service cell filled. */
async function checkStatus(server: RunningServer, token: string, project: string, plan: ApiPlan): Promise<number> {
  const res = await fetch(`${server.url}/api/v1/projects/${project}/status`, { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET status of ${project}: ${res.status} ${text.slice(0, 300)}`);
  const body = JSON.parse(text) as { stages: { name: string; services: { release: string | null; state: string | null }[] }[] };
  const cells = body.stages.flatMap((s) => s.services);
  const filled = cells.filter((c) => c.release !== null && c.state === 'succeeded').length;
  if (body.stages.length !== STAGES.length || cells.length !== STAGES.length * plan.services || filled !== cells.length) {
    throw new Error(`GET status of ${project}: expected ${STAGES.length} × ${plan.services} succeeded cells, got ${body.stages.length} stages, ${cells.length} cells, ${filled} filled`);
  }
  return Buffer.byteLength(text);
}

/** Waits until no run is queued, running, waiting or paused; the seconds it took, or null on timeout. */
async function drain(server: RunningServer, token: string, timeoutMs: number): Promise<number | null> {
  const start = performance.now();
  const open = `${server.url}/api/v1/runs?state=queued&state=running&state=waiting&state=paused&limit=1`;
  while (performance.now() - start < timeoutMs) {
    const res = await fetch(open, { headers: { authorization: `Bearer ${token}` } });
    const body = (await res.json()) as { runs: unknown[] };
    if (res.status !== 200) throw new Error(`GET runs: ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
    if (body.runs.length === 0) return (performance.now() - start) / 1000;
    await new Promise((r) => setTimeout(r, 100));
  }
  return null;
}

async function failedRuns(server: RunningServer, token: string): Promise<number> {
  const res = await fetch(`${server.url}/api/v1/runs?state=failed&state=aborted&limit=500`, { headers: { authorization: `Bearer ${token}` } });
  const body = (await res.json()) as { runs: unknown[] };
  return body.runs.length;
}

export async function runApiScenario(dataDir: string, plan: ApiPlan, progress: (line: string) => void): Promise<ApiResult> {
  progress(`api: seeding ${plan.projects} projects × ${STAGES.length} stages × ${plan.services} services (${plan.seed === 'bracket' ? 'one release per project, all services' : 'one release per service'}) …`);
  const seeded = await seed(dataDir, plan, 600_000);
  progress(`  ${seeded.releases} releases, ${seeded.runs} runs in ${seeded.seconds} s; ${seeded.liveRows} live rows`);
  const expected = plan.projects * STAGES.length * plan.services;
  if (seeded.runsSucceeded !== seeded.runs) throw new Error(`seeding: only ${seeded.runsSucceeded} of ${seeded.runs} runs succeeded`);
  if (seeded.liveRows !== expected) throw new Error(`seeding: ${seeded.liveRows} succeeded live rows, expected ${expected}`);

  const token = randomBytes(32).toString('hex');
  const t0 = performance.now();
  const server = await startServer({
    port: 0,
    host: '127.0.0.1',
    dataDir,
    files: [],
    openRead: false,
    adminToken: token,
    log: pino({ level: 'warn' }, pino.destination(2)),
  });
  const serverStartMs = round(performance.now() - t0, 1);
  try {
    const origin = server.url;
    const projects = Array.from({ length: plan.projects }, (_, i) => projectName(i));
    const statusBytes = await checkStatus(server, token, projects[0]!, plan);
    progress(`  server on ${origin} (started in ${serverStartMs} ms); a status answer is ${statusBytes} bytes`);

    const statusList = (n: number, offset: number): LoadRequest[] =>
      Array.from({ length: n }, (_, i) => ({ method: 'GET' as const, path: `/api/v1/projects/${projects[(i + offset) % projects.length]!}/status` }));
    const warm = await runLoad({ origin, token, concurrency: plan.statusHeadline, expect: 200, requests: statusList(plan.statusWarmup, 0) });
    if (warm.statuses['200'] !== plan.statusWarmup) throw new Error(`status warm-up: answers ${JSON.stringify(warm.statuses)}: ${warm.errors.join('; ')}`);
    const status: LatencyStats[] = [];
    for (const c of plan.statusConcurrency) {
      progress(`api: GET status × ${plan.statusRequests} at concurrency ${c} …`);
      const s = stats(c, await runLoad({ origin, token, concurrency: c, expect: 200, requests: statusList(plan.statusRequests, c) }));
      progress(`  p50 ${s.p50Ms} ms, p99 ${s.p99Ms} ms, max ${s.maxMs} ms, ${s.perS} req/s`);
      // A latency of failed requests means nothing: the figure is refused rather than reported.
      if (s.statuses['200'] !== s.requests) throw new Error(`GET status: answers ${JSON.stringify(s.statuses)}: ${s.errors.join('; ')}`);
      status.push(s);
    }
    const statusHeadline = status.find((s) => s.concurrency === plan.statusHeadline)!;

    // Each trigger is a new release (a version never used) of one service, into the first stage.
    let version = 0;
    const triggerList = (n: number): LoadRequest[] =>
      Array.from({ length: n }, () => {
        const i = version++;
        const project = projects[i % projects.length]!;
        const service = serviceName(Math.floor(i / projects.length) % plan.services);
        return { method: 'POST' as const, path: `/api/v1/projects/${project}/releases`, body: { artifacts: { [service]: artifact(project, service, `2.0.${i}`) } } };
      });
    progress(`api: POST releases × ${plan.triggerWarmup} (warm-up) + ${plan.triggerRequests} at concurrency ${plan.triggerConcurrency} …`);
    const warmT = await runLoad({ origin, token, concurrency: plan.triggerConcurrency, expect: 201, requests: triggerList(plan.triggerWarmup) });
    const t = stats(plan.triggerConcurrency, await runLoad({ origin, token, concurrency: plan.triggerConcurrency, expect: 201, requests: triggerList(plan.triggerRequests) }));
    const created = t.statuses['201'] ?? 0;
    const perS = round(created / t.seconds, 0);
    progress(`  ${perS} created/s, p50 ${t.p50Ms} ms, p99 ${t.p99Ms} ms; answers ${JSON.stringify(t.statuses)}`);

    async function mixedPhase(): Promise<NonNullable<ApiResult['mixed']>> {
      progress(`api: GET status at concurrency ${plan.statusHeadline} while POSTing ${plan.mixedTriggerRequests} releases at concurrency ${plan.triggerConcurrency} …`);
      // The status load goes on for exactly as long as the triggers, so every status request meets them.
      const triggering = runLoad({ origin, token, concurrency: plan.triggerConcurrency, expect: 201, requests: triggerList(plan.mixedTriggerRequests) });
      const [ms, mt] = await Promise.all([
        runLoad({ origin, token, concurrency: plan.statusHeadline, expect: 200, requests: statusList(projects.length, 0), untilStopped: true }, triggering),
        triggering,
      ]);
      const mixedStatus = stats(plan.statusHeadline, ms);
      const mixedTrigger = stats(plan.triggerConcurrency, mt);
      const mixedCreated = mixedTrigger.statuses['201'] ?? 0;
      progress(`  status p50 ${mixedStatus.p50Ms} ms, p99 ${mixedStatus.p99Ms} ms; ${round(mixedCreated / mixedTrigger.seconds, 0)} created/s`);
      if (mixedStatus.statuses['200'] !== mixedStatus.requests) throw new Error(`GET status under triggers: answers ${JSON.stringify(mixedStatus.statuses)}: ${mixedStatus.errors.join('; ')}`);
      return { status: mixedStatus, trigger: { ...mixedTrigger, perS: round(mixedCreated / mixedTrigger.seconds, 0), created: mixedCreated } };
    }
    const mixed = plan.mixedTriggerRequests > 0 ? await mixedPhase() : undefined;
    const non201 = plan.triggerWarmup - (warmT.statuses['201'] ?? 0) + (t.requests - created) + (mixed ? mixed.trigger.requests - mixed.trigger.created : 0);
    const errors = [...warmT.errors, ...t.errors, ...(mixed?.trigger.errors ?? [])].slice(0, 5);
    if (non201 > 0) progress(`  ${non201} triggers were not answered 201: ${errors.join('; ')}`);
    const drainSeconds = await drain(server, token, plan.drainTimeoutMs);
    const runsFailed = await failedRuns(server, token);
    progress(`  ${drainSeconds === null ? `runs still open ${plan.drainTimeoutMs} ms after the last trigger` : `no run open ${round(drainSeconds, 2)} s after the last trigger`}; ${runsFailed} runs failed or aborted`);
    const underLoad = await runUnderLoad({ origin, token, projects, trigger: () => triggerList(1)[0]! }, plan.underLoad, progress);
    return {
      projects: plan.projects,
      stages: STAGES.length,
      services: plan.services,
      seed: seeded,
      serverStartMs,
      statusBytes,
      status,
      statusHeadline,
      mixed,
      trigger: {
        ...t,
        errors,
        perS,
        created,
        non201,
        drainSeconds: drainSeconds === null ? null : round(drainSeconds, 2),
        runsFailed,
      },
      underLoad,
    };
  } finally {
    await server.close();
  }
}
