/**
 * `slipway release show RELEASE --project P`: a release's artifacts, where it came from
 * (source, commit, commit time, first commit time of the change, author, delivery) and its
 * outcome in each stage. Commit and first commit times are what lead time is measured from.
 */
import type { Command } from 'commander';
import type { ApiRelease } from '../api-types.js';
import { act, serverCommand } from '../context.js';
import { resultColor } from '../output.js';
import { table } from '../table.js';

const iso = (ms: unknown): string => (typeof ms === 'number' ? new Date(ms).toISOString().replace('.000Z', 'Z') : '-');

export function registerRelease(program: Command): void {
  const release = program.command('release').description('releases: what they hold and where they came from');
  serverCommand(release, 'show', "a release's artifacts, provenance (commit, commit time, first commit time, author, source) and stage outcomes")
    .argument('<release>', 'release id (rel-…)')
    .requiredOption('--project <name>', 'project')
    .action(
      act<{ project: string }>(async (ctx, [id], opts) => {
        const r = await ctx.client.request<ApiRelease>('GET', `/api/v1/projects/${encodeURIComponent(opts.project)}/releases/${encodeURIComponent(id!)}`);
        if (ctx.json) return ctx.emit(r);
        const p = r.provenance;
        ctx.print(`release ${r.id} (${r.project}), created ${iso(r.createdAt)}`);
        ctx.print(table(['SERVICE', 'ARTIFACT'], Object.entries(r.artifacts).map(([s, a]) => [s, a])));
        const lines: [string, string][] = [
          ['source', p.source ?? '-'],
          ['commit', p.commit ?? '-'],
          ['commit time', iso(p.commitTime)],
          ['first commit time', iso(p.firstCommitTime)],
          ['author', p.author ?? '-'],
          ['delivery', p.delivery ?? '-'],
        ];
        for (const [k, v] of lines) ctx.print(`${`${k}:`.padEnd(19)}${v}`);
        if (r.stages.length > 0) ctx.print(table(['STAGE', 'RESULT', 'RUN', 'AT'], r.stages.map((s) => [s.stage, resultColor(s.result)(s.result), s.runId, iso(s.at)])));
      }),
    );
}
