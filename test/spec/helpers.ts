import { fileURLToPath } from 'node:url';
import { isSlipwayError } from '../../src/core/index.js';
import type { SlipwayError } from '../../src/core/index.js';

/** The error `fn` throws; fails the test when it throws nothing or something else. */
export function errorOf(fn: () => unknown): SlipwayError {
  try {
    fn();
  } catch (e) {
    if (isSlipwayError(e)) return e;
    throw e;
  }
  throw new Error('expected a SlipwayError, but nothing was thrown');
}

/** The Keptn conformance files (a verbatim copy of shared/conformance, never edited). */
export const KEPTN_DIR =
  process.env.SLIPWAY_KEPTN_CONFORMANCE ??
  fileURLToPath(new URL('../conformance/keptn/shipyards/', import.meta.url));

const HEADER = ['apiVersion: slipway/v1', 'kind: Pipeline', 'metadata: {name: shop}', 'spec:', '  stages:'];

/** A slipway.yaml whose `stages:` list starts on line 6 with the given lines. */
export function slipway(...stageLines: string[]): string {
  return [...HEADER, ...stageLines, ''].join('\n');
}
