/**
 * GitLab webhooks, by the payload's `object_kind` (X-Gitlab-Event names the same: Push Hook,
 * Tag Push Hook, Merge Request Hook, Pipeline Hook): push, tag_push, merge_request, and
 * pipeline (a pipeline that succeeded is a `workflow_run` to the rules).
 */
import type { Pipeline } from '../../core/index.js';
import { SlipwayError } from '../../core/index.js';
import type { PullRequestSink } from '../pull-request-event.js';
import { need, opt } from './github.js';
import type { Plan } from './intake.js';
import { ZERO_SHA, at, earliest, num, str, time } from './json.js';
import { pullRequestPlan, releasePlan } from './plans.js';

export const GITLAB_EVENTS = ['Push Hook', 'Tag Push Hook', 'Merge Request Hook', 'Pipeline Hook'] as const;

export function gitlabPlan(p: Pipeline, event: string, body: unknown, sink: PullRequestSink | undefined, now: number): Plan {
  const kind = str(body, 'object_kind');
  switch (kind) {
    case 'push':
    case 'tag_push':
      return push(p, body, kind);
    case 'merge_request':
      return mergeRequest(p, body, sink, now);
    case 'pipeline':
      return pipeline(p, body);
    default:
      throw new SlipwayError('UNMAPPABLE_PAYLOAD', `GitLab event '${event.slice(0, 60)}' (object_kind ${kind ?? 'absent'}) is not one Slipway acts on; enable ${GITLAB_EVENTS.join(', ')} on the webhook`, { field: 'object_kind' });
  }
}

function push(p: Pipeline, body: unknown, kind: 'push' | 'tag_push'): Plan {
  const ref = need(str(body, 'ref'), 'ref');
  const commit = str(body, 'checkout_sha');
  if (commit === undefined || ZERO_SHA.test(str(body, 'after') ?? '')) return { kind: 'ignore', message: `${ref} was deleted: nothing to release` };
  const commits = at(body, 'commits');
  const head = Array.isArray(commits) ? (commits as unknown[]).find((c) => str(c, 'id') === commit) : undefined;
  const facts = {
    commit,
    ...opt('commitTime', time(head, 'timestamp')),
    ...opt('firstCommitTime', earliest(commits) ?? time(head, 'timestamp')),
    ...opt('author', str(head, 'author', 'name') ?? str(body, 'user_name')),
  };
  if (kind === 'tag_push') return releasePlan(p, { kind: 'tag', tag: ref.replace(/^refs\/tags\//, ''), ...facts }, 'gitlab');
  return releasePlan(p, { kind: 'push', branch: ref.replace(/^refs\/heads\//, ''), ...facts }, 'gitlab');
}

function mergeRequest(p: Pipeline, body: unknown, sink: PullRequestSink | undefined, now: number): Plan {
  const number = num(body, 'object_attributes', 'iid');
  if (number === undefined) throw new SlipwayError('INVALID_INPUT', 'the merge_request payload has no object_attributes.iid', { field: 'object_attributes.iid' });
  const action = str(body, 'object_attributes', 'action') ?? '';
  const newCommits = str(body, 'object_attributes', 'oldrev') !== undefined;
  const mapped = action === 'open' || action === 'reopen' ? 'opened' : action === 'update' && newCommits ? 'updated' : action === 'close' || action === 'merge' ? 'closed' : undefined;
  if (!mapped) return { kind: 'ignore', message: `merge request !${number} ${action}: only open, reopen, update with new commits, close and merge matter` };
  return pullRequestPlan(
    p,
    {
      project: p.name,
      number,
      action: mapped,
      ...(mapped === 'closed' ? { merged: action === 'merge' } : {}),
      commit: need(str(body, 'object_attributes', 'last_commit', 'id'), 'object_attributes.last_commit.id'),
      branch: need(str(body, 'object_attributes', 'source_branch'), 'object_attributes.source_branch'),
      ...opt('title', str(body, 'object_attributes', 'title')),
      ...opt('author', str(body, 'user', 'username')),
      ...opt('url', str(body, 'object_attributes', 'url')),
      source: 'gitlab',
      at: now,
    },
    sink,
  );
}

function pipeline(p: Pipeline, body: unknown): Plan {
  const status = str(body, 'object_attributes', 'status');
  const id = num(body, 'object_attributes', 'id');
  if (status !== 'success') return { kind: 'ignore', message: `pipeline ${id ?? ''} ${status ?? ''}: only a pipeline that succeeded makes a release` };
  const isTag = at(body, 'object_attributes', 'tag') === true;
  return releasePlan(
    p,
    {
      kind: 'workflow_run',
      workflow: str(body, 'object_attributes', 'name') ?? '',
      commit: need(str(body, 'object_attributes', 'sha'), 'object_attributes.sha'),
      ...(isTag ? {} : opt('branch', str(body, 'object_attributes', 'ref'))),
      ...opt('commitTime', time(body, 'commit', 'timestamp')),
      ...opt('firstCommitTime', time(body, 'commit', 'timestamp')),
      ...opt('author', str(body, 'commit', 'author', 'name')),
    },
    'gitlab',
  );
}
