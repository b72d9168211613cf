/** `slipway trigger`: hand the server a release, optionally following it to the end. */
import type { Command } from 'commander';
import type { Triggered } from '../api-types.js';
import { act, serverCommand } from '../context.js';
import { artifactPairs, collect } from '../pairs.js';
import { watchRelease } from './watch.js';

interface Opts {
  project: string;
  stage?: string;
  sequence?: string;
  service: string[];
  artifact: string[];
  commit?: string;
  wait?: boolean;
}

export function registerTrigger(program: Command): void {
  serverCommand(program, 'trigger', 'create a release from artifacts and queue it into a stage')
    .requiredOption('--project <name>', 'project')
    .option('--stage <name>', 'stage to enter (default: the first stage)')
    .option('--sequence <name>', 'sequence of the stage (default: its first)')
    .option('--service <name>', 'service of the next --artifact (repeatable, in pairs)', collect, [])
    .option('--artifact <ref>', 'artifact of the preceding --service (repeatable, in pairs)', collect, [])
    .option('--commit <sha>', 'commit the artifacts were built from')
    .option('--wait', 'follow the release until it settles; exit 0 on pass, 1 on fail')
    .action(
      act<Opts>(async (ctx, _args, opts) => {
        const artifacts = artifactPairs(opts.service, opts.artifact);
        const body = { artifacts, ...(opts.stage ? { stage: opts.stage } : {}), ...(opts.sequence ? { sequence: opts.sequence } : {}), ...(opts.commit ? { commit: opts.commit } : {}) };
        const t = await ctx.client.request<Triggered>('POST', `/api/v1/projects/${encodeURIComponent(opts.project)}/releases`, { body });
        if (!opts.wait) {
          if (ctx.json) ctx.emit(t);
          else ctx.print(`release ${t.releaseId} ${t.created === false ? 'is already in flight' : 'queued'} as run ${t.runId}`);
          return 0;
        }
        if (!ctx.json) ctx.print(`release ${t.releaseId} queued as run ${t.runId}`);
        return watchRelease(ctx, opts.project, t.releaseId);
      }),
    );
}
