/**
 * The `pr.ready` input the environments send once a deploy run succeeded. It goes through
 * the engine like every other change, so the event lands in the log in the engine's own
 * transaction and notifications (topic `pr.ready`) and the event stream hear of it.
 */
import type { PullRequestReadyData, PullRequestReadyInput } from '../../core/index.js';
import type { PullRequestRecord } from './book.js';

export function readyInput(r: PullRequestRecord, runId: string, environmentUrl: string | undefined): PullRequestReadyInput {
  const data: PullRequestReadyData = {
    number: r.number,
    stage: r.stage,
    ...(environmentUrl ? { environmentUrl } : {}),
    ...(r.releaseId !== undefined ? { releaseId: r.releaseId } : {}),
    commit: r.commit,
    branch: r.branch,
    ...(r.title !== undefined ? { title: r.title } : {}),
    ...(r.author !== undefined ? { author: r.author } : {}),
    ...(r.url !== undefined ? { url: r.url } : {}),
    ...(r.expiresAt !== undefined ? { expiresAt: r.expiresAt } : {}),
  };
  // One per deploy run: a repeated run:finished for the same run is recognised as the same input.
  return { type: 'pr.ready', id: `pr-ready:${runId}`, by: 'pull-requests', project: r.project, runId, data };
}
