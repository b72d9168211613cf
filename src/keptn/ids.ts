/**
 * Keptn's ids are UUIDs; Slipway's are not. Each Keptn id is a name-based UUID (RFC 4122
 * version 5: sha1 of a namespace and a name) of the Slipway thing it stands for, so mapping
 * the same event again gives the same id, and a later event can name an earlier one
 * (`triggeredid`) without looking it up.
 */
import { createHash } from 'node:crypto';

/** Slipway's namespace for Keptn ids (a fixed random UUID). */
const NAMESPACE = Buffer.from('6f1c2a4e8b3d4c5fa1e29d7b3c0f5e81', 'hex');

export function uuidFor(name: string): string {
  const h = createHash('sha1').update(NAMESPACE).update(name, 'utf8').digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** `shkeptncontext`: one per release of a project, shared by every stage it goes through. */
export function keptnContextOf(project: string, releaseId: string): string {
  return uuidFor(`context:${project}:${releaseId}`);
}

/** The Keptn id of a Slipway event as seen by one service (a release of several services gives one Keptn event per service). */
export function keptnEventId(slipwayEventId: string, service: string): string {
  return uuidFor(`event:${slipwayEventId}:${service}`);
}

/** The id of a run's `sh.keptn.event.<stage>.<sequence>.triggered` for one service. */
export function sequenceTriggeredId(runId: string, service: string): string {
  return uuidFor(`sequence:${runId}:${service}`);
}
