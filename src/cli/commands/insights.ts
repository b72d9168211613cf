/** `slipway insights --project P`: the DORA figures and cycle time per stage. */
import type { Command } from 'commander';
import { act, serverCommand } from '../context.js';
import { table } from '../table.js';
import { humanMs, whenOf } from './when.js';

interface Dur {
  medianMs: number | null;
  deployments: number;
}
interface RateOf {
  rate: number | null;
  count: number;
  deployments: number;
}
interface Dora {
  project: string;
  stage: string;
  from: number;
  to: number;
  deploymentFrequency: { perDay: number; bucket: string | null; deployments: number; medianDeployDaysPerWeek: number };
  changeLeadTime: Dur & { ignored: number; fromFirstCommit: Dur };
  changeFailRate: RateOf;
  failedDeploymentRecoveryTime: Dur & { failures: number; unrecovered: number };
  deploymentReworkRate: RateOf;
  cycleTime: (Dur & { stage: string })[];
}

const pct = (r: RateOf): string => (r.rate === null ? '-' : `${(r.rate * 100).toFixed(1)}% (${r.count})`);

export function registerInsights(program: Command): void {
  serverCommand(program, 'insights', 'DORA figures and cycle time per stage for a project, from the event log')
    .requiredOption('--project <project>', 'the project')
    .option('--stage <stage>', "the production stage (default: the pipeline's last stage)")
    .option('--from <when>', 'window start: a duration back (30d), an RFC 3339 time or UTC ms (default: 90 days before --to)')
    .option('--to <when>', 'window end (default: now)')
    .action(
      act<{ project: string; stage?: string; from?: string; to?: string }>(async (ctx, _args, o) => {
        const now = Date.now();
        const query = {
          project: o.project,
          stage: o.stage,
          from: o.from !== undefined ? String(await whenOf(o.from, now, '--from')) : undefined,
          to: o.to !== undefined ? String(await whenOf(o.to, now, '--to')) : undefined,
        };
        const f = await ctx.client.request<Dora>('GET', '/api/v1/insights/dora', { query });
        if (ctx.json) return ctx.emit(f);
        const df = f.deploymentFrequency;
        ctx.print(`${f.project} · production stage ${f.stage} · ${new Date(f.from).toISOString()} … ${new Date(f.to).toISOString()}`);
        ctx.print(
          table(
            ['FIGURE', 'VALUE', 'DEPLOYMENTS'],
            [
              ['deployment frequency', `${df.perDay.toFixed(2)}/day (${df.bucket ?? 'none'})`, String(df.deployments)],
              ['change lead time', humanMs(f.changeLeadTime.medianMs), String(f.changeLeadTime.deployments)],
              ['change fail rate', pct(f.changeFailRate), String(f.changeFailRate.deployments)],
              ['failed deployment recovery time', humanMs(f.failedDeploymentRecoveryTime.medianMs), String(f.failedDeploymentRecoveryTime.deployments)],
              ['deployment rework rate', pct(f.deploymentReworkRate), String(f.deploymentReworkRate.deployments)],
            ],
          ),
        );
        ctx.print('');
        ctx.print(table(['STAGE', 'CYCLE TIME (COMMIT →)', 'RELEASES'], f.cycleTime.map((c) => [c.stage, humanMs(c.medianMs), String(c.deployments)])));
      }),
    );
}
