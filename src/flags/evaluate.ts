/**
 * One flag evaluation, as OFREP answers it: pure, from the flag's declaration, the stage's
 * rollout and the evaluation context. Rules come first (TARGETING_MATCH); a rollout to
 * everyone is STATIC, to no one (or no rollout at all) DEFAULT; a share in between is a
 * SPLIT by the targeting key, which it then needs (TARGETING_KEY_MISSING without one).
 */
import type { FlagRollout, FlagRule, FlagSpec, FlagValue } from '../core/index.js';
import { bucketOf, thresholdOf } from './bucket.js';

export type OfrepReason = 'STATIC' | 'DEFAULT' | 'TARGETING_MATCH' | 'SPLIT' | 'DISABLED' | 'ERROR';
export type OfrepErrorCode = 'FLAG_NOT_FOUND' | 'PARSE_ERROR' | 'TARGETING_KEY_MISSING' | 'INVALID_CONTEXT' | 'GENERAL';

export interface Evaluated {
  key: string;
  value: FlagValue;
  variant: string;
  reason: OfrepReason;
  metadata?: Readonly<Record<string, string | number | boolean>>;
}

export interface EvaluationFailure {
  key: string;
  errorCode: OfrepErrorCode;
  errorDetails: string;
}

export type Evaluation = Evaluated | EvaluationFailure;

export type EvaluationContext = Readonly<Record<string, unknown>>;

export function isFailure(e: Evaluation): e is EvaluationFailure {
  return 'errorCode' in e;
}

function matches(rule: FlagRule, context: EvaluationContext): boolean {
  const v = context[rule.attribute];
  if (typeof v !== 'string') return false;
  switch (rule.op) {
    case 'equals':
      return v === rule.value;
    case 'startsWith':
      return typeof rule.value === 'string' && v.startsWith(rule.value);
    case 'endsWith':
      return typeof rule.value === 'string' && v.endsWith(rule.value);
    case 'in':
      return Array.isArray(rule.value) && rule.value.includes(v);
  }
}

function answer(key: string, spec: FlagSpec, variant: string, reason: OfrepReason): Evaluated {
  return { key, value: spec.variants[variant] ?? null, variant, reason };
}

export function evaluateFlag(key: string, spec: FlagSpec, rollout: FlagRollout | undefined, context: EvaluationContext): Evaluation {
  if (!rollout) return answer(key, spec, spec.default, 'DEFAULT');
  for (const rule of rollout.rules ?? []) if (matches(rule, context)) return answer(key, spec, rule.variant, 'TARGETING_MATCH');
  const threshold = thresholdOf(rollout.percent);
  if (threshold === 0 || rollout.variant === spec.default) return answer(key, spec, spec.default, threshold === 0 ? 'DEFAULT' : 'STATIC');
  if (threshold >= 10_000) return answer(key, spec, rollout.variant, 'STATIC');
  const targetingKey = context['targetingKey'];
  if (typeof targetingKey !== 'string' || targetingKey === '') {
    return { key, errorCode: 'TARGETING_KEY_MISSING', errorDetails: `flag '${key}' is rolled out to ${rollout.percent}% of users: the context needs a targetingKey (a stable user id) to place the user` };
  }
  return answer(key, spec, bucketOf(key, targetingKey) < threshold ? rollout.variant : spec.default, 'SPLIT');
}
