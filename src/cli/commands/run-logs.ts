/**
 * `slipway runs logs RUN [TASK] [--follow]`: a shell task's output (every shell task's, in
 * order, without TASK). `--follow` keeps asking from where the last answer stopped until the
 * task (or, without TASK, the run) has ended, printing output as the command writes it.
 */
import type { Command } from 'commander';
import type { ApiRun } from '../api-types.js';
import type { CommandContext } from '../context.js';
import { act, serverCommand } from '../context.js';

interface OutputAnswer {
  taskId: string;
  state: string;
  next: number;
  text: string;
  done: boolean;
  logged: boolean;
}

const POLL_MS = 500;
const ENDED = new Set(['finished', 'skipped']);

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Prints one task's output; with `follow`, until it ends. Returns whether it had a log. */
async function printTask(ctx: CommandContext, runId: string, task: string, follow: boolean, header: boolean): Promise<boolean> {
  const path = `/api/v1/runs/${encodeURIComponent(runId)}/tasks/${encodeURIComponent(task)}/output`;
  let from = 0;
  let headed = false;
  for (;;) {
    const a = await ctx.client.request<OutputAnswer>('GET', path, { query: { from } });
    if (a.text && header && !headed) {
      ctx.print(`== ${task} (${a.taskId})`);
      headed = true;
    }
    if (a.text) process.stdout.write(a.text);
    const moved = a.next !== from;
    from = a.next;
    // Not a shell task (or one skipped before its command started): nothing will come.
    if (a.done || (!a.logged && ENDED.has(a.state))) return a.logged;
    if (!follow) {
      if (!moved) return a.logged;
      continue; // more than one answer's worth is there already
    }
    if (!moved) await pause(POLL_MS);
  }
}

export function registerRunLogs(runs: Command): void {
  serverCommand(runs, 'logs', "print a shell task's output (every shell task's without TASK); --follow streams it while it runs")
    .argument('<run>', 'run id')
    .argument('[task]', "task name in the run's stage")
    .option('-f, --follow', 'keep printing output until the task (or the run) ends')
    .action(
      act<{ follow?: boolean }>(async (ctx, [runId, task], o) => {
        const follow = Boolean(o.follow);
        if (task) {
          await printTask(ctx, runId!, task, follow, false);
          return;
        }
        const run = await ctx.client.request<ApiRun>('GET', `/api/v1/runs/${encodeURIComponent(runId!)}`);
        let any = false;
        // The shell tasks and any task an outside executor might log; tasks with no log are passed over.
        for (const t of run.tasks.filter((t) => t.kind === 'shell')) any = (await printTask(ctx, runId!, t.name, follow, true)) || any;
        if (!any) ctx.print(`run ${runId} has no shell task output${run.tasks.some((t) => t.kind === 'shell') ? ' yet' : ''}`);
      }),
    );
}
