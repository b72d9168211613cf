/** The `web.*` figures, their targets, and their lines in the text report. */
import type { Target } from './report.js';
import type { WebOutcome } from './web.js';

export const MATRIX_READY_TARGET_MS = 1000;
export const LIVE_UPDATE_P99_TARGET_MS = 250;
/** The size the matrix target is set at; quick mode measures a smaller matrix and says so. */
const TARGET_STAGES = 1000;

export function webFiguresOf(w: WebOutcome): { figures: Record<string, number>; targets: Target[] } {
  if ('skipped' in w) return { figures: {}, targets: [] };
  const figures = {
    'web.matrix_ready_ms': w.matrixReadyMedianMs,
    'web.matrix_ready_cold_ms': w.matrixColdMs,
    'web.matrix_api_ms': w.matrixApiMs,
    'web.shell_ready_ms': w.shellReadyMs,
    'web.live_update_ms': w.live.p99Ms,
    'web.live_update_p50_ms': w.live.p50Ms,
    'web.live_sse_p99_ms': w.live.sseP99Ms,
  };
  const size = `${w.stages} stages × ${w.services} services${w.stages < TARGET_STAGES ? ` (scaled down; the target is set at ${TARGET_STAGES} stages)` : ''}`;
  const targets: Target[] = [
    { figure: 'web.matrix_ready_ms', value: w.matrixReadyMedianMs, target: `< ${MATRIX_READY_TARGET_MS} ms at ${size}`, met: w.matrixReadyMedianMs < MATRIX_READY_TARGET_MS },
    { figure: 'web.live_update_ms', value: w.live.p99Ms, target: `< ${LIVE_UPDATE_P99_TARGET_MS} ms (p99 of ${w.live.updates})`, met: w.live.p99Ms < LIVE_UPDATE_P99_TARGET_MS },
  ];
  return { figures, targets };
}

export function formatWebText(w: WebOutcome, targets: readonly Target[]): string {
  if ('skipped' in w) return `web: skipped: ${w.skipped}`;
  const mark = (name: string) => {
    const t = targets.find((x) => x.figure === name);
    return t ? `  target ${t.target}: ${t.met ? 'met' : 'MISSED'}` : '';
  };
  return [
    `web: the dashboard in Chromium (headless, fresh profile) against a real server on 127.0.0.1, ${w.stages} stages × ${w.services} services${w.stages < TARGET_STAGES ? ' (quick: scaled down from 1,000 stages)' : ''}, seeded with ${w.seed.runs} runs (${w.seed.seconds} s)`,
    `  environments page until the first row is painted with data: ${w.matrixReadyMs.join(', ')} ms (cold, nothing cached: ${w.matrixColdMs} ms)`,
    `  references: GET /api/v1/dashboard/matrix alone ${w.matrixApiMs} ms (${w.matrixBytes} bytes); the sign-in page (same bundle, no data) ${w.shellReadyMs} ms`,
    `  live: ${w.live.updates} updates, run.finished committed → cell painted: p50 ${w.live.p50Ms} ms, p99 ${w.live.p99Ms} ms, max ${w.live.maxMs} ms; the same event at a plain SSE client: p50 ${w.live.sseP50Ms} ms, p99 ${w.live.sseP99Ms} ms${w.live.aheadOfAnnouncement > 0 ? `; ${w.live.aheadOfAnnouncement} painted before the engine announced the commit (counted from the announcement)` : ''}`,
    `  web.matrix_ready_ms ${w.matrixReadyMedianMs} (median)${mark('web.matrix_ready_ms')}`,
    `  web.live_update_ms ${w.live.p99Ms} (p99)${mark('web.live_update_ms')}`,
  ].join('\n');
}
