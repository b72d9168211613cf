/**
 * The event the pull-request environments record (through the engine, as a `pr.ready` input)
 * once a pull request's environment serves its artifact: `sh.slipway.pr.ready`, with the
 * usual `project` (and `runid` of the deploy run, when there is one). The shape lives in the
 * core (PullRequestReadyData), so the producer and notifications agree on one definition;
 * notifications with topic `pr.ready` follow it.
 */
import { eventTypes } from '../core/index.js';
import type { PullRequestReadyData } from '../core/index.js';

export const PR_READY = eventTypes.pullRequestReady;

export type PrReadyData = PullRequestReadyData;
