/**
 * Which projects Keptn's tools may reach. A shipyard project always speaks Keptn's protocol
 * (it came from Keptn); a slipway.yaml project does when it says `spec.keptn: {events: true}`.
 * Everything Keptn-facing (the executor API, the datastore route, the stream in Keptn's
 * dialect, Keptn-dialect push) asks here first, so a project that never opted in is never
 * served half-way.
 */
import type { Pipeline } from '../core/index.js';
import { SlipwayError } from '../core/index.js';

/** The format slipway.yaml pipelines are read from; any other is a Keptn shipyard's apiVersion. */
const SLIPWAY_FORMAT = 'slipway/v1';

export const KEPTN_SWITCH = 'spec.keptn: {events: true}';

export function speaksKeptn(p: Pick<Pipeline, 'format' | 'keptnEvents'>): boolean {
  return p.keptnEvents === true || p.format !== SLIPWAY_FORMAT;
}

/** The project's pipeline when Keptn's protocol serves it; UNKNOWN_PROJECT or INVALID_INPUT (naming the switch) otherwise. */
export function keptnProject(pipeline: (project: string) => Pipeline | undefined, project: string, field = 'project'): Pipeline {
  const p = pipeline(project);
  if (!p) throw new SlipwayError('UNKNOWN_PROJECT', `project '${project}' does not exist here; GET /api/v1/projects lists the projects`, { field });
  if (!speaksKeptn(p)) {
    throw new SlipwayError(
      'INVALID_INPUT',
      `project '${project}' is not served in Keptn's protocol: its slipway.yaml does not turn it on; add ${KEPTN_SWITCH} to its spec (docs/keptn.md), or use Slipway's own API`,
      { field },
    );
  }
  return p;
}
