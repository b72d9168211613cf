/**
 * The freeze calendar: given a pipeline's windows and an instant, which windows hold a
 * stage now, when it opens again, and when the next window closes it. Pure: time comes in
 * as an argument; the only state is a cache of parsed cron patterns.
 *
 * A recurring window starts at each time its cron names in its zone and lasts its duration
 * on that zone's wall clock (Fri 16:00 + 64h ends Mon 08:00 local even when the clocks
 * change that weekend: that freeze lasts 63 or 65 real hours). Local times the clocks skip
 * or repeat are read as zoned.ts says (skipped: the jump; repeated: the first time). A dated window runs from `from` to `to`, local times in its zone.
 * Windows that overlap or touch are one freeze: the stage opens when none holds.
 */
import { Cron } from 'croner';
import type { FreezeHold, FreezeWindowSpec, RunOrigin } from '../../core/index.js';
import { offsetAt, parseLocal, utcOf, wallOf } from './zoned.js';

const DAY = 86_400_000;

/** One occurrence of a window: it holds from `start` (inclusive) to `end` (exclusive), UTC ms. */
export interface WindowSpan {
  window: FreezeWindowSpec;
  start: number;
  end: number;
}

/** When the stage opens: `atLeast` when the merge of back-to-back windows stopped at its limit. */
export interface Opening {
  at: number;
  atLeast: boolean;
}

/** Back-to-back occurrences merged before giving up (a window every hour lasting two never ends). */
const MERGE_LIMIT = 64;

interface Compiled {
  /** The occurrence holding at `t` that ends last, if any. */
  containing(t: number): WindowSpan | undefined;
  /** The first occurrence starting after `t`. */
  nextAfter(t: number): WindowSpan | undefined;
}

const compiled = new WeakMap<FreezeWindowSpec, Compiled>();

function compile(w: FreezeWindowSpec): Compiled {
  let c = compiled.get(w);
  if (c) return c;
  const when = w.when;
  if (when.kind === 'dated') {
    const span = { window: w, start: utcOf(parseLocal(when.from) ?? NaN, w.timeZone), end: utcOf(parseLocal(when.to) ?? NaN, w.timeZone) };
    c = {
      containing: (t) => (span.start <= t && t < span.end ? span : undefined),
      nextAfter: (t) => (span.start > t ? span : undefined),
    };
  } else {
    // The cron names wall-clock times: it runs on a UTC clock standing for the zone's wall
    // clock, and each wall time maps to an instant by the same rule as dated times (zoned.ts).
    const cron = new Cron(when.cron, { timezone: 'UTC', paused: true });
    const zone = w.timeZone;
    const span = (wall: number): WindowSpan => ({ window: w, start: utcOf(wall, zone), end: utcOf(wall + when.durationMs, zone) });
    const prevWall = (wall: number): number | undefined => cron.previousRuns(1, new Date(Math.floor(wall / 1000) * 1000 + 1000))[0]?.getTime();
    c = {
      containing(t) {
        const wall = wallOf(t, zone);
        // After the clocks went back, wall times up to `back` ahead already happened once (the first time counts).
        const back = Math.max(0, offsetAt(t - DAY, zone) - offsetAt(t, zone));
        let best: WindowSpan | undefined;
        for (const probe of back > 0 ? [wall, wall + back] : [wall]) {
          const prev = prevWall(probe);
          if (prev === undefined) continue;
          const s = span(prev);
          // The latest start at or before t ends last: durations are equal and the mapping keeps order.
          if (s.start <= t && (!best || s.start > best.start)) best = s;
        }
        return best && t < best.end ? best : undefined;
      },
      nextAfter(t) {
        let next = cron.nextRun(new Date(wallOf(t, zone)))?.getTime();
        // Inside a repeated hour, wall times just ahead may have happened already (their first time).
        for (let i = 0; next !== undefined && utcOf(next, zone) <= t && i < 240; i++) next = cron.nextRun(new Date(next))?.getTime();
        return next === undefined ? undefined : span(next);
      },
    };
  }
  compiled.set(w, c);
  return c;
}

/** True when `w` holds `stage` for runs set off by `origin`. */
export function applies(w: FreezeWindowSpec, stage: string, origin: RunOrigin): boolean {
  return (w.stages.includes('*') || w.stages.includes(stage)) && (w.appliesTo === 'everyone' || origin === 'automation');
}

/** The occurrences of `windows` holding at `t`. */
export function holdingAt(windows: readonly FreezeWindowSpec[], t: number): WindowSpan[] {
  return windows.flatMap((w) => compile(w).containing(t) ?? []);
}

/** The first instant at or after `t` when none of `windows` holds. */
export function openingAt(windows: readonly FreezeWindowSpec[], t: number): Opening {
  let at = t;
  for (let i = 0; i < MERGE_LIMIT; i++) {
    const spans = holdingAt(windows, at);
    if (spans.length === 0) return { at, atLeast: false };
    at = Math.max(...spans.map((s) => s.end));
  }
  return { at, atLeast: true };
}

/** The first occurrence of `windows` starting after `t`. */
export function nextClosing(windows: readonly FreezeWindowSpec[], t: number): WindowSpan | undefined {
  let first: WindowSpan | undefined;
  for (const w of windows) {
    const s = compile(w).nextAfter(t);
    if (s && (!first || s.start < first.start)) first = s;
  }
  return first;
}

/** What holds `stage` at `t` for runs set off by `origin`, and until when; undefined when it is open. */
export function freezeHold(windows: readonly FreezeWindowSpec[], stage: string, t: number, origin: RunOrigin): FreezeHold | undefined {
  const mine = windows.filter((w) => applies(w, stage, origin));
  const now = holdingAt(mine, t);
  if (now.length === 0) return undefined;
  const open = openingAt(mine, t);
  const reason = now.find((s) => s.window.reason !== undefined)?.window.reason;
  return {
    windows: now.map((s) => s.window.name),
    until: open.at,
    ...(open.atLeast ? { atLeast: true } : {}),
    ...(reason !== undefined ? { reason } : {}),
  };
}

/** One stage's freeze picture at an instant, for `freeze list` and the status API. */
export interface StageFreeze {
  stage: string;
  /** Held for automation (auto promotion, schedules, webhooks). */
  frozen: boolean;
  /** Held for people too (a window that applies to everyone). */
  frozenForPeople: boolean;
  /** Occurrences holding now. */
  holding: WindowSpan[];
  /** When automation may start runs again; absent when open. */
  opensAt?: Opening;
  /** When people may start runs again, if they are held. */
  opensForPeopleAt?: Opening;
  /** The next occurrence to start after it opens (or after now, when open). */
  nextClose?: WindowSpan;
}

export function stageFreeze(windows: readonly FreezeWindowSpec[], stage: string, t: number): StageFreeze {
  const all = windows.filter((w) => applies(w, stage, 'automation'));
  const people = all.filter((w) => w.appliesTo === 'everyone');
  const holding = holdingAt(all, t);
  const frozen = holding.length > 0;
  const frozenForPeople = holding.some((s) => s.window.appliesTo === 'everyone');
  const opensAt = frozen ? openingAt(all, t) : undefined;
  // After a merge that stopped at its limit, the next close is not known.
  const nextClose = opensAt?.atLeast ? undefined : nextClosing(all, opensAt ? opensAt.at : t);
  return {
    stage,
    frozen,
    frozenForPeople,
    holding,
    ...(opensAt ? { opensAt } : {}),
    ...(frozenForPeople ? { opensForPeopleAt: openingAt(people, t) } : {}),
    ...(nextClose ? { nextClose } : {}),
  };
}

/** The core's `freezeAt` for pipelines looked up by project: the calendar over each pipeline's windows. */
export function freezeLookup(pipelineOf: (project: string) => { freezes?: readonly FreezeWindowSpec[] } | undefined) {
  return (project: string, stage: string, at: number, origin: RunOrigin): FreezeHold | undefined => {
    const windows = pipelineOf(project)?.freezes;
    return windows && windows.length > 0 ? freezeHold(windows, stage, at, origin) : undefined;
  };
}
