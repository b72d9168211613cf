/**
 * Runs a measured canary analysis (judge, threshold metrics, or both) while the canary takes
 * traffic: it samples on a schedule, keeps everything it measured in the deploy's progress (so a
 * restarted Slipway continues the same analysis), and ends with pass, fail, or pause (a person
 * decides: Argo's inconclusive, a marginal judge score).
 *
 * A judge sample is one interval of `sampleInterval`: for each slot, the router's counters at the
 * interval's end minus those at its start give the slot's error rate, mean and p90 latency over
 * that interval (NaN when the slot served no request: missing data, dropped by the judge); a
 * Prometheus metric is one instant query per slot at the interval's end.
 */
import type { JudgeResult, Measurement, MetricPhase, MetricSamples, MetricTally } from '../../evaluation/index.js';
import { assessMetric, assessRun, emptyTally, isMetricsError, judgeCanary, measurementPhase, tallyMeasurement } from '../../evaluation/index.js';
import type { SlotTraffic } from '../../platform/index.js';
import { trafficBetween, type IntervalTraffic } from '../../platform/router/index.js';
import type { JudgeSpec, MetricSource, RouterQuantity, ThresholdMetricSpec } from './analysis-spec.js';
import type { Analysis } from './plan.js';

/** The canary and baseline of one service. */
export interface Sides {
  service: string;
  canarySlot: string;
  baselineSlot: string;
  canaryVersion: string;
  baselineVersion: string;
}

export interface AnalysisIO {
  now(): number;
  /** Waits `ms` (rejects when the task is aborted). */
  sleep(ms: number): Promise<void>;
  traffic(service: string, slot: string): SlotTraffic;
  heartbeat(details: Record<string, unknown>): void;
  /** Instant Prometheus query at `time`: undefined for no data. */
  prometheus(url: string, query: string, time: number): Promise<number | undefined>;
  project: string;
  stage: string;
}

type Series = Record<string, { canary: number[]; baseline: number[] }>;

interface JudgeState {
  nextAt: number;
  taken: number;
  last: Record<string, { canary: SlotTraffic; baseline: SlotTraffic }>;
  samples: Record<string, Series>;
  /** The last Prometheus error per metric (the sample counts as missing). */
  errors: Record<string, string>;
}

interface ThresholdState {
  service: string;
  metric: string;
  tally: MetricTally;
  phase: MetricPhase;
  nextAt: number;
  last?: SlotTraffic;
  /** The latest 10, as Argo keeps. */
  measurements: Measurement[];
}

export interface AnalysisState {
  startedAt: number;
  judge?: JudgeState;
  thresholds?: ThresholdState[];
}

export type AnalysisVerdict = 'pass' | 'fail' | 'pause';

export interface AnalysisOutcome {
  verdict: AnalysisVerdict;
  reason: string;
  output: Record<string, unknown>;
}

const HISTORY = 10;

function quantity(t: IntervalTraffic, q: RouterQuantity): number {
  switch (q) {
    case 'errorRate':
      return t.errorRate;
    case 'meanLatency':
      return t.meanLatencyMs;
    case 'p90Latency':
      return t.p90LatencyMs;
    case 'requests':
      return t.requests;
  }
}

function fill(query: string, io: AnalysisIO, service: string, slot: string, version: string, intervalMs: number): string {
  return query
    .split('$SLOT').join(slot)
    .split('$VERSION').join(version)
    .split('$SERVICE').join(service)
    .split('$STAGE').join(io.stage)
    .split('$PROJECT').join(io.project)
    .split('$INTERVAL').join(`${Math.max(1, Math.round(intervalMs / 1000))}s`);
}

export function startAnalysis(a: Analysis, sides: readonly Sides[], window: Readonly<Record<string, SlotTraffic>>, io: AnalysisIO): AnalysisState {
  const now = io.now();
  const state: AnalysisState = { startedAt: now };
  if (a.judge) {
    const last: JudgeState['last'] = {};
    const samples: JudgeState['samples'] = {};
    for (const s of sides) {
      last[s.service] = { canary: io.traffic(s.service, s.canarySlot), baseline: io.traffic(s.service, s.baselineSlot) };
      samples[s.service] = Object.fromEntries(a.judge.metrics.map((m) => [m.name, { canary: [], baseline: [] }]));
    }
    state.judge = { nextAt: now + a.judge.sampleIntervalMs, taken: 0, last, samples, errors: {} };
  }
  if (a.metrics) {
    state.thresholds = sides.flatMap((s) =>
      a.metrics!.map((m) => {
        const base = window[s.service];
        return { service: s.service, metric: m.name, tally: emptyTally(), phase: 'Running' as MetricPhase, nextAt: now + m.initialDelayMs, measurements: [], ...(base ? { last: base } : {}) };
      }),
    );
  }
  return state;
}

async function judgeSample(j: JudgeSpec, st: JudgeState, sides: readonly Sides[], io: AnalysisIO, prometheus: string | undefined): Promise<void> {
  const at = io.now();
  for (const s of sides) {
    const canary = io.traffic(s.service, s.canarySlot);
    const baseline = io.traffic(s.service, s.baselineSlot);
    const prev = st.last[s.service];
    const c = trafficBetween(canary, prev?.canary);
    const b = trafficBetween(baseline, prev?.baseline);
    st.last[s.service] = { canary, baseline };
    const series = (st.samples[s.service] ??= {});
    for (const m of j.metrics) {
      const into = (series[m.name] ??= { canary: [], baseline: [] });
      if (m.source.provider === 'router') {
        into.canary.push(quantity(c, m.source.quantity));
        into.baseline.push(quantity(b, m.source.quantity));
        continue;
      }
      const [cv, bv] = await Promise.all([
        promValue(m.source, 'canary', s, io, prometheus!, at, j.sampleIntervalMs, st, m.name),
        promValue(m.source, 'baseline', s, io, prometheus!, at, j.sampleIntervalMs, st, m.name),
      ]);
      into.canary.push(cv);
      into.baseline.push(bv);
    }
  }
  st.taken++;
  st.nextAt += j.sampleIntervalMs;
}

async function promValue(source: Extract<MetricSource, { provider: 'prometheus' }>, side: 'canary' | 'baseline', s: Sides, io: AnalysisIO, url: string, at: number, intervalMs: number, st: JudgeState, name: string): Promise<number> {
  const template = side === 'canary' ? source.canaryQuery : source.baselineQuery;
  const query = side === 'canary' ? fill(template, io, s.service, s.canarySlot, s.canaryVersion, intervalMs) : fill(template, io, s.service, s.baselineSlot, s.baselineVersion, intervalMs);
  try {
    return (await io.prometheus(url, query, at)) ?? NaN;
  } catch (err) {
    if (!isMetricsError(err)) throw err;
    // A failed query is a missing sample: the judge drops NaN and says so when too few remain.
    st.errors[name] = err.message;
    return NaN;
  }
}

async function measure(m: ThresholdMetricSpec, t: ThresholdState, s: Sides, io: AnalysisIO, prometheus: string | undefined): Promise<void> {
  const at = io.now();
  let m2: Measurement;
  if (m.source.provider === 'router') {
    const now = io.traffic(s.service, s.canarySlot);
    const interval = trafficBetween(now, t.last);
    t.last = now;
    const value = quantity(interval, m.source.quantity);
    m2 =
      interval.requests === 0 && m.source.quantity !== 'requests'
        ? { phase: 'Error', at, message: `no request reached the canary (${s.canarySlot}) since the last measurement` }
        : { phase: measurementPhase(m, value), value, at };
  } else {
    const query = fill(m.source.query, io, s.service, s.canarySlot, s.canaryVersion, m.intervalMs ?? 60_000);
    try {
      const value = await io.prometheus(prometheus!, query, at);
      m2 = value === undefined ? { phase: 'Error', at, message: `no data: ${query} returned no series` } : { phase: measurementPhase(m, value), value, at };
    } catch (err) {
      if (!isMetricsError(err)) throw err;
      m2 = { phase: 'Error', at, message: err.message };
    }
  }
  t.tally = tallyMeasurement(t.tally, m2.phase);
  t.measurements = [...t.measurements, m2].slice(-HISTORY);
  t.phase = assessMetric(m, t.tally);
  // Argo retries an errored measurement after its interval (10 s without one).
  t.nextAt = at + (m.intervalMs ?? 10_000);
}

function judgeTarget(j: JudgeSpec): number {
  return Math.floor(j.durationMs / j.sampleIntervalMs);
}

function thresholdsPhase(st: AnalysisState): MetricPhase | undefined {
  return st.thresholds ? assessRun(st.thresholds.map((t) => t.phase)) : undefined;
}

/** Takes measurements until the analysis can be decided, saving after each round. */
export async function runAnalysis(a: Analysis, st: AnalysisState, sides: readonly Sides[], io: AnalysisIO, save: () => Promise<void>): Promise<AnalysisOutcome> {
  const byService = new Map(sides.map((s) => [s.service, s]));
  const specOf = new Map((a.metrics ?? []).map((m) => [m.name, m]));
  for (;;) {
    const phase = thresholdsPhase(st);
    const thresholdsDone = phase === undefined || phase !== 'Running';
    const judgeDone = !a.judge || !st.judge || st.judge.taken >= judgeTarget(a.judge);
    // A failed or errored metric ends the analysis at once, as Argo terminates the run.
    if ((judgeDone && thresholdsDone) || phase === 'Failed' || phase === 'Error') return decide(a, st);
    const due: number[] = [];
    if (!judgeDone) due.push(st.judge!.nextAt);
    if (!thresholdsDone) for (const t of st.thresholds!) if (t.phase === 'Running') due.push(t.nextAt);
    const next = Math.min(...due);
    const wait = next - io.now();
    if (wait > 0) await io.sleep(wait);
    const now = io.now();
    if (!judgeDone && now - st.judge!.nextAt > a.judge!.sampleIntervalMs) {
      // Overdue by more than an interval (Slipway was down): the gap is not one sample. Start a
      // fresh interval from here; the samples taken before are kept.
      for (const s of sides) st.judge!.last[s.service] = { canary: io.traffic(s.service, s.canarySlot), baseline: io.traffic(s.service, s.baselineSlot) };
      st.judge!.nextAt = now + a.judge!.sampleIntervalMs;
    } else if (!judgeDone && st.judge!.nextAt <= now) await judgeSample(a.judge!, st.judge!, sides, io, a.prometheus);
    if (!thresholdsDone) {
      for (const t of st.thresholds!) {
        if (t.phase !== 'Running' || t.nextAt > now) continue;
        await measure(specOf.get(t.metric)!, t, byService.get(t.service)!, io, a.prometheus);
      }
    }
    await save();
    io.heartbeat({ analysis: progressText(a, st) });
  }
}

/** "judge: 7 of 15 samples; errors: 3 of 6 measurements" */
export function progressText(a: Analysis, st: AnalysisState): string {
  const parts: string[] = [];
  if (a.judge && st.judge) parts.push(`judge: ${st.judge.taken} of ${judgeTarget(a.judge)} samples`);
  for (const t of st.thresholds ?? []) {
    const m = a.metrics?.find((x) => x.name === t.metric);
    parts.push(`${sidesLabel(st, t)}: ${t.tally.count} of ${m?.count ?? '?'} measurements, ${t.phase}`);
  }
  return parts.join('; ');
}

function sidesLabel(st: AnalysisState, t: ThresholdState): string {
  const services = new Set((st.thresholds ?? []).map((x) => x.service));
  return services.size > 1 ? `${t.service}/${t.metric}` : t.metric;
}

function mean(values: readonly number[]): number | null {
  const v = values.filter((x) => !Number.isNaN(x));
  return v.length === 0 ? null : v.reduce((s, x) => s + x, 0) / v.length;
}

const round = (v: number | null | undefined): number | null => (v === null || v === undefined || !Number.isFinite(v) ? null : Number(v.toPrecision(6)));

/** The judge's verdict per service, with each metric's means, effect, p-value and class. */
export function judgeServices(j: JudgeSpec, samples: Readonly<Record<string, Series>>): { verdict: JudgeResult['verdict']; results: Record<string, JudgeResult>; output: Record<string, unknown> } {
  const results: Record<string, JudgeResult> = {};
  const order: JudgeResult['verdict'][] = ['pass', 'marginal', 'too-little-data', 'fail'];
  let worst: JudgeResult['verdict'] = 'pass';
  const services: Record<string, unknown> = {};
  for (const [service, series] of Object.entries(samples)) {
    let r = judgeCanary(
      {
        metrics: j.metrics.map((m) => ({
          name: m.name,
          direction: m.direction,
          critical: m.critical,
          mustHaveData: m.mustHaveData,
          groups: m.groups,
          ...(m.allowedIncrease !== undefined ? { allowedIncrease: m.allowedIncrease } : {}),
          ...(m.allowedDecrease !== undefined ? { allowedDecrease: m.allowedDecrease } : {}),
        })),
        groupWeights: j.groupWeights,
        pass: j.pass,
        marginal: j.marginal,
        minSamples: j.minSamples,
        ...(j.confidenceLevel !== undefined ? { confidenceLevel: j.confidenceLevel } : {}),
      },
      series as MetricSamples,
    );
    // Kayenta passes a metric without data unless mustHaveData; a canary with no data on any
    // metric (no traffic reached it) would pass silently, so that is too little data instead.
    if (r.metrics.length > 0 && r.metrics.every((m) => m.noData) && r.verdict === 'pass') {
      r = { ...r, verdict: 'too-little-data', reason: `no metric has data on both slots (is traffic reaching the canary?): ${r.metrics.map((m) => m.reason).join('; ')}` };
    }
    results[service] = r;
    if (order.indexOf(r.verdict) > order.indexOf(worst)) worst = r.verdict;
    services[service] = {
      verdict: r.verdict,
      score: r.score,
      reason: r.reason,
      metrics: r.metrics.map((m) => ({
        name: m.name,
        classification: m.classification,
        canaryMean: round(mean(series[m.name]?.canary ?? [])),
        baselineMean: round(mean(series[m.name]?.baseline ?? [])),
        ratio: round(m.ratio),
        effect: round(m.test?.estimate),
        lower: round(m.test?.lower),
        upper: round(m.test?.upper),
        pValue: round(m.test?.pValue),
        canaryCount: m.canaryCount,
        baselineCount: m.baselineCount,
        critical: m.critical,
        reason: m.reason,
      })),
    };
  }
  return { verdict: worst, results, output: { verdict: worst, services } };
}

function thresholdsOutput(a: Analysis, st: AnalysisState): Record<string, unknown> {
  return {
    phase: thresholdsPhase(st),
    metrics: (st.thresholds ?? []).map((t) => {
      const m = a.metrics?.find((x) => x.name === t.metric);
      return {
        name: t.metric,
        service: t.service,
        phase: t.phase,
        ...t.tally,
        ...(m ? { successCondition: m.conditions.success ?? null, failureCondition: m.conditions.failure ?? null, limits: { count: m.count, failureLimit: m.failureLimit, inconclusiveLimit: m.inconclusiveLimit, consecutiveErrorLimit: m.consecutiveErrorLimit } } : {}),
        measurements: t.measurements.map((x) => ({ phase: x.phase, at: x.at, ...(x.value !== undefined ? { value: round(x.value) } : {}), ...(x.message ? { message: x.message } : {}) })),
      };
    }),
  };
}

function thresholdReason(st: AnalysisState): string {
  const bad = (st.thresholds ?? []).filter((t) => t.phase !== 'Successful' && t.phase !== 'Running');
  return bad
    .map((t) => {
      const last = t.measurements.at(-1);
      const tally = `${t.tally.successful} successful, ${t.tally.failed} failed, ${t.tally.inconclusive} inconclusive, ${t.tally.error} errors`;
      const lastText = last ? `; last ${last.value !== undefined ? `value ${round(last.value)}` : `error: ${last.message ?? ''}`}` : '';
      return `metric ${sidesLabel(st, t)} is ${t.phase} (${tally}${lastText})`;
    })
    .join('; ');
}

export function decide(a: Analysis, st: AnalysisState): AnalysisOutcome {
  const output: Record<string, unknown> = {};
  const fails: string[] = [];
  const pauses: string[] = [];
  const notes: string[] = [];
  if (a.judge && st.judge && st.judge.taken < judgeTarget(a.judge)) {
    // A failed threshold metric ended the analysis first (Argo terminates the run): the judge's
    // partial samples are kept but not judged, so "too little data" does not hide the real cause.
    output['judge'] = { verdict: 'stopped', samples: st.judge.taken, of: judgeTarget(a.judge), reason: 'stopped before its last sample: a threshold metric ended the analysis' };
  } else if (a.judge && st.judge) {
    const j = judgeServices(a.judge, st.judge.samples);
    output['judge'] = { ...j.output, samples: st.judge.taken, sampleIntervalMs: a.judge.sampleIntervalMs, ...(Object.keys(st.judge.errors).length > 0 ? { queryErrors: st.judge.errors } : {}) };
    const why = Object.entries(j.results)
      .map(([service, r]) => (Object.keys(j.results).length > 1 ? `${service}: ${r.reason}` : r.reason))
      .join('; ');
    const text = `judge ${j.verdict}: ${why}`;
    if (j.verdict === 'fail') fails.push(text);
    else if (j.verdict === 'too-little-data') (a.judge.onTooLittleData === 'pause' ? pauses : fails).push(text);
    else if (j.verdict === 'marginal') (a.judge.onMarginal === 'pause' ? pauses : a.judge.onMarginal === 'fail' ? fails : notes).push(text);
    else notes.push(text);
  }
  if (st.thresholds) {
    const phase = thresholdsPhase(st);
    output['metrics'] = thresholdsOutput(a, st);
    if (phase === 'Failed' || phase === 'Error') fails.push(`threshold analysis ${phase}: ${thresholdReason(st)}`);
    else if (phase === 'Inconclusive') pauses.push(`threshold analysis Inconclusive: ${thresholdReason(st)}`);
    else notes.push(`threshold analysis ${phase ?? 'Successful'}: ${(st.thresholds ?? []).length} metric${st.thresholds.length === 1 ? '' : 's'} Successful`);
  }
  if (fails.length > 0) return { verdict: 'fail', reason: fails.join('; '), output };
  if (pauses.length > 0) return { verdict: 'pause', reason: pauses.join('; '), output };
  return { verdict: 'pass', reason: notes.join('; '), output };
}

/** Waits `ms` or until the signal aborts (then rejects with its reason). */
export function sleepFor(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

