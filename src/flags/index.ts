/** Feature flags as served over OFREP: the in-process book of rollouts, evaluation, buckets. The folder's only door. */
export { FlagBook, isRefusal, type BulkAnswer, type FlagBookDeps, type Refusal } from './book.js';
export { BUCKETS, bucketOf, inRollout, murmur3, thresholdOf } from './bucket.js';
export { evaluateFlag, isFailure, type Evaluated, type Evaluation, type EvaluationContext, type EvaluationFailure, type OfrepErrorCode, type OfrepReason } from './evaluate.js';
