/**
 * GitHub webhooks (`X-GitHub-Event`): push (branch commits and tags), create (tags: see
 * below), pull_request, workflow_run (completed with success), registry_package
 * (published), and ping. GitHub's `create` event names a tag but not its commit; GitHub
 * sends a `push` event for the same tag, which does, so tags are released from `push` and a
 * `create` is answered with what happened to it instead of making a second release.
 */
import type { Pipeline } from '../../core/index.js';
import { SlipwayError } from '../../core/index.js';
import type { PullRequestSink } from '../pull-request-event.js';
import type { Plan } from './intake.js';
import { ZERO_SHA, at, earliest, num, str, time } from './json.js';
import { pullRequestPlan, releasePlan } from './plans.js';

export const GITHUB_EVENTS = ['push', 'create', 'pull_request', 'workflow_run', 'registry_package', 'ping'] as const;

export function githubPlan(p: Pipeline, event: string, body: unknown, sink: PullRequestSink | undefined, now: number): Plan {
  switch (event) {
    case 'ping':
      return { kind: 'ignore', message: `ping received: the webhook reaches project '${p.name}' and its signature matches` };
    case 'push':
      return push(p, body);
    case 'create':
      return str(body, 'ref_type') === 'tag'
        ? { kind: 'ignore', message: `tag '${str(body, 'ref') ?? ''}': tags are released from the push event GitHub sends with it (it names the commit); subscribe the webhook to push events` }
        : { kind: 'ignore', message: `a ${str(body, 'ref_type') ?? 'ref'} was created: nothing to release` };
    case 'pull_request':
      return pullRequest(p, body, sink, now);
    case 'workflow_run':
      return workflowRun(p, body);
    case 'registry_package':
      return registryPackage(p, body);
    default:
      throw new SlipwayError('UNMAPPABLE_PAYLOAD', `GitHub event '${event.slice(0, 60)}' is not one Slipway acts on; subscribe the webhook to ${GITHUB_EVENTS.join(', ')}`, { field: 'x-github-event' });
  }
}

function push(p: Pipeline, body: unknown): Plan {
  const ref = need(str(body, 'ref'), 'ref');
  const after = str(body, 'after') ?? '';
  if (at(body, 'deleted') === true || ZERO_SHA.test(after)) return { kind: 'ignore', message: `${ref} was deleted: nothing to release` };
  const commit = str(body, 'head_commit', 'id') ?? after;
  const facts = {
    commit,
    ...opt('commitTime', time(body, 'head_commit', 'timestamp')),
    ...opt('firstCommitTime', earliest(at(body, 'commits')) ?? time(body, 'head_commit', 'timestamp')),
    ...opt('author', str(body, 'head_commit', 'author', 'name') ?? str(body, 'pusher', 'name')),
  };
  if (ref.startsWith('refs/tags/')) return releasePlan(p, { kind: 'tag', tag: ref.slice('refs/tags/'.length), ...facts }, 'github');
  if (ref.startsWith('refs/heads/')) return releasePlan(p, { kind: 'push', branch: ref.slice('refs/heads/'.length), ...facts }, 'github');
  return { kind: 'ignore', message: `push to ${ref}: neither a branch nor a tag` };
}

function pullRequest(p: Pipeline, body: unknown, sink: PullRequestSink | undefined, now: number): Plan {
  const action = str(body, 'action') ?? '';
  const actions: Readonly<Record<string, 'opened' | 'updated' | 'closed'>> = { opened: 'opened', reopened: 'opened', synchronize: 'updated', closed: 'closed' };
  const mapped = Object.hasOwn(actions, action) ? actions[action] : undefined;
  const number = num(body, 'number') ?? num(body, 'pull_request', 'number');
  if (number === undefined) throw new SlipwayError('INVALID_INPUT', 'the pull_request payload has no number', { field: 'number' });
  if (!mapped) return { kind: 'ignore', message: `pull request #${number} ${action}: only opened, reopened, synchronize and closed matter` };
  return pullRequestPlan(
    p,
    {
      project: p.name,
      number,
      action: mapped,
      ...(mapped === 'closed' ? { merged: at(body, 'pull_request', 'merged') === true } : {}),
      commit: need(str(body, 'pull_request', 'head', 'sha'), 'pull_request.head.sha'),
      branch: need(str(body, 'pull_request', 'head', 'ref'), 'pull_request.head.ref'),
      ...opt('title', str(body, 'pull_request', 'title')),
      ...opt('author', str(body, 'pull_request', 'user', 'login')),
      ...opt('url', str(body, 'pull_request', 'html_url')),
      source: 'github',
      at: now,
    },
    sink,
  );
}

function workflowRun(p: Pipeline, body: unknown): Plan {
  const action = str(body, 'action');
  const conclusion = str(body, 'workflow_run', 'conclusion');
  const name = str(body, 'workflow_run', 'name') ?? str(body, 'workflow', 'name') ?? '';
  if (action !== 'completed' || conclusion !== 'success') return { kind: 'ignore', message: `workflow '${name}' ${action ?? ''}${conclusion ? ` (${conclusion})` : ''}: only a completed run with conclusion success makes a release` };
  return releasePlan(
    p,
    {
      kind: 'workflow_run',
      workflow: name,
      commit: need(str(body, 'workflow_run', 'head_sha'), 'workflow_run.head_sha'),
      ...opt('branch', str(body, 'workflow_run', 'head_branch')),
      ...opt('commitTime', time(body, 'workflow_run', 'head_commit', 'timestamp')),
      ...opt('firstCommitTime', time(body, 'workflow_run', 'head_commit', 'timestamp')),
      ...opt('author', str(body, 'workflow_run', 'head_commit', 'author', 'name')),
    },
    'github',
  );
}

function registryPackage(p: Pipeline, body: unknown): Plan {
  const action = str(body, 'action');
  if (action !== 'published') return { kind: 'ignore', message: `package ${action ?? ''}: only a published version makes a release` };
  const sha = str(body, 'registry_package', 'package_version', 'target_commitish');
  return releasePlan(
    p,
    {
      kind: 'package',
      package: need(str(body, 'registry_package', 'name'), 'registry_package.name'),
      packageVersion: need(str(body, 'registry_package', 'package_version', 'version'), 'registry_package.package_version.version'),
      // target_commitish is a branch name as often as a commit: only a full SHA counts.
      commit: sha !== undefined && /^[0-9a-f]{40}$/.test(sha) ? sha : '',
      ...opt('author', str(body, 'sender', 'login')),
    },
    'github',
  );
}

export function need(v: string | undefined, field: string): string {
  if (v === undefined) throw new SlipwayError('INVALID_INPUT', `the payload has no ${field}; is it the event its header names?`, { field });
  return v;
}

export function opt<K extends string, V>(key: K, v: V | undefined): { [P in K]?: V } {
  return (v === undefined ? {} : { [key]: v }) as { [P in K]?: V };
}
