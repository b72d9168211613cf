/**
 * Freeze windows starting and ending. The core records no event when a window opens or
 * closes (a freeze only shows as runs it holds), so these notices come from the calendar:
 * each window's occurrences that start or end within (from, to]. One notice per window
 * occurrence, not per merged freeze: people read "quarter-end started", not a union.
 */
import type { FreezeWindowSpec } from '../core/index.js';
import type { WindowSpan } from '../triggers/index.js';
import { formatLocal, holdingAt, nextClosing } from '../triggers/index.js';
import type { Notice } from './notice.js';

/** Occurrences followed per window and scan (a window every minute, after a day down, is not a thousand messages). */
const MAX_PER_WINDOW = 20;

export function freezeNotices(project: string, windows: readonly FreezeWindowSpec[], from: number, to: number): Notice[] {
  const out: Notice[] = [];
  for (const w of windows) {
    const spans: WindowSpan[] = [...holdingAt([w], from)];
    for (let t = from, i = 0; i < MAX_PER_WINDOW; i++) {
      const s = nextClosing([w], t);
      if (!s || s.start > to) break;
      spans.push(s);
      t = s.start;
    }
    for (const s of spans) {
      if (s.start > from && s.start <= to) out.push(notice(project, s, 'started'));
      if (s.end > from && s.end <= to) out.push(notice(project, s, 'ended'));
    }
  }
  return out.sort((a, b) => a.at - b.at || (a.topic === b.topic ? 0 : a.topic === 'freeze.ended' ? -1 : 1));
}

/** The next instant after `t` when a window starts or ends; undefined when none will. */
export function nextFreezeChange(windows: readonly FreezeWindowSpec[], t: number): number | undefined {
  let next: number | undefined;
  for (const w of windows) {
    for (const s of holdingAt([w], t)) if (s.end > t) next = Math.min(next ?? s.end, s.end);
    const s = nextClosing([w], t);
    if (s) next = Math.min(next ?? s.start, s.start);
  }
  return next;
}

function notice(project: string, s: WindowSpan, what: 'started' | 'ended'): Notice {
  const w = s.window;
  const stages = w.stages.includes('*') ? 'every stage' : w.stages.join(', ');
  const who = w.appliesTo === 'automation' ? ' for automation' : '';
  const one = w.stages.length === 1 ? 's' : '';
  const title =
    what === 'started'
      ? `Freeze '${w.name}' started: ${stages} take${one} no new runs${who} until ${formatLocal(s.end, w.timeZone)}`
      : `Freeze '${w.name}' ended: ${stages} open${one} again`;
  return {
    id: `freeze:${w.name}:${s.start}:${what}`,
    topic: what === 'started' ? 'freeze.started' : 'freeze.ended',
    project,
    at: what === 'started' ? s.start : s.end,
    title,
    actors: [],
    freeze: { window: w.name, stages: [...w.stages], appliesTo: w.appliesTo, timeZone: w.timeZone, start: s.start, end: s.end, ...(w.reason !== undefined ? { reason: w.reason } : {}) },
    ...(w.reason !== undefined ? { reason: w.reason } : {}),
  };
}
