/** Sends an environment's state to the forge when the pipeline names one with a token; never throws. */
import type { Logger } from 'pino';
import type { PullRequestsSpec } from '../../core/index.js';
import type { PullRequestRecord } from './book.js';
import type { EnvironmentState, ForgeStatus } from './forge.js';
import { postForgeStatus } from './forge.js';

export interface ReportDeps {
  log: Logger;
  secret?: (reference: string) => string | undefined;
  post?: typeof postForgeStatus;
}

export function reportToForge(deps: ReportDeps, spec: PullRequestsSpec | undefined, r: PullRequestRecord, state: EnvironmentState, description: string, targetUrl?: string): void {
  const forge = spec?.forge;
  if (!forge?.token) return;
  const token = deps.secret?.(forge.token);
  if (!token) {
    deps.log.warn({ project: r.project, secret: forge.token }, 'the forge token secret is not set; no commit status sent');
    return;
  }
  const status: ForgeStatus = { commit: r.commit, stage: r.stage, state, description, ...(targetUrl ? { targetUrl } : {}) };
  (deps.post ?? postForgeStatus)(forge, token, status).catch((err: unknown) =>
    deps.log.warn({ project: r.project, pullRequest: r.number, error: err instanceof Error ? err.message : String(err) }, 'the forge refused the commit status'),
  );
}
