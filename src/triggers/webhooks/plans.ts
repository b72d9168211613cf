/** From a git event (or a pull request) to what the intake does with it. */
import type { Pipeline } from '../../core/index.js';
import type { PullRequestEvent, PullRequestSink } from '../pull-request-event.js';
import type { GitEvent } from '../rules/index.js';
import { describeEvent, globMatch, mapEvent, render, rulesOf, variablesOf } from '../rules/index.js';
import type { Plan } from './intake.js';

/** The release a git event makes under the project's rules (UNMAPPABLE_PAYLOAD when none). */
export function releasePlan(p: Pipeline, e: GitEvent, source: string): Plan {
  const { artifacts } = mapEvent(p, e);
  return {
    kind: 'release',
    artifacts,
    provenance: {
      source,
      ...(e.commit ? { commit: e.commit } : {}),
      ...(e.commitTime !== undefined ? { commitTime: e.commitTime } : {}),
      ...(e.firstCommitTime !== undefined ? { firstCommitTime: e.firstCommitTime } : {}),
      ...(e.author !== undefined ? { author: e.author } : {}),
    },
    message: `${describeEvent(e)}: release of ${Object.entries(artifacts).map(([s, a]) => `${s}=${a}`).join(', ')}`,
  };
}

/** A pull request goes to the pull-request environments, when this server has them. */
export function pullRequestPlan(p: Pipeline, pr: Omit<PullRequestEvent, 'artifacts'>, sink: PullRequestSink | undefined): Plan {
  if (!sink || !p.pullRequests) return { kind: 'ignore', message: `pull request #${pr.number} ${pr.action}: pull-request environments are not configured for project '${p.name}' (spec.pullRequests), so nothing was created` };
  const event: PullRequestEvent = { ...pr, artifacts: pullRequestArtifacts(p, pr) };
  return {
    kind: 'forward',
    forward: async () => {
      const r = await sink.pullRequest(event);
      return { message: `pull request #${pr.number} ${pr.action}: stage ${r.stage}`, ...(r.runId ? { runId: r.runId } : {}) };
    },
  };
}

/** A pull request's head is built like a push to its branch: the first push rule whose branch pattern takes it. */
function pullRequestArtifacts(p: Pipeline, pr: Pick<PullRequestEvent, 'branch' | 'commit'>): Record<string, string> {
  const rule = rulesOf(p).find((r) => r.on === 'push' && (r.branch === undefined || globMatch(r.branch, pr.branch)));
  if (!rule) return {};
  const vars = variablesOf({ kind: 'push', commit: pr.commit, branch: pr.branch }, p.name);
  return Object.fromEntries(Object.entries(rule.artifacts).map(([s, t]) => [s, render(t, vars)]));
}
