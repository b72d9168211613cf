/** Keptn's event dialect and executor API, as an adapter over Slipway's events and engine inputs. */
export { KEPTN_PREFIX, KEPTN_SOURCE, KEPTN_SPEC_VERSION, COMMON_KEYS, keptnOutput, mergeData, toKeptn } from './dialect.js';
export type { KeptnData, KeptnEvent, KeptnRunContext, KeptnStatus } from './dialect.js';
export { keptnContextOf, keptnEventId, sequenceTriggeredId, uuidFor } from './ids.js';
export { KeptnFold } from './stream.js';
export type { FoldedTask } from './stream.js';
export { KEPTN_LEASE_MS, KeptnExecutorApi, SUBSCRIPTION_PREFIX, leaseKeyIn } from './executor-api.js';
export type { KeptnApiDeps, PostedKeptnEvent, TriggeredQuery } from './executor-api.js';
export { KeptnProjectReader } from './live.js';
export { KEPTN_SWITCH, keptnProject, speaksKeptn } from './switch.js';
export { DATASTORE_KEY, KeptnDatastore } from './datastore.js';
export type { DatastorePage, DatastoreQuery } from './datastore.js';
