/**
 * Keptn SLO scoring as the lighthouse does it: every conformance SLO file scored to hand-computed
 * values (the arithmetic is in the comments), then one focused case per rule.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isSlipwayError } from '../../src/core/index.js';
import { parseCriterion, percentile, scoreSlo } from '../../src/evaluation/index.js';
import type { SloEvaluation, SloHistory } from '../../src/evaluation/index.js';
import { loadKeptnSlo, loadKeptnSloFile } from '../../src/spec/index.js';

const conformance = (name: string) => fileURLToPath(new URL(`../conformance/keptn/slo/${name}`, import.meta.url));
const summary = (e: SloEvaluation) => ({ score: e.score, result: e.result, objectives: e.objectives.map((o) => [o.sli, o.score, o.status]) });

/** A small SLO from YAML; `comparison` and `objectives` are YAML blocks. */
function slo(objectives: string, comparison = '', total = 'total_score:\n  pass: "90%"\n  warning: "75%"\n') {
  return loadKeptnSlo(`spec_version: '0.1.0'\n${comparison}objectives:\n${objectives}${total}`, 'slo.yaml');
}

describe('the Keptn conformance SLO files score to hand-computed values', () => {
  // 02: rt pass <=0.4 (warning <=0.1, stricter: never a warning); throughput pass >=-80% (relative);
  // go_routines key_sli <=30; failing_request <10. single_result, include pass, avg. Maximum 4.
  const quickstart = loadKeptnSloFile(conformance('02_examples_quickstart_demo_slo.yaml'));
  const qsHistory: SloHistory = [
    { result: 'pass', values: { request_throughput: 200 } },
    { result: 'pass', values: { request_throughput: 100 } },
    { result: 'fail', values: { request_throughput: 50 } },
  ];

  it('02 quickstart: all objectives pass against the newest passing evaluation', () => {
    // compared with: newest 'pass' (the 'fail' is skipped) → 100; >=-80% → target 100·(100−80)/100 = 20; 90 ≥ 20.
    const e = scoreSlo(quickstart, { http_response_time_seconds_main_page_sum: 0.35, request_throughput: 90, go_routines: 25, failing_request: 3 }, qsHistory);
    expect(summary(e)).toEqual({
      score: 100, // 4 of 4
      result: 'pass',
      objectives: [
        ['http_response_time_seconds_main_page_sum', 1, 'pass'],
        ['request_throughput', 1, 'pass'],
        ['go_routines', 1, 'pass'],
        ['failing_request', 1, 'pass'],
      ],
    });
    expect(e.objectives[1]!.comparedWith).toEqual({ values: [100], aggregateFunction: 'avg', aggregate: 100 });
    expect(e.objectives[1]!.targets).toEqual([{ criteria: '>=-80%', list: 'pass', relative: true, target: 20, violated: false }]);
  });

  it('02 quickstart: a slow page fails (its warning is stricter than its pass), 3 of 4 = 75% is a warning', () => {
    // rt 0.5: <=0.4 violated, warning <=0.1 violated → fail, 0. Score (0+1+1+1)/4 = 75% ≥ 75 → warning.
    const e = scoreSlo(quickstart, { http_response_time_seconds_main_page_sum: 0.5, request_throughput: 90, go_routines: 25, failing_request: 3 }, qsHistory);
    expect(e.score).toBe(75);
    expect(e.result).toBe('warning');
    expect(e.objectives[0]!.status).toBe('fail');
  });

  it('02 quickstart: the key SLI go_routines failing fails the evaluation at 75%', () => {
    // go_routines 31 > 30 → fail, key SLI. Score 3/4 = 75% would be a warning, key SLI → fail.
    const e = scoreSlo(quickstart, { http_response_time_seconds_main_page_sum: 0.35, request_throughput: 90, go_routines: 31, failing_request: 3 }, qsHistory);
    expect(e.score).toBe(75);
    expect(e.result).toBe('fail');
    expect(e.keySliFailed).toBe(true);
  });

  it('02 quickstart: throughput below 20% of the last passing value fails, 2 of 4 = 50% fails', () => {
    // throughput 19 < 20; failing_request 10 is not < 10. Score (1+0+1+0)/4 = 50% < 75 → fail.
    const e = scoreSlo(quickstart, { http_response_time_seconds_main_page_sum: 0.35, request_throughput: 19, go_routines: 25, failing_request: 10 }, qsHistory);
    expect(summary(e)).toMatchObject({ score: 50, result: 'fail' });
    expect(e.keySliFailed).toBe(false);
  });

  // 04: request_latency_p95 pass [[<=+10%, <1000]], warning [[<=800]]; error_rate weight 2 pass [[=0]].
  // single_result (so number_of_comparison_results 3 is ignored: 1), include pass, avg. Maximum 1 + 2 = 3.
  const annotated = loadKeptnSloFile(conformance('04_keptn_lighthouse-service_examples_slo_annotated.yaml'));
  const annHistory: SloHistory = [
    { result: 'pass', values: { request_latency_p95: 500, error_rate: 0 } },
    { result: 'pass', values: { request_latency_p95: 700, error_rate: 0 } },
  ];

  it('04 annotated: without history the relative criterion passes and only <1000 counts', () => {
    // 900: <=+10% no data → holds; 900 < 1000 → pass 1; error_rate 0 = 0 → 2. 3/3 = 100% → pass.
    const e = scoreSlo(annotated, { request_latency_p95: 900, error_rate: 0 });
    expect(summary(e)).toEqual({ score: 100, result: 'pass', objectives: [['request_latency_p95', 1, 'pass'], ['error_rate', 2, 'pass']] });
    expect(e.objectives[0]!.comparedWith).toEqual({ values: [], aggregateFunction: 'avg', aggregate: null });
    expect(e.objectives[0]!.targets[0]).toMatchObject({ criteria: '<=+10%', target: null, violated: false });
  });

  it('04 annotated: within 10% of the newest result passes, but errors weigh 2 and fail it', () => {
    // newest pass → 700; <=+10% → 700·110/100 = 770; 760 ≤ 770 and < 1000 → 1. error_rate 1 ≠ 0 → 0.
    // Score 1/3 = 33.33% < 75 → fail.
    const e = scoreSlo(annotated, { request_latency_p95: 760, error_rate: 1 }, annHistory);
    expect(e.score).toBeCloseTo(100 / 3, 10);
    expect(e.result).toBe('fail');
    expect(e.objectives.map((o) => o.status)).toEqual(['pass', 'fail']);
  });

  it('04 annotated: more than 10% slower falls to its warning (half weight), 2.5 of 3 is a warning', () => {
    // 780 > 770 → pass list violated; warning <=800 holds → 0.5·1 = 0.5. error_rate 0 → 2.
    // Score 2.5/3 = 83.33% < 90, ≥ 75 → warning.
    const e = scoreSlo(annotated, { request_latency_p95: 780, error_rate: 0 }, annHistory);
    expect(e.score).toBeCloseTo(250 / 3, 10);
    expect(e.result).toBe('warning');
    expect(e.objectives[0]).toMatchObject({ score: 0.5, status: 'warning' });
    // The lighthouse lists the warning targets before the pass targets.
    expect(e.objectives[0]!.targets.map((t) => [t.list, t.criteria, t.target, t.violated])).toEqual([
      ['warning', '<=800', 800, false],
      ['pass', '<=+10%', 770, true],
      ['pass', '<1000', 1000, false],
    ]);
  });

  // 05: rt pass <=1 (warning <=0.5); throughput pass [[<=+100%, >=-80%]]; go_routines <=100.
  // single_result, include pass, avg. Maximum 3.
  const podtato = loadKeptnSloFile(conformance('05_keptn_test_podtato-head_slo.yaml'));
  const podHistory: SloHistory = [
    { result: 'pass', values: { request_throughput: 10 } },
    { result: 'warning', values: { request_throughput: 40 } },
  ];

  it('05 podtato-head: throughput between −80% and +100% of the last passing value passes', () => {
    // compared with 10 (the warning is not included); targets 10·200/100 = 20 and 10·20/100 = 2; 15 in [2, 20].
    const e = scoreSlo(podtato, { http_response_time_seconds_main_page_sum: 0.8, request_throughput: 15, go_routines: 50 }, podHistory);
    expect(summary(e)).toEqual({
      score: 100, // 3/3
      result: 'pass',
      objectives: [['http_response_time_seconds_main_page_sum', 1, 'pass'], ['request_throughput', 1, 'pass'], ['go_routines', 1, 'pass']],
    });
  });

  it('05 podtato-head: throughput more than doubled fails, 2 of 3 = 66.67% fails', () => {
    // 25 > 20 → the one list fails (AND). Score 2/3 = 66.67% < 75 → fail.
    const e = scoreSlo(podtato, { http_response_time_seconds_main_page_sum: 0.8, request_throughput: 25, go_routines: 50 }, podHistory);
    expect(e.score).toBeCloseTo(200 / 3, 10);
    expect(e.result).toBe('fail');
    expect(e.objectives[1]!.targets.map((t) => t.violated)).toEqual([true, false]);
  });
});

describe('scoring rules', () => {
  it('a failed key SLI fails the evaluation even when the score reaches the pass threshold', () => {
    // key weight 1 fails, other weight 9 passes: 9/10 = 90% ≥ 90, but the key SLI failed → fail.
    const s = slo('  - sli: key\n    key_sli: true\n    pass:\n      - criteria: ["<1"]\n  - sli: other\n    weight: 9\n    pass:\n      - criteria: ["<1"]\n');
    const e = scoreSlo(s, { key: 5, other: 0 });
    expect(e.score).toBe(90);
    expect(e.result).toBe('fail');
  });

  it('a key SLI in warning does not fail the evaluation', () => {
    // key: pass <1 violated, warning <10 holds → 0.5 of 1; other 9. 9.5/10 = 95% → pass.
    const s = slo('  - sli: key\n    key_sli: true\n    pass:\n      - criteria: ["<1"]\n    warning:\n      - criteria: ["<10"]\n  - sli: other\n    weight: 9\n    pass:\n      - criteria: ["<1"]\n');
    const e = scoreSlo(s, { key: 5, other: 0 });
    expect(e.score).toBe(95);
    expect(e.result).toBe('pass');
  });

  it('criteria inside one list are AND-ed, separate lists OR-ed', () => {
    const s = slo('  - sli: a\n    pass:\n      - criteria: [">10", "<20"]\n      - criteria: [">100"]\n');
    expect(scoreSlo(s, { a: 15 }).objectives[0]!.status).toBe('pass'); // first list: 15 > 10 and 15 < 20
    expect(scoreSlo(s, { a: 150 }).objectives[0]!.status).toBe('pass'); // second list: 150 > 100
    expect(scoreSlo(s, { a: 25 }).objectives[0]!.status).toBe('fail'); // 25 < 20 fails list 1, 25 > 100 fails list 2
  });

  it('a warning earns half the weight', () => {
    // weight 4, warning → 2; 2/4 = 50% → fail (below 75).
    const s = slo('  - sli: a\n    weight: 4\n    pass:\n      - criteria: ["<=1"]\n    warning:\n      - criteria: ["<=2"]\n');
    const e = scoreSlo(s, { a: 2 });
    expect(e.objectives[0]).toMatchObject({ score: 2, status: 'warning' });
    expect(e.score).toBe(50);
    expect(e.result).toBe('fail');
  });

  describe('relative criteria against each aggregate of earlier values', () => {
    // several_results over 4 passing evaluations with a = 10, 20, 30, 100 (sorted the same).
    const history: SloHistory = [10, 20, 30, 100].map((a) => ({ result: 'pass', values: { a } }));
    const withAggregate = (fn: string) =>
      slo('  - sli: a\n    pass:\n      - criteria: ["<=+10"]\n', `comparison:\n  compare_with: several_results\n  number_of_comparison_results: 4\n  aggregate_function: ${fn}\n`);
    const target = (fn: string, value: number) => scoreSlo(withAggregate(fn), { a: value }, history).objectives[0]!;

    it('avg: (10+20+30+100)/4 = 40, <=+10 → target 50', () => {
      expect(target('avg', 50)).toMatchObject({ status: 'pass', comparedWith: { aggregate: 40, values: [10, 20, 30, 100] } });
      expect(target('avg', 50.5).status).toBe('fail');
    });

    it('p50: rank 0.5·(4+1) = 2.5 → 20 + 0.5·(30−20) = 25, target 35', () => {
      expect(target('p50', 35)).toMatchObject({ status: 'pass', comparedWith: { aggregate: 25 } });
      expect(target('p50', 36).status).toBe('fail');
    });

    it('p90 and p95: rank 4.5 and 4.75 ≥ 4 → the largest, 100, target 110', () => {
      expect(target('p90', 110)).toMatchObject({ status: 'pass', comparedWith: { aggregate: 100 } });
      expect(target('p95', 111)).toMatchObject({ status: 'fail', comparedWith: { aggregate: 100 } });
    });

    it('percentile interpolates between neighbours and clamps at both ends', () => {
      const ten = [10, 9, 8, 7, 6, 5, 4, 3, 2, 1];
      expect(percentile(ten, 0.9)).toBeCloseTo(9.9, 10); // rank 0.9·11 = 9.9 → 9 + 0.9·(10−9)
      expect(percentile(ten, 0.5)).toBe(5.5); // rank 5.5 → 5 + 0.5·1
      expect(percentile(ten, 0.95)).toBe(10); // rank 10.45 ≥ 10 → largest
      expect(percentile([3], 0.5)).toBe(3); // rank 1 ≥ 1 → the only value
      expect(percentile([3, 5], 0.1)).toBe(3); // rank 0.3 < 1 → smallest
    });

    it('decreases: >-5 is aggregate − 5, <=-10% is 90% of the aggregate', () => {
      const dec = slo('  - sli: a\n    pass:\n      - criteria: [">-5"]\n  - sli: b\n    pass:\n      - criteria: ["<=-10%"]\n', 'comparison:\n  compare_with: single_result\n');
      const h: SloHistory = [{ result: 'pass', values: { a: 40, b: 40 } }];
      // a: target 40 − 5 = 35, 36 > 35 passes, 35 > 35 does not. b: target 40·90/100 = 36.
      expect(scoreSlo(dec, { a: 36, b: 36 }, h).objectives.map((o) => [o.status, o.targets[0]!.target])).toEqual([['pass', 35], ['pass', 36]]);
      expect(scoreSlo(dec, { a: 35, b: 36.5 }, h).objectives.map((o) => o.status)).toEqual(['fail', 'fail']);
    });
  });

  describe('include_result_with_score chooses which earlier evaluations count', () => {
    // Oldest first: pass a=10, warning a=20, fail a=30. several_results, 3, avg; criterion <=+0 (value ≤ aggregate).
    const history: SloHistory = [
      { result: 'pass', values: { a: 10 } },
      { result: 'warning', values: { a: 20 } },
      { result: 'fail', values: { a: 30 } },
    ];
    const compared = (include: string, n = 3) =>
      scoreSlo(
        slo('  - sli: a\n    pass:\n      - criteria: ["<=+0"]\n', `comparison:\n  compare_with: several_results\n  number_of_comparison_results: ${n}\n  include_result_with_score: ${include}\n`),
        { a: 15 },
        history,
      ).objectives[0]!;

    it('pass: only the passing one, 10; 15 > 10 fails', () => {
      expect(compared('pass')).toMatchObject({ status: 'fail', comparedWith: { values: [10], aggregate: 10 } });
    });
    it('pass_or_warn: (10+20)/2 = 15; 15 ≤ 15 passes', () => {
      expect(compared('pass_or_warn')).toMatchObject({ status: 'pass', comparedWith: { values: [10, 20], aggregate: 15 } });
    });
    it('all: (10+20+30)/3 = 20', () => {
      expect(compared('all')).toMatchObject({ status: 'pass', comparedWith: { values: [10, 20, 30], aggregate: 20 } });
    });
    it('number_of_comparison_results keeps the newest: all, 2 → (20+30)/2 = 25', () => {
      expect(compared('all', 2)).toMatchObject({ comparedWith: { values: [20, 30], aggregate: 25 } });
    });
    it('single_result compares with the newest included evaluation only', () => {
      const s = slo('  - sli: a\n    pass:\n      - criteria: ["<=+0"]\n', 'comparison:\n  compare_with: single_result\n  number_of_comparison_results: 3\n  include_result_with_score: all\n');
      expect(scoreSlo(s, { a: 15 }, history).objectives[0]!.comparedWith).toMatchObject({ values: [30], aggregate: 30 });
    });
  });

  it('with no comparison data relative criteria pass, while absolute ones in the same list still count', () => {
    const s = slo('  - sli: a\n    pass:\n      - criteria: ["<=+10%", "<100"]\n');
    // No history at all, and history without this SLI, are both "no data".
    for (const h of [[], [{ result: 'pass' as const, values: { other: 1 } }]]) {
      expect(scoreSlo(s, { a: 99 }, h).objectives[0]!.status).toBe('pass');
      expect(scoreSlo(s, { a: 100 }, h).objectives[0]!.status).toBe('fail');
    }
  });

  it('objectives without pass criteria are info only: status info, score 0, not in the maximum', () => {
    // a passes (1 of maximum 1); info is not scored even though it has warning criteria. 1/1 = 100%.
    const s = slo('  - sli: a\n    pass:\n      - criteria: ["<1"]\n  - sli: info\n    warning:\n      - criteria: ["<1"]\n');
    const e = scoreSlo(s, { a: 0, info: 50 });
    expect(e.objectives[1]).toMatchObject({ sli: 'info', value: 50, score: 0, status: 'info' });
    expect([e.achieved, e.maximum, e.score, e.result]).toEqual([1, 1, 100, 'pass']);
  });

  it('an SLO with only info objectives passes with 100', () => {
    const e = scoreSlo(slo('  - sli: a\n'), { a: 3 });
    expect([e.score, e.result, e.objectives[0]!.status]).toEqual([100, 'pass', 'info']);
  });

  it('an SLI without a value fails its objective with score 0', () => {
    // a missing → 0, b passes → 1/2 = 50% → fail.
    const e = scoreSlo(slo('  - sli: a\n    pass:\n      - criteria: ["<1"]\n  - sli: b\n    pass:\n      - criteria: ["<1"]\n'), { b: 0 });
    expect(e.objectives[0]).toMatchObject({ value: null, score: 0, status: 'fail' });
    expect([e.score, e.result]).toEqual([50, 'fail']);
  });

  it('without a warning threshold a score below pass fails', () => {
    // 1 of 2 = 50%; no total_score.warning → fail. Also an unsigned 90 (a number) is read as 90%.
    const s = slo('  - sli: a\n    pass:\n      - criteria: ["<1"]\n  - sli: b\n    pass:\n      - criteria: ["<1"]\n', '', 'total_score:\n  pass: 40\n');
    expect(scoreSlo(s, { a: 0, b: 5 }).result).toBe('pass');
    const strict = slo('  - sli: a\n    pass:\n      - criteria: ["<1"]\n  - sli: b\n    pass:\n      - criteria: ["<1"]\n', '', 'total_score:\n  pass: "90%"\n');
    expect(scoreSlo(strict, { a: 0, b: 5 }).result).toBe('fail');
  });
});

describe('criteria strings', () => {
  it('reads operators, signs and percentages as the lighthouse does', () => {
    const read = (t: string) => {
      const c = parseCriterion(t);
      return typeof c === 'string' ? c : [c.operator, c.value, c.relative, c.percent, c.increase];
    };
    expect(read('<=800')).toEqual(['<=', 800, false, false, false]);
    expect(read('< = 0.5')).toEqual(['<=', 0.5, false, false, false]); // spaces are removed first
    expect(read('>=-80%')).toEqual(['>=', 80, true, true, false]);
    expect(read('<=10%')).toEqual(['<=', 10, true, true, true]); // a % without a sign is an increase
    expect(read('>+5')).toEqual(['>', 5, true, false, true]);
    expect(read('=.5')).toEqual(['=', 0.5, false, false, false]);
    expect(read('800')).toMatch(/does not start with an operator/);
    expect(read('<=ten')).toMatch(/no valid number after '<='/);
    expect(read('<=')).toMatch(/no valid number/);
  });
});

describe('loading slo.yaml', () => {
  it('reads the lighthouse defaults: weight 1; without a comparison block single_result / all / avg', () => {
    const s = slo('  - sli: a\n    pass:\n      - criteria: ["<1"]\n');
    expect(s.objectives[0]).toMatchObject({ weight: 1, keySli: false, displayName: 'a' });
    expect(s.comparison).toEqual({ compareWith: 'single_result', includeResultWithScore: 'all', numberOfComparisonResults: 1, aggregateFunction: 'avg' });
  });

  it('a comparison block without compare_with compares with 3 earlier evaluations, as the lighthouse does', () => {
    const s = slo('  - sli: a\n    pass:\n      - criteria: ["<=+0"]\n', 'comparison:\n  number_of_comparison_results: 5\n');
    expect(s.comparison).toEqual({ compareWith: null, includeResultWithScore: 'all', numberOfComparisonResults: 3, aggregateFunction: 'avg' });
    // The newest 3 of 4: (20+30+40)/3 = 30.
    const history: SloHistory = [10, 20, 30, 40].map((a) => ({ result: 'pass', values: { a } }));
    expect(scoreSlo(s, { a: 30 }, history).objectives[0]).toMatchObject({ status: 'pass', comparedWith: { values: [20, 30, 40], aggregate: 30 } });
  });

  it('a bad criterion is refused with file:line:col and the field', () => {
    const text = readFileSync(conformance('05_keptn_test_podtato-head_slo.yaml'), 'utf8').replace('"<=100"', '"about 100"');
    let err: unknown;
    try {
      loadKeptnSlo(text, 'podtato/slo.yaml');
    } catch (e) {
      err = e;
    }
    expect(isSlipwayError(err)).toBe(true);
    expect((err as Error).message).toMatch(/^podtato\/slo\.yaml:23:13: objectives\[2\]\.pass\[0\]\.criteria\[0\]: 'about 100' does not start with an operator/);
  });

  it('an unknown aggregate function and a missing total score name their fields', () => {
    expect(() => loadKeptnSlo('comparison:\n  aggregate_function: p99\nobjectives:\n  - sli: a\n', 'x.yaml')).toThrow(
      /^x\.yaml:1:1: total_score: is required \(a mapping\)\nx\.yaml:2:23: comparison\.aggregate_function: 'p99' is not valid; valid: avg, p50, p90, p95$/,
    );
  });
});
