/**
 * A pull (or merge) request as the triggers see it, whichever forge or watcher reported it:
 * the webhook adapters (GitHub, GitLab) and the git watcher produce these, and the
 * pull-request environments consume them. Kept here so both sides agree on one shape.
 */
export interface PullRequestEvent {
  project: string;
  /** The forge's number (GitHub PR number, GitLab MR iid). */
  number: number;
  /** opened also covers reopened; updated is a new head commit; closed carries `merged`. */
  action: 'opened' | 'updated' | 'closed';
  merged?: boolean;
  /** Head commit of the pull request. */
  commit: string;
  /** Head branch. */
  branch: string;
  /** Artifacts built for the head commit, `{service → reference}`, when the payload or the rules give them. */
  artifacts: Readonly<Record<string, string>>;
  title?: string;
  author?: string;
  /** The pull request's page on the forge, for links in notifications. */
  url?: string;
  /** Where it came from: `github`, `gitlab`, `watcher`, `api`. */
  source: string;
  /** UTC ms */
  at: number;
}

/** Implemented by the pull-request environments; the webhook adapters call it. */
export interface PullRequestSink {
  pullRequest(event: PullRequestEvent): Promise<{ stage: string; runId?: string }>;
}
