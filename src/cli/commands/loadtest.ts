/**
 * `slipway loadtest report RUN`: a run's load tests level by level (and its traffic
 * comparisons); `slipway traffic show --project P --stage S --service X`: the redacted sample
 * of live requests the stage's router recorded. Both need the `read` scope.
 */
import type { Command } from 'commander';
import { act, serverCommand } from '../context.js';
import { table } from '../table.js';

interface Level {
  level: number;
  rps: number;
  requests: number;
  errorRate: number;
  throughput: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  result: string;
  reasons: string[];
}

interface Report {
  task: string;
  kind: string;
  state: string;
  result: string | null;
  message: string | null;
  output: { baseline?: { rps: number; from: string }; target?: { url: string; slot?: string }; previous?: { releaseId: string }; levels?: Level[]; compared?: number; differing?: number } | null;
}

interface Reports {
  runId: string;
  project: string;
  stage: string;
  releaseId: string;
  reports: Report[];
}

interface Recorded {
  project: string;
  stage: string;
  service: string;
  seen: number;
  recorded: number;
  kept: number;
  requests: { at: number; method: string; path: string; headers: Record<string, string> }[];
}

const ms = (v: number): string => `${Math.round(v)} ms`;

export function registerLoadtest(program: Command): void {
  const loadtest = program.command('loadtest').description('load-test reports (loadtest and traffic-compare tasks)');
  serverCommand(loadtest, 'report', "a run's load tests level by level, and its traffic comparisons")
    .argument('<run>', 'run id')
    .action(
      act<Record<string, never>>(async (ctx, [runId]) => {
        const r = await ctx.client.request<Reports>('GET', `/api/v1/runs/${encodeURIComponent(runId!)}/loadtests`);
        if (ctx.json) return ctx.emit(r);
        if (r.reports.length === 0) {
          ctx.print(`run ${r.runId} (${r.project}/${r.stage}) has no loadtest or traffic-compare task`);
          return;
        }
        for (const rep of r.reports) {
          ctx.print(`${rep.task} (${rep.kind}) · ${rep.result ?? rep.state} · ${rep.message ?? ''}`);
          const o = rep.output;
          if (o?.baseline) ctx.print(`  baseline ${o.baseline.rps} rps (${o.baseline.from}) · target ${o.target?.url ?? '?'}${o.target?.slot ? ` (slot ${o.target.slot})` : ''}${o.previous ? ` · compared with ${o.previous.releaseId}` : ''}`);
          if (o?.levels?.length) {
            ctx.print(
              table(
                ['LEVEL', 'RPS', 'REQUESTS', 'SERVED/S', 'ERRORS', 'P50', 'P95', 'P99', 'RESULT'],
                o.levels.map((l) => [`${l.level}×`, String(l.rps), String(l.requests), String(l.throughput), `${(l.errorRate * 100).toFixed(1)}%`, ms(l.p50Ms), ms(l.p95Ms), ms(l.p99Ms), l.reasons.length > 0 ? `${l.result}: ${l.reasons.join('; ')}` : l.result]),
              ),
            );
          }
        }
      }),
    );

  const traffic = program.command('traffic').description("a stage's recorded live traffic (traffic.record in slipway.yaml)");
  serverCommand(traffic, 'show', 'the redacted sample of live requests recorded for a service in a stage')
    .requiredOption('--project <project>', 'the project')
    .requiredOption('--stage <stage>', 'the stage')
    .requiredOption('--service <service>', 'the service')
    .option('--limit <n>', 'newest requests shown', '20')
    .action(
      act<{ project: string; stage: string; service: string; limit: string }>(async (ctx, _args, o) => {
        const path = `/api/v1/traffic/${encodeURIComponent(o.project)}/${encodeURIComponent(o.stage)}/${encodeURIComponent(o.service)}`;
        const r = await ctx.client.request<Recorded>('GET', path, { query: { limit: o.limit } });
        if (ctx.json) return ctx.emit(r);
        ctx.print(`${r.project}/${r.stage}/${r.service}: ${r.kept} requests kept, ${r.recorded} recorded of ${r.seen} live requests seen`);
        ctx.print(table(['AT', 'METHOD', 'PATH', 'HEADERS'], r.requests.map((q) => [new Date(q.at).toISOString(), q.method, q.path, Object.entries(q.headers).map(([k, v]) => `${k}: ${v}`).join('; ')])));
      }),
    );
}
