/**
 * The generic webhook's body: `{"artifacts": {service: ref}, "commit", "commitTime",
 * "firstCommitTime"?, "author"?}`; times as UTC milliseconds or RFC 3339.
 */
import { z } from 'zod';
import type { Pipeline } from '../../core/index.js';
import { SlipwayError } from '../../core/index.js';
import type { Plan } from './intake.js';

/** Before 1973 as milliseconds: almost certainly Unix seconds sent by mistake. */
const MIN_MS = 1e11;

const Time = z
  .union([z.number().int(), z.iso.datetime({ offset: true })])
  .describe('UTC milliseconds, or RFC 3339 (2026-04-01T12:00:00Z)');

export const ArtifactHookBody = z.strictObject({
  artifacts: z.record(z.string(), z.string()).describe('{service: artifact reference}'),
  commit: z.string().min(1).max(200).describe('the commit the artifacts were built from'),
  commitTime: Time.describe('when that commit was made: UTC ms or RFC 3339'),
  firstCommitTime: Time.optional().describe("the oldest commit of the change (the pull request's first commit): lead time runs from it"),
  author: z.string().max(200).optional(),
});
export type ArtifactHook = z.output<typeof ArtifactHookBody>;

export function parseArtifactHook(body: unknown): ArtifactHook {
  const r = ArtifactHookBody.safeParse(body);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const field = issue.path.join('.') || 'body';
    throw new SlipwayError('INVALID_INPUT', `the webhook body is invalid at ${field}: ${issue.message}; send {"artifacts": {"svc": "ref"}, "commit": "<sha>", "commitTime": <UTC ms or RFC 3339>, "firstCommitTime"?, "author"?}`, { field });
  }
  return r.data;
}

function ms(t: number | string, field: string): number {
  const v = typeof t === 'string' ? Date.parse(t) : t;
  if (v < MIN_MS) throw new SlipwayError('INVALID_INPUT', `${field} ${t} reads as ${new Date(v).toISOString()}: send UTC milliseconds (seconds × 1000) or RFC 3339`, { field });
  return v;
}

export function artifactPlan(_p: Pipeline, hook: ArtifactHook): Plan {
  const commitTime = ms(hook.commitTime, 'commitTime');
  const first = hook.firstCommitTime === undefined ? undefined : ms(hook.firstCommitTime, 'firstCommitTime');
  if (first !== undefined && first > commitTime) {
    throw new SlipwayError('INVALID_INPUT', `firstCommitTime (${new Date(first).toISOString()}) is after commitTime (${new Date(commitTime).toISOString()}): the change's first commit cannot come after its last`, { field: 'firstCommitTime' });
  }
  return {
    kind: 'release',
    artifacts: hook.artifacts,
    provenance: { source: 'webhook', commit: hook.commit, commitTime, ...(first !== undefined ? { firstCommitTime: first } : {}), ...(hook.author !== undefined ? { author: hook.author } : {}) },
  };
}
