/**
 * The weighted HTTP router of the local platform: one port per project, stage and service,
 * slots behind it by weight, preview routing by header or cookie, sticky sessions, mirroring
 * for dark launches, and per-slot metrics. See docs/platform.md (## Router).
 */
export { Router } from './router.js';
export { LATENCY_BOUNDS_MS, metricsSince, percentileOf } from './stats.js';
export { trafficBetween } from './interval.js';
export type { IntervalTraffic } from './interval.js';
export type { CodeClass, RouterMetrics, SlotMetrics } from './stats.js';
export { MIRROR_HEADER, SLOT_COOKIE, SLOT_HEADER, STICKY_COOKIE } from './types.js';
export type { MirrorSpec, RouterAddress, RouterLabels, RouterOptions, RoutingOptions, SlotMap, SlotSpec, Upstream } from './types.js';
export { DEFAULT_DROP_HEADERS, DEFAULT_DROP_QUERY, DEFAULT_RECORD_HEADERS, TrafficRecorder } from './record.js';
export type { RecordSpec, RecordedRequest } from './record.js';
