/**
 * A gate's properties, checked: `delay`, `interval`, `steady`, `timeout` and `signals`. The
 * pipeline loader and the executor read them through the same function, so a gate that loaded
 * never meets a different rule when it runs. Problems name their field as written:
 * `signals[1].prometheus.condition`.
 */
import { durationBoundsProblem, formatDurationMs, parseDurationMs } from '../duration.js';
import { describe, type Problem, type Properties } from '../properties.js';
import { alarmSignal } from './alarm.js';
import { businessHoursSignal } from './business-hours.js';
import { httpSignal } from './http.js';
import { prometheusSignal } from './prometheus.js';
import { isObject, SIGNAL_TYPES, type Reading, type SampleEnv, type SignalModule, type SignalType } from './signal.js';
import { stageSignal } from './stage.js';

const KEYS = ['delay', 'interval', 'steady', 'timeout', 'signals'] as const;
const MINUTE = 60_000;
export const DEFAULTS = { delayMs: 0, intervalMs: MINUTE, steadyMs: 0, timeoutMs: 60 * MINUTE } as const;
/** Each signal's reading is kept in every sample's event: a bound keeps them small. */
export const MAX_SIGNALS = 20;
const SIGNAL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

export interface SignalSpec {
  name: string;
  type: SignalType;
  /** The signal's own settings, checked (a stage signal's stage name, for the loader). */
  settings: unknown;
  read(env: SampleEnv): Promise<Omit<Reading, 'name' | 'type'>>;
}

export interface GateSpec {
  delayMs: number;
  intervalMs: number;
  steadyMs: number;
  timeoutMs: number;
  signals: readonly SignalSpec[];
}

type Binder = (raw: unknown, field: string) => { problems: Problem[] } | { settings: unknown; read: SignalSpec['read'] };

/** Ties a signal type's parser to its reader, so each reader only ever gets its own spec. */
function bind<S>(module: SignalModule<S>): Binder {
  return (raw, field) => {
    const parsed = module.parse(raw, field);
    if ('problems' in parsed) return parsed;
    return { settings: parsed.spec, read: (env) => module.read(parsed.spec, env) };
  };
}

const BINDERS: { readonly [T in SignalType]: Binder } = {
  http: bind(httpSignal),
  prometheus: bind(prometheusSignal),
  alarm: bind(alarmSignal),
  businessHours: bind(businessHoursSignal),
  stage: bind(stageSignal),
};

function durationField(props: Properties, field: (typeof KEYS)[number], fallback: number, zero: boolean, problems: Problem[]): number {
  const raw = props[field];
  if (raw === undefined) return fallback;
  const ms = parseDurationMs(raw);
  if (ms === undefined) {
    problems.push({ field, message: `${field} ${describe(raw)} is not a duration; use e.g. \`30s\`, \`5m\`, \`1h\` or a number of ms` });
    return fallback;
  }
  if (zero && ms === 0) return 0;
  const bounds = durationBoundsProblem(ms, `${field} ${describe(raw)}`, zero ? `a gate's ${field} (or 0)` : `a gate's ${field}`);
  if (bounds) problems.push({ field, message: bounds });
  return ms;
}

function parseSignal(raw: unknown, i: number, seen: Map<string, number>, problems: Problem[]): SignalSpec | undefined {
  const field = `signals[${i}]`;
  const forms = SIGNAL_TYPES.join(', ');
  if (!isObject(raw)) {
    problems.push({ field, message: `a signal must be a mapping with a name and one of ${forms}, got ${describe(raw)}` });
    return undefined;
  }
  const name = raw.name;
  if (typeof name !== 'string' || !SIGNAL_NAME.test(name)) {
    problems.push({ field: `${field}.name`, message: `name must be a short name for the signal (letters, digits, - _ .; e.g. error-rate), got ${describe(name)}` });
  } else if (seen.has(name)) {
    problems.push({ field: `${field}.name`, message: `signal '${name}' is named twice (first at signals[${seen.get(name)!}]); signal names must be unique within a gate` });
  } else {
    seen.set(name, i);
  }
  const types = SIGNAL_TYPES.filter((t) => raw[t] !== undefined);
  for (const k of Object.keys(raw)) {
    if (k !== 'name' && !SIGNAL_TYPES.includes(k as SignalType)) {
      problems.push({ field: `${field}.${k}`, message: `a signal has no field '${k}'; it has a name and one of ${forms}` });
    }
  }
  if (types.length !== 1) {
    const got = types.length === 0 ? 'none' : types.join(' and ');
    problems.push({ field, message: `signal ${typeof name === 'string' ? `'${name}' ` : ''}needs exactly one of ${forms}, got ${got}` });
    return undefined;
  }
  const type = types[0]!;
  const bound = BINDERS[type](raw[type], `${field}.${type}`);
  if ('problems' in bound) {
    problems.push(...bound.problems);
    return undefined;
  }
  return { name: String(name), type, ...bound };
}

/** The gate's spec, or every problem its properties have. */
export function parseGate(props: Properties): { spec: GateSpec } | { problems: Problem[] } {
  const problems: Problem[] = [];
  for (const k of Object.keys(props)) {
    if (!KEYS.includes(k as (typeof KEYS)[number])) problems.push({ field: k, message: `a gate has no property '${k}'; allowed: ${KEYS.join(', ')}` });
  }
  const delayMs = durationField(props, 'delay', DEFAULTS.delayMs, true, problems);
  const intervalMs = durationField(props, 'interval', DEFAULTS.intervalMs, false, problems);
  const steadyMs = durationField(props, 'steady', DEFAULTS.steadyMs, true, problems);
  const timeoutMs = durationField(props, 'timeout', DEFAULTS.timeoutMs, false, problems);
  if (problems.length === 0 && delayMs + steadyMs > timeoutMs) {
    problems.push({
      field: 'timeout',
      message: `timeout ${formatDurationMs(timeoutMs)} leaves no time to pass: the first sample comes after delay ${formatDurationMs(delayMs)} and the signals must then hold for steady ${formatDurationMs(steadyMs)}; make timeout at least ${formatDurationMs(delayMs + steadyMs)}`,
    });
  }
  const raw = props.signals;
  const signals: SignalSpec[] = [];
  if (!Array.isArray(raw) || raw.length === 0) {
    problems.push({ field: 'signals', message: `signals must be a list of at least one signal, each with a name and one of ${SIGNAL_TYPES.join(', ')}, got ${describe(raw)}` });
  } else if (raw.length > MAX_SIGNALS) {
    problems.push({ field: 'signals', message: `a gate takes at most ${MAX_SIGNALS} signals, got ${raw.length}; split it into several gates` });
  } else {
    const seen = new Map<string, number>();
    raw.forEach((s, i) => {
      const parsed = parseSignal(s, i, seen, problems);
      if (parsed) signals.push(parsed);
    });
  }
  if (problems.length > 0) return { problems };
  return { spec: { delayMs, intervalMs, steadyMs, timeoutMs, signals } };
}

export function gateProblems(props: Properties): Problem[] {
  const parsed = parseGate(props);
  return 'problems' in parsed ? parsed.problems : [];
}
