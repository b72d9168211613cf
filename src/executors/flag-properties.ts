/**
 * A flag task's properties: `flag`, `variant`, and either `percent` (one change) or `steps`
 * (a ramp, e.g. [5, 25, 100]) with `pause` between them; optional `rules` (targeting:
 * `{when: {attribute: email, endsWith: '@example.com'}, variant: on}`). Whether the flag and
 * variants are declared is the spec's check (it knows spec.flags); the shapes are checked here.
 */
import type { FlagRule } from '../core/index.js';
import { durationBoundsProblem, parseDurationMs } from './duration.js';
import { describe, type Problem, type Properties } from './properties.js';

export interface FlagPlan {
  flag: string;
  variant: string;
  /** The shares in order: one for `percent`, several for `steps`. */
  shares: number[];
  pauseMs: number;
  rules: FlagRule[];
}

const OPS = ['equals', 'startsWith', 'endsWith', 'in'] as const;
const ALLOWED = new Set(['flag', 'variant', 'percent', 'steps', 'pause', 'rules']);

const isPercent = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 100;

export function flagProblems(props: Properties): Problem[] {
  const out: Problem[] = [];
  for (const k of Object.keys(props)) if (!ALLOWED.has(k)) out.push({ field: k, message: `unknown property; a flag task takes ${[...ALLOWED].join(', ')}` });
  if (typeof props.flag !== 'string' || props.flag === '') out.push({ field: 'flag', message: `flag is required: the key of a flag in spec.flags, got ${describe(props.flag)}` });
  if (typeof props.variant !== 'string' || props.variant === '') out.push({ field: 'variant', message: `variant is required: the variant to roll out, e.g. on, got ${describe(props.variant)}` });
  if ((props.percent === undefined) === (props.steps === undefined)) out.push({ field: 'percent', message: 'set exactly one of percent (e.g. 25) or steps (e.g. [5, 25, 100], with pause)' });
  if (props.percent !== undefined && !isPercent(props.percent)) out.push({ field: 'percent', message: `percent must be a number from 0 to 100, got ${describe(props.percent)}` });
  if (props.steps !== undefined) out.push(...stepProblems(props.steps, props.pause));
  else if (props.pause !== undefined) out.push({ field: 'pause', message: 'pause goes with steps: the time between two steps' });
  if (props.rules !== undefined) out.push(...ruleProblems(props.rules));
  return out;
}

function stepProblems(steps: unknown, pause: unknown): Problem[] {
  if (!Array.isArray(steps) || steps.length === 0 || !steps.every(isPercent)) return [{ field: 'steps', message: `steps must be a list of percents from 0 to 100, e.g. [5, 25, 100], got ${describe(steps)}` }];
  if (steps.some((s, i) => i > 0 && s <= steps[i - 1]!)) return [{ field: 'steps', message: `steps must grow, e.g. [5, 25, 100], got ${describe(steps)}: a ramp never takes users back` }];
  if (steps.length === 1) return [];
  const ms = parseDurationMs(pause);
  if (pause === undefined || ms === undefined) return [{ field: 'pause', message: `pause is required with several steps: how long each share holds before the next, e.g. 10m, got ${describe(pause)}` }];
  const bounds = durationBoundsProblem(ms, `pause ${describe(pause)}`, 'a pause');
  return bounds === undefined ? [] : [{ field: 'pause', message: bounds }];
}

function ruleProblems(rules: unknown): Problem[] {
  if (!Array.isArray(rules)) return [{ field: 'rules', message: `rules must be a list of {when: {attribute, equals|startsWith|endsWith|in}, variant}, got ${describe(rules)}` }];
  return rules.flatMap((r, i) => (parseRule(r) ? [] : [{ field: `rules[${i}]`, message: `expected {when: {attribute: NAME, equals|startsWith|endsWith: TEXT or in: [TEXT...]}, variant: NAME}, got ${describe(r)}` }]));
}

function parseRule(r: unknown): FlagRule | undefined {
  if (typeof r !== 'object' || r === null) return undefined;
  const { when, variant } = r as Record<string, unknown>;
  if (typeof when !== 'object' || when === null || typeof variant !== 'string') return undefined;
  const w = when as Record<string, unknown>;
  const ops = OPS.filter((op) => w[op] !== undefined);
  const op = ops[0];
  if (typeof w['attribute'] !== 'string' || ops.length !== 1 || op === undefined || Object.keys(w).length !== 2) return undefined;
  const value = w[op];
  const ok = op === 'in' ? Array.isArray(value) && value.every((v) => typeof v === 'string') : typeof value === 'string';
  return ok ? { attribute: w['attribute'], op, value: value as string | string[], variant } : undefined;
}

/** The plan of valid properties (call flagProblems first). */
export function flagPlan(props: Properties): FlagPlan {
  const shares = Array.isArray(props.steps) ? (props.steps as number[]) : [props.percent as number];
  const rules = Array.isArray(props.rules) ? props.rules.map((r) => parseRule(r)!) : [];
  return { flag: String(props.flag), variant: String(props.variant), shares, pauseMs: parseDurationMs(props.pause) ?? 0, rules };
}
