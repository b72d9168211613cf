/**
 * `slipway soak stop|skip RUN_OR_TASK --reason TEXT`: end a soak early. `stop` fails it (the
 * run fails, and rolls back where the release took traffic); `skip` passes it. The same
 * works on a run waiting for upstream alarms to clear (alarm-check). Needs the `trigger` scope.
 */
import type { Command } from 'commander';
import { SlipwayError, isSlipwayError } from '../../core/index.js';
import type { ApiRun } from '../api-types.js';
import type { CommandContext } from '../context.js';
import { act, serverCommand } from '../context.js';

/** Kinds that wait and accept stop and skip. */
const SOAKS = new Set(['wait', 'alarm-check']);

/** A soak task that is polling its alarms right now: it waits again in a moment. */
class Polling extends SlipwayError {}

/** The task id: given, or the one soak waiting in the run. */
async function soakTask(ctx: CommandContext, id: string): Promise<string> {
  if (!/^run-[0-9a-f]+$/.test(id)) return id;
  const run = await ctx.client.request<ApiRun>('GET', `/api/v1/runs/${encodeURIComponent(id)}`);
  const waiting = run.tasks.filter((t) => t.state === 'waiting' && SOAKS.has(t.kind));
  const polling = run.tasks.filter((t) => t.state === 'started' && SOAKS.has(t.kind));
  if (waiting.length === 0 && polling.length > 0) {
    throw new Polling('INVALID_STATE', `the soak '${polling[0]!.name}' of run ${id} is polling its alarms; try again in a moment`, { field: 'id' });
  }
  if (waiting.length !== 1) {
    const what = waiting.length === 0 ? `no soak waits in run ${id} (it is ${run.state})` : `run ${id} has ${waiting.length} soaks waiting (${waiting.map((t) => t.name).join(', ')})`;
    throw new SlipwayError('INVALID_STATE', `${what}; name the task id (<run>.<task>.<attempt>)`, { field: 'id' });
  }
  return `${run.id}.${waiting[0]!.name}.${waiting[0]!.attempt}`;
}

/**
 * A soak that watches alarms wakes to poll them (every interval) and is briefly not waiting
 * then: a signal that lands in that moment is tried again, for a few seconds.
 */
async function signal(ctx: CommandContext, id: string, verb: string, reason: string): Promise<{ taskId: string; runId: string }> {
  // A poll takes as long as the alarm sources answer (up to their 10 s timeout).
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const taskId = await soakTask(ctx, id);
      return await ctx.client.request<{ taskId: string; runId: string }>('POST', `/api/v1/tasks/${encodeURIComponent(taskId)}/signal`, { body: { signal: verb, payload: { reason } } });
    } catch (e) {
      const polling = e instanceof Polling || (isSlipwayError(e) && e.code === 'INVALID_STATE' && /is not waiting for a signal \(it is (started|triggered)\)/.test(e.message));
      if (!polling || Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export function registerSoak(program: Command): void {
  const soak = program.command('soak').description('end a soak (wait task) early: stop fails it, skip passes it');
  for (const [verb, effect] of [['stop', 'fail the soak (the stage rolls back where the release took traffic)'], ['skip', 'pass the soak now']] as const) {
    serverCommand(soak, verb, effect)
      .argument('<id>', 'run id (with one soak waiting) or task id')
      .requiredOption('--reason <text>', 'why (recorded on the task and in the event log)')
      .action(
        act<{ reason: string }>(async (ctx, [id], o) => {
          if (o.reason.trim() === '') throw new SlipwayError('INVALID_INPUT', `soak ${verb} needs a reason: say why, e.g. --reason "error rate up after deploy"`, { field: 'reason' });
          const r = await signal(ctx, id!, verb, o.reason);
          if (ctx.json) ctx.emit(r);
          else ctx.print(`${verb === 'stop' ? 'stopped' : 'skipped'} soak ${r.taskId}: ${o.reason}`);
        }),
      );
  }
}
