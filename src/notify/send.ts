/**
 * One POST to a sink; never throws. A generic webhook is signed as the artifact webhook is:
 * `X-Slipway-Timestamp` (Unix seconds), `X-Slipway-Delivery` (the row id, stable across
 * retries and restarts: receivers dedupe on it) and `X-Slipway-Signature: sha256=<hex
 * HMAC-SHA256 of "<timestamp>.<raw body>">`. The HMAC is the push deliveries' (signature.ts);
 * only the prefix and the timestamp's unit differ.
 */
import { sign } from '../api/push/signature.js';

export interface SendOutcome {
  ok: boolean;
  /** Worth trying again (network error, timeout, 408, 429, 5xx). */
  retryable: boolean;
  /** `HTTP 500`, `ECONNREFUSED`, `no answer within 10000 ms`: never the URL (it may be a secret). */
  reason: string;
}

export const DELIVERY_HEADER = 'x-slipway-delivery';

export function webhookHeaders(secret: string, body: string, deliveryId: string, nowMs: number): Record<string, string> {
  const ts = String(Math.floor(nowMs / 1000));
  const hex = sign(secret, ts, body).slice('v1='.length);
  return { 'x-slipway-timestamp': ts, [DELIVERY_HEADER]: deliveryId, 'x-slipway-signature': `sha256=${hex}` };
}

export async function send(url: string, body: string, headers: Record<string, string>, timeoutMs: number, signal: AbortSignal): Promise<SendOutcome> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'slipway-notify', ...headers },
      body,
      signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
      redirect: 'error',
    });
    await res.body?.cancel().catch(() => undefined);
    if (res.ok) return { ok: true, retryable: false, reason: `HTTP ${res.status}` };
    return { ok: false, retryable: res.status === 408 || res.status === 429 || res.status >= 500, reason: `HTTP ${res.status}` };
  } catch (e) {
    const err = e as Error & { cause?: { code?: string } };
    if (err.name === 'TimeoutError') return { ok: false, retryable: true, reason: `no answer within ${timeoutMs} ms` };
    if (signal.aborted) return { ok: false, retryable: true, reason: 'Slipway was stopping' };
    // The message of a failed fetch may quote the URL; the code alone says enough.
    return { ok: false, retryable: true, reason: err.cause?.code ?? err.name };
  }
}
