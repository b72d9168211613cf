/**
 * The spec module's only door: pipeline files (slipway.yaml, Keptn shipyards) → the core
 * Pipeline model, with errors that name file:line:col and the field.
 */
export { loadPipeline, loadPipelineFile } from './load.js';
export type { LoadedPipeline, LoadOptions } from './load.js';
export type { KindCatalog, PropertyCheck } from './kinds.js';
export { parseDuration } from './duration.js';
export { pipelineJsonSchema } from './json-schema.js';
export { loadKeptnSlo, loadKeptnSloFile } from './keptn-slo.js';
export { loadKeptnSli, loadKeptnSliFile } from './keptn-sli.js';
