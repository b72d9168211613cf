/** `spec.freezes` in slipway.yaml: what loads, and errors that name file:line:col and the field. */
import { describe, expect, it } from 'vitest';
import { loadPipeline } from '../../src/spec/index.js';
import { errorOf } from '../spec/helpers.js';

function file(...freezeLines: string[]): string {
  return [
    'apiVersion: slipway/v1',
    'kind: Pipeline',
    'metadata: {name: shop}',
    'spec:',
    '  stages:',
    '    - {name: dev, tasks: [{name: a, kind: noop}]}',
    '    - {name: production, tasks: [{name: a, kind: noop}]}',
    '  freezes:',
    ...freezeLines,
    '',
  ].join('\n');
}

describe('spec.freezes', () => {
  it('maps a recurring and a dated window onto the pipeline', () => {
    const { pipeline } = loadPipeline(
      file(
        '    - name: weekend',
        '      stages: [production]',
        "      cron: '0 16 * * 5'",
        '      duration: 64h',
        '      timeZone: Europe/Berlin',
        '      appliesTo: automation',
        '      reason: no weekend releases',
        '    - {name: xmas, from: 2026-12-23T18:00, to: 2027-01-02T08:00, timeZone: Europe/Berlin}',
      ),
      's.yaml',
    );
    expect(pipeline.freezes).toEqual([
      {
        name: 'weekend',
        stages: ['production'],
        appliesTo: 'automation',
        timeZone: 'Europe/Berlin',
        when: { kind: 'recurring', cron: '0 16 * * 5', durationMs: 64 * 3_600_000 },
        reason: 'no weekend releases',
        source: { file: 's.yaml', line: 9, column: 7 },
      },
      {
        name: 'xmas',
        stages: ['*'],
        appliesTo: 'everyone',
        timeZone: 'Europe/Berlin',
        when: { kind: 'dated', from: '2026-12-23T18:00', to: '2027-01-02T08:00' },
        source: { file: 's.yaml', line: 16, column: 7 },
      },
    ]);
  });

  it('a pipeline without freezes has none', () => {
    const text = file().replace('  freezes:\n', '');
    expect(loadPipeline(text, 's.yaml').pipeline.freezes).toBeUndefined();
  });

  it('names a bad cron, an unknown zone and an unknown stage by file:line:col and field', () => {
    expect(errorOf(() => loadPipeline(file("    - {name: w, cron: '0 16 * *', duration: 1h, timeZone: UTC}"), 's.yaml')).message).toBe(
      "s.yaml:9:23: spec.freezes[0].cron: '0 16 * *' has 4 fields; a freeze cron has five fields: minute hour day-of-month month day-of-week, e.g. '0 16 * * 5' (Fridays 16:00)",
    );
    expect(errorOf(() => loadPipeline(file("    - {name: w, cron: '0 25 * * 5', duration: 1h, timeZone: UTC}"), 's.yaml')).message).toMatch(
      /^s\.yaml:9:23: spec\.freezes\[0\]\.cron: '0 25 \* \* 5' is not a valid cron pattern \(.*hour.*\)/,
    );
    expect(errorOf(() => loadPipeline(file("    - {name: w, cron: '0 16 * * 5', duration: 1h, timeZone: Europe/Atlantis}"), 's.yaml')).message).toBe(
      "s.yaml:9:61: spec.freezes[0].timeZone: 'Europe/Atlantis' is not an IANA time zone this server knows; use a name such as Europe/Berlin, America/New_York or UTC",
    );
    expect(errorOf(() => loadPipeline(file("    - {name: w, stages: [dev, prod], cron: '0 16 * * 5', duration: 1h, timeZone: UTC}"), 's.yaml')).message).toBe(
      "s.yaml:9:31: spec.freezes[0].stages[1]: stage 'prod' is not defined; defined stages: dev, production, or '*' for all",
    );
  });

  it('names a window that ends before it starts, and one with neither or both forms', () => {
    expect(errorOf(() => loadPipeline(file('    - {name: w, from: 2026-12-24T18:00, to: 2026-12-24T08:00, timeZone: UTC}'), 's.yaml')).message).toBe(
      "s.yaml:9:45: spec.freezes[0].to: to '2026-12-24T08:00' is not after from '2026-12-24T18:00' (in UTC); a freeze window must end after it starts",
    );
    expect(errorOf(() => loadPipeline(file('    - {name: w, timeZone: UTC}'), 's.yaml')).message).toBe(
      's.yaml:9:7: spec.freezes[0]: needs cron and duration (a recurring window) or from and to (a dated one)',
    );
    expect(errorOf(() => loadPipeline(file("    - {name: w, cron: '* * * * *', timeZone: UTC}"), 's.yaml')).message).toBe('s.yaml:9:7: spec.freezes[0]: a recurring window needs duration');
    expect(errorOf(() => loadPipeline(file("    - {name: w, cron: '* * * * *', duration: 1h, from: 2026-12-24T08:00, to: 2026-12-25T08:00, timeZone: UTC}"), 's.yaml')).message).toBe(
      's.yaml:9:23: spec.freezes[0].cron: set either cron and duration (recurring) or from and to (dated), not both',
    );
    expect(errorOf(() => loadPipeline(file('    - {name: w, from: 2026-13-01, to: 2026-12-25T08:00, timeZone: UTC}'), 's.yaml')).message).toMatch(
      /^s\.yaml:9:23: spec\.freezes\[0\]\.from: '2026-13-01' is not a local date-time YYYY-MM-DDTHH:MM/,
    );
  });

  it('refuses two windows with one name', () => {
    const err = errorOf(() =>
      loadPipeline(file("    - {name: w, cron: '0 1 * * *', duration: 1h, timeZone: UTC}", "    - {name: w, cron: '0 2 * * *', duration: 1h, timeZone: UTC}"), 's.yaml'),
    );
    expect(err.message).toBe("s.yaml:10:14: spec.freezes[1].name: freeze window 'w' is defined twice (first at freezes[0]); names must be unique");
  });
});
