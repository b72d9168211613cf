/**
 * One level of a load test: autocannon (as a library) sends `rps` requests a second for the
 * level's duration, rate-limited over enough connections that a healthy target keeps up, and
 * its figures are taken from every response (exact percentiles, not autocannon's buckets).
 * autocannon is loaded when a load test runs, so a server without it still starts.
 */
import type { Instance, Options, Request, Result } from 'autocannon';
import { NonRetryableTaskError } from '../../engine/executor.js';

export interface Shot {
  url: string;
  method: string;
  headers: Readonly<Record<string, string>>;
  /** Recorded requests to replay in turn (paths relative to url's origin); empty: hit url. */
  requests: readonly { method: string; path: string; headers: Readonly<Record<string, string>> }[];
  rps: number;
  durationMs: number;
  connections?: number;
  timeoutMs: number;
}

export interface LevelFigures {
  level: number;
  /** The rate asked for. */
  rps: number;
  durationMs: number;
  requests: number;
  /** Responses outside 2xx/3xx, plus connection errors and timeouts. */
  errors: number;
  errorRate: number;
  timeouts: number;
  /** Responses a second actually served. */
  throughput: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  statuses: Record<string, number>;
  replayed: boolean;
}

type Cannon = (opts: Options, cb?: (err: unknown, result: Result) => void) => Instance;

async function cannon(): Promise<Cannon> {
  try {
    const mod = (await import('autocannon')) as unknown as { default: Cannon };
    return mod.default;
  } catch (e) {
    throw new NonRetryableTaskError(`loadtest needs the autocannon package, which this installation lacks: npm install autocannon@9 (${(e as Error).message})`);
  }
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

const round = (n: number): number => Math.round(n * 10) / 10;

/** Enough connections that each sends about 4 requests a second: a target answering within 250 ms keeps pace. */
export const connectionsFor = (rps: number, given?: number): number => Math.min(given ?? Math.max(1, Math.ceil(rps / 4)), 256, rps);

export async function drive(shot: Shot, level: number, signal: AbortSignal, tick: (secondsDone: number, responses: number) => void): Promise<LevelFigures> {
  const run = await cannon();
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let bad = 0;
  const requests: Request[] = shot.requests.map((r) => ({ method: r.method as Request['method'], path: r.path, headers: { ...r.headers, ...shot.headers } }));
  const opts: Options = {
    url: shot.url,
    method: shot.method as Request['method'],
    headers: { ...shot.headers },
    connections: connectionsFor(shot.rps, shot.connections),
    overallRate: shot.rps,
    duration: shot.durationMs / 1000,
    timeout: Math.max(1, Math.round(shot.timeoutMs / 1000)),
    ...(requests.length > 0 ? { requests } : {}),
  };
  signal.throwIfAborted();
  const result = await new Promise<Result>((resolve, reject) => {
    const instance = run(opts, (err, res) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(res)));
    let seconds = 0;
    instance.on('response', (_client, status, _bytes, ms) => {
      latencies.push(ms);
      statuses[String(status)] = (statuses[String(status)] ?? 0) + 1;
      if (status < 200 || status >= 400) bad++;
    });
    instance.on('tick', () => tick(++seconds, latencies.length));
    const stop = () => instance.stop();
    signal.addEventListener('abort', stop, { once: true });
    instance.once('done', () => signal.removeEventListener('abort', stop));
  });
  signal.throwIfAborted();
  latencies.sort((a, b) => a - b);
  const errors = bad + result.errors;
  const total = latencies.length + result.errors;
  const seconds = Math.max(result.duration, shot.durationMs / 1000);
  return {
    level,
    rps: shot.rps,
    durationMs: shot.durationMs,
    requests: total,
    errors,
    errorRate: total === 0 ? 1 : errors / total,
    timeouts: result.timeouts,
    throughput: round(latencies.length / seconds),
    p50Ms: round(percentile(latencies, 50)),
    p95Ms: round(percentile(latencies, 95)),
    p99Ms: round(percentile(latencies, 99)),
    maxMs: round(latencies.at(-1) ?? 0),
    statuses,
    replayed: requests.length > 0,
  };
}
