/**
 * `traffic-compare`: each recorded request goes to the candidate and to the version serving
 * now, at the same time; an answer pair differs when the status codes differ or a chosen JSON
 * field does. More than `threshold` of the requests differing fails the task. The output
 * counts differences per kind and keeps the first few examples.
 */
import { request } from 'undici';
import type { Executor, ExecutorContext, TaskOutcome } from '../../engine/executor.js';
import { assertValid } from '../properties.js';
import { parseCompare, type CompareSpec } from './compare-spec.js';
import { candidateOf, currentOf, serviceOf, statusOf, type Endpoint, type ReplayRequest, type TrafficDeps } from './endpoint.js';

interface Answer {
  status: number;
  fields: Record<string, unknown>;
}

export interface Difference {
  method: string;
  path: string;
  candidate: Answer;
  current: Answer;
  /** What differs: `status` and/or field names. */
  differs: string[];
}

const EXAMPLES = 10;
const TIMEOUT_MS = 10_000;

/** `items.0.price` of a parsed JSON body; undefined where the path leads nowhere. */
export function fieldOf(body: unknown, path: string): unknown {
  let v: unknown = body;
  for (const part of path.split('.')) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

async function ask(e: Endpoint, r: ReplayRequest, spec: CompareSpec, signal: AbortSignal): Promise<Answer> {
  try {
    const res = await request(new URL(r.path, e.url), {
      method: r.method as 'GET',
      headers: { ...r.headers, ...spec.headers, ...e.headers },
      signal: AbortSignal.any([signal, AbortSignal.timeout(TIMEOUT_MS)]),
    });
    const text = await res.body.text();
    let json: unknown;
    try {
      json = spec.fields.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.statusCode, fields: Object.fromEntries(spec.fields.map((f) => [f, fieldOf(json, f) ?? null])) };
  } catch (err) {
    signal.throwIfAborted();
    // No answer at all is an answer of its own: status 0, so it differs from any real one.
    return { status: 0, fields: { error: (err as Error).message } };
  }
}

function differs(a: Answer, b: Answer, fields: readonly string[]): string[] {
  const out = a.status !== b.status ? ['status'] : [];
  for (const f of fields) if (JSON.stringify(a.fields[f]) !== JSON.stringify(b.fields[f])) out.push(f);
  return out;
}

/** Both sides, or undefined when no other version runs yet (a first deploy: nothing to compare). */
async function endpoints(ctx: ExecutorContext, spec: CompareSpec, deps: TrafficDeps): Promise<{ candidate: Endpoint; current: Endpoint } | undefined> {
  if (spec.candidate !== undefined && spec.current !== undefined) return { candidate: { url: spec.candidate, headers: {} }, current: { url: spec.current, headers: {} } };
  const key = serviceOf(ctx, 'traffic-compare', spec.service);
  const status = await statusOf(deps, ctx, 'traffic-compare', spec.target, key);
  const candidate = candidateOf(status, ctx, 'traffic-compare', key, '/');
  if (!status.slots.some((s) => s.releaseId !== ctx.run.releaseId && s.state === 'ready')) return undefined;
  return { candidate, current: currentOf(status, ctx, 'traffic-compare', key, '/') };
}

const label = (e: Endpoint, fallback: string): string => (e.releaseId !== undefined ? `${e.releaseId} (${e.slot})` : fallback);

export function createTrafficCompareExecutor(deps: TrafficDeps): Executor {
  return {
    kind: 'traffic-compare',
    validate: (props) => parseCompare(props).problems,
    defaultTimeoutMs: () => 30 * 60_000,
    async execute(ctx): Promise<TaskOutcome> {
      const { spec, problems } = parseCompare(ctx.task.properties);
      assertValid('traffic-compare', ctx.task.name, problems);
      const sides = await endpoints(ctx, spec, deps);
      if (!sides) return { result: 'pass', message: `no other version of the service runs in '${ctx.run.stage}' yet: nothing to compare with (a first deploy)`, output: { compared: 0 } };
      const { candidate, current } = sides;
      const key = spec.candidate === undefined ? serviceOf(ctx, 'traffic-compare', spec.service) : undefined;
      const recorded = key ? (deps.traffic?.recorded(key)?.requests ?? []) : [];
      const requests: readonly ReplayRequest[] = recorded.length > 0 ? recorded.slice(-spec.max) : spec.paths.map((path) => ({ method: 'GET', path, headers: {} }));
      const found: Difference[] = [];
      const counts: Record<string, number> = {};
      let done = 0;
      let cursor = 0;
      const worker = async (): Promise<void> => {
        while (cursor < requests.length) {
          const r = requests[cursor++]!;
          const [a, b] = await Promise.all([ask(candidate, r, spec, ctx.signal), ask(current, r, spec, ctx.signal)]);
          const what = differs(a, b, spec.fields);
          if (what.length > 0) {
            found.push({ method: r.method, path: r.path, candidate: a, current: b, differs: what });
            for (const w of what) counts[w] = (counts[w] ?? 0) + 1;
          }
          if (++done % 50 === 0) ctx.heartbeat({ compared: done, differing: found.length });
        }
      };
      await Promise.all(Array.from({ length: Math.min(spec.concurrency, requests.length) }, worker));
      const share = requests.length === 0 ? 0 : found.length / requests.length;
      const source = recorded.length > 0 ? `${requests.length} recorded requests` : `${requests.length} path${requests.length === 1 ? '' : 's'} (no recorded traffic)`;
      const between = `${label(candidate, spec.candidate ?? 'candidate')} and ${label(current, spec.current ?? 'current')}`;
      const kinds = Object.entries(counts).map(([k, n]) => `${k} ${n}`).join(', ');
      const first = found[0];
      const example = first ? `; e.g. ${first.method} ${first.path}: ${first.differs.map((d) => (d === 'status' ? `status ${first.candidate.status} vs ${first.current.status}` : `${d} ${JSON.stringify(first.candidate.fields[d])} vs ${JSON.stringify(first.current.fields[d])}`)).join(', ')}` : '';
      const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
      const output = { compared: requests.length, differing: found.length, share, threshold: spec.threshold, recorded: recorded.length > 0, counts, fields: spec.fields, candidate: { url: candidate.url, ...(candidate.slot ? { slot: candidate.slot, releaseId: candidate.releaseId } : {}) }, current: { url: current.url, ...(current.slot ? { slot: current.slot, releaseId: current.releaseId } : {}) }, examples: found.slice(0, EXAMPLES) };
      if (share > spec.threshold) {
        return { result: 'fail', message: `${found.length} of ${source} (${pct(share)}) differ between ${between}, more than ${pct(spec.threshold)}: ${kinds}${example}`, output };
      }
      return { result: 'pass', message: found.length === 0 ? `${source} answered alike by ${between}` : `${found.length} of ${source} (${pct(share)}) differ between ${between}, within ${pct(spec.threshold)}: ${kinds}${example}`, output };
    },
  };
}
