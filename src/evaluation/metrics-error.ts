/**
 * Why a metrics source (Prometheus, Alertmanager) gave no usable answer. The registry in
 * core/errors.ts is for the API's answers; these end a check's sample or a task, so they carry
 * their own small code set, each message naming the source, the query and what to do.
 */
export const MetricsErrorCodes = {
  /** Nothing answered at the URL (connection refused, DNS, timeout). */
  METRICS_UNREACHABLE: 'the metrics source did not answer',
  /** It answered with an HTTP error (a bad query: Prometheus's own error text is in the message). */
  METRICS_HTTP: 'the metrics source answered with an error',
  /** It answered, but not with something a number can be read from (a range vector, many series). */
  METRICS_ANSWER: 'the answer cannot be read as one number',
} as const;

export type MetricsErrorCode = keyof typeof MetricsErrorCodes;

export class MetricsError extends Error {
  override readonly name = 'MetricsError';
  constructor(
    readonly code: MetricsErrorCode,
    message: string,
    readonly fields: { url: string; query?: string; status?: number; [key: string]: unknown },
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  toJSON(): Record<string, unknown> {
    return { ...this.fields, code: this.code, message: this.message };
  }
}

export function isMetricsError(e: unknown): e is MetricsError {
  return e instanceof MetricsError;
}

export interface HttpOptions {
  signal?: AbortSignal;
  /** Per request (default 10 s). */
  timeoutMs?: number;
}

/**
 * GETs JSON from `url`. Unreachable and timed-out sources are METRICS_UNREACHABLE; an HTTP error
 * is METRICS_HTTP with the body's `error` text when it has one. `what` names the request in messages.
 * An abort by the caller's signal is rethrown as is, so callers can tell it from a failure.
 */
export async function getJson(url: string, what: string, opts: HttpOptions = {}): Promise<{ status: number; body: unknown }> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  // A plain timer, not AbortSignal.timeout inside AbortSignal.any: Node 20 may collect a timeout
  // signal only `any` refers to, and then the request waits forever.
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  const onAbort = () => deadline.abort(opts.signal?.reason);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.signal?.aborted) onAbort();
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, { signal: deadline.signal, headers: { accept: 'application/json' } });
    text = await res.text();
  } catch (err) {
    if (opts.signal?.aborted) throw opts.signal.reason ?? err;
    const base = new URL(url).origin;
    const why = deadline.signal.aborted ? `no answer within ${timeoutMs} ms` : causeText(err);
    throw new MetricsError('METRICS_UNREACHABLE', `${what}: ${base} is unreachable (${why}); check the URL and that the server is running`, { url: base }, { cause: err });
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const errText = errorText(body) ?? text.slice(0, 300).trim();
    throw new MetricsError('METRICS_HTTP', `${what}: HTTP ${res.status} from ${new URL(url).origin}${errText ? `: ${errText}` : ''}`, { url: new URL(url).origin, status: res.status });
  }
  if (body === undefined) {
    throw new MetricsError('METRICS_ANSWER', `${what}: ${new URL(url).origin} answered HTTP ${res.status} but not with JSON (${text.slice(0, 120)}); is this the right URL?`, { url: new URL(url).origin, status: res.status });
  }
  return { status: res.status, body };
}

function errorText(body: unknown): string | undefined {
  if (body && typeof body === 'object' && 'error' in body && typeof body.error === 'string') {
    const type = 'errorType' in body && typeof body.errorType === 'string' ? `${body.errorType}: ` : '';
    return type + body.error;
  }
  return undefined;
}

/** fetch's "fetch failed" hides the reason (ECONNREFUSED …) in `cause`. */
function causeText(err: unknown): string {
  const cause = err instanceof Error ? err.cause : undefined;
  if (cause instanceof Error) return 'code' in cause && typeof cause.code === 'string' ? `${cause.code}: ${cause.message}` : cause.message;
  return err instanceof Error ? err.message : String(err);
}
