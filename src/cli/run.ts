/**
 * `slipway run`: the engine in this process on a SQLite file. Triggers a release, prints
 * progress, follows promotions as far as they go, and exits 0 when the release passed
 * every stage it entered, 1 when it failed, 3 when it waits for something this process
 * cannot give (naming it). Run again after a crash, it resumes what was in flight.
 */
import type { Command } from 'commander';
import type { Run } from '../core/index.js';
import { SlipwayError, releaseIdOf, taskId } from '../core/index.js';
import type { Slipway } from '../main.js';
import type { ApiRun } from './api-types.js';
import { printRun } from './commands/runs.js';
import { contextOf } from './context.js';
import { artifactPairs, collect } from './pairs.js';
import { printProgress } from './progress.js';
import { describeOutcome, summarize, type RunSummary } from './summary.js';
import { accepts, explainWaits } from './waits.js';

interface RunOptions {
  project?: string;
  service: string[];
  artifact: string[];
  stage?: string;
  sequence?: string;
  data: string;
  json?: boolean;
  approve?: string;
  commit?: string;
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run a release through the pipeline in this process (embedded SQLite store); `slipway run <run-id>` shows a run on the server')
    .argument('[file]', 'pipeline file (slipway.yaml or a Keptn shipyard), or a run id (run-…) to show', 'slipway.yaml')
    .option('--server <url>', 'with a run id: the Slipway server')
    .option('--project <name>', "project name: a Keptn shipyard runs as this project (e.g. sockshop); a slipway.yaml's must match its metadata.name")
    .option('--service <name>', 'service of the next --artifact (repeatable, in pairs)', collect, [])
    .option('--artifact <ref>', 'artifact of the preceding --service (repeatable, in pairs)', collect, [])
    .option('--stage <name>', 'stage the release enters (default: the first stage)')
    .option('--sequence <name>', "sequence to run in that stage (default: the stage's first; e.g. delivery-direct, remediation)")
    .option('--data <dir>', 'data directory', process.env['SLIPWAY_DATA'] ?? '.slipway')
    .option('--commit <sha>', 'commit the artifacts were built from (provenance)')
    .option('--approve <which>', "answer manual approvals: 'all'")
    .option('--json', 'print one JSON object with the outcome at the end')
    .action(async (file: string, opts: RunOptions, cmd: Command) => {
      if (/^run-[0-9a-f]+$/.test(file) && opts.service.length === 0) {
        const ctx = contextOf(cmd);
        const run = await ctx.client.request<ApiRun>('GET', `/api/v1/runs/${file}`);
        if (opts.json) ctx.emit(run);
        else printRun(run, ctx.print);
        return;
      }
      process.exitCode = await runCommand(file, opts);
    });
}

async function runCommand(file: string, opts: RunOptions): Promise<number> {
  if (opts.approve !== undefined && opts.approve !== 'all') {
    throw new SlipwayError('INVALID_INPUT', `--approve takes 'all', got '${opts.approve}'`, { field: 'approve' });
  }
  const artifacts = artifactPairs(opts.service, opts.artifact);
  // Loaded here, not at the top: every other command starts without the engine and the store (fast start).
  const { openSlipway } = await import('../main.js');
  const slipway = await openSlipway({ dataDir: opts.data, unservedKinds: 'fail' });
  try {
    const { pipeline, warnings } = await slipway.addPipelineFile(file, opts.project !== undefined ? { project: opts.project } : {});
    for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
    if (opts.project !== undefined && opts.project !== pipeline.name) {
      throw new SlipwayError('UNKNOWN_PROJECT', `project '${opts.project}' is not defined in ${file}; it defines '${pipeline.name}'`, { field: 'project' });
    }
    const out = (line: string) => process.stderr.write(`${line}\n`);
    const stop = printProgress(slipway.engine, out);
    const releaseId = await start(slipway, pipeline.name, artifacts, opts, out);
    const outcome = await follow(slipway, releaseId, opts.approve === 'all', out);
    stop();
    // Read before the summary: the engine's view holds the runs in flight and their releases.
    const waits = outcome === 'waiting' ? explainWaits(slipway.engine.view, releaseId, { file, data: opts.data }) : [];
    const summary = await summarize(slipway.store, releaseId);
    const described = describeOutcome(await slipway.store.listRuns({ releaseId, limit: 1000 }), pipeline.stages.map((st) => st.name));
    if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else printSummary(summary, out);
    out(`release ${releaseId} ${described.text}`);
    if (outcome === 'waiting') {
      out(`the release waits, and nothing in this process can move it on (exit code ${EXIT_WAITING}):`);
      for (const line of waits) out(line);
      return EXIT_WAITING;
    }
    return described.ok ? 0 : 1;
  } finally {
    await slipway.close();
  }
}

/** Triggers the release, or resumes it when it is already in flight (a rerun after a crash). */
async function start(slipway: Slipway, project: string, artifacts: Record<string, string>, opts: RunOptions, out: (l: string) => void): Promise<string> {
  const inflight = [...slipway.engine.view.runs.values()].filter(
    (r) => r.project === project && sameArtifacts(slipway, r, artifacts),
  );
  if (inflight.length > 0) {
    out(`resuming release ${inflight[0]!.releaseId}: ${inflight.map((r) => `${r.stage} (${r.state})`).join(', ')}`);
    return inflight[0]!.releaseId;
  }
  const list = Object.entries(artifacts).map(([s, a]) => `${s}=${a}`).join(' ');
  const entry = opts.stage ?? slipway.engine.pipeline(project)?.stages[0]?.name;
  const stage = slipway.engine.pipeline(project)?.stages.find((s) => s.name === entry);
  if (opts.sequence !== undefined && stage && !stage.sequences.some((q) => q.name === opts.sequence)) {
    const names = stage.sequences.map((q) => q.name).join(', ');
    throw new SlipwayError('INVALID_INPUT', `stage '${entry}' has no sequence '${opts.sequence}'; its sequences: ${names}; pick one with --sequence (and the stage with --stage)`, { field: 'sequence' });
  }
  const { sha256 } = await import('../engine/index.js');
  out(`release ${releaseIdOf(project, artifacts, sha256)} (${list}) → ${entry}${opts.sequence !== undefined ? ` (sequence ${opts.sequence})` : ''}`);
  const d = await slipway.engine.apply({
    type: 'trigger',
    id: crypto.randomUUID(),
    project,
    artifacts,
    by: `cli:${process.env['USER'] ?? 'local'}`,
    provenance: { source: 'cli', ...(opts.commit ? { commit: opts.commit } : {}) },
    ...(opts.stage ? { stage: opts.stage } : {}),
    ...(opts.sequence ? { sequence: opts.sequence } : {}),
  });
  return d.value!.releaseId!;
}

function sameArtifacts(slipway: Slipway, run: Run, artifacts: Record<string, string>): boolean {
  const rel = slipway.engine.view.releases.get(run.releaseId)?.release.artifacts ?? {};
  const keys = Object.keys(artifacts);
  return keys.length === Object.keys(rel).length && keys.every((k) => rel[k] === artifacts[k]);
}

type Outcome = 'done' | 'waiting';

/** `slipway run`'s exit code for a release that waits (an approval, a queue, a pause): see docs/cli.md. */
export const EXIT_WAITING = 3;

/**
 * Waits until no run of the release is left in flight; answers manual approvals when asked
 * to. Stops early, with 'waiting', when nothing in this process can move any more: every
 * run is paused, queued, or waits on a signal only a person can give.
 */
function follow(slipway: Slipway, releaseId: string, approveAll: boolean, out: (l: string) => void): Promise<Outcome> {
  const { engine } = slipway;
  return new Promise((resolve, reject) => {
    const approved = new Set<string>();
    // --approve all answers this release's approvals only: another release's approval blocks it.
    // It answers each once: an approval whose policy needs more approvers still waits on people.
    const answerable = (r: Run, t: Run['tasks'][number]) => approveAll && r.releaseId === releaseId && accepts(t, 'approve') && !approved.has(taskId(r.id, t.name, t.attempt));
    const stuck = (r: Run) =>
      r.state === 'paused' ||
      r.state === 'queued' ||
      (r.state === 'waiting' && r.tasks.every((t) => t.state !== 'waiting' || (t.waitUntil === undefined && !answerable(r, t))));
    const check = () => {
      const all = [...engine.view.runs.values()].filter((r) => !['succeeded', 'failed', 'aborted'].includes(r.state));
      const ours = all.filter((r) => r.releaseId === releaseId);
      if (ours.length === 0) return finish('done');
      if (approveAll) {
        for (const r of ours) {
          for (const t of r.tasks.filter((x) => x.state === 'waiting' && accepts(x, 'approve'))) {
            const id = taskId(r.id, t.name, t.attempt);
            if (approved.has(id)) continue;
            approved.add(id);
            out(`  approving ${r.stage}/${t.name} (--approve all)`);
            engine.apply({ type: 'task.signal', id: crypto.randomUUID(), taskId: id, signal: 'approve', by: 'cli:--approve all' }).catch(reject);
          }
        }
      }
      if (all.every(stuck) && engine.inflight === 0) finish('waiting');
    };
    const onCommit = () => check();
    const finish = (o: Outcome) => {
      engine.emitter.off('committed', onCommit);
      resolve(o);
    };
    engine.emitter.on('committed', onCommit);
    check();
  });
}

function printSummary(s: RunSummary, out: (l: string) => void): void {
  out('');
  const width = Math.max(...Object.keys(s.stages).map((n) => n.length), 5);
  for (const [name, st] of Object.entries(s.stages)) {
    out(`${name.padEnd(width)}  ${st.state.padEnd(9)}  ${st.result.padEnd(7)}  ${st.tasks.map((t) => `${t.name}:${t.result}`).join(' ')}`);
  }
}
