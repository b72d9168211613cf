import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { Run } from '../../src/core/index.js';
import type { Harness } from './harness.js';
import { startHarness } from './harness.js';

const APP = fileURLToPath(new URL('../../examples/demo-app/versions/1.0.0', import.meta.url));
const WEB = `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: web}
spec:
  services: [web]
  stages:
    - name: prod
      tasks:
        - {name: deploy, kind: deploy, properties: {strategy: direct}}
`;

let h: Harness;
afterEach(async () => {
  await h.slipway.platform.close();
  await h.close();
});

describe('the local platform through the API', () => {
  it('status names where a deployed service answers, and /metrics carries its router traffic per slot', async () => {
    h = await startHarness({ projects: [WEB] });
    const done = new Promise<Run>((r) => h.slipway.engine.emitter.once('run:finished', r));
    const t = await h.call('POST', '/api/v1/projects/web/releases', { body: { artifacts: { web: APP } } });
    expect(t.statusCode).toBe(201);
    expect((await done).state).toBe('succeeded');
    const status = (await h.call('GET', '/api/v1/projects/web/status')).json() as { stages: { services: { endpoint: string | null }[] }[] };
    const endpoint = status.stages[0]!.services[0]!.endpoint!;
    expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    for (let i = 0; i < 3; i++) expect(((await (await fetch(endpoint)).json()) as { version: string }).version).toBe('1.0.0');
    const metrics = (await h.call('GET', '/metrics', { token: null })).body;
    const line = metrics.split('\n').find((l) => l.startsWith('slipway_router_requests_total{') && l.includes('project="web"') && l.includes('code_class="2xx"'));
    expect(line).toBeDefined();
    expect(Number(line!.split(' ').at(-1))).toBeGreaterThanOrEqual(3);
    expect(metrics).toContain('slipway_runs_total');
  });
});
