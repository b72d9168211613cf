/** Live progress of a local run: one line per run and task transition, as they commit. */
import type { SlipwayEvent } from '../core/index.js';
import { parseTaskEventType } from '../core/index.js';
import type { Engine } from '../engine/index.js';
import { resultColor, withMessage } from './output.js';

export function printProgress(engine: Engine, out: (line: string) => void): () => void {
  const onEvent = (ev: SlipwayEvent) => {
    const line = describe(ev);
    if (line) out(line);
  };
  engine.emitter.on('event', onEvent);
  return () => engine.emitter.off('event', onEvent);
}

function describe(ev: SlipwayEvent): string | undefined {
  const d = ev.data as Record<string, unknown>;
  const run = d['run'] as { stage?: string } | undefined;
  const stage = String(d['stage'] ?? run?.stage ?? '').padEnd(12);
  const task = parseTaskEventType(ev.type);
  if (task) {
    const name = task.task.padEnd(18);
    const attempt = Number(d['attempt'] ?? 1) > 1 ? ` (attempt ${String(d['attempt'])})` : '';
    switch (task.phase) {
      case 'triggered':
        return `  ${stage} ${name} started${attempt}`;
      case 'finished': {
        const result = String(d['result']);
        return withMessage(`  ${stage} ${name} ${resultColor(result)(result)}`, result, d['message']);
      }
      case 'waiting':
        return `  ${stage} ${name} waiting${d['message'] ? `: ${String(d['message'])}` : ''}`;
      case 'scheduled':
        return `  ${stage} ${name} scheduled for ${new Date(Number(d['dueAt'])).toISOString()}`;
      case 'skipped':
        return `  ${stage} ${name} skipped`;
      default:
        return undefined;
    }
  }
  switch (ev.type) {
    case 'sh.slipway.run.queued':
      return `${stage} queued`;
    case 'sh.slipway.run.started':
      return `${stage} running`;
    case 'sh.slipway.run.finished': {
      const state = String(d['state']);
      return `${stage} ${resultColor(state)(state)}${d['result'] ? ` (${String(d['result'])})` : ''}${d['reason'] ? `: ${String(d['reason'])}` : ''}`;
    }
    case 'sh.slipway.release.promotable':
      return `${stage} waits for a manual promotion`;
    case 'sh.slipway.release.approval':
      return approvalLine(stage, d);
    default:
      return undefined;
  }
}

/** An approve or reject under a policy: who, whether it counts, and the policy's progress. */
export function approvalLine(stage: string, d: Record<string, unknown>): string {
  const who = String(d['by']).replace(/^token:/, '');
  const what = d['decision'] === 'reject' ? 'rejection' : 'approval';
  if (d['task'] === undefined) return `${stage} ${what} by ${who} kept until the release's approval task here waits${d['comment'] ? `: ${String(d['comment'])}` : ''}`;
  // The progress names why an answer does not count: say only that it does not.
  const counts = d['counts'] === false ? ' (does not count)' : '';
  return `  ${stage} ${String(d['task']).padEnd(18)} ${what} by ${who}${d['ahead'] ? ' (given ahead)' : ''}${counts}: ${String(d['progress'] ?? '')}`;
}
