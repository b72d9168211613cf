/** Changing runs and tasks on the server: approve, reject, signal, abort, pause, resume, retry, promote. */
import type { Command } from 'commander';
import { SlipwayError } from '../../core/index.js';
import type { ApiRun, Triggered } from '../api-types.js';
import type { CommandContext } from '../context.js';
import { act, serverCommand } from '../context.js';
import { watchRun } from './watch.js';

/** A task id, or a run id whose single waiting task is meant. */
async function waitingTask(ctx: CommandContext, id: string, accepting: string): Promise<string> {
  if (!/^run-[0-9a-f]+$/.test(id)) return id;
  const run = await ctx.client.request<ApiRun>('GET', `/api/v1/runs/${id}`);
  const waiting = run.tasks.filter((t) => t.state === 'waiting' && (t.waitingFor ?? '').split('|').includes(accepting));
  if (waiting.length !== 1) {
    throw new SlipwayError('INVALID_STATE', `run ${id} has ${waiting.length} tasks waiting for '${accepting}'; name the task id (<run>.<task>.<attempt>)`, { field: 'id' });
  }
  return `${run.id}.${waiting[0]!.name}.${waiting[0]!.attempt}`;
}

export function registerControl(program: Command): void {
  serverCommand(program, 'rollback', "run an earlier release in a stage again (default: the stage's last good release)")
    .requiredOption('--project <name>', 'project')
    .requiredOption('--stage <name>', 'stage')
    .option('--to <release>', 'release id to go back to (it must have run in the stage)')
    .option('--reason <text>', 'why (recorded in the event log)')
    .option('--wait', 'follow the rollback run until it settles; exit 0 on pass, 1 on fail')
    .action(
      act<{ project: string; stage: string; to?: string; reason?: string; wait?: boolean }>(async (ctx, _a, o) => {
        const body = { ...(o.to ? { to: o.to } : {}), ...(o.reason ? { reason: o.reason } : {}) };
        const r = await ctx.client.request<Triggered>('POST', `/api/v1/projects/${encodeURIComponent(o.project)}/stages/${encodeURIComponent(o.stage)}/rollback`, { body });
        if (!o.wait) return ctx.json ? ctx.emit(r) : ctx.print(`rolling ${o.stage} back to release ${r.releaseId} as run ${r.runId}`);
        if (!ctx.json) ctx.print(`rolling ${o.stage} back to release ${r.releaseId} as run ${r.runId}`);
        return watchRun(ctx, r.runId);
      }),
    );

  for (const [name, verb] of [['approve', 'approve'], ['reject', 'reject']] as const) {
    serverCommand(program, name, `${verb} a task waiting for approval`)
      .argument('<id>', 'task id, or the run id when one approval waits in it')
      .option('--comment <text>', 'why')
      .action(
        act<{ comment?: string }>(async (ctx, [id], o) => {
          const taskId = await waitingTask(ctx, id!, verb);
          const r = await ctx.client.request<{ taskId: string; runId: string }>('POST', `/api/v1/tasks/${encodeURIComponent(taskId)}/${verb}`, { body: o.comment ? { comment: o.comment } : {} });
          if (ctx.json) ctx.emit(r);
          else ctx.print(`${verb === 'approve' ? 'approved' : 'rejected'} ${r.taskId}`);
        }),
      );
  }

  serverCommand(program, 'signal', 'send a signal to a waiting task (e.g. stop or skip a soak)')
    .argument('<id>', 'task id')
    .argument('<signal>', 'signal name')
    .option('--reason <text>', 'why')
    .action(
      act<{ reason?: string }>(async (ctx, [id, signal], o) => {
        const r = await ctx.client.request<{ taskId: string }>('POST', `/api/v1/tasks/${encodeURIComponent(id!)}/signal`, { body: { signal, ...(o.reason ? { payload: { reason: o.reason } } : {}) } });
        if (ctx.json) ctx.emit(r);
        else ctx.print(`sent ${signal} to ${r.taskId}`);
      }),
    );

  for (const verb of ['abort', 'pause', 'resume', 'retry'] as const) {
    serverCommand(program, verb, `${verb} a run`)
      .argument('<run>', 'run id')
      .option('--reason <text>', 'why (recorded in the event log)')
      .action(
        act<{ reason?: string }>(async (ctx, [runId], o) => {
          const r = await ctx.client.request<{ runId: string; state: string }>('POST', `/api/v1/runs/${encodeURIComponent(runId!)}/${verb}`, { body: o.reason ? { reason: o.reason } : {} });
          if (ctx.json) ctx.emit(r);
          else ctx.print(`run ${r.runId} is ${r.state}`);
        }),
      );
  }

  serverCommand(program, 'promote', 'promote a release into a stage whose upstream it passed')
    .requiredOption('--project <name>', 'project')
    .requiredOption('--release <id>', 'release id')
    .requiredOption('--stage <name>', 'stage to enter')
    .action(
      act<{ project: string; release: string; stage: string }>(async (ctx, _a, o) => {
        const r = await ctx.client.request<Triggered>('POST', `/api/v1/projects/${encodeURIComponent(o.project)}/releases/${encodeURIComponent(o.release)}/promote`, { body: { stage: o.stage } });
        if (ctx.json) ctx.emit(r);
        else ctx.print(`release ${r.releaseId} queued into ${o.stage} as run ${r.runId}`);
      }),
    );
}
