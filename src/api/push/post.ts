/** One signed POST of a CloudEvent to a subscriber; never throws. */
import { signatureHeaders } from './signature.js';

export interface PostOutcome {
  ok: boolean;
  /** Worth trying again (network error, timeout, 408, 429, 5xx). */
  retryable: boolean;
  reason: string;
}

export async function postEvent(url: string, secret: string, body: string, timeoutMs: number, signal: AbortSignal): Promise<PostOutcome> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+json', ...signatureHeaders(secret, body, Date.now()) },
      body,
      signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
      redirect: 'error',
    });
    await res.body?.cancel().catch(() => undefined);
    if (res.ok) return { ok: true, retryable: false, reason: `HTTP ${res.status}` };
    const retryable = res.status === 408 || res.status === 429 || res.status >= 500;
    return { ok: false, retryable, reason: `HTTP ${res.status}` };
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    const reason = err.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (err.cause?.code ?? err.cause?.message ?? err.message);
    return { ok: false, retryable: true, reason };
  }
}

export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}
