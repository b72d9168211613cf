/**
 * `webhook`: one HTTP request per task. A 2xx answer passes; any other status fails (a
 * normal outcome, not an error); a network error is thrown and so retried. The request
 * carries `x-slipway-task-id` so a receiver that sees a redelivery can act once. Header
 * values and URL paths are never logged: they often hold tokens. Properties may carry
 * `${secret:NAME}` anywhere (url, headers, body): the executor receives them resolved.
 */
import type { Executor, ExecutorContext, TaskOutcome } from '../engine/executor.js';
import { TailBuffer } from './bounded.js';
import { formatDurationMs } from './duration.js';
import { describeReason, isShutdown } from './reason.js';
import { assertValid, describe, isStringMap, refersToSecret, stringMapProblems, type Problem, type Properties } from './properties.js';

export interface WebhookExecutorOptions {
  /** Bytes of the response body kept in the outcome (its tail). Default 16 KiB. */
  outputLimitBytes?: number;
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

function problems(props: Properties): Problem[] {
  const out: Problem[] = [];
  const url = parseUrl(props.url);
  // A URL made of a secret is known only when the task runs; execute() checks it then.
  if (!refersToSecret(props.url) && (!url || !['http:', 'https:'].includes(url.protocol))) {
    out.push({ field: 'url', message: `url must be an http or https URL, got ${describe(props.url)}` });
  }
  const method = props.method ?? 'POST';
  if (typeof method !== 'string' || !METHODS.includes(method.toUpperCase())) {
    out.push({ field: 'method', message: `method must be one of ${METHODS.join(', ')}, got ${describe(method)}` });
  }
  return [...out, ...stringMapProblems(props, 'headers')];
}

/** What the receiver gets when the task sets no body: enough to act without calling back. */
export function defaultWebhookBody(ctx: ExecutorContext): Record<string, unknown> {
  const { run, task } = ctx;
  return {
    project: run.project,
    stage: run.stage,
    sequence: run.sequence,
    releaseId: run.releaseId,
    runId: run.id,
    artifacts: run.artifacts,
    provenance: run.provenance,
    task: { id: task.id, name: task.name, kind: task.kind, attempt: task.attempt },
    resultSoFar: run.resultSoFar ?? null,
  };
}

function buildRequest(ctx: ExecutorContext, method: string): { headers: Headers; body?: string } {
  const props = ctx.task.properties;
  const headers = new Headers(isStringMap(props.headers) ? props.headers : {});
  headers.set('x-slipway-task-id', ctx.task.id);
  if (!headers.has('user-agent')) headers.set('user-agent', 'slipway');
  if (method === 'GET' || method === 'HEAD') return { headers };
  const body = props.body === undefined ? defaultWebhookBody(ctx) : props.body;
  if (typeof body === 'string') {
    if (!headers.has('content-type')) headers.set('content-type', 'text/plain; charset=utf-8');
    return { headers, body };
  }
  if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  return { headers, body: JSON.stringify(body) };
}

async function readTail(res: Response, limit: number): Promise<string> {
  const tail = new TailBuffer(limit);
  if (res.body) for await (const chunk of res.body) tail.push(chunk);
  return tail.toString();
}

export function createWebhookExecutor(opts: WebhookExecutorOptions = {}): Executor {
  const limit = opts.outputLimitBytes ?? 16 * 1024;
  return {
    kind: 'webhook',
    validate: problems,
    async execute(ctx): Promise<TaskOutcome> {
      const props = ctx.task.properties;
      assertValid('webhook', ctx.task.name, problems(props));
      const url = new URL(props.url as string);
      const method = ((props.method as string | undefined) ?? 'POST').toUpperCase();
      const target = `${method} ${url.origin}`;
      const timeoutMs = Math.max(0, ctx.task.deadline - ctx.now());
      // Capped: Node's timers fire at once past ~24.8 days; the engine's own timeout covers the rest.
      const deadline = AbortSignal.timeout(Math.min(timeoutMs, 2 ** 31 - 1));
      const signal = AbortSignal.any([ctx.signal, deadline]);
      ctx.log.info('sending webhook', { method, origin: url.origin });
      try {
        const res = await fetch(url, { method, ...buildRequest(ctx, method), signal, redirect: 'follow' });
        const bodyTail = await readTail(res, limit);
        ctx.log.info('webhook answered', { status: res.status });
        const output = { status: res.status, bodyTail };
        if (res.ok) return { result: 'pass', message: `${target} answered ${res.status}`, output };
        return { result: 'fail', message: `${target} answered ${res.status} ${res.statusText}`.trim(), output };
      } catch (err) {
        if (ctx.signal.aborted) {
          if (isShutdown(ctx.signal.reason)) throw new Error(`Slipway is stopping; ${target} is sent again after restart`);
          return { result: 'fail', message: `aborted (${describeReason(ctx.signal.reason)}) while calling ${target}` };
        }
        if (deadline.aborted) {
          return { result: 'fail', message: `timed out after ${formatDurationMs(timeoutMs)} calling ${target}` };
        }
        ctx.log.warn('webhook failed', { origin: url.origin, error: String(err) });
        throw new Error(`${target} failed: ${errorText(err)}`, { cause: err });
      }
    },
  };
}

function parseUrl(value: unknown): URL | undefined {
  try {
    return typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    return undefined;
  }
}

function errorText(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}
