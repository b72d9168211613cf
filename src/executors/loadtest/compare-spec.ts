/**
 * A `traffic-compare` task's properties (Twitter Diffy's idea): replay the stage's recorded
 * requests against the candidate and the version serving now, side by side, and fail when
 * more than `threshold` of them differ in status code or in one of the chosen JSON fields.
 */
import { describe, isStringMap, type Problem, type Properties } from '../properties.js';

export interface CompareSpec {
  service?: string;
  target: string;
  /** Explicit endpoints (any URL) instead of the deploy target's slots. */
  candidate?: string;
  current?: string;
  /** Requests sent when the stage recorded none: paths such as /cart?id=1. */
  paths: string[];
  /** JSON fields compared, as dot paths (`items.0.price`); none: status codes only. */
  fields: string[];
  /** Highest share of differing requests that still passes, 0..1. */
  threshold: number;
  /** Most recorded requests replayed (the newest). */
  max: number;
  concurrency: number;
  headers: Readonly<Record<string, string>>;
}

const KNOWN = ['service', 'target', 'candidate', 'current', 'paths', 'fields', 'threshold', 'max', 'concurrency', 'headers'];

const isUrl = (v: unknown): boolean => typeof v === 'string' && URL.canParse(v) && ['http:', 'https:'].includes(new URL(v).protocol);

export function parseCompare(props: Properties): { spec: CompareSpec; problems: Problem[] } {
  const problems: Problem[] = [];
  for (const k of Object.keys(props)) if (!KNOWN.includes(k)) problems.push({ field: k, message: `traffic-compare has no property '${k}'; allowed: ${KNOWN.join(', ')}` });
  for (const f of ['candidate', 'current'] as const) {
    if (props[f] !== undefined && !isUrl(props[f])) problems.push({ field: f, message: `${f} is an http(s) URL such as http://127.0.0.1:8080, got ${describe(props[f])}` });
  }
  if ((props.candidate === undefined) !== (props.current === undefined)) problems.push({ field: props.candidate === undefined ? 'candidate' : 'current', message: 'candidate and current go together: set both URLs, or neither to compare the slots on the deploy target' });
  for (const f of ['service', 'target'] as const) if (props[f] !== undefined && (typeof props[f] !== 'string' || props[f] === '')) problems.push({ field: f, message: `${f} is a name, got ${describe(props[f])}` });
  const strings = (f: 'paths' | 'fields', ok: (s: string) => boolean, hint: string): string[] => {
    const v = props[f];
    if (v === undefined) return [];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && ok(x))) {
      problems.push({ field: f, message: `${f} is a list of ${hint}, got ${describe(v)}` });
      return [];
    }
    return v as string[];
  };
  const paths = strings('paths', (s) => s.startsWith('/'), 'paths starting with / such as [/, /cart?id=1]');
  const fields = strings('fields', (s) => s.length > 0, 'JSON field paths such as [version, items.0.price]');
  const num = (f: 'threshold' | 'max' | 'concurrency', dflt: number, ok: (n: number) => boolean, hint: string): number => {
    const v = props[f];
    if (v === undefined) return dflt;
    if (typeof v !== 'number' || !ok(v)) {
      problems.push({ field: f, message: `${f} is ${hint}, got ${describe(v)}` });
      return dflt;
    }
    return v;
  };
  const threshold = num('threshold', 0, (n) => n >= 0 && n <= 1, 'the share of requests that may differ, 0 to 1 (0.05: 5%)');
  const max = num('max', 200, (n) => Number.isInteger(n) && n >= 1 && n <= 5000, 'a whole number of requests from 1 to 5000');
  const concurrency = num('concurrency', 4, (n) => Number.isInteger(n) && n >= 1 && n <= 64, 'a whole number from 1 to 64');
  if (props.headers !== undefined && !isStringMap(props.headers)) problems.push({ field: 'headers', message: `headers is a map of strings, got ${describe(props.headers)}` });
  const spec: CompareSpec = {
    ...(typeof props.service === 'string' ? { service: props.service } : {}),
    target: typeof props.target === 'string' ? props.target : 'local',
    ...(typeof props.candidate === 'string' ? { candidate: props.candidate } : {}),
    ...(typeof props.current === 'string' ? { current: props.current } : {}),
    paths: paths.length > 0 ? paths : ['/'],
    fields,
    threshold,
    max,
    concurrency,
    headers: isStringMap(props.headers) ? props.headers : {},
  };
  return { spec, problems };
}
