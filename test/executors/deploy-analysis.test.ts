/**
 * A canary's measured analysis, wired: properties checked with field names; the judge and the
 * threshold metrics driven through runAnalysis on a clock that moves only when the analysis
 * waits, with per-slot traffic whose latencies and failures are drawn from known distributions
 * (seeded, so every run sees the same numbers).
 */
import { describe, expect, it } from 'vitest';
import { createDeployExecutor, planOf } from '../../src/executors/deploy/index.js';
import { loadPipeline } from '../../src/spec/index.js';
import type { AnalysisIO, Sides } from '../../src/executors/deploy/analysis-run.js';
import { decide, runAnalysis, startAnalysis } from '../../src/executors/deploy/analysis-run.js';
import type { Analysis } from '../../src/executors/deploy/plan.js';
import type { SlotTraffic } from '../../src/platform/index.js';
import { LATENCY_BOUNDS_MS } from '../../src/platform/router/index.js';

function canary(analysis: unknown) {
  return planOf({ strategy: 'canary', steps: [{ setWeight: 20 }, { pause: '1s' }, { analysis }] });
}

function analysisOf(analysis: unknown): Analysis {
  const { plan, problems } = canary(analysis);
  expect(problems).toEqual([]);
  const step = plan.steps.find((s) => s.kind === 'analysis');
  if (!step || step.kind !== 'analysis') throw new Error('no analysis step');
  return step.analysis;
}

function problemsOf(analysis: unknown) {
  return canary(analysis).problems;
}

describe('analysis properties', () => {
  it('name the field at fault down to the metric', () => {
    expect(problemsOf({ judge: { metrics: [{ name: 'errorRate', direction: 'up' }] } })).toEqual([
      { field: 'steps[2].analysis.judge.metrics[0].direction', message: 'direction is one of increase, decrease, either, got "up"' },
    ]);
    expect(problemsOf({ judge: { metrics: [{ name: 'errorRate' }, { name: 'latency', query: 'p95' }] } })[0]).toMatchObject({
      field: 'steps[2].analysis.judge.metrics[1].query',
      message: expect.stringContaining('errorRate, meanLatency, p90Latency, requests'),
    });
    expect(problemsOf({ judge: { metrics: [{ name: 'errorRate', critcal: true }] } })[0]).toMatchObject({
      field: 'steps[2].analysis.judge.metrics[0].critcal',
      message: expect.stringContaining("unknown field 'critcal'"),
    });
    expect(problemsOf({ judge: { metrics: [{ name: 'errorRate' }], thresholds: { pass: 70, marginal: 80 } } })[0]).toMatchObject({
      field: 'steps[2].analysis.judge.thresholds.marginal',
    });
    expect(problemsOf({ judge: { sampleInterval: '5s', duration: '20s', metrics: [{ name: 'errorRate' }] } })[0]).toMatchObject({
      field: 'steps[2].analysis.judge.duration',
      message: expect.stringContaining('gives 4 samples, fewer than minSamples 10'),
    });
    expect(problemsOf({ judge: { metrics: [{ name: 'errors', provider: 'prometheus', query: 'sum(rate(x[1m]))' }] } }).map((p) => p.field)).toEqual([
      'steps[2].analysis.judge.metrics[0].provider',
      'steps[2].analysis.judge.metrics[0].query',
    ]);
  });

  it('check threshold metrics as Argo does, with the condition parser’s message', () => {
    expect(problemsOf({ metrics: [{ name: 'errorRate', successCondition: 'result < 0.01 and result >= 0' }] })[0]).toMatchObject({
      field: 'steps[2].analysis.metrics[0].successCondition',
      message: expect.stringContaining('unexpected "and"'),
    });
    expect(problemsOf({ metrics: [{ name: 'errorRate', interval: '5s' }] })[0]).toMatchObject({ field: 'steps[2].analysis.metrics[0].count', message: expect.stringContaining('a step must end') });
    expect(problemsOf({ metrics: [{ name: 'errorRate', count: 3 }] })[0]).toMatchObject({ field: 'steps[2].analysis.metrics[0].interval' });
    expect(problemsOf({ metrics: [{ name: 'errorRate', interval: '1s', count: 2, failureLimit: 3 }] })[0]).toMatchObject({ field: 'steps[2].analysis.metrics[0].count' });
    expect(problemsOf({ metrics: [{ name: 'errorRate' }, { name: 'errorRate' }] })[0]).toMatchObject({ field: 'steps[2].analysis.metrics[1].name' });
    expect(problemsOf({ metrics: [] })[0]).toMatchObject({ field: 'steps[2].analysis.metrics' });
  });

  it('are refused when the pipeline loads, at the file position of the bad field', () => {
    const deploy = createDeployExecutor(() => undefined);
    const text = [
      'apiVersion: slipway/v1',
      'kind: Pipeline',
      'metadata: {name: shop}',
      'spec:',
      '  services: [web]',
      '  stages:',
      '    - name: prod',
      '      tasks:',
      '        - name: deploy',
      '          kind: deploy',
      '          properties:',
      '            strategy: canary',
      '            steps:',
      '              - {setWeight: 20}',
      '              - analysis:',
      '                  judge:',
      '                    metrics:',
      '                      - {name: errorRate, direction: up}',
      '',
    ].join('\n');
    const kinds = { served: new Map([['deploy', (p: Readonly<Record<string, unknown>>) => deploy.validate!(p)]]), outside: [] };
    expect(() => loadPipeline(text, 's.yaml', { kinds })).toThrow(
      `s.yaml:18:54: spec.stages[0].tasks[0].properties.steps[1].analysis.judge.metrics[0].direction: deploy task 'deploy': direction is one of increase, decrease, either, got "up"`,
    );
  });

  it('keep the error-rate check alone as before, and beside judge or metrics only when its fields are set', () => {
    expect(analysisOf({}).errorRateCheck).toBe(true);
    expect(analysisOf({ metrics: [{ name: 'errorRate', successCondition: 'result < 0.05' }] }).errorRateCheck).toBe(false);
    expect(analysisOf({ maxErrorRate: 0.1, metrics: [{ name: 'errorRate', successCondition: 'result < 0.05' }] }).errorRateCheck).toBe(true);
  });
});

// --- a clock and per-slot traffic drawn from known distributions --------------------------------

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface SlotModel {
  /** Requests per second. */
  rate: number;
  latencyMs: { mean: number; sd: number };
  failRate: number;
}

class World {
  now = 1_000_000;
  readonly counters = new Map<string, Required<Pick<SlotTraffic, 'requests' | 'errors' | 'sumMs' | 'buckets'>>>();
  private readonly random: () => number;
  private readonly carry = new Map<string, number>();
  constructor(
    readonly slots: Record<string, SlotModel>,
    seed = 7,
  ) {
    this.random = rng(seed);
  }
  private normal(): number {
    const u = Math.max(this.random(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.random());
  }
  advance(ms: number): void {
    for (const [slot, m] of Object.entries(this.slots)) {
      const c = this.counters.get(slot) ?? { requests: 0, errors: 0, sumMs: 0, buckets: new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0) };
      // Fractions carry over, so 0.2 requests a second is one request every 5 s.
      const due = (m.rate * ms) / 1000 + (this.carry.get(slot) ?? 0);
      const n = Math.floor(due + 1e-9);
      this.carry.set(slot, due - n);
      for (let i = 0; i < n; i++) {
        const latency = Math.max(0.1, m.latencyMs.mean + m.latencyMs.sd * this.normal());
        c.requests++;
        if (this.random() < m.failRate) c.errors++;
        c.sumMs += latency;
        let b = 0;
        while (b < LATENCY_BOUNDS_MS.length && latency > LATENCY_BOUNDS_MS[b]!) b++;
        c.buckets[b]!++;
      }
      this.counters.set(slot, c);
    }
    this.now += ms;
  }
  io(): AnalysisIO & { beats: number } {
    const io = {
      beats: 0,
      now: () => this.now,
      sleep: (ms: number) => Promise.resolve(this.advance(ms)),
      traffic: (service: string, slot: string): SlotTraffic => {
        // A model named `service/slot` serves that service only; a bare slot name serves every service.
        const c = this.counters.get(`${service}/${slot}`) ?? this.counters.get(slot);
        return c ? { ...c, buckets: [...c.buckets] } : { requests: 0, errors: 0 };
      },
      heartbeat: () => void io.beats++,
      prometheus: () => Promise.reject(new Error('no Prometheus in this test')),
      project: 'shop',
      stage: 'prod',
    };
    return io;
  }
}

const sides: Sides[] = [{ service: 'web', canarySlot: 'green', baselineSlot: 'blue', canaryVersion: 'r2', baselineVersion: 'r1' }];

async function analyse(a: Analysis, world: World) {
  const io = world.io();
  const st = startAnalysis(a, sides, { web: io.traffic('web', 'green') }, io);
  let saves = 0;
  const outcome = await runAnalysis(a, st, sides, io, () => Promise.resolve(void saves++));
  return { outcome, st, saves, beats: io.beats };
}

type JudgeOut = { verdict: string; services: Record<string, { verdict: string; metrics: { name: string; classification: string; canaryMean: number; baselineMean: number; pValue: number | null; effect: number | null; canaryCount: number }[] }> };

const judgeAnalysis = (over: Record<string, unknown> = {}) =>
  analysisOf({
    judge: {
      sampleInterval: '2s',
      duration: '40s',
      minSamples: 10,
      metrics: [
        { name: 'meanLatency', direction: 'increase', critical: true },
        { name: 'errorRate', direction: 'increase' },
      ],
      ...over,
    },
  });

const steady = (over: Partial<SlotModel> = {}): SlotModel => ({ rate: 40, latencyMs: { mean: 50, sd: 10 }, failRate: 0.01, ...over });

describe('the judge on per-slot samples', () => {
  it('passes a canary drawn from the same distributions as its baseline', async () => {
    const { outcome, st, saves } = await analyse(judgeAnalysis(), new World({ green: steady({ rate: 20 }), blue: steady({ rate: 80 }) }));
    expect(outcome.verdict).toBe('pass');
    expect(outcome.reason).toMatch(/^judge pass: score 100/);
    expect(st.judge!.taken).toBe(20);
    expect(saves).toBe(20);
    const web = (outcome.output['judge'] as JudgeOut).services['web']!;
    const latency = web.metrics.find((m) => m.name === 'meanLatency')!;
    expect(latency).toMatchObject({ classification: 'Pass', canaryCount: 20 });
    expect(latency.canaryMean).toBeGreaterThan(45);
    expect(latency.canaryMean).toBeLessThan(55);
    expect(latency.pValue).toBeGreaterThan(0.02);
  });

  it('fails a canary whose critical latency is 20% higher, scoring it 0, with both means and the effect', async () => {
    const { outcome } = await analyse(judgeAnalysis(), new World({ green: steady({ rate: 20, latencyMs: { mean: 60, sd: 10 } }), blue: steady({ rate: 80 }) }));
    expect(outcome.verdict).toBe('fail');
    expect(outcome.reason).toMatch(/critical metric failed, score 0: metric meanLatency is higher on the canary/);
    const latency = (outcome.output['judge'] as JudgeOut).services['web']!.metrics.find((m) => m.name === 'meanLatency')!;
    expect(latency.classification).toBe('High');
    expect(latency.canaryMean / latency.baselineMean).toBeGreaterThan(1.12);
    expect(latency.effect).toBeGreaterThan(5);
    expect(latency.pValue).toBeLessThan(0.02);
  });

  it('tolerates the same shift when allowedIncrease covers the mean ratio', async () => {
    const a = judgeAnalysis({ metrics: [{ name: 'meanLatency', direction: 'increase', critical: true, allowedIncrease: 1.3 }] });
    const { outcome } = await analyse(a, new World({ green: steady({ rate: 20, latencyMs: { mean: 60, sd: 10 } }), blue: steady({ rate: 80 }) }));
    expect(outcome.verdict).toBe('pass');
  });

  it('catches a version failing one request in five against a healthy baseline', async () => {
    const { outcome } = await analyse(judgeAnalysis(), new World({ green: steady({ rate: 20, failRate: 0.2 }), blue: steady({ rate: 80 }) }));
    // errorRate is not critical: one of two metrics fails, score 50 < marginal 75.
    expect(outcome.verdict).toBe('fail');
    expect(outcome.reason).toContain('metric errorRate is higher on the canary');
  });

  it('pauses for a person on a marginal score (by default), or passes or fails it as asked', async () => {
    const world = () => new World({ green: steady({ rate: 20, failRate: 0.2 }), blue: steady({ rate: 80 }) });
    const marginal = (over: Record<string, unknown>) =>
      judgeAnalysis({ metrics: [{ name: 'meanLatency', direction: 'increase' }, { name: 'errorRate', direction: 'increase' }], thresholds: { pass: 95, marginal: 50 }, ...over });
    const paused = await analyse(marginal({}), world());
    expect(paused.outcome.verdict).toBe('pause');
    expect(paused.outcome.reason).toMatch(/^judge marginal: score 50 \(pass ≥ 95, marginal ≥ 50\); 1 of 2 metrics pass: metric errorRate is higher/);
    expect((await analyse(marginal({ marginal: 'fail' }), world())).outcome.verdict).toBe('fail');
    expect((await analyse(marginal({ marginal: 'pass' }), world())).outcome.verdict).toBe('pass');
  });

  it('says there is too little data when the canary gets too few requests, and does not pass', async () => {
    // 0.2 requests a second: three of five 2-second intervals see no canary request (a missing sample): 8 samples of 20.
    const { outcome } = await analyse(judgeAnalysis(), new World({ green: steady({ rate: 0.2 }), blue: steady({ rate: 80 }) }));
    expect(outcome.verdict).toBe('fail');
    expect(outcome.reason).toMatch(/^judge too-little-data: too little data to judge 2 of 2 metrics/);
    expect(outcome.reason).toContain('fewer than the 10 each side needs');
  });

  it('pauses for a person on too little data when asked to', async () => {
    const { outcome } = await analyse(judgeAnalysis({ tooLittleData: 'pause' }), new World({ green: steady({ rate: 0.2 }), blue: steady({ rate: 80 }) }));
    expect(outcome.verdict).toBe('pause');
  });

  it('does not pass a canary that served nothing, even with mustHaveData off', async () => {
    const { outcome } = await analyse(judgeAnalysis(), new World({ green: steady({ rate: 0 }), blue: steady({ rate: 80 }) }));
    expect(outcome.verdict).toBe('fail');
    expect(outcome.reason).toMatch(/^judge too-little-data: no metric has data on both slots/);
  });
});

describe('threshold metrics on the canary slot', () => {
  it('succeed after count measurements that hold the success condition', async () => {
    const a = analysisOf({ metrics: [{ name: 'errorRate', successCondition: 'result < 0.05', interval: '2s', count: 5 }] });
    const { outcome, st } = await analyse(a, new World({ green: steady(), blue: steady() }));
    expect(outcome.verdict).toBe('pass');
    expect(st.thresholds![0]!.tally).toMatchObject({ count: 5, successful: 5 });
  });

  it('fail as soon as failures exceed failureLimit, without taking the rest', async () => {
    const a = analysisOf({ metrics: [{ name: 'errorRate', successCondition: 'result < 0.05', interval: '2s', count: 10, failureLimit: 1 }] });
    const { outcome, st } = await analyse(a, new World({ green: steady({ failRate: 0.5 }), blue: steady() }));
    expect(outcome.verdict).toBe('fail');
    expect(st.thresholds![0]!.tally).toMatchObject({ failed: 2, count: 2 });
    expect(outcome.reason).toMatch(/threshold analysis Failed: metric errorRate is Failed \(0 successful, 2 failed/);
  });

  it('pause when neither condition holds (inconclusive)', async () => {
    const a = analysisOf({ metrics: [{ name: 'meanLatency', successCondition: 'result < 30', failureCondition: 'result > 100', interval: '2s', count: 3 }] });
    const { outcome } = await analyse(a, new World({ green: steady(), blue: steady() }));
    expect(outcome.verdict).toBe('pause');
    expect(outcome.reason).toContain('threshold analysis Inconclusive: metric meanLatency is Inconclusive');
  });

  it('count an interval without canary requests as an error, and error out past consecutiveErrorLimit', async () => {
    const a = analysisOf({ metrics: [{ name: 'errorRate', successCondition: 'result < 0.05', interval: '1s', count: 3, consecutiveErrorLimit: 1 }] });
    const { outcome, st } = await analyse(a, new World({ green: steady({ rate: 0 }), blue: steady() }));
    expect(outcome.verdict).toBe('fail');
    expect(st.thresholds![0]!.tally).toMatchObject({ error: 2, consecutiveError: 2, count: 0 });
    expect(outcome.reason).toContain('no request reached the canary');
  });

  it('decide from saved state alone (what a restart continues from)', async () => {
    const a = analysisOf({ metrics: [{ name: 'errorRate', successCondition: 'result < 0.05', interval: '2s', count: 2 }] });
    const { st } = await analyse(a, new World({ green: steady(), blue: steady() }));
    const again = decide(a, JSON.parse(JSON.stringify(st)) as typeof st);
    expect(again.verdict).toBe('pass');
  });
});

describe('judge and threshold metrics in one step', () => {
  it('a failed threshold metric ends the analysis early; the unfinished judge says it was stopped, not that data was short', async () => {
    const a = analysisOf({
      judge: { sampleInterval: '1s', duration: '20s', minSamples: 10, metrics: [{ name: 'errorRate', direction: 'increase' }] },
      metrics: [{ name: 'errorRate', successCondition: 'result < 0.05', interval: '2s', count: 5 }],
    });
    const { outcome } = await analyse(a, new World({ green: steady({ failRate: 0.5 }), blue: steady() }));
    expect(outcome.verdict).toBe('fail');
    expect(outcome.reason).toMatch(/^threshold analysis Failed: metric errorRate is Failed/);
    expect(outcome.output['judge']).toMatchObject({ verdict: 'stopped', samples: 2, of: 20 });
  });
});

describe('an analysis continued after a restart', () => {
  it('keeps the samples taken before and does not count the downtime as one sample', async () => {
    const a = judgeAnalysis({ metrics: [{ name: 'requests', direction: 'decrease' }, { name: 'errorRate', direction: 'increase' }] });
    const world = new World({ green: steady({ rate: 20 }), blue: steady({ rate: 20 }) });
    const io = world.io();
    const st = startAnalysis(a, sides, {}, io);
    // Five samples, then the process "dies": the state goes through JSON as the progress file does.
    let rounds = 0;
    const dying: AnalysisIO = { ...io, sleep: (ms) => (++rounds > 5 ? Promise.reject(new Error('stopped')) : io.sleep(ms)) };
    await expect(runAnalysis(a, st, sides, dying, () => Promise.resolve())).rejects.toThrow('stopped');
    const saved = JSON.parse(JSON.stringify(st)) as typeof st;
    expect(saved.judge!.taken).toBe(5);
    world.advance(60_000);
    const outcome = await runAnalysis(a, saved, sides, world.io(), () => Promise.resolve());
    expect(outcome.verdict).toBe('pass');
    expect(saved.judge!.taken).toBe(20);
    // Every sample is one 2-second interval: 40 canary requests each, none of them the minute away.
    const requests = saved.judge!.samples['web']!['requests']!.canary;
    expect(requests).toHaveLength(20);
    expect(new Set(requests)).toEqual(new Set([40]));
  });
});

describe('a run of several services', () => {
  it('judges each service canary against its own baseline and names the one that fails', async () => {
    const a = judgeAnalysis();
    const two: Sides[] = [...sides, { service: 'api', canarySlot: 'blue', baselineSlot: 'green', canaryVersion: 'r2', baselineVersion: 'r1' }];
    const world = new World({ 'web/green': steady({ rate: 20 }), 'web/blue': steady({ rate: 80 }), 'api/blue': steady({ rate: 20, latencyMs: { mean: 80, sd: 10 } }), 'api/green': steady({ rate: 80 }) });
    const io = world.io();
    const st = startAnalysis(a, two, {}, io);
    const outcome = await runAnalysis(a, st, two, io, () => Promise.resolve());
    expect(outcome.verdict).toBe('fail');
    expect(outcome.reason).toMatch(/^judge fail: web: score 100 .*; api: critical metric failed, score 0: metric meanLatency is higher on the canary/);
    const services = (outcome.output['judge'] as JudgeOut).services;
    expect(services['web']!.verdict).toBe('pass');
    expect(services['api']!.verdict).toBe('fail');
  });
});
