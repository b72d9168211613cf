/**
 * The manifest module's only door: what a local deployable is (a directory or `.tgz`
 * with `slipway-app.yaml`), its parsed manifest, and resolving an artifact reference.
 */
export { MANIFEST_FILE, ManifestSchema } from './schema.js';
export type { AppManifest, HealthCheck } from './schema.js';
export { loadManifest, parseManifest } from './parse.js';
export type { ManifestProblem } from './parse.js';
export { resolveArtifact } from './artifact.js';
export type { Deployable, ResolveOptions } from './artifact.js';
export { sha256File } from './unpack.js';
