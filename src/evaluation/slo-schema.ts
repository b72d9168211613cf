/**
 * Keptn's `slo.yaml` (spec_version 0.1.0) as zod schemas, with the lighthouse's defaults filled
 * in, so a parsed file is exactly what scoring reads. Keys Keptn does not know are dropped.
 */
import { z } from 'zod';
import type { AggregateFunction } from './slo-aggregate.js';
import { parseCriterion } from './slo-criteria.js';
import type { Criterion } from './slo-criteria.js';

const criterion = z.string().transform((text, ctx): Criterion => {
  const parsed = parseCriterion(text);
  if (typeof parsed === 'string') {
    ctx.addIssue({ code: 'custom', message: parsed });
    return z.NEVER;
  }
  return parsed;
});

/** One `criteria` list: all of its criteria must hold (AND). */
const criteriaList = z.object({ criteria: z.array(criterion).min(1) });

/** Lists are OR-ed. `pass:` left empty in YAML is null: no criteria. */
const criteriaLists = z
  .array(criteriaList)
  .nullish()
  .transform((lists) => (lists ?? []).map((l) => l.criteria));

const percent = z.union([z.string(), z.number()], { error: (iss) => (iss.input === undefined ? 'is required (a percentage such as "90%")' : 'expected a percentage such as "90%"') }).transform((v, ctx) => {
  const n = typeof v === 'number' ? v : Number(v.trim().replace(/%$/, ''));
  if (typeof v === 'string' && (v.trim() === '' || v.trim() === '%')) {
    ctx.addIssue({ code: 'custom', message: `'${v}' is not a percentage; write e.g. "90%"` });
    return z.NEVER;
  }
  if (!Number.isFinite(n)) {
    ctx.addIssue({ code: 'custom', message: `'${String(v)}' is not a percentage; write e.g. "90%"` });
    return z.NEVER;
  }
  return n;
});

const objective = z
  .object({
    sli: z.string().min(1),
    displayName: z.string().optional(),
    key_sli: z.boolean().default(false),
    // The lighthouse reads a weight of 0 (or none) as 1.
    weight: z.number().int().min(0).default(1).transform((w) => (w === 0 ? 1 : w)),
    pass: criteriaLists,
    warning: criteriaLists,
  })
  .transform((o) => ({
    sli: o.sli,
    displayName: o.displayName ?? o.sli,
    keySli: o.key_sli,
    weight: o.weight,
    pass: o.pass,
    warning: o.warning,
  }));

const AGGREGATES = ['avg', 'p50', 'p90', 'p95'] as const satisfies readonly AggregateFunction[];
export const INCLUDE_RESULTS = ['pass', 'pass_or_warn', 'all'] as const;

const comparison = z
  .object({
    compare_with: z.enum(['single_result', 'several_results']).optional(),
    include_result_with_score: z.enum(INCLUDE_RESULTS).default('all'),
    // The lighthouse reads 0 (or none) as 3.
    number_of_comparison_results: z.number().int().min(0).default(3).transform((n) => (n === 0 ? 3 : n)),
    aggregate_function: z.enum(AGGREGATES).default('avg'),
  })
  .transform((c) => ({
    compareWith: c.compare_with ?? null,
    includeResultWithScore: c.include_result_with_score,
    // As the lighthouse: single_result compares with one earlier evaluation whatever the number
    // says, several_results with the number, and a comparison without compare_with with 3.
    numberOfComparisonResults: c.compare_with === 'single_result' ? 1 : c.compare_with === 'several_results' ? c.number_of_comparison_results : 3,
    aggregateFunction: c.aggregate_function,
  }));

export const sloSchema = z
  .object({
    spec_version: z.union([z.string(), z.number()], { error: "expected a version such as '0.1.0'" }).transform(String).optional(),
    filter: z.record(z.string(), z.unknown()).nullish(),
    comparison: comparison.nullish(),
    objectives: z.array(objective).min(1),
    total_score: z.object({ pass: percent, warning: percent.optional() }),
  })
  .transform((f) => ({
    specVersion: f.spec_version ?? '0.1.0',
    // No comparison block at all: the lighthouse's single_result, all, avg.
    comparison: f.comparison ?? comparison.parse({ compare_with: 'single_result' }),
    objectives: f.objectives,
    totalScore: { pass: f.total_score.pass, ...(f.total_score.warning === undefined ? {} : { warning: f.total_score.warning }) },
  }));

export type Slo = z.output<typeof sloSchema>;
export type SloObjective = Slo['objectives'][number];
export type SloComparison = Slo['comparison'];
export type IncludeResultWithScore = (typeof INCLUDE_RESULTS)[number];

/** `--values`: SLI name → measured value. */
export const sloValuesSchema = z.record(
  z.string(),
  z.number({ error: (iss) => (iss.input === undefined ? 'is required (a number)' : `expected a number, got ${JSON.stringify(iss.input)}`) }),
  { error: (iss) => `expected an object of SLI name → number, got ${JSON.stringify(iss.input)}` },
);
export type SloValues = z.output<typeof sloValuesSchema>;

/** `--history`: earlier evaluations, oldest first. */
export const sloHistorySchema = z.array(
  z.object({
    result: z.enum(['pass', 'warning', 'fail'], { error: (iss) => `expected 'pass', 'warning' or 'fail', got ${JSON.stringify(iss.input)}` }),
    values: sloValuesSchema,
  }),
);
export type SloHistory = z.output<typeof sloHistorySchema>;
