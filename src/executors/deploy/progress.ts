/**
 * Where a deploy task got to, kept in a file per task id so a restarted Slipway continues
 * at the step it stopped at (every step is safe to repeat).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SlotTraffic } from '../../platform/index.js';
import type { AnalysisState } from './analysis-run.js';
import type { SeriesPoint } from './series.js';

export interface Progress {
  step: number;
  /** Per service: the slot the new version goes to, and the slot that served before (if any). */
  slots: Record<string, { next: string; previous?: string }>;
  /** Traffic counters of the new slot when the current analysis window opened. */
  window: Record<string, SlotTraffic>;
  pauseUntil?: number;
  /** True once the new version took live traffic. */
  traffic: boolean;
  /** Nothing served before (the first deploy): no canary or mirror to run against, so it switches. */
  first?: boolean;
  /** The measured analysis of the current step while it runs (judge samples, threshold measurements). */
  analysis?: AnalysisState;
  /** Set while the canary waits for a person after an inconclusive or marginal analysis. */
  held?: { reason: string; output: Record<string, unknown> };
  /** Why an analysis failed, once traffic was restored: a redelivery reports the same failure instead of analysing again. */
  failed?: string;
  /** Each measured analysis's outcome, for the task's output. */
  analyses?: { step: number; verdict: string; reason: string; by?: string; output: Record<string, unknown> }[];
  /** Per service: the new version's share of live traffic now (percent), for the series. */
  weights?: Record<string, number>;
  /** The canary's weights and slot counters over time (series.ts). */
  series?: SeriesPoint[];
}

function file(workDir: string, taskId: string): string {
  return join(workDir, `${taskId.replace(/[^A-Za-z0-9._-]/g, '_')}.deploy.json`);
}

export async function loadProgress(workDir: string, taskId: string): Promise<Progress | undefined> {
  try {
    return JSON.parse(await readFile(file(workDir, taskId), 'utf8')) as Progress;
  } catch {
    return undefined;
  }
}

export async function saveProgress(workDir: string, taskId: string, p: Progress): Promise<void> {
  await mkdir(workDir, { recursive: true });
  const path = file(workDir, taskId);
  await writeFile(`${path}.tmp`, JSON.stringify(p));
  await rename(`${path}.tmp`, path);
}
