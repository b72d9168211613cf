/**
 * The freeze calendar at fixed instants around Europe/Berlin's 2026 clock changes:
 * spring forward on Sunday 29 March (02:00 CET → 03:00 CEST, at 01:00 UTC) and fall back on
 * Sunday 25 October (03:00 CEST → 02:00 CET, at 01:00 UTC).
 */
import { describe, expect, it } from 'vitest';
import type { FreezeWindowSpec } from '../../src/core/index.js';
import { cronProblem, datedProblem, formatLocal, freezeHold, localProblem, openingAt, stageFreeze, timeZoneProblem, utcOf, wallOf } from '../../src/triggers/index.js';

const Z = 'Europe/Berlin';
const at = (iso: string): number => Date.parse(iso);
const H = 3_600_000;

function recurring(name: string, cron: string, hours: number, more: Partial<FreezeWindowSpec> = {}): FreezeWindowSpec {
  return { name, stages: ['production'], appliesTo: 'everyone', timeZone: Z, when: { kind: 'recurring', cron, durationMs: hours * H }, ...more };
}
function dated(name: string, from: string, to: string, more: Partial<FreezeWindowSpec> = {}): FreezeWindowSpec {
  return { name, stages: ['*'], appliesTo: 'everyone', timeZone: Z, when: { kind: 'dated', from, to }, ...more };
}

const weekend = recurring('weekend', '0 16 * * 5', 64, { reason: 'no releases over the weekend' });

describe('zoned wall-clock time', () => {
  it('reads a skipped local time as the instant the clocks jump, and a repeated one as its first time', () => {
    expect(utcOf(Date.UTC(2026, 2, 29, 2, 30), Z)).toBe(at('2026-03-29T01:00:00Z'));
    expect(utcOf(Date.UTC(2026, 2, 29, 3, 0), Z)).toBe(at('2026-03-29T01:00:00Z'));
    expect(utcOf(Date.UTC(2026, 2, 29, 1, 59), Z)).toBe(at('2026-03-29T00:59:00Z'));
    expect(utcOf(Date.UTC(2026, 9, 25, 2, 30), Z)).toBe(at('2026-10-25T00:30:00Z'));
    expect(utcOf(Date.UTC(2026, 9, 25, 3, 0), Z)).toBe(at('2026-10-25T02:00:00Z'));
    expect(wallOf(at('2026-10-25T01:30:00Z'), Z)).toBe(Date.UTC(2026, 9, 25, 2, 30));
  });

  it('formats an instant in the window zone with its abbreviation', () => {
    expect(formatLocal(at('2026-03-30T06:00:00Z'), Z)).toBe('2026-03-30 08:00 CEST');
    expect(formatLocal(at('2026-10-26T07:00:00Z'), Z)).toBe('2026-10-26 08:00 CET');
  });
});

describe('a recurring window (Fridays 16:00 Europe/Berlin for 64h)', () => {
  it('holds an ordinary weekend for 64 hours, Friday 16:00 to Monday 08:00 CET', () => {
    expect(stageFreeze([weekend], 'production', at('2026-03-20T14:59:59Z')).frozen).toBe(false);
    const s = stageFreeze([weekend], 'production', at('2026-03-20T15:00:00Z'));
    expect(s.frozen).toBe(true);
    expect(s.holding.map((h) => [h.window.name, h.start, h.end])).toEqual([['weekend', at('2026-03-20T15:00:00Z'), at('2026-03-23T07:00:00Z')]]);
    expect(s.opensAt).toEqual({ at: at('2026-03-23T07:00:00Z'), atLeast: false });
    expect(s.nextClose?.start).toBe(at('2026-03-27T15:00:00Z'));
  });

  it('ends Monday 08:00 CEST across the spring change: 63 real hours', () => {
    const start = at('2026-03-27T15:00:00Z');
    const end = at('2026-03-30T06:00:00Z');
    for (const t of [start, at('2026-03-29T00:59:59Z'), at('2026-03-29T01:00:00Z'), end - 1]) {
      expect(freezeHold([weekend], 'production', t, 'person'), new Date(t).toISOString()).toEqual({ windows: ['weekend'], until: end, reason: 'no releases over the weekend' });
    }
    expect(freezeHold([weekend], 'production', end, 'person')).toBeUndefined();
    expect(end - start).toBe(63 * H);
    expect(formatLocal(end, Z)).toBe('2026-03-30 08:00 CEST');
  });

  it('ends Monday 08:00 CET across the autumn change: 65 real hours', () => {
    const start = at('2026-10-23T14:00:00Z');
    const end = at('2026-10-26T07:00:00Z');
    expect(freezeHold([weekend], 'production', start - 1, 'automation')).toBeUndefined();
    for (const t of [start, at('2026-10-25T00:30:00Z'), at('2026-10-25T01:30:00Z'), end - 1]) {
      expect(freezeHold([weekend], 'production', t, 'automation')?.until, new Date(t).toISOString()).toBe(end);
    }
    expect(freezeHold([weekend], 'production', end, 'automation')).toBeUndefined();
    expect(end - start).toBe(65 * H);
    const open = stageFreeze([weekend], 'production', at('2026-10-22T12:00:00Z'));
    expect(open.frozen).toBe(false);
    expect(open.nextClose && [open.nextClose.start, open.nextClose.end]).toEqual([start, end]);
  });

  it('a window starting in the skipped hour starts when the clocks jump and ends at its local end', () => {
    const w = recurring('night', '30 2 * * 0', 1);
    // An ordinary Sunday: 02:30–03:30 CET.
    expect(stageFreeze([w], 'production', at('2026-03-22T01:30:00Z')).holding.map((h) => [h.start, h.end])).toEqual([[at('2026-03-22T01:30:00Z'), at('2026-03-22T02:30:00Z')]]);
    // 29 March: 02:30 does not exist; the window holds from the jump (03:00 CEST) to 03:30 CEST.
    expect(freezeHold([w], 'production', at('2026-03-29T00:59:59Z'), 'person')).toBeUndefined();
    expect(freezeHold([w], 'production', at('2026-03-29T01:00:00Z'), 'person')?.until).toBe(at('2026-03-29T01:30:00Z'));
    expect(freezeHold([w], 'production', at('2026-03-29T01:30:00Z'), 'person')).toBeUndefined();
    expect(stageFreeze([w], 'production', at('2026-03-28T12:00:00Z')).nextClose?.start).toBe(at('2026-03-29T01:00:00Z'));
  });

  it('a window starting in the repeated hour starts the first time and holds through the second', () => {
    const w = recurring('night', '30 2 * * 0', 1);
    // 25 October: 02:30 CEST (00:30 UTC) to 03:30 CET (02:30 UTC), two real hours.
    expect(freezeHold([w], 'production', at('2026-10-25T00:29:59Z'), 'person')).toBeUndefined();
    expect(freezeHold([w], 'production', at('2026-10-25T00:30:00Z'), 'person')?.until).toBe(at('2026-10-25T02:30:00Z'));
    expect(freezeHold([w], 'production', at('2026-10-25T01:45:00Z'), 'person')?.until).toBe(at('2026-10-25T02:30:00Z'));
    expect(freezeHold([w], 'production', at('2026-10-25T02:30:00Z'), 'person')).toBeUndefined();
    // The next one is a week later, not the repeated 02:30 CET of the same night.
    expect(stageFreeze([w], 'production', at('2026-10-25T00:45:00Z')).nextClose?.start).toBe(at('2026-11-01T01:30:00Z'));
  });
});

describe('a dated window', () => {
  it('spans the spring change in local times: 22:00 to 04:00 is five real hours', () => {
    const w = dated('migration', '2026-03-28T22:00', '2026-03-29T04:00');
    expect(freezeHold([w], 'dev', at('2026-03-28T20:59:59Z'), 'person')).toBeUndefined();
    expect(freezeHold([w], 'dev', at('2026-03-28T21:00:00Z'), 'person')?.until).toBe(at('2026-03-29T02:00:00Z'));
    expect(freezeHold([w], 'dev', at('2026-03-29T02:00:00Z'), 'person')).toBeUndefined();
  });

  it('spans the autumn change: 00:00 to 04:00 is five real hours', () => {
    const w = dated('migration', '2026-10-25T00:00', '2026-10-25T04:00');
    const h = freezeHold([w], 'dev', at('2026-10-25T01:30:00Z'), 'person');
    expect(h?.until).toBe(at('2026-10-25T03:00:00Z'));
    expect(h!.until - at('2026-10-24T22:00:00Z')).toBe(5 * H);
  });

  it('a start in the skipped hour starts at the jump', () => {
    const w = dated('odd', '2026-03-29T02:15', '2026-03-29T05:00');
    expect(freezeHold([w], 'dev', at('2026-03-29T00:59:59Z'), 'person')).toBeUndefined();
    expect(freezeHold([w], 'dev', at('2026-03-29T01:00:00Z'), 'person')?.until).toBe(at('2026-03-29T03:00:00Z'));
  });
});

describe('stages, audiences and merging', () => {
  const automationOnly = recurring('nightly', '0 20 * * *', 10, { appliesTo: 'automation', stages: ['staging', 'production'] });

  it('a window for automation holds automation and lets people through', () => {
    const t = at('2026-06-10T20:00:00Z');
    expect(freezeHold([automationOnly], 'production', t, 'automation')?.windows).toEqual(['nightly']);
    expect(freezeHold([automationOnly], 'production', t, 'person')).toBeUndefined();
    const s = stageFreeze([automationOnly], 'production', t);
    expect([s.frozen, s.frozenForPeople, s.opensForPeopleAt]).toEqual([true, false, undefined]);
  });

  it('holds only the stages it selects; * selects all', () => {
    const t = at('2026-06-10T20:00:00Z');
    expect(freezeHold([automationOnly], 'dev', t, 'automation')).toBeUndefined();
    const all = dated('all', '2026-06-10T00:00', '2026-06-11T00:00');
    expect(freezeHold([all], 'dev', t, 'person')?.windows).toEqual(['all']);
  });

  it('windows that overlap or touch are one freeze; the stage opens when none holds', () => {
    const a = dated('a', '2026-06-10T10:00', '2026-06-10T12:00', { stages: ['production'] });
    const b = recurring('b', '0 12 * * *', 1);
    const c = recurring('c', '30 12 * * *', 1, { appliesTo: 'automation' });
    const t = at('2026-06-10T08:30:00Z'); // 10:30 CEST
    expect(freezeHold([a, b, c], 'production', t, 'person')).toEqual({ windows: ['a'], until: at('2026-06-10T11:00:00Z') });
    expect(freezeHold([a, b, c], 'production', t, 'automation')).toEqual({ windows: ['a'], until: at('2026-06-10T11:30:00Z') });
    const s = stageFreeze([a, b, c], 'production', t);
    expect(s.opensAt?.at).toBe(at('2026-06-10T11:30:00Z'));
    expect(s.opensForPeopleAt?.at).toBe(at('2026-06-10T11:00:00Z'));
    expect(s.nextClose?.window.name).toBe('b');
    expect(s.nextClose?.start).toBe(at('2026-06-11T10:00:00Z'));
  });

  it('a window that never opens is reported as lasting at least as far as the merge looked', () => {
    const always = recurring('always', '0 * * * *', 2);
    const o = openingAt([always], at('2026-06-10T08:30:00Z'));
    expect(o.atLeast).toBe(true);
    expect(o.at).toBeGreaterThan(at('2026-06-15T00:00:00Z'));
    expect(stageFreeze([always], 'production', at('2026-06-10T08:30:00Z')).nextClose).toBeUndefined();
  });
});

describe('field checks', () => {
  it('names what is wrong with a cron, a zone, a local time and a reversed window', () => {
    expect(cronProblem('0 16 * * 5')).toBeUndefined();
    expect(cronProblem('0 16 * *')).toMatch(/has 4 fields; a freeze cron has five fields/);
    expect(cronProblem('0 16 * * 5 *')).toMatch(/has 6 fields/);
    expect(cronProblem('61 16 * * 5')).toMatch(/'61 16 \* \* 5' is not a valid cron pattern \(Invalid value for minute: 61\)/);
    expect(timeZoneProblem('Europe/Berlin')).toBeUndefined();
    expect(timeZoneProblem('Europe/Atlantis')).toMatch(/'Europe\/Atlantis' is not an IANA time zone/);
    expect(localProblem('2026-12-24T18:00')).toBeUndefined();
    expect(localProblem('2026-02-30T18:00')).toMatch(/is not a local date-time/);
    expect(datedProblem('2026-12-24T18:00', '2026-12-24T08:00', Z)).toMatch(/to '2026-12-24T08:00' is not after from '2026-12-24T18:00'/);
    // 02:00–02:45 on 29 March: both are skipped, so the window would be empty.
    expect(datedProblem('2026-03-29T02:00', '2026-03-29T02:45', Z)).toMatch(/is not after from/);
  });
});
