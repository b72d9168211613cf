/**
 * A stage's `promotion` in slipway.yaml: the string forms still load as before, the object
 * form maps a schedule and a selection onto the pipeline, and mistakes name file:line:col and
 * the field. The schedule calendar itself: next fire times across clock changes.
 */
import { describe, expect, it } from 'vitest';
import { loadPipeline } from '../../../src/spec/index.js';
import { nextFire, nextFires } from '../../../src/triggers/index.js';
import { errorOf } from '../../spec/helpers.js';

function file(...testStage: string[]): string {
  return [
    'apiVersion: slipway/v1',
    'kind: Pipeline',
    'metadata: {name: shop}',
    'spec:',
    '  stages:',
    '    - {name: dev, tasks: [{name: a, kind: noop}]}',
    ...testStage,
    '    - {name: preprod, promotion: manual, tasks: [{name: a, kind: noop}]}',
    '',
  ].join('\n');
}

const iso = (ts: number[]): string[] => ts.map((t) => new Date(t).toISOString());

describe('promotion in slipway.yaml', () => {
  it('auto and manual load as before; auto follows upstream (matchUpstream)', () => {
    const { pipeline } = loadPipeline(file('    - {name: test, tasks: [{name: a, kind: noop}]}'), 's.yaml');
    expect(pipeline.stages.map((s) => [s.promotion, s.selection ?? null, s.schedule ?? null])).toEqual([
      ['auto', 'matchUpstream', null],
      ['auto', 'matchUpstream', null],
      ['manual', null, null],
    ]);
  });

  it('maps a schedule with its defaults (UTC, run-once, not onlyIfNew, newest) and with every field set', () => {
    const short = loadPipeline(file('    - name: test', '      promotion: {schedule: {cron: "0 3 * * *"}}', '      tasks: [{name: a, kind: noop}]'), 's.yaml').pipeline;
    expect(short.stages[1]).toMatchObject({ promotion: 'schedule', selection: 'newest', schedule: { cron: '0 3 * * *', timeZone: 'UTC', onlyIfNew: false, missed: 'run-once' } });
    const full = loadPipeline(
      file('    - name: test', '      promotion:', '        schedule: {cron: "30 2 * * 1-5", timezone: Europe/Berlin, onlyIfNew: true, missed: skip}', '        selection: matchUpstream', '      tasks: [{name: a, kind: noop}]'),
      's.yaml',
    ).pipeline;
    expect(full.stages[1]).toMatchObject({ promotion: 'schedule', selection: 'matchUpstream', schedule: { cron: '30 2 * * 1-5', timeZone: 'Europe/Berlin', onlyIfNew: true, missed: 'skip' } });
    const newest = loadPipeline(file('    - {name: test, promotion: {selection: newest}, tasks: [{name: a, kind: noop}]}'), 's.yaml').pipeline;
    expect(newest.stages[1]).toMatchObject({ promotion: 'auto', selection: 'newest' });
    expect(newest.stages[1]!.schedule).toBeUndefined();
  });

  it('names the line, column and field of a bad cron, an unknown zone, a bad policy and a scheduled first stage', () => {
    const cron = errorOf(() => loadPipeline(file('    - name: test', '      promotion: {schedule: {cron: "0 3 * *", timezone: UTC}}', '      tasks: [{name: a, kind: noop}]'), 's.yaml'));
    expect(cron.message).toBe("s.yaml:8:36: spec.stages[1].promotion.schedule.cron: '0 3 * *' has 4 fields; a schedule cron has five fields: minute hour day-of-month month day-of-week, e.g. '0 3 * * *' (every day at 03:00)");
    const zone = errorOf(() => loadPipeline(file('    - name: test', '      promotion: {schedule: {cron: "0 3 * * *", timezone: Europe/Berlim}}', '      tasks: [{name: a, kind: noop}]'), 's.yaml'));
    expect(zone.message).toContain('spec.stages[1].promotion.schedule.timezone: \'Europe/Berlim\' is not an IANA time zone');
    const missed = errorOf(() => loadPipeline(file('    - name: test', '      promotion: {schedule: {cron: "0 3 * * *", missed: later}}', '      tasks: [{name: a, kind: noop}]'), 's.yaml'));
    expect(missed.message).toContain('spec.stages[1].promotion.schedule.missed');
    expect(missed.message).toContain('run-once');
    const word = errorOf(() => loadPipeline(file('    - {name: test, promotion: nightly, tasks: [{name: a, kind: noop}]}'), 's.yaml'));
    expect(word.message).toBe("s.yaml:7:31: spec.stages[1].promotion: 'nightly' is not a promotion; valid: auto, manual, or {schedule: {cron, timezone}, selection}");
    const first = errorOf(() =>
      loadPipeline(['apiVersion: slipway/v1', 'kind: Pipeline', 'metadata: {name: shop}', 'spec:', '  stages:', '    - {name: dev, promotion: {schedule: {cron: "0 3 * * *"}}, tasks: [{name: a, kind: noop}]}', ''].join('\n'), 's.yaml'),
    );
    expect(first.message).toContain("a scheduled stage takes the release that passed the stages it follows, and 'dev' follows none");
  });
});

describe('the schedule calendar', () => {
  it('fires at the jump for a skipped time and once, the first time, for a repeated one', () => {
    expect(iso(nextFires({ cron: '30 2 * * *', timeZone: 'Europe/Berlin' }, Date.parse('2026-03-28T12:00:00Z'), 2))).toEqual(['2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z']);
    expect(iso(nextFires({ cron: '30 2 * * *', timeZone: 'Europe/Berlin' }, Date.parse('2026-10-24T12:00:00Z'), 2))).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z']);
    expect(iso(nextFires({ cron: '30 2 * * *', timeZone: 'America/New_York' }, Date.parse('2026-03-07T12:00:00Z'), 2))).toEqual(['2026-03-08T07:00:00.000Z', '2026-03-09T06:30:00.000Z']);
    expect(iso(nextFires({ cron: '30 1 * * *', timeZone: 'America/New_York' }, Date.parse('2026-10-31T12:00:00Z'), 2))).toEqual(['2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z']);
    // Every 15 minutes through the skipped hour: 02:00-02:45 all map onto the jump, which fires once.
    const quarter = nextFires({ cron: '*/15 * * * *', timeZone: 'Europe/Berlin' }, Date.parse('2026-03-29T00:40:00Z'), 3);
    expect(iso(quarter)).toEqual(['2026-03-29T00:45:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-29T01:15:00.000Z']);
    expect(nextFire({ cron: '0 0 30 2 *', timeZone: 'UTC' }, 0)).toBeUndefined();
  });
});
