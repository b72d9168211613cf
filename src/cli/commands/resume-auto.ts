/** `slipway resume-auto STAGE --project P`: lift the hold a person's older choice put on automatic promotion into a stage. */
import type { Command } from 'commander';
import { act, serverCommand } from '../context.js';

interface Resumed {
  project: string;
  stage: string;
  resumed: true;
  heldBy: string;
  heldAt: number;
  heldRelease: string;
}

export function registerResumeAuto(program: Command): void {
  serverCommand(program, 'resume-auto', 'resume automatic promotion (upstream success, schedules) into a stage held since a person chose an older release there')
    .argument('<stage>', 'the held stage')
    .requiredOption('--project <name>', 'project')
    .option('--reason <text>', 'why (recorded in the event log)')
    .action(
      act<{ project: string; reason?: string }>(async (ctx, args, o) => {
        const stage = String(args[0]);
        const body = o.reason ? { reason: o.reason } : {};
        const r = await ctx.client.request<Resumed>('POST', `/api/v1/projects/${encodeURIComponent(o.project)}/stages/${encodeURIComponent(stage)}/resume-auto`, { body });
        if (ctx.json) return ctx.emit(r);
        ctx.print(`automatic promotion into ${r.stage} resumed (held since ${utc(r.heldAt)} by ${r.heldBy}, who chose release ${r.heldRelease})`);
      }),
    );
}

export function utc(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
