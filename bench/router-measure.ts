/** One measurement of one target (saturated with autocannon, or paced), with the CPU it cost. */
import { autocannon, pacedLoad, type Load, type LoadResult } from './router-load.js';

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
export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The index of the round whose router rps over the reference rps is the median. */
export function medianRound(router: Measured[], reference: Measured[]): number {
  const order = router.map((r, i) => ({ i, ratio: r.rps / reference[i]!.rps })).sort((a, b) => a.ratio - b.ratio);
  return order[Math.floor(order.length / 2)]!.i;
}

export const ownCpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

export async function measure(t: Target, load: Load, warmupSeconds: number, progress: (line: string) => void): Promise<Measured> {
  let before: number | undefined;
  let r: LoadResult;
  if (load.rate) {
    // The paced generator warms up on its own connections; CPU is counted over its whole run.
    before = t.cpu();
    r = await pacedLoad(t.url, { ...load, rate: load.rate }, warmupSeconds);
    r = { ...r, requests: r.requests + Math.round(load.rate * warmupSeconds) };
  } else {
    if (warmupSeconds > 0) await autocannon(t.url, { ...load, seconds: warmupSeconds });
    before = t.cpu();
    r = await autocannon(t.url, load);
  }
  const after = t.cpu();
  const cpuUsPerReq = before !== undefined && after !== undefined && r.requests > 0 ? ((after - before) * 1e6) / r.requests : undefined;
  progress(`  ${t.name.padEnd(6)} ${load.rate ? `paced ${load.rate}/s` : 'saturated'}: ${Math.round(r.rps)} req/s, p50 ${r2(r.p50Ms)} ms, p99 ${r2(r.p99Ms)} ms${cpuUsPerReq ? `, ${cpuUsPerReq.toFixed(1)} µs CPU/req` : ''}${r.errors + r.non2xx ? `, ${r.errors} errors, ${r.non2xx} non-2xx` : ''}`);
  return { ...r, cpuUsPerReq };
}

