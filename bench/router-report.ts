/** The router bench's figures and targets, as flat `router.*` / `nginx.*` / `direct.*` numbers like the main bench's. */
import type { DirectResult, RouterBenchResult, TargetResult } from './router-bench.js';

export interface RouterTarget {
  figure: string;
  value: number;
  target: string;
  met: boolean;
}

export const RATIO_TARGET = 0.7;
export const ADDED_P99_TARGET_MS = 2;

const r2 = (x: number): number => Math.round(x * 100) / 100;
const isRun = (x: RouterBenchResult['nginx']): x is TargetResult => !('skipped' in x);

export function routerFiguresOf(b: RouterBenchResult): { figures: Record<string, number>; targets: RouterTarget[] } {
  const { direct, router } = b;
  const figures: Record<string, number> = {
    'router.concurrency': b.plan.connections,
    'router.rps': Math.round(router.saturated.rps),
    'router.p50_ms': router.saturated.p50Ms,
    'router.p99_ms': router.saturated.p99Ms,
    'router.added_p99_ms': r2(router.addedP99Ms),
    'router.paced_rate': b.plan.paced.rate,
    'router.paced_concurrency': b.plan.paced.connections,
    'router.failed_requests': router.saturated.errors + router.saturated.non2xx + router.paced.errors + router.paced.non2xx,
    'direct.paced_p99_ms': r2(direct.paced.p99Ms),
    'router.paced_p99_ms': r2(router.paced.p99Ms),
  };
  if (router.saturated.cpuUsPerReq !== undefined) figures['router.cpu_us_per_req'] = r2(router.saturated.cpuUsPerReq);
  // The backend alone saturated: informative, and left out of quick runs with nginx (RouterPlan.directSaturated).
  if (direct.saturated) {
    Object.assign(figures, {
      'router.added_p99_ms_saturated': router.saturated.p99Ms - direct.saturated.p99Ms,
      'direct.rps': Math.round(direct.saturated.rps),
      'direct.p99_ms': direct.saturated.p99Ms,
    });
    if (direct.saturated.cpuUsPerReq !== undefined) figures['direct.backend_cpu_us_per_req'] = r2(direct.saturated.cpuUsPerReq);
  }
  const added = figures['router.added_p99_ms']!;
  const targets: RouterTarget[] = [
    {
      figure: 'router.added_p99_ms',
      value: added,
      target: `< ${ADDED_P99_TARGET_MS} ms (p99 through the router − direct, ${b.plan.paced.connections} connections at ${b.plan.paced.rate} req/s, median of ${b.plan.rounds} rounds)`,
      met: added < ADDED_P99_TARGET_MS,
    },
  ];
  if (isRun(b.nginx)) {
    const n = b.nginx;
    const ratio = r2(router.saturated.rps / n.saturated.rps);
    Object.assign(figures, {
      'nginx.rps': Math.round(n.saturated.rps),
      'nginx.p99_ms': n.saturated.p99Ms,
      'nginx.added_p99_ms': r2(n.addedP99Ms),
      'router.ratio_to_nginx': ratio,
    });
    if (direct.saturated) figures['nginx.added_p99_ms_saturated'] = n.saturated.p99Ms - direct.saturated.p99Ms;
    if (n.saturated.cpuUsPerReq !== undefined) figures['nginx.cpu_us_per_req'] = r2(n.saturated.cpuUsPerReq);
    targets.unshift({ figure: 'router.ratio_to_nginx', value: ratio, target: `≥ ${RATIO_TARGET} (req/s through the router ÷ through nginx, ${b.plan.connections} connections)`, met: ratio >= RATIO_TARGET });
  }
  return { figures, targets };
}

export function formatRouterText(b: RouterBenchResult): string {
  const { figures, targets } = routerFiguresOf(b);
  const lines = ['Router bench (one node:http backend; direct, through the Router, through nginx)', ''];
  for (const [k, v] of Object.entries(figures)) lines.push(`  ${k.padEnd(32)} ${v}`);
  if (!isRun(b.nginx)) lines.push(`  nginx: skipped (${b.nginx.skipped})`);
  else lines.push(`  nginx version: ${b.nginxVersion ?? '?'}`);
  const runs: [string, DirectResult][] = [['direct', b.direct], ['router', b.router]];
  if (isRun(b.nginx)) runs.push(['nginx', b.nginx]);
  lines.push('', 'Every round (saturated req/s; paced p99 ms):');
  for (const [name, t] of runs) lines.push(`  ${name.padEnd(7)} ${t.allRounds.map((r) => `${r.rps === undefined ? 'not run saturated' : `${r.rps} req/s`}; ${r2(r.pacedP99Ms)} ms`).join('  |  ')}`);
  lines.push('', 'Targets');
  for (const t of targets) lines.push(`  ${t.met ? 'met   ' : 'MISSED'} ${t.figure} = ${t.value}  (target ${t.target})`);
  if (b.hotspots) {
    lines.push('', 'Where the router spends its time (self time, saturated run):');
    for (const h of b.hotspots) lines.push(`  ${(h.share * 100).toFixed(1).padStart(5)}%  ${h.where}`);
  }
  return lines.join('\n');
}
