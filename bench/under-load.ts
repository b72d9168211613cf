/**
 * Reads under load (issue 13 item 3): on a running server, `GET status` sent open-loop at a
 * fixed rate, first on the idle server (the reference), then while `sseClients` live-event
 * readers follow every event and releases are triggered at `triggersPerS` (each into the first
 * stage, so every trigger starts a release through all stages). Latency counts from each
 * request's scheduled time, so a request that waits behind the engine is not hidden by the
 * requests that were not sent meanwhile. At the end the readers must have every event
 * committed during the load (checked against the log's last seq), or the figure is refused.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { LoadJob, LoadRequest } from './http-load.js';
import { runLoad } from './http-load.js';
import { openSseClients, type SseClients, type SseClientsResult } from './sse-clients.js';
import { sampleSched } from './proc-sample.js';
import { percentile, round } from './stats.js';

export interface UnderLoadPlan {
  seconds: number;
  /** The idle reference's seconds, when shorter than the loaded window's (quick: 2 s; it has no target). */
  idleSeconds?: number;
  statusPerS: number;
  triggersPerS: number;
  sseClients: number;
  /**
   * The readers ask for gzip, as a browser's request does, and inflate it. Off in the bench: on
   * the server's 2 cores, inflating 420 MB/s of events fell 1–2.5 s behind the live events and
   * took the cores from the server; browsers inflate on their own machines.
   */
  sseGzip: boolean;
}

export interface StatusLatency {
  requests: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  non200: number;
}

export interface UnderLoadResult {
  plan: UnderLoadPlan;
  idle: StatusLatency;
  loaded: StatusLatency;
  /** Triggers answered 201 per second during the load, and the answers that were not 201. */
  triggersPerS: number;
  triggerNon201: number;
  triggerP99Ms: number;
  /** Events committed during the load, and what the live readers received. */
  events: number;
  sse: SseClientsResult & { caughtUp: boolean };
  /** The server's event-loop delay during the load (the server runs in this process): what any request waits at least. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  /** CPU the server's event-loop thread used during the load (it is this process's main thread): 1 is a core, all of it. */
  loopThreadCores: number;
  /** Seconds per second that thread was ready to run and waited for a core (the machine's other threads had both). */
  loopThreadWaitPerS: number;
}

export interface UnderLoadTarget {
  origin: string;
  token: string;
  projects: string[];
  /** A trigger request for the i-th new release. */
  trigger: (i: number) => LoadRequest;
}

function latency(ms: number[], statuses: Record<string, number>): StatusLatency {
  const sorted = [...ms].sort((a, b) => a - b);
  const ok = statuses['200'] ?? 0;
  return { requests: sorted.length, p50Ms: round(percentile(sorted, 50, true), 2), p99Ms: round(percentile(sorted, 99, true), 2), maxMs: round(sorted.at(-1) ?? Number.NaN, 2), non200: sorted.length - ok };
}

async function lastSeq(t: UnderLoadTarget): Promise<number> {
  const res = await fetch(`${t.origin}/api/v1/events?last=true&limit=1`, { headers: { authorization: `Bearer ${t.token}` } });
  const body = (await res.json()) as { next: number };
  if (res.status !== 200) throw new Error(`GET events: ${res.status}`);
  return body.next;
}

export async function runUnderLoad(t: UnderLoadTarget, plan: UnderLoadPlan, progress: (line: string) => void): Promise<UnderLoadResult> {
  const statusList = t.projects.map((p): LoadRequest => ({ method: 'GET', path: `/api/v1/projects/${p}/status` }));
  const statusJob = { origin: t.origin, token: t.token, concurrency: 50, expect: 200, requests: statusList, untilStopped: true, ratePerS: plan.statusPerS };

  // The readers' process starts now (it takes no CPU once started), and opens its streams after the reference.
  const sse = openSseClients({ origin: t.origin, token: t.token, clients: plan.sseClients, gzip: plan.sseGzip });
  try {
    return await measure(t, plan, sse, statusJob, progress);
  } finally {
    sse.kill();
  }
}

async function measure(t: UnderLoadTarget, plan: UnderLoadPlan, sse: SseClients, statusJob: LoadJob, progress: (line: string) => void): Promise<UnderLoadResult> {
  const forSeconds = (s: number) => new Promise((r) => setTimeout(r, s * 1000));
  const idleSeconds = plan.idleSeconds ?? plan.seconds;
  progress(`under load: GET status at ${plan.statusPerS}/s on the idle server for ${idleSeconds} s (reference) …`);
  const idleRun = await runLoad(statusJob, forSeconds(idleSeconds));
  const idle = latency(idleRun.latenciesMs, idleRun.statuses);
  progress(`  p50 ${idle.p50Ms} ms, p99 ${idle.p99Ms} ms, max ${idle.maxMs} ms`);

  progress(`under load: ${plan.sseClients} SSE clients, ${plan.triggersPerS} triggers/s, GET status at ${plan.statusPerS}/s for ${plan.seconds} s …`);
  const opening = performance.now();
  await sse.open();
  const openS = round((performance.now() - opening) / 1000, 1);
  const before = await lastSeq(t);
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const cpuFrom = sampleSched(process.pid, process.pid);
  const n = Math.ceil(plan.seconds * plan.triggersPerS);
  const triggering = runLoad({ origin: t.origin, token: t.token, concurrency: 50, expect: 201, requests: Array.from({ length: n }, (_, i) => t.trigger(i)), ratePerS: plan.triggersPerS });
  const [loadedRun, trig] = await Promise.all([runLoad(statusJob, triggering), triggering]);
  loop.disable();
  const cpuTo = sampleSched(process.pid, process.pid);
  const loaded = latency(loadedRun.latenciesMs, loadedRun.statuses);
  const created = trig.statuses['201'] ?? 0;
  const trigSorted = [...trig.latenciesMs].sort((a, b) => a - b);
  // The readers must have had everything that committed while they were measured.
  const after = await lastSeq(t);
  const catching = performance.now();
  const caughtUp = await sse.reach(after, 30_000);
  const catchUpS = round((performance.now() - catching) / 1000, 1);
  const clients = await sse.stop();
  const result: UnderLoadResult = {
    plan,
    idle,
    loaded,
    triggersPerS: round(created / trig.seconds, 1),
    triggerNon201: trig.latenciesMs.length - created,
    triggerP99Ms: round(percentile(trigSorted, 99, true), 2),
    events: after - before,
    sse: { ...clients, caughtUp },
    loopDelayP99Ms: round(loop.percentile(99) / 1e6, 2),
    loopDelayMaxMs: round(loop.max / 1e6, 2),
    loopThreadCores: round((cpuTo.runS - cpuFrom.runS) / ((cpuTo.at - cpuFrom.at) / 1000), 2),
    loopThreadWaitPerS: round((cpuTo.waitS - cpuFrom.waitS) / ((cpuTo.at - cpuFrom.at) / 1000), 2),
  };
  progress(
    `  status p50 ${loaded.p50Ms} ms, p99 ${loaded.p99Ms} ms, max ${loaded.maxMs} ms; ${result.triggersPerS} triggers/s (p99 ${result.triggerP99Ms} ms); ` +
       `loop delay p99 ${result.loopDelayP99Ms} ms, max ${result.loopDelayMaxMs} ms, its thread ran ${result.loopThreadCores} s and waited for a core ${result.loopThreadWaitPerS} s per s; ${result.events} events, ${clients.events} delivered to ${clients.clients} clients (${round(clients.bytes / 1e6, 1)} MB${plan.sseGzip ? `, ${round(clients.wireBytes / 1e6, 1)} MB gzip-compressed on the wire` : ''}), ${clients.dropped} dropped, caught up: ${caughtUp} (the readers connected in ${openS} s, and caught up ${catchUpS} s after the load)`,
  );
  if (loaded.non200 > 0 || idle.non200 > 0) throw new Error(`under load: ${loaded.non200 + idle.non200} status answers were not 200: ${[...idleRun.errors, ...loadedRun.errors].join('; ')}`);
  return result;
}
