/**
 * The router bench: one node:http backend measured direct, through the Router (in this
 * process) and through Debian's nginx (one worker), each after a warm-up. Saturated runs
 * (autocannon, closed loop) give throughput; paced runs (bench/router-paced.ts, a fixed rate
 * every target sustains, µs timing) give the latency a proxy adds when it is not the
 * bottleneck. Targets take turns within each round, so drifting machine load hits all alike.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Router } from '../src/platform/router/index.js';
import { CpuProfile, type Hotspot } from './router-profile.js';
import { nginxVersion, startNginx, workerPid } from './router-nginx.js';
import { cpuSeconds, LoadGenerator, startBackend, type Child, type LoadResult } from './router-load.js';
import { measure, medianRound, ownCpu, type Measured, type Target } from './router-measure.js';
import { median } from './stats.js';

export interface RouterPlan {
  seconds: number;
  warmupSeconds: number;
  /**
   * The saturated runs' warm-up of the references (direct, nginx), when it differs from the
   * router's (quick: 0.5 s). The router runs JavaScript that V8 is still optimising: after 0.5 s
   * of warm-up it measured 8,600-9,700 req/s (106-119 µs CPU each), after 1 s 11,300 (88 µs).
   */
  referenceWarmupSeconds?: number;
  /**
   * Whether the backend alone runs saturated too (default true). Quick leaves it out when nginx
   * runs: no target reads it (the ratio is router ÷ nginx, added p99 comes from the paced runs),
   * only the informative `direct.rps`, `direct.p99_ms` and the `*_saturated` differences, and it
   * took 1.9 s of the 60. Without nginx it always runs: the ratio is then router ÷ direct.
   */
  directSaturated?: boolean;
  /** The paced runs' warm-up, when it differs (quick: 0.25 s; the rate is low and fixed, and every target ran saturated just before). */
  pacedWarmupSeconds?: number;
  connections: number;
  paced: { connections: number; rate: number };
  /**
   * Rounds of (saturated, then paced) runs of every target. Throughput figures come from the
   * round with the median router/nginx ratio (router/direct without nginx), added p99 is the
   * median of each round's difference: both sides of a comparison share one round's load.
   */
  rounds: number;
  profileDir?: string;
}

export type { Measured };

export interface TargetResult {
  /** The saturated run of the round the figures come from. */
  saturated: Measured;
  /** The paced run with the median p99. */
  paced: LoadResult;
  /** Median over rounds of (this target's paced p99 − direct's in the same round); 0 for direct. */
  addedP99Ms: number;
  /** Saturated req/s (unless the round ran none) and paced p99 of every round, in order. */
  allRounds: { rps?: number; pacedP99Ms: number }[];
}

/** The backend alone: its saturated runs may be left out (`RouterPlan.directSaturated`). */
export type DirectResult = Omit<TargetResult, 'saturated'> & { saturated?: Measured };

export interface RouterBenchResult {
  plan: RouterPlan;
  direct: DirectResult;
  router: TargetResult;
  nginx: TargetResult | { skipped: string };
  nginxVersion?: string;
  hotspots?: Hotspot[];
}

export async function runRouterBench(plan: RouterPlan, progress: (line: string) => void): Promise<RouterBenchResult> {
  const prefix = mkdtempSync(join(tmpdir(), 'slipway-router-bench-'));
  const children: Child[] = [];
  const router = new Router({ host: '127.0.0.1', port: 0 });
  const gen = new LoadGenerator();
  try {
    const backend = await startBackend();
    children.push(backend);
    const { url } = await router.listen();
    router.setSlots({ bench: { upstreams: [{ host: '127.0.0.1', port: backend.port }], weight: 1 } });
    const targets: Target[] = [
      { name: 'direct', url: `http://127.0.0.1:${backend.port}/`, cpu: () => cpuSeconds(backend.proc.pid) },
      { name: 'router', url: `${url}/`, cpu: ownCpu },
    ];
    const version = nginxVersion();
    let nginx: RouterBenchResult['nginx'] = { skipped: 'nginx is not installed (apt-get install -y nginx)' };
    if (version) {
      const n = await startNginx(prefix, backend.port);
      children.push(n);
      const worker = workerPid(n.proc.pid!);
      targets.push({ name: 'nginx', url: `http://127.0.0.1:${n.port}/`, cpu: () => cpuSeconds(worker) });
    } else progress(`nginx: ${nginx.skipped}; its figures are skipped`);

    const saturated = new Map<string, Measured[]>(targets.map((t) => [t.name, []]));
    const paced = new Map<string, LoadResult[]>(targets.map((t) => [t.name, []]));
    const profile = plan.profileDir ? new CpuProfile() : undefined;
    let hotspots: Hotspot[] | undefined;
    for (let round = 1; round <= plan.rounds; round++) {
      const skipDirect = version !== undefined && plan.directSaturated === false;
      const references = skipDirect ? 'nginx' : 'direct and nginx';
      progress(`router bench round ${round}/${plan.rounds}: saturated with ${plan.connections} connections, ${plan.seconds} s each after ${plan.warmupSeconds} s warm-up${plan.referenceWarmupSeconds !== undefined && plan.referenceWarmupSeconds !== plan.warmupSeconds ? ` (${references}: ${plan.referenceWarmupSeconds} s)` : ''}${skipDirect ? '; the backend alone runs paced only' : ''}`);
      for (const t of targets) {
        if (t.name === 'direct' && skipDirect) continue;
        const profiling = profile && t.name === 'router' && round === 1;
        if (profiling) await profile.start();
        const warmup = t.name === 'router' ? plan.warmupSeconds : (plan.referenceWarmupSeconds ?? plan.warmupSeconds);
        saturated.get(t.name)!.push(await measure(gen, t, { connections: plan.connections, seconds: plan.seconds }, warmup, progress));
        if (profiling) hotspots = await profile.stop(plan.profileDir!);
      }
      const pacedWarmup = plan.pacedWarmupSeconds ?? plan.warmupSeconds;
      progress(`  then paced: ${plan.paced.connections} connections at ${plan.paced.rate} req/s in all, ${plan.seconds} s each after ${pacedWarmup} s warm-up`);
      for (const t of targets) paced.get(t.name)!.push(await measure(gen, t, { connections: plan.paced.connections, seconds: plan.seconds, rate: plan.paced.rate }, pacedWarmup, progress));
    }
    const pick = medianRound(saturated.get('router')!, saturated.get(version ? 'nginx' : 'direct')!);
    const direct = paced.get('direct')!;
    const result = new Map<string, DirectResult>();
    for (const t of targets) {
      const sat = saturated.get(t.name)!;
      const pac = paced.get(t.name)!;
      result.set(t.name, {
        saturated: sat[pick],
        paced: [...pac].sort((a, b) => a.p99Ms - b.p99Ms)[Math.floor(pac.length / 2)]!,
        addedP99Ms: median(pac.map((r, i) => r.p99Ms - direct[i]!.p99Ms)),
        allRounds: pac.map((p, i) => ({ rps: sat[i] && Math.round(sat[i].rps), pacedP99Ms: p.p99Ms })),
      });
    }
    const measured = (name: string): TargetResult => {
      const r = result.get(name)!;
      return { ...r, saturated: r.saturated! };
    };
    if (version) nginx = measured('nginx');
    return { plan, direct: result.get('direct')!, router: measured('router'), nginx, nginxVersion: version, hotspots };
  } finally {
    await gen.stop();
    await router.close(1000);
    for (const c of children.reverse()) await c.stop();
    rmSync(prefix, { recursive: true, force: true });
  }
}
