/** Trigger rules (slipway.yaml `spec.triggers`): matching git and CI events and rendering artifact references. */
export type { GitEvent, GitEventKind } from './event.js';
export { describeEvent } from './event.js';
export { globMatch } from './glob.js';
export { IMPLICIT_RULES, defaultTagArtifacts, describeRule, mapEvent, matches, rulesOf, type Mapped } from './match.js';
export { TEMPLATE_VARIABLES, render, templateProblem, variablesOf, versionOfTag } from './template.js';
