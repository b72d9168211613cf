/**
 * What a local release waits for when nothing in this process can move it: its own
 * approval, or the run ahead of it in a stage's queue (and what that run waits for), with
 * the command that answers each. `slipway run` prints it and exits 3 instead of waiting
 * silently.
 */
import type { CoreState, Run, TaskRun } from '../core/index.js';
import { TerminalRunStates, taskId } from '../core/index.js';

/** How to call `slipway run` again: the file and data directory the user gave. */
export interface RunCall {
  file: string;
  data: string;
}

export const accepts = (t: TaskRun, signal: string): boolean => (t.waitingFor ?? '').split('|').includes(signal);

const quote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`);

/** `slipway run FILE [--data D] --service S --artifact A … [extra]` for a release's artifacts. */
export function runCommandFor(call: RunCall, artifacts: Readonly<Record<string, string>>, extra = ''): string {
  const data = call.data === '.slipway' ? '' : ` --data ${quote(call.data)}`;
  const pairs = Object.entries(artifacts)
    .map(([s, a]) => ` --service ${quote(s)} --artifact ${quote(a)}`)
    .join('');
  return `slipway run ${quote(call.file)}${data}${pairs}${extra}`;
}

/** The runs a queued run waits behind: earlier in its stage's queue or holding its services. */
export function blockersOf(state: Readonly<CoreState>, run: Run): Run[] {
  return [...state.runs.values()]
    .filter(
      (o) =>
        o.id !== run.id &&
        o.project === run.project &&
        o.stage === run.stage &&
        !TerminalRunStates.has(o.state) &&
        (o.state !== 'queued' || o.queueSeq < run.queueSeq) &&
        o.services.some((s) => run.services.includes(s)),
    )
    .sort((a, b) => a.queueSeq - b.queueSeq);
}

/** Lines naming what each of the release's runs waits for, and how to answer it. */
export function explainWaits(state: Readonly<CoreState>, releaseId: string, call: RunCall): string[] {
  const lines: string[] = [];
  const artifactsOf = (id: string) => state.releases.get(id)?.release.artifacts ?? {};
  const ours = [...state.runs.values()].filter((r) => r.releaseId === releaseId && !TerminalRunStates.has(r.state));
  for (const run of ours) {
    if (run.state === 'queued') {
      const blockers = blockersOf(state, run);
      if (blockers.length === 0) lines.push(`  ${run.stage}: queued`);
      for (const b of blockers) {
        const list = Object.entries(artifactsOf(b.releaseId))
          .map(([s, a]) => `${s}=${a}`)
          .join(' ');
        lines.push(`  ${run.stage}: queued behind ${b.id} (release ${b.releaseId}: ${list}), which ${ownWait(b)}`);
        if (waitsForApproval(b)) {
          lines.push(`    ${howToApprove(b, call, artifactsOf(b.releaseId))}`);
          lines.push('    then run this command again to go on');
        }
      }
      continue;
    }
    lines.push(`  ${run.stage}: ${run.id} ${ownWait(run)}`);
    if (waitsForApproval(run)) lines.push(`    ${howToApprove(run, call, artifactsOf(run.releaseId))}`);
  }
  return lines;
}

/**
 * `--approve all` answers as one identity: enough for a plain approval, never for a policy that
 * needs several people (or named ones), which only a server with their tokens can gather.
 */
function howToApprove(run: Run, call: RunCall, artifacts: Readonly<Record<string, string>>): string {
  const task = run.tasks.find((t) => t.state === 'waiting' && accepts(t, 'approve'));
  const props = task ? run.spec.steps.flatMap((s) => s.tasks).find((t) => t.name === task.name)?.properties : undefined;
  const min = typeof props?.minApprovers === 'number' ? props.minApprovers : 1;
  if (min > 1 || props?.approvers !== undefined) {
    return `its approval policy needs ${min > 1 ? `${min} distinct approvers` : 'approvers named in its rules'}: run it on a server (\`slipway server\`) and answer with \`slipway approve\` from their tokens`;
  }
  return `approve it with: ${runCommandFor(call, artifacts, ' --approve all')}`;
}

function waitsForApproval(run: Run): boolean {
  return run.state === 'waiting' && run.tasks.some((t) => t.state === 'waiting' && accepts(t, 'approve'));
}

/** What one run waits for, as the end of a sentence. */
function ownWait(run: Run): string {
  if (run.state === 'paused') return 'is paused (only a server can resume it: `slipway resume RUN`)';
  if (run.state === 'queued') return 'is queued as well';
  const waiting = run.tasks.filter((t) => t.state === 'waiting');
  const approval = waiting.find((t) => accepts(t, 'approve'));
  if (approval) return `waits for its manual approval '${approval.name}' (task ${taskId(run.id, approval.name, approval.attempt)})${approval.message ? `: ${approval.message}` : ''}`;
  const other = waiting[0];
  if (other) return `waits for a signal to task '${other.name}' (${other.waitingFor ?? 'any'}; task ${taskId(run.id, other.name, other.attempt)})`;
  return `is ${run.state}`;
}
