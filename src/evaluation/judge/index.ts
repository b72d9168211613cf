export { normalCdf, normalQuantile } from './normal.js';
export { mannWhitney, hodgesLehmann, medianDifferenceBySearch, type MannWhitneyResult } from './mann-whitney.js';
export {
  classifyMetric,
  JUDGE_DEFAULTS,
  type ClassifierOptions,
  type MetricClassification,
  type MetricConfig,
  type MetricDirection,
  type MetricResult,
} from './classify.js';
export { judgeCanary, scoreMetrics, type GroupScore, type JudgeConfig, type JudgeResult, type JudgeVerdict, type MetricSamples } from './judge.js';
