/** Triggers: what sets runs off or holds them from outside a run. So far: the freeze calendar. */
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
