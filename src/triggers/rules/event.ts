/**
 * A git or CI event as the trigger rules see it, whichever source reported it: the GitHub
 * and GitLab adapters and the git watcher each turn what they receive into one of these.
 */
import type { TriggerRule } from '../../core/index.js';

export type GitEventKind = TriggerRule['on'];

export interface GitEvent {
  kind: GitEventKind;
  /** The commit the event is about (a tag's commit, a branch's new head, a CI run's commit). */
  commit: string;
  branch?: string;
  tag?: string;
  /** workflow_run: the workflow (GitHub) or pipeline (GitLab) name. */
  workflow?: string;
  /** package: the package name and the version published. */
  package?: string;
  packageVersion?: string;
  /** UTC ms */
  commitTime?: number;
  /** UTC ms of the oldest commit of the change (a push's first commit). */
  firstCommitTime?: number;
  author?: string;
}

/** One line naming the event, for messages: `tag 'backend/v1.2.3' at 1a2b3c4`. */
export function describeEvent(e: GitEvent): string {
  const at = `at ${e.commit.slice(0, 7) || '(no commit)'}`;
  switch (e.kind) {
    case 'push':
      return `push to branch '${e.branch ?? ''}' ${at}`;
    case 'tag':
      return `tag '${e.tag ?? ''}' ${at}`;
    case 'workflow_run':
      return `successful ${e.workflow ? `workflow '${e.workflow}'` : 'CI pipeline'} on branch '${e.branch ?? ''}' ${at}`;
    case 'package':
      return `package '${e.package ?? ''}' version '${e.packageVersion ?? ''}' ${at}`;
  }
}
