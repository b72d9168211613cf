/** `slipway runs` (a filtered list), `slipway runs logs` (task output) and `slipway run ID` (one run's task timeline). */
import type { Command } from 'commander';
import type { ApiRun, RunsPage } from '../api-types.js';
import { taskId } from '../../core/index.js';
import { act, serverCommand } from '../context.js';
import { collect } from '../pairs.js';
import { resultColor } from '../output.js';
import { ago, duration, table } from '../table.js';
import { registerRunLogs } from './run-logs.js';

interface ListOpts {
  project?: string;
  stage?: string;
  release?: string;
  service?: string;
  state: string[];
  limit: string;
  cursor?: string;
}

export function registerRuns(program: Command): void {
  const runs = serverCommand(program, 'runs', 'list runs, newest first')
    .option('--project <name>', 'only this project')
    .option('--stage <name>', 'only this stage')
    .option('--release <id>', 'only this release')
    .option('--service <name>', "only runs whose release holds this service")
    .option('--state <state>', 'only runs in this state (repeatable)', collect, [])
    .option('--limit <n>', 'at most this many', '20')
    .option('--cursor <c>', 'continue after a previous page')
    .action(
      act<ListOpts>(async (ctx, _args, o) => {
        const page = await ctx.client.request<RunsPage>('GET', '/api/v1/runs', {
          query: { project: o.project, stage: o.stage, release: o.release, service: o.service, state: o.state.length ? o.state : undefined, limit: o.limit, cursor: o.cursor },
        });
        if (ctx.json) return ctx.emit(page);
        // A queued run held by a freeze window shows as frozen.
        const rows = page.runs.map((r) => [r.id, r.project, r.stage, r.releaseId, r.frozen ? 'frozen' : resultColor(r.state)(r.state), r.result ?? '-', ago(r.queuedAt)]);
        ctx.print(table(['RUN', 'PROJECT', 'STAGE', 'RELEASE', 'STATE', 'RESULT', 'QUEUED'], rows));
        if (page.nextCursor) ctx.print(`more: --cursor ${page.nextCursor}`);
      }),
    );
  registerRunLogs(runs);
}

export function printRun(r: ApiRun, print: (l: string) => void): void {
  print(`run ${r.id}  ${r.project}/${r.stage} (${r.sequence})  release ${r.releaseId}`);
  print(`state ${resultColor(r.state)(r.state)}${r.result ? `  result ${resultColor(r.result)(r.result)}` : ''}  services ${r.services.join(', ')}${r.reason ? `  (${r.reason})` : ''}`);
  if (r.frozen) print(`frozen by ${r.frozen.windows.join(', ')} until ${r.frozen.atLeast ? 'at least ' : ''}${new Date(r.frozen.until).toISOString()}${r.frozen.reason ? `: ${r.frozen.reason}` : ''}`);
  if (r.freezeOverride) print(`freeze ${r.freezeOverride.windows.join(', ')} overridden by ${r.freezeOverride.by}: ${r.freezeOverride.reason}`);
  const rows = r.tasks.map((t) => [
    t.name,
    t.kind,
    t.state,
    t.result ? resultColor(t.result)(t.result) : '-',
    String(t.attempt),
    duration(t.triggeredAt, t.finishedAt),
    (t.message ?? '').split('\n')[0]!.slice(0, 80),
  ]);
  print(table(['TASK', 'KIND', 'STATE', 'RESULT', 'ATTEMPT', 'TOOK', 'MESSAGE'], rows));
  // A task waiting for its delay (Keptn's triggeredAfter) or a retry's backoff: when it is due, and how not to wait.
  for (const t of r.tasks) {
    if (t.state === 'scheduled' && t.waitUntil) print(`${t.name} is due at ${new Date(t.waitUntil).toISOString()}; trigger it now with: slipway signal ${taskId(r.id, t.name, t.attempt)} skip`);
  }
}
