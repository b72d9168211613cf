/**
 * The load of the replicas part (replicas3-bench.ts): `concurrency` clients create releases of
 * one service each (`POST /api/v1/projects/{p}/releases`), request i to replica i mod R,
 * project i mod P, service ⌊i / P⌋ mod S, so every replica, project and service gets its share.
 * Closed loop: a client sends only while fewer than `unfinished` created releases have not
 * finished their last stage (read from the runs table every 50 ms), so the engine always has
 * work and its queues stay the same size whatever its speed. After `warmupS`, the stage runs
 * that finish within `measureS` are counted from the runs table (finished_at, the engine's
 * clock on the same machine), and the events committed in that window from the event log.
 */
import type pg from 'pg';
import { Agent, request } from 'undici';
import { busyCores, sampleMachine, sampleProc, type MachineSample, type ProcSample } from './proc-sample.js';
import { percentile, round } from './stats.js';

export interface LoadPlan {
  replicas: readonly string[];
  stages: readonly string[];
  token: string;
  projects: number;
  services: number;
  concurrency: number;
  unfinished: number;
  warmupS: number;
  measureS: number;
  /** The replicas' process ids: their CPU over the window is read from /proc. */
  pids?: readonly number[];
}

export interface LoadResult {
  measureS: number;
  /** Stage runs that finished (any state) within the measured window, and per second. */
  runsFinished: number;
  runsPerS: number;
  /** Of those, runs that did not succeed (failed, aborted): 0 when all is well. */
  runsNotSucceeded: number;
  transitions: number;
  transitionsPerS: number;
  releasesCreated: number;
  /** Created releases not through their last stage, mean over the window: near `unfinished` when the replicas, not the clients, set the pace. */
  meanUnfinished: number;
  /** Trigger latency within the window (a standby adds its forwarding hop). */
  triggerP50Ms: number;
  triggerP99Ms: number;
  non201: number;
  /** Trigger answers by status (`error`: no answer), and the first five that were not 201. */
  statuses: Record<string, number>;
  errors: string[];
  /** Cores the whole machine kept busy over the window (replicas, PostgreSQL, this load), of `cores`; null where /proc cannot be read. */
  machineBusyCores: number | null;
  /** Cores used by the busiest replica process over the window (one Node event loop tops out near 1). */
  busiestReplicaCores: number | null;
}

export const replicasProject = (i: number): string => `rp-${i}`;
export const replicasService = (i: number): string => `svc-${i}`;

const count = async (db: pg.Client, text: string, values: unknown[]): Promise<number> => Number((await db.query<{ n: string }>(text, values)).rows[0]!.n);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function replicaRole(url: string, token: string): Promise<string | undefined> {
  const r = await fetch(`${url}/api/v1/system/replicas`, { headers: { authorization: `Bearer ${token}` } }).catch(() => undefined);
  return r?.ok ? ((await r.json()) as { replica: { role: string } }).replica.role : undefined;
}

export async function driveLoad(db: pg.Client, plan: LoadPlan): Promise<LoadResult> {
  const last = plan.stages.at(-1)!;
  const agent = new Agent({ connections: plan.concurrency });
  const headers = { authorization: `Bearer ${plan.token}`, 'content-type': 'application/json' };
  const statuses: Record<string, number> = {};
  const errors: string[] = [];
  let sent = 0;
  let created = 0;
  let inFlight = 0;
  let done = 0;
  const start = Date.now();
  const w0 = start + plan.warmupS * 1000;
  const w1 = w0 + plan.measureS * 1000;
  let stopped = false;
  const unfinished: number[] = [];
  const latencies: number[] = [];
  const cpu: { machine: MachineSample; procs: ProcSample[] }[] = [];
  const sampleCpu = () => {
    try {
      cpu.push({ machine: sampleMachine(), procs: (plan.pids ?? []).map(sampleProc) });
    } catch {
      // Not Linux, or a replica gone: the CPU figures are left out.
    }
  };
  const cpuTimers = [setTimeout(sampleCpu, w0 - Date.now()), setTimeout(sampleCpu, w1 - Date.now())];
  const poll = (async () => {
    while (!stopped) {
      done = await count(db, 'select count(*) as n from runs where stage = $1 and finished_at is not null', [last]);
      if (Date.now() >= w0) unfinished.push(created - done);
      await sleep(50);
    }
  })();
  const post = async (i: number) => {
    const project = replicasProject(i % plan.projects);
    const service = replicasService(Math.floor(i / plan.projects) % plan.services);
    const url = plan.replicas[i % plan.replicas.length]!;
    const body = JSON.stringify({ artifacts: { [service]: `registry.example/${project}/${service}:${i}` } });
    const t = performance.now();
    try {
      const res = await request(`${url}/api/v1/projects/${project}/releases`, { method: 'POST', headers, body, dispatcher: agent });
      const text = await res.body.text();
      statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
      if (Date.now() >= w0) latencies.push(performance.now() - t);
      if (res.statusCode === 201) created++;
      else if (errors.length < 5) errors.push(`${res.statusCode} ${text.slice(0, 300)}`);
    } catch (e) {
      statuses['error'] = (statuses['error'] ?? 0) + 1;
      const cause = e instanceof Error && e.cause instanceof Error ? `: ${e.cause.message}` : '';
      if (errors.length < 5) errors.push(`${String(e)}${cause}`);
    }
  };
  const client = async () => {
    while (Date.now() < w1) {
      if (created + inFlight - done >= plan.unfinished) {
        await sleep(5);
        continue;
      }
      inFlight++;
      await post(sent++);
      inFlight--;
    }
  };
  try {
    await Promise.all(Array.from({ length: plan.concurrency }, client));
  } finally {
    stopped = true;
    cpuTimers.forEach(clearTimeout);
    // The clients stop at the window's end, maybe just before its sample's timer fired.
    if (cpu.length === 1) sampleCpu();
    await poll.catch(() => undefined);
    await agent.close();
  }
  // A run that finished just before w1 is committed a moment later.
  await sleep(500);
  const runsFinished = await count(db, 'select count(*) as n from runs where finished_at >= $1 and finished_at < $2', [w0, w1]);
  const runsNotSucceeded = await count(db, "select count(*) as n from runs where finished_at >= $1 and finished_at < $2 and state <> 'succeeded'", [w0, w1]);
  const transitions = await count(db, 'select count(*) as n from events where time_ms >= $1 and time_ms < $2', [w0, w1]);
  return {
    measureS: plan.measureS,
    runsFinished,
    runsPerS: round(runsFinished / plan.measureS, 1),
    runsNotSucceeded,
    transitions,
    transitionsPerS: round(transitions / plan.measureS, 0),
    releasesCreated: created,
    meanUnfinished: round(unfinished.reduce((a, b) => a + b, 0) / unfinished.length, 1),
    triggerP50Ms: round(percentile(latencies, 50), 1),
    triggerP99Ms: round(percentile(latencies, 99), 1),
    non201: sent - created,
    statuses,
    errors,
    ...cpuFigures(cpu),
  };
}

function cpuFigures(cpu: { machine: MachineSample; procs: ProcSample[] }[]): Pick<LoadResult, 'machineBusyCores' | 'busiestReplicaCores'> {
  const [a, b] = cpu;
  if (!a || !b) return { machineBusyCores: null, busiestReplicaCores: null };
  const seconds = (b.machine.at - a.machine.at) / 1000;
  const procs = a.procs.map((p, i) => (b.procs[i]!.cpuS - p.cpuS) / seconds);
  return { machineBusyCores: round(busyCores(a.machine, b.machine), 2), busiestReplicaCores: procs.length > 0 ? round(Math.max(...procs), 2) : null };
}
