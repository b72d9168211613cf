/**
 * Notifications: Slack-compatible and signed-webhook sinks per project (slipway.yaml
 * `spec.notifications`), fed from the event log and the freeze calendar through a durable
 * queue. This file is the folder's only public door.
 */
export { Notifier, type NotifierDeps } from './notifier.js';
export { DEFAULT_NOTIFY, type NotifyOptions } from './delivery.js';
export type { SinkStatus } from './status.js';
export type { Notice, Actor } from './notice.js';
export { PR_READY, type PrReadyData } from './pr-ready.js';
export { webhookHeaders, DELIVERY_HEADER, type SendOutcome } from './send.js';
export { slackBody, webhookBody, runUrl } from './format.js';
export { freezeNotices, nextFreezeChange } from './freeze-notices.js';
