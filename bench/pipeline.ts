/** The bench pipeline, built in code: one stage, services s0..s{N-1}, M sequential noop tasks. */
import { createHash } from 'node:crypto';
import { DELIVERY, type Pipeline, type TaskSpec } from '../src/core/index.js';

export const PROJECT = 'bench';
export const STAGE = 'only';

export function benchPipeline(services: number, tasks: number): { pipeline: Pipeline; text: string } {
  const task = (i: number): TaskSpec => ({
    name: `t${i}`,
    kind: 'noop',
    properties: {},
    retries: 0,
    delayMs: 0,
    if: { kind: 'success' },
    continueOnFailure: false,
  });
  const body = {
    name: PROJECT,
    services: Array.from({ length: services }, (_, i) => `s${i}`),
    stages: [
      {
        name: STAGE,
        after: [],
        promotion: 'auto' as const,
        queue: 'fifo' as const,
        requireUpstream: true,
        // One task per step: the next task is dispatched only after the previous one finished.
        sequences: [{ name: DELIVERY, triggeredOn: [], join: 'all' as const, steps: Array.from({ length: tasks }, (_, i) => ({ tasks: [task(i)] })) }],
      },
    ],
    format: 'slipway/v1',
  };
  const text = JSON.stringify(body);
  return { pipeline: { ...body, version: createHash('sha256').update(text).digest('hex').slice(0, 16) }, text };
}
