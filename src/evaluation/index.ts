/**
 * The evaluation module's only door: pure scoring of measured values (Keptn SLOs, the canary
 * judge), and the readers that measure them (Prometheus queries, firing alerts, SLI providers).
 */
export { sloSchema, sloValuesSchema, sloHistorySchema } from './slo-schema.js';
export type { Slo, SloObjective, SloComparison, SloValues, SloHistory, IncludeResultWithScore } from './slo-schema.js';
export { scoreSlo, comparisonEvaluations } from './slo-score.js';
export type { SloEvaluation, ObjectiveResult, ObjectiveStatus, SloResult, TargetResult, ComparedWith } from './slo-score.js';
export { parseCriterion } from './slo-criteria.js';
export type { Criterion, CriterionOperator } from './slo-criteria.js';
export { aggregate, percentile } from './slo-aggregate.js';
export type { AggregateFunction } from './slo-aggregate.js';
export * from './judge/index.js';
export { queryPrometheus, queryPrometheusSamples, labelText } from './prometheus.js';
export type { QueryOptions, PromSample } from './prometheus.js';
export { firingAlerts } from './alerts.js';
export type { AlertSource, FiringAlert } from './alerts.js';
export { MetricsError, MetricsErrorCodes, isMetricsError } from './metrics-error.js';
export type { MetricsErrorCode, HttpOptions } from './metrics-error.js';
export * from './providers/index.js';
export { parseCondition, evaluateCondition } from './threshold-condition.js';
export type { Condition, ConditionOperator } from './threshold-condition.js';
export {
  MeasurementPhase,
  THRESHOLD_DEFAULTS,
  measurementPhase,
  tallyMeasurement,
  assessMetric,
  assessRun,
  isWorse,
  emptyTally,
  thresholdMetricProblems,
  parseConditions,
} from './threshold-analysis.js';
export type { ThresholdMetric, Measurement, MetricTally, MetricPhase } from './threshold-analysis.js';
