/** One measurement of one target (saturated with autocannon, or paced), with the CPU it cost. */
import type { Load, LoadGenerator, LoadResult } from './router-load.js';

export interface Measured extends LoadResult {
  /** CPU the proxy (or, direct, the backend) used per request, in µs; undefined where unknown. */
  cpuUsPerReq?: number;
}

export interface Target {
  name: 'direct' | 'router' | 'nginx';
  url: string;
  cpu: () => number | undefined;
}

export const r2 = (x: number): number => Math.round(x * 100) / 100;

/** The index of the round whose router rps over the reference rps is the median. */
export function medianRound(router: Measured[], reference: Measured[]): number {
  const order = router.map((r, i) => ({ i, ratio: r.rps / reference[i]!.rps })).sort((a, b) => a.ratio - b.ratio);
  return order[Math.floor(order.length / 2)]!.i;
}

export const ownCpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

export async function measure(gen: LoadGenerator, t: Target, load: Load, warmupSeconds: number, progress: (line: string) => void): Promise<Measured> {
  let before: number | undefined;
  // A saturated run's CPU is counted from the end of its warm-up; a paced one's over its whole
  // run (the generator warms up on the same connections), with the warm-up's requests counted.
  let r = await gen.run({ url: t.url, connections: load.connections, seconds: load.seconds, warmupSeconds, rate: load.rate }, () => (before = t.cpu()));
  if (load.rate) r = { ...r, requests: r.requests + Math.round(load.rate * warmupSeconds) };
  const after = t.cpu();
  const cpuUsPerReq = before !== undefined && after !== undefined && r.requests > 0 ? ((after - before) * 1e6) / r.requests : undefined;
  progress(`  ${t.name.padEnd(6)} ${load.rate ? `paced ${load.rate}/s` : 'saturated'}: ${Math.round(r.rps)} req/s, p50 ${r2(r.p50Ms)} ms, p99 ${r2(r.p99Ms)} ms${cpuUsPerReq ? `, ${cpuUsPerReq.toFixed(1)} µs CPU/req` : ''}${r.errors + r.non2xx ? `, ${r.errors} errors, ${r.non2xx} non-2xx` : ''}`);
  return { ...r, cpuUsPerReq };
}

