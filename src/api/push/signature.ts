/**
 * Signed push deliveries. Each POST carries `x-slipway-timestamp` (UTC ms) and
 * `x-slipway-signature: v1=<hex HMAC-SHA256 of "<timestamp>.<body>" keyed with the
 * subscription secret>`. A receiver recomputes it over the raw body, compares in constant
 * time and refuses timestamps outside a window, so a captured delivery cannot be replayed
 * later; within the window it dedupes by the CloudEvent id.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const TIMESTAMP_HEADER = 'x-slipway-timestamp';
export const SIGNATURE_HEADER = 'x-slipway-signature';

export function sign(secret: string, timestamp: string | number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export function signatureHeaders(secret: string, body: string, nowMs: number): Record<string, string> {
  return { [TIMESTAMP_HEADER]: String(nowMs), [SIGNATURE_HEADER]: sign(secret, nowMs, body) };
}

/**
 * True when `header` holds a `v1=` signature of `timestamp.body` under `secret` and the
 * timestamp lies within `windowMs` of `nowMs`. Several comma-separated signatures are
 * accepted (while a secret is being rotated).
 */
export function verifySignature(
  secret: string,
  timestamp: string | undefined,
  body: string,
  header: string | undefined,
  nowMs: number,
  windowMs = 300_000,
): boolean {
  if (timestamp === undefined || header === undefined || !/^\d{1,16}$/.test(timestamp)) return false;
  if (Math.abs(nowMs - Number(timestamp)) > windowMs) return false;
  const expected = Buffer.from(sign(secret, timestamp, body));
  let ok = false;
  for (const candidate of header.split(',')) {
    const given = Buffer.from(candidate.trim());
    // Compare every candidate, equal length or not, so timing tells nothing about which matched.
    if (given.length === expected.length && timingSafeEqual(given, expected)) ok = true;
  }
  return ok;
}
