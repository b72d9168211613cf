/** Webhooks: the generic artifact webhook, the GitHub and GitLab adapters, and the intake every delivery passes. */
export { Webhooks, type Headers, type WebhooksDeps } from './webhooks.js';
export { Intake, inputIdOf, type Delivery, type IntakeAnswer, type IntakeDeps, type Plan } from './intake.js';
export { ArtifactHookBody, type ArtifactHook } from './artifact.js';
export { SKEW_MS, sameSecret, signArtifact, signGitHub, verifyArtifact, verifyGitHub, verifyGitLab } from './signature.js';
export { releasePlan } from './plans.js';
export { GITHUB_EVENTS } from './github.js';
export { GITLAB_EVENTS } from './gitlab.js';
