/**
 * The previous release's load test in the same stage: the newest run of another release whose
 * task of the same name passed (or warned). Its per-level figures are kept in the event log as
 * that task's output, so nothing else needs storing; a relative threshold compares with them.
 */
import type { ExecutorContext } from '../../engine/executor.js';
import type { LevelFigures } from './drive.js';

export interface Previous {
  runId: string;
  releaseId: string;
  levels: LevelFigures[];
}

export async function previousFigures(ctx: ExecutorContext): Promise<Previous | undefined> {
  if (!ctx.runs) return undefined;
  const runs = await ctx.runs({ project: ctx.run.project, stage: ctx.run.stage, limit: 50 });
  for (const run of runs) {
    if (run.id === ctx.run.id || run.releaseId === ctx.run.releaseId) continue;
    const task = run.tasks.find((t) => t.name === ctx.task.name && t.kind === ctx.task.kind && (t.result === 'pass' || t.result === 'warning'));
    const levels = task?.data?.['levels'];
    if (Array.isArray(levels)) return { runId: run.id, releaseId: run.releaseId, levels: levels as LevelFigures[] };
  }
  return undefined;
}
