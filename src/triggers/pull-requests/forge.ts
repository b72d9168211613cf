/**
 * Reports a pull-request environment to the forge as a commit status on the head commit:
 * GitHub (`POST /repos/{owner}/{repo}/statuses/{sha}`, bearer token) or GitLab
 * (`POST /projects/{id}/statuses/{sha}`, PRIVATE-TOKEN). The status links to the
 * environment's URL, so the pull request page shows it. One attempt with a timeout: a forge
 * that is down is logged, never allowed to fail or slow the environment itself.
 */
import type { PullRequestsSpec } from '../../core/index.js';

export type EnvironmentState = 'pending' | 'ready' | 'failed' | 'removed';

export interface ForgeStatus {
  commit: string;
  stage: string;
  state: EnvironmentState;
  description: string;
  targetUrl?: string;
}

type Forge = NonNullable<PullRequestsSpec['forge']>;

const GITHUB: Record<EnvironmentState, string> = { pending: 'pending', ready: 'success', failed: 'failure', removed: 'success' };
const GITLAB: Record<EnvironmentState, string> = { pending: 'running', ready: 'success', failed: 'failed', removed: 'canceled' };

export interface ForgeRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** The HTTP request that sets the status (pure: tested without a network). */
export function forgeRequest(forge: Forge, token: string, s: ForgeStatus): ForgeRequest {
  const api = forge.api.replace(/\/+$/, '');
  const context = `slipway/${s.stage}`;
  const description = s.description.slice(0, 140);
  if (forge.kind === 'github') {
    return {
      url: `${api}/repos/${forge.repository}/statuses/${s.commit}`,
      headers: { authorization: `Bearer ${token}`, accept: 'application/vnd.github+json', 'content-type': 'application/json' },
      body: JSON.stringify({ state: GITHUB[s.state], context, description, ...(s.targetUrl ? { target_url: s.targetUrl } : {}) }),
    };
  }
  return {
    url: `${api}/projects/${encodeURIComponent(forge.repository)}/statuses/${s.commit}`,
    headers: { 'private-token': token, 'content-type': 'application/json' },
    body: JSON.stringify({ state: GITLAB[s.state], name: context, description, ...(s.targetUrl ? { target_url: s.targetUrl } : {}) }),
  };
}

/** Sends it; resolves with the HTTP status, or throws (the caller logs). */
export async function postForgeStatus(forge: Forge, token: string, s: ForgeStatus, timeoutMs = 10_000): Promise<number> {
  const r = forgeRequest(forge, token, s);
  const res = await fetch(r.url, { method: 'POST', headers: r.headers, body: r.body, signal: AbortSignal.timeout(timeoutMs) });
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`the forge answered ${res.status} to the commit status for ${s.stage}`);
  return res.status;
}
