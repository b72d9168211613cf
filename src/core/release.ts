/** Release identity and the checks an artifact bundle must pass before it becomes a release. */
import { SlipwayError } from './errors.js';
import type { Artifacts } from './model.js';
import type { Pipeline } from './pipeline.js';

/** The canonical text a release id hashes: the project and the artifacts sorted by service. */
export function releaseContent(project: string, artifacts: Artifacts): string {
  const sorted = Object.keys(artifacts)
    .sort()
    .map((s) => [s, artifacts[s]]);
  return JSON.stringify([project, sorted]);
}

export function releaseIdOf(project: string, artifacts: Artifacts, hash: (text: string) => string): string {
  return `rel-${hash(releaseContent(project, artifacts ?? {})).slice(0, 16)}`;
}

const ARTIFACT = /^[^\s]{1,512}$/;

export function validateArtifacts(p: Pipeline, artifacts: Artifacts): void {
  const entries = Object.entries(artifacts ?? {});
  if (entries.length === 0) {
    throw new SlipwayError('INVALID_INPUT', 'a release needs at least one artifact: give --service NAME --artifact REF', { field: 'artifacts' });
  }
  for (const [service, ref] of entries) {
    if (p.services.length > 0 && !p.services.includes(service)) {
      throw new SlipwayError(
        'UNKNOWN_SERVICE',
        `service '${service}' is not declared by project '${p.name}'; declared services: ${p.services.join(', ')}`,
        { field: `artifacts.${service}`, service },
      );
    }
    // The same rule as names in a pipeline file (src/spec/names.ts): services a project does not declare arrive here.
    if (service.length > 63 || !/^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$/.test(service)) {
      throw new SlipwayError('INVALID_INPUT', `service name '${service.slice(0, 80)}' is invalid: at most 63 lowercase letters, digits, '-', '_' and '.', starting and ending with a letter or digit`, { field: `artifacts.${service}` });
    }
    if (typeof ref !== 'string' || !ARTIFACT.test(ref)) {
      throw new SlipwayError(
        'INVALID_ARTIFACT',
        `artifact for service '${service}' is invalid (${JSON.stringify(ref)}): give a non-empty reference without spaces, at most 512 characters`,
        { field: `artifacts.${service}`, service },
      );
    }
  }
}
