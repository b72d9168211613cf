/**
 * `evaluation`: Keptn's quality gate. Measures the SLIs a Keptn slo.yaml names, through an SLI
 * provider (Prometheus with a Keptn sli.yaml, or the built-in router's own series), over a window,
 * and scores them as the lighthouse does. Relative criteria compare with earlier evaluations of
 * the same task, stage and service (read from the store through `ctx.runs`), oldest first.
 *
 * Properties:
 *   slo         path to a Keptn slo.yaml (relative to the pipeline file); none: pass, nothing to evaluate
 *   sli         path to a Keptn sli.yaml (provider prometheus)
 *   prometheus  { url }: where the sli.yaml queries go
 *   provider    prometheus | router (default: prometheus when `prometheus` is set)
 *   window      how far back the window reaches from now (`5m`); Keptn's `timeframe` is read the same.
 *               Default: since the run started, or the last 5 minutes when that is unknown
 *   service     the service evaluated (default: the release's only service)
 *   deployment  Keptn's $DEPLOYMENT (default `direct`)
 *   labels      { name: value } for $LABEL.<name> (the router reads `slot`)
 *
 * The output keeps `evaluation`: score, result, objectives (value, targets, score, status, what
 * it was compared with) and the measured values, which later evaluations compare with.
 */
import { isAbsolute, resolve } from 'node:path';
import { Results, type Result } from '../core/index.js';
import type { ExecutorContext, Executor, PastRun, TaskOutcome } from '../engine/executor.js';
import { NonRetryableTaskError } from '../engine/executor.js';
import { comparisonEvaluations, createPrometheusSliProvider, scoreSlo } from '../evaluation/index.js';
import type { ComparedWith, ObjectiveResult, Slo, SliProvider, SloComparison, SloEvaluation, SloHistory, SloValues } from '../evaluation/index.js';
import { loadKeptnSliFile, loadKeptnSloFile } from '../spec/index.js';
import { formatDurationMs, parseDurationMs } from './duration.js';
import { assertValid, describe, isStringMap, refersToSecret, stringMapProblems, type Problem, type Properties } from './properties.js';

const DEFAULT_WINDOW_MS = 5 * 60_000;
/** How many earlier runs are read for comparison data (the lighthouse compares with at most a few). */
const HISTORY_RUNS = 100;

export interface EvaluationExecutorOptions {
  /** The router SLI provider (`provider: router`); the composition root wires it to the local platform's registry. */
  router?: SliProvider;
  /** Per Prometheus query (default 10 s). */
  queryTimeoutMs?: number;
}

/** What the task keeps as `output.evaluation`; later evaluations read `result` and `values` back. */
export interface EvaluationRecord {
  score: number;
  result: Result;
  reason: string;
  service: string;
  provider: string;
  slo: string;
  window: { start: number; end: number };
  values: Record<string, number>;
  missing: Record<string, string>;
  /** The scorer's objectives, each comparison naming the runs its values came from. */
  objectives: Array<Omit<ObjectiveResult, 'comparedWith'> & { comparedWith: (ComparedWith & { runs: string[] }) | null }>;
  queries?: Record<string, string>;
  notes?: string[];
}

function problems(props: Properties): Problem[] {
  const out: Problem[] = [];
  for (const field of ['slo', 'sli', 'service', 'deployment'] as const) {
    if (props[field] !== undefined && (typeof props[field] !== 'string' || props[field] === '')) out.push({ field, message: `${field} must be a non-empty string, got ${describe(props[field])}` });
  }
  if (props.provider !== undefined && props.provider !== 'prometheus' && props.provider !== 'router') {
    out.push({ field: 'provider', message: `provider must be prometheus or router, got ${describe(props.provider)}` });
  }
  const prom = props.prometheus;
  const url = typeof prom === 'object' && prom !== null ? (prom as { url?: unknown }).url : undefined;
  // A `${secret:…}` URL is only known when the task runs.
  if (prom !== undefined && (typeof url !== 'string' || !(/^https?:\/\//.test(url) || refersToSecret(url)))) {
    out.push({ field: 'prometheus', message: `prometheus must be { url: http(s)://… }, got ${describe(prom)}` });
  }
  for (const field of ['window', 'timeframe'] as const) {
    if (props[field] !== undefined) {
      const ms = parseDurationMs(props[field]);
      if (ms === undefined || ms < 1000) out.push({ field, message: `${field} must be a duration of at least 1s such as \`5m\`, got ${describe(props[field])}` });
    }
  }
  out.push(...stringMapProblems(props, 'labels'));
  if (props.slo !== undefined) {
    const provider = providerOf(props);
    if (provider === undefined) out.push({ field: 'provider', message: 'an SLO needs values: set `prometheus: {url}` with `sli: sli.yaml`, or `provider: router`' });
    if (provider === 'prometheus') {
      if (prom === undefined) out.push({ field: 'prometheus', message: 'provider prometheus needs `prometheus: {url: http://…}`' });
      if (props.sli === undefined) out.push({ field: 'sli', message: 'provider prometheus needs `sli`: the Keptn sli.yaml with the queries' });
    }
  }
  return out;
}

function providerOf(props: Properties): 'prometheus' | 'router' | undefined {
  if (props.provider === 'prometheus' || props.provider === 'router') return props.provider;
  return props.prometheus !== undefined ? 'prometheus' : undefined;
}

export function createEvaluationExecutor(opts: EvaluationExecutorOptions = {}): Executor {
  return {
    kind: 'evaluation',
    validate: problems,
    defaultTimeoutMs: () => 10 * 60_000,
    async execute(ctx): Promise<TaskOutcome> {
      const props = ctx.task.properties;
      assertValid('evaluation', ctx.task.name, problems(props));
      if (props.slo === undefined) return { result: 'pass', message: 'no SLO file: nothing to evaluate' };
      const at = (p: string) => (isAbsolute(p) ? p : resolve(ctx.run.projectDir, p));
      const sloPath = props.slo as string;
      const slo = load(() => loadKeptnSloFile(at(sloPath)));
      const provider = providerFor(props, opts, at);
      const service = serviceOf(ctx);
      const end = ctx.now();
      const start = await windowStart(ctx, props, end);
      const labels = isStringMap(props.labels) ? props.labels : {};
      const names = slo.objectives.map((o) => o.sli);
      ctx.log.info(`evaluating ${names.length} SLIs of ${service} from ${provider.name} over ${formatDurationMs(end - start)}`);
      const measured = await provider.values(names, {
        project: ctx.run.project,
        stage: ctx.run.stage,
        service,
        deployment: typeof props.deployment === 'string' ? props.deployment : 'direct',
        start,
        end,
        labels,
        signal: ctx.signal,
      });
      const values: SloValues = {};
      for (const [k, v] of Object.entries(measured.values)) if (v !== undefined) values[k] = v;
      const earlier = await history(ctx, service, slo.comparison);
      const scored = scoreSlo(slo, values, earlier.history);
      const record = toRecord(scored, slo, earlier, {
        service,
        provider: provider.name,
        slo: sloPath,
        window: { start, end },
        values,
        missing: measured.missing,
        ...(measured.queries ? { queries: measured.queries } : {}),
        ...(measured.notes?.length ? { notes: measured.notes } : {}),
      });
      const missing = Object.entries(measured.missing);
      const message = `${scored.reason}${missing.length ? `; no value for ${missing.map(([k, why]) => `${k} (${why})`).join('; ')}` : ''}`;
      return { result: scored.result, message, output: { evaluation: record } };
    },
  };
}

function load<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    // A bad SLO or SLI file does not get better by retrying; its message names file:line.
    throw new NonRetryableTaskError(e instanceof Error ? e.message : String(e), { cause: e });
  }
}

function providerFor(props: Properties, opts: EvaluationExecutorOptions, at: (p: string) => string): SliProvider {
  if (providerOf(props) === 'router') {
    if (!opts.router) throw new NonRetryableTaskError('evaluation: provider router is not available in this Slipway (no local platform router metrics are wired); use prometheus');
    return opts.router;
  }
  const sliPath = props.sli as string;
  const sli = load(() => loadKeptnSliFile(at(sliPath)));
  const url = (props.prometheus as { url: string }).url;
  return createPrometheusSliProvider({ url, sli, sliFile: sliPath, ...(opts.queryTimeoutMs ? { timeoutMs: opts.queryTimeoutMs } : {}) });
}

function serviceOf(ctx: ExecutorContext): string {
  const named = ctx.task.properties.service;
  if (typeof named === 'string') return named;
  const services = Object.keys(ctx.run.artifacts);
  if (services.length === 1) return services[0]!;
  throw new NonRetryableTaskError(
    `evaluation task '${ctx.task.name}': the release has ${services.length} services (${services.join(', ') || 'none'}); name the one to evaluate in properties.service`,
  );
}

async function windowStart(ctx: ExecutorContext, props: Properties, end: number): Promise<number> {
  const given = parseDurationMs(props.window ?? props.timeframe);
  if (given !== undefined) return end - given;
  // Since this run started: its tests' traffic is what the gate judges.
  const started = ctx.run.startedAt;
  return started !== undefined && started < end ? started : end - DEFAULT_WINDOW_MS;
}

/**
 * Earlier evaluations of this task for this service, oldest first, each with the run it came
 * from. The service's newest runs are read first, a few more than the comparison takes; only
 * when too few of them count for it (failed runs, other tasks) are up to HISTORY_RUNS read.
 */
async function history(ctx: ExecutorContext, service: string, comparison: SloComparison): Promise<{ history: SloHistory; runOf: Map<SloHistory[number], string> }> {
  if (!ctx.runs) return { history: [], runOf: new Map() };
  const first = Math.min(HISTORY_RUNS, 2 * comparison.numberOfComparisonResults + 3);
  const query = { project: ctx.run.project, stage: ctx.run.stage, service };
  const runs: PastRun[] = await ctx.runs({ ...query, limit: first });
  const found = historyOf(ctx, service, runs);
  if (runs.length < first || comparisonEvaluations(found.history, comparison).length >= comparison.numberOfComparisonResults) return found;
  return historyOf(ctx, service, await ctx.runs({ ...query, limit: HISTORY_RUNS }));
}

function historyOf(ctx: ExecutorContext, service: string, runs: readonly PastRun[]): { history: SloHistory; runOf: Map<SloHistory[number], string> } {
  const runOf = new Map<SloHistory[number], string>();
  const out: SloHistory = [];
  for (const run of runs) {
    if (run.id === ctx.run.id) continue;
    const task = run.tasks.find((t) => t.name === ctx.task.name && t.kind === 'evaluation');
    const rec = task?.data?.evaluation as Partial<EvaluationRecord> | undefined;
    if (!task?.result || !Results.includes(task.result) || !rec || rec.service !== service || typeof rec.values !== 'object' || rec.values === null) continue;
    const values: SloValues = {};
    for (const [k, v] of Object.entries(rec.values)) if (typeof v === 'number' && Number.isFinite(v)) values[k] = v;
    const entry = { result: task.result, values };
    runOf.set(entry, run.id);
    out.push(entry);
  }
  // ctx.runs answers newest first; scoring wants oldest first.
  return { history: out.reverse(), runOf };
}

function toRecord(
  e: SloEvaluation,
  slo: Slo,
  earlier: { history: SloHistory; runOf: Map<SloHistory[number], string> },
  rest: Omit<EvaluationRecord, 'score' | 'result' | 'reason' | 'objectives'>,
): EvaluationRecord {
  // The evaluations scoring compared with (same selection, same objects), to name their runs.
  const compared = comparisonEvaluations(earlier.history, slo.comparison);
  const runsWith = (sli: string) => compared.filter((h) => h.values[sli] !== undefined).map((h) => earlier.runOf.get(h) ?? '');
  return {
    score: e.score,
    result: e.result,
    reason: e.reason,
    ...rest,
    objectives: e.objectives.map((o) => ({
      sli: o.sli,
      displayName: o.displayName,
      keySli: o.keySli,
      weight: o.weight,
      value: o.value,
      score: o.score,
      status: o.status,
      targets: o.targets.map((t) => ({ criteria: t.criteria, list: t.list, relative: t.relative, target: t.target, violated: t.violated })),
      comparedWith: o.comparedWith ? { ...o.comparedWith, runs: runsWith(o.sli) } : null,
      ...(o.message ? { message: o.message } : {}),
    })),
  };
}
