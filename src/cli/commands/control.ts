/** Changing runs and tasks on the server: approve, reject (also ahead of a run), list approvals, signal, abort, pause, resume, retry, promote. */
import type { Command } from 'commander';
import { SlipwayError } from '../../core/index.js';
import type { ApiRun, Triggered } from '../api-types.js';
import type { CommandContext } from '../context.js';
import { act, serverCommand } from '../context.js';
import { ago, table } from '../table.js';
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

interface ApprovalResult {
  counts: boolean;
  why: string | null;
  outcome: 'approved' | 'rejected' | 'waiting' | 'kept';
  progress: string;
}

interface Answered {
  taskId: string;
  runId: string;
  approval?: ApprovalResult;
}

interface ApiApprovals {
  approvals: { project: string; stage: string; releaseId: string; taskId: string; since: number | null; progress: { summary: string; mayApprove: string } }[];
  ahead: { project: string; stage: string; releaseId: string; by: string; decision: string; at: number; comment: string | null }[];
}

/** One line on what an answer did: decided the task, counted without deciding, or did not count. */
function describeAnswer(verb: 'approve' | 'reject', what: string, a: ApprovalResult | undefined): string {
  const done = verb === 'approve' ? 'approved' : 'rejected';
  if (!a) return `${done} ${what}`;
  if (a.outcome === 'approved' || a.outcome === 'rejected') return `${a.outcome} ${what}: ${a.progress}`;
  if (a.outcome === 'kept') return `kept your ${verb === 'approve' ? 'approval' : 'rejection'} of ${what}: ${a.progress.replace(/^kept: /, '')}`;
  if (!a.counts) return `recorded your ${verb === 'approve' ? 'approval' : 'rejection'} of ${what}, but it does not count: ${a.why ?? ''}\nstill waiting: ${a.progress}`;
  return `recorded your ${verb === 'approve' ? 'approval' : 'rejection'} of ${what}; still waiting: ${a.progress}`;
}

async function ahead(ctx: CommandContext, verb: 'approve' | 'reject', id: string | undefined, o: { release?: string; stage?: string; comment?: string }): Promise<void> {
  if (id !== undefined) throw new SlipwayError('INVALID_INPUT', `give either a task id or --release with --stage, not both (got '${id}' and --release)`, { field: 'id' });
  if (o.release === undefined || o.stage === undefined) throw new SlipwayError('INVALID_INPUT', `${verb} --release needs --stage too (and --stage needs --release)`, { field: o.release === undefined ? 'release' : 'stage' });
  const body = { stage: o.stage, decision: verb, ...(o.comment ? { comment: o.comment } : {}) };
  const r = await ctx.client.request<ApprovalResult & { releaseId: string; stage: string; runId: string | null }>('POST', `/api/v1/releases/${encodeURIComponent(o.release)}/approvals`, { body });
  if (ctx.json) return ctx.emit(r);
  ctx.print(describeAnswer(verb, `release ${r.releaseId} in ${r.stage}`, r));
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

  for (const verb of ['approve', 'reject'] as const) {
    serverCommand(program, verb, `${verb} a task waiting for approval, or a release in a stage ahead of its run`)
      .argument('[id]', 'task id, or the run id when one approval waits in it')
      .option('--release <id>', `${verb} this release in --stage: counted on its approval task there, now or when it waits`)
      .option('--stage <name>', 'the stage, with --release')
      .option('--comment <text>', 'why')
      .action(
        act<{ comment?: string; release?: string; stage?: string }>(async (ctx, [id], o) => {
          if (o.release !== undefined || o.stage !== undefined) return ahead(ctx, verb, id, o);
          if (id === undefined) throw new SlipwayError('INVALID_INPUT', `${verb} needs a task id (or run id), or --release R --stage S`, { field: 'id' });
          const taskId = await waitingTask(ctx, id, verb);
          const r = await ctx.client.request<Answered>('POST', `/api/v1/tasks/${encodeURIComponent(taskId)}/${verb}`, { body: o.comment ? { comment: o.comment } : {} });
          if (ctx.json) return ctx.emit(r);
          ctx.print(describeAnswer(verb, r.taskId, r.approval));
        }),
      );
  }

  serverCommand(program, 'approvals', 'list approval tasks waiting, who may still approve, and approvals given ahead')
    .option('--project <name>', 'only this project')
    .action(
      act<{ project?: string }>(async (ctx, _a, o) => {
        const q = o.project ? `?project=${encodeURIComponent(o.project)}` : '';
        const r = await ctx.client.request<ApiApprovals>('GET', `/api/v1/approvals${q}`);
        if (ctx.json) return ctx.emit(r);
        if (r.approvals.length === 0) ctx.print('no approval waits');
        else {
          ctx.print(
            table(
              ['PROJECT', 'STAGE', 'RELEASE', 'TASK', 'WAITING', 'PROGRESS', 'MAY APPROVE'],
              r.approvals.map((a) => [a.project, a.stage, a.releaseId, a.taskId, ago(a.since), a.progress.summary, a.progress.mayApprove]),
            ),
          );
        }
        if (r.ahead.length > 0) {
          ctx.print('');
          ctx.print('given ahead (counted when the release reaches the stage):');
          ctx.print(table(['PROJECT', 'STAGE', 'RELEASE', 'BY', 'DECISION', 'GIVEN', 'COMMENT'], r.ahead.map((a) => [a.project, a.stage, a.releaseId, a.by, a.decision, ago(a.at), a.comment ?? ''])));
        }
      }),
    );

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
