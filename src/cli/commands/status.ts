/** `slipway status --project P`: the stage × service matrix of what runs where. */
import type { Command } from 'commander';
import type { StatusMatrix } from '../api-types.js';
import { act, serverCommand } from '../context.js';
import { printFreezeLines } from './freeze.js';
import { printMigrationLines } from './migrate.js';
import { automationLines } from './automation-lines.js';
import { color, resultColor } from '../output.js';
import { ago, table } from '../table.js';

export function registerStatus(program: Command): void {
  serverCommand(program, 'status', 'what runs where: stage × service')
    .requiredOption('--project <name>', 'project')
    .action(
      act<{ project: string }>(async (ctx, _args, opts) => {
        const m = await ctx.client.request<StatusMatrix>('GET', `/api/v1/projects/${encodeURIComponent(opts.project)}/status`);
        if (ctx.json) {
          ctx.emit({
            project: m.project,
            stages: m.stages.map((s) => ({
              name: s.name,
              services: s.services.map((x) => ({ service: x.service, artifact: x.artifact, release: x.release, state: x.state, since: x.since })),
              ...(s.schedule ? { schedule: s.schedule } : {}),
              ...(s.hold ? { hold: s.hold } : {}),
            })),
          });
          return;
        }
        const rows = m.stages.flatMap((s) =>
          s.services.map((x) => [
            s.name,
            x.service,
            x.artifact ?? color.dim('-'),
            x.release ?? '-',
            x.state ? resultColor(x.state)(x.state) : color.dim('nothing yet'),
            ago(x.since),
            x.endpoint ?? '',
            x.lastGoodArtifact && x.lastGoodArtifact !== x.artifact ? `last good: ${x.lastGoodArtifact}` : '',
          ]),
        );
        ctx.print(table(['STAGE', 'SERVICE', 'ARTIFACT', 'RELEASE', 'STATE', 'SINCE', 'ENDPOINT', ''], rows));
        for (const s of m.stages) {
          for (const w of s.watching ?? []) ctx.print(`${s.name}: watching alarms after release ${w.releaseId} succeeded, until ${new Date(w.until).toISOString().slice(0, 16).replace('T', ' ')} UTC`);
          for (const line of automationLines(s, opts.project)) ctx.print(line);
        }
        await printFreezeLines(ctx, opts.project);
        await printMigrationLines(ctx, opts.project);
      }),
    );
}
