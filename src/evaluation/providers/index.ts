/** SLI providers behind one port: Prometheus (with a Keptn sli.yaml) and the built-in router. */
export type { SliProvider, SliQuery, SliValues } from './types.js';
export { sliSchema } from './sli-schema.js';
export type { SliFile } from './sli-schema.js';
export { fillPlaceholders, unfilled } from './placeholders.js';
export { createPrometheusSliProvider } from './prometheus-provider.js';
export type { PrometheusSliOptions } from './prometheus-provider.js';
export { createRouterSliProvider, ROUTER_SLIS } from './router-provider.js';
export type { MetricsRegistry, RouterSliOptions, RouterSliProvider } from './router-provider.js';
