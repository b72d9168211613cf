/**
 * The event the pull-request environments append once a pull request's environment serves
 * its artifact: `sh.slipway.pr.ready`, with the usual `project` (and `runid` of the deploy
 * run, when there is one). Defined here, where it is consumed, so both sides agree on one
 * shape; notifications with topic `pr.ready` follow it.
 */
export const PR_READY = 'sh.slipway.pr.ready';

export interface PrReadyData {
  /** The forge's number (GitHub PR number, GitLab MR iid). */
  number: number;
  /** The environment's stage, `pr-<n>`. */
  stage: string;
  /** Where the environment answers (its router's URL). */
  environmentUrl?: string;
  /** The release deployed there. */
  releaseId?: string;
  commit?: string;
  branch?: string;
  title?: string;
  author?: string;
  /** The pull request's page on the forge. */
  url?: string;
  /** UTC ms when the environment stops unless renewed. */
  expiresAt?: number;
}
