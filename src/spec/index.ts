/**
 * The spec module's only door: pipeline files (slipway.yaml, Keptn shipyards) → the core
 * Pipeline model, with errors that name file:line:col and the field.
 */
export { loadParsedPipeline, loadPipeline, loadPipelineFile } from './load.js';
export { parseSource, type ParsedSource } from './source.js';
export type { LoadedPipeline, LoadOptions } from './load.js';
export type { KindCatalog, PropertyCheck } from './kinds.js';
export { parseDuration } from './duration.js';
export { MAX_YAML_DEPTH, yamlTooDeepAt } from './yaml-depth.js';
export { pipelineJsonSchema } from './json-schema.js';
export { loadKeptnSlo, loadKeptnSloFile } from './keptn-slo.js';
export { loadKeptnSli, loadKeptnSliFile } from './keptn-sli.js';
export { keptnResourceKind } from './load.js';
export type { KeptnResourceKind } from './load.js';
export type { KeptnLoadOptions } from './keptn-load.js';
export { KEPTN_PROJECT_FILE, KEPTN_CONTROL_PLANE_TASKS, KEPTN_OUTSIDE_PREFIX, keptnBuiltinMap, keptnTaskKind, keptnTaskOfKind, loadKeptnProject, loadKeptnProjectDir } from './keptn-project.js';
export type { KeptnProjectOptions } from './keptn-project.js';
