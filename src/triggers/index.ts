/**
 * Triggers: what sets runs off, or holds them, from outside a run. The folder holds
 * - freeze/: the freeze-window calendar (when a stage takes no new runs, in time zones);
 * - alarm-watch.ts: the watch after success (an alarm firing rolls a stage back);
 * - rules/: trigger rules mapping git events (push, tag, workflow run, package) to artifacts;
 * - webhooks/: the signed artifact webhook, GitHub and GitLab adapters, and the intake that
 *   gives each delivery one fate (a release and its run, or a pull request handed on);
 * - git-watch/: the git watcher polling a remote for new commits and tags;
 * - schedules/: cron fire times in a zone for promotion schedules (the timers live in the core);
 * - pull-requests/: per-pull-request environments (pr-<n>), their TTL, forge statuses, pr.ready.
 */
export { applies, freezeHold, freezeLookup, holdingAt, nextClosing, openingAt, stageFreeze } from './freeze/calendar.js';
export type { Opening, StageFreeze, WindowSpan } from './freeze/calendar.js';
export { LOCAL_HINT, cronProblem, datedProblem, localProblem, timeZoneProblem } from './freeze/validate.js';
export { addWall, formatLocal, isTimeZone, offsetAt, parseLocal, utcOf, wallOf } from './freeze/zoned.js';
export { AlarmWatcher } from './alarm-watch.js';
export type { AlarmWatchOptions, Watch } from './alarm-watch.js';
export { TEMPLATE_VARIABLES, defaultTagArtifacts, describeEvent, describeRule, globMatch, mapEvent, matches, rulesOf, templateProblem, versionOfTag } from './rules/index.js';
export type { GitEvent, GitEventKind, Mapped } from './rules/index.js';
export { Webhooks, Intake, ArtifactHookBody, signArtifact, signGitHub } from './webhooks/index.js';
export type { IntakeAnswer, WebhooksDeps, Plan } from './webhooks/index.js';
export { GitWatcher } from './git-watch/index.js';
export type { WatchStatus, GitWatchOptions } from './git-watch/index.js';
export type { PullRequestEvent, PullRequestSink } from './pull-request-event.js';
export { nextFire, nextFires, scheduleCronProblem } from './schedules/index.js';
export { PullRequestEnvironments, forgeRequest, postForgeStatus } from './pull-requests/index.js';
export type { EnvironmentPlatform, PullRequestRecord, PullRequestView } from './pull-requests/index.js';
