/** Per-pull-request environments: the folder's only door. */
export { PullRequestEnvironments, type PullRequestEnvironmentsOptions, type PullRequestView } from './environments.js';
export type { EnvironmentPlatform } from './teardown.js';
export { PullRequestBook, type PullRequestRecord } from './book.js';
export { forgeRequest, postForgeStatus, type EnvironmentState, type ForgeRequest, type ForgeStatus } from './forge.js';
