/**
 * How each kind of webhook proves it comes from someone who holds the project's secret.
 * Every comparison is constant-time over the raw body bytes as received (never a
 * re-serialized copy, whose bytes may differ from what the sender signed).
 * - artifact: `X-Slipway-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">`,
 *   `X-Slipway-Timestamp` in Unix seconds, within 5 minutes of the server clock
 * - GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`
 * - GitLab: `X-Gitlab-Token` equal to the secret (GitLab signs nothing)
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { SlipwayError } from '../../core/index.js';

export const SKEW_MS = 5 * 60_000;

const hmac = (secret: string, data: Buffer | string): string => createHmac('sha256', secret).update(data).digest('hex');

/** The value of X-Slipway-Signature for a body sent at `timestamp` (Unix seconds). */
export function signArtifact(secret: string, timestamp: string | number, body: Buffer | string): string {
  return `sha256=${hmac(secret, Buffer.concat([Buffer.from(`${timestamp}.`), Buffer.from(body)]))}`;
}

export function signGitHub(secret: string, body: Buffer | string): string {
  return `sha256=${hmac(secret, Buffer.from(body))}`;
}

/** Equal strings, in time that does not depend on where they differ (hashed first: lengths may differ). */
export function sameSecret(a: string, b: string): boolean {
  const h = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(h(a), h(b));
}

export function verifyArtifact(secret: string, headers: { timestamp?: string; signature?: string }, body: Buffer, nowMs: number): void {
  const { timestamp, signature } = headers;
  if (timestamp === undefined || signature === undefined) {
    throw new SlipwayError('BAD_SIGNATURE', 'the webhook is not signed: send X-Slipway-Timestamp (Unix seconds) and X-Slipway-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the project secret> (docs/triggers.md)', { field: timestamp === undefined ? 'x-slipway-timestamp' : 'x-slipway-signature' });
  }
  if (!/^\d{1,12}$/.test(timestamp)) {
    throw new SlipwayError('BAD_SIGNATURE', `X-Slipway-Timestamp ${JSON.stringify(timestamp.slice(0, 40))} is not Unix seconds (e.g. $(date +%s))`, { field: 'x-slipway-timestamp' });
  }
  // Checked before the signature would be worth anything: an old signed request replayed is refused whatever it carries.
  const off = Number(timestamp) * 1000 - nowMs;
  if (Math.abs(off) > SKEW_MS) {
    throw new SlipwayError('STALE_WEBHOOK', `X-Slipway-Timestamp ${timestamp} is ${Math.round(Math.abs(off) / 1000)} s ${off < 0 ? 'in the past' : 'in the future'}; it must be within ${SKEW_MS / 60_000} minutes of the server's clock (sign each delivery when it is sent, and keep clocks in sync)`, { field: 'x-slipway-timestamp' });
  }
  if (!matches(signArtifact(secret, timestamp, body), signature)) {
    throw new SlipwayError('BAD_SIGNATURE', 'X-Slipway-Signature does not match: sign "<timestamp>.<raw body>" with HMAC-SHA256 and the secret spec.webhook names, and send sha256=<hex>', { field: 'x-slipway-signature' });
  }
}

export function verifyGitHub(secret: string, signature: string | undefined, body: Buffer): void {
  if (signature === undefined) {
    throw new SlipwayError('BAD_SIGNATURE', 'the GitHub webhook is not signed: set its secret to the value of the secret spec.webhook names, so GitHub sends X-Hub-Signature-256', { field: 'x-hub-signature-256' });
  }
  if (!matches(signGitHub(secret, body), signature)) {
    throw new SlipwayError('BAD_SIGNATURE', "X-Hub-Signature-256 does not match: the GitHub webhook's secret differs from the one spec.webhook names", { field: 'x-hub-signature-256' });
  }
}

export function verifyGitLab(secret: string, token: string | undefined): void {
  if (token === undefined) {
    throw new SlipwayError('BAD_SIGNATURE', "the GitLab webhook sent no X-Gitlab-Token: set the webhook's secret token to the value of the secret spec.webhook names", { field: 'x-gitlab-token' });
  }
  if (!sameSecret(secret, token)) {
    throw new SlipwayError('BAD_SIGNATURE', "X-Gitlab-Token does not match the secret spec.webhook names: set the webhook's secret token to that value", { field: 'x-gitlab-token' });
  }
}

/** Several comma-separated candidates are accepted (a secret being rotated); each is compared, matching or not. */
function matches(expected: string, header: string): boolean {
  const want = Buffer.from(expected);
  let ok = false;
  for (const candidate of header.split(',')) {
    const given = Buffer.from(candidate.trim().toLowerCase());
    if (given.length === want.length && timingSafeEqual(given, want)) ok = true;
  }
  return ok;
}
